//! The superuser's side of `/users`: creating, listing, reading, updating and
//! deleting any user.

use crate::helpers::*;
use serde_json::{json, Value};

fn create_user(body: Value) -> Value {
    post("/api/v1/users/")
        .token(&superuser_token())
        .json(&body)
        .ok()
}

#[test]
fn a_superuser_creates_users_with_chosen_flags() {
    let email = random_email();
    let u = create_user(
        json!({"email": email, "password": "password123", "is_superuser": true, "rework_available": 7, "full_name": null}),
    );
    assert_eq!(
        (&u["is_superuser"], &u["rework_available"], &u["full_name"]),
        (&json!(true), &json!(7), &json!(null))
    );
    post("/api/v1/users/")
        .token(&superuser_token())
        .json(&json!({"email": email, "password": "password123"}))
        .assert_detail(
            400,
            "The user with this email already exists in the system.",
        );
}

#[test]
fn create_user_validates_every_field() {
    post("/api/v1/users/")
        .token(&superuser_token())
        .json(&json!({"email": random_email(), "password": "password123", "is_superuser": "maybe", "rework_available": 1.5, "is_active": null}))
        .assert(
            422,
            json!({"detail": [
                {"type": "bool_parsing", "loc": ["body", "is_superuser"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"},
                {"type": "int_from_float", "loc": ["body", "rework_available"], "msg": "Input should be a valid integer, got a number with a fractional part", "input": 1.5},
                {"type": "bool_type", "loc": ["body", "is_active"], "msg": "Input should be a valid boolean", "input": null}
            ]}),
        );
}

#[test]
fn ordinary_users_cannot_use_superuser_operations() {
    let u = signup_user();
    let other = signup_user();
    for r in [
        get("/api/v1/users/").token(&u.token).send(),
        post("/api/v1/users/")
            .token(&u.token)
            .json(&json!({"email": random_email(), "password": "password123"})),
        patch(&format!("/api/v1/users/{}", other.id))
            .token(&u.token)
            .json(&json!({"full_name": "x"})),
        delete(&format!("/api/v1/users/{}", other.id))
            .token(&u.token)
            .send(),
        get(&format!("/api/v1/users/{}", other.id))
            .token(&u.token)
            .send(),
        get(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()))
            .token(&u.token)
            .send(),
    ] {
        r.assert_detail(403, "The user doesn't have enough privileges");
    }
}

#[test]
fn the_user_list_pages_searches_and_counts_all_matches() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..3 {
        create_user(
            json!({"email": format!("list-{tag}-{i}@example.com"), "password": "password123", "full_name": format!("List {i}")}),
        );
    }
    let r = get(&format!(
        "/api/v1/users/?search={}&limit=2",
        tag.to_uppercase()
    ))
    .token(&superuser_token())
    .send()
    .expect(200);
    let body = r.json();
    assert_eq!(body["count"], 3);
    let emails: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            format!("list-{tag}-2@example.com"),
            format!("list-{tag}-1@example.com")
        ],
        "newest first"
    );
    let page2 = get(&format!("/api/v1/users/?search={tag}&skip=2&limit=2"))
        .token(&superuser_token())
        .send()
        .json();
    assert_eq!(page2["count"], 3);
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    let none = get("/api/v1/users/?search=%25_no-such_%25")
        .token(&superuser_token())
        .send()
        .json();
    assert_eq!(none, json!({"data": [], "count": 0, "next_cursor": null}));
    let all = get("/api/v1/users/")
        .token(&superuser_token())
        .send()
        .json();
    assert!(all["count"].as_i64().unwrap() >= 3);
    let zero = get("/api/v1/users/?limit=0")
        .token(&superuser_token())
        .send()
        .json();
    assert_eq!(zero["data"], json!([]));
    assert!(zero["count"].as_i64().unwrap() >= 3);
}

#[test]
fn a_superuser_reads_any_user_and_gets_404_for_unknown_ids() {
    let u = signup_user();
    let r = get(&format!("/api/v1/users/{}", u.id))
        .token(&superuser_token())
        .send();
    assert_eq!(r.json()["email"], u.email);
    get(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()))
        .token(&superuser_token())
        .send()
        .assert_detail(404, "User not found");
}

#[test]
fn a_superuser_updates_any_user() {
    let u = signup_user();
    let r = patch(&format!("/api/v1/users/{}", u.id))
        .token(&superuser_token())
        .json(&json!({"full_name": "By Admin", "rework_available": 9, "is_superuser": null, "password": "admin-set-pw"})).expect(200);
    let body = r.json();
    assert_eq!(
        (
            &body["full_name"],
            &body["rework_available"],
            &body["is_superuser"]
        ),
        (&json!("By Admin"), &json!(9), &json!(false))
    );
    login(&u.email, "admin-set-pw");
}

#[test]
fn updating_an_unknown_user_or_to_a_taken_email_fails() {
    patch(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()))
        .token(&superuser_token())
        .json(&json!({"full_name": "x"}))
        .assert_detail(404, "The user with this id does not exist in the system");
    let u = signup_user();
    let other = signup_user();
    patch(&format!("/api/v1/users/{}", u.id))
        .token(&superuser_token())
        .json(&json!({"email": other.email}))
        .assert_detail(409, "User with this email already exists");
    patch(&format!("/api/v1/users/{}", u.id))
        .token(&superuser_token())
        .json(&json!({"password": "short"}))
        .assert(422, json!({"detail": [{"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters", "input": "short", "ctx": {"min_length": 8}}]}));
}

#[test]
fn path_and_body_problems_are_reported_together() {
    patch("/api/v1/users/xyz").token(&superuser_token()).json(&json!({"is_active": "perhaps"})).assert(
        422,
        json!({"detail": [
            {"type": "uuid_parsing", "loc": ["path", "user_id"], "msg": "Input should be a valid UUID, invalid character: found `x` at 0", "input": "xyz", "ctx": {"error": "invalid character: found `x` at 0"}},
            {"type": "bool_parsing", "loc": ["body", "is_active"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "perhaps"}
        ]}),
    );
}

#[test]
fn deleting_users_follows_the_rules() {
    let u = signup_user();
    delete(&format!("/api/v1/users/{}", uuid::Uuid::new_v4()))
        .token(&superuser_token())
        .send()
        .assert_detail(404, "User not found");
    let me = get("/api/v1/users/me")
        .token(&superuser_token())
        .send()
        .json();
    delete(&format!("/api/v1/users/{}", me["id"].as_str().unwrap()))
        .token(&superuser_token())
        .send()
        .assert_detail(403, "Super users are not allowed to delete themselves");
    delete(&format!("/api/v1/users/{}", u.id))
        .token(&superuser_token())
        .send()
        .assert(200, json!({"message": "User deleted successfully"}));
    get(&format!("/api/v1/users/{}", u.id))
        .token(&superuser_token())
        .send()
        .assert_detail(404, "User not found");
}
