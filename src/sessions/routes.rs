//! `/login/refresh`, `/logout`, `/users/me/sessions`, `/users/{id}/sessions`.

use super::repo;
use super::service;
use crate::access::{Caller, Public, Superuser};
use crate::clock::now_secs;
use crate::db::{Batch, DbResult};
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By, Subject};
use crate::http::input::{Body, Input, Json, UserPath};
use crate::http::{json_ok, message, Ctx};
use crate::ids::id_text;
use crate::lists::Page;
use crate::messages::USER_NOT_FOUND;
use crate::users::repo as users;
use crate::validation::{string, uuid, Patch, Validator};
use serde_json::{Map, Value};
use worker::Response;

const SESSION_NOT_FOUND: &str = "Session not found";

/// What a login or a refresh records of the client, cut to bounded lengths.
pub(crate) fn client_of(cx: &Ctx) -> (Option<String>, Option<String>) {
    let cut = |s: String, n: usize| s.chars().take(n).collect::<String>();
    (
        cx.header("User-Agent").map(|ua| cut(ua, 512)),
        cx.client_ip().map(|ip| cut(ip, 64)),
    )
}

/// `{"refresh_token", "organization_id"?}`: with an organization, an
/// organization token (extensions K).
pub(crate) struct RefreshRequest {
    refresh_token: String,
    organization_id: Option<String>,
}

impl Body for RefreshRequest {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let refresh_token = v.required(b, "refresh_token", string(None, Some(512)));
        let organization_id = match v.nullable(b, "organization_id", uuid) {
            Patch::Set(id) => Some(id_text(&id)),
            Patch::Absent | Patch::Null => None,
        };
        Some(RefreshRequest {
            refresh_token: refresh_token?,
            organization_id,
        })
    }
}

/// `{session_id}` in the path.
pub(crate) struct SessionPath(String);

impl Input for SessionPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(v.path_uuid("session_id", cx.param("session_id"))
            .map(|id| SessionPath(id_text(&id))))
    }
}

/// Refresh: a new access token and a new refresh token for a live session
/// (rotation). No password is hashed. A refresh token used before ends its
/// whole session (reuse detection). Two round trips at most.
pub(crate) async fn refresh(
    cx: Ctx,
    _: Public,
    Json(input): Json<RefreshRequest>,
) -> ApiResult<Response> {
    let client = client_of(&cx);
    let org_id = input.organization_id.as_deref();
    json_ok(&service::refresh(&cx.db, &cx.config, &input.refresh_token, org_id, client).await?)
}

/// `session.revoked` for one session, if this request revoked it (at `now`).
fn revoked(b: &mut Batch<'_>, cx: &Ctx, me: &str, about: Subject<'_>, now: i64) -> DbResult<()> {
    let witness = "revoked_at = ?20";
    events::log_if(
        b,
        cx,
        "session.revoked",
        None,
        By::user(me),
        about,
        witness,
        now.into(),
    )
}

/// Logout: ends the session the token belongs to.
pub(crate) async fn logout(cx: Ctx, Caller(me): Caller, _: ()) -> ApiResult<Response> {
    if let Some(sid) = &cx.session_id {
        let mut b = cx.db.batch();
        let now = now_secs();
        let _ = repo::revoke(&mut b, sid, &me.id, now)?;
        revoked(&mut b, &cx, &me.id, Subject::Session(sid), now)?;
        b.run().await?;
    }
    message("Logged out")
}

/// Read Sessions: the caller's live sessions, newest first; `current` marks this one.
pub(crate) async fn read_sessions(cx: Ctx, Caller(me): Caller, page: Page) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let current = cx.session_id.as_deref();
    let list = repo::list(&mut b, &me.id, (now_secs(), current), page)?;
    let r = b.run().await?;
    list.read(&r)?.respond()
}

/// Revoke Session: ends one of the caller's sessions.
pub(crate) async fn revoke_session(
    cx: Ctx,
    Caller(me): Caller,
    SessionPath(id): SessionPath,
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let now = now_secs();
    let write = repo::revoke(&mut b, &id, &me.id, now)?;
    revoked(&mut b, &cx, &me.id, Subject::Session(&id), now)?;
    if b.run().await?.changes(write)? == 0 {
        return Err(ApiError::not_found(SESSION_NOT_FOUND));
    }
    message("Session revoked")
}

/// Revoke Other Sessions: ends every session of the caller but this one.
pub(crate) async fn revoke_other_sessions(
    cx: Ctx,
    Caller(me): Caller,
    _: (),
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let _ = repo::revoke_all(&mut b, &me.id, cx.session_id.as_deref(), now_secs())?;
    let by = By::user(&me.id);
    events::log(
        &mut b,
        &cx,
        "session.revoked",
        None,
        by,
        Subject::User(&me.id),
    )?;
    b.run().await?;
    message("Other sessions revoked")
}

/// Revoke User Sessions: ends every session of a user (superusers only).
pub(crate) async fn revoke_user_sessions(
    cx: Ctx,
    admin: Superuser,
    UserPath(id): UserPath,
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let exists = users::named(&mut b, &id)?;
    let _ = repo::revoke_all(&mut b, &id, None, now_secs())?;
    let by = By::user(&admin.0.id);
    events::log(&mut b, &cx, "session.revoked", None, by, Subject::User(&id))?;
    if !b.run().await?.exists(exists)? {
        return Err(ApiError::not_found(USER_NOT_FOUND));
    }
    message("Sessions revoked")
}
