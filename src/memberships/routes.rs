//! `/organizations/{id}/members` (origin: `api/routes/organizations.py`).

use super::models::AddMemberRequest;
use super::repo;
use crate::access::org::{MemberRemoval, OrgMember, OrgOwner};
use crate::clock::now_iso;
use crate::db::ResultExt;
use crate::error::{ApiError, ApiResult};
use crate::http::input::{Json, OrgPath, UserPath};
use crate::http::{json_ok, message, Ctx};
use crate::lists::Page;
use worker::Response;

const ALREADY_MEMBER: &str = "User is already a member of this organization";
const NOT_MEMBER: &str = "User is not a member of this organization";

/// Read Organization Members: members of an organization, in the order they joined.
pub(crate) async fn read_organization_members(
    cx: Ctx,
    access: OrgMember,
    (_, page): (OrgPath, Page),
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let list = repo::list(&mut b, &access, page)?;
    let r = b.run().await?;
    json_ok(&list.read(&r)?)
}

/// Add Organization Member: add a user to an organization (owner or superusers).
pub(crate) async fn add_organization_member(
    cx: Ctx,
    access: OrgOwner,
    _: (OrgPath, Json<AddMemberRequest>),
) -> ApiResult<Response> {
    let subject = access.subject()?;
    if subject.is_member {
        return Err(ApiError::conflict(ALREADY_MEMBER));
    }
    let mut b = cx.db.batch();
    let list = repo::add(&mut b, &access, &subject.id, &now_iso())?;
    let r = b.run().await.on_unique(
        "organization_members.organization_id, organization_members.user_id",
        || ApiError::conflict(ALREADY_MEMBER),
    )?;
    json_ok(&list.read(&r)?)
}

/// Remove Organization Member: owners and superusers remove anyone, members
/// themselves; the owner cannot be removed.
pub(crate) async fn remove_organization_member(
    cx: Ctx,
    access: MemberRemoval,
    _: (OrgPath, UserPath),
) -> ApiResult<Response> {
    let subject = access.named()?;
    if subject.id == access.org.owner_id {
        return Err(ApiError::bad_request(
            "The organization owner cannot be removed",
        ));
    }
    if !subject.is_member {
        return Err(ApiError::not_found(NOT_MEMBER));
    }
    let mut b = cx.db.batch();
    let removed = repo::remove(&mut b, &access, &subject.id)?;
    if b.run().await?.changes(removed)? == 0 {
        // Removed meanwhile, or made owner meanwhile: re-read the rule that applies.
        return Err(ApiError::not_found(NOT_MEMBER));
    }
    message("Member removed successfully")
}
