//! `/users` (origin: `api/routes/users.py`). Each handler: authenticate, parse,
//! one repository call, map to the public model.

use super::models::{
    Message, UpdatePassword, UserCreate, UserPublic, UserRegister, UserRow, UserUpdate,
    UserUpdateMe, UsersPublic,
};
use super::repo::{self, DeleteError, NewUser, UserChanges, WriteError};
use crate::app::{json_ok, now_iso, now_secs, Ctx};
use crate::auth::current_user::{
    authorize_with, current_superuser, current_user, token_claims, NOT_ENOUGH_PRIVILEGES,
};
use crate::auth::password;
use crate::error::{ApiError, ApiResult};
use crate::rate_limits::{self, Limit};
use crate::validation::{checked, Validator};
use worker::Response;

const EMAIL_EXISTS_409: &str = "User with this email already exists";
pub const TOO_MANY_SIGNUPS: &str = "Too many signups from this address, try again later";
const SUPERUSER_SELF_DELETE: &str = "Super users are not allowed to delete themselves";

fn hash(cx: &Ctx, password: &str) -> ApiResult<String> {
    password::hash_password(password, cx.config.password_iterations)
        .map_err(|e| ApiError::internal(format!("getrandom: {e}")))
}

/// Applies `changes` to user `id`: a taken email is a 409, no such user `missing` (404).
async fn update(
    cx: &Ctx,
    id: &str,
    changes: &UserChanges<'_>,
    missing: &'static str,
) -> ApiResult<Response> {
    let user = repo::update_user(&cx.db, id, changes, &now_iso())
        .await
        .map_err(|e| write_error(e, 409, EMAIL_EXISTS_409))?
        .ok_or_else(|| ApiError::not_found(missing))?;
    public(user)
}

/// Deletes a user; owning an organization is a 409, no such user a 404.
async fn delete(cx: &Ctx, id: &str) -> ApiResult<Response> {
    let deleted = repo::delete_user(&cx.db, id).await.map_err(|e| match e {
        DeleteError::OwnsOrganizations => {
            ApiError::conflict("The user owns organizations; transfer their ownership first")
        }
        DeleteError::Db(db) => db.into(),
    })?;
    if !deleted {
        return Err(ApiError::not_found("User not found"));
    }
    json_ok(&Message {
        message: "User deleted successfully",
    })
}

fn public(user: UserRow) -> ApiResult<Response> {
    json_ok(&UserPublic::from(user))
}

/// Maps a refused write: a taken email is `detail` with `status`.
fn write_error(e: WriteError, status: u16, detail: &'static str) -> ApiError {
    match e {
        WriteError::EmailTaken => ApiError::http(status, detail),
        WriteError::Db(db) => db.into(),
    }
}

/// Read Users: retrieve users (superusers only). One D1 round trip: the caller
/// and the page are read together; the page is only shown to a superuser.
pub async fn read_users(cx: Ctx) -> ApiResult<Response> {
    let claims = token_claims(&cx)?;
    let mut v = Validator::new();
    let page = cx.page(&mut v);
    let search = cx.search();
    let (_, results) = authorize_with(&cx, &claims, v, true, |db| {
        let page = checked(page)?;
        Ok(repo::list_users_statements(
            db,
            page.skip,
            page.limit,
            search.as_deref(),
        )?)
    })
    .await?;
    let (users, count) = repo::list_users_from(&results)?;
    json_ok(&UsersPublic {
        data: users.into_iter().map(UserPublic::from).collect(),
        count,
    })
}

/// Create User: create a new user (superusers only).
pub async fn create_user(cx: Ctx) -> ApiResult<Response> {
    current_superuser(&cx).await?;
    let input = cx.body(UserCreate::parse)?;
    let hashed = hash(&cx, &input.password)?;
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let now = now_iso();
    let new = NewUser {
        id: &id,
        email: input.email.as_str(),
        hashed_password: &hashed,
        full_name: input.full_name.as_deref(),
        is_active: input.is_active,
        is_superuser: input.is_superuser,
        rework_available: input.rework_available,
        now_secs: now_secs(),
        now: &now,
    };
    let user = repo::insert_user(&cx.db, &new, Vec::new())
        .await
        .map_err(|e| {
            write_error(
                e,
                400,
                "The user with this email already exists in the system.",
            )
        })?;
    public(user)
}

/// Read User Me: get current user.
pub async fn read_user_me(cx: Ctx) -> ApiResult<Response> {
    public(current_user(&cx).await?)
}

/// Update User Me: update own user.
pub async fn update_user_me(cx: Ctx) -> ApiResult<Response> {
    let me = current_user(&cx).await?;
    let input = cx.body(UserUpdateMe::parse)?;
    let changes = UserChanges {
        email: input.email.as_ref().map(|e| e.as_str()),
        full_name: input.full_name,
        ..UserChanges::default()
    };
    update(&cx, &me.id, &changes, "User not found").await
}

