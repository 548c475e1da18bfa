//! Roles and invitations (extensions.md section I): the admin role, member
//! roles, and invitations by e-mail from creation to acceptance.

use crate::helpers::*;
use serde_json::{json, Value};

/// An organization owned by `owner`, with `admin` as its admin and `member` a member.
fn org_with_admin() -> (TestUser, TestUser, TestUser, OrganizationPublic) {
    let (owner, admin, org) = org_with_member();
    let member = signup_user();
    add_member(&owner.token, &org, &member.id).expect(200);
    patch(&format!(
        "{}/members/{}",
        paths::organization(&org.id),
        admin.id
    ))
    .token(&owner.token)
    .json(&json!({"role": "admin"}))
    .expect(200);
    (owner, admin, member, org)
}

fn invite(token: &str, org: &OrganizationPublic, email: &str, role: &str) -> Resp {
    post(&format!("{}/invitations", paths::organization(&org.id)))
        .token(token)
        .json(&json!({"email": email, "role": role}))
}

fn accept(token: &str, invitation_token: &str) -> Resp {
    post(&paths::invitation_by_token("accept"))
        .token(token)
        .json(&json!({"token": invitation_token}))
}

#[test]
fn roles_show_in_the_member_list_and_only_the_owner_changes_them() {
    let (owner, admin, member, org) = org_with_admin();
    let list = get(&format!("{}/members", paths::organization(&org.id)))
        .token(&owner.token)
        .send()
        .ok();
    let roles: Vec<(&str, &str)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            (owner.id.as_str(), "owner"),
            (admin.id.as_str(), "admin"),
            (member.id.as_str(), "member")
        ]
    );
    let path = |u: &str| format!("{}/members/{u}", paths::organization(&org.id));
    let member_json = patch(&path(&member.id))
        .token(&owner.token)
        .json(&json!({"role": "admin"}))
        .ok();
    assert_eq!(
        (&member_json["user_id"], &member_json["role"]),
        (&json!(member.id), &json!("admin"))
    );
    patch(&path(&member.id))
        .token(&admin.token)
        .json(&json!({"role": "member"}))
        .assert_detail(403, "Not enough permissions");
    let r = patch(&path(&member.id))
        .token(&owner.token)
        .json(&json!({"role": "owner"}));
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["detail"][0]["type"], "literal_error");
    patch(&path(&signup_user().id))
        .token(&owner.token)
        .json(&json!({"role": "admin"}))
        .assert_detail(404, "User is not a member of this organization");
    patch(&path(&owner.id))
        .token(&superuser_token())
        .json(&json!({"role": "member"}))
        .assert_detail(
            400,
            "The owner's role changes only with a transfer of ownership",
        );
}

#[test]
fn admins_add_and_remove_members_and_rename_but_no_more() {
    let (owner, admin, member, org) = org_with_admin();
    let p = paths::organization(&org.id);
    // add and remove a plain member
    let newcomer = signup_user();
    add_member(&admin.token, &org, &newcomer.id).expect(200);
    delete(&format!("{p}/members/{}", newcomer.id))
        .token(&admin.token)
        .send()
        .expect(200);
    // rename, but not transfer, avatar, delete, or roles
    put(&p)
        .token(&admin.token)
        .json(&json!({"name": "Renamed", "description": "by an admin"}))
        .expect(200);
    put(&p)
        .token(&admin.token)
        .json(&json!({"owner_id": member.id}))
        .assert_detail(403, "Not enough permissions");
    put(&p)
        .token(&admin.token)
        .json(&json!({"avatar_image": AVATAR}))
        .assert_detail(403, "Not enough permissions");
    delete(&p)
        .token(&admin.token)
        .send()
        .assert_detail(403, "Not enough permissions");
    // another admin cannot be removed by an admin; the owner by nobody
    let second = signup_user();
    add_member(&owner.token, &org, &second.id).expect(200);
    patch(&format!("{p}/members/{}", second.id))
        .token(&owner.token)
        .json(&json!({"role": "admin"}))
        .expect(200);
    delete(&format!("{p}/members/{}", second.id))
        .token(&admin.token)
        .send()
        .assert_detail(403, "Not enough permissions");
    delete(&format!("{p}/members/{}", owner.id))
        .token(&admin.token)
        .send()
        .assert_detail(400, "The organization owner cannot be removed");
    // a transfer makes the new owner 'owner' and the old one a member
    put(&p)
        .token(&owner.token)
        .json(&json!({"owner_id": admin.id}))
        .expect(200);
    let list = get(&format!("{p}/members")).token(&owner.token).send().ok();
    let role_of = |id: &str| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .unwrap()["role"]
            .clone()
    };
    assert_eq!(
        (role_of(&admin.id), role_of(&owner.id)),
        (json!("owner"), json!("member"))
    );
}

