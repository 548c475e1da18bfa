//! The `sessions` row, and the read of it that the caller's check makes.

use crate::db::from_row;
use crate::db::{Batch, DbResult, Rows};

pub(crate) const SESSION_COLUMNS: &str =
    "id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip_address";

/// A `sessions` row.
#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) created_at: String,
    pub(crate) last_used_at: String,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
    pub(crate) user_agent: Option<String>,
    pub(crate) ip_address: Option<String>,
}
from_row!(SessionRow {
    id,
    user_id,
    created_at,
    last_used_at,
    expires_at,
    revoked_at,
    user_agent,
    ip_address
});

impl SessionRow {
    /// Neither revoked nor expired at `now`, and `user_id`'s.
    pub(crate) fn is_live_for(&self, user_id: &str, now: i64) -> bool {
        self.user_id == user_id && self.revoked_at.is_none() && self.expires_at > now
    }
}

pub(crate) fn find(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<SessionRow>> {
    b.query(
        &format!("select {SESSION_COLUMNS} from sessions where id = ?1"),
        &[id.into()],
    )
}
