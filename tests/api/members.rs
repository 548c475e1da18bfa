//! `/organizations/{id}/members`: listing, adding and removing members.

use crate::helpers::*;
use serde_json::Value;

#[test]
fn members_are_listed_in_the_order_they_joined_with_paging() {
    let app = app();
    let (owner, member, org) = org_with_member();
    let third = signup_user();
    let all: Page<MemberPublic> = app.add_organization_member(&owner, &org.id, &third.id, 200);
    let ids: Vec<&str> = all.data.iter().map(|m| m.user_id.as_str()).collect();
    assert_eq!(ids, [&owner.id, &member.id, &third.id]);
    assert_eq!(all.count, 3);

    let page: Value = app.read_organization_members(&member, &org.id, "skip=1&limit=1", 200);
    assert_eq!(
        field_names(&page["data"][0]),
        ["user_id", "joined_at", "email", "full_name", "role"]
    );
    let page: Page<MemberPublic> = serde_json::from_value(page).unwrap();
    assert_eq!((page.count, page.data.len()), (3, 1));
    assert_eq!(
        (page.data[0].user_id.as_str(), page.data[0].role.as_str()),
        (member.id.as_str(), "member")
    );
}

#[test]
fn adding_members_refuses_unknown_users_and_existing_members() {
    let app = app();
    let (owner, member, org) = org_with_member();
    let nobody = uuid::Uuid::new_v4().to_string();
    let refused: Detail = app.add_organization_member(&owner, &org.id, &nobody, 404);
    assert_eq!(refused, Detail::new("User not found"));
    for already in [&member.id, &owner.id] {
        let refused: Detail = app.add_organization_member(&owner, &org.id, already, 409);
        assert_eq!(
            refused,
            Detail::new("User is already a member of this organization")
        );
    }
    let other = signup_user();
    let _: Page<MemberPublic> =
        app.add_organization_member(&superuser_token(), &org.id, &other.id, 200);
}

#[test]
fn removing_members_follows_the_rules() {
    let app = app();
    let (owner, member, org) = org_with_member();
    let other = signup_user();
    let _: Page<MemberPublic> = app.add_organization_member(&owner, &org.id, &other.id, 200);
    let remove = |who: &str, user_id: &str, status| -> Value {
        app.remove_organization_member(who, &org.id, user_id, status)
    };
    let owner_stays = Detail::new("The organization owner cannot be removed");
    let not_a_member = Detail::new("User is not a member of this organization");
    let removed = serde_json::json!({"message": "Member removed successfully"});
    let detail = |v: Value| -> Detail { serde_json::from_value(v).unwrap() };

    assert_eq!(detail(remove(&owner.token, &owner.id, 400)), owner_stays);
    assert_eq!(
        detail(remove(&superuser_token(), &owner.id, 400)),
        owner_stays
    );
    assert_eq!(
        detail(remove(&member.token, &other.id, 403)),
        Detail::new("Not enough permissions")
    );
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_eq!(detail(remove(&owner.token, &nobody, 404)), not_a_member);
    // a member leaves, and no longer sees the organization
    assert_eq!(remove(&member.token, &member.id, 200), removed);
    let refused: Detail = app.read_organization(&member, &org.id, 403);
    assert_eq!(refused, Detail::new("Not enough permissions"));
    assert_eq!(detail(remove(&owner.token, &member.id, 404)), not_a_member);
    // the owner removes another
    assert_eq!(remove(&owner.token, &other.id, 200), removed);
    let left: Page<MemberPublic> = app.read_organization_members(&owner, &org.id, "", 200);
    assert_eq!(left.count, 1);
}
