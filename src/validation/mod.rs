//! FastAPI-shaped request validation: every problem of a request in one 422 list.
//!
//! Handlers never see invalid input: a route collects path, query and body
//! problems in one [`Validator`], in FastAPI's order (path, query, body; body
//! fields in schema order), then calls [`Validator::finish`]. The messages,
//! types and contexts are pydantic v2's.

pub mod email;
pub mod json;

use crate::error::{ApiError, ApiResult};
use email::Email;
use json::JsonBody;
use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// One entry of a 422 `detail` list; keys serialize in FastAPI's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationErrorItem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Loc>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

/// A `loc` item: a name, or an array index / JSON offset as a number.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Loc {
    Key(String),
    Index(usize),
}

impl From<&str> for Loc {
    fn from(s: &str) -> Self {
        Loc::Key(s.to_string())
    }
}

impl From<usize> for Loc {
    fn from(i: usize) -> Self {
        Loc::Index(i)
    }
}

/// Why one value was refused: pydantic's error type, message and context.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    pub kind: &'static str,
    pub msg: String,
    pub ctx: Option<Value>,
}

impl Fail {
    fn new(kind: &'static str, msg: impl Into<String>) -> Self {
        Fail {
            kind,
            msg: msg.into(),
            ctx: None,
        }
    }
    fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

/// A field of a partial update: left out, sent as `null`, or sent with a value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Set(T),
}

impl<T> Patch<T> {
    /// The value to apply to a non-nullable column: `null` leaves it unchanged.
    pub fn value(self) -> Option<T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }
}

/// Collects the problems of one request.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<ValidationErrorItem>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, loc: Vec<Loc>, input: Value, fail: Fail) {
        self.errors.push(ValidationErrorItem {
            kind: fail.kind,
            loc,
            msg: fail.msg,
            input,
            ctx: fail.ctx,
        });
    }

    /// No problem recorded so far.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// 422 with everything collected, or `Ok` when there was nothing.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// A UUID path parameter.
    pub fn path_uuid(&mut self, name: &str, raw: &str) -> Option<Uuid> {
        match parse_uuid(raw) {
            Ok(id) => Some(id),
            Err(fail) => {
                self.push(
                    vec!["path".into(), name.into()],
                    Value::String(raw.into()),
                    fail,
                );
                None
            }
        }
    }

    /// An integer query parameter with a default and inclusive bounds.
    pub fn query_int(
        &mut self,
        name: &str,
        raw: Option<&str>,
        default: i64,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Option<i64> {
        let Some(raw) = raw else { return Some(default) };
        let input = Value::String(raw.into());
        let result = parse_int_str(raw).and_then(|n| check_bounds(n, min, max));
        match result {
            Ok(n) => Some(n),
            Err(fail) => {
                self.push(vec!["query".into(), name.into()], input, fail);
                None
            }
        }
    }

    /// The JSON object of a request body, or `None` after recording why there is none.
    /// A non-JSON content type is refused as FastAPI refuses it; bytes that are not
    /// UTF-8 are a 400, as in the origin.
    pub fn json_object(
        &mut self,
        content_type: Option<&str>,
        bytes: &[u8],
    ) -> ApiResult<Option<Map<String, Value>>> {
        let body_loc = || vec![Loc::from("body")];
        let value = match json::parse_body(bytes) {
            JsonBody::Empty => {
                self.push(
                    body_loc(),
                    Value::Null,
                    Fail::new("missing", "Field required"),
                );
                return Ok(None);
            }
            JsonBody::Unreadable => {
                return Err(ApiError::bad_request("There was an error parsing the body"));
            }
            JsonBody::Invalid { message, offset } => {
                self.push(
                    vec!["body".into(), offset.into()],
                    json!({}),
                    Fail::new("json_invalid", "JSON decode error")
                        .with_ctx(json!({ "error": message })),
                );
                return Ok(None);
            }
            JsonBody::Value(v) => v,
        };
        if !is_json_content_type(content_type) {
            let text = String::from_utf8_lossy(bytes).into_owned();
            self.push(body_loc(), Value::String(text), model_attributes_type());
            return Ok(None);
        }
        match value {
            Value::Object(map) => Ok(Some(map)),
            other => {
                self.push(body_loc(), other, model_attributes_type());
                Ok(None)
            }
        }
    }

    /// A required body field.
    pub fn required<T>(
        &mut self,
        body: &Map<String, Value>,
        key: &str,
        conv: impl FnOnce(&Value) -> Result<T, Fail>,
    ) -> Option<T> {
        match body.get(key) {
            None => {
                self.push(
                    body_loc(key),
                    Value::Object(body.clone()),
                    Fail::new("missing", "Field required"),
                );
                None
            }
            Some(v) => self.check(key, v, conv),
        }
    }

    /// A field with a default: absent gives the default, `null` is checked like any value.
    pub fn defaulted<T>(
        &mut self,
        body: &Map<String, Value>,
        key: &str,
        default: T,
        conv: impl FnOnce(&Value) -> Result<T, Fail>,
    ) -> Option<T> {
        match body.get(key) {
            None => Some(default),
            Some(v) => self.check(key, v, conv),
        }
    }

    /// An optional, nullable field (`X | None`): absent, `null`, or a checked value.
    pub fn nullable<T>(
        &mut self,
        body: &Map<String, Value>,
        key: &str,
        conv: impl FnOnce(&Value) -> Result<T, Fail>,
    ) -> Patch<T> {
        match body.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => match self.check(key, v, conv) {
                Some(t) => Patch::Set(t),
                None => Patch::Absent,
            },
        }
    }

    fn check<T>(
        &mut self,
        key: &str,
        v: &Value,
        conv: impl FnOnce(&Value) -> Result<T, Fail>,
    ) -> Option<T> {
        match conv(v) {
            Ok(t) => Some(t),
            Err(fail) => {
                self.push(body_loc(key), v.clone(), fail);
                None
            }
        }
    }

    /// Records a problem found on a body field by a later rule.
    pub fn body_field_error(&mut self, key: &str, input: Value, fail: Fail) {
        self.push(body_loc(key), input, fail);
    }
}

