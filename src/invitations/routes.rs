//! `/organizations/{id}/invitations`, `/users/me/invitations`, `/invitations`.

use super::models::{
    InvitationCreate, InvitationPath, InvitationPublic, InvitationRow, InvitationToken,
    InvitationWithToken, StatusFilter,
};
use super::models::{INVALID, NOT_FOUND, PENDING};
use super::repo::{self, By, NewInvitation};
use crate::access::org::{OrgAdmin, OrgAdminReader};
use crate::access::{Access, Caller, Gate, Verified};
use crate::account::{outbox_row, tokens};
use crate::clock::{now_iso, now_secs};
use crate::db::{DbError, ResultExt};
use crate::email::{outbox, templates};
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By as Author, Subject};
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Json, OrgPath};
use crate::http::{json_ok, json_response, message, Ctx};
use crate::ids::new_id;
use crate::lists::Page;
use crate::memberships::models::Role;
use crate::memberships::models::ALREADY_MEMBER;
use crate::organizations::models::OrganizationPublic;
use crate::organizations::repo as organizations;
use crate::rate_limits::{self, Limit};
use worker::Response;

const TOO_MANY_INVITATIONS: &str = "Too many invitations sent, try again later";

/// The invitation e-mail, for the outbox in the caller's batch.
fn email(cx: &Ctx, access: &OrgAdmin, to: &str, token: &str) -> templates::Message {
    let inviter = access.caller.display_name();
    templates::invitation(&cx.config.email, to, &access.org.name, &inviter, token)
}

/// Counts an invitation e-mail (created or resent) of the caller's, across
/// organizations: at most `INVITATION_LIMIT_PER_HOUR`, in the caller's batch.
fn count_sending(
    cx: &Ctx,
    b: &mut crate::db::Batch<'_>,
    caller_id: &str,
    now: i64,
) -> crate::db::DbResult<rate_limits::Attempts> {
    let limit = Limit {
        limit: cx.config.invitation_limit_per_hour,
        seconds: 3600,
    };
    let key = rate_limits::key(&cx.config.secret_key, "invitations-user", caller_id);
    rate_limits::attempts(b, vec![(key, limit)], now)
}

/// Create Invitation: invite an address with a role (owner, admins, superusers;
/// only the owner and superusers invite admins). The token is in this answer
/// only (and in the e-mail); the checks ride in the caller's batch.
pub(crate) async fn create_invitation(
    cx: Ctx,
    gate: Gate<OrgAdmin>,
    (OrgPath(org_id), idempotency, Json(input)): (OrgPath, IdempotencyKey, Json<InvitationCreate>),
) -> ApiResult<Response> {
    let now = now_secs();
    let key = input.email.key();
    let (access, r, (checks, sending)) = gate
        .open_with(&cx.db, |b, caller_id| {
            Ok((
                repo::checks(b, &org_id, &key, now)?,
                count_sending(&cx, b, caller_id, now)?,
            ))
        })
        .await?;
    access.may_invite(input.role == Role::Admin)?;
    sending.check(&r, now, TOO_MANY_INVITATIONS)?;
    r.first(checks)?
        .ok_or_else(|| ApiError::internal("invitation checks missing"))?
        .refusal()?;
    let (token, hash) = tokens::new_token()?;
    let id = new_id();
    let invitation = NewInvitation {
        id: &id,
        email: input.email.as_str(),
        email_key: &key,
        role: input.role.as_str(),
        token_hash: &hash,
        now: &now_iso(),
        now_secs: now,
        expires_at: now + cx.config.invitation_expire_days * 86_400,
    };
    store(&cx, &access, &invitation, token, &idempotency).await
}

/// Writes a new invitation, its e-mail and the key's answer in one batch, and
/// answers it with its token.
async fn store(
    cx: &Ctx,
    access: &OrgAdmin,
    invitation: &NewInvitation<'_>,
    token: String,
    idempotency: &IdempotencyKey,
) -> ApiResult<Response> {
    // The answer carries the token, so a replay must too: the stored answer
    // holds it sealed (the invitation itself only its hash).
    let body = serde_json::to_vec(&InvitationWithToken {
        invitation: InvitationPublic::of(invitation.row(access), invitation.now_secs),
        token: token.clone(),
    })?;
    let mut b = cx.db.batch();
    repo::create(&mut b, access, invitation)?;
    let (org, about) = (Some(access.org_id()), Subject::Invitation(invitation.id));
    events::log(
        &mut b,
        cx,
        "invitation.created",
        org,
        access.caller.by(),
        about,
    )?;
    let sent = outbox_row(&mut b, &email(cx, access, invitation.email, &token))?;
    idempotency.answer_sealing(&mut b, 200, &body, &token)?;
    // Two invitations racing for one address: the one-pending index decides.
    b.run().await.on_unique(
        &["invitations.organization_id, invitations.email_key"],
        || ApiError::conflict(PENDING),
    )?;
    cx.send_emails(vec![sent]);
    Ok(json_response(200, body))
}

