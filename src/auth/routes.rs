//! `/login`: OAuth2 password login and token test (origin: `api/routes/login.py`).

use super::form::LoginForm;
use super::service;
use crate::access::{Caller, Public};
use crate::error::ApiResult;
use crate::http::{json_ok, Ctx};
use crate::users::models::UserPublic;
use worker::Response;

/// Login Access Token: OAuth2 compatible token login, get an access token for future requests.
pub(crate) async fn login_access_token(cx: Ctx, _: Public, form: LoginForm) -> ApiResult<Response> {
    let client = crate::sessions::routes::client_of(&cx);
    let token = service::login(&cx.db, &cx.config, &form, client).await?;
    json_ok(&token)
}

/// Test Token: test access token.
pub(crate) async fn test_token(_: Ctx, Caller(me): Caller, _: ()) -> ApiResult<Response> {
    json_ok(&UserPublic::from(me))
}
