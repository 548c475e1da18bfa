//! Reading a JSON request body the way the origin (FastAPI on CPython) reads it.
//!
//! serde_json parses; when it refuses, [`python_json_error`] finds the first error
//! exactly as CPython's `json` module reports it: the same message and the same
//! 0-based character offset, which FastAPI returns as
//! `{"type": "json_invalid", "loc": ["body", <offset>], "ctx": {"error": <message>}}`.
//! The scanner is iterative, so hostile nesting cannot overflow the stack.

use serde_json::Value;

/// What became of a request body.
#[derive(Debug, PartialEq)]
pub enum JsonBody {
    /// No bytes at all: FastAPI treats the body as missing.
    Empty,
    Value(Value),
    /// Malformed JSON: CPython's message and the character offset it points at.
    Invalid {
        message: &'static str,
        offset: usize,
    },
    /// Not UTF-8, or nested deeper than we parse: FastAPI answers 400 for these.
    Unreadable,
}

pub fn parse_body(bytes: &[u8]) -> JsonBody {
    if bytes.is_empty() {
        return JsonBody::Empty;
    }
    // json.loads(bytes) decodes with the BOM-aware codec before parsing.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return JsonBody::Unreadable;
    };
    match serde_json::from_str::<Value>(text) {
        Ok(v) => JsonBody::Value(v),
        Err(_) => match python_json_error(text) {
            Some((message, byte_offset)) => JsonBody::Invalid {
                message,
                offset: text[..byte_offset].chars().count(),
            },
            // Valid to CPython but not to serde_json (NaN, lone surrogates, or
            // nesting beyond serde_json's limit of 128).
            None => JsonBody::Unreadable,
        },
    }
}

const WS: &[u8] = b" \t\n\r";

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && WS.contains(&s[i]) {
        i += 1;
    }
    i
}

enum Frame {
    /// Inside an object, after a value: expecting `,` or `}`.
    Object,
    /// Inside an array, after a value: expecting `,` or `]`.
    Array,
}

type JsonErr = (&'static str, usize);

/// The first error CPython's json module (C scanner, Python 3.12) reports for
/// `text`, as (message, byte offset); `None` when CPython would accept it.
pub fn python_json_error(text: &str) -> Option<JsonErr> {
    scan_document(text.as_bytes()).err()
}

fn scan_document(s: &[u8]) -> Result<(), JsonErr> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = skip_ws(s, 0);
    // Parse one value at `i`; a container pushes a frame and parses its first item.
    'value: loop {
        match s.get(i) {
            None => return Err(("Expecting value", i)),
            Some(b'"') => i = scan_string(s, i)?,
            Some(b'{') => {
                i = skip_ws(s, i + 1);
                if s.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    i = object_key(s, i)?;
                    stack.push(Frame::Object);
                    continue 'value;
                }
            }
            Some(b'[') => {
                i = skip_ws(s, i + 1);
                if s.get(i) == Some(&b']') {
                    i += 1;
                } else {
                    stack.push(Frame::Array);
                    continue 'value;
                }
            }
            Some(_) => i = literal_or_number(s, i).ok_or(("Expecting value", i))?,
        }
        // A value ended at `i`: close containers, or move on to the next item.
        loop {
            let (close, is_object) = match stack.last() {
                None => {
                    let end = skip_ws(s, i);
                    return if end == s.len() {
                        Ok(())
                    } else {
                        Err(("Extra data", end))
                    };
                }
                Some(Frame::Object) => (b'}', true),
                Some(Frame::Array) => (b']', false),
            };
            i = skip_ws(s, i);
            match s.get(i) {
                Some(&c) if c == close => {
                    stack.pop();
                    i += 1;
                }
                Some(b',') => {
                    i = skip_ws(s, i + 1);
                    if is_object {
                        i = object_key(s, i)?;
                    }
                    continue 'value;
                }
                _ => return Err(("Expecting ',' delimiter", i)),
            }
        }
    }
}

/// At `i` expects `"key"`, then `:`; returns where the value starts.
fn object_key(s: &[u8], i: usize) -> Result<usize, JsonErr> {
    if s.get(i) != Some(&b'"') {
        return Err(("Expecting property name enclosed in double quotes", i));
    }
    let i = skip_ws(s, scan_string(s, i)?);
    if s.get(i) != Some(&b':') {
        return Err(("Expecting ':' delimiter", i));
    }
    Ok(skip_ws(s, i + 1))
}

