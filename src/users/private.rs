//! `/private` (origin: `api/routes/private.py`): the origin's helper for its own
//! end-to-end tests, mounted only when `ENVIRONMENT=local`.

use super::repo::NewUser;
use crate::access::Public;
use crate::auth::hash_password;
use crate::clock::{now_iso, now_secs};
use crate::error::ApiResult;
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Body, Json};
use crate::http::Ctx;
use crate::ids::new_id;
use crate::validation::email::Email;
use crate::validation::{boolean, email, string, Validator};
use serde_json::{Map, Value};
use worker::Response;

/// `PrivateUserCreate`: as the origin's, `password` without length bounds.
pub(crate) struct PrivateUserCreate {
    email: Email,
    password: String,
    full_name: String,
    /// Whether the address counts as verified (no e-mail is sent then).
    is_verified: bool,
}

impl Body for PrivateUserCreate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let email = v.required(b, "email", email(None));
        let password = v.required(b, "password", string(Some(1), None));
        let full_name = v.required(b, "full_name", string(None, None));
        let is_verified = v.defaulted(b, "is_verified", false, boolean);
        Some(PrivateUserCreate {
            email: email?,
            password: password?,
            full_name: full_name?,
            is_verified: is_verified?,
        })
    }
}

/// Create User: create a new user without authentication (local development only).
pub(crate) async fn create_user(
    cx: Ctx,
    _: Public,
    Json(input): Json<PrivateUserCreate>,
) -> ApiResult<Response> {
    let hashed = hash_password(&cx.config, &input.password)?;
    let (id, now) = (new_id(), now_iso());
    let new = NewUser::ordinary(
        &id,
        &input.email,
        &hashed,
        Some(&input.full_name),
        input.is_verified,
        now_secs(),
        &now,
    );
    // The origin answers a taken email with a 500 (an integrity error); a
    // clear 400 is what a client can act on.
    let taken = super::routes::EMAIL_TAKEN;
    super::routes::insert(&cx, &IdempotencyKey(None), &new, taken, None).await
}
