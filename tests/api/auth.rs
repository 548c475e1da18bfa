//! Login and the Authentication table of the contract (A1–A4, S1), token attacks.

use crate::forged;
use crate::helpers::*;
use serde_json::{json, Value};
use users_orgs_api::auth::password;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 token signed with the test worker's `SECRET_KEY` (accepted beside
/// its ring: `ACCEPT_HS256` is on by default), issued at `iat`.
fn token_for(user_id: &str, iat: i64, ttl_minutes: i64) -> String {
    signed_token("", SECRET_KEY, "", user_id, iat, ttl_minutes)
}

#[test]
fn login_returns_a_bearer_token_with_its_lifetime() {
    let r = app().login_access_token::<Resp>(SUPERUSER_EMAIL, SUPERUSER_PASSWORD, 200);
    let body = r.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["access_token", "token_type", "refresh_token", "expires_in"]
    );
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 11520 * 60);
    let token = body["access_token"].as_str().unwrap();
    let me = app().test_token::<Resp>(token, 200);
    assert_eq!(me.json()["email"], SUPERUSER_EMAIL);
    assert_eq!(me.json()["is_superuser"], true);
}

#[test]
fn login_with_a_wrong_password_or_unknown_email_gives_the_same_answer() {
    assert_eq!(
        app().login_access_token::<Detail>(SUPERUSER_EMAIL, "wrong-password", 400),
        Detail::new("Incorrect email or password")
    );
    assert_eq!(
        app().login_access_token::<Detail>(&random_email(), "whatever123", 400),
        Detail::new("Incorrect email or password")
    );
}

#[test]
fn login_of_an_inactive_user_is_refused() {
    let email = random_email();
    app().create_user::<Resp>(
        &superuser_token(),
        &json!({"email": email, "password": "password123", "is_active": false}),
        200,
    );
    assert_eq!(
        app().login_access_token::<Detail>(&email, "password123", 400),
        Detail::new("Inactive user")
    );
    assert_eq!(
        app().login_access_token::<Detail>(&email, "wrong-password", 400),
        Detail::new("Incorrect email or password")
    );
}

#[test]
fn login_matches_the_email_in_any_case() {
    let u = signup_user();
    login(&u.email.to_uppercase(), &u.password);
    login(&format!("  {}  ", u.email), &u.password);
}

#[test]
fn login_form_problems_are_422s() {
    post(&paths::login()).form(&[("password", "x")]).assert(
        422,
        json!({"detail": [missing(json!(["body", "username"]), json!(null))]}),
    );
    assert_eq!(
        app().call::<Value>("POST", &paths::login(), &ANONYMOUS, Body::None, 422),
        json!({"detail": [missing(json!(["body", "username"]), json!(null)), missing(json!(["body", "password"]), json!(null))]})
    );
    post(&paths::login())
        .form(&[("grant_type", "client_credentials"), ("username", "a"), ("password", "b")])
        .assert(
            422,
            json!({"detail": [{"type": "string_pattern_mismatch", "loc": ["body", "grant_type"], "msg": "String should match pattern '^password$'", "input": "client_credentials", "ctx": {"pattern": "^password$"}}]}),
        );
    post(&paths::login())
        .form(&[
            ("grant_type", "password"),
            ("username", SUPERUSER_EMAIL),
            ("password", SUPERUSER_PASSWORD),
        ])
        .expect(200);
}