/// `s[start]` is the opening quote; returns the index after the closing quote.
fn scan_string(s: &[u8], start: usize) -> Result<usize, JsonErr> {
    let unterminated = ("Unterminated string starting at", start);
    let mut i = start + 1;
    loop {
        match s.get(i) {
            None => return Err(unterminated),
            Some(b'"') => return Ok(i + 1),
            Some(&c) if c < 0x20 => return Err(("Invalid control character at", i)),
            Some(b'\\') => match s.get(i + 1) {
                None => return Err(unterminated),
                Some(b'u') => {
                    let hex = s.get(i + 2..i + 6);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return Err(("Invalid \\uXXXX escape", i + 1));
                    }
                    i += 6;
                }
                Some(c) if b"\"\\/bfnrt".contains(c) => i += 2,
                Some(_) => return Err(("Invalid \\escape", i)),
            },
            Some(_) => i += 1,
        }
    }
}

/// `null`, `true`, `false`, `NaN`, `Infinity`, `-Infinity` or a number at `i`;
/// returns the index after it.
fn literal_or_number(s: &[u8], i: usize) -> Option<usize> {
    for lit in [
        &b"null"[..],
        b"true",
        b"false",
        b"NaN",
        b"Infinity",
        b"-Infinity",
    ] {
        if s[i..].starts_with(lit) {
            return Some(i + lit.len());
        }
    }
    // -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?
    let digits = |mut j: usize| {
        while s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let mut j = i;
    if s.get(j) == Some(&b'-') {
        j += 1;
    }
    match s.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j + 1),
        _ => return None,
    }
    if s.get(j) == Some(&b'.') && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j = digits(j + 1);
    }
    if matches!(s.get(j), Some(b'e' | b'E')) {
        let k = if matches!(s.get(j + 1), Some(b'+' | b'-')) {
            j + 2
        } else {
            j + 1
        };
        if s.get(k).is_some_and(u8::is_ascii_digit) {
            j = digits(k);
        }
    }
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Option<(&'static str, usize)> {
        match parse_body(text.as_bytes()) {
            JsonBody::Invalid { message, offset } => Some((message, offset)),
            _ => None,
        }
    }

    #[test]
    fn a_missing_value_points_at_the_character_after_the_colon() {
        assert_eq!(err(r#"{"email": }"#), Some(("Expecting value", 10)));
    }

    #[test]
    fn errors_match_cpython_messages_and_offsets() {
        let cases: &[(&str, &str, usize)] = &[
            ("{", "Expecting property name enclosed in double quotes", 1),
            (
                "{'a': 1}",
                "Expecting property name enclosed in double quotes",
                1,
            ),
            (r#"{"a" 1}"#, "Expecting ':' delimiter", 5),
            (r#"{"a": 1 "b": 2}"#, "Expecting ',' delimiter", 8),
            (
                r#"{"a": 1,}"#,
                "Expecting property name enclosed in double quotes",
                8,
            ),
            (r#"{"a": 1"#, "Expecting ',' delimiter", 7),
            ("[1, 2", "Expecting ',' delimiter", 5),
            ("[1,]", "Expecting value", 3),
            (r#"{"a": "x"#, "Unterminated string starting at", 6),
            ("{\"a\": \"x\ny\"}", "Invalid control character at", 8),
            (r#"{"a": "\q"}"#, "Invalid \\escape", 7),
            (r#"{"a": 1} x"#, "Extra data", 9),
            ("nul", "Expecting value", 0),
            ("  ", "Expecting value", 2),
            ("-", "Expecting value", 0),
            (r#"{"é": }"#, "Expecting value", 6),
        ];
        for (text, message, offset) in cases {
            assert_eq!(err(text), Some((*message, *offset)), "for {text:?}");
        }
    }

    #[test]
    fn valid_json_is_parsed() {
        assert_eq!(
            parse_body(br#"{"a": [1, {"b": null}]}"#),
            JsonBody::Value(serde_json::json!({"a": [1, {"b": null}]}))
        );
    }

    #[test]
    fn empty_bodies_and_non_utf8_bodies_are_told_apart() {
        assert_eq!(parse_body(b""), JsonBody::Empty);
        assert_eq!(parse_body(b"{\"a\": \"\xff\"}"), JsonBody::Unreadable);
    }

    #[test]
    fn hostile_nesting_is_a_client_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert_eq!(err(&deep), Some(("Expecting value", 100_000)));
        let closed = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_body(closed.as_bytes()), JsonBody::Unreadable);
    }
}
