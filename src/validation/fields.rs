//! One converter per pydantic type we accept: each checks one JSON value and
//! says why it refused it in pydantic v2's words.

use super::email::Email;
use super::runtime::to_f64;
use super::Fail;
use serde_json::{json, Value};
use uuid::Uuid;

/// Passwords are 8 to 40 characters, as in the origin.
pub(crate) const PASSWORD_MIN: usize = 8;
pub(crate) const PASSWORD_MAX: usize = 40;

/// A password: a string of [`PASSWORD_MIN`] to [`PASSWORD_MAX`] characters.
pub(crate) fn password() -> impl FnOnce(&Value) -> Result<String, Fail> {
    string(Some(PASSWORD_MIN), Some(PASSWORD_MAX))
}

/// `str` with optional length bounds, counted in characters.
pub(crate) fn string(
    min: Option<usize>,
    max: Option<usize>,
) -> impl FnOnce(&Value) -> Result<String, Fail> {
    text(min, max, false)
}

/// [`string`] and [`name`] alike (one closure type: the validator's code is
/// compiled once for both).
fn text(
    min: Option<usize>,
    max: Option<usize>,
    no_control: bool,
) -> impl FnOnce(&Value) -> Result<String, Fail> {
    move |v| {
        let Value::String(s) = v else {
            return Err(Fail::new("string_type", "Input should be a valid string"));
        };
        check_length(s, min, max)?;
        if no_control && s.chars().any(|c| c.is_ascii_control()) {
            return Err(Fail::new(
                "string_pattern_mismatch",
                format!("String should match pattern '{NAME_PATTERN}'"),
            )
            .with_ctx(json!({ "pattern": NAME_PATTERN })));
        }
        Ok(s.clone())
    }
}

/// What a name may not hold: C0 control characters (CR and LF among them)
/// and DEL, as a JSON Schema (ECMA-262) pattern. A name reaches e-mail headers
/// and log lines, where a line break would start a new header or command.
pub(crate) const NAME_PATTERN: &str = "^[^\\x00-\\x1F\\x7F]*$";

/// A name: [`string`] with `max` characters at most and no control character
/// ([`NAME_PATTERN`], checked after the length, as pydantic orders them).
pub(crate) fn name(max: Option<usize>) -> impl FnOnce(&Value) -> Result<String, Fail> {
    text(None, max, true)
}

/// [`name`] of at least `min` characters.
pub(crate) fn name_of(min: usize, max: usize) -> impl FnOnce(&Value) -> Result<String, Fail> {
    text(Some(min), Some(max), true)
}

fn check_length(s: &str, min: Option<usize>, max: Option<usize>) -> Result<(), Fail> {
    let n = s.chars().count();
    if let Some(min) = min.filter(|&m| n < m) {
        let unit = if min == 1 { "character" } else { "characters" };
        return Err(Fail::new(
            "string_too_short",
            format!("String should have at least {min} {unit}"),
        )
        .with_ctx(json!({ "min_length": min })));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        let unit = if max == 1 { "character" } else { "characters" };
        return Err(Fail::new(
            "string_too_long",
            format!("String should have at most {max} {unit}"),
        )
        .with_ctx(json!({ "max_length": max })));
    }
    Ok(())
}

/// `EmailStr`, optionally with a `max_length` checked first.
pub(crate) fn email(max: Option<usize>) -> impl FnOnce(&Value) -> Result<Email, Fail> {
    move |v| {
        let Value::String(s) = v else {
            return Err(Fail::new("string_type", "Input should be a valid string"));
        };
        check_length(s, None, max)?;
        Email::parse(s).map_err(|reason| {
            Fail::new(
                "value_error",
                format!("value is not a valid email address: {reason}"),
            )
            .with_ctx(json!({ "reason": reason }))
        })
    }
}

/// `bool` in pydantic's lax mode.
pub(crate) fn boolean(v: &Value) -> Result<bool, Fail> {
    let parsing = || {
        Fail::new(
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
        )
    };
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (_, Some(0.0)) => Ok(false),
            (_, Some(1.0)) => Ok(true),
            (Some(_), _) => Err(parsing()),
            _ => Err(Fail::new("bool_type", "Input should be a valid boolean")),
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
            _ => Err(parsing()),
        },
        _ => Err(Fail::new("bool_type", "Input should be a valid boolean")),
    }
}

