//! The Users table of the contract, and the origin backend's own users tests, as
//! black-box HTTP tests.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn signup_creates_an_ordinary_active_user() {
    let email = random_email();
    let asks_for_more = json!({
        "email": email, "password": "password123", "full_name": "Ann", "is_superuser": true, "rework_available": 99
    });
    let body: Value = app().register_user(&asks_for_more, 200);
    assert_eq!(
        field_names(&body),
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
    let user: UserPublic = serde_json::from_value(body).unwrap();
    assert_eq!(
        user,
        UserPublic {
            email,
            full_name: Some("Ann".into()),
            is_active: true,
            is_superuser: false,
            rework_available: 2,
            mfa_enabled: false,
            ..user.clone()
        }
    );
    assert!(uuid::Uuid::parse_str(&user.id).is_ok());
    assert!(user.created_at.ends_with('Z'));
    assert_eq!(user.created_at, user.updated_at);
}

#[test]
fn signup_with_a_taken_email_is_refused_without_a_period_and_regardless_of_case() {
    let app = app();
    let email = format!("Case-{}@Example.com", uuid::Uuid::new_v4().simple());
    let user: UserPublic =
        app.register_user(&json!({"email": email, "password": "password123"}), 200);
    assert_eq!(user.email, email.replace("Example.com", "example.com"));
    for again in [email.clone(), email.to_lowercase(), email.to_uppercase()] {
        let refused: Detail =
            app.register_user(&json!({"email": again, "password": "password123"}), 400);
        assert_eq!(
            refused,
            Detail::new("The user with this email already exists in the system")
        );
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
        let refused: Value =
            app().register_user(&json!({"email": email, "password": "password123"}), 422);
        assert_eq!(
            refused,
            json!({"detail": [{"type": "value_error", "loc": ["body", "email"], "msg": format!("value is not a valid email address: {reason}"), "input": email, "ctx": {"reason": reason}}]})
        );
    }
}

#[test]
fn signup_requires_email_and_password() {
    let app = app();
    let body = json!({"full_name": "No One"});
    let refused: Value = app.register_user(&body, 422);
    assert_eq!(
        refused,
        json!({"detail": [missing(json!(["body", "email"]), body.clone()), missing(json!(["body", "password"]), body)]})
    );
    let too_long = json!({"email": random_email(), "password": "x".repeat(41)});
    let refused: Value = app.register_user(&too_long, 422);
    assert_eq!(
        refused,
        json!({"detail": [{"type": "string_too_long", "loc": ["body", "password"], "msg": "String should have at most 40 characters", "input": "x".repeat(41), "ctx": {"max_length": 40}}]})
    );
    let null = json!({"email": random_email(), "password": null});
    let refused: Value = app.register_user(&null, 422);
    assert_eq!(
        refused,
        json!({"detail": [{"type": "string_type", "loc": ["body", "password"], "msg": "Input should be a valid string", "input": null}]})
    );
}

#[test]
fn read_me_and_read_self_by_id_return_the_caller() {
    let app = app();
    let u = signup_user();
    let me: UserPublic = app.read_user_me(&u, 200);
    assert_eq!(me.id, u.id);
    let spelled_otherwise = u.id.to_uppercase().replace('-', "");
    let by_id: UserPublic = app.read_user_by_id(&u, &spelled_otherwise, 200);
    assert_eq!(by_id, me);
}

#[test]
fn update_me_changes_only_the_keys_present() {
    let app = app();
    let u = signup_user();
    let renamed: UserPublic = app.update_user_me(&u, &json!({"full_name": "Renamed"}), 200);
    assert_eq!(
        (renamed.full_name.as_deref(), renamed.email.as_str()),
        (Some("Renamed"), u.email.as_str())
    );
    assert_ne!(renamed.updated_at, renamed.created_at);
    let nulls: UserPublic = app.update_user_me(&u, &json!({"full_name": null, "email": null}), 200);
    assert_eq!((nulls.full_name, nulls.email), (None, u.email.clone()));
    let new_email = random_email();
    let moved: UserPublic = app.update_user_me(&u, &json!({"email": new_email}), 200);
    assert_eq!(moved.email, new_email);
    let _same_again: UserPublic = app.update_user_me(&u, &json!({"email": new_email}), 200);
}

