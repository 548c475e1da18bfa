//! SQL for `invitations`.

use super::models::{InvitationRow, PENDING};
use crate::access::org::{admin_guard, OrgAdmin};
use crate::db::from_row;
use crate::db::{Arg, Batch, DbResult, Rows, Write};
use crate::error::{ApiError, ApiResult};
use crate::lists::{ListQuery, Page};
use crate::memberships::models::ALREADY_MEMBER;

const TOO_MANY_PENDING: &str = "Too many pending invitations";

const COLUMNS: &str =
    "id, organization_id, email, email_key, role, status, invited_by_id, created_at, expires_at";

/// Most pending invitations an organization may have.
pub(crate) const MAX_PENDING: i64 = 100;

/// What decides whether an invitation may be created.
pub(crate) struct Checks {
    pub(crate) member: i64,
    pub(crate) duplicate: i64,
    pub(crate) pending: i64,
}
impl Checks {
    /// Why no invitation may be made: the address is a member's (409), one is
    /// pending for it (409), or [`MAX_PENDING`] are (400).
    pub(crate) fn refusal(&self) -> ApiResult<()> {
        if self.member != 0 {
            return Err(ApiError::conflict(ALREADY_MEMBER));
        }
        if self.duplicate != 0 {
            return Err(ApiError::conflict(PENDING));
        }
        if self.pending >= MAX_PENDING {
            return Err(ApiError::bad_request(TOO_MANY_PENDING));
        }
        Ok(())
    }
}

from_row!(Checks {
    member,
    duplicate,
    pending
});

/// The checks for inviting `email_key` to `org_id` at `now` (for the caller's batch).
pub(crate) fn checks(
    b: &mut Batch<'_>,
    org_id: &str,
    email_key: &str,
    now: i64,
) -> DbResult<Rows<Checks>> {
    b.query(
        "select exists (select 1 from organization_members m join users u on u.id = m.user_id \
                 where m.organization_id = ?1 and u.email_key = ?2) as member, \
                exists (select 1 from invitations where organization_id = ?1 and email_key = ?2 \
                 and status = 'pending' and expires_at > ?3) as duplicate, \
                (select count(*) from invitations where organization_id = ?1 and status = 'pending' \
                 and expires_at > ?3) as pending",
        &[org_id.into(), email_key.into(), now.into()],
    )
}

pub(crate) struct NewInvitation<'a> {
    pub(crate) id: &'a str,
    pub(crate) email: &'a str,
    pub(crate) email_key: &'a str,
    pub(crate) role: &'a str,
    pub(crate) token_hash: &'a str,
    pub(crate) now: &'a str,
    pub(crate) now_secs: i64,
    pub(crate) expires_at: i64,
}

impl NewInvitation<'_> {
    /// The row [`create`] writes for `org` (known before the batch runs, so
    /// the answer can be stored with the write for an Idempotency-Key).
    pub(crate) fn row(&self, org: &OrgAdmin) -> InvitationRow {
        InvitationRow {
            id: self.id.to_string(),
            organization_id: org.org_id().to_string(),
            email: self.email.to_string(),
            email_key: self.email_key.to_string(),
            role: self.role.to_string(),
            status: "pending".to_string(),
            invited_by_id: org.caller.user_id().map(str::to_string),
            created_at: self.now.to_string(),
            expires_at: self.expires_at,
            member: None,
        }
    }
}

/// Writes the invitation (an expired pending one for the same address is
/// marked expired first, so the one-pending index allows the new one). A
/// pending one for the address fails the batch (UNIQUE).
pub(crate) fn create(b: &mut Batch<'_>, org: &OrgAdmin, n: &NewInvitation<'_>) -> DbResult<()> {
    let _ = b.write(
        "update invitations set status = 'expired' where organization_id = ?1 and email_key = ?2 \
         and status = 'pending' and expires_at <= ?3",
        &[org.org_id().into(), n.email_key.into(), n.now_secs.into()],
    )?;
    let _ = b.write(
        "insert into invitations (id, organization_id, email, email_key, role, token_hash, invited_by_id, \
         created_at, expires_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            n.id.into(),
            org.org_id().into(),
            n.email.into(),
            n.email_key.into(),
            n.role.into(),
            n.token_hash.into(),
            org.caller.user_id().into(),
            n.now.into(),
            n.expires_at.into(),
        ],
    )?;
    Ok(())
}