#[test]
fn an_invitation_is_created_listed_and_accepted_by_its_address() {
    let (owner, admin, _, org) = org_with_admin();
    let invitee = random_email();
    let created = invite(&admin.token, &org, &invitee.to_uppercase(), "member").ok();
    let keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "organization_id",
            "email",
            "role",
            "status",
            "invited_by_id",
            "created_at",
            "expires_at",
            "token"
        ]
    );
    assert_eq!(
        (
            &created["status"],
            &created["role"],
            &created["invited_by_id"]
        ),
        (&json!("pending"), &json!("member"), &json!(admin.id))
    );
    // the e-mail carries the accept link with the same token
    // sent to the address as normalized (the local part as given, the domain lower-cased)
    let mail = sink().delivered(created["email"].as_str().unwrap(), "invited to join");
    assert_eq!(
        mail.link(),
        format!(
            "{FRONTEND_HOST}/accept-invitation?token={}",
            created["token"].as_str().unwrap()
        )
    );
    // listed for the organization, without the token
    let list = get(&format!(
        "{}/invitations?status=pending",
        paths::organization(&org.id)
    ))
    .token(&owner.token)
    .send()
    .ok();
    assert_eq!(list["count"], 1);
    assert!(list["data"][0].get("token").is_none());
    // the invitee signs up after it was sent, sees it, and accepts it
    let r =
        app().register_user::<Value>(&json!({"email": invitee, "password": "password123"}), 200);
    let token = login(&invitee, "password123");
    let verify = sink().delivered(&invitee, VERIFY_SUBJECT).token();
    app().verify_email::<Resp>(&verify, 200);
    let mine = app().read_my_invitations::<Value>(&token, "", 200);
    assert_eq!(
        (mine["count"].clone(), mine["data"][0]["id"].clone()),
        (json!(1), created["id"].clone())
    );
    let org_json = accept(&token, created["token"].as_str().unwrap()).ok();
    assert_eq!(org_json["id"], org.id.as_str());
    let members = get(&format!("{}/members", paths::organization(&org.id)))
        .token(&token)
        .send()
        .ok();
    assert!(members["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user_id"] == r["id"]));
    // used: the invitation is checked first, so this is the 400, not the 409
    accept(&token, created["token"].as_str().unwrap()).assert_detail(400, "Invalid invitation");
    let list = get(&format!("{}/invitations", paths::organization(&org.id)))
        .token(&owner.token)
        .send()
        .ok();
    assert_eq!(list["data"][0]["status"], "accepted");
}

#[test]
fn invitations_refuse_members_duplicates_other_addresses_and_plain_members() {
    let (owner, admin, member, org) = org_with_admin();
    invite(&owner.token, &org, &member.email, "member")
        .assert_detail(409, "User is already a member of this organization");
    let email = random_email();
    let first = invite(&owner.token, &org, &email, "member").ok();
    invite(&admin.token, &org, &email.to_uppercase(), "member")
        .assert_detail(409, "An invitation for this email is already pending");
    invite(&admin.token, &org, &random_email(), "admin")
        .assert_detail(403, "Not enough permissions");
    invite(&member.token, &org, &random_email(), "member")
        .assert_detail(403, "Not enough permissions");
    let stranger = signup_user();
    accept(&stranger.token, first["token"].as_str().unwrap())
        .assert_detail(403, "This invitation is for another email address");
    accept(&stranger.token, "no-such-token").assert_detail(400, "Invalid invitation");
    let r = invite(&owner.token, &org, "not-an-email", "member");
    assert_eq!(r.status, 422, "{}", r.text);
}