/// Read Invitations: an organization's invitations, newest first, of one status
/// or all (owner, admins, superusers). One round trip.
pub(crate) async fn read_invitations(
    cx: Ctx,
    gate: Gate<OrgAdminReader>,
    (OrgPath(org_id), status, page): (OrgPath, StatusFilter, Page),
) -> ApiResult<Response> {
    let now = now_secs();
    let (_, r, list) = gate
        .open_with(&cx.db, |b, _| repo::list(b, &org_id, status.0, now, page))
        .await?;
    list.read(&r)?.respond()
}

/// Revoke Invitation: a pending invitation can no longer be used.
pub(crate) async fn revoke_invitation(
    cx: Ctx,
    access: OrgAdmin,
    (_, InvitationPath(id)): (OrgPath, InvitationPath),
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let revoked = repo::revoke(&mut b, &access, &id)?;
    let (org, about) = (Some(access.org_id()), Subject::Invitation(&id));
    let (kind, by) = ("invitation.revoked", access.caller.by());
    events::log_if(
        &mut b,
        &cx,
        kind,
        org,
        by,
        about,
        "status = ?20",
        "revoked".into(),
    )?;
    if b.run().await?.changes(revoked)? == 0 {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    message("Invitation revoked")
}

/// Resend Invitation: a new token and a new expiry, and the e-mail again. The
/// invitation is read in the caller's batch; its renewal and its e-mail commit
/// together (the e-mail only if the renewal applied).
pub(crate) async fn resend_invitation(
    cx: Ctx,
    gate: Gate<OrgAdmin>,
    (OrgPath(org_id), InvitationPath(id)): (OrgPath, InvitationPath),
) -> ApiResult<Response> {
    let now = now_secs();
    let (access, r, (found, sending)) = gate
        .open_with(&cx.db, |b, caller_id| {
            Ok((
                repo::find_by_id(b, &id)?,
                count_sending(&cx, b, caller_id, now)?,
            ))
        })
        .await?;
    let invitation = r
        .first(found)?
        .filter(|i| i.organization_id == org_id)
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    sending.check(&r, now, TOO_MANY_INVITATIONS)?;
    let (token, hash) = tokens::new_token()?;
    let expires = now + cx.config.invitation_expire_days * 86_400;
    let mut b = cx.db.batch();
    let (renewed, found) = repo::resend(&mut b, &access, &id, &hash, expires)?;
    let m = email(&cx, &access, &invitation.email, &token);
    let outbox_id = email_if_renewed(&mut b, &m, (&id, &hash), now)?;
    let r = b.run().await?;
    let invitation = match r.first(found)? {
        Some(i) if r.changes(renewed)? > 0 => i,
        _ => return Err(ApiError::not_found(NOT_FOUND)),
    };
    cx.send_emails(vec![outbox_id]);
    json_ok(&InvitationWithToken {
        invitation: InvitationPublic::of(invitation, now),
        token,
    })
}

/// The e-mail of a resend, in its batch, sent only if the renewal applied (the
/// invitation `id` holds the new token `hash`); the outbox row's id.
fn email_if_renewed(
    b: &mut crate::db::Batch<'_>,
    m: &templates::Message,
    (id, hash): (&str, &str),
    now: i64,
) -> ApiResult<String> {
    let outbox_id = new_id();
    let _ = outbox::insert_when(
        b,
        &outbox_id,
        m,
        &now_iso(),
        now,
        "exists (select 1 from invitations where id = ?9 and token_hash = ?10)",
        id,
        hash,
    )?;
    Ok(outbox_id)
}

/// Read My Invitations: the caller's open invitations (by address, any case),
/// for a verified address only.
/// One round trip: the list rides in the caller's batch.
pub(crate) async fn read_my_invitations(
    cx: Ctx,
    gate: Gate<Verified>,
    page: Page,
) -> ApiResult<Response> {
    let now = now_secs();
    let (_, r, list) = gate
        .open_with(&cx.db, |b, caller_id| repo::mine(b, caller_id, now, page))
        .await?;
    list.read(&r)?.respond()
}

/// Accepts or declines the invitation `by` names, as the caller: checked first
/// (400 for one that cannot be used, even by a member now), then the address,
/// then membership; then one atomic batch answers it and, for an acceptance,
/// adds the membership with the invitation's role.
async fn respond<A: Access + Into<Caller>>(
    cx: &Ctx,
    gate: Gate<A>,
    by: By<'_>,
    accept: bool,
) -> ApiResult<Response> {
    let (caller, r, found) = gate
        .open_with(&cx.db, |b, caller_id| repo::presented(b, by, caller_id))
        .await?;
    answer(cx, caller.into(), r.first(found)?, accept).await
}

/// The rest of [`respond`], once the caller is known (not generic: compiled
/// once for every level that answers an invitation).
async fn answer(
    cx: &Ctx,
    caller: Caller,
    found: Option<InvitationRow>,
    accept: bool,
) -> ApiResult<Response> {
    let now = now_secs();
    let invitation = found
        .filter(|i| i.is_open(now))
        .ok_or_else(|| ApiError::bad_request(INVALID))?;
    caller.may_answer_invitation(&invitation.email_key)?;
    let Caller(me) = caller;
    if accept && invitation.member == Some(1) {
        return Err(ApiError::conflict(ALREADY_MEMBER));
    }
    let mark = new_id();
    let now_text = now_iso();
    let mut b = cx.db.batch();
    let status = if accept { "accepted" } else { "declined" };
    let answered = repo::respond(&mut b, &invitation.id, status, &mark, &now_text, now)?;
    let org = Some(invitation.organization_id.as_str());
    let kind = if accept {
        "invitation.accepted"
    } else {
        "invitation.declined"
    };
    let (about, by) = (Subject::Invitation(&invitation.id), Author::user(&me.id));
    let mine = "response_mark = ?20";
    events::log_if(&mut b, cx, kind, org, by, about, mine, mark.as_str().into())?;
    if !accept {
        if b.run().await?.changes(answered)? == 0 {
            return Err(ApiError::bad_request(INVALID));
        }
        return message("Invitation declined");
    }
    let _ = repo::join(&mut b, &invitation.id, &mark, &me.id, &now_text)?;
    let about = Subject::Membership {
        org: &invitation.organization_id,
        user: &me.id,
    };
    let joined = "joined_at = ?20";
    events::log_if(
        &mut b,
        cx,
        "membership.created",
        org,
        by,
        about,
        joined,
        now_text.as_str().into(),
    )?;
    let org = organizations::find(&mut b, &invitation.organization_id)?;
    let r = b.run().await.on_constraint(|e| match e {
        // Joined meanwhile (another invitation, an admin's add): nothing of this applies.
        DbError::Unique(_) => Some(ApiError::conflict(ALREADY_MEMBER)),
        _ => None,
    })?;
    if r.changes(answered)? == 0 {
        return Err(ApiError::bad_request(INVALID)); // answered meanwhile
    }
    let org = r
        .first(org)?
        .ok_or_else(|| ApiError::bad_request(INVALID))?;
    json_ok(&OrganizationPublic::from(org))
}

/// Accept Invitation: by its token; answers the organization.
pub(crate) async fn accept_invitation(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<InvitationToken>,
) -> ApiResult<Response> {
    let hash = tokens::hash(&input.token);
    respond(&cx, gate, By::TokenHash(&hash), true).await
}

/// Decline Invitation: by its token.
pub(crate) async fn decline_invitation(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<InvitationToken>,
) -> ApiResult<Response> {
    let hash = tokens::hash(&input.token);
    respond(&cx, gate, By::TokenHash(&hash), false).await
}

/// Accept My Invitation: by its id (from the caller's list), for a verified
/// address only: the id proves nothing about the mailbox, the token would.
pub(crate) async fn accept_my_invitation(
    cx: Ctx,
    gate: Gate<Verified>,
    InvitationPath(id): InvitationPath,
) -> ApiResult<Response> {
    respond(&cx, gate, By::Id(&id), true).await
}

/// Decline My Invitation: by its id, for a verified address only.
pub(crate) async fn decline_my_invitation(
    cx: Ctx,
    gate: Gate<Verified>,
    InvitationPath(id): InvitationPath,
) -> ApiResult<Response> {
    respond(&cx, gate, By::Id(&id), false).await
}
