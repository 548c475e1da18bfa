//! `/organizations` (origin: `api/routes/organizations.py`).

use super::media::{Avatar, MediaInput, MediaResource, MediaState};
use super::models::{
    OrganizationCreate, OrganizationPublic, OrganizationRow, OrganizationUpdate,
    DEFAULT_REWORK_AVAILABLE,
};
use super::repo::{self, NewOrganization, OrganizationChanges};
use crate::access::org::{
    settle_guarded, OrgEditor, OrgMember, OrgOwner, Subject, ORGANIZATION_NOT_FOUND,
};
use crate::access::{Caller, Gate};
use crate::clock::now_iso;
use crate::db::{Batch, DbError, DbResult, ResultExt, Results, Rows};
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By, Subject as About};
use crate::http::conditional::{
    etag, guard, if_match, none_match, not_modified, tagged, FIRST_VERSION,
};
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Json, OrgPath};
use crate::http::{json_ok, json_response, message, Ctx};
use crate::ids::new_id;
use crate::lists::{Page, Search};
use crate::messages::{MEDIA_NOT_FOUND, USER_NOT_FOUND};
use worker::Response;

const NEW_OWNER_NOT_MEMBER: &str = "The new owner must be a member of the organization";

/// The upload an avatar names, read with the access check.
fn find_upload(b: &mut Batch<'_>, input: &MediaInput) -> DbResult<Option<Rows<MediaResource>>> {
    match &input.upload {
        Some(id) => Ok(Some(repo::find_media(b, id)?)),
        None => Ok(None),
    }
}

/// The avatar `input` names, with the upload read for it.
fn avatar(
    input: &MediaInput,
    r: &Results,
    upload: Option<Rows<MediaResource>>,
    (caller_id, superuser): (&str, bool),
    now: &str,
) -> ApiResult<Avatar> {
    let found = match upload {
        Some(rows) => {
            let state = r.first(rows.same::<MediaState>())?;
            r.first(rows)?.zip(state)
        }
        None => None,
    };
    Avatar::of(input, found, caller_id, superuser, now)
}

/// The organization as the API shows it, with its ETag.
fn public(row: OrganizationRow) -> ApiResult<Response> {
    let tag = etag(&row.id, row.version);
    Ok(tagged(json_ok(&OrganizationPublic::from(row))?, &tag))
}

const TOO_MANY_ORGANIZATIONS: &str = "Too many organizations";

/// Create Organization: the caller becomes its owner and first member.
pub(crate) async fn create_organization(
    cx: Ctx,
    gate: Gate<Caller>,
    (key, Json(input)): (IdempotencyKey, Json<OrganizationCreate>),
) -> ApiResult<Response> {
    let cap = cx.config.max_organizations_per_user;
    let (caller, r, (upload, owned)) = gate
        .open_with(&cx.db, |b, caller_id| {
            Ok((
                find_upload(b, &input.avatar)?,
                repo::owned(b, caller_id, cap)?,
            ))
        })
        .await?;
    caller.may_set_rework(input.rework_available.is_some())?;
    let Caller(me) = caller;
    if r.first(owned)?.is_some_and(|o| o.count >= cap) {
        return Err(ApiError::bad_request(TOO_MANY_ORGANIZATIONS));
    }
    let now = now_iso();
    let avatar = avatar(&input.avatar, &r, upload, (&me.id, me.is_superuser()), &now)?;
    let org = NewOrganization {
        id: &new_id(),
        name: &input.name,
        description: input.description.as_deref(),
        rework_available: input.rework_available.unwrap_or(DEFAULT_REWORK_AVAILABLE),
        owner_id: &me.id,
        now: &now,
    };
    let body = serde_json::to_vec(&org.public(&avatar))?;
    let mut b = cx.db.batch();
    repo::create(&mut b, &org, &avatar)?;
    let subject = About::Organization(org.id);
    events::log(
        &mut b,
        &cx,
        "organization.created",
        Some(org.id),
        By::user(&me.id),
        subject,
    )?;
    key.answer(&mut b, 200, &body)?;
    b.run().await.on_constraint(creation_failed)?;
    Ok(tagged(
        json_response(200, body),
        &etag(org.id, FIRST_VERSION),
    ))
}

/// Why a creation's batch failed on a constraint, as the client hears it.
fn creation_failed(e: &DbError) -> Option<ApiError> {
    match e {
        // The caller was deleted after the access check: their rows cannot own anything.
        DbError::ForeignKey => Some(ApiError::not_found(USER_NOT_FOUND)),
        // The upload was cleaned up after the access check.
        DbError::Precondition => Some(ApiError::not_found(MEDIA_NOT_FOUND)),
        DbError::Unique(_) | DbError::Other(_) => None,
    }
}

/// Read Organizations: members see their organizations, superusers all.
/// One D1 round trip: the caller and the page are read together.
pub(crate) async fn read_organizations(
    cx: Ctx,
    gate: Gate<Caller>,
    (page, search): (Page, Search),
) -> ApiResult<Response> {
    let (_, r, list) = gate
        .open_with(&cx.db, |b, caller_id| {
            repo::list(b, caller_id, &page, &search)
        })
        .await?;
    list.read(&r)?.respond()
}

