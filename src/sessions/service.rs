//! Issuing a session's tokens, in one place: login starts a session
//! ([`start`]) and both login and refresh answer with [`issue`]'s token response.

use super::repo::{self, Client};
use crate::account::tokens::new_token;
use crate::auth::{jwt, token_keys};
use crate::clock::{now_iso, now_secs};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::ids::id_text;
use serde::Serialize;

/// `Token`.
#[derive(Serialize)]
pub(crate) struct Token {
    access_token: String,
    token_type: &'static str,
    refresh_token: String,
    expires_in: i64,
}

/// Starts a session at login: its statements for the login's batch, and the
/// refresh token to hand out.
pub(crate) fn start(
    b: &mut crate::db::Batch<'_>,
    cx_client: (Option<String>, Option<String>),
    user_id: &str,
    expire_days: i64,
) -> ApiResult<(uuid::Uuid, String)> {
    let session = uuid::Uuid::new_v4();
    let (token, hash) = new_token()?;
    let client = Client {
        user_agent: cx_client.0.as_deref(),
        ip_address: cx_client.1.as_deref(),
    };
    repo::start(
        b,
        &id_text(&session),
        user_id,
        &hash,
        &now_iso(),
        now_secs() + expire_days * 86_400,
        &client,
    )?;
    Ok((session, token))
}

/// The token response: an access token in `session`, with its refresh token;
/// an organization token (`org`: its id and the caller's role) lives at most
/// `ORG_TOKEN_EXPIRE_MINUTES`.
pub(crate) fn issue(
    config: &Config,
    user_id: &uuid::Uuid,
    token_version: i64,
    session: &uuid::Uuid,
    refresh_token: String,
    now: i64,
    org: Option<(&str, &str)>,
) -> ApiResult<Token> {
    let mut ttl = config.access_token_expire_minutes;
    if org.is_some() {
        ttl = ttl.min(config.tokens.org_token_expire_minutes);
    }
    let grant = jwt::Grant {
        user_id,
        token_version,
        session_id: Some(session),
        org,
    };
    let access_token =
        jwt::issue(&token_keys(config), &grant, now, ttl).map_err(ApiError::internal)?;
    Ok(Token {
        access_token,
        token_type: "bearer",
        refresh_token,
        expires_in: ttl * 60,
    })
}
