//! What the JavaScript runtime already does, taken from it rather than
//! compiled into the wasm (tables and algorithms of 10 KB and more each):
//! Unicode NFC, Unicode lower case, and the value of a decimal text. Natively
//! (unit tests, tools) Rust's own stand in; wasm tests compare the two.

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
