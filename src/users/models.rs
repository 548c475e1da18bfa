//! Users: the stored row, the public shapes, and the request bodies with their rules.
//!
//! Request bodies are parsed, not validated: `parse` collects every problem in the
//! [`Validator`] and returns the typed input only when there was none.

use crate::http::input::Body;
use crate::validation::email::Email;
use crate::validation::{boolean, email, integer, name, password, Patch, Validator};
use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) use crate::identity::user::UserRow;

/// Length limit of names and emails where the schema sets one.
pub(crate) const NAME_MAX: usize = 255;
/// `rework_available` of a new user unless a superuser sets it.
pub(crate) const DEFAULT_REWORK_AVAILABLE: i64 = 2;

/// `UserPublic`.
#[derive(Debug, Serialize)]
pub(crate) struct UserPublic {
    pub(crate) id: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) email: String,
    pub(crate) full_name: Option<String>,
    pub(crate) is_active: bool,
    pub(crate) is_superuser: bool,
    pub(crate) rework_available: i64,
    pub(crate) email_verified: bool,
    pub(crate) mfa_enabled: bool,
}

impl From<UserRow> for UserPublic {
    fn from(u: UserRow) -> Self {
        UserPublic {
            is_active: u.is_active(),
            is_superuser: u.is_superuser(),
            email_verified: u.is_email_verified(),
            mfa_enabled: u.has_mfa(),
            id: u.id,
            created_at: u.created_at,
            updated_at: u.updated_at,
            email: u.email,
            full_name: u.full_name,
            rework_available: u.rework_available,
        }
    }
}

/// `UserPublic` as the `users` row holds it (`public_json`, kept by the triggers
/// of migration 0027): lists pass it through. A field added to `UserPublic` is
/// a migration too.
pub(crate) const USER_JSON: &str = "public_json as json";

/// `UserCreate`: a user made by a superuser.
#[derive(Debug)]
pub(crate) struct UserCreate {
    pub(crate) email: Email,
    pub(crate) password: String,
    pub(crate) full_name: Option<String>,
    pub(crate) is_superuser: bool,
    pub(crate) rework_available: i64,
    pub(crate) is_active: bool,
}

impl Body for UserCreate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let email = v.required(b, "email", email(None));
        let password = v.required(b, "password", password());
        let full_name = v.nullable(b, "full_name", name(None));
        let is_superuser = v.defaulted(b, "is_superuser", false, boolean);
        let rework_available =
            v.defaulted(b, "rework_available", DEFAULT_REWORK_AVAILABLE, integer);
        let is_active = v.defaulted(b, "is_active", true, boolean);
        Some(UserCreate {
            email: email?,
            password: password?,
            full_name: full_name.value(),
            is_superuser: is_superuser?,
            rework_available: rework_available?,
            is_active: is_active?,
        })
    }
}

/// `UserRegister`: public signup. Only these fields count: nothing in the body
/// can make a superuser or set credits.
#[derive(Debug)]
pub(crate) struct UserRegister {
    pub(crate) email: Email,
    pub(crate) password: String,
    pub(crate) full_name: Option<String>,
}

impl Body for UserRegister {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let email = v.required(b, "email", email(Some(NAME_MAX)));
        let password = v.required(b, "password", password());
        let full_name = v.nullable(b, "full_name", name(Some(NAME_MAX)));
        Some(UserRegister {
            email: email?,
            password: password?,
            full_name: full_name.value(),
        })
    }
}

/// `UserUpdateMe`.
#[derive(Debug)]
pub(crate) struct UserUpdateMe {
    pub(crate) full_name: Patch<String>,
    pub(crate) email: Option<Email>,
}

impl Body for UserUpdateMe {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let full_name = v.nullable(b, "full_name", name(Some(NAME_MAX)));
        let email = v.nullable(b, "email", email(Some(NAME_MAX)));
        Some(UserUpdateMe {
            full_name,
            email: email.value(),
        })
    }
}

/// `UserUpdate`: what a superuser may change on any user.
#[derive(Debug)]
pub(crate) struct UserUpdate {
    pub(crate) email: Option<Email>,
    pub(crate) full_name: Patch<String>,
    pub(crate) password: Option<String>,
    pub(crate) is_superuser: Option<bool>,
    pub(crate) is_active: Option<bool>,
    pub(crate) rework_available: Option<i64>,
}

impl Body for UserUpdate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let email = v.nullable(b, "email", email(None));
        let full_name = v.nullable(b, "full_name", name(None));
        let password = v.nullable(b, "password", password());
        let is_superuser = v.nullable(b, "is_superuser", boolean);
        let is_active = v.nullable(b, "is_active", boolean);
        let rework_available = v.nullable(b, "rework_available", integer);
        Some(UserUpdate {
            email: email.value(),
            full_name,
            password: password.value(),
            is_superuser: is_superuser.value(),
            is_active: is_active.value(),
            rework_available: rework_available.value(),
        })
    }
}

/// `UpdatePassword`.
#[derive(Debug)]
pub(crate) struct UpdatePassword {
    pub(crate) current_password: String,
    pub(crate) new_password: String,
}

impl Body for UpdatePassword {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let current_password = v.required(b, "current_password", password());
        let new_password = v.required(b, "new_password", password());
        Some(UpdatePassword {
            current_password: current_password?,
            new_password: new_password?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse<T>(
        f: fn(&mut Validator, &Map<String, Value>) -> Option<T>,
        body: Value,
    ) -> (Option<T>, Result<(), Value>) {
        let mut v = Validator::new();
        let out = f(&mut v, body.as_object().unwrap());
        (out, v.finish().map_err(|e| e.body()))
    }

    #[test]
    fn a_new_user_gets_the_documented_defaults() {
        let (u, r) = parse(
            UserCreate::parse,
            json!({"email": "a@example.com", "password": "12345678"}),
        );
        assert!(r.is_ok());
        let u = u.unwrap();
        assert!(u.is_active && !u.is_superuser);
        assert_eq!(u.rework_available, 2);
        assert_eq!(u.full_name, None);
    }

    #[test]
    fn signup_ignores_privilege_fields() {
        let (u, r) = parse(
            UserRegister::parse,
            json!({"email": "a@example.com", "password": "12345678", "is_superuser": true}),
        );
        assert!(r.is_ok());
        assert_eq!(u.unwrap().email.as_str(), "a@example.com");
    }

    #[test]
    fn passwords_outside_8_to_40_characters_are_refused() {
        let (_, r) = parse(
            UpdatePassword::parse,
            json!({"current_password": "1234567", "new_password": "x".repeat(41)}),
        );
        let d = r.unwrap_err()["detail"].clone();
        assert_eq!(d[0]["type"], "string_too_short");
        assert_eq!(d[1]["type"], "string_too_long");
        assert_eq!(d[1]["ctx"], json!({"max_length": 40}));
    }

    #[test]
    fn an_explicit_null_clears_full_name_but_not_email() {
        let (u, r) = parse(
            UserUpdateMe::parse,
            json!({"full_name": null, "email": null}),
        );
        assert!(r.is_ok());
        let u = u.unwrap();
        assert_eq!(u.full_name, Patch::Null);
        assert_eq!(u.email, None);
    }
}
