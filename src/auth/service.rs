//! Login: the password check behind `POST /login/access-token`, with its limits.
//!
//! Throttled: after `LOGIN_FAILURE_LIMIT` failures for an email (or
//! `LOGIN_IP_FAILURE_LIMIT` from one client address) within the window, the
//! answer is 429 without the password being checked. One D1 round trip reads
//! the user and both counters; a failure records itself, a success clears its
//! email's failures (with any hash upgrade) in a second one.

use super::form::LoginForm;
use super::{hash_password, jwt, password};
use crate::clock::now_secs;
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::rate_limits::{self, Limit};
use crate::users::models::UserRow;
use crate::users::repo as users;
use serde::Serialize;

const INCORRECT: &str = "Incorrect email or password";
pub(crate) const TOO_MANY_FAILURES: &str = "Too many failed login attempts, try again later";

/// `Token`.
#[derive(Serialize)]
pub(crate) struct Token {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

/// The limits that apply to one login attempt, and their keys.
struct Throttle {
    email: (String, Limit),
    ip: Option<(String, Limit)>,
}

impl Throttle {
    fn new(config: &Config, username: &str, client_ip: Option<String>) -> Self {
        let window = config.login_failure_window_seconds;
        let ip_limit = Limit {
            limit: config.login_ip_failure_limit,
            seconds: window,
        };
        Throttle {
            email: (
                rate_limits::email_key(username),
                Limit {
                    limit: config.login_failure_limit,
                    seconds: window,
                },
            ),
            ip: client_ip
                .filter(|_| ip_limit.is_on())
                .map(|ip| (rate_limits::login_ip_key(&ip), ip_limit)),
        }
    }

    /// Records a failure under every limit that is on.
    async fn record_failure(&self, db: &Db, now: i64) -> ApiResult<()> {
        let mut b = db.batch();
        let (key, limit) = &self.email;
        if limit.is_on() {
            rate_limits::record(&mut b, key, *limit, now)?;
        }
        if let Some((key, limit)) = &self.ip {
            rate_limits::record(&mut b, key, *limit, now)?;
        }
        b.run().await?;
        Ok(())
    }
}

/// Checks the form's credentials and issues an access token.
pub(crate) async fn login(
    db: &Db,
    config: &Config,
    form: &LoginForm,
    client_ip: Option<String>,
) -> ApiResult<Token> {
    let now = now_secs();
    let throttle = Throttle::new(config, &form.username, client_ip);
    let mut b = db.batch();
    let user = users::find_by_email(&mut b, form.username.trim())?;
    let (email_key, email_limit) = &throttle.email;
    let email_count = rate_limits::count(&mut b, email_key, *email_limit, now)?;
    let ip_count = match &throttle.ip {
        Some((key, limit)) => Some((rate_limits::count(&mut b, key, *limit, now)?, *limit)),
        None => None,
    };
    let r = b.run().await?;
    let email_failures =
        rate_limits::check(r.first(email_count)?, *email_limit, now, TOO_MANY_FAILURES)?;
    if let Some((count, limit)) = ip_count {
        rate_limits::check(r.first(count)?, limit, now, TOO_MANY_FAILURES)?;
    }
    let user = r.first(user)?;

    let Some((user, rehash)) = verify(config, form, user) else {
        throttle.record_failure(db, now).await?;
        return Err(ApiError::bad_request(INCORRECT));
    };
    if !user.is_active() {
        return Err(ApiError::bad_request("Inactive user"));
    }
    let mut b = db.batch();
    if rehash {
        let _ = users::replace_password_hash(
            &mut b,
            &user.id,
            &hash_password(config, &form.password)?,
        )?;
    }
    if email_failures > 0 {
        let _ = rate_limits::clear(&mut b, email_key)?;
    }
    b.run().await?;
    issue(config, &user, now)
}

/// The user whose password the form names, and whether to rehash it; an unknown
/// email costs what a wrong password costs.
fn verify(config: &Config, form: &LoginForm, user: Option<UserRow>) -> Option<(UserRow, bool)> {
    let iterations = config.password_iterations;
    let Some(user) = user else {
        password::dummy_verify(&form.password, iterations);
        return None;
    };
    match password::verify(&form.password, &user.hashed_password, iterations) {
        password::Verified::Yes { rehash } => Some((user, rehash)),
        password::Verified::No => None,
    }
}

fn issue(config: &Config, user: &UserRow, now: i64) -> ApiResult<Token> {
    let id = uuid::Uuid::parse_str(&user.id)
        .map_err(|e| ApiError::internal(format!("stored id: {e}")))?;
    let ttl = config.access_token_expire_minutes;
    let access_token = jwt::issue(&config.secret_key, &id, user.token_version, now, ttl)
        .map_err(ApiError::internal)?;
    Ok(Token {
        access_token,
        token_type: "bearer",
        expires_in: ttl * 60,
    })
}
