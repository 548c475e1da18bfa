//! The migration itself: one UPDATE per selected table, all in one D1 batch.

use crate::db::{changes, Db};
use crate::error::ApiResult;

/// Moves `user_id`'s personal rows of each table into `org_id`, stamping
/// `updated_at`. One batch, so a failure anywhere moves nothing; one statement
/// per table, so it stays one batch however many rows move. Returns the rows
/// D1 reports each statement changed.
pub async fn migrate_personal_resources(
    db: &Db,
    org_id: &str,
    user_id: &str,
    tables: &[&'static str],
    now: &str,
) -> ApiResult<Vec<(&'static str, u64)>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let stmts = tables
        .iter()
        .map(|table| {
            db.stmt(
                &format!(
                    "update {table} set organization_id = ?1, updated_at = ?3 \
                     where owner_id = ?2 and organization_id is null"
                ),
                &[org_id.into(), user_id.into(), now.into()],
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results = db.batch(stmts).await?;
    Ok(tables
        .iter()
        .copied()
        .zip(results.iter().map(changes))
        .collect())
}
