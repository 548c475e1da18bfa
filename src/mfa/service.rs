//! What the MFA operations do, apart from their handlers: which factor a code
//! is, spending it inside the write's batch, and the second step of a login.

use super::models::RecoveryCodes;
use super::repo::{self, Challenge, NewChallenge, TotpRow};
use super::{
    open, recovery_hash, totp, ALREADY_ENABLED, INVALID_CODE, INVALID_MFA_TOKEN,
    MFA_TOKEN_ATTEMPTS, MFA_TOKEN_SECONDS, NOT_ENABLED, NOT_ENROLLED,
};
use crate::clock::{now_iso, now_secs};
use crate::config::Config;
use crate::db::{Batch, Db, DbError, DbResult};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::identity::user::UserRow;
use crate::messages::INACTIVE_USER;
use crate::sessions::repo as sessions;
use crate::sessions::service::{self as session, Token};

/// What a right code spends: a TOTP step of the enabled secret, or a recovery code.
pub(crate) enum Proof {
    Step { sealed: String, step: i64 },
    Recovery { hash: String },
}

/// Which of the user's factors `code` is, if it is right now: a TOTP code of
/// the enabled secret within a step of now and later than the last accepted
/// one, or (when `recovery_unused`) one of their unused recovery codes.
pub(crate) fn prove(
    secret_key: &str,
    user_id: &str,
    code: &str,
    totp_row: Option<&TotpRow>,
    recovery_unused: bool,
    now: i64,
) -> Option<Proof> {
    if totp::is_totp_code(code) {
        let row = totp_row.filter(|t| t.enabled == 1)?;
        let secret = open(secret_key, user_id, &row.sealed_secret)?;
        let step = totp::matching_step(&secret, code, totp::step_at(now), row.last_step)?;
        return Some(Proof::Step {
            sealed: row.sealed_secret.clone(),
            step,
        });
    }
    recovery_unused.then(|| Proof::Recovery {
        hash: recovery_hash(secret_key, code),
    })
}

/// Spends `proof` in `b`: what is pushed after it commits only if this
/// request was the one that spent it (a concurrent use rolls the batch back).
pub(crate) fn spend(b: &mut Batch<'_>, user_id: &str, proof: &Proof, now: i64) -> DbResult<()> {
    let _ = match proof {
        Proof::Step { sealed, step } => repo::use_step(b, user_id, sealed, *step)?,
        Proof::Recovery { hash } => repo::use_recovery_code(b, user_id, hash, now)?,
    };
    b.require("changes() = 1", &[])
}

/// A batch whose code was spent by another request first: `400 Invalid code`.
fn code_taken(e: DbError) -> ApiError {
    match e {
        DbError::Precondition => ApiError::bad_request(INVALID_CODE),
        other => other.into(),
    }
}

/// The code of an operation on one's own MFA (disable, new recovery codes):
/// MFA must be on, and the code right.
pub(crate) fn proof_for(
    cx: &Ctx,
    me: &UserRow,
    code: &str,
    totp_row: Option<&TotpRow>,
    recovery_unused: bool,
) -> ApiResult<Proof> {
    if !me.has_mfa() {
        return Err(ApiError::bad_request(NOT_ENABLED));
    }
    let key = &cx.config.secret_key;
    prove(key, &me.id, code, totp_row, recovery_unused, now_secs())
        .ok_or_else(|| ApiError::bad_request(INVALID_CODE))
}

