//! `POST /organizations/{id}/migrate-resources` (origin: `api/routes/organizations.py`).

use super::models::{ResourceMigrationCounts, ResourceMigrationRequest, ResourceMigrationResponse};
use super::repo;
use crate::access::org::OrgSuperuser;
use crate::auth::current_user::NOT_ENOUGH_PRIVILEGES;
use crate::clock::now_iso;
use crate::error::{ApiError, ApiResult};
use crate::http::input::{Json, OrgPath};
use crate::http::{json_ok, Ctx};
use worker::Response;

const NOT_MEMBER: &str = "User is not a member of this organization";

/// Migrate User Resources Endpoint: move a member's personal resources into the
/// organization, all selected types atomically (superusers only).
pub(crate) async fn migrate_user_resources_endpoint(
    cx: Ctx,
    access: OrgSuperuser,
    (_, Json(input)): (OrgPath, Json<ResourceMigrationRequest>),
) -> ApiResult<Response> {
    let subject = access.subject()?;
    if !subject.is_member {
        return Err(ApiError::bad_request(NOT_MEMBER));
    }
    let mut b = cx.db.batch();
    let migration =
        repo::migrate_personal_resources(&mut b, &access, &subject.id, &input.tables, &now_iso())?;
    let r = b.run().await?;
    let still = r
        .first(migration.still)?
        .ok_or_else(|| ApiError::internal("migration conditions not read"))?;
    if still.permitted == 0 {
        return Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES));
    }
    if still.user == 0 {
        return Err(ApiError::not_found("User not found")); // deleted meanwhile
    }
    if still.member == 0 {
        return Err(ApiError::bad_request(NOT_MEMBER));
    }
    let mut migrated_counts = ResourceMigrationCounts::default();
    for (table, write) in migration.moved {
        migrated_counts.set(table, r.changes(write)?);
    }
    let total_migrated = migrated_counts.total();
    json_ok(&ResourceMigrationResponse {
        message: format!(
            "Migrated {total_migrated} personal resource{} of user {} to organization {}",
            if total_migrated == 1 { "" } else { "s" },
            subject.id,
            access.org_id()
        ),
        organization_id: access.org_id().to_string(),
        migrated_counts,
        total_migrated,
    })
}
