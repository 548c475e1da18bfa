//! `/password-recovery`, `/reset-password`, `/password-recovery-html-content`,
//! `/users/me/verify-email`, `/verify-email` (origin: `api/routes/login.py`, in
//! its anti-enumeration form, with single-use tokens).

use super::{outbox_row, tokens, verification_email};
use crate::access::{Caller, Gate, Public, Superuser};
use crate::auth::hash_password;
use crate::clock::now_secs;
use crate::email::templates;
use crate::error::{ApiError, ApiResult};
use crate::http::input::{Body, Input, Json};
use crate::http::{message, Ctx};
use crate::ids::new_id;
use crate::lists::fold;
use crate::rate_limits::{self, Limit};
use crate::users::repo as users;
use crate::validation::email::Email;
use crate::validation::{password, string, Validator};
use serde_json::{Map, Value};
use worker::Response;

const RECOVERY_SENT: &str = "If that email is registered, we sent a password recovery link";
const TOO_MANY_REQUESTS: &str = "Too many e-mail requests, try again later";
const INVALID_TOKEN: &str = "Invalid token";

/// `{email}` in the path, as the client wrote it (the origin takes any string).
pub(crate) struct EmailPath(String);

impl Input for EmailPath {
    fn parse(cx: &Ctx, _: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(Some(EmailPath(cx.param("email").to_string())))
    }
}

impl EmailPath {
    /// The folded address the path names (an address that does not parse has no account).
    fn key(&self) -> String {
        Email::parse(&self.0).map_or_else(|_| fold(&self.0), |e| e.key())
    }
}

/// `NewPassword`: `{"token", "new_password"}`.
pub(crate) struct NewPassword {
    token: String,
    new_password: String,
}

impl Body for NewPassword {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let token = v.required(b, "token", string(None, Some(512)));
        let new_password = v.required(b, "new_password", password());
        Some(NewPassword {
            token: token?,
            new_password: new_password?,
        })
    }
}

/// `{"token"}`.
pub(crate) struct TokenBody {
    token: String,
}

impl Body for TokenBody {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let token = v.required(b, "token", string(None, Some(512)));
        Some(TokenBody { token: token? })
    }
}

/// The recovery limit for one kind of key.
fn limit(cx: &Ctx) -> Limit {
    Limit {
        limit: cx.config.email.recovery_limit_per_hour,
        seconds: 3600,
    }
}

/// Recover Password: send a recovery link to the address, if it has an active account.
///
/// The same answer either way, and the same work: one round trip counts the
/// request (per address and per client address) and reads the user; a second
/// writes the token and its e-mail together, or, for an unknown address, a
/// write that changes nothing.
pub(crate) async fn recover_password(cx: Ctx, _: Public, email: EmailPath) -> ApiResult<Response> {
    let now = now_secs();
    let key = email.key();
    let mut b = cx.db.batch();
    let mut attempts = vec![rate_limits::attempt(
        &mut b,
        rate_limits::key("recovery-email", &key),
        limit(&cx),
        now,
    )?];
    if let Some(ip) = cx.client_ip() {
        let group = rate_limits::address_group(&ip);
        attempts.push(rate_limits::attempt(
            &mut b,
            rate_limits::key("recovery-ip", &group),
            limit(&cx),
            now,
        )?);
    }
    let user = users::find_by_email(&mut b, &key)?;
    let r = b.run().await?;
    for attempt in attempts.into_iter().flatten() {
        attempt.check(&r, now, TOO_MANY_REQUESTS)?;
    }
    let cfg = &cx.config.email;
    let (token, hash) = tokens::new_token()?;
    let mut b = cx.db.batch();
    let sent = match r.first(user)?.filter(|u| u.is_active()) {
        Some(user) => {
            let expires = now + cfg.reset_token_hours * 3600;
            let _ = tokens::insert(&mut b, &hash, "reset", &user.id, &user.email, expires)?;
            Some(outbox_row(
                &mut b,
                &templates::password_recovery(cfg, &user.email, &token),
            )?)
        }
        None => {
            let _ = tokens::take(&mut b, &hash, "-", now)?;
            None
        }
    };
    b.run().await?;
    cx.send_emails(sent.into_iter().collect());
    message(RECOVERY_SENT)
}

/// Reset Password: set a new password with a recovery token (once).
pub(crate) async fn reset_password(
    cx: Ctx,
    _: Public,
    Json(input): Json<NewPassword>,
) -> ApiResult<Response> {
    let now = now_secs();
    let (hash, held) = read_token(&cx, &input.token, "reset", |h| h.usable(now)).await?;
    if held.is_active == 0 {
        return Err(ApiError::bad_request("Inactive user"));
    }
    let hashed = hash_password(&cx.config, &input.new_password)?;
    take_with(&cx, &hash, now, |b, mark| {
        let _ = tokens::reset_password(b, &hash, mark, &held.user_id, &hashed, now, &held.email)?;
        // A reset ends every session of the user, as a password change does.
        let _ = crate::sessions::repo::revoke_all(b, &held.user_id, None, now)?;
        Ok(())
    })
    .await?;
    message("Password updated successfully")
}

