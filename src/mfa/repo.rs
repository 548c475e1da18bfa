//! SQL for `mfa_totp`, `mfa_recovery_codes` and `mfa_challenges`, and the
//! `users.mfa_enabled` flag. A code is spent by a compare-and-swap; the batch
//! that spends it then requires that it changed a row (`Batch::require`), so
//! the rest of the batch (a session, new recovery codes) commits only with it.

use crate::db::from_row;
use crate::db::{Batch, Counted, DbResult, Rows, Write};

/// A user's TOTP row.
pub(crate) struct TotpRow {
    pub(crate) sealed_secret: String,
    pub(crate) enabled: i64,
    pub(crate) last_step: Option<i64>,
}
from_row!(TotpRow {
    sealed_secret,
    enabled,
    last_step
});

pub(crate) fn totp(b: &mut Batch<'_>, user_id: &str) -> DbResult<Rows<TotpRow>> {
    b.query(
        "select sealed_secret, enabled, last_step from mfa_totp where user_id = ?1",
        &[user_id.into()],
    )
}

/// An unused recovery code of the user's.
pub(crate) struct Unused {
    pub(crate) unused: i64,
}
from_row!(Unused { unused });

pub(crate) fn recovery_code(
    b: &mut Batch<'_>,
    user_id: &str,
    hash: &str,
) -> DbResult<Rows<Unused>> {
    b.query(
        "select 1 as unused from mfa_recovery_codes where user_id = ?1 and code_hash = ?2 and used_at is null",
        &[user_id.into(), hash.into()],
    )
}

/// A new pending secret, replacing a pending one; nothing while MFA is on.
pub(crate) fn enrol(b: &mut Batch<'_>, user_id: &str, sealed: &str, now: &str) -> DbResult<Write> {
    b.write(
        "insert into mfa_totp (user_id, sealed_secret, enabled, last_step, created_at) \
         select ?1, ?2, 0, null, ?3 where not exists (select 1 from users where id = ?1 and mfa_enabled = 1) \
         on conflict (user_id) do update set sealed_secret = excluded.sealed_secret, last_step = null, \
         created_at = excluded.created_at where mfa_totp.enabled = 0",
        &[user_id.into(), sealed.into(), now.into()],
    )
}

/// Turns the pending secret `sealed` on at `step`, if it is still the pending one.
pub(crate) fn enable(b: &mut Batch<'_>, user_id: &str, sealed: &str, step: i64) -> DbResult<Write> {
    b.write(
        "update mfa_totp set enabled = 1, last_step = ?3 \
         where user_id = ?1 and enabled = 0 and sealed_secret = ?2 and (last_step is null or last_step < ?3)",
        &[user_id.into(), sealed.into(), step.into()],
    )
}

/// Spends the code of `step` of the enabled secret `sealed`: a later step than
/// any accepted before.
pub(crate) fn use_step(
    b: &mut Batch<'_>,
    user_id: &str,
    sealed: &str,
    step: i64,
) -> DbResult<Write> {
    b.write(
        "update mfa_totp set last_step = ?3 \
         where user_id = ?1 and enabled = 1 and sealed_secret = ?2 and (last_step is null or last_step < ?3)",
        &[user_id.into(), sealed.into(), step.into()],
    )
}

/// Spends a recovery code.
pub(crate) fn use_recovery_code(
    b: &mut Batch<'_>,
    user_id: &str,
    hash: &str,
    now: i64,
) -> DbResult<Write> {
    b.write(
        "update mfa_recovery_codes set used_at = ?3 where user_id = ?1 and code_hash = ?2 and used_at is null",
        &[user_id.into(), hash.into(), now.into()],
    )
}

/// The user's recovery codes become `hashes` (a JSON array); the old ones go.
pub(crate) fn replace_recovery_codes(
    b: &mut Batch<'_>,
    user_id: &str,
    hashes: &str,
) -> DbResult<()> {
    let _ = b.write(
        "delete from mfa_recovery_codes where user_id = ?1",
        &[user_id.into()],
    )?;
    let _ = b.write(
        "insert into mfa_recovery_codes (user_id, code_hash) select ?1, value from json_each(?2)",
        &[user_id.into(), hashes.into()],
    )?;
    Ok(())
}

/// Sets `users.mfa_enabled` (a change the API shows: the version moves).
pub(crate) fn set_enabled(
    b: &mut Batch<'_>,
    user_id: &str,
    on: bool,
    now: &str,
) -> DbResult<Write> {
    b.write(
        "update users set mfa_enabled = ?2, updated_at = ?3, version = version + 1 \
         where id = ?1 and mfa_enabled <> ?2",
        &[user_id.into(), on.into(), now.into()],
    )
}

