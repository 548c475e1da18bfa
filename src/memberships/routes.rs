//! `/organizations/{id}/members` (origin: `api/routes/organizations.py`).

use super::models::{
    member_json, AddMemberRequest, MemberRoleUpdate, Role, ALREADY_MEMBER, NOT_MEMBER,
};
use super::repo;
use crate::access::org::{
    settle_guarded, settle_write, MemberRemoval, OrgAdmin, OrgMember, OrgOwner,
};
use crate::access::Gate;
use crate::clock::now_iso;
use crate::db::{DbError, JsonText, ResultExt};
use crate::error::{ApiError, ApiResult};
use crate::events::{self, Subject};
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Json, OrgPath, UserPath};
use crate::http::{json_response, json_text, message, Ctx};
use crate::lists::{Page, Placed};
use crate::messages::USER_NOT_FOUND;
use worker::Response;

const OWNER_NOT_REMOVED: &str = "The organization owner cannot be removed";
const OWNER_ROLE_FIXED: &str = "The owner's role changes only with a transfer of ownership";

/// Read Organization Members: members of an organization, in the order they
/// joined. One round trip: the page rides in the caller's batch.
pub(crate) async fn read_organization_members(
    cx: Ctx,
    gate: Gate<OrgMember>,
    (OrgPath(org_id), page): (OrgPath, Page),
) -> ApiResult<Response> {
    let (_, r, list) = gate
        .open_with(&cx.db, |b, _| repo::list(b, &org_id, &page))
        .await?;
    list.read(&r)?.respond()
}

/// Add Organization Member: add a user to an organization (owner, admins,
/// superusers). The answer is the first page of members, as `GET /members`
/// reads it after the add: the page read with the access check, with the new
/// member in place, so it is known before the write (and stored with it for
/// an Idempotency-Key).
pub(crate) async fn add_organization_member(
    cx: Ctx,
    gate: Gate<OrgAdmin>,
    (OrgPath(org_id), key, Json(_)): (OrgPath, IdempotencyKey, Json<AddMemberRequest>),
) -> ApiResult<Response> {
    let (access, r, page) = gate
        .open_with(&cx.db, |b, _| repo::first_page(b, &org_id))
        .await?;
    let subject = access.subject()?;
    if subject.is_member {
        return Err(ApiError::conflict(ALREADY_MEMBER));
    }
    // Read with the access check: the subject's address and name.
    let named = subject
        .named
        .as_ref()
        .ok_or_else(|| ApiError::not_found(USER_NOT_FOUND))?;
    let now = now_iso();
    let member = Placed {
        json: JsonText(member_json(
            &subject.id,
            &now,
            &named.email,
            named.full_name.as_deref(),
            Role::Member.as_str(),
        )),
        at: now.clone(),
        id: subject.id.clone(),
    };
    let list = page
        .read(&r)?
        .with_new(member, Page::FIRST.limit, |m| (&m.at, &m.id));
    let body = list.rows().into_body();
    let mut b = cx.db.batch();
    repo::add(&mut b, &access, &subject.id, &now)?;
    let about = Subject::Membership {
        org: &org_id,
        user: &subject.id,
    };
    let (kind, witness) = ("membership.created", "joined_at = ?20");
    let (org, by) = (Some(org_id.as_str()), access.caller.by());
    events::log_if(
        &mut b,
        &cx,
        kind,
        org,
        by,
        about,
        witness,
        now.as_str().into(),
    )?;
    key.answer(&mut b, 200, &body)?;
    b.run().await.on_constraint(|e| match e {
        DbError::Unique(_) => Some(ApiError::conflict(ALREADY_MEMBER)),
        // The user was deleted after the access check.
        DbError::ForeignKey => Some(ApiError::not_found(USER_NOT_FOUND)),
        DbError::Other(_) | DbError::Precondition => None,
    })?;
    Ok(json_response(200, body))
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
        return Err(ApiError::bad_request(OWNER_NOT_REMOVED));
    }
    if !subject.is_member {
        return Err(ApiError::not_found(NOT_MEMBER));
    }
    let mut b = cx.db.batch();
    let org = access.org_id();
    let about = Subject::Membership {
        org,
        user: &subject.id,
    };
    let by = access.caller.by();
    let event = events::log_deletion(&mut b, &cx, "membership.deleted", Some(org), by, about)?;
    let removal = repo::remove(&mut b, &access, &subject.id)?;
    event.confirm(&mut b)?;
    let r = b.run().await?;
    settle_guarded(r.first(removal.permitted)?)?;
    if r.changes(removal.removed)? == 0 {
        // Removed meanwhile, or made owner meanwhile: re-read the rule that applies.
        return Err(ApiError::not_found(NOT_MEMBER));
    }
    message("Member removed successfully")
}

/// Update Member Role: make a member an admin or a member again (owner, superusers).
pub(crate) async fn update_member_role(
    cx: Ctx,
    access: OrgOwner,
    (_, _, Json(input)): (OrgPath, UserPath, Json<MemberRoleUpdate>),
) -> ApiResult<Response> {
    let subject = access.named()?;
    if !subject.is_member {
        return Err(ApiError::not_found(NOT_MEMBER));
    }
    if subject.id == access.org.owner_id {
        return Err(ApiError::bad_request(OWNER_ROLE_FIXED));
    }
    let mut b = cx.db.batch();
    let role = input.role.as_str();
    let (changed, member) = repo::set_role(&mut b, &access, &subject.id, role)?;
    let org = access.org_id();
    let about = Subject::Membership {
        org,
        user: &subject.id,
    };
    let (kind, by) = ("membership.updated", access.caller.by());
    events::log_if(
        &mut b,
        &cx,
        kind,
        Some(org),
        by,
        about,
        "role = ?20",
        role.into(),
    )?;
    let r = b.run().await?;
    // The caller lost the right, or the member left, meanwhile: nothing changed.
    settle_write(r.changes(changed)?)?;
    json_text(
        r.first(member)?
            .ok_or_else(|| ApiError::not_found(NOT_MEMBER))?,
    )
}
