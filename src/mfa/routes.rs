//! `/users/me/mfa/...`, `/users/{user_id}/mfa` and `/login/mfa`.

use super::models::{CodeBody, MfaLogin, TotpEnrolment};
use super::service::{self, proof_for};
use super::{new_secret, otpauth_uri, recovery_hash, repo, seal, ALREADY_ENABLED, MFA_DISABLED};
use crate::access::{Caller, Gate, Public, Superuser};
use crate::clock::{now_iso, now_secs};
use crate::error::{ApiError, ApiResult};
use crate::http::input::{Json, UserPath};
use crate::http::{json_ok, message, Ctx};
use crate::identity::user::{self as users, UserRow};
use crate::messages::USER_NOT_FOUND;
use crate::sessions::repo as sessions;
use crate::sessions::routes::client_of;
use worker::Response;

/// Enrol TOTP: a new secret, pending until a code verifies it (a second call
/// replaces it). `400 MFA is already enabled` once it is on.
pub(crate) async fn enrol_totp(cx: Ctx, Caller(me): Caller, _: ()) -> ApiResult<Response> {
    if me.has_mfa() {
        return Err(ApiError::bad_request(ALREADY_ENABLED));
    }
    let secret = new_secret()?;
    let sealed = seal(&cx.config.secret_key, &me.id, &secret)?;
    let mut b = cx.db.batch();
    let stored = repo::enrol(&mut b, &me.id, &sealed, &now_iso())?;
    if b.run().await?.changes(stored)? == 0 {
        return Err(ApiError::bad_request(ALREADY_ENABLED)); // turned on meanwhile
    }
    let secret = super::totp::encode_secret(&secret);
    let otpauth_uri = otpauth_uri(&cx.config.email.project_name, &me.email, &secret);
    json_ok(&TotpEnrolment {
        secret,
        otpauth_uri,
    })
}

/// Verify TOTP: the pending secret's code turns MFA on; ten recovery codes, shown once.
pub(crate) async fn verify_totp(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<CodeBody>,
) -> ApiResult<Response> {
    let (Caller(me), r, pending) = gate.open_with(&cx.db, repo::totp).await?;
    let pending = r.first(pending)?;
    json_ok(&service::enable(&cx, &me, pending, &input.code).await?)
}

/// The caller, their TOTP row and whether `code` is one of their unused
/// recovery codes, in the caller's batch.
async fn me_with_factors(
    cx: &Ctx,
    gate: Gate<Caller>,
    code: &str,
) -> ApiResult<(service::Proof, UserRow)> {
    let hash = recovery_hash(&cx.config.secret_key, code);
    let (Caller(me), r, (totp, recovery)) = gate
        .open_with(&cx.db, |b, id| {
            Ok((repo::totp(b, id)?, repo::recovery_code(b, id, &hash)?))
        })
        .await?;
    let totp = r.first(totp)?;
    let unused = r.first(recovery)?.is_some_and(|u| u.unused == 1);
    Ok((proof_for(cx, &me, code, totp.as_ref(), unused)?, me))
}

/// Disable MFA with a code (TOTP or recovery); the user's other sessions end.
pub(crate) async fn disable_mfa(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<CodeBody>,
) -> ApiResult<Response> {
    let (proof, me) = me_with_factors(&cx, gate, &input.code).await?;
    service::disable(&cx, &me, proof).await?;
    message(MFA_DISABLED)
}

/// New recovery codes, with a code (TOTP or recovery); the old ones stop working.
pub(crate) async fn regenerate_recovery_codes(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<CodeBody>,
) -> ApiResult<Response> {
    let (proof, me) = me_with_factors(&cx, gate, &input.code).await?;
    json_ok(&service::regenerate(&cx, &me, proof).await?)
}

/// Reset a user's MFA (superusers): off, with their sessions ended (but the
/// caller's own).
pub(crate) async fn reset_user_mfa(
    cx: Ctx,
    gate: Gate<Superuser>,
    UserPath(id): UserPath,
) -> ApiResult<Response> {
    let (admin, r, user) = gate
        .open_with(&cx.db, |b, _| users::find_by_id(b, &id))
        .await?;
    let user = r
        .first(user)?
        .ok_or_else(|| ApiError::not_found(USER_NOT_FOUND))?;
    let mut b = cx.db.batch();
    let at = now_iso();
    let _ = repo::disable(&mut b, &user.id, &at)?;
    service::user_updated(&mut b, &cx, &admin.0.id, &user.id, &at)?;
    if user.has_mfa() {
        let _ = sessions::revoke_all(&mut b, &user.id, cx.session_id.as_deref(), now_secs())?;
    }
    b.run().await?;
    message(MFA_DISABLED)
}

/// Login MFA: the second step of a login, with the first step's `mfa_token`.
pub(crate) async fn login_mfa(
    cx: Ctx,
    _: Public,
    Json(input): Json<MfaLogin>,
) -> ApiResult<Response> {
    let client = client_of(&cx);
    let origin = crate::events::Origin::of(&cx);
    let (code, mfa_token) = (&input.code, &input.mfa_token);
    let token = service::second_step(&cx.db, &cx.config, mfa_token, code, client, origin);
    json_ok(&token.await?)
}