#[test]
fn revoked_declined_expired_and_resent_invitations() {
    let (owner, _, _, org) = org_with_admin();
    let p = paths::organization(&org.id);
    let u = verified_user();
    // revoked
    let revoked = invite(&owner.token, &org, &u.email, "member").ok();
    delete(&format!(
        "{p}/invitations/{}",
        revoked["id"].as_str().unwrap()
    ))
    .token(&owner.token)
    .send()
    .assert(200, json!({"message": "Invitation revoked"}));
    accept(&u.token, revoked["token"].as_str().unwrap()).assert_detail(400, "Invalid invitation");
    delete(&format!(
        "{p}/invitations/{}",
        revoked["id"].as_str().unwrap()
    ))
    .token(&owner.token)
    .send()
    .assert_detail(404, "Invitation not found");
    // declined by id
    let declined = invite(&owner.token, &org, &u.email, "member").ok();
    assert_eq!(
        app().decline_my_invitation::<Value>(&u.token, declined["id"].as_str().unwrap(), 200),
        json!({"message": "Invitation declined"})
    );
    accept(&u.token, declined["token"].as_str().unwrap()).assert_detail(400, "Invalid invitation");
    // expired: shown as such without a write, refused, and resent with a new token
    let expired = invite(&owner.token, &org, &u.email, "admin").ok();
    let id = expired["id"].as_str().unwrap();
    d1(&format!(
        "update invitations set expires_at = 1 where id = '{id}'"
    ));
    let list = get(&format!("{p}/invitations?status=expired"))
        .token(&owner.token)
        .send()
        .ok();
    assert_eq!(
        (list["count"].clone(), list["data"][0]["id"].clone()),
        (json!(1), json!(id))
    );
    assert_eq!(
        d1(&format!("select status from invitations where id = '{id}'")),
        vec![json!({"status": "pending"})]
    );
    accept(&u.token, expired["token"].as_str().unwrap()).assert_detail(400, "Invalid invitation");
    let resent = post(&format!("{p}/invitations/{id}/resend"))
        .token(&owner.token)
        .send()
        .ok();
    assert_ne!(resent["token"], expired["token"]);
    assert_eq!(resent["status"], "pending");
    app().accept_my_invitation::<Resp>(&u.token, id, 200);
    let members = get(&format!("{p}/members")).token(&owner.token).send().ok();
    let role = members["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == u.id)
        .unwrap()["role"]
        .clone();
    assert_eq!(role, "admin");
    let r = get(&format!("{p}/invitations?status=sideways"))
        .token(&owner.token)
        .send();
    assert_eq!(r.status, 422, "{}", r.text);
}

#[test]
fn twenty_concurrent_accepts_of_one_invitation_make_one_membership() {
    let (owner, _, _, org) = org_with_admin();
    let u = signup_user();
    let created = invite(&owner.token, &org, &u.email, "member").ok();
    let token = created["token"].as_str().unwrap();
    let statuses: Vec<u16> = at_once(20, |_| accept(&u.token, token).status);
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 400, 409].contains(s)),
        "{statuses:?}"
    );
    let rows = d1(&format!(
        "select count(*) as n from organization_members where organization_id = '{}' and user_id = '{}'",
        org.id.as_str(),
        u.id
    ));
    assert_eq!(rows, vec![json!({"n": 1})]);
}

#[test]
fn deleting_the_organization_takes_its_invitations_and_deleting_a_user_keeps_theirs() {
    let (owner, admin, _, org) = org_with_admin();
    let u = verified_user();
    let from_admin = invite(&admin.token, &org, &u.email, "member").ok();
    // the inviter leaves for good: the invitation stays, its inviter unknown
    delete(&format!(
        "{}/members/{}",
        paths::organization(&org.id),
        admin.id
    ))
    .token(&owner.token)
    .send()
    .expect(200);
    app().delete_user_me::<Resp>(&admin.token, 200);
    let mine = app().read_my_invitations::<Value>(&u.token, "", 200);
    assert_eq!(
        (
            mine["count"].clone(),
            mine["data"][0]["invited_by_id"].clone()
        ),
        (json!(1), json!(null))
    );
    delete(&paths::organization(&org.id))
        .token(&owner.token)
        .send()
        .expect(200);
    accept(&u.token, from_admin["token"].as_str().unwrap())
        .assert_detail(400, "Invalid invitation");
    assert_eq!(
        app().read_my_invitations::<Value>(&u.token, "", 200)["count"],
        0
    );
}
