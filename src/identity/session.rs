//! The `sessions` row, and the read of it that the caller's check makes.

use super::user::UserRow;
use crate::db::{Batch, DbResult, FromRow, Row, Rows};

/// A session's columns, named `s_*`: so they read beside a user's in one row.
/// What the caller's check needs of a session (its list is assembled in SQL:
/// `sessions::repo`).
pub(crate) const SESSION_COLUMNS: &str = "id as s_id, user_id as s_user_id, \
     expires_at as s_expires_at, revoked_at as s_revoked_at";

/// A `sessions` row, as the caller's check reads it.
#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub(crate) user_id: String,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
}

impl FromRow for SessionRow {
    fn from_row(row: &Row<'_>) -> DbResult<Self> {
        row.finish(SessionRow {
            user_id: row.get("s_user_id"),
            expires_at: row.get("s_expires_at"),
            revoked_at: row.get("s_revoked_at"),
        })
    }
}

impl SessionRow {
    /// Neither revoked nor expired at `now`, and `user_id`'s.
    pub(crate) fn is_live_for(&self, user_id: &str, now: i64) -> bool {
        self.user_id == user_id && self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A token's caller, read in one statement: the user row and, if the token
/// names a session, that session (`None` when it is gone).
pub(crate) struct CallerRow {
    pub(crate) user: UserRow,
    pub(crate) session: Option<SessionRow>,
}

impl FromRow for CallerRow {
    fn from_row(row: &Row<'_>) -> DbResult<Self> {
        let user = UserRow::from_row(row)?;
        let session = match row.get::<Option<String>>("s_id") {
            None => None,
            Some(_) => Some(SessionRow::from_row(row)?),
        };
        Ok(CallerRow { user, session })
    }
}

/// The user `user_id` and the session `session_id` (null for a token from
/// before sessions) as one statement: one row if the user exists.
pub(crate) fn find_caller(
    b: &mut Batch<'_>,
    user_id: &str,
    session_id: Option<&str>,
) -> DbResult<Rows<CallerRow>> {
    b.lead(
        format!(
            "select u.id, u.email, u.hashed_password, u.full_name, u.is_active, u.is_superuser, \
             u.rework_available, u.password_changed_at, u.token_version, u.email_verified, \
             u.mfa_enabled, u.created_at, u.updated_at, u.version, s.* from users u \
             left join (select {SESSION_COLUMNS} from sessions where id = ?2) s where u.id = ?1"
        ),
        &[user_id.into(), session_id.into()],
    )
}
