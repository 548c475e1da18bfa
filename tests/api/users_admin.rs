//! The superuser's side of `/users`: creating, listing, reading, updating and
//! deleting any user.

use crate::helpers::*;
use serde_json::{json, Value};

fn create_user(body: Value) -> UserPublic {
    app().create_user(&superuser_token(), &body, 200)
}

#[test]
fn a_superuser_creates_users_with_chosen_flags() {
    let email = random_email();
    let u = create_user(
        json!({"email": email, "password": "password123", "is_superuser": true, "rework_available": 7, "full_name": null}),
    );
    assert_eq!(
        (u.is_superuser, u.rework_available, u.full_name),
        (true, 7, None)
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
    let app = app();
    let new_user = json!({"email": random_email(), "password": "password123"});
    let refusals: [Detail; 6] = [
        app.read_users(&u, "", 403),
        app.create_user(&u, &new_user, 403),
        app.update_user(&u, &other.id, &json!({"full_name": "x"}), 403),
        app.delete_user(&u, &other.id, 403),
        app.read_user_by_id(&u, &other.id, 403),
        app.read_user_by_id(&u, &uuid::Uuid::new_v4().to_string(), 403),
    ];
    for refused in refusals {
        assert_eq!(
            refused,
            Detail::new("The user doesn't have enough privileges")
        );
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
    let (app, admin) = (app(), superuser_token());
    let found: Page<UserPublic> = app.read_users(
        &admin,
        &format!("search={}&limit=2", tag.to_uppercase()),
        200,
    );
    assert_eq!(found.count, 3);
    let emails: Vec<String> = found.data.into_iter().map(|u| u.email).collect();
    assert_eq!(
        emails,
        [2, 1].map(|i| format!("list-{tag}-{i}@example.com")),
        "newest first"
    );
    let page2: Page<UserPublic> =
        app.read_users(&admin, &format!("search={tag}&skip=2&limit=2"), 200);
    assert_eq!((page2.count, page2.data.len()), (3, 1));
    let none: Value = app.read_users(&admin, "search=%25_no-such_%25", 200);
    assert_eq!(none, json!({"data": [], "count": 0, "next_cursor": null}));
    let all: Page<UserPublic> = app.read_users(&admin, "", 200);
    assert!(all.count >= 3);
    let zero: Page<UserPublic> = app.read_users(&admin, "limit=0", 200);
    assert!(zero.data.is_empty());
    assert!(zero.count >= 3);
}

#[test]
fn a_superuser_reads_any_user_and_gets_404_for_unknown_ids() {
    let u = signup_user();
    let read: UserPublic = app().read_user_by_id(&superuser_token(), &u.id, 200);
    assert_eq!(read.email, u.email);
    assert_eq!(
        app().read_user_by_id::<Detail>(&superuser_token(), &uuid::Uuid::new_v4().to_string(), 404),
        Detail::new("User not found")
    );
}

#[test]
fn a_superuser_updates_any_user() {
    let u = signup_user();
    let changes = json!({"full_name": "By Admin", "rework_available": 9, "is_superuser": null, "password": "admin-set-pw"});
    let updated: UserPublic = app().update_user(&superuser_token(), &u.id, &changes, 200);
    assert_eq!(
        (
            updated.full_name.as_deref(),
            updated.rework_available,
            updated.is_superuser
        ),
        (Some("By Admin"), 9, false)
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
    let me: UserPublic = app().read_user_me(&superuser_token(), 200);
    assert_eq!(
        app().delete_user::<Detail>(&superuser_token(), &me.id, 403),
        Detail::new("Super users are not allowed to delete themselves")
    );
    let deleted: Message = app().delete_user(&superuser_token(), &u.id, 200);
    assert_eq!(deleted.message, "User deleted successfully");
    assert_eq!(
        app().read_user_by_id::<Detail>(&superuser_token(), &u.id, 404),
        Detail::new("User not found")
    );
}
