//! `/users` (origin: `api/routes/users.py`). Each handler gets its access level
//! and its checked inputs from the route table, makes one repository call and
//! maps the row to its public model.

use super::models::{
    UpdatePassword, UserCreate, UserPublic, UserRegister, UserRow, UserUpdate, UserUpdateMe,
};
use super::repo::{self, NewUser, UserChanges};
use crate::access::{Caller, Gate, Public, Superuser};
use crate::account::verification_email;
use crate::auth::{hash_password, password};
use crate::clock::{now_iso, now_secs};
use crate::db::ResultExt;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By, Subject};
use crate::http::conditional::{
    etag, guard, if_match, none_match, not_modified, tagged, FIRST_VERSION,
};
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Json, UserPath};
use crate::http::{json_ok, json_response, message, Ctx};
use crate::ids::new_id;
use crate::lists::{Page, Search};
use crate::messages::{TOO_MANY_EMAILS, USER_NOT_FOUND};
use crate::rate_limits::{self, Limit};
use crate::sessions::repo as sessions;
use worker::Response;

const OWNS_ORGANIZATIONS: &str = "The user owns organizations; transfer their ownership first";
const INCORRECT_PASSWORD: &str = "Incorrect password";

const EMAIL_EXISTS_409: &str = "User with this email already exists";
pub(crate) const EMAIL_TAKEN: &str = "The user with this email already exists in the system";
const TOO_MANY_SIGNUPS: &str = "Too many signups from this address, try again later";
const TOO_MANY_PASSWORD_ATTEMPTS: &str = "Too many failed password attempts, try again later";
const SAME_PASSWORD: &str = "New password cannot be the same as the current one";

/// The folded form of a user's address, as `email_key` holds it.
fn me_key(me: &UserRow) -> String {
    crate::validation::runtime::lower(&me.email)
}

/// The user as the API shows it, with its ETag.
fn public(user: UserRow) -> ApiResult<Response> {
    let tag = etag(&user.id, user.version);
    Ok(tagged(json_ok(&UserPublic::from(user))?, &tag))
}

/// A read of `user`: a 304 if the client has this version already.
fn read(cx: &Ctx, user: UserRow) -> ApiResult<Response> {
    let tag = etag(&user.id, user.version);
    if none_match(cx, &tag) {
        return not_modified(&tag);
    }
    public(user)
}

/// Inserts `new` (with its verification e-mail, in the same batch, unless it
/// is verified already or `EMAIL_VERIFICATION_ON_SIGNUP` is off, and the
/// answer for its Idempotency-Key); a taken
/// email is `400 taken` (the origin words signup's without the final period).
pub(super) async fn insert(
    cx: &Ctx,
    key: &IdempotencyKey,
    new: &NewUser<'_>,
    taken: &'static str,
    by: Option<By<'_>>,
) -> ApiResult<Response> {
    let body = serde_json::to_vec(&new.public())?;
    let mut b = cx.db.batch();
    let _ = repo::insert_user(&mut b, new)?;
    // A signup is the new user's own act.
    let by = by.unwrap_or(By::user(new.id));
    events::log(&mut b, cx, "user.created", None, by, Subject::User(new.id))?;
    let email = match new.email_verified || !cx.config.email.verify_on_signup {
        true => None,
        false => Some(verification_email(
            &mut b,
            &cx.config.email,
            new.id,
            new.email.as_str(),
        )?),
    };
    key.answer(&mut b, 200, &body)?;
    let _ = b
        .run()
        .await
        .on_unique(&repo::EMAIL_COLUMNS, || ApiError::bad_request(taken))?;
    cx.send_emails(email.into_iter().collect());
    Ok(tagged(
        json_response(200, body),
        &etag(new.id, FIRST_VERSION),
    ))
}