/// Read Organization: members and superusers.
pub(crate) async fn read_organization(
    cx: Ctx,
    access: OrgMember,
    _: OrgPath,
) -> ApiResult<Response> {
    let tag = etag(&access.org.id, access.org.version);
    if none_match(&cx, &tag) {
        return not_modified(&tag);
    }
    public(access.org.clone())
}

/// Update Organization: the owner and superusers; admins the name and the
/// description. `owner_id` transfers ownership to a member (the old owner stays
/// a member).
pub(crate) async fn update_organization(
    cx: Ctx,
    gate: Gate<OrgEditor>,
    (_, Json(input)): (OrgPath, Json<OrganizationUpdate>),
) -> ApiResult<Response> {
    let (access, r, upload) = gate
        .open_with(&cx.db, |b, _| match &input.avatar {
            Some(avatar) => find_upload(b, avatar),
            None => Ok(None),
        })
        .await?;
    access.may_update(
        input.rework_available.is_some(),
        input.owner_id.is_some(),
        input.avatar.is_some(),
        input.require_mfa.is_some(),
    )?;
    let new_owner = new_owner(&access, input.owner_id.is_some())?;
    let now = now_iso();
    let avatar = match &input.avatar {
        Some(a) => {
            let caller = (access.caller.id(), access.caller.is_superuser());
            Some(avatar(a, &r, upload, caller, &now)?)
        }
        None => None,
    };
    let changes = OrganizationChanges {
        name: input.name.as_deref(),
        description: &input.description,
        rework_available: input.rework_available,
        owner_id: new_owner.map(|s| s.id.as_str()),
        require_mfa: input.require_mfa,
        avatar: avatar.as_ref(),
        now: &now,
    };
    write_update(&cx, &access, &changes).await
}

/// An update's write, with the client's `If-Match` checked in the same batch
/// (a 412 changes nothing), and its verdict.
async fn write_update(
    cx: &Ctx,
    access: &OrgEditor,
    changes: &OrganizationChanges<'_>,
) -> ApiResult<Response> {
    let condition = if_match(cx, access.org_id());
    let mut b = cx.db.batch();
    guard(&mut b, "organizations", access.org_id(), condition.as_ref())?;
    let updated = repo::update(&mut b, access, changes)?;
    // Recorded if this request's update applied (its time is the row's).
    let org = Some(access.org_id());
    let subject = || About::Organization(access.org_id());
    let by = access.caller.by();
    let applied = "o.updated_at = ?20";
    // A transfer alone is `ownership_transferred`; anything else it changed, `updated` too.
    let kinds = [
        (
            changes.changes_more_than_the_owner(),
            "organization.updated",
        ),
        (
            changes.owner_id.is_some(),
            "organization.ownership_transferred",
        ),
    ];
    for (_, kind) in kinds.into_iter().filter(|(happened, _)| *happened) {
        let when = changes.now.into();
        events::log_if(&mut b, cx, kind, org, by, subject(), applied, when)?;
    }
    let r = b.run().await?;
    let row = r
        .first(updated.row)?
        .ok_or_else(|| ApiError::not_found(ORGANIZATION_NOT_FOUND))?;
    settle_guarded(r.first(updated.permitted)?)?;
    if r.changes(updated.changed)? == 0 {
        // The new owner left between the check and the write: nothing changed.
        return Err(ApiError::bad_request(NEW_OWNER_NOT_MEMBER));
    }
    public(row)
}

/// The member an update makes owner, if it names one (`400` if not a member).
fn new_owner(access: &OrgEditor, named: bool) -> ApiResult<Option<&Subject>> {
    if !named {
        return Ok(None);
    }
    let subject = access.subject()?;
    if !subject.is_member {
        return Err(ApiError::bad_request(NEW_OWNER_NOT_MEMBER));
    }
    Ok(Some(subject))
}

/// Delete Organization: the owner and superusers. Memberships go with it; its
/// resources return to their creators' personal scope.
pub(crate) async fn delete_organization(
    cx: Ctx,
    access: OrgOwner,
    _: OrgPath,
) -> ApiResult<Response> {
    let condition = if_match(&cx, access.org_id());
    let mut b = cx.db.batch();
    guard(&mut b, "organizations", access.org_id(), condition.as_ref())?;
    let org = Some(access.org_id());
    let subject = About::Organization(access.org_id());
    let kind = "organization.deleted";
    let event = events::log_deletion(&mut b, &cx, kind, org, access.caller.by(), subject)?;
    let deleted = repo::delete(&mut b, &access)?;
    event.confirm(&mut b)?;
    let r = b.run().await?;
    settle_guarded(r.first(deleted.permitted)?)?;
    if r.changes(deleted.deleted)? == 0 {
        return Err(ApiError::not_found(ORGANIZATION_NOT_FOUND));
    }
    message("Organization deleted successfully")
}
