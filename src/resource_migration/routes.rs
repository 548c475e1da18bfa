//! `POST /organizations/{id}/migrate-resources` (origin: `api/routes/organizations.py`).

use super::models::{ResourceMigrationCounts, ResourceMigrationRequest, ResourceMigrationResponse};
use super::repo;
use crate::app::{json_ok, now_iso, Ctx};
use crate::auth::current_user::token_claims;
use crate::error::{ApiError, ApiResult};
use crate::memberships::access::OrgAccess;
use crate::validation::{checked, Validator};
use worker::Response;

/// Migrate User Resources Endpoint: move a member's personal resources into the
/// organization, all selected types atomically (superusers only).
pub async fn migrate_user_resources_endpoint(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let input = cx.parse_body(&mut v, ResourceMigrationRequest::parse)?;
    let user_id = input.as_ref().map(|i| i.user_id);
    let access = OrgAccess::authorize(&cx, claims, v, org_id, user_id, true).await?;
    let input = checked(input)?;
    let subject = access.subject()?;
    if !subject.is_member {
        return Err(ApiError::bad_request(
            "User is not a member of this organization",
        ));
    }
    let moved = repo::migrate_personal_resources(
        &cx.db,
        &access.org.id,
        &subject.id,
        &input.tables,
        &now_iso(),
    )
    .await?;
    let mut migrated_counts = ResourceMigrationCounts::default();
    for (table, n) in &moved {
        migrated_counts.set(table, *n);
    }
    let total_migrated: u64 = moved.iter().map(|(_, n)| n).sum();
    json_ok(&ResourceMigrationResponse {
        message: format!(
            "Migrated {total_migrated} personal resource{} of user {} to organization {}",
            if total_migrated == 1 { "" } else { "s" },
            subject.id,
            access.org.id
        ),
        organization_id: access.org.id.clone(),
        migrated_counts,
        total_migrated,
    })
}
