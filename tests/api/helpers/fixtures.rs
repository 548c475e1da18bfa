//! Fixtures made through the public API: organizations and their members.

use super::*;
use serde_json::{json, Value};

pub const AVATAR: &str = "https://cdn.example.com/avatars/logo.png";

pub fn create_org(token: &str, name: &str) -> Value {
    post(&paths::organizations())
        .token(token)
        .json(&json!({"name": name, "avatar_image": AVATAR}))
        .ok()
}

pub fn org_path(org: &Value) -> String {
    paths::organization(org["id"].as_str().unwrap())
}

pub fn add_member(token: &str, org: &Value, user_id: &str) -> Resp {
    post(&format!("{}/members", org_path(org)))
        .token(token)
        .json(&json!({"user_id": user_id}))
}

/// `user_id` joins `org` as an admin (by its owner).
pub fn add_admin(owner_token: &str, org: &Value, user_id: &str) {
    add_member(owner_token, org, user_id).expect(200);
    patch(&format!("{}/members/{}", org_path(org), user_id))
        .token(owner_token)
        .json(&json!({"role": "admin"}))
        .expect(200);
}

/// An organization owned by `owner` with `member` in it.
pub fn org_with_member() -> (TestUser, TestUser, Value) {
    let owner = signup_user();
    let member = signup_user();
    let org = create_org(&owner.token, "Acme");
    add_member(&owner.token, &org, &member.id).expect(200);
    (owner, member, org)
}

/// The subject of the address-verification e-mail.
pub const VERIFY_SUBJECT: &str = "Verify your email address";

/// A user made through public signup whose address is verified through the
/// link signup e-mailed to it.
pub fn verified_user() -> TestUser {
    let u = signup_user();
    let token = sink().delivered(&u.email, VERIFY_SUBJECT).token();
    post(&paths::verify_email())
        .json(&json!({ "token": token }))
        .expect(200);
    u
}
