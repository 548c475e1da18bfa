//! Single-use e-mail tokens (`email_tokens`): 32 random bytes handed out once,
//! only their SHA-256 kept. Using one is compare-and-swap: the first request
//! that marks it used (with its own mark) is the only one whose change applies.

use crate::clock::now_iso;
use crate::db::from_row;
use crate::db::{Batch, Counted, DbResult, Rows, Write};

pub(crate) use crate::secrets::{new_token, token_hash as hash};

/// Who a token is for: the user, the address it was sent to, and the user's
/// `token_version` then (a reset link is for that password only).
pub(crate) struct For<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) email: &'a str,
    pub(crate) token_version: Option<i64>,
}

pub(crate) fn insert(
    b: &mut Batch<'_>,
    hash: &str,
    purpose: &str,
    to: For<'_>,
    expires_at: i64,
) -> DbResult<Write> {
    insert_when(b, hash, purpose, to, expires_at, "", "")
}

/// As [`insert`]; with an `outbox_id`, only while that outbox row is still a
/// request (its kind starts with `request`), so the token exists only with
/// the message that carries it.
pub(crate) fn insert_when(
    b: &mut Batch<'_>,
    hash: &str,
    purpose: &str,
    to: For<'_>,
    expires_at: i64,
    outbox_id: &str,
    request: &str,
) -> DbResult<Write> {
    b.write(
        "insert into email_tokens (token_hash, purpose, user_id, email, expires_at, created_at, token_version) \
         select ?1, ?2, ?3, ?4, ?5, ?6, ?7 \
         where ?8 = '' or exists (select 1 from outbox where id = ?8 and kind like ?9 || '%')",
        &[
            hash.into(),
            purpose.into(),
            to.user_id.into(),
            to.email.into(),
            expires_at.into(),
            now_iso().as_str().into(),
            to.token_version.into(),
            outbox_id.into(),
            request.into(),
        ],
    )
}

/// A token with what its user looks like now.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) user_id: String,
    pub(crate) email: String,
    pub(crate) expires_at: i64,
    pub(crate) used_at: Option<i64>,
    pub(crate) user_email: String,
    pub(crate) is_active: i64,
    /// The user's `token_version` when the token was made (reset links).
    pub(crate) token_version: Option<i64>,
    pub(crate) user_token_version: i64,
}
from_row!(Held {
    user_id,
    email,
    expires_at,
    used_at,
    user_email,
    is_active,
    token_version,
    user_token_version
});

impl Held {
    /// Unused and unexpired at `now`.
    pub(crate) fn usable(&self, now: i64) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }

    /// The user still has the address and the password the token was made for.
    pub(crate) fn user_unchanged(&self) -> bool {
        self.email == self.user_email && self.token_version == Some(self.user_token_version)
    }
}

pub(crate) fn find(b: &mut Batch<'_>, hash: &str, purpose: &str) -> DbResult<Rows<Held>> {
    b.query(
        "select t.user_id, t.email, t.expires_at, t.used_at, u.email as user_email, u.is_active, \
         t.token_version, u.token_version as user_token_version from email_tokens t join users u on u.id = t.user_id where t.token_hash = ?1 and t.purpose = ?2",
        &[hash.into(), purpose.into()],
    )
}

/// Marks the token used by `mark` (unique to this request), if it still is
/// usable. A change that must happen only once goes with `exists ... used_by = mark`.
pub(crate) fn take(b: &mut Batch<'_>, hash: &str, mark: &str, now: i64) -> DbResult<Write> {
    b.write(
        "update email_tokens set used_at = ?3, used_by = ?2 \
         where token_hash = ?1 and used_at is null and expires_at > ?3",
        &[hash.into(), mark.into(), now.into()],
    )
}

/// SQL that holds once the token `?hash` was taken by `?mark` in this batch.
pub(crate) fn taken_by(hash: u8, mark: u8) -> String {
    format!("exists (select 1 from email_tokens where token_hash = ?{hash} and used_by = ?{mark})")
}

/// Deletes tokens past their expiry (the scheduled run).
pub(crate) fn prune(b: &mut Batch<'_>, now: i64) -> DbResult<Counted> {
    b.counted(
        "delete from email_tokens where expires_at <= ?1",
        &[now.into()],
    )
}

/// Sets `hashed` as `user_id`'s password if this request took the reset token
/// (`?hash`, `?mark`): the password-change rules follow (token version bumped,
/// so every token issued before stops working), and the address counts as
/// verified when the e-mail went to it.
pub(crate) fn reset_password(
    b: &mut Batch<'_>,
    hash: &str,
    mark: &str,
    user_id: &str,
    hashed: &str,
    now: i64,
    sent_to: &str,
) -> DbResult<Write> {
    b.write(
        &format!(
            "update users set hashed_password = ?3, password_changed_at = ?4, token_version = token_version + 1, \
             email_verified = case when email = ?5 then 1 else email_verified end, updated_at = ?6, version = version + 1 \
             where id = ?7 and {}",
            taken_by(1, 2)
        ),
        &[hash.into(), mark.into(), hashed.into(), now.into(), sent_to.into(), now_iso().as_str().into(), user_id.into()],
    )
}

/// Marks `user_id`'s address verified if it is still `email` and this request
/// took the verification token.
pub(crate) fn verify_address(
    b: &mut Batch<'_>,
    hash: &str,
    mark: &str,
    user_id: &str,
    email: &str,
) -> DbResult<Write> {
    b.write(
        &format!(
            "update users set email_verified = 1, version = version + 1 where id = ?3 and email = ?4 and {}",
            taken_by(1, 2)
        ),
        &[hash.into(), mark.into(), user_id.into(), email.into()],
    )
}
