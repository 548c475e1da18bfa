//! The migration itself: one UPDATE per selected table, all in one D1 batch.

use crate::access::org::{superuser_guard, OrgSuperuser};
use crate::db::{Batch, DbResult, Rows, Write};
use serde::Deserialize;

/// What held when the batch ran: the caller is still a superuser, the user
/// still a member. Every UPDATE repeats both conditions, so if either went
/// between the access check and the write, no row moves.
#[derive(Deserialize)]
pub(crate) struct Still {
    pub(crate) permitted: i64,
    pub(crate) user: i64,
    pub(crate) member: i64,
}

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
pub(crate) fn migrate_personal_resources(
    b: &mut Batch<'_>,
    org: &OrgSuperuser,
    user_id: &str,
    tables: &[&'static str],
    now: &str,
) -> DbResult<Migrated> {
    let guard = superuser_guard(4);
    let args = [
        org.org_id().into(),
        user_id.into(),
        now.into(),
        org.caller.id.as_str().into(),
    ];
    let still = b.query(
        &format!(
            "select ({guard}) as permitted, exists (select 1 from users where id = ?2) as user, \
             {MEMBER} as member, ?3 as at"
        ),
        &args,
    )?;
    let moved = tables
        .iter()
        .map(|&table| {
            let moved = b.write(
                &format!(
                    "update {table} set organization_id = ?1, updated_at = ?3 \
                     where owner_id = ?2 and organization_id is null and {guard} and {MEMBER}"
                ),
                &args,
            )?;
            Ok((table, moved))
        })
        .collect::<DbResult<_>>()?;
    Ok(Migrated { still, moved })
}
