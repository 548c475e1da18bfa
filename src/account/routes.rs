//! `/password-recovery`, `/reset-password`, `/password-recovery-html-content`,
//! `/users/me/verify-email`, `/verify-email` (origin: `api/routes/login.py`, in
//! its anti-enumeration form, with single-use tokens).

use super::{tokens, verification_email};
use crate::access::{Caller, Gate, Public, Superuser};
use crate::auth::hash_password;
use crate::clock::{now_iso, now_secs};
use crate::email::{outbox, templates};
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By, Subject};
use crate::http::input::{Body, Input, Json};
use crate::http::{message, Ctx};
use crate::ids::new_id;
use crate::lists::fold;
use crate::messages::{INACTIVE_USER, TOO_MANY_EMAILS};
use crate::rate_limits::{self, Limit};
use crate::users::repo as users;
use crate::validation::email::Email;
use crate::validation::{password, string, Validator};
use serde_json::{Map, Value};
use worker::Response;

const NO_SUCH_USERNAME: &str = "The user with this username does not exist in the system.";
const ALREADY_VERIFIED: &str = "Email already verified";

const RECOVERY_SENT: &str = "If that email is registered, we sent a password recovery link";
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

/// The recovery limit per (address, client address) and per client address.
fn limit(cx: &Ctx) -> Limit {
    Limit {
        limit: cx.config.email.recovery_limit_per_hour,
        seconds: 3600,
    }
}

/// Recover Password: send a recovery link to the address, if it has an active account.
///
/// The same answer either way, and the same work: whether the address has an
/// account is decided by the queue consumer ([`super::prepare`]), not here.
/// One round trip counts the request (per address and client address, per
/// address with a looser cap, and per client address), a second writes the
/// request to the outbox, which goes to the queue.
pub(crate) async fn recover_password(cx: Ctx, _: Public, email: EmailPath) -> ApiResult<Response> {
    let now = now_secs();
    let address = email.key();
    let secret = &cx.config.secret_key;
    let per_email = Limit {
        limit: cx.config.email.recovery_email_limit_per_hour,
        seconds: 3600,
    };
    let mut limits = vec![(
        rate_limits::key(secret, "recovery-email", &address),
        per_email,
    )];
    if let Some(ip) = cx.client_ip() {
        let group = rate_limits::address_group(&ip);
        let pair = format!("{address}|{group}");
        limits.push((
            rate_limits::key(secret, "recovery-email-ip", &pair),
            limit(&cx),
        ));
        limits.push((rate_limits::key(secret, "recovery-ip", &group), limit(&cx)));
    }
    let mut b = cx.db.batch();
    let attempts = rate_limits::attempts(&mut b, limits, now)?;
    let r = b.run().await?;
    attempts.check(&r, now, TOO_MANY_EMAILS)?;
    let id = new_id();
    let mut b = cx.db.batch();
    let _ = outbox::insert_request(
        &mut b,
        &id,
        super::RECOVERY_REQUEST,
        &address,
        &now_iso(),
        now,
    )?;
    b.run().await?;
    cx.send_emails(vec![id]);
    message(RECOVERY_SENT)
}

/// Reset Password: set a new password with a recovery token (once).
pub(crate) async fn reset_password(
    cx: Ctx,
    _: Public,
    Json(input): Json<NewPassword>,
) -> ApiResult<Response> {
    let now = now_secs();
    // A link sent before the password or the address changed resets nothing.
    let usable = |h: &tokens::Held| h.usable(now) && h.user_unchanged();
    let (hash, held) = read_token(&cx, &input.token, "reset", usable).await?;
    if held.is_active == 0 {
        return Err(ApiError::bad_request(INACTIVE_USER));
    }
    let hashed = hash_password(&cx.config, &input.new_password)?;
    take_with(&cx, &hash, now, |b, mark| {
        let _ = tokens::reset_password(b, &hash, mark, &held.user_id, &hashed, now, &held.email)?;
        let (by, about) = (By::user(&held.user_id), Subject::User(&held.user_id));
        let kind = "user.password_changed";
        events::log_if(b, &cx, kind, None, by, about, TOOK_TOKEN, mark.into())?;
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
    let user = b
        .run()
        .await?
        .first(user)?
        .ok_or_else(|| ApiError::not_found(NO_SUCH_USERNAME))?;
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
    let secret = &cx.config.secret_key;
    let group = cx.client_ip().map(|ip| rate_limits::address_group(&ip));
    let (Caller(me), r, attempts) = gate
        .open_with(&cx.db, |b, caller_id| {
            let mut limits = vec![(rate_limits::key(secret, "verify-user", caller_id), limit)];
            if let Some(g) = &group {
                limits.push((rate_limits::key(secret, "recovery-ip", g), limit));
            }
            rate_limits::attempts(b, limits, now)
        })
        .await?;
    attempts.check(&r, now, TOO_MANY_EMAILS)?;
    if me.is_email_verified() {
        return Err(ApiError::bad_request(ALREADY_VERIFIED));
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
        let (by, about) = (By::user(&held.user_id), Subject::User(&held.user_id));
        let kind = "user.email_verified";
        let verified =
            "email_verified = 1 and exists (select 1 from email_tokens where used_by = ?20)";
        events::log_if(b, &cx, kind, None, by, about, verified, mark.into())?;
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
/// An event's witness that this request took its e-mail token (`?20`: the mark).
const TOOK_TOKEN: &str = "exists (select 1 from email_tokens where used_by = ?20)";

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
