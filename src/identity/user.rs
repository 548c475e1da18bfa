//! The `users` row, and the reads of it that the caller's check makes.

use crate::db::from_row;
use crate::db::{Batch, DbResult, Rows};

/// A `users` row as D1 returns it (flags are 0/1 integers).
#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) hashed_password: String,
    pub(crate) full_name: Option<String>,
    pub(crate) is_active: i64,
    pub(crate) is_superuser: i64,
    pub(crate) rework_available: i64,
    /// Unix seconds of the last password change; older tokens are refused.
    pub(crate) password_changed_at: i64,
    /// Bumped by every password change; tokens of another version are refused.
    pub(crate) token_version: i64,
    /// 1 once the user followed a verification link (existing users: 1).
    pub(crate) email_verified: i64,
    /// 1 once a TOTP code verified the user's authenticator (extensions M).
    pub(crate) mfa_enabled: i64,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    /// Raised by every write that changes what the API shows; in the ETag.
    pub(crate) version: i64,
}
from_row!(UserRow {
    id,
    email,
    hashed_password,
    full_name,
    is_active,
    is_superuser,
    rework_available,
    password_changed_at,
    token_version,
    email_verified,
    mfa_enabled,
    created_at,
    updated_at,
    version
});

impl UserRow {
    pub(crate) fn is_active(&self) -> bool {
        self.is_active != 0
    }
    pub(crate) fn is_superuser(&self) -> bool {
        self.is_superuser != 0
    }
    pub(crate) fn is_email_verified(&self) -> bool {
        self.email_verified != 0
    }
    pub(crate) fn has_mfa(&self) -> bool {
        self.mfa_enabled != 0
    }
}

pub(crate) const USER_COLUMNS: &str = "id, email, hashed_password, full_name, is_active, is_superuser, \
                            rework_available, password_changed_at, token_version, email_verified, mfa_enabled, created_at, updated_at, \
                            version";

/// The user an operation names, as its answers show them.
pub(crate) struct Named {
    pub(crate) email: String,
    pub(crate) full_name: Option<String>,
}
from_row!(Named { email, full_name });

pub(crate) fn find_by_id(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<UserRow>> {
    b.query(
        &format!("select {USER_COLUMNS} from users where id = ?1"),
        &[id.into()],
    )
}

/// The user whose folded address ([`Email::key`](crate::validation::email::Email::key)) is `email_key`.
pub(crate) fn find_by_email(b: &mut Batch<'_>, email_key: &str) -> DbResult<Rows<UserRow>> {
    b.query(
        &format!("select {USER_COLUMNS} from users where email_key = ?1"),
        &[email_key.into()],
    )
}

/// The user `id`, if it exists, with what an answer shows of them.
pub(crate) fn named(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<Named>> {
    b.query(
        "select email, full_name from users where id = ?1",
        &[id.into()],
    )
}
