//! `/login`: OAuth2 password login and token test (origin: `api/routes/login.py`).

use crate::app::{json_ok, now_secs, Ctx};
use crate::auth::current_user::current_user;
use crate::auth::{jwt, password};
use crate::error::{ApiError, ApiResult};
use crate::users::models::UserPublic;
use crate::users::repo;
use crate::validation::{checked, string, Fail, Validator};
use serde::Serialize;
use serde_json::{Map, Value};
use worker::Response;

const INCORRECT: &str = "Incorrect email or password";

/// `Token`.
#[derive(Serialize)]
struct Token {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

struct LoginForm {
    username: String,
    password: String,
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

impl LoginForm {
    /// `OAuth2PasswordRequestForm`: form fields are checked one by one, so a
    /// missing one echoes `null`, not the whole form.
    fn parse(v: &mut Validator, form: &Map<String, Value>) -> Option<Self> {
        if let Some(grant) = form.get("grant_type") {
            if grant != "password" {
                v.body_field_error(
                    "grant_type",
                    grant.clone(),
                    Fail {
                        kind: "string_pattern_mismatch",
                        msg: "String should match pattern '^password$'".into(),
                        ctx: Some(serde_json::json!({"pattern": "^password$"})),
                    },
                );
            }
        }
        let mut field = |name: &str| match form.get(name) {
            Some(value) => string(None, None)(value).ok(),
            None => {
                v.body_field_error(
                    name,
                    Value::Null,
                    Fail {
                        kind: "missing",
                        msg: "Field required".into(),
                        ctx: None,
                    },
                );
                None
            }
        };
        let username = field("username");
        let password = field("password");
        Some(LoginForm {
            username: username?,
            password: password?,
        })
    }
}

/// Login Access Token: OAuth2 compatible token login, get an access token for future requests.
pub async fn login_access_token(cx: Ctx) -> ApiResult<Response> {
    let form = form_fields(cx.header("Content-Type").as_deref(), &cx.body);
    let mut v = Validator::new();
    let input = LoginForm::parse(&mut v, &form);
    v.finish()?;
    let input = checked(input)?;
    let iterations = cx.config.password_iterations;
    let Some(user) = repo::find_user_by_email(&cx.db, input.username.trim()).await? else {
        password::dummy_verify(&input.password, iterations);
        return Err(ApiError::bad_request(INCORRECT));
    };
    let password::Verified::Yes { rehash } =
        password::verify(&input.password, &user.hashed_password, iterations)
    else {
        return Err(ApiError::bad_request(INCORRECT));
    };
    if !user.is_active() {
        return Err(ApiError::bad_request("Inactive user"));
    }
    if rehash {
        let hashed = password::hash_password(&input.password, iterations)
            .map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
        repo::replace_password_hash(&cx.db, &user.id, &hashed).await?;
    }
    let id = uuid::Uuid::parse_str(&user.id)
        .map_err(|e| ApiError::internal(format!("stored id: {e}")))?;
    let ttl = cx.config.access_token_expire_minutes;
    let access_token =
        jwt::issue(&cx.config.secret_key, &id, now_secs(), ttl).map_err(ApiError::internal)?;
    json_ok(&Token {
        access_token,
        token_type: "bearer",
        expires_in: ttl * 60,
    })
}

/// Test Token: test access token.
pub async fn test_token(cx: Ctx) -> ApiResult<Response> {
    let user = current_user(&cx).await?;
    json_ok(&UserPublic::from(user))
}