#[test]
fn a_missing_or_foreign_authorization_header_is_a_401_asking_for_bearer() {
    for header in [None, Some("Basic YTpi"), Some("Token abc")] {
        let mut req = get(&paths::me());
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        let r = req.send();
        r.assert_detail(401, "Not authenticated");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
}

#[test]
fn forged_and_malformed_tokens_are_all_403s() {
    let u = signup_user();
    let key = SECRET_KEY.as_bytes();
    app().read_user_me::<Resp>(&forged::control(key, &u.id, now()), 200); // the control token passes
    let mut headers: Vec<(String, String)> = forged::corpus(key, &u.id, now())
        .into_iter()
        .map(|(what, token)| (what.to_string(), format!("Bearer {token}")))
        .collect();
    headers.push(("no token".into(), "Bearer".into()));
    headers.push(("a space and no token".into(), "Bearer ".into()));
    headers.push(("extra words".into(), format!("Bearer {} extra", u.token)));
    headers.push((
        "expired by its own clock".into(),
        format!("Bearer {}", token_for(&u.id, now() - 7200, 60)),
    ));
    for (what, header) in headers {
        let r = get(&paths::me()).header("Authorization", &header).send();
        assert_eq!(
            (r.status, r.json()),
            (403, json!({"detail": "Could not validate credentials"})),
            "{what}"
        );
    }
    // the scheme is case-insensitive
    get(&paths::me())
        .header("Authorization", &format!("bearer {}", u.token))
        .send()
        .expect(200);
}

#[test]
fn a_token_for_a_deleted_user_is_a_404() {
    let u = signup_user();
    let r = delete(&paths::user(&u.id)).token(&superuser_token()).send();
    r.assert(200, json!({"message": "User deleted successfully"}));
    assert_eq!(
        app().read_user_me::<Detail>(&u.token, 404),
        Detail::new("User not found")
    );
}

#[test]
fn a_token_for_an_inactive_user_is_a_400() {
    let u = signup_user();
    app().update_user::<Resp>(&superuser_token(), &u.id, &json!({"is_active": false}), 200);
    assert_eq!(
        app().read_user_me::<Detail>(&u.token, 400),
        Detail::new("Inactive user")
    );
}

#[test]
fn a_token_issued_before_a_password_change_is_refused() {
    let u = signup_user();
    let old = u.token.clone();
    app().read_user_me::<Resp>(&old, 200);
    // The change usually falls in the second the token was issued in: the
    // token version refuses the old token all the same.
    assert_eq!(
        app().update_password_me::<Value>(
            &u.token,
            &json!({"current_password": u.password, "new_password": "new-password-1"}),
            200
        ),
        json!({"message": "Password updated successfully"})
    );
    assert_eq!(
        app().read_user_me::<Detail>(&old, 403),
        Detail::new("Could not validate credentials")
    );
    let fresh = login(&u.email, "new-password-1");
    app().read_user_me::<Resp>(&fresh, 200);
}

#[test]
fn authentication_is_checked_before_the_body() {
    post(&paths::users())
        .raw("application/json", b"{bad")
        .assert_detail(401, "Not authenticated");
    let u = signup_user();
    post(&paths::users())
        .token(&u.token)
        .raw("application/json", b"{bad")
        .assert_detail(403, "The user doesn't have enough privileges");
}

/// A user seeded straight into D1 with a hash of `rounds` rounds.
fn seed_user_with_hash(password: &str, rounds: u32) -> (String, String) {
    let email = random_email();
    let id = uuid::Uuid::new_v4().to_string();
    let hash = password::hash_with_salt(password, b"0123456789abcdef", rounds);
    d1(&format!(
        "insert into users (id, email, email_key, hashed_password, password_changed_at, created_at, updated_at) \
         values ('{id}', '{email}', lower('{email}'), '{hash}', 0, '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z')"
    ));
    (id, email)
}

fn stored_hash(id: &str) -> String {
    d1(&format!(
        "select hashed_password from users where id = '{id}'"
    ))[0]["hashed_password"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_hash_with_fewer_rounds_is_upgraded_at_the_next_login() {
    let (id, email) = seed_user_with_hash("legacy-password", TEST_ITERATIONS / 2);
    login(&email, "legacy-password");
    let stored = stored_hash(&id);
    assert!(
        stored.starts_with(&format!("$pbkdf2-sha256$i={TEST_ITERATIONS},l=32$")),
        "{stored}"
    );
    assert_eq!(
        password::verify("legacy-password", &stored, TEST_ITERATIONS),
        password::Verified::Yes { rehash: false }
    );
    login(&email, "legacy-password");
}

#[test]
fn a_hash_with_more_rounds_than_configured_is_never_weakened() {
    let (id, email) = seed_user_with_hash("strong-password", TEST_ITERATIONS * 2);
    let before = stored_hash(&id);
    login(&email, "strong-password");
    assert_eq!(stored_hash(&id), before);
}
