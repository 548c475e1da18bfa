//! The migration itself: one UPDATE per selected table, all in one D1 batch.

use crate::access::org::{settle_superuser_write, superuser_guard, OrgSuperuser};
use crate::db::from_row;
use crate::db::{Batch, DbResult, Rows, Write};
use crate::error::{ApiError, ApiResult};
use crate::memberships::models::NOT_MEMBER;
use crate::messages::USER_NOT_FOUND;

/// What held when the batch ran: the caller is still a superuser, the user
/// still a member. Every UPDATE repeats both conditions, so if either went
/// between the access check and the write, no row moves.
pub(crate) struct Still {
    pub(crate) permitted: i64,
    pub(crate) user: i64,
    pub(crate) member: i64,
}
impl Still {
    /// Whether the rows moved: the caller stopped being a superuser (403), the
    /// user was deleted (404) or left the organization (400) meanwhile.
    pub(crate) fn settle(&self) -> ApiResult<()> {
        settle_superuser_write(self.permitted != 0)?;
        if self.user == 0 {
            return Err(ApiError::not_found(USER_NOT_FOUND));
        }
        if self.member == 0 {
            return Err(ApiError::bad_request(NOT_MEMBER));
        }
        Ok(())
    }
}

from_row!(Still {
    permitted,
    user,
    member
});

/// The handles of a migration: the conditions, and the rows each table moved.
pub(crate) struct Migrated {
    pub(crate) still: Rows<Still>,
    pub(crate) moved: Vec<(&'static str, Write)>,
}

const MEMBER: &str =
    "exists (select 1 from organization_members where organization_id = ?1 and user_id = ?2)";

/// Moves `user_id`'s personal rows of each table into the organization,
/// stamping `updated_at`. One batch, so a failure anywhere moves nothing; one
/// statement per table, so it stays one batch however many rows move.
/// `moved` pushes what must follow each table's statement (SQL's `changes()`
/// is then that table's count).
pub(crate) fn migrate_personal_resources(
    b: &mut Batch<'_>,
    org: &OrgSuperuser,
    user_id: &str,
    tables: &[&'static str],
    now: &str,
    mut moved: impl FnMut(&mut Batch<'_>, &'static str) -> DbResult<()>,
) -> DbResult<Migrated> {
    let guard = superuser_guard(4);
    let args = [
        org.org_id().into(),
        user_id.into(),
        now.into(),
        org.caller.id().into(),
    ];
    let still = b.query(
        &format!(
            "select ({guard}) as permitted, exists (select 1 from users where id = ?2) as user, \
             {MEMBER} as member, ?3 as at"
        ),
        &args,
    )?;
    let then = &mut moved;
    let moved = tables
        .iter()
        .map(|&table| {
            let write = b.write(
                &format!(
                    "update {table} set organization_id = ?1, updated_at = ?3 \
                     where owner_id = ?2 and organization_id is null and {guard} and {MEMBER}"
                ),
                &args,
            )?;
            then(b, table)?;
            Ok((table, write))
        })
        .collect::<DbResult<_>>()?;
    Ok(Migrated { still, moved })
}

/// The end of the answer's message: whose rows moved where.
pub(crate) fn whose(user_id: &str, org_id: &str) -> String {
    format!(" of user {user_id} to organization {org_id}")
}

/// SQL over a stored answer (`body`, a `ResourceMigrationResponse`), right
/// after `table`'s statement: its count is that statement's `changes()`.
pub(crate) fn count_sql(table: &str) -> String {
    format!("json_set(body, '$.migrated_counts.{table}', changes())")
}

/// SQL over a stored answer whose counts are filled in: the total, and the
/// message with it (`?4`: [`whose`]), worded as the handler words it.
pub(crate) const TOTAL_SQL: &str = "json_set(body, \
     '$.total_migrated', (select coalesce(sum(value), 0) from json_each(body, '$.migrated_counts')), \
     '$.message', 'Migrated ' || (select coalesce(sum(value), 0) from json_each(body, '$.migrated_counts')) \
     || ' personal resource' \
     || case (select coalesce(sum(value), 0) from json_each(body, '$.migrated_counts')) when 1 then '' else 's' end \
     || ?4)";
