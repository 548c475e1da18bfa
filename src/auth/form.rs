//! The login form: FastAPI's `OAuth2PasswordRequestForm`, read from an
//! `application/x-www-form-urlencoded` or a `multipart/form-data` body (what a
//! browser's `FormData` sends), with the same answers for the same fields.

use super::multipart;
use crate::error::{ApiError, ApiResult};
use crate::http::input::Input;
use crate::http::Ctx;
use crate::messages::UNPARSABLE_BODY;
use crate::validation::{string, Fail, Validator};
use serde_json::{Map, Value};

/// Longest `username` read; a longer one is a 422 before any D1 work.
const USERNAME_MAX: usize = 320;

pub(crate) struct LoginForm {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// Reads a form body into a JSON object of its fields (the last value of a
/// repeated field wins): urlencoded or multipart. A file part stands as an
/// object (so a text field given a file is a `string_type` 422, as in FastAPI).
/// Any other body has no fields; a multipart body that cannot be read is a 400.
fn form_fields(content_type: Option<&str>, body: &[u8]) -> ApiResult<Map<String, Value>> {
    let mut map = Map::new();
    let content_type = content_type.unwrap_or("");
    if let Some(boundary) = multipart::boundary(content_type) {
        let unreadable = |_| ApiError::bad_request(UNPARSABLE_BODY);
        for part in multipart::parse(body, &boundary.map_err(unreadable)?).map_err(unreadable)? {
            let value = match part.filename {
                Some(filename) => serde_json::json!({ "filename": filename }),
                None => Value::String(String::from_utf8_lossy(&part.value).into_owned()),
            };
            map.insert(part.name, value);
        }
        return Ok(map);
    }
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        for (k, v) in form_urlencoded::parse(body) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    Ok(map)
}

impl Input for LoginForm {
    /// Form fields are checked one by one, so a missing one echoes `null`, not the whole form.
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let form = form_fields(cx.header("Content-Type").as_deref(), &cx.body)?;
        if let Some(grant) = form.get("grant_type") {
            if grant != "password" {
                v.body_field_error(
                    "grant_type",
                    grant.clone(),
                    Fail::new(
                        "string_pattern_mismatch",
                        "String should match pattern '^password$'",
                    )
                    .with_ctx(serde_json::json!({"pattern": "^password$"})),
                );
            }
        }
        let mut field = |name: &str, max: Option<usize>| match form.get(name) {
            Some(value) => match string(None, max)(value) {
                Ok(s) => Some(s),
                Err(fail) => {
                    v.body_field_error(name, value.clone(), fail);
                    None
                }
            },
            None => {
                v.body_field_error(name, Value::Null, Fail::new("missing", "Field required"));
                None
            }
        };
        // The longest email address is 254 characters; 320 leaves room for
        // what a client sends around it and keeps junk out of D1 and the hashing.
        let username = field("username", Some(USERNAME_MAX));
        let password = field("password", None);
        Ok(username
            .zip(password)
            .map(|(username, password)| LoginForm { username, password }))
    }
}
