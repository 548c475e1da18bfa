//! `/organizations/{id}/members`: listing, adding and removing members.

use crate::helpers::*;
use serde_json::json;

#[test]
fn members_are_listed_in_the_order_they_joined_with_paging() {
    let (owner, member, org) = org_with_member();
    let third = signup_user();
    let r = add_member(&owner.token, &org, &third.id).expect(200);
    let body = r.json();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [owner.id.as_str(), member.id.as_str(), third.id.as_str()]
    );
    assert_eq!(r.json()["count"], 3);
    let page = get(&format!(
        "{}/members?skip=1&limit=1",
        paths::organization(&org.id)
    ))
    .token(&member.token)
    .send()
    .json();
    assert_eq!(page["count"], 3);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["user_id"], member.id);
    let keys: Vec<&str> = page["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["user_id", "joined_at", "email", "full_name", "role"]);
    assert_eq!(page["data"][0]["role"], "member");
}

#[test]
fn adding_members_refuses_unknown_users_and_existing_members() {
    let (owner, member, org) = org_with_member();
    add_member(&owner.token, &org, &uuid::Uuid::new_v4().to_string())
        .assert_detail(404, "User not found");
    add_member(&owner.token, &org, &member.id)
        .assert_detail(409, "User is already a member of this organization");
    add_member(&owner.token, &org, &owner.id)
        .assert_detail(409, "User is already a member of this organization");
    let other = signup_user();
    add_member(&superuser_token(), &org, &other.id).expect(200);
}

#[test]
fn removing_members_follows_the_rules() {
    let (owner, member, org) = org_with_member();
    let other = signup_user();
    add_member(&owner.token, &org, &other.id).expect(200);
    let p = paths::organization(&org.id);
    delete(&format!("{p}/members/{}", owner.id))
        .token(&owner.token)
        .send()
        .assert_detail(400, "The organization owner cannot be removed");
    delete(&format!("{p}/members/{}", owner.id))
        .token(&superuser_token())
        .send()
        .assert_detail(400, "The organization owner cannot be removed");
    delete(&format!("{p}/members/{}", other.id))
        .token(&member.token)
        .send()
        .assert_detail(403, "Not enough permissions");
    delete(&format!("{p}/members/{}", uuid::Uuid::new_v4()))
        .token(&owner.token)
        .send()
        .assert_detail(404, "User is not a member of this organization");
    delete(&format!("{p}/members/{}", member.id))
        .token(&member.token)
        .send()
        .assert(200, json!({"message": "Member removed successfully"}));
    get(&p)
        .token(&member.token)
        .send()
        .assert_detail(403, "Not enough permissions");
    delete(&format!("{p}/members/{}", member.id))
        .token(&owner.token)
        .send()
        .assert_detail(404, "User is not a member of this organization");
    delete(&format!("{p}/members/{}", other.id))
        .token(&owner.token)
        .send()
        .assert(200, json!({"message": "Member removed successfully"}));
    assert_eq!(
        get(&format!("{p}/members"))
            .token(&owner.token)
            .send()
            .json()["count"],
        1
    );
}