/// Recover Password Html Content: the recovery e-mail's HTML, for a superuser to look at.
/// Its link carries a token that is never stored: it works nowhere.
pub(crate) async fn recover_password_html_content(
    cx: Ctx,
    _: Superuser,
    email: EmailPath,
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let user = users::find_by_email(&mut b, &email.key())?;
    let user = b.run().await?.first(user)?.ok_or_else(|| {
        ApiError::not_found("The user with this username does not exist in the system.")
    })?;
    let (token, _) = tokens::new_token()?;
    let m = templates::password_recovery(&cx.config.email, &user.email, &token);
    let mut resp = Response::builder()
        .with_status(200)
        .fixed(m.html.into_bytes());
    let _ = resp
        .headers_mut()
        .set("Content-Type", "text/html; charset=utf-8");
    Ok(resp)
}

/// Send Verification Email: another verification link for the caller's address.
pub(crate) async fn send_verification_email(
    cx: Ctx,
    gate: Gate<Caller>,
    _: (),
) -> ApiResult<Response> {
    let now = now_secs();
    let limit = limit(&cx);
    let group = cx.client_ip().map(|ip| rate_limits::address_group(&ip));
    let (Caller(me), r, attempts) = gate
        .open_with(&cx.db, |b, caller_id| {
            let mut attempts = vec![rate_limits::attempt(
                b,
                rate_limits::key("verify-user", caller_id),
                limit,
                now,
            )?];
            if let Some(g) = &group {
                attempts.push(rate_limits::attempt(
                    b,
                    rate_limits::key("recovery-ip", g),
                    limit,
                    now,
                )?);
            }
            Ok(attempts)
        })
        .await?;
    for attempt in attempts.into_iter().flatten() {
        attempt.check(&r, now, TOO_MANY_REQUESTS)?;
    }
    if me.is_email_verified() {
        return Err(ApiError::bad_request("Email already verified"));
    }
    let mut b = cx.db.batch();
    let id = verification_email(&mut b, &cx.config.email, &me.id, &me.email)?;
    b.run().await?;
    cx.send_emails(vec![id]);
    message("Verification email sent")
}

/// Verify Email: confirm an address with its verification token (once).
pub(crate) async fn verify_email(
    cx: Ctx,
    _: Public,
    Json(input): Json<TokenBody>,
) -> ApiResult<Response> {
    let now = now_secs();
    // A link for an address the user has left since verifies nothing.
    let usable = |h: &tokens::Held| h.usable(now) && h.email == h.user_email;
    let (hash, held) = read_token(&cx, &input.token, "verify", usable).await?;
    take_with(&cx, &hash, now, |b, mark| {
        let _ = tokens::verify_address(b, &hash, mark, &held.user_id, &held.email)?;
        Ok(())
    })
    .await?;
    message("Email verified")
}

/// The token of `purpose` that `token` names, if `usable` accepts it (else
/// `400 Invalid token`), with its stored hash. One round trip.
async fn read_token(
    cx: &Ctx,
    token: &str,
    purpose: &str,
    usable: impl Fn(&tokens::Held) -> bool,
) -> ApiResult<(String, tokens::Held)> {
    let hash = tokens::hash(token);
    let mut b = cx.db.batch();
    let held = tokens::find(&mut b, &hash, purpose)?;
    let held = b
        .run()
        .await?
        .first(held)?
        .filter(|h| usable(h))
        .ok_or_else(|| ApiError::bad_request(INVALID_TOKEN))?;
    Ok((hash, held))
}

/// Takes the token (compare-and-swap, marked by this request) with `change`'s
/// statements in the same batch, which apply only for the request that took it:
/// `400 Invalid token` when another used it first. One round trip.
async fn take_with(
    cx: &Ctx,
    hash: &str,
    now: i64,
    change: impl FnOnce(&mut crate::db::Batch<'_>, &str) -> crate::db::DbResult<()>,
) -> ApiResult<()> {
    let mark = new_id();
    let mut b = cx.db.batch();
    let took = tokens::take(&mut b, hash, &mark, now)?;
    change(&mut b, &mark)?;
    if b.run().await?.changes(took)? == 0 {
        return Err(ApiError::bad_request(INVALID_TOKEN)); // used meanwhile
    }
    Ok(())
}