/// The largest integer a JavaScript number (and so a D1 binding) holds exactly.
pub(crate) const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// `int` in pydantic's lax mode, limited to what D1 stores exactly.
pub(crate) fn integer(v: &Value) -> Result<i64, Fail> {
    let n = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i
            } else {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if x.fract() != 0.0 || !x.is_finite() {
                    return Err(Fail::new(
                        "int_from_float",
                        "Input should be a valid integer, got a number with a fractional part",
                    ));
                }
                if x.abs() > MAX_SAFE_INTEGER as f64 {
                    return check_bounds(
                        if x > 0.0 { i64::MAX } else { i64::MIN },
                        Some(-MAX_SAFE_INTEGER),
                        Some(MAX_SAFE_INTEGER),
                    );
                }
                x as i64
            }
        }
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_int_str(s)?,
        _ => return Err(Fail::new("int_type", "Input should be a valid integer")),
    };
    check_bounds(n, Some(-MAX_SAFE_INTEGER), Some(MAX_SAFE_INTEGER))
}

/// `float` in pydantic's lax mode.
pub(crate) fn number(v: &Value) -> Result<f64, Fail> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| Fail::new("float_type", "Input should be a valid number")),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        // Finite decimals only, as pydantic (and a JSON column) takes them.
        Value::String(s) => decimal(s.trim()).filter(|x| x.is_finite()).ok_or_else(|| {
            Fail::new(
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            )
        }),
        _ => Err(Fail::new("float_type", "Input should be a valid number")),
    }
}

/// A decimal number in text: `[+-]digits[.digits][e[+-]digits]`, with digits
/// on at least one side of the point (what Rust's `f64` parser takes, less
/// its `inf` and `nan`).
pub(crate) fn decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i - start)
    };
    let i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let (mut i, whole) = digits(i);
    let mut fraction = 0;
    if b.get(i) == Some(&b'.') {
        (i, fraction) = digits(i + 1);
    }
    if whole + fraction == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let (end, exponent) = digits(i + 1 + sign);
        if exponent == 0 {
            return None;
        }
        i = end;
    }
    (i == b.len()).then(|| to_f64(s))
}

/// A `UUID` field in a body.
pub(crate) fn uuid(v: &Value) -> Result<Uuid, Fail> {
    match v {
        Value::String(s) => parse_uuid(s),
        _ => Err(Fail::new(
            "uuid_type",
            "UUID input should be a string, bytes or UUID object",
        )),
    }
}

/// Parses a UUID as pydantic does (it uses this same crate): any case, with or
/// without hyphens, braces or `urn:uuid:`; the error text is the crate's.
pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, Fail> {
    Uuid::parse_str(s).map_err(|e| {
        let detail = e.to_string();
        Fail::new(
            "uuid_parsing",
            format!("Input should be a valid UUID, {detail}"),
        )
        .with_ctx(json!({ "error": detail }))
    })
}