/// Applies `changes` to user `id`: a taken email is a 409, no such user
/// `missing` (404). A new address (`changes.email` not `current`) is unverified
/// until its link is followed: the e-mail goes in the same batch.
async fn update(
    cx: &Ctx,
    by: By<'_>,
    id: &str,
    current: Option<&str>,
    mut changes: UserChanges<'_>,
    missing: &'static str,
) -> ApiResult<Response> {
    let new_address = changes
        .email
        .filter(|e| current.is_none_or(|c| e.key() != crate::validation::runtime::lower(c)));
    // If-Match: checked in the same batch as the write (a 412 changes nothing).
    let condition = if_match(cx, id);
    let mut b = cx.db.batch();
    guard(&mut b, "users", id, condition.as_ref())?;
    let email = match new_address {
        Some(address) => {
            changes.email_verified = Some(false);
            Some(address)
        }
        None => None,
    };
    let now = now_iso();
    let row = repo::update(&mut b, id, &changes, &now)?;
    // Recorded if this request's update applied (its time is the row's).
    let applied = "updated_at = ?20";
    let kinds = [
        (true, "user.updated"),
        (changes.hashed_password.is_some(), "user.password_changed"),
    ];
    for (_, kind) in kinds.into_iter().filter(|(happened, _)| *happened) {
        let (about, when) = (Subject::User(id), now.as_str().into());
        events::log_if(&mut b, cx, kind, None, by, about, applied, when)?;
    }
    // Deactivation and a new password end every session of the user.
    if changes.is_active == Some(false) || changes.hashed_password.is_some() {
        let _ = sessions::revoke_all(&mut b, id, None, now_secs())?;
    }
    let sent = match (email, current) {
        // Only a user that exists gets the e-mail: the token refers to it.
        (Some(address), Some(_)) => Some(verification_email(
            &mut b,
            &cx.config.email,
            id,
            address.as_str(),
        )?),
        _ => None,
    };
    let r = b.run().await.on_unique(&repo::EMAIL_COLUMNS, || {
        ApiError::conflict(EMAIL_EXISTS_409)
    })?;
    let user = r.first(row)?.ok_or_else(|| ApiError::not_found(missing))?;
    cx.send_emails(sent.into_iter().collect());
    public(user)
}

/// Deletes a user; owning an organization is a 409, no such user a 404.
async fn delete(cx: &Ctx, by: By<'_>, id: &str) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let event = events::log_deletion(&mut b, cx, "user.deleted", None, by, Subject::User(id))?;
    let deleted = repo::delete(&mut b, id)?;
    event.confirm(&mut b)?;
    let r = b
        .run()
        .await
        .on_foreign_key(|| ApiError::conflict(OWNS_ORGANIZATIONS))?;
    if r.changes(deleted)? == 0 {
        return Err(ApiError::not_found(USER_NOT_FOUND));
    }
    message("User deleted successfully")
}

/// Read Users: retrieve users (superusers only). One D1 round trip: the caller
/// and the page are read together; the page is only shown to a superuser.
pub(crate) async fn read_users(
    cx: Ctx,
    gate: Gate<Superuser>,
    (page, search): (Page, Search),
) -> ApiResult<Response> {
    let (_, r, list) = gate
        .open_with(&cx.db, |b, _| repo::list(b, &page, &search))
        .await?;
    list.read(&r)?.respond()
}

/// Create User: create a new user (superusers only).
pub(crate) async fn create_user(
    cx: Ctx,
    admin: Superuser,
    (key, Json(input)): (IdempotencyKey, Json<UserCreate>),
) -> ApiResult<Response> {
    let hashed = hash_password(&cx.config, &input.password)?;
    let new = NewUser {
        id: &new_id(),
        email: &input.email,
        hashed_password: &hashed,
        full_name: input.full_name.as_deref(),
        is_active: input.is_active,
        is_superuser: input.is_superuser,
        rework_available: input.rework_available,
        // A superuser vouches for the address.
        email_verified: true,
        now_secs: now_secs(),
        now: &now_iso(),
    };
    let taken = "The user with this email already exists in the system.";
    insert(&cx, &key, &new, taken, Some(By::user(&admin.0.id))).await
}

/// Read User Me: get current user.
pub(crate) async fn read_user_me(cx: Ctx, Caller(me): Caller, _: ()) -> ApiResult<Response> {
    read(&cx, me)
}