/// Verify: the pending secret's code turns MFA on, with ten recovery codes;
/// the user's other sessions end. One batch.
pub(crate) async fn enable(
    cx: &Ctx,
    me: &UserRow,
    pending: Option<TotpRow>,
    code: &str,
) -> ApiResult<RecoveryCodes> {
    if me.has_mfa() {
        return Err(ApiError::bad_request(ALREADY_ENABLED));
    }
    let key = &cx.config.secret_key;
    let pending = pending
        .filter(|t| t.enabled == 0)
        .ok_or_else(|| ApiError::bad_request(NOT_ENROLLED))?;
    let secret = open(key, &me.id, &pending.sealed_secret)
        .ok_or_else(|| ApiError::bad_request(NOT_ENROLLED))?;
    let now = now_secs();
    let step = totp::is_totp_code(code)
        .then(|| totp::matching_step(&secret, code, totp::step_at(now), pending.last_step))
        .flatten()
        .ok_or_else(|| ApiError::bad_request(INVALID_CODE))?;
    let (codes, hashes) = super::new_recovery_codes(key)?;
    let mut b = cx.db.batch();
    let _ = repo::enable(&mut b, &me.id, &pending.sealed_secret, step)?;
    b.require("changes() = 1", &[])?;
    let at = now_iso();
    let _ = repo::set_enabled(&mut b, &me.id, true, &at)?;
    user_updated(&mut b, cx, &me.id, &me.id, &at)?;
    repo::replace_recovery_codes(&mut b, &me.id, &serde_json::to_string(&hashes)?)?;
    let _ = sessions::revoke_all(&mut b, &me.id, cx.session_id.as_deref(), now)?;
    b.run().await.map_err(code_taken)?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Disable: spends the code; the secret and the codes go; other sessions end.
pub(crate) async fn disable(cx: &Ctx, me: &UserRow, proof: Proof) -> ApiResult<()> {
    let now = now_secs();
    let mut b = cx.db.batch();
    spend(&mut b, &me.id, &proof, now)?;
    let at = now_iso();
    let _ = repo::disable(&mut b, &me.id, &at)?;
    user_updated(&mut b, cx, &me.id, &me.id, &at)?;
    let _ = sessions::revoke_all(&mut b, &me.id, cx.session_id.as_deref(), now)?;
    b.run().await.map_err(code_taken)?;
    Ok(())
}

/// `user.updated` for `user` by `by`, if MFA changed at `at` in this batch.
pub(crate) fn user_updated(
    b: &mut crate::db::Batch<'_>,
    cx: &Ctx,
    by: &str,
    user: &str,
    at: &str,
) -> crate::db::DbResult<()> {
    use crate::events::{self, By, Subject};
    let (kind, about, applied) = ("user.updated", Subject::User(user), "updated_at = ?20");
    events::log_if(b, cx, kind, None, By::user(by), about, applied, at.into())
}

/// New recovery codes: spends the code; the old ones stop working.
pub(crate) async fn regenerate(cx: &Ctx, me: &UserRow, proof: Proof) -> ApiResult<RecoveryCodes> {
    let (codes, hashes) = super::new_recovery_codes(&cx.config.secret_key)?;
    let mut b = cx.db.batch();
    spend(&mut b, &me.id, &proof, now_secs())?;
    repo::replace_recovery_codes(&mut b, &me.id, &serde_json::to_string(&hashes)?)?;
    b.run().await.map_err(code_taken)?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Login's first step for a user with MFA: the challenge the `mfa_token`
/// names, for the login's second batch. Returns the token to hand out.
pub(crate) fn challenge(
    b: &mut Batch<'_>,
    user: &UserRow,
    client: &(Option<String>, Option<String>),
    limit_key: &str,
    now: i64,
) -> ApiResult<String> {
    let (token, hash) = crate::secrets::new_token()?;
    let _ = repo::create_challenge(
        b,
        &NewChallenge {
            token_hash: &hash,
            user_id: &user.id,
            ip_address: client.1.as_deref(),
            user_agent: client.0.as_deref(),
            limit_key,
            token_version: user.token_version,
            expires_at: now + MFA_TOKEN_SECONDS,
        },
    )?;
    Ok(token)
}

/// Whether the challenge can still be answered by this client: unused, alive,
/// with tries left, from the login's address, for the password and the MFA
/// of the login, and the user active.
fn usable(c: &Challenge, ip: Option<&str>, now: i64) -> ApiResult<()> {
    let alive = c.used_at.is_none() && c.expires_at > now && c.attempts < MFA_TOKEN_ATTEMPTS;
    let same = c.ip_address.as_deref() == ip && c.token_version == c.user_token_version;
    if !alive || !same || c.mfa_enabled == 0 {
        return Err(ApiError::bad_request(INVALID_MFA_TOKEN));
    }
    if c.is_active == 0 {
        return Err(ApiError::bad_request(INACTIVE_USER));
    }
    Ok(())
}

/// `POST /login/mfa`: the `mfa_token` and a code (TOTP or recovery) give the
/// login's answer. A wrong code counts against the token (five end it) and as
/// a failed login of the address. One read, one write; no password hashed.
pub(crate) async fn second_step(
    db: &Db,
    config: &Config,
    mfa_token: &str,
    code: &str,
    client: (Option<String>, Option<String>),
    origin: crate::events::Origin<'_>,
) -> ApiResult<Token> {
    let now = now_secs();
    let token_hash = crate::secrets::token_hash(mfa_token);
    let mut b = db.batch();
    let found = repo::challenge(
        &mut b,
        &token_hash,
        &recovery_hash(&config.secret_key, code),
    )?;
    let c = b
        .run()
        .await?
        .first(found)?
        .ok_or_else(|| ApiError::bad_request(INVALID_MFA_TOKEN))?;
    usable(&c, client.1.as_deref(), now)?;
    let totp_row = c.sealed_secret.clone().map(|sealed_secret| TotpRow {
        sealed_secret,
        enabled: 1,
        last_step: c.last_step,
    });
    let unused = c.recovery_unused.is_some();
    let key = &config.secret_key;
    let mut b = db.batch();
    let Some(proof) = prove(key, &c.user_id, code, totp_row.as_ref(), unused, now) else {
        let _ = repo::count_wrong_code(&mut b, &token_hash)?;
        crate::rate_limits::record(&mut b, &c.limit_key, now)?;
        b.run().await?;
        return Err(ApiError::bad_request(INVALID_CODE));
    };
    let _ = repo::use_challenge(&mut b, &token_hash, now)?;
    b.require("changes() = 1", &[])?;
    spend(&mut b, &c.user_id, &proof, now)?;
    let (session, refresh) = session::start(
        &mut b,
        &origin,
        client,
        &c.user_id,
        config.refresh_token_expire_days,
    )?;
    b.run().await.map_err(code_taken)?;
    let id = uuid::Uuid::parse_str(&c.user_id)
        .map_err(|e| ApiError::internal(format!("stored id: {e}")))?;
    session::issue(
        config,
        &id,
        c.user_token_version,
        &session,
        refresh,
        now,
        None,
    )
    .await
}