#[test]
fn update_me_with_an_email_taken_by_someone_else_is_a_409() {
    let (u, other) = (signup_user(), signup_user());
    let taken = json!({"email": other.email.to_uppercase()});
    let refused: Detail = app().update_user_me(&u, &taken, 409);
    assert_eq!(refused, Detail::new("User with this email already exists"));
}

#[test]
fn update_me_validates_lengths_and_emails() {
    let u = signup_user();
    let bad = json!({"full_name": "x".repeat(256), "email": "bad"});
    let refused: Value = app().update_user_me(&u, &bad, 422);
    assert_eq!(
        refused,
        json!({"detail": [
            {"type": "string_too_long", "loc": ["body", "full_name"], "msg": "String should have at most 255 characters", "input": "x".repeat(256), "ctx": {"max_length": 255}},
            {"type": "value_error", "loc": ["body", "email"], "msg": "value is not a valid email address: An email address must have an @-sign.", "input": "bad", "ctx": {"reason": "An email address must have an @-sign."}}
        ]})
    );
}

#[test]
fn changing_ones_own_password_and_reverting_it() {
    let app = app();
    let u = signup_user();
    let updated = Message {
        message: "Password updated successfully".into(),
    };
    let change = json!({"current_password": u.password, "new_password": "changed-pw-1"});
    let answer: Message = app.update_password_me(&u, &change, 200);
    assert_eq!(answer, updated);
    let refused: Detail = app.login_access_token(&u.email, &u.password, 400);
    assert_eq!(refused, Detail::new("Incorrect email or password"));
    let token = login(&u.email, "changed-pw-1");
    let back = json!({"current_password": "changed-pw-1", "new_password": u.password});
    let answer: Message = app.update_password_me(&token, &back, 200);
    assert_eq!(answer, updated);
    login(&u.email, &u.password);
}

#[test]
fn a_wrong_current_password_or_the_same_password_is_refused() {
    let app = app();
    let u = signup_user();
    let wrong = json!({"current_password": "not-my-password", "new_password": "whatever-123"});
    let refused: Detail = app.update_password_me(&u, &wrong, 400);
    assert_eq!(refused, Detail::new("Incorrect password"));
    let same = json!({"current_password": u.password, "new_password": u.password});
    let refused: Detail = app.update_password_me(&u, &same, 400);
    assert_eq!(
        refused,
        Detail::new("New password cannot be the same as the current one")
    );
    let no_new = json!({"current_password": u.password});
    let refused: Value = app.update_password_me(&u, &no_new, 422);
    assert_eq!(
        refused,
        json!({"detail": [missing(json!(["body", "new_password"]), no_new)]})
    );
}

#[test]
fn a_user_deletes_themself_but_a_superuser_cannot() {
    let app = app();
    let u = signup_user();
    let deleted: Message = app.delete_user_me(&u, 200);
    assert_eq!(deleted.message, "User deleted successfully");
    let gone: Detail = app.read_user_me(&u, 404);
    assert_eq!(gone, Detail::new("User not found"));
    let refused: Detail = app.delete_user_me(&superuser_token(), 403);
    assert_eq!(
        refused,
        Detail::new("Super users are not allowed to delete themselves")
    );
}

#[test]
fn the_callers_rights_are_checked_before_the_query() {
    let app = app();
    let u = signup_user();
    let refused: Detail = app.read_users(&ANONYMOUS, "limit=abc", 401);
    assert_eq!(refused, Detail::new("Not authenticated"));
    let refused: Detail = app.read_users(&u, "limit=abc", 403);
    assert_eq!(
        refused,
        Detail::new("The user doesn't have enough privileges")
    );
    let _invalid: Validation = app.read_users(&superuser_token(), "limit=abc", 422);
    // a page is only shown to superusers, even though it is read with the caller
    let refused: Detail = app.read_users(&u, "limit=1", 403);
    assert_eq!(
        refused,
        Detail::new("The user doesn't have enough privileges")
    );
}