/// Update User Me: update own user.
///
/// A change of address sends a verification e-mail: at most
/// `EMAIL_CHANGE_LIMIT_PER_HOUR` per user, counted in the caller's batch and
/// only when the address really changes (saving one's profile as it is, as
/// the origin's web app does, counts nothing).
pub(crate) async fn update_user_me(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<UserUpdateMe>,
) -> ApiResult<Response> {
    let now = now_secs();
    let limit = Limit {
        limit: cx.config.email.email_change_limit_per_hour,
        seconds: 3600,
    };
    let new_key = input.email.as_ref().map(|e| e.key());
    let (Caller(me), r, attempts) = gate
        .open_with(&cx.db, |b, caller_id| {
            let Some(new_key) = &new_key else {
                return Ok(None);
            };
            let key = rate_limits::key(&cx.config.secret_key, "email-change-user", caller_id);
            let changes_address = rate_limits::Condition {
                sql: "not exists (select 1 from users where id = {0} and email_key = {1})",
                args: vec![caller_id.into(), new_key.as_str().into()],
            };
            rate_limits::attempts_if(b, vec![(key, limit)], now, Some(changes_address)).map(Some)
        })
        .await?;
    let changes_address = new_key.as_deref().is_some_and(|k| k != me_key(&me));
    if let (Some(attempts), true) = (attempts, changes_address) {
        attempts.check(&r, now, TOO_MANY_EMAILS)?;
    }
    let changes = UserChanges {
        email: input.email.as_ref(),
        full_name: input.full_name,
        ..UserChanges::default()
    };
    update(
        &cx,
        By::user(&me.id),
        &me.id,
        Some(&me.email),
        changes,
        "User not found",
    )
    .await
}

/// Update Password Me: update own password; tokens issued before stop working.
///
/// Guesses of the current password count like failed logins, per user
/// (`LOGIN_FAILURE_LIMIT` in the login window): a stolen token cannot guess
/// forever. The attempt is counted and recorded in the caller's batch.
pub(crate) async fn update_password_me(
    cx: Ctx,
    gate: Gate<Caller>,
    Json(input): Json<UpdatePassword>,
) -> ApiResult<Response> {
    let now = now_secs();
    let limit = Limit {
        limit: cx.config.login_failure_limit,
        seconds: cx.config.login_failure_window_seconds,
    };
    let secret = &cx.config.secret_key;
    let (Caller(me), r, attempts) = gate
        .open_with(&cx.db, |b, caller_id| {
            let key = rate_limits::key(secret, "password-user", caller_id);
            rate_limits::attempts(b, vec![(key, limit)], now)
        })
        .await?;
    let counted = attempts.check(&r, now, TOO_MANY_PASSWORD_ATTEMPTS)?;
    check_new_password(&me, &input, cx.config.password_iterations)?;
    let hashed = hash_password(&cx.config, &input.new_password)?;
    let changes = UserChanges {
        hashed_password: Some(&hashed),
        password_changed_at: Some(now),
        ..UserChanges::default()
    };
    let mut b = cx.db.batch();
    let at = now_iso();
    let _ = repo::update(&mut b, &me.id, &changes, &at)?;
    let (by, about) = (By::user(&me.id), Subject::User(&me.id));
    let applied = "updated_at = ?20";
    events::log_if(
        &mut b,
        &cx,
        "user.password_changed",
        None,
        by,
        about,
        applied,
        at.as_str().into(),
    )?;
    let _ = sessions::revoke_all(&mut b, &me.id, None, now)?;
    for key in &counted {
        let _ = rate_limits::clear(&mut b, key)?;
    }
    b.run().await?;
    message("Password updated successfully")
}

/// The current password is right, and the new one another.
fn check_new_password(me: &UserRow, input: &UpdatePassword, iterations: u32) -> ApiResult<()> {
    if password::verify(&input.current_password, &me.hashed_password, iterations)
        == password::Verified::No
    {
        return Err(ApiError::bad_request(INCORRECT_PASSWORD));
    }
    if input.current_password == input.new_password {
        return Err(ApiError::bad_request(SAME_PASSWORD));
    }
    Ok(())
}

/// Delete User Me: delete own user (not for superusers).
pub(crate) async fn delete_user_me(cx: Ctx, caller: Caller, _: ()) -> ApiResult<Response> {
    caller.may_delete_self()?;
    delete(&cx, By::user(&caller.0.id), &caller.0.id).await
}

