//! The migration itself: one UPDATE per selected table, all in one D1 batch.

use crate::access::org::OrgSuperuser;
use crate::db::{Batch, DbResult, Write};

/// Moves `user_id`'s personal rows of each table into the organization,
/// stamping `updated_at`. One batch, so a failure anywhere moves nothing; one
/// statement per table, so it stays one batch however many rows move. The
/// handles count the rows each statement moved.
pub(crate) fn migrate_personal_resources(
    b: &mut Batch<'_>,
    org: &OrgSuperuser,
    user_id: &str,
    tables: &[&'static str],
    now: &str,
) -> DbResult<Vec<(&'static str, Write)>> {
    tables
        .iter()
        .map(|&table| {
            let moved = b.write(
                &format!(
                    "update {table} set organization_id = ?1, updated_at = ?3 \
                     where owner_id = ?2 and organization_id is null"
                ),
                &[org.org_id().into(), user_id.into(), now.into()],
            )?;
            Ok((table, moved))
        })
        .collect()
}