pub(crate) fn find_by_id(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<InvitationRow>> {
    b.query(
        &format!("select {COLUMNS} from invitations where id = ?1"),
        &[id.into()],
    )
}

/// `InvitationPublic`, as SQLite builds it from an `invitations` row, where
/// `?{now}` is the time in seconds: a pending invitation past its expiry shows `expired`.
fn public_json(now: u8) -> String {
    format!(
        "json_object('id', id, 'organization_id', organization_id, 'email', email, \
         'role', role, 'status', case when status = 'pending' and expires_at <= ?{now} \
         then 'expired' else status end, 'invited_by_id', invited_by_id, \
         'created_at', created_at, 'expires_at', \
         strftime('%Y-%m-%dT%H:%M:%S.000000Z', expires_at, 'unixepoch')) as json"
    )
}

/// An organization's invitations, newest first, of one shown status or all.
pub(crate) fn list(
    b: &mut Batch<'_>,
    org_id: &str,
    status: Option<&str>,
    now: i64,
    page: Page,
) -> DbResult<ListQuery> {
    // The status as shown: a pending invitation past its expiry is 'expired'.
    let shown =
        "(case when status = 'pending' and expires_at <= ?3 then 'expired' else status end)";
    let filter = format!("organization_id = ?1 and (?2 is null or {shown} = ?2)");
    let args: [Arg<'_>; 3] = [org_id.into(), status.into(), now.into()];
    // Every status: the organization's count, kept by triggers (one row
    // however many it ever sent); one status: counted by the index.
    let kept = format!(
        "select case when ?2 is null then (select invitation_count from organizations \
         where id = ?1) else (select count(*) from invitations where {filter}) end as count"
    );
    let columns = public_json(3);
    let source = (columns.as_str(), "invitations", filter.as_str());
    ListQuery::newest_first(b, source, &args, &page, Some(&kept))
}

/// The open (pending, unexpired) invitations to `user_id`'s address, newest first.
pub(crate) fn mine(b: &mut Batch<'_>, user_id: &str, now: i64, page: Page) -> DbResult<ListQuery> {
    let filter = "email_key = (select email_key from users where id = ?1) \
                  and status = 'pending' and expires_at > ?2";
    let columns = public_json(2);
    let args = [user_id.into(), now.into()];
    ListQuery::newest_first(b, (&columns, "invitations", filter), &args, &page, None)
}

/// Revokes a pending invitation of the organization, if the caller may still.
pub(crate) fn revoke(b: &mut Batch<'_>, org: &OrgAdmin, id: &str) -> DbResult<Write> {
    b.write(
        &format!(
            "update invitations set status = 'revoked' where id = ?1 and organization_id = ?2 \
             and status = 'pending' and {}",
            admin_guard(2, 3)
        ),
        &[id.into(), org.org_id().into(), org.caller.id().into()],
    )
}

/// A new token and expiry for a pending (or expired) invitation; reads it back.
pub(crate) fn resend(
    b: &mut Batch<'_>,
    org: &OrgAdmin,
    id: &str,
    token_hash: &str,
    expires_at: i64,
) -> DbResult<(Write, Rows<InvitationRow>)> {
    let renewed = b.write(
        &format!(
            "update invitations set token_hash = ?3, expires_at = ?4, status = 'pending' \
             where id = ?1 and organization_id = ?2 and status in ('pending', 'expired') and {}",
            admin_guard(2, 5)
        ),
        &[
            id.into(),
            org.org_id().into(),
            token_hash.into(),
            expires_at.into(),
            org.caller.id().into(),
        ],
    )?;
    Ok((renewed, find_by_id(b, id)?))
}

/// The invitation with token hash `hash` (or id `id`), with `member` set to
/// whether `caller_id` is a member of its organization already.
pub(crate) fn presented(
    b: &mut Batch<'_>,
    by: By<'_>,
    caller_id: &str,
) -> DbResult<Rows<InvitationRow>> {
    let (column, value) = match by {
        By::TokenHash(h) => ("token_hash", h),
        By::Id(id) => ("id", id),
    };
    b.query(
        &format!(
            "select {COLUMNS}, exists (select 1 from organization_members m \
                 where m.organization_id = i.organization_id and m.user_id = ?2) as member \
             from invitations i where i.{column} = ?1"
        ),
        &[value.into(), caller_id.into()],
    )
}

/// How an invitee names an invitation.
#[derive(Clone, Copy)]
pub(crate) enum By<'a> {
    TokenHash(&'a str),
    Id(&'a str),
}

/// Answers an open invitation (`accepted` or `declined`) as this request
/// (`mark`): compare-and-swap, so two answers cannot both count.
pub(crate) fn respond(
    b: &mut Batch<'_>,
    id: &str,
    status: &str,
    mark: &str,
    now: &str,
    now_secs: i64,
) -> DbResult<Write> {
    b.write(
        "update invitations set status = ?2, response_mark = ?3, responded_at = ?4 \
         where id = ?1 and status = 'pending' and expires_at > ?5",
        &[
            id.into(),
            status.into(),
            mark.into(),
            now.into(),
            now_secs.into(),
        ],
    )
}

/// The membership an acceptance makes, only if this request (`mark`) accepted.
pub(crate) fn join(
    b: &mut Batch<'_>,
    id: &str,
    mark: &str,
    user_id: &str,
    now: &str,
) -> DbResult<Write> {
    b.write(
        "insert into organization_members (organization_id, user_id, joined_at, role, \
         org_created_at) select organization_id, ?3, ?4, role, (select created_at from \
         organizations o where o.id = invitations.organization_id) from invitations \
         where id = ?1 and response_mark = ?2",
        &[id.into(), mark.into(), user_id.into(), now.into()],
    )
}
