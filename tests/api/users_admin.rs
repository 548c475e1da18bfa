//! The superuser's side of `/users`: creating, listing, reading, updating and
//! deleting any user.

use crate::helpers::*;
use serde_json::{json, Value};

fn create_user(body: Value) -> Value {
    app().create_user::<Value>(&superuser_token(), &body, 200)
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
    assert_eq!(
        app().create_user::<Detail>(
            &superuser_token(),
            &json!({"email": email, "password": "password123"}),
            400
        ),
        Detail::new("The user with this email already exists in the system.")
    );
}

#[test]
fn create_user_validates_every_field() {
    assert_eq!(app().create_user::<Value>(&superuser_token(), &json!({"email": random_email(), "password": "password123", "is_superuser": "maybe", "rework_available": 1.5, "is_active": null}), 422), json!({"detail": [
                {"type": "bool_parsing", "loc": ["body", "is_superuser"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "maybe"},
                {"type": "int_from_float", "loc": ["body", "rework_available"], "msg": "Input should be a valid integer, got a number with a fractional part", "input": 1.5},
                {"type": "bool_type", "loc": ["body", "is_active"], "msg": "Input should be a valid boolean", "input": null}
            ]}));
}

#[test]
fn ordinary_users_cannot_use_superuser_operations() {
    let u = signup_user();
    let other = signup_user();
    for r in [
        get(&paths::users()).token(&u.token).send(),
        post(&paths::users())
            .token(&u.token)
            .json(&json!({"email": random_email(), "password": "password123"})),
        patch(&paths::user(&other.id))
            .token(&u.token)
            .json(&json!({"full_name": "x"})),
        delete(&paths::user(&other.id)).token(&u.token).send(),
        get(&paths::user(&other.id)).token(&u.token).send(),
        get(&paths::user(&uuid::Uuid::new_v4().to_string()))
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
    let r = app().read_users::<Resp>(
        &superuser_token(),
        &format!("search={}&limit=2", tag.to_uppercase()),
        200,
    );
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
    let page2 = get(&with_query(
        paths::users(),
        &format!("search={tag}&skip=2&limit=2"),
    ))
    .token(&superuser_token())
    .send()
    .json();
    assert_eq!(page2["count"], 3);
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    let none = get(&with_query(paths::users(), "search=%25_no-such_%25"))
        .token(&superuser_token())
        .send()
        .json();
    assert_eq!(none, json!({"data": [], "count": 0, "next_cursor": null}));
    let all = get(&paths::users()).token(&superuser_token()).send().json();
    assert!(all["count"].as_i64().unwrap() >= 3);
    let zero = get(&with_query(paths::users(), "limit=0"))
        .token(&superuser_token())
        .send()
        .json();
    assert_eq!(zero["data"], json!([]));
    assert!(zero["count"].as_i64().unwrap() >= 3);
}

#[test]
fn a_superuser_reads_any_user_and_gets_404_for_unknown_ids() {
    let u = signup_user();
    let r = get(&paths::user(&u.id)).token(&superuser_token()).send();
    assert_eq!(r.json()["email"], u.email);
    assert_eq!(
        app().read_user_by_id::<Detail>(&superuser_token(), &uuid::Uuid::new_v4().to_string(), 404),
        Detail::new("User not found")
    );
}

#[test]
fn a_superuser_updates_any_user() {
    let u = signup_user();
    let r = app().update_user::<Resp>(&superuser_token(), &u.id, &json!({"full_name": "By Admin", "rework_available": 9, "is_superuser": null, "password": "admin-set-pw"}), 200);
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
    assert_eq!(
        app().update_user::<Detail>(
            &superuser_token(),
            &uuid::Uuid::new_v4().to_string(),
            &json!({"full_name": "x"}),
            404
        ),
        Detail::new("The user with this id does not exist in the system")
    );
    let u = signup_user();
    let other = signup_user();
    assert_eq!(
        app().update_user::<Detail>(
            &superuser_token(),
            &u.id,
            &json!({"email": other.email}),
            409
        ),
        Detail::new("User with this email already exists")
    );
    assert_eq!(
        app().update_user::<Value>(
            &superuser_token(),
            &u.id,
            &json!({"password": "short"}),
            422
        ),
        json!({"detail": [{"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters", "input": "short", "ctx": {"min_length": 8}}]})
    );
}

#[test]
fn path_and_body_problems_are_reported_together() {
    assert_eq!(
        app().update_user::<Value>(
            &superuser_token(),
            "xyz",
            &json!({"is_active": "perhaps"}),
            422
        ),
        json!({"detail": [
            {"type": "uuid_parsing", "loc": ["path", "user_id"], "msg": "Input should be a valid UUID, invalid character: found `x` at 0", "input": "xyz", "ctx": {"error": "invalid character: found `x` at 0"}},
            {"type": "bool_parsing", "loc": ["body", "is_active"], "msg": "Input should be a valid boolean, unable to interpret input", "input": "perhaps"}
        ]})
    );
}

#[test]
fn deleting_users_follows_the_rules() {
    let u = signup_user();
    assert_eq!(
        app().delete_user::<Detail>(&superuser_token(), &uuid::Uuid::new_v4().to_string(), 404),
        Detail::new("User not found")
    );
    let me = get(&paths::me()).token(&superuser_token()).send().json();
    assert_eq!(
        app().delete_user::<Detail>(&superuser_token(), me["id"].as_str().unwrap(), 403),
        Detail::new("Super users are not allowed to delete themselves")
    );
    assert_eq!(
        app().delete_user::<Value>(&superuser_token(), &u.id, 200),
        json!({"message": "User deleted successfully"})
    );
    assert_eq!(
        app().read_user_by_id::<Detail>(&superuser_token(), &u.id, 404),
        Detail::new("User not found")
    );
}