/// Update Password Me: update own password; tokens issued before stop working.
pub async fn update_password_me(cx: Ctx) -> ApiResult<Response> {
    let me = current_user(&cx).await?;
    let input = cx.body(UpdatePassword::parse)?;
    let iterations = cx.config.password_iterations;
    if password::verify(&input.current_password, &me.hashed_password, iterations)
        == password::Verified::No
    {
        return Err(ApiError::bad_request("Incorrect password"));
    }
    if input.current_password == input.new_password {
        return Err(ApiError::bad_request(
            "New password cannot be the same as the current one",
        ));
    }
    let hashed = hash(&cx, &input.new_password)?;
    let changes = UserChanges {
        hashed_password: Some(&hashed),
        password_changed_at: Some(now_secs()),
        ..UserChanges::default()
    };
    repo::update_user(&cx.db, &me.id, &changes, &now_iso())
        .await
        .map_err(|e| write_error(e, 409, EMAIL_EXISTS_409))?;
    json_ok(&Message {
        message: "Password updated successfully",
    })
}

/// Delete User Me: delete own user (not for superusers).
pub async fn delete_user_me(cx: Ctx) -> ApiResult<Response> {
    let me = current_user(&cx).await?;
    if me.is_superuser() {
        return Err(ApiError::forbidden(SUPERUSER_SELF_DELETE));
    }
    delete(&cx, &me.id).await
}

/// Register User: create new user without the need to be logged in.
///
/// At most `SIGNUP_IP_LIMIT_PER_HOUR` accounts per client address per hour: the
/// count is read first, and the signup is recorded in the batch that creates the user.
pub async fn register_user(cx: Ctx) -> ApiResult<Response> {
    let input = cx.body(UserRegister::parse)?;
    let now_s = now_secs();
    let limit = Limit {
        limit: cx.config.signup_ip_limit_per_hour,
        seconds: 3600,
    };
    let ip_key = cx
        .client_ip()
        .filter(|_| limit.is_on())
        .map(|ip| rate_limits::signup_ip_key(&ip));
    let mut record = Vec::new();
    if let Some(key) = &ip_key {
        let counted = cx
            .db
            .batch(vec![rate_limits::count_statement(
                &cx.db, key, limit, now_s,
            )?])
            .await?;
        rate_limits::check(&counted[0], limit, now_s, TOO_MANY_SIGNUPS)?;
        record = rate_limits::record_statements(&cx.db, key, limit, now_s)?;
    }
    let hashed = hash(&cx, &input.password)?;
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let now = now_iso();
    let new = NewUser {
        id: &id,
        email: input.email.as_str(),
        hashed_password: &hashed,
        full_name: input.full_name.as_deref(),
        is_active: true,
        is_superuser: false,
        rework_available: super::models::DEFAULT_REWORK_AVAILABLE,
        now_secs: now_s,
        now: &now,
    };
    let user = repo::insert_user(&cx.db, &new, record).await.map_err(|e| {
        write_error(
            e,
            400,
            "The user with this email already exists in the system",
        )
    })?;
    public(user)
}

/// Read User By Id: get a specific user by id (self, or superusers).
pub async fn read_user_by_id(cx: Ctx) -> ApiResult<Response> {
    let me = current_user(&cx).await?;
    let mut v = Validator::new();
    let id = v.path_uuid("user_id", cx.param("user_id"));
    v.finish()?;
    let id = checked(id)?;
    if repo::id_text(&id) == me.id {
        return public(me);
    }
    if !me.is_superuser() {
        return Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES));
    }
    let user = repo::find_user_by_id(&cx.db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("User not found"))?;
    public(user)
}

/// Update User: update a user (superusers only).
pub async fn update_user(cx: Ctx) -> ApiResult<Response> {
    current_superuser(&cx).await?;
    let mut v = Validator::new();
    let id = v.path_uuid("user_id", cx.param("user_id"));
    let input = cx.parse_body(&mut v, UserUpdate::parse)?;
    v.finish()?;
    let (id, input) = (checked(id)?, checked(input)?);
    let hashed = input
        .password
        .as_deref()
        .map(|p| hash(&cx, p))
        .transpose()?;
    let changes = UserChanges {
        email: input.email.as_ref().map(|e| e.as_str()),
        full_name: input.full_name,
        hashed_password: hashed.as_deref(),
        password_changed_at: hashed.as_ref().map(|_| now_secs()),
        is_superuser: input.is_superuser,
        is_active: input.is_active,
        rework_available: input.rework_available,
    };
    let missing = "The user with this id does not exist in the system";
    update(&cx, &repo::id_text(&id), &changes, missing).await
}

/// Delete User: delete a user (superusers only; not themselves).
pub async fn delete_user(cx: Ctx) -> ApiResult<Response> {
    let me = current_superuser(&cx).await?;
    let mut v = Validator::new();
    let id = v.path_uuid("user_id", cx.param("user_id"));
    v.finish()?;
    let id = repo::id_text(&checked(id)?);
    // The caller exists, so "unknown" (404) cannot apply to them: refuse first.
    if id == me.id {
        return Err(ApiError::forbidden(SUPERUSER_SELF_DELETE));
    }
    delete(&cx, &id).await
}