pub(crate) fn parse_int_str(s: &str) -> Result<i64, Fail> {
    let t = s.trim().replace('_', "");
    t.parse::<i64>().map_err(|_| {
        Fail::new(
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    })
}

pub(crate) fn check_bounds(n: i64, min: Option<i64>, max: Option<i64>) -> Result<i64, Fail> {
    if let Some(min) = min.filter(|&m| n < m) {
        return Err(Fail::new(
            "greater_than_equal",
            format!("Input should be greater than or equal to {min}"),
        )
        .with_ctx(json!({ "ge": min })));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        return Err(Fail::new(
            "less_than_equal",
            format!("Input should be less than or equal to {max}"),
        )
        .with_ctx(json!({ "le": max })));
    }
    Ok(n)
}

/// pydantic's list of a `Literal`'s values: `'a', 'b' or 'c'`.
pub(crate) fn expected_literals(options: &[&str]) -> String {
    let quoted: Vec<String> = options.iter().map(|o| format!("'{o}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `literal_error` for a value that is none of `options`.
pub(crate) fn literal_error(options: &[&str]) -> Fail {
    let expected = expected_literals(options);
    Fail::new("literal_error", format!("Input should be {expected}"))
        .with_ctx(json!({ "expected": expected }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_listed_as_pydantic_lists_them() {
        assert_eq!(expected_literals(&["a"]), "'a'");
        assert_eq!(expected_literals(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }

    #[test]
    fn a_name_refuses_control_characters_after_its_length() {
        assert_eq!(
            name(Some(5))(&json!("Ünïcode ok")).unwrap_err().kind,
            "string_too_long"
        );
        for bad in ["a\r\nb", "tab\there", "nul\0", "del\u{7f}"] {
            let fail = name(None)(&json!(bad)).unwrap_err();
            assert_eq!(fail.kind, "string_pattern_mismatch", "{bad:?}");
        }
        assert_eq!(
            name(None)(&json!("Ärzte & Co. 🚀")).unwrap(),
            "Ärzte & Co. 🚀"
        );
        assert_eq!(NAME_PATTERN, r"^[^\x00-\x1F\x7F]*$");
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(string(None, Some(3))(&json!("ééé")).is_ok());
        assert_eq!(
            string(None, Some(3))(&json!("éééé")).unwrap_err().kind,
            "string_too_long"
        );
    }

    #[test]
    fn null_for_a_required_string_is_a_type_error() {
        assert_eq!(
            string(None, None)(&Value::Null).unwrap_err(),
            Fail::new("string_type", "Input should be a valid string")
        );
    }

    #[test]
    fn booleans_follow_pydantic_lax_mode() {
        assert_eq!(boolean(&json!("yes")), Ok(true));
        assert_eq!(boolean(&json!(0)), Ok(false));
        assert_eq!(boolean(&json!("maybe")).unwrap_err().kind, "bool_parsing");
        assert_eq!(boolean(&json!([])).unwrap_err().kind, "bool_type");
        assert_eq!(boolean(&Value::Null).unwrap_err().kind, "bool_type");
    }

    #[test]
    fn integers_follow_pydantic_lax_mode() {
        assert_eq!(integer(&json!(3)), Ok(3));
        assert_eq!(integer(&json!(3.0)), Ok(3));
        assert_eq!(integer(&json!("4")), Ok(4));
        assert_eq!(integer(&json!(3.5)).unwrap_err().kind, "int_from_float");
        assert_eq!(integer(&json!("x")).unwrap_err().kind, "int_parsing");
        assert_eq!(integer(&json!(null)).unwrap_err().kind, "int_type");
        assert_eq!(integer(&json!(1e300)).unwrap_err().kind, "less_than_equal");
    }

    #[test]
    fn uuids_are_accepted_in_any_case_with_or_without_hyphens() {
        let id = parse_uuid("0B5E7A2C-8F7B-4C55-9C10-5B0E2E8D3A11").unwrap();
        assert_eq!(parse_uuid("0b5e7a2c8f7b4c559c105b0e2e8d3a11").unwrap(), id);
    }

    #[test]
    fn numbers_are_finite() {
        assert_eq!(number(&json!("2.5")), Ok(2.5));
        for s in ["inf", "-inf", "NaN", "infinity", "1e400"] {
            assert_eq!(number(&json!(s)).unwrap_err().kind, "float_parsing", "{s}");
        }
    }

    #[test]
    fn decimals_are_what_rusts_parser_reads_less_inf_and_nan() {
        for s in [
            "0",
            "-0",
            "+1",
            "2.5",
            "2.",
            ".5",
            "-.5",
            "1e5",
            "1E+5",
            "1.5e-3",
            "007.50",
            "123456789012345678901234567890",
            "0.1000000000000000055511151231257827",
            "1e-400",
            "1e400",
        ] {
            assert_eq!(decimal(s), Some(s.parse::<f64>().unwrap()), "{s}");
        }
        for s in [
            "", ".", "+", "-", "e5", ".e5", "1e", "1e+", "1.2.3", "1,5", "0x10", "1_000", " 1",
            "1 ", "inf", "NaN", "infinity", "1e5.5", "--1", "+-1", "١",
        ] {
            assert_eq!(decimal(s), None, "{s}");
        }
    }
}