/// Turns MFA off: the secret, the recovery codes and pending challenges go.
pub(crate) fn disable(b: &mut Batch<'_>, user_id: &str, now: &str) -> DbResult<Write> {
    for table in ["mfa_totp", "mfa_recovery_codes", "mfa_challenges"] {
        let _ = b.write(
            &format!("delete from {table} where user_id = ?1"),
            &[user_id.into()],
        )?;
    }
    set_enabled(b, user_id, false, now)
}

/// A login's second step waiting for its code.
pub(crate) struct NewChallenge<'a> {
    pub(crate) token_hash: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) ip_address: Option<&'a str>,
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) limit_key: &'a str,
    pub(crate) token_version: i64,
    pub(crate) expires_at: i64,
}

pub(crate) fn create_challenge(b: &mut Batch<'_>, c: &NewChallenge<'_>) -> DbResult<Write> {
    b.write(
        "insert into mfa_challenges (token_hash, user_id, ip_address, user_agent, limit_key, token_version, expires_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            c.token_hash.into(),
            c.user_id.into(),
            c.ip_address.into(),
            c.user_agent.into(),
            c.limit_key.into(),
            c.token_version.into(),
            c.expires_at.into(),
        ],
    )
}

/// A challenge with what its second step checks of the user, in one statement.
pub(crate) struct Challenge {
    pub(crate) user_id: String,
    pub(crate) ip_address: Option<String>,
    pub(crate) limit_key: String,
    pub(crate) token_version: i64,
    pub(crate) expires_at: i64,
    pub(crate) attempts: i64,
    pub(crate) used_at: Option<i64>,
    pub(crate) user_token_version: i64,
    pub(crate) is_active: i64,
    pub(crate) mfa_enabled: i64,
    pub(crate) sealed_secret: Option<String>,
    pub(crate) last_step: Option<i64>,
    /// 1 if the code is an unused recovery code of the user's.
    pub(crate) recovery_unused: Option<i64>,
}
from_row!(Challenge {
    user_id,
    ip_address,
    limit_key,
    token_version,
    expires_at,
    attempts,
    used_at,
    user_token_version,
    is_active,
    mfa_enabled,
    sealed_secret,
    last_step,
    recovery_unused
});

/// The challenge `token_hash`, its user, their enabled secret, and whether
/// `recovery_hash` is one of their unused recovery codes.
pub(crate) fn challenge(
    b: &mut Batch<'_>,
    token_hash: &str,
    recovery_hash: &str,
) -> DbResult<Rows<Challenge>> {
    b.query(
        "select c.user_id, c.ip_address, c.limit_key, c.token_version, c.expires_at, \
         c.attempts, c.used_at, u.token_version as user_token_version, u.is_active, u.mfa_enabled, \
         t.sealed_secret, t.last_step, \
         (select 1 from mfa_recovery_codes r where r.user_id = c.user_id and r.code_hash = ?2 \
           and r.used_at is null) as recovery_unused \
         from mfa_challenges c join users u on u.id = c.user_id \
         left join mfa_totp t on t.user_id = c.user_id and t.enabled = 1 \
         where c.token_hash = ?1",
        &[token_hash.into(), recovery_hash.into()],
    )
}

/// Spends the challenge: unused, alive and with tries left.
pub(crate) fn use_challenge(b: &mut Batch<'_>, token_hash: &str, now: i64) -> DbResult<Write> {
    b.write(
        "update mfa_challenges set used_at = ?2 where token_hash = ?1 and used_at is null \
         and expires_at > ?2 and attempts < ?3",
        &[
            token_hash.into(),
            now.into(),
            super::MFA_TOKEN_ATTEMPTS.into(),
        ],
    )
}

/// Counts a wrong code against the challenge.
pub(crate) fn count_wrong_code(b: &mut Batch<'_>, token_hash: &str) -> DbResult<Write> {
    b.write(
        "update mfa_challenges set attempts = attempts + 1 where token_hash = ?1 and used_at is null",
        &[token_hash.into()],
    )
}

/// Deletes challenges past their expiry: the scheduled run.
pub(crate) fn prune(b: &mut Batch<'_>, now: i64) -> DbResult<Counted> {
    b.counted(
        "delete from mfa_challenges where expires_at <= ?1",
        &[now.into()],
    )
}