fn body_loc(key: &str) -> Vec<Loc> {
    vec!["body".into(), key.into()]
}

fn is_json_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.is_empty()
        || essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn model_attributes_type() -> Fail {
    Fail::new(
        "model_attributes_type",
        "Input should be a valid dictionary or object to extract fields from",
    )
}

/// Required once every field has been checked: a `None` here is a bug, not bad input.
pub fn checked<T>(v: Option<T>) -> ApiResult<T> {
    v.ok_or_else(|| ApiError::internal("validated field missing after a clean validation"))
}

// ---- converters: one per pydantic type we accept ----

/// `str` with optional length bounds, counted in characters.
pub fn string(
    min: Option<usize>,
    max: Option<usize>,
) -> impl FnOnce(&Value) -> Result<String, Fail> {
    move |v| {
        let Value::String(s) = v else {
            return Err(Fail::new("string_type", "Input should be a valid string"));
        };
        check_length(s, min, max)?;
        Ok(s.clone())
    }
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
pub fn email(max: Option<usize>) -> impl FnOnce(&Value) -> Result<Email, Fail> {
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
pub fn boolean(v: &Value) -> Result<bool, Fail> {
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
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// `int` in pydantic's lax mode, limited to what D1 stores exactly.
pub fn integer(v: &Value) -> Result<i64, Fail> {
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
pub fn number(v: &Value) -> Result<f64, Fail> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| Fail::new("float_type", "Input should be a valid number")),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| {
            Fail::new(
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            )
        }),
        _ => Err(Fail::new("float_type", "Input should be a valid number")),
    }
}

