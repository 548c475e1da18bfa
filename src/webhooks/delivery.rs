//! Sending deliveries: the `WEBHOOK_QUEUE` consumer POSTs each one, signed,
//! and retries it on the schedule of `WEBHOOK_RETRY_SCHEDULE` with the queue's
//! own delayed retry; the scheduled run hands over again what a lost message
//! left pending. At least once: a receiver that answers after the timeout is
//! sent the same event again, under the same `webhook-id`.

use super::signature;
use crate::clock::{now_iso, now_secs};
use crate::config::{Config, WebhookConfig};
use crate::db::{from_row, Batch, Db, DbResult, Rows, Write};
use crate::events::repo::of_delivery;
use worker::js_sys::{Promise, Reflect};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

/// The queue binding (`[[queues.producers]]` in `wrangler.toml`).
pub(crate) const QUEUE: &str = "WEBHOOK_QUEUE";
/// A pending delivery whose attempt is this much overdue lost its message:
/// the scheduled run hands it to the queue again.
const REQUEUE_AFTER_SECONDS: i64 = 300;
/// Most deliveries one scheduled run hands over again.
const REQUEUE_PER_RUN: i64 = 500;

/// A delivery with what sending it needs: its endpoint's URL and sealed secret.
struct Sending {
    id: String,
    status: String,
    attempts: i64,
    event_id: String,
    /// What the secret was sealed for.
    endpoint_id: String,
    url: String,
    secret_sealed: String,
    enabled: i64,
}
from_row!(Sending {
    id,
    status,
    attempts,
    event_id,
    endpoint_id,
    url,
    secret_sealed,
    enabled
});

/// The consumer: each message is a delivery id. The batch's deliveries are
/// read in one D1 round trip and their outcomes written in one more,
/// whatever its size (up to `max_batch_size`, 10): two round trips a batch,
/// not two a delivery.
pub(crate) async fn consume(batch: MessageBatch<String>, db: &Db, config: &Config) {
    let ids: Vec<String> = batch
        .raw_iter()
        .map(|m| m.body().as_string().unwrap_or_default())
        .collect();
    let retries = deliver(db, config, &ids).await;
    if let Err(e) = &retries {
        console_error!("webhook: deliveries {ids:?} failed in D1 ({e:?}); retrying");
    }
    for (i, message) in batch.raw_iter().enumerate() {
        match retries.as_ref().map(|r| r[i]) {
            Ok(None) => message.ack(),
            Ok(Some(delay)) => message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build(),
            ),
            Err(_) => message.retry(),
        }
    }
}

/// One attempt of each of `ids`, in order: for each, `Some(delay)` to try
/// again in that many seconds. (An id the batch holds twice is sent twice;
/// the second outcome's write finds the row settled and changes nothing.)
async fn deliver(db: &Db, config: &Config, ids: &[String]) -> DbResult<Vec<Option<u32>>> {
    let mut b = db.batch();
    let mut reads = Vec::with_capacity(ids.len());
    for id in ids {
        let sending = b.query::<Sending>(
            "select d.id, d.status, d.attempts, d.event_id, d.endpoint_id, e.url, e.secret_sealed, \
             e.enabled from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id \
             where d.id = ?1",
            &[id.into()],
        )?;
        reads.push((sending, of_delivery(&mut b, id)?));
    }
    let r = b.run().await?;
    let mut b = db.batch();
    let mut retries = Vec::with_capacity(ids.len());
    for (sending, event) in reads {
        let retry = match (r.first(sending)?, r.first(event)?) {
            // Delivered (or given up) already, or gone with its endpoint or its event.
            (Some(d), Some(body)) if d.status == "pending" => {
                attempt(&mut b, config, &d, &body.0).await?
            }
            _ => None,
        };
        retries.push(retry);
    }
    b.run().await?;
    Ok(retries)
}

/// Sends `d` and adds its outcome to `b`; `Some(delay)`: try again then.
async fn attempt(
    b: &mut Batch<'_>,
    config: &Config,
    d: &Sending,
    body: &str,
) -> DbResult<Option<u32>> {
    let attempt = d.attempts + 1;
    let sent = if d.enabled == 0 {
        Err((None, "the endpoint is disabled".to_string()))
    } else {
        let key = super::sealing_key(&config.secret_key);
        let secret = key.open(&d.endpoint_id, &d.secret_sealed);
        post(&config.webhooks, d, secret.as_deref(), body).await
    };
    let cfg = &config.webhooks;
    let retry = match &sent {
        Ok(_) => None,
        Err(_) if d.enabled == 0 => None,
        Err(_) => usize::try_from(d.attempts)
            .ok()
            .and_then(|n| cfg.retry_schedule.get(n).copied()),
    };
    let _ = record(b, &d.id, attempt, &sent, retry)?;
    if let Err((_, why)) = &sent {
        let next = retry.map_or("no retry left".into(), |s| format!("retrying in {s} s"));
        // `why` may hold the receiver's own text: quoted, so it stays on one line.
        console_error!(
            "webhook: delivery {} attempt {attempt} failed ({why:?}); {next}",
            d.id
        );
    }
    Ok(retry)
}

