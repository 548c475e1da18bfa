//! Login: the password check behind `POST /login/access-token`, with its limits.
//!
//! Three sliding-window limits, each counted and recorded in the first batch
//! with the user's row (one round trip), before any password is checked:
//! `LOGIN_FAILURE_LIMIT` per (email, client address), so a stranger cannot lock
//! the owner out from another address; the looser `LOGIN_EMAIL_FAILURE_LIMIT` per
//! email across addresses; `LOGIN_IP_FAILURE_LIMIT` per client address (IPv6 by
//! /64). At a limit the answer is 429, no password is checked, and the attempt
//! counts toward none of the three (so a stranger refused per (email, address)
//! does not use up the email's looser limit). A success
//! clears its email's counts and takes back its address's event, with any hash
//! upgrade, in a second round trip. For a user with MFA on, that round trip
//! starts no session: it records the second step's challenge, and the answer
//! is `401 MFA code required` with its `mfa_token`.

use super::form::LoginForm;
use super::{hash_password, password};
use crate::clock::now_secs;
use crate::config::Config;
use crate::db::{Batch, Db};
use crate::error::{ApiError, ApiResult};
use crate::events::Origin;
use crate::messages::INACTIVE_USER;
use crate::mfa::service as mfa;
use crate::rate_limits::{self, Limit};
use crate::sessions::service::{self as sessions, Token};
use crate::users::models::UserRow;
use crate::users::repo as users;
use crate::validation::email::Email;

const EMAIL_NOT_VERIFIED: &str = "Email not verified";

const INCORRECT: &str = "Incorrect email or password";
pub(crate) const TOO_MANY_FAILURES: &str = "Too many failed login attempts, try again later";

/// Checks the form's credentials and issues an access token.
pub(crate) async fn login(
    db: &Db,
    config: &Config,
    form: &LoginForm,
    client: (Option<String>, Option<String>),
    origin: Origin<'_>,
) -> ApiResult<Token> {
    let now = now_secs();
    // The same normalizer as signup: an address that does not parse has no account.
    let email_key =
        Email::parse(&form.username).map_or_else(|_| form.username.clone(), |e| e.key());
    let group = client.1.as_deref().map(rate_limits::address_group);
    let limits = login_limits(config, &email_key, group.as_deref());
    let mut b = db.batch();
    let user = users::find_by_email(&mut b, &email_key)?;
    let attempts = rate_limits::attempts(&mut b, limits, now)?;
    let r = b.run().await?;
    let counted = attempts.check(&r, now, TOO_MANY_FAILURES)?;
    let user = r.first(user)?;

    let Some((user, rehash)) = verify(config, form, user) else {
        return Err(ApiError::bad_request(INCORRECT));
    };
    if !user.is_active() {
        return Err(ApiError::bad_request(INACTIVE_USER));
    }
    if config.email.require_verification && !user.is_email_verified() {
        return Err(ApiError::bad_request(EMAIL_NOT_VERIFIED));
    }
    let mut b = db.batch();
    forgive(&mut b, config, &counted, group.as_deref(), now)?;
    if rehash {
        let hashed = hash_password(config, &form.password)?;
        let _ = users::replace_password_hash(&mut b, &user.id, &user.hashed_password, &hashed)?;
    }
    if user.has_mfa() {
        // The password was right; the session waits for the second step.
        let email_limit = rate_limits::key(&config.secret_key, "login-email", &email_key);
        let mfa_token = mfa::challenge(&mut b, &user, &client, &email_limit, now)?;
        b.run().await?;
        return Err(ApiError::MfaRequired { mfa_token });
    }
    // Each login is a session, started in the same batch.
    let (session, refresh_token) = sessions::start(
        &mut b,
        &origin,
        client,
        &user.id,
        config.refresh_token_expire_days,
    )?;
    b.run().await?;
    let id = uuid::Uuid::parse_str(&user.id)
        .map_err(|e| ApiError::internal(format!("stored id: {e}")))?;
    sessions::issue(
        config,
        &id,
        user.token_version,
        &session,
        refresh_token,
        now,
        None,
    )
    .await
}

/// A right password is not a failure after all: the email's counts go, and so
/// does this attempt's event for the address.
fn forgive(
    b: &mut Batch<'_>,
    config: &Config,
    counted: &[String],
    group: Option<&str>,
    now: i64,
) -> ApiResult<()> {
    for key in counted {
        let _ = match group {
            Some(g) if *key == rate_limits::key(&config.secret_key, "login-ip", g) => {
                rate_limits::forget_one(b, key, now)?
            }
            _ => rate_limits::clear(b, key)?,
        };
    }
    Ok(())
}

/// The three limits a login counts toward: per email, and with a client address,
/// per (email, address) and per address.
fn login_limits(config: &Config, email_key: &str, group: Option<&str>) -> Vec<(String, Limit)> {
    let limit = |limit| Limit {
        limit,
        seconds: config.login_failure_window_seconds,
    };
    let key = |kind: &str, value: &str| rate_limits::key(&config.secret_key, kind, value);
    let mut limits = vec![(
        key("login-email", email_key),
        limit(config.login_email_failure_limit),
    )];
    if let Some(g) = group {
        limits.push((
            key("login-email-ip", &format!("{email_key}|{g}")),
            limit(config.login_failure_limit),
        ));
        limits.push((key("login-ip", g), limit(config.login_ip_failure_limit)));
    }
    limits
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
