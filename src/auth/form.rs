//! The login form: FastAPI's `OAuth2PasswordRequestForm`, read from an
//! `application/x-www-form-urlencoded` body.

use crate::error::ApiResult;
use crate::http::input::Input;
use crate::http::Ctx;
use crate::validation::{string, Fail, Validator};
use serde_json::{Map, Value};

pub(crate) struct LoginForm {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// Reads an `application/x-www-form-urlencoded` body into a JSON object of its
/// fields (the last value of a repeated field wins); any other body has no fields.
fn form_fields(content_type: Option<&str>, body: &[u8]) -> Map<String, Value> {
    let is_form = content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|e| {
            e.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let mut map = Map::new();
    if is_form {
        for (k, v) in form_urlencoded::parse(body) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    map
}

impl Input for LoginForm {
    /// Form fields are checked one by one, so a missing one echoes `null`, not the whole form.
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let form = form_fields(cx.header("Content-Type").as_deref(), &cx.body);
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
        let mut field = |name: &str| match form.get(name) {
            Some(value) => string(None, None)(value).ok(),
            None => {
                v.body_field_error(name, Value::Null, Fail::new("missing", "Field required"));
                None
            }
        };
        let username = field("username");
        let password = field("password");
        Ok(username
            .zip(password)
            .map(|(username, password)| LoginForm { username, password }))
    }
}