/// Register User: create new user without the need to be logged in.
///
/// At most `SIGNUP_IP_LIMIT_PER_HOUR` attempts per client address (IPv6 by /64)
/// per hour, every attempt counted, a taken email included. One round trip
/// counts and records the attempt and looks the email up, so a taken email is
/// refused before any password is hashed; a second inserts the user (a signup
/// racing for the same email still meets the unique index there).
pub(crate) async fn register_user(
    cx: Ctx,
    _: Public,
    (key, Json(input)): (IdempotencyKey, Json<UserRegister>),
) -> ApiResult<Response> {
    let now_s = now_secs();
    let mut b = cx.db.batch();
    let attempts = rate_limits::attempts(&mut b, signup_limits(&cx), now_s)?;
    let existing = repo::find_by_email(&mut b, &input.email.key())?;
    let reserved = match &key.0 {
        Some(key) => Some((key, key.reserve(&mut b, now_s)?)),
        None => None,
    };
    let r = b.run().await?;
    if let Some((key, rows)) = reserved {
        key.claim(&cx.db, &r, rows)?.settle()?;
    }
    attempts.check(&r, now_s, TOO_MANY_SIGNUPS)?;
    if r.exists(existing)? {
        return Err(ApiError::bad_request(EMAIL_TAKEN));
    }
    let hashed = hash_password(&cx.config, &input.password)?;
    // Verified by following the link in the e-mail sent with the insert.
    let (id, now) = (new_id(), now_iso());
    let new = NewUser::ordinary(
        &id,
        &input.email,
        &hashed,
        input.full_name.as_deref(),
        false,
        now_s,
        &now,
    );
    insert(&cx, &key, &new, EMAIL_TAKEN, None).await
}

/// The signup limit of the client's address (IPv6 by /64), if it has one.
fn signup_limits(cx: &Ctx) -> Vec<(String, Limit)> {
    let limit = Limit {
        limit: cx.config.signup_ip_limit_per_hour,
        seconds: 3600,
    };
    cx.client_ip()
        .map(|ip| {
            let group = rate_limits::address_group(&ip);
            let key = rate_limits::key(&cx.config.secret_key, "signup-ip", &group);
            (key, limit)
        })
        .into_iter()
        .collect()
}

/// Read User By Id: get a specific user by id (self, or superusers).
pub(crate) async fn read_user_by_id(
    cx: Ctx,
    caller: Caller,
    UserPath(id): UserPath,
) -> ApiResult<Response> {
    caller.may_read_user(&id)?;
    let Caller(me) = caller;
    if id == me.id {
        return read(&cx, me);
    }
    let mut b = cx.db.batch();
    let user = repo::find_by_id(&mut b, &id)?;
    let r = b.run().await?;
    let user = r
        .first(user)?
        .ok_or_else(|| ApiError::not_found(USER_NOT_FOUND))?;
    read(&cx, user)
}

/// Update User: update a user (superusers only). The user is read in the
/// caller's batch, to tell a new address from the one they have.
pub(crate) async fn update_user(
    cx: Ctx,
    gate: Gate<Superuser>,
    (UserPath(id), Json(input)): (UserPath, Json<UserUpdate>),
) -> ApiResult<Response> {
    let (admin, r, target) = gate
        .open_with(&cx.db, |b, _| repo::find_by_id(b, &id))
        .await?;
    let missing = "The user with this id does not exist in the system";
    let current = r
        .first(target)?
        .ok_or_else(|| ApiError::not_found(missing))?;
    let hashed = input
        .password
        .as_deref()
        .map(|p| hash_password(&cx.config, p))
        .transpose()?;
    let changes = UserChanges {
        email: input.email.as_ref(),
        full_name: input.full_name,
        hashed_password: hashed.as_deref(),
        password_changed_at: hashed.as_ref().map(|_| now_secs()),
        is_superuser: input.is_superuser,
        is_active: input.is_active,
        rework_available: input.rework_available,
        email_verified: None,
    };
    update(
        &cx,
        By::user(&admin.0.id),
        &id,
        Some(&current.email),
        changes,
        missing,
    )
    .await
}

/// Delete User: delete a user (superusers only; not themselves).
pub(crate) async fn delete_user(
    cx: Ctx,
    superuser: Superuser,
    UserPath(id): UserPath,
) -> ApiResult<Response> {
    superuser.may_delete(&id)?;
    delete(&cx, By::user(&superuser.0.id), &id).await
}
