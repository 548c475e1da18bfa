//! What the JavaScript runtime already does, taken from it rather than
//! compiled into the wasm (tables and algorithms of 10 KB and more each):
//! Unicode NFC, Unicode lower case, the value of a decimal text and the host
//! of a URL. Natively (unit tests, tools) Rust's own stand in; wasm tests
//! compare the two.

/// Unicode normalization form C, from the JavaScript runtime's ICU (no tables
/// in the wasm). Natively (unit tests, tools) the text is returned as it is.
#[cfg(target_arch = "wasm32")]
pub fn nfc(s: &str) -> String {
    String::from(worker::js_sys::JsString::from(s).normalize("NFC"))
}

/// Unicode normalization form C (natively: the text as it is).
#[cfg(not(target_arch = "wasm32"))]
pub fn nfc(s: &str) -> String {
    s.to_string()
}

/// Unicode lower case (full mappings, final sigma), from the JavaScript
/// runtime: Rust's `to_lowercase` brings 12 KB of case tables into the wasm
/// for the same mapping (a wasm test compares the two).
#[cfg(target_arch = "wasm32")]
pub fn lower(s: &str) -> String {
    String::from(worker::js_sys::JsString::from(s).to_lower_case())
}

/// Unicode lower case (natively: Rust's own).
#[cfg(not(target_arch = "wasm32"))]
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// The value of a decimal text (see `fields::decimal`), correctly rounded: the
/// JavaScript runtime's `Number` (Rust's parser carries 11 KB of tables into
/// the wasm for the same result; a wasm test compares them).
#[cfg(target_arch = "wasm32")]
pub fn to_f64(s: &str) -> f64 {
    worker::js_sys::Number::from(worker::wasm_bindgen::JsValue::from_str(s)).value_of()
}

/// The value of a decimal text (see `fields::decimal`) (natively: Rust's parser).
#[cfg(not(target_arch = "wasm32"))]
pub fn to_f64(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

/// The host of `url` as the runtime's URL parser reads it (the WHATWG URL
/// Standard's, the one `fetch` goes by): percent-decoded, IDNA-mapped and
/// lower case, an IPv4 address in dotted decimal whatever form it was written
/// in, an IPv6 one compressed in brackets. `None` where the parser refuses
/// the URL. The `url` crate implements the same standard, with IDNA's
/// Unicode tables in the wasm; the runtime has them already.
#[cfg(target_arch = "wasm32")]
pub fn url_host(url: &str) -> Option<String> {
    url_hostname(url)
}

#[cfg(target_arch = "wasm32")]
#[worker::wasm_bindgen::prelude::wasm_bindgen(
    wasm_bindgen = worker::wasm_bindgen,
    inline_js = "export function urlHostname(u) { try { return new URL(u).hostname } catch {} }"
)]
extern "C" {
    /// `new URL(u).hostname`, or `undefined` where `URL` throws.
    #[wasm_bindgen(js_name = urlHostname)]
    fn url_hostname(url: &str) -> Option<String>;
}

/// The host of `url` as the WHATWG URL Standard reads it (natively: the `url` crate's).
#[cfg(not(target_arch = "wasm32"))]
pub fn url_host(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_string)
}
