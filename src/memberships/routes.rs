//! `/organizations/{id}/members` (origin: `api/routes/organizations.py`).

use super::access::OrgAccess;
use super::models::{AddMemberRequest, OrganizationMembersPublic};
use super::repo::{self, AddError};
use crate::app::{json_ok, now_iso, Ctx};
use crate::auth::current_user::token_claims;
use crate::error::{ApiError, ApiResult};
use crate::users::models::Message;
use crate::validation::{checked, Validator};
use worker::Response;

/// Read Organization Members: members of an organization, in the order they joined.
pub async fn read_organization_members(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let page = cx.page(&mut v);
    let access = OrgAccess::authorize(&cx, claims, v, org_id, None, false).await?;
    let page = checked(page)?;
    access.require_member()?;
    let (data, count) = repo::list_members(&cx.db, &access.org.id, page.skip, page.limit).await?;
    json_ok(&OrganizationMembersPublic { data, count })
}

/// Add Organization Member: add a user to an organization (owner or superusers).
pub async fn add_organization_member(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let input = cx.parse_body(&mut v, AddMemberRequest::parse)?;
    let user_id = input.as_ref().map(|i| i.user_id);
    let access = OrgAccess::authorize(&cx, claims, v, org_id, user_id, false).await?;
    access.require_owner()?;
    let subject = access.subject()?;
    let already = || ApiError::conflict("User is already a member of this organization");
    if subject.is_member {
        return Err(already());
    }
    let (data, count) = repo::add_member(&cx.db, &access.org.id, &subject.id, &now_iso())
        .await
        .map_err(|e| match e {
            AddError::AlreadyMember => already(),
            AddError::Db(db) => db.into(),
        })?;
    json_ok(&OrganizationMembersPublic { data, count })
}

/// Remove Organization Member: owners and superusers remove anyone, members
/// themselves; the owner cannot be removed.
pub async fn remove_organization_member(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let org_id = v.path_uuid("organization_id", cx.param("organization_id"));
    let user_id = v.path_uuid("user_id", cx.param("user_id"));
    let access = OrgAccess::authorize(&cx, claims, v, org_id, user_id, false).await?;
    let subject = access.named()?;
    let removing_self = subject.id == access.caller.id;
    if !(removing_self && access.caller_is_member) {
        access.require_owner()?;
    }
    if subject.id == access.org.owner_id {
        return Err(ApiError::bad_request(
            "The organization owner cannot be removed",
        ));
    }
    let not_member = || ApiError::not_found("User is not a member of this organization");
    if !subject.is_member {
        return Err(not_member());
    }
    if repo::remove_member(&cx.db, &access.org.id, &subject.id).await? == 0 {
        // Removed meanwhile, or made owner meanwhile: re-read the rule that applies.
        return Err(not_member());
    }
    json_ok(&Message {
        message: "Member removed successfully",
    })
}
