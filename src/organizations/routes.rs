//! `/organizations` (origin: `api/routes/organizations.py`).

use super::media::MediaResource;
use super::models::{
    OrganizationCreate, OrganizationPublic, OrganizationUpdate, OrganizationsPublic,
    DEFAULT_REWORK_AVAILABLE,
};
use super::repo::{self, NewOrganization, OrganizationChanges, UpdateOutcome};
use crate::app::{json_ok, now_iso, Ctx};
use crate::auth::current_user::{
    authorize_with, current_user, token_claims, NOT_ENOUGH_PRIVILEGES,
};
use crate::error::{ApiError, ApiResult};
use crate::memberships::access::OrgAccess;
use crate::users::models::Message;
use crate::validation::{checked, Validator};
use uuid::Uuid;
use worker::Response;

const NEW_OWNER_NOT_MEMBER: &str = "The new owner must be a member of the organization";

fn new_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

/// Create Organization: the caller becomes its owner and first member.
pub async fn create_organization(cx: Ctx) -> ApiResult<Response> {
    let me = current_user(&cx).await?;
    let input = cx.body(OrganizationCreate::parse)?;
    if input.rework_available.is_some() && !me.is_superuser() {
        return Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES));
    }
    let now = now_iso();
    let avatar = MediaResource::from_input(&input.avatar, new_id(), &now);
    let id = new_id();
    let org = NewOrganization {
        id: &id,
        name: &input.name,
        description: input.description.as_deref(),
        rework_available: input.rework_available.unwrap_or(DEFAULT_REWORK_AVAILABLE),
        owner_id: &me.id,
        now: &now,
    };
    let row = repo::create_organization(&cx.db, &org, &avatar).await?;
    json_ok(&OrganizationPublic::from(row))
}

/// Read Organizations: members see their organizations, superusers all.
/// One D1 round trip: the caller and the page are read together.
pub async fn read_organizations(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let page = cx.page(&mut v);
    let search = cx.search();
    let caller_id = claims.user_id.hyphenated().to_string();
    let (_, results) = authorize_with(&cx, &claims, v, false, |db| {
        let page = checked(page)?;
        Ok(repo::list_organizations_statements(
            db,
            &caller_id,
            page.skip,
            page.limit,
            search.as_deref(),
        )?)
    })
    .await?;
    let (orgs, count) = repo::list_organizations_from(&results)?;
    json_ok(&OrganizationsPublic {
        data: orgs.into_iter().map(OrganizationPublic::from).collect(),
        count,
    })
}

/// Read Organization: members and superusers.
pub async fn read_organization(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let access = OrgAccess::authorize(&cx, claims, v, org_id, None, false).await?;
    access.require_member()?;
    json_ok(&OrganizationPublic::from(access.org))
}

/// Update Organization: the owner and superusers; `owner_id` transfers ownership
/// to a member (the old owner stays a member).
pub async fn update_organization(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let input = cx.parse_body(&mut v, OrganizationUpdate::parse)?;
    let owner_id = input.as_ref().and_then(|i| i.owner_id);
    let access = OrgAccess::authorize(&cx, claims, v, org_id, owner_id, false).await?;
    let input = checked(input)?;
    access.require_owner()?;
    if input.rework_available.is_some() && !access.caller.is_superuser() {
        return Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES));
    }
    if input.owner_id.is_some() && !access.subject()?.is_member {
        return Err(ApiError::bad_request(NEW_OWNER_NOT_MEMBER));
    }
    let now = now_iso();
    let avatar = input
        .avatar
        .as_ref()
        .map(|a| MediaResource::from_input(a, new_id(), &now));
    let changes = OrganizationChanges {
        name: input.name.as_deref(),
        description: &input.description,
        rework_available: input.rework_available,
        owner_id: access.subject.as_ref().map(|s| s.id.as_str()),
        avatar: avatar
            .as_ref()
            .map(|m| (m, access.org.avatar_media_id.as_deref())),
        now: &now,
    };
    match repo::update_organization(&cx.db, &access.org.id, &changes).await? {
        UpdateOutcome::Updated(row) => json_ok(&OrganizationPublic::from(*row)),
        UpdateOutcome::NewOwnerNotMember => Err(ApiError::bad_request(NEW_OWNER_NOT_MEMBER)),
        UpdateOutcome::Gone => Err(ApiError::not_found("Organization not found")),
    }
}

/// Delete Organization: the owner and superusers. Memberships go with it; its
/// resources return to their creators' personal scope.
pub async fn delete_organization(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let access = OrgAccess::authorize(&cx, claims, v, org_id, None, false).await?;
    access.require_owner()?;
    repo::delete_organization(
        &cx.db,
        &access.org.id,
        access.org.avatar_media_id.as_deref(),
    )
    .await?;
    json_ok(&Message {
        message: "Organization deleted successfully",
    })
}
