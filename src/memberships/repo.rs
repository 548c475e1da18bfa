//! SQL for `organization_members`. Reads used by the access check, and the
//! member list that rides in its batch, take the organization id; everything
//! else takes the access level that allows it.

use super::models::MEMBER_JSON;
use crate::access::org::{
    admin_guard, owner_guard, permitted, MemberRemoval, OrgAdmin, OrgOwner, Permitted,
};
use crate::db::{Arg, Batch, DbResult, JsonText, Rows, Write};
use crate::lists::{ListQuery, Order, Page, PlacedQuery, Source};

/// The member list's rows: in the order they joined, counted by the
/// organization's `member_count` (kept by triggers: one row at any size).
fn members<'q, 'a>(args: &'q [Arg<'a>]) -> (Source<'q, 'a>, Order, &'static str) {
    let source = Source {
        columns: MEMBER_JSON,
        from: "organization_members m join users u on u.id = m.user_id",
        filter: "m.organization_id = ?1",
        args,
        version: None,
        walk: None,
    };
    let order = Order::oldest_first("m.joined_at", "m.user_id");
    let count =
        "select coalesce((select member_count from organizations where id = ?1), 0) as count";
    (source, order, count)
}

/// One page of organization `org_id`'s members in the order they joined, and
/// how many there are (in the caller's batch: its rows are handed out only if
/// the `OrgMember` check passes).
pub(crate) fn list(b: &mut Batch<'_>, org_id: &str, page: &Page) -> DbResult<ListQuery> {
    let args = [org_id.into()];
    let (source, order, count) = members(&args);
    ListQuery::keyset(b, source, order, page, count)
}

/// The first page of members (with the count of all), before a member is
/// added: the add answers it with the new member in place (`List::with_new`).
pub(crate) fn first_page(b: &mut Batch<'_>, org_id: &str) -> DbResult<PlacedQuery> {
    let args = [org_id.into()];
    let (source, order, count) = members(&args);
    PlacedQuery::first_page(b, source, order, count)
}

/// Adds a member. The primary key decides a second add (a UNIQUE violation
/// on the membership), so racing adds give one success and conflicts.
pub(crate) fn add(b: &mut Batch<'_>, org: &OrgAdmin, user_id: &str, now: &str) -> DbResult<()> {
    let _ = b.write(
        "insert into organization_members (organization_id, user_id, joined_at, role, \
         org_created_at) values (?1, ?2, ?3, 'member', \
         (select created_at from organizations where id = ?1))",
        &[org.org_id().into(), user_id.into(), now.into()],
    )?;
    Ok(())
}

/// The handles of a removal: whether the caller still had the right, and the
/// rows removed.
pub(crate) struct Removed {
    pub(crate) permitted: Rows<Permitted>,
    pub(crate) removed: Write,
}

/// Removes a member unless they own the organization, if the caller may still
/// remove them when the batch runs (the owner or a superuser; an admin a plain
/// member; the member themself).
pub(crate) fn remove(b: &mut Batch<'_>, org: &MemberRemoval, user_id: &str) -> DbResult<Removed> {
    let plain_member = "exists (select 1 from organization_members t where t.organization_id = ?1 \
                        and t.user_id = ?2 and t.role = 'member')";
    let guard = format!(
        "({} or ?2 = ?3 or ({} and {plain_member}))",
        owner_guard(1, 3),
        admin_guard(1, 3)
    );
    let args = [org.org_id().into(), user_id.into(), org.caller.id().into()];
    Ok(Removed {
        permitted: permitted(b, &guard, &args)?,
        removed: b.write(
            &format!(
                "delete from organization_members where organization_id = ?1 and user_id = ?2 \
                 and user_id <> (select owner_id from organizations where id = ?1) and {guard}"
            ),
            &args,
        )?,
    })
}

/// Gives `user_id` `role`, if they are a member and not the owner, and the
/// caller still owns the organization (or is a superuser); the member after.
pub(crate) fn set_role(
    b: &mut Batch<'_>,
    org: &OrgOwner,
    user_id: &str,
    role: &str,
) -> DbResult<(Write, Rows<JsonText>)> {
    let changed = b.write(
        &format!(
            "update organization_members set role = ?3 where organization_id = ?1 and user_id = ?2 \
             and role <> 'owner' and {}",
            owner_guard(1, 4)
        ),
        &[
            org.org_id().into(),
            user_id.into(),
            role.into(),
            org.caller.id().into(),
        ],
    )?;
    let member = b.query(
        &format!(
            "select {MEMBER_JSON} from organization_members m join users u on u.id = m.user_id \
             where m.organization_id = ?1 and m.user_id = ?2"
        ),
        &[org.org_id().into(), user_id.into()],
    )?;
    Ok((changed, member))
}
