//! The clock, and timestamps as the API shows them: RFC 3339 in UTC with
//! microseconds and `Z`, the way pydantic prints an aware UTC datetime. Fixed
//! width, so the stored text sorts in time order.

/// Milliseconds since the Unix epoch, from the JavaScript clock.
#[cfg(target_arch = "wasm32")]
pub(crate) fn now_millis() -> u64 {
    worker::js_sys::Date::now() as u64
}

/// Milliseconds since the Unix epoch (native builds: unit tests and tools).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Resolves after `ms` milliseconds: the runtime's `scheduler.wait()`, called
/// through the bindings already in the bundle (`worker::Delay` brings a
/// callback timer and its glue: 0.8 KB gzipped). Where there is no
/// `scheduler`, it resolves at once.
pub(crate) fn pause(ms: u32) -> worker::wasm_bindgen_futures::JsFuture {
    use worker::js_sys::{global, Function, Promise, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let promise = Reflect::get(&global(), &JsValue::from_str("scheduler"))
        .and_then(|s| {
            let wait: Function = Reflect::get(&s, &JsValue::from_str("wait"))?.dyn_into()?;
            wait.call1(&s, &JsValue::from(ms))?.dyn_into::<Promise>()
        })
        .unwrap_or_else(|_| Promise::resolve(&JsValue::UNDEFINED));
    worker::wasm_bindgen_futures::JsFuture::from(promise)
}

/// Whole seconds since the Unix epoch (token `iat`, password changes, rate limits).
pub(crate) fn now_secs() -> i64 {
    (now_millis() / 1000) as i64
}

/// Now as the API shows timestamps.
pub(crate) fn now_iso() -> String {
    rfc3339_from_millis(now_millis())
}

/// `2026-11-28T23:36:42.123000Z` for a count of milliseconds since the Unix epoch.
pub(crate) fn rfc3339_from_millis(millis: u64) -> String {
    let secs = millis / 1000;
    let micros = (millis % 1000) * 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_is_formatted_with_microseconds_and_z() {
        assert_eq!(rfc3339_from_millis(0), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn leap_days_and_milliseconds_are_exact() {
        // 2024-02-29T12:34:56.789Z
        assert_eq!(
            rfc3339_from_millis(1_709_210_096_789),
            "2024-02-29T12:34:56.789000Z"
        );
        // 2000-12-31T23:59:59.999Z
        assert_eq!(
            rfc3339_from_millis(978_307_199_999),
            "2000-12-31T23:59:59.999000Z"
        );
    }
}
