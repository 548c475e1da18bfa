//! Sessions (extensions.md section S): refresh with rotation and reuse
//! detection, logout, the session list, revocation that takes effect at once.

use crate::helpers::*;
use serde_json::{json, Value};

const INVALID: &str = "Invalid refresh token";
const DENIED: &str = "Could not validate credentials";

/// A login's whole answer, from an address and user agent of its own.
fn login_full(email: &str, password: &str, agent: &str) -> Value {
    post(&paths::login())
        .header("User-Agent", agent)
        .form(&[("username", email), ("password", password)])
        .ok()
}

fn refresh(token: &str) -> Resp {
    post(&paths::refresh()).json(&json!({"refresh_token": token}))
}

fn me(access: &str) -> Resp {
    get(&paths::me()).token(access).send()
}

fn sessions(access: &str) -> Value {
    app().read_sessions::<Value>(access, "", 200)
}

#[test]
fn login_answers_a_refresh_token_and_the_access_token_names_its_session() {
    let u = signup_user();
    let t = login_full(&u.email, &u.password, "agent/1");
    let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["access_token", "token_type", "refresh_token", "expires_in"]
    );
    assert_eq!(
        (&t["token_type"], &t["expires_in"]),
        (&json!("bearer"), &json!(11520 * 60))
    );
    let payload = t["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    let claims: Value = {
        use base64ct::{Base64UrlUnpadded, Encoding};
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(&payload).unwrap()).unwrap()
    };
    let list = sessions(t["access_token"].as_str().unwrap());
    let current: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1, "{list}");
    assert_eq!(current[0]["id"], claims["sid"]);
    assert_eq!(current[0]["user_agent"], "agent/1");
}

#[test]
fn logout_ends_the_access_token_and_the_refresh_token_at_once() {
    let u = signup_user();
    let t = login_full(&u.email, &u.password, "a");
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(
        app().logout::<Value>(access, 200),
        json!({"message": "Logged out"})
    );
    me(access).assert_detail(403, DENIED);
    refresh(t["refresh_token"].as_str().unwrap()).assert_detail(401, INVALID);
    // the user's other sessions live on
    me(&u.token).expect(200);
}

#[test]
fn a_refresh_rotates_and_a_rotated_token_presented_again_ends_the_session() {
    let u = signup_user();
    let first = login_full(&u.email, &u.password, "a");
    let old = first["refresh_token"].as_str().unwrap().to_string();
    let second = refresh(&old).ok();
    let new = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    me(second["access_token"].as_str().unwrap()).expect(200);
    // the old token again: reuse, and the whole session ends
    refresh(&old).assert_detail(401, INVALID);
    refresh(&new).assert_detail(401, INVALID);
    me(second["access_token"].as_str().unwrap()).assert_detail(403, DENIED);
    refresh("never-issued").assert_detail(401, INVALID);
}

#[test]
fn two_concurrent_refreshes_with_one_token_give_exactly_one_success() {
    let u = signup_user();
    let t = login_full(&u.email, &u.password, "a");
    let token = t["refresh_token"].as_str().unwrap();
    let start = std::sync::Barrier::new(2);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    refresh(token).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 401], "{statuses:?}");
}

#[test]
fn sessions_are_listed_newest_first_and_revoked_one_by_one_or_all_but_this() {
    let u = signup_user();
    let a = login_full(&u.email, &u.password, "first");
    let b = login_full(&u.email, &u.password, "second");
    let access_b = b["access_token"].as_str().unwrap();
    let list = sessions(access_b);
    let agents: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["user_agent"].as_str())
        .collect();
    assert_eq!(&agents[..2], ["second", "first"], "{list}");
    let first_id = list["data"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app().revoke_session::<Value>(access_b, &first_id, 200),
        json!({"message": "Session revoked"})
    );
    me(a["access_token"].as_str().unwrap()).assert_detail(403, DENIED);
    // another user's session is not found
    let other = signup_user();
    let theirs = sessions(&other.token)["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app().revoke_session::<Detail>(access_b, &theirs, 404),
        Detail::new("Session not found")
    );
    me(&other.token).expect(200);
    assert_eq!(
        app().revoke_other_sessions::<Value>(access_b, 200),
        json!({"message": "Other sessions revoked"})
    );
    me(&u.token).assert_detail(403, DENIED);
    me(access_b).expect(200);
    assert_eq!(sessions(access_b)["count"], 1);
}

