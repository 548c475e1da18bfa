//! One Workers Analytics Engine data point per request, through the `METRICS`
//! binding (`[[analytics_engine_datasets]]` in wrangler.toml): the route's
//! template (also the sampling index), the method, the status, the duration,
//! and the D1 round trips, rows read and rows written. `docs/operations.md`
//! gives the SQL API queries over them. Called through the binding itself, as
//! the rate limiter is (no serde_wasm_bindgen). The request's log line carries
//! the same point as JSON (`metrics=`), which is how a local run shows it: the
//! local Analytics Engine keeps nothing.

use worker::js_sys::{Array, Function, Object, Reflect, JSON};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::Env;

/// The binding's name.
pub(crate) const BINDING: &str = "METRICS";

/// What one request did.
pub(crate) struct Point<'a> {
    /// The matched route's template (`/api/v1/users/{user_id}`), or `unmatched`.
    pub(crate) route: &'a str,
    pub(crate) method: &'a str,
    pub(crate) status: u16,
    pub(crate) millis: f64,
    pub(crate) round_trips: u32,
    pub(crate) rows_read: u64,
    pub(crate) rows_written: u64,
}

/// `{"indexes": [route], "blobs": [route, method], "doubles": [status, ms,
/// round trips, rows read, rows written]}`.
fn data_point(p: &Point<'_>) -> Result<Object, JsValue> {
    let point = Object::new();
    let strings = |items: &[&str]| {
        items
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect::<Array>()
    };
    Reflect::set(&point, &"indexes".into(), &strings(&[p.route]))?;
    Reflect::set(&point, &"blobs".into(), &strings(&[p.route, p.method]))?;
    let numbers = [
        f64::from(p.status),
        p.millis.max(0.0).round(),
        f64::from(p.round_trips),
        p.rows_read as f64,
        p.rows_written as f64,
    ];
    let doubles: Array = numbers.iter().map(|n| JsValue::from_f64(*n)).collect();
    Reflect::set(&point, &"doubles".into(), &doubles)?;
    Ok(point)
}

/// Writes `point` if the binding is there (a deployment may leave it out), and
/// answers what was written, as JSON, for the log line; a failure is logged in
/// its place (metrics never fail a request).
pub(crate) fn record(env: &Env, point: &Point<'_>) -> Option<String> {
    let written = (|| -> Result<Option<String>, JsValue> {
        let dataset = Reflect::get(env, &JsValue::from_str(BINDING))?;
        if dataset.is_undefined() {
            return Ok(None);
        }
        let write: Function = Reflect::get(&dataset, &"writeDataPoint".into())?.dyn_into()?;
        let point = data_point(point)?;
        write.call1(&dataset, &point)?;
        Ok(JSON::stringify(&point)?.as_string())
    })();
    written.unwrap_or_else(|e| Some(format!("failed: {e:?}")))
}
