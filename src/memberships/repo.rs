//! SQL for `organization_members`. Reads used by the access check take the
//! organization id; everything else takes the access level that allows it.

use super::models::OrganizationMemberPublic;
use crate::access::org::{MemberRemoval, OrgAccess, OrgMember, OrgOwner};
use crate::db::{Batch, DbResult, Rows, Write};
use crate::lists::{ListQuery, Page};
use crate::users::repo::Found;

/// Is `user_id` a member of `org_id`? (for the access check)
pub(crate) fn find(b: &mut Batch<'_>, org_id: &str, user_id: &str) -> DbResult<Rows<Found>> {
    b.query(
        "select 1 as member from organization_members where organization_id = ?1 and user_id = ?2",
        &[org_id.into(), user_id.into()],
    )
}

fn page_of(
    b: &mut Batch<'_>,
    org: &OrgAccess,
    page: Page,
) -> DbResult<ListQuery<OrganizationMemberPublic>> {
    let org_id = org.org_id();
    ListQuery::push(
        b,
        (
            "select m.user_id, m.joined_at, u.email, u.full_name from organization_members m \
             join users u on u.id = m.user_id where m.organization_id = ?1 \
             order by m.joined_at, m.rowid limit ?2 offset ?3",
            &[org_id.into(), page.limit.into(), page.skip.into()],
        ),
        (
            "select count(*) as count from organization_members where organization_id = ?1",
            &[org_id.into()],
        ),
    )
}

/// One page of members in the order they joined, and how many there are.
pub(crate) fn list(
    b: &mut Batch<'_>,
    org: &OrgMember,
    page: Page,
) -> DbResult<ListQuery<OrganizationMemberPublic>> {
    page_of(b, org, page)
}

/// Adds a member and reads back the whole member list. The primary key
/// decides a second add (a UNIQUE violation on the membership), so racing adds
/// give one success and conflicts.
pub(crate) fn add(
    b: &mut Batch<'_>,
    org: &OrgOwner,
    user_id: &str,
    now: &str,
) -> DbResult<ListQuery<OrganizationMemberPublic>> {
    let _ = b.write(
        "insert into organization_members (organization_id, user_id, joined_at) values (?1, ?2, ?3)",
        &[org.org_id().into(), user_id.into(), now.into()],
    )?;
    let everyone = Page {
        skip: 0,
        limit: i64::from(i32::MAX),
    };
    page_of(b, org, everyone)
}

/// Removes a member unless they own the organization; counts the rows removed.
pub(crate) fn remove(b: &mut Batch<'_>, org: &MemberRemoval, user_id: &str) -> DbResult<Write> {
    b.write(
        "delete from organization_members where organization_id = ?1 and user_id = ?2 \
         and user_id <> (select owner_id from organizations where id = ?1)",
        &[org.org_id().into(), user_id.into()],
    )
}
