//! FastAPI-shaped request validation: every problem of a request in one 422 list.
//!
//! Handlers never see invalid input: a route collects path, query and body
//! problems in one [`Validator`], in FastAPI's order (path, query, body; body
//! fields in schema order), then calls [`Validator::finish`]. The messages,
//! types and contexts are pydantic v2's.

pub mod email;
mod fields;
pub mod json;
pub mod runtime;

pub(crate) use fields::parse_uuid;
pub(crate) use fields::{
    boolean, check_bounds, email, integer, literal_error, name, name_of, number, password, string,
    uuid, MAX_SAFE_INTEGER, PASSWORD_MAX, PASSWORD_MIN,
};

use crate::error::{ApiError, ApiResult, Loc, ValidationErrorItem};
use crate::messages::UNPARSABLE_BODY;
use fields::parse_int_str;
use json::JsonBody;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Why one value was refused: pydantic's error type, message and context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fail {
    pub(crate) kind: &'static str,
    pub(crate) msg: String,
    pub(crate) ctx: Option<Value>,
}

impl Fail {
    pub(crate) fn new(kind: &'static str, msg: impl Into<String>) -> Self {
        Fail {
            kind,
            msg: msg.into(),
            ctx: None,
        }
    }
    pub(crate) fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

/// A field of a partial update: left out, sent as `null`, or sent with a value.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Patch<T> {
    #[default]
    Absent,
    Null,
    Set(T),
}

impl<T> Patch<T> {
    /// The value to apply to a non-nullable column: `null` leaves it unchanged.
    pub(crate) fn value(self) -> Option<T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }
}

/// Collects the problems of one request.
#[derive(Debug, Default)]
pub(crate) struct Validator {
    errors: Vec<ValidationErrorItem>,
    /// The deployment is local development (`ENVIRONMENT=local`): rules that
    /// differ there (a webhook may go to `http://` and this machine) read it.
    pub(crate) local: bool,
}

impl Validator {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, loc: Vec<Loc>, input: Value, fail: Fail) {
        self.errors.push(ValidationErrorItem {
            kind: fail.kind,
            loc,
            msg: fail.msg,
            input,
            ctx: fail.ctx,
        });
    }

    /// 422 with everything collected, or `Ok` when there was nothing.
    pub(crate) fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// A UUID path parameter.
    pub(crate) fn path_uuid(&mut self, name: &str, raw: &str) -> Option<Uuid> {
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
    pub(crate) fn query_int(
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
    pub(crate) fn json_object(
        &mut self,
        content_type: Option<&str>,
        bytes: &[u8],
    ) -> ApiResult<Option<Map<String, Value>>> {
        let body_loc = || vec![Loc::from("body")];
        // The content type is checked first, as FastAPI does: a body that is not
        // declared JSON is not parsed (its bytes are echoed as text).
        if !bytes.is_empty() && !is_json_content_type(content_type) {
            let text = String::from_utf8_lossy(bytes).into_owned();
            self.push(body_loc(), Value::String(text), model_attributes_type());
            return Ok(None);
        }
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
                return Err(ApiError::bad_request(UNPARSABLE_BODY));
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
        match value {
            Value::Object(map) => Ok(Some(map)),
            other => {
                self.push(body_loc(), other, model_attributes_type());
                Ok(None)
            }
        }
    }

    /// A required body field.
    pub(crate) fn required<T>(
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
    pub(crate) fn defaulted<T>(
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
    pub(crate) fn nullable<T>(
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

    /// A required body field holding a list of distinct values, each one of
    /// `options`, at least one: every problem at its place (`["body", key, i]`
    /// for an item). One compiled copy for every such list.
    pub(crate) fn literal_list(
        &mut self,
        body: &Map<String, Value>,
        key: &str,
        options: &[&'static str],
    ) -> Option<Vec<&'static str>> {
        let value = body.get(key);
        let Some(value) = value else {
            let missing = Fail::new("missing", "Field required");
            self.push(body_loc(key), Value::Object(body.clone()), missing);
            return None;
        };
        let Value::Array(items) = value else {
            let fail = Fail::new("list_type", "Input should be a valid list");
            self.push(body_loc(key), value.clone(), fail);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match options.iter().find(|o| item.as_str() == Some(**o)) {
                Some(found) => out.push(*found),
                None => {
                    ok = false;
                    let mut loc = body_loc(key);
                    loc.push(Loc::Index(i));
                    self.push(loc, item.clone(), literal_error(options));
                }
            }
        }
        if !ok {
            return None;
        }
        let fail = if out.is_empty() {
            Fail::new(
                "too_short",
                "List should have at least 1 item after validation, not 0",
            )
            .with_ctx(json!({"field_type": "List", "min_length": 1, "actual_length": 0}))
        } else if (1..out.len()).any(|i| out[..i].contains(&out[i])) {
            let why = format!("{key} must not repeat");
            Fail::new("value_error", format!("Value error, {why}"))
                .with_ctx(json!({ "error": why }))
        } else {
            return Some(out);
        };
        self.push(body_loc(key), value.clone(), fail);
        None
    }

    /// Records a problem found on a body field by a later rule.
    pub(crate) fn body_field_error(&mut self, key: &str, input: Value, fail: Fail) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::fields::string;

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
