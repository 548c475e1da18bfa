//! `/login`: OAuth2 password login and token test (origin: `api/routes/login.py`).

use crate::app::{json_ok, now_secs, Ctx};
use crate::auth::current_user::current_user;
use crate::auth::{jwt, password};
use crate::db::rows;
use crate::error::{ApiError, ApiResult};
use crate::rate_limits::{self, Limit};
use crate::users::models::{UserPublic, UserRow};
use crate::users::repo;
use crate::validation::{checked, string, Fail, Validator};
use serde::Serialize;
use serde_json::{Map, Value};
use worker::Response;

const INCORRECT: &str = "Incorrect email or password";
pub const TOO_MANY_FAILURES: &str = "Too many failed login attempts, try again later";

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
///
/// Throttled: after `LOGIN_FAILURE_LIMIT` failures for an email (or
/// `LOGIN_IP_FAILURE_LIMIT` from one client address) within the window, the
/// answer is 429 without the password being checked. One D1 round trip reads
/// the user and both counters; a failure records itself, a success clears its
/// email's failures (with any hash upgrade) in a second one.
pub async fn login_access_token(cx: Ctx) -> ApiResult<Response> {
    let form = form_fields(cx.header("Content-Type").as_deref(), &cx.body);
    let mut v = Validator::new();
    let input = LoginForm::parse(&mut v, &form);
    v.finish()?;
    let input = checked(input)?;
    let config = &cx.config;
    let now = now_secs();
    let window = config.login_failure_window_seconds;
    let email_limit = Limit {
        limit: config.login_failure_limit,
        seconds: window,
    };
    let ip_limit = Limit {
        limit: config.login_ip_failure_limit,
        seconds: window,
    };
    let email_key = rate_limits::email_key(&input.username);
    let ip_key = cx
        .client_ip()
        .filter(|_| ip_limit.is_on())
        .map(|ip| rate_limits::login_ip_key(&ip));

    let db = &cx.db;
    let mut stmts = vec![
        repo::select_user_by_email(db, input.username.trim())?,
        rate_limits::count_statement(db, &email_key, email_limit, now)?,
    ];
    if let Some(key) = &ip_key {
        stmts.push(rate_limits::count_statement(db, key, ip_limit, now)?);
    }
    let results = db.batch(stmts).await?;
    let email_failures = rate_limits::check(&results[1], email_limit, now, TOO_MANY_FAILURES)?;
    if ip_key.is_some() {
        rate_limits::check(&results[2], ip_limit, now, TOO_MANY_FAILURES)?;
    }
    let user = rows::<UserRow>(&results[0])?.into_iter().next();

    let iterations = config.password_iterations;
    let verified = match &user {
        Some(u) => password::verify(&input.password, &u.hashed_password, iterations),
        None => {
            password::dummy_verify(&input.password, iterations);
            password::Verified::No
        }
    };
    let (Some(user), password::Verified::Yes { rehash }) = (user, verified) else {
        let mut record = Vec::new();
        if email_limit.is_on() {
            record.extend(rate_limits::record_statements(
                db,
                &email_key,
                email_limit,
                now,
            )?);
        }
        if let Some(key) = &ip_key {
            record.extend(rate_limits::record_statements(db, key, ip_limit, now)?);
        }
        if !record.is_empty() {
            db.batch(record).await?;
        }
        return Err(ApiError::bad_request(INCORRECT));
    };
    if !user.is_active() {
        return Err(ApiError::bad_request("Inactive user"));
    }
    let mut after = Vec::new();
    if rehash {
        let hashed = password::hash_password(&input.password, iterations)
            .map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
        after.push(repo::replace_password_hash_statement(
            db, &user.id, &hashed,
        )?);
    }
    if email_failures > 0 {
        after.push(rate_limits::clear_statement(db, &email_key)?);
    }
    if !after.is_empty() {
        db.batch(after).await?;
    }
    let id = uuid::Uuid::parse_str(&user.id)
        .map_err(|e| ApiError::internal(format!("stored id: {e}")))?;
    let ttl = config.access_token_expire_minutes;
    let access_token = jwt::issue(&config.secret_key, &id, now, ttl).map_err(ApiError::internal)?;
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