/// The attempt's outcome on the delivery's row: delivered, pending until
/// `retry` seconds from now, or failed.
fn record(
    b: &mut Batch<'_>,
    id: &str,
    attempt: i64,
    sent: &Result<u16, (Option<u16>, String)>,
    retry: Option<u32>,
) -> DbResult<Write> {
    let now = now_secs();
    let (status, code, error) = match sent {
        Ok(code) => ("delivered", Some(*code), None),
        Err((code, why)) if retry.is_some() => ("pending", *code, Some(why.as_str())),
        Err((code, why)) => ("failed", *code, Some(why.as_str())),
    };
    let next = retry.map(|s| now + i64::from(s));
    let delivered = sent.is_ok().then(now_iso);
    b.write(
        "update webhook_deliveries set status = ?2, attempts = ?3, last_status_code = ?4, \
         last_error = ?5, next_attempt_at = ?6, delivered_at = ?7 where id = ?1 and status = 'pending'",
        &[
            id.into(),
            status.into(),
            attempt.into(),
            code.map(i64::from).into(),
            error.into(),
            next.into(),
            delivered.as_deref().into(),
        ],
    )
}

/// The POST: `Ok(status)` for a 2xx within the timeout, else the status (if
/// any) and why. Redirects are not followed; at most 1 KiB of the answer is read.
async fn post(
    cfg: &WebhookConfig,
    d: &Sending,
    secret: Option<&str>,
    body: &str,
) -> Result<u16, (Option<u16>, String)> {
    let timestamp = now_secs();
    let signed = secret.and_then(|s| signature(s, &d.event_id, timestamp, body));
    let signed = signed.ok_or((None, "the endpoint's secret did not open".to_string()))?;
    let stamp = timestamp.to_string();
    let headers = (d.event_id.as_str(), stamp.as_str(), signed.as_str());
    let answer = fetch(&d.url, headers, body, cfg.timeout_seconds).await;
    match answer {
        Ok((status @ 200..=299, _)) => Ok(status),
        Ok((status, text)) => Err((Some(status), format!("answered {status}: {text}"))),
        Err(why) => Err((None, why)),
    }
}

#[wasm_bindgen(
    wasm_bindgen = worker::wasm_bindgen,
    inline_js = r#"
export async function postWebhook(url, id, timestamp, signature, body, ms) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": timestamp,
      "webhook-signature": signature,
    },
    redirect: "manual",
    signal: AbortSignal.timeout(ms),
  });
  let text = "";
  if (response.body) {
    const reader = response.body.getReader();
    const { value } = await reader.read();
    if (value) text = new TextDecoder().decode(value.subarray(0, 1024));
    reader.cancel().catch(() => {});
  }
  return [response.status, text];
}
"#
)]
extern "C" {
    /// The POST, in JavaScript: the runtime's `fetch` with a timeout, no
    /// redirects followed, and at most the first KiB of the answer read
    /// (`[status, text]`). A few lines of JavaScript where the same calls
    /// made from Rust through `Reflect` cost several KB of wasm.
    #[wasm_bindgen(js_name = postWebhook)]
    fn post_webhook(
        url: &str,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &str,
        ms: u32,
    ) -> Promise;
}

/// [`post_webhook`], awaited: the status and the start of the answer.
async fn fetch(
    url: &str,
    (id, timestamp, signature): (&str, &str, &str),
    body: &str,
    timeout_seconds: u32,
) -> Result<(u16, String), String> {
    let posted = post_webhook(url, id, timestamp, signature, body, timeout_seconds * 1000);
    match JsFuture::from(posted).await {
        Ok(answer) => {
            let status = Reflect::get_u32(&answer, 0).ok().and_then(|s| s.as_f64());
            let text = Reflect::get_u32(&answer, 1)
                .ok()
                .and_then(|t| t.as_string());
            Ok((status.unwrap_or(0.0) as u16, text.unwrap_or_default()))
        }
        Err(e) => {
            let error = e.dyn_ref::<worker::js_sys::Error>();
            let name = error.map(|e| String::from(e.name())).unwrap_or_default();
            Err(if name == "TimeoutError" || name == "AbortError" {
                format!("no answer within {timeout_seconds} s")
            } else {
                let why = error.map(|e| String::from(e.message())).unwrap_or_default();
                format!("could not be reached: {why}")
            })
        }
    }
}

/// A delivery to hand over again.
struct Overdue {
    id: String,
}
from_row!(Overdue { id });

fn overdue(b: &mut Batch<'_>, before: i64) -> DbResult<Rows<Overdue>> {
    b.query(
        "select id from webhook_deliveries where status = 'pending' and next_attempt_at < ?1 \
         order by next_attempt_at limit ?2",
        &[before.into(), REQUEUE_PER_RUN.into()],
    )
}

/// The scheduled run's share: deliveries whose attempt is overdue by
/// [`REQUEUE_AFTER_SECONDS`] lost their message; they go to the queue again
/// (and are due from now, so the next run leaves them alone).
pub(crate) async fn requeue(db: &Db, env: &Env) -> DbResult<usize> {
    let now = now_secs();
    let mut b = db.batch();
    let stale = overdue(&mut b, now - REQUEUE_AFTER_SECONDS)?;
    let ids: Vec<String> = b
        .run()
        .await?
        .rows(stale)?
        .into_iter()
        .map(|o| o.id)
        .collect();
    crate::queues::requeue(db, env, QUEUE, ids, &|b, id| {
        b.write(
            "update webhook_deliveries set next_attempt_at = ?2 where id = ?1 and status = 'pending'",
            &[id.into(), now.into()],
        )
    })
    .await
}
