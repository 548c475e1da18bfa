//! `/login`: OAuth2 password login and token test (origin: `api/routes/login.py`),
//! and `/.well-known/jwks.json`, the keys other services verify our tokens with.

use super::form::LoginForm;
use super::service;
use crate::access::{Caller, Public};
use crate::error::ApiResult;
use crate::http::conditional::{none_match, not_modified, tagged};
use crate::http::{json_ok, json_response, Ctx};
use crate::users::models::UserPublic;
use worker::Response;

/// Login Access Token: OAuth2 compatible token login, get an access token for future requests.
pub(crate) async fn login_access_token(cx: Ctx, _: Public, form: LoginForm) -> ApiResult<Response> {
    let client = crate::sessions::routes::client_of(&cx);
    let origin = crate::events::Origin::of(&cx);
    let token = service::login(&cx.db, &cx.config, &form, client, origin).await?;
    json_ok(&token)
}

/// Test Token: test access token.
pub(crate) async fn test_token(_: Ctx, Caller(me): Caller, _: ()) -> ApiResult<Response> {
    json_ok(&UserPublic::from(me))
}

/// Jwks: the public half of every signing key, in ring order (extensions K);
/// `{"keys": []}` without a ring. Cached for five minutes by any cache, open
/// to any origin.
pub(crate) async fn jwks(cx: Ctx, _: Public, _: ()) -> ApiResult<Response> {
    let ring = &cx.config.tokens.ring;
    let mut resp = if none_match(&cx, ring.etag()) {
        not_modified(ring.etag())?
    } else {
        tagged(
            json_response(200, ring.jwks().as_bytes().to_vec()),
            ring.etag(),
        )
    };
    let headers = resp.headers_mut();
    let _ = headers.set("Cache-Control", "public, max-age=300");
    let _ = headers.set("Access-Control-Allow-Origin", "*");
    Ok(resp)
}
