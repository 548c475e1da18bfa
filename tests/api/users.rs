//! The Users table of the contract, and the origin backend's own users tests, as
//! black-box HTTP tests.

use crate::helpers::*;
use serde_json::json;

#[test]
fn signup_creates_an_ordinary_active_user() {
    let email = random_email();
    let r = post("/api/v1/users/signup").json(&json!({
        "email": email, "password": "password123", "full_name": "Ann", "is_superuser": true, "rework_available": 99
    })).expect(200);
    let u = r.json();
    let keys: Vec<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "updated_at",
            "email",
            "full_name",
            "is_active",
            "is_superuser",
            "rework_available",
            "email_verified",
            "mfa_enabled"
        ]
    );
    assert_eq!(
        (
            &u["email"],
            &u["full_name"],
            &u["is_active"],
            &u["is_superuser"],
            &u["rework_available"],
            &u["mfa_enabled"]
        ),
        (
            &json!(email),
            &json!("Ann"),
            &json!(true),
            &json!(false),
            &json!(2),
            &json!(false)
        )
    );
    assert!(uuid::Uuid::parse_str(u["id"].as_str().unwrap()).is_ok());
    assert!(u["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(u["created_at"], u["updated_at"]);
}

#[test]
fn signup_with_a_taken_email_is_refused_without_a_period_and_regardless_of_case() {
    let email = format!("Case-{}@Example.com", uuid::Uuid::new_v4().simple());
    let r = post("/api/v1/users/signup").json(&json!({"email": email, "password": "password123"}));
    assert_eq!(
        r.json()["email"],
        email.replace("Example.com", "example.com")
    );
    for again in [email.clone(), email.to_lowercase(), email.to_uppercase()] {
        post("/api/v1/users/signup")
            .json(&json!({"email": again, "password": "password123"}))
            .assert_detail(400, "The user with this email already exists in the system");
    }
}

#[test]
fn signup_rejects_invalid_emails_with_the_origin_reasons() {
    for (email, reason) in [
        ("plainaddress", "An email address must have an @-sign."),
        ("@example.com", "There must be something before the @-sign."),
        (
            "user@example",
            "The part after the @-sign is not valid. It should have a period.",
        ),
        ("user@", "There must be something after the @-sign."),
    ] {
        post("/api/v1/users/signup").json(&json!({"email": email, "password": "password123"})).assert(
            422,
            json!({"detail": [{"type": "value_error", "loc": ["body", "email"], "msg": format!("value is not a valid email address: {reason}"), "input": email, "ctx": {"reason": reason}}]}),
        );
    }
}

#[test]
fn signup_requires_email_and_password() {
    let body = json!({"full_name": "No One"});
    post("/api/v1/users/signup").json(&body).assert(
        422,
        json!({"detail": [missing(json!(["body", "email"]), body.clone()), missing(json!(["body", "password"]), body)]}),
    );
    post("/api/v1/users/signup").json(&json!({"email": random_email(), "password": "x".repeat(41)})).assert(
        422,
        json!({"detail": [{"type": "string_too_long", "loc": ["body", "password"], "msg": "String should have at most 40 characters", "input": "x".repeat(41), "ctx": {"max_length": 40}}]}),
    );
    post("/api/v1/users/signup").json(&json!({"email": random_email(), "password": null})).assert(
        422,
        json!({"detail": [{"type": "string_type", "loc": ["body", "password"], "msg": "Input should be a valid string", "input": null}]}),
    );
}

#[test]
fn read_me_and_read_self_by_id_return_the_caller() {
    let u = signup_user();
    let me = get("/api/v1/users/me").token(&u.token).send();
    assert_eq!(me.json()["id"], u.id);
    let by_id = get(&format!(
        "/api/v1/users/{}",
        u.id.to_uppercase().replace('-', "")
    ))
    .token(&u.token)
    .send();
    assert_eq!(by_id.json(), me.json());
}

#[test]
fn update_me_changes_only_the_keys_present() {
    let u = signup_user();
    let r = patch("/api/v1/users/me")
        .token(&u.token)
        .json(&json!({"full_name": "Renamed"}));
    assert_eq!(
        (&r.json()["full_name"], &r.json()["email"]),
        (&json!("Renamed"), &json!(u.email))
    );
    assert_ne!(r.json()["updated_at"], r.json()["created_at"]);
    let r = patch("/api/v1/users/me")
        .token(&u.token)
        .json(&json!({"full_name": null, "email": null}));
    assert_eq!(
        (&r.json()["full_name"], &r.json()["email"]),
        (&json!(null), &json!(u.email))
    );
    let new_email = random_email();
    let r = patch("/api/v1/users/me")
        .token(&u.token)
        .json(&json!({"email": new_email}));
    assert_eq!(r.json()["email"], new_email);
    patch("/api/v1/users/me")
        .token(&u.token)
        .json(&json!({"email": new_email}))
        .expect(200);
}

#[test]
fn update_me_with_an_email_taken_by_someone_else_is_a_409() {
    let u = signup_user();
    let other = signup_user();
    patch("/api/v1/users/me")
        .token(&u.token)
        .json(&json!({"email": other.email.to_uppercase()}))
        .assert_detail(409, "User with this email already exists");
}

#[test]
fn update_me_validates_lengths_and_emails() {
    let u = signup_user();
    patch("/api/v1/users/me").token(&u.token).json(&json!({"full_name": "x".repeat(256), "email": "bad"})).assert(
        422,
        json!({"detail": [
            {"type": "string_too_long", "loc": ["body", "full_name"], "msg": "String should have at most 255 characters", "input": "x".repeat(256), "ctx": {"max_length": 255}},
            {"type": "value_error", "loc": ["body", "email"], "msg": "value is not a valid email address: An email address must have an @-sign.", "input": "bad", "ctx": {"reason": "An email address must have an @-sign."}}
        ]}),
    );
}

#[test]
fn changing_ones_own_password_and_reverting_it() {
    let u = signup_user();
    patch("/api/v1/users/me/password")
        .token(&u.token)
        .json(&json!({"current_password": u.password, "new_password": "changed-pw-1"}))
        .assert(200, json!({"message": "Password updated successfully"}));
    post("/api/v1/login/access-token")
        .form(&[("username", &u.email), ("password", &u.password)])
        .assert_detail(400, "Incorrect email or password");
    let token = login(&u.email, "changed-pw-1");
    patch("/api/v1/users/me/password")
        .token(&token)
        .json(&json!({"current_password": "changed-pw-1", "new_password": u.password}))
        .assert(200, json!({"message": "Password updated successfully"}));
    login(&u.email, &u.password);
}

#[test]
fn a_wrong_current_password_or_the_same_password_is_refused() {
    let u = signup_user();
    patch("/api/v1/users/me/password")
        .token(&u.token)
        .json(&json!({"current_password": "not-my-password", "new_password": "whatever-123"}))
        .assert_detail(400, "Incorrect password");
    patch("/api/v1/users/me/password")
        .token(&u.token)
        .json(&json!({"current_password": u.password, "new_password": u.password}))
        .assert_detail(400, "New password cannot be the same as the current one");
    patch("/api/v1/users/me/password")
        .token(&u.token)
        .json(&json!({"current_password": u.password}))
        .assert(422, json!({"detail": [missing(json!(["body", "new_password"]), json!({"current_password": u.password}))]}));
}

#[test]
fn a_user_deletes_themself_but_a_superuser_cannot() {
    let u = signup_user();
    delete("/api/v1/users/me")
        .token(&u.token)
        .send()
        .assert(200, json!({"message": "User deleted successfully"}));
    get("/api/v1/users/me")
        .token(&u.token)
        .send()
        .assert_detail(404, "User not found");
    delete("/api/v1/users/me")
        .token(&superuser_token())
        .send()
        .assert_detail(403, "Super users are not allowed to delete themselves");
}

#[test]
fn the_callers_rights_are_checked_before_the_query() {
    let u = signup_user();
    get("/api/v1/users/?limit=abc")
        .send()
        .assert_detail(401, "Not authenticated");
    get("/api/v1/users/?limit=abc")
        .token(&u.token)
        .send()
        .assert_detail(403, "The user doesn't have enough privileges");
    get("/api/v1/users/?limit=abc")
        .token(&superuser_token())
        .send()
        .expect(422);
    // a page is only shown to superusers, even though it is read with the caller
    get("/api/v1/users/?limit=1")
        .token(&u.token)
        .send()
        .assert_detail(403, "The user doesn't have enough privileges");
}
