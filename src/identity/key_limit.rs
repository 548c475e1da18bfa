//! The per-key rate limit: the Workers Rate Limiting binding `API_KEY_LIMITER`
//! (`[[ratelimits]]` in wrangler.toml; Miniflare runs it locally), checked at
//! the edge before D1 is read. Called through the binding itself (worker's
//! `RateLimiter` converts through serde_wasm_bindgen, which this worker leaves out).

use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use worker::js_sys::{Function, Object, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// The binding's name.
pub(crate) const BINDING: &str = "API_KEY_LIMITER";
/// The binding's period (wrangler.toml's `period`): a refused client retries after it.
const PERIOD_SECONDS: u64 = 60;
pub(crate) const RATE_LIMIT_EXCEEDED: &str = "Rate limit exceeded";

/// `429 Rate limit exceeded` with `Retry-After` once the key `hash` is over
/// its limit. Without the binding (a deployment that left it out), no limit.
pub(crate) async fn check(cx: &Ctx, hash: &str) -> ApiResult<()> {
    let within = within_limit(cx, hash)
        .await
        .map_err(|e| ApiError::internal(format!("{BINDING}: {e:?}")))?;
    if within {
        return Ok(());
    }
    Err(ApiError::TooManyRequests {
        detail: RATE_LIMIT_EXCEEDED,
        retry_after: PERIOD_SECONDS,
    })
}

async fn within_limit(cx: &Ctx, hash: &str) -> Result<bool, JsValue> {
    let limiter = Reflect::get(&cx.env, &JsValue::from_str(BINDING))?;
    if limiter.is_undefined() {
        return Ok(true);
    }
    let limit: Function = Reflect::get(&limiter, &JsValue::from_str("limit"))?.dyn_into()?;
    let options = Object::new();
    // The binding counts per key it is given: the key's hash, never the key.
    Reflect::set(
        &options,
        &JsValue::from_str("key"),
        &JsValue::from_str(hash),
    )?;
    let outcome = JsFuture::from(limit.call1(&limiter, &options)?.dyn_into::<Promise>()?).await?;
    Ok(Reflect::get(&outcome, &JsValue::from_str("success"))?.as_bool() != Some(false))
}
