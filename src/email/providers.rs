//! Where an outbox row goes: the log (local default), an HTTP e-mail API, or SMTP.

use super::outbox::OutboxRow;
use super::smtp;
use super::templates::first_link;
use crate::config::{EmailConfig, Provider};
use worker::wasm_bindgen::JsValue;
use worker::{console_log, web_sys, Fetch, Headers, Request};

/// Sends one row; the error says what the provider answered.
pub(crate) async fn send(cfg: &EmailConfig, row: &OutboxRow) -> Result<(), String> {
    let html = row.html.as_deref().unwrap_or_default();
    let text = row.text_body.as_deref().unwrap_or_default();
    match &cfg.provider {
        Provider::Log => {
            console_log!(
                "email outbox_id={} to={} subject={:?} link={}",
                row.id,
                row.recipient,
                row.subject,
                first_link(text).unwrap_or("-")
            );
            Ok(())
        }
        Provider::Http { url, key } => http(cfg, url, key, row, html, text).await,
        Provider::Smtp(smtp_cfg) => smtp::send(cfg, smtp_cfg, row, html, text).await,
    }
}

/// A JSON POST in the shape common to transactional e-mail APIs, with the
/// outbox id as `Idempotency-Key` so a provider can drop a repeated send.
async fn http(
    cfg: &EmailConfig,
    url: &str,
    key: &str,
    row: &OutboxRow,
    html: &str,
    text: &str,
) -> Result<(), String> {
    let body = serde_json::json!({
        "from": format!("{} <{}>", cfg.from_name, cfg.from_email),
        "to": [row.recipient],
        "subject": row.subject,
        "html": html,
        "text": text,
    });
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("Content-Type", "application/json")?;
    set("Authorization", &format!("Bearer {key}"))?;
    set("Idempotency-Key", &row.id)?;
    // web_sys's RequestInit: worker's own converts every `cf` option it
    // knows (image resizing and the rest), 11 KB of wasm for none of them.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers.0);
    init.set_body(&JsValue::from_str(&body.to_string()));
    let request = web_sys::Request::new_with_str_and_init(url, &init)
        .map_err(|e| format!("{url}: {}", e.as_string().unwrap_or_default()))?;
    let response = Fetch::Request(Request::from(request))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}
