//! `POST /organizations/{id}/migrate-resources` (origin: `api/routes/organizations.py`).

use super::models::{ResourceMigrationCounts, ResourceMigrationRequest, ResourceMigrationResponse};
use super::repo;
use crate::access::org::OrgSuperuser;
use crate::clock::now_iso;
use crate::db::Batch;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, Subject};
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Json, OrgPath};
use crate::http::{json_ok, Ctx};
use crate::memberships::models::NOT_MEMBER;
use worker::Response;

/// Migrate User Resources Endpoint: move a member's personal resources into the
/// organization, all selected types atomically (superusers only).
pub(crate) async fn migrate_user_resources_endpoint(
    cx: Ctx,
    access: OrgSuperuser,
    (_, key, Json(input)): (OrgPath, IdempotencyKey, Json<ResourceMigrationRequest>),
) -> ApiResult<Response> {
    let subject = access.subject()?;
    if !subject.is_member {
        return Err(ApiError::bad_request(NOT_MEMBER));
    }
    let org_id = access.org_id();
    let mut b = cx.db.batch();
    // With an Idempotency-Key, the answer is stored in this batch: the counts
    // only the batch knows are filled in by SQL after each table's statement.
    let template = response(ResourceMigrationCounts::default(), &subject.id, org_id);
    key.answer(&mut b, 200, &serde_json::to_vec(&template)?)?;
    let counted = |b: &mut Batch<'_>, table| key.fill(b, 200, &repo::count_sql(table), &[]);
    let migration = repo::migrate_personal_resources(
        &mut b,
        &access,
        &subject.id,
        &input.tables,
        &now_iso(),
        counted,
    )?;
    let whose = repo::whose(&subject.id, org_id);
    key.fill(&mut b, 200, repo::TOTAL_SQL, &[whose.as_str().into()])?;
    let data = serde_json::json!({ "user_id": subject.id, "resource_types": input.tables });
    let about = Subject::Given {
        kind: "user",
        id: &subject.id,
        data: data.to_string(),
    };
    let by = access.caller.by();
    events::log(&mut b, &cx, "resources.migrated", Some(org_id), by, about)?;
    let r = b.run().await?;
    r.first(migration.still)?
        .ok_or_else(|| ApiError::internal("migration conditions not read"))?
        .settle()?;
    let mut migrated_counts = ResourceMigrationCounts::default();
    for (table, write) in migration.moved {
        migrated_counts.set(table, r.changes(write)?);
    }
    json_ok(&response(migrated_counts, &subject.id, org_id))
}

/// The answer for `counts` of `user_id`'s rows moved into `org_id`.
fn response(
    migrated_counts: ResourceMigrationCounts,
    user_id: &str,
    org_id: &str,
) -> ResourceMigrationResponse {
    let total_migrated = migrated_counts.total();
    let whose = repo::whose(user_id, org_id);
    ResourceMigrationResponse {
        message: format!(
            "Migrated {total_migrated} personal resource{}{whose}",
            if total_migrated == 1 { "" } else { "s" },
        ),
        organization_id: org_id.to_string(),
        migrated_counts,
        total_migrated,
    }
}