#[test]
fn a_superuser_ends_a_users_sessions_and_the_next_request_is_a_403() {
    let u = signup_user();
    let t = login_full(&u.email, &u.password, "a");
    assert_eq!(
        app().revoke_user_sessions::<Value>(&superuser_token(), &u.id, 200),
        json!({"message": "Sessions revoked"})
    );
    me(&u.token).assert_detail(403, DENIED);
    refresh(t["refresh_token"].as_str().unwrap()).assert_detail(401, INVALID);
    assert_eq!(
        app().revoke_user_sessions::<Detail>(
            &superuser_token(),
            &uuid::Uuid::new_v4().to_string(),
            404
        ),
        Detail::new("User not found")
    );
    assert_eq!(
        app().revoke_user_sessions::<Detail>(&signup_user().token, &u.id, 403),
        Detail::new("The user doesn't have enough privileges")
    );
}

#[test]
fn deactivation_and_a_password_change_end_every_session() {
    let u = signup_user();
    let t = login_full(&u.email, &u.password, "a");
    let admin = superuser_token();
    let path = paths::user(&u.id);
    patch(&path)
        .token(&admin)
        .json(&json!({"is_active": false}))
        .expect(200);
    patch(&path)
        .token(&admin)
        .json(&json!({"is_active": true}))
        .expect(200);
    me(&u.token).assert_detail(403, DENIED);
    refresh(t["refresh_token"].as_str().unwrap()).assert_detail(401, INVALID);
    let fresh = login_full(&u.email, &u.password, "b");
    app().update_password_me::<Resp>(
        fresh["access_token"].as_str().unwrap(),
        &json!({"current_password": u.password, "new_password": "new-password-1"}),
        200,
    );
    refresh(fresh["refresh_token"].as_str().unwrap()).assert_detail(401, INVALID);
}

#[test]
fn a_refresh_moves_last_used_at_and_records_the_client() {
    let u = signup_user();
    let t = login_full(&u.email, &u.password, "before");
    let r = post(&paths::refresh())
        .header("User-Agent", &"x".repeat(600))
        .header("CF-Connecting-IP", "203.0.113.9")
        .json(&json!({"refresh_token": t["refresh_token"]}))
        .ok();
    let list = sessions(r["access_token"].as_str().unwrap());
    let current = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap();
    assert_eq!(current["ip_address"], "203.0.113.9");
    assert_eq!(current["user_agent"].as_str().unwrap().len(), 512);
    assert!(current["last_used_at"].as_str() >= current["created_at"].as_str());
    assert!(current["expires_at"].as_str().unwrap() > current["last_used_at"].as_str().unwrap());
}

#[test]
fn the_scheduled_run_deletes_expired_and_long_revoked_sessions() {
    let u = signup_user();
    let (expired, revoked, live) = (
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    d1(&format!(
        "insert into sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at) values \
         ('{expired}', '{id}', 't', 't', {past}, null), \
         ('{revoked}', '{id}', 't', 't', {future}, {long_ago}), \
         ('{live}', '{id}', 't', 't', {future}, null); \
         insert into refresh_tokens (token_hash, session_id, created_at) values ('h-{expired}', '{expired}', 't')",
        id = u.id,
        past = now - 1,
        future = now + 86_400,
        long_ago = now - 2 * 86_400,
    ));
    app().scheduled();
    let rows = d1(&format!(
        "select id from sessions where id in ('{expired}', '{revoked}', '{live}') \
         union all select token_hash from refresh_tokens where token_hash = 'h-{expired}'"
    ));
    assert_eq!(rows, vec![json!({"id": live.to_string()})]);
}
