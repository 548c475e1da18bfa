//! Issuing a session's tokens, in one place: login starts a session
//! ([`start`]) and both login and refresh answer with [`issue`]'s token response.

use super::repo::{self, Client};
use crate::access::org::token_role;
use crate::account::tokens::new_token;
use crate::clock::{now_iso, now_secs};
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By, Event, Origin, Subject};
use crate::identity::jwt;
use crate::ids::{id_text, new_id};
use serde::Serialize;

pub(crate) const INVALID_REFRESH: &str = "Invalid refresh token";

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
    origin: &Origin<'_>,
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
    let id = id_text(&session);
    let event = Event {
        kind: "session.created",
        org: None,
        by: By::user(user_id),
        subject: Subject::Session(&id),
        witness: None,
    };
    events::record(b, origin, event)?;
    Ok((session, token))
}

/// The token response: an access token in `session`, with its refresh token;
/// an organization token (`org`: its id and the caller's role) lives at most
/// `ORG_TOKEN_EXPIRE_MINUTES`.
pub(crate) async fn issue(
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
    let access_token = jwt::issue(&jwt::keys(config), &grant, now, ttl)
        .await
        .map_err(ApiError::internal)?;
    Ok(Token {
        access_token,
        token_type: "bearer",
        refresh_token,
        expires_in: ttl * 60,
    })
}

/// A refresh: a new access token and a new refresh token for a live session
/// (rotation; with `org_id`, an organization token). A token used before ends
/// its whole session (reuse detection). Two round trips at most; no password
/// is hashed.
pub(crate) async fn refresh(
    db: &Db,
    config: &Config,
    presented_token: &str,
    org_id: Option<&str>,
    client: (Option<String>, Option<String>),
) -> ApiResult<Token> {
    let now = now_secs();
    let invalid = || ApiError::http(401, INVALID_REFRESH);
    let old = crate::account::tokens::hash(presented_token);
    let mut b = db.batch();
    let presented = repo::presented(&mut b, &old, org_id)?;
    let p = b.run().await?.first(presented)?.ok_or_else(invalid)?;
    if p.revoked_at.is_some() || p.expires_at <= now || p.is_active == 0 {
        return Err(invalid());
    }
    if p.used_at.is_some() {
        // A rotated token presented again: whoever holds it, the session ends.
        let mut b = db.batch();
        let _ = repo::revoke_by_id(&mut b, &p.session_id, now)?;
        b.run().await?;
        return Err(invalid());
    }
    // An organization token: refused before the refresh token is spent.
    let org = match org_id {
        None => None,
        Some(id) => {
            let mfa_missing = p.mfa_enabled == 0 && p.is_superuser == 0;
            Some((
                id,
                token_role(p.org_found, p.org_role.as_deref(), mfa_missing)?,
            ))
        }
    };
    let (token, new) = new_token()?;
    let client = Client {
        user_agent: client.0.as_deref(),
        ip_address: client.1.as_deref(),
    };
    let expires = now + config.refresh_token_expire_days * 86_400;
    let mut b = db.batch();
    let used = repo::rotate(
        &mut b,
        &old,
        &new_id(),
        &new,
        &p.session_id,
        now,
        &now_iso(),
        expires,
        &client,
    )?;
    if b.run().await?.changes(used)? == 0 {
        return Err(invalid()); // a concurrent refresh used it first
    }
    let parse = |id: &str| uuid::Uuid::parse_str(id).map_err(|e| ApiError::internal(e.to_string()));
    let (user_id, session) = (parse(&p.user_id)?, parse(&p.session_id)?);
    issue(config, &user_id, p.token_version, &session, token, now, org).await
}
