//! Fixtures made through the public API: organizations and their members.

use super::*;

pub const AVATAR: &str = "https://cdn.example.com/avatars/logo.png";

/// `user_id` joins `org` (by `caller`): the answer, whatever its status.
pub fn add_member(caller: &str, org: &OrganizationPublic, user_id: &str) -> Resp {
    let body = Body::json(&serde_json::json!({ "user_id": user_id }));
    app().exchange("POST", &paths::members(&org.id), caller, body)
}

/// `user_id` joins `org` as an admin (by its owner).
pub fn add_admin(owner: &str, org: &OrganizationPublic, user_id: &str) {
    let _: Resp = app().add_organization_member(owner, &org.id, user_id, 200);
    let _: Resp = app().update_member_role(owner, &org.id, user_id, "admin", 200);
}

/// An organization owned by `owner` with `member` in it.
pub fn org_with_member() -> (TestUser, TestUser, OrganizationPublic) {
    let owner = signup_user();
    let member = signup_user();
    let org = new_organization(&owner, "Acme");
    let _: Resp = app().add_organization_member(&owner, &org.id, &member.id, 200);
    (owner, member, org)
}

/// The subject of the address-verification e-mail.
pub const VERIFY_SUBJECT: &str = "Verify your email address";

/// A user made through public signup whose address is verified through the
/// link signup e-mailed to it.
pub fn verified_user() -> TestUser {
    let u = signup_user();
    let token = sink().delivered(&u.email, VERIFY_SUBJECT).token();
    let _: Resp = app().verify_email(&token, 200);
    u
}