/// A `UUID` field in a body.
pub fn uuid(v: &Value) -> Result<Uuid, Fail> {
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
pub fn parse_uuid(s: &str) -> Result<Uuid, Fail> {
    Uuid::parse_str(s).map_err(|e| {
        let detail = e.to_string();
        Fail::new(
            "uuid_parsing",
            format!("Input should be a valid UUID, {detail}"),
        )
        .with_ctx(json!({ "error": detail }))
    })
}

fn parse_int_str(s: &str) -> Result<i64, Fail> {
    let t = s.trim().replace('_', "");
    t.parse::<i64>().map_err(|_| {
        Fail::new(
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    })
}

fn check_bounds(n: i64, min: Option<i64>, max: Option<i64>) -> Result<i64, Fail> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn detail(v: Validator) -> Value {
        match v.finish() {
            Err(e) => e.body()["detail"].clone(),
            Ok(()) => Value::Null,
        }
    }

    #[test]
    fn a_missing_field_echoes_the_whole_body() {
        let b = body(json!({"password": "x"}));
        let mut v = Validator::new();
        v.required(&b, "email", email(None));
        assert_eq!(
            detail(v),
            json!([{"type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": {"password": "x"}}])
        );
    }

    #[test]
    fn every_problem_of_a_body_is_reported_in_schema_order() {
        let b = body(json!({"email": "nope", "password": "short"}));
        let mut v = Validator::new();
        v.required(&b, "email", email(None));
        v.required(&b, "password", string(Some(8), Some(40)));
        assert_eq!(
            detail(v),
            json!([
                {"type": "value_error", "loc": ["body", "email"],
                 "msg": "value is not a valid email address: An email address must have an @-sign.",
                 "input": "nope", "ctx": {"reason": "An email address must have an @-sign."}},
                {"type": "string_too_short", "loc": ["body", "password"],
                 "msg": "String should have at least 8 characters", "input": "short", "ctx": {"min_length": 8}}
            ])
        );
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
    fn query_bounds_echo_the_raw_string() {
        let mut v = Validator::new();
        assert_eq!(v.query_int("skip", None, 0, Some(0), None), Some(0));
        v.query_int("skip", Some("-1"), 0, Some(0), None);
        v.query_int("limit", Some("abc"), 100, Some(0), Some(1000));
        v.query_int("limit", Some("1001"), 100, Some(0), Some(1000));
        assert_eq!(
            detail(v),
            json!([
                {"type": "greater_than_equal", "loc": ["query", "skip"], "msg": "Input should be greater than or equal to 0", "input": "-1", "ctx": {"ge": 0}},
                {"type": "int_parsing", "loc": ["query", "limit"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "abc"},
                {"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 1000", "input": "1001", "ctx": {"le": 1000}}
            ])
        );
    }

    #[test]
    fn uuids_are_accepted_in_any_case_with_or_without_hyphens() {
        let id = parse_uuid("0B5E7A2C-8F7B-4C55-9C10-5B0E2E8D3A11").unwrap();
        assert_eq!(parse_uuid("0b5e7a2c8f7b4c559c105b0e2e8d3a11").unwrap(), id);
    }

    #[test]
    fn a_bad_uuid_path_parameter_reports_the_parser_error() {
        let mut v = Validator::new();
        v.path_uuid("user_id", "abc");
        let d = detail(v);
        assert_eq!(d[0]["type"], "uuid_parsing");
        assert_eq!(d[0]["loc"], json!(["path", "user_id"]));
        assert_eq!(
            d[0]["msg"],
            "Input should be a valid UUID, invalid length: found 3"
        );
        assert_eq!(d[0]["ctx"]["error"], "invalid length: found 3");
    }

    #[test]
    fn malformed_json_reports_its_offset_as_a_number() {
        let mut v = Validator::new();
        assert_eq!(
            v.json_object(Some("application/json"), br#"{"email": }"#)
                .unwrap(),
            None
        );
        assert_eq!(
            detail(v),
            json!([{"type": "json_invalid", "loc": ["body", 10], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}}])
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        let mut v = Validator::new();
        assert_eq!(v.json_object(None, b"[1, 2]").unwrap(), None);
        assert_eq!(
            detail(v),
            json!([{"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1, 2]}])
        );
    }

    #[test]
    fn an_empty_body_is_missing() {
        let mut v = Validator::new();
        assert_eq!(v.json_object(Some("application/json"), b"").unwrap(), None);
        assert_eq!(
            detail(v),
            json!([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}])
        );
    }

    #[test]
    fn patch_fields_tell_absent_from_null() {
        let b = body(json!({"full_name": null}));
        let mut v = Validator::new();
        assert_eq!(
            v.nullable(&b, "full_name", string(None, Some(255))),
            Patch::Null
        );
        assert_eq!(v.nullable(&b, "email", email(None)), Patch::Absent);
        assert!(v.finish().is_ok());
    }
}
