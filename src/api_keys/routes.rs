//! `/organizations/{id}/api-keys`: create, list and revoke an organization's
//! keys (its owner, admins and superusers; never a key).

use super::models::{ApiKeyCreate, ApiKeyPath, ApiKeyRow};
use super::repo::{self, NewKey};
use super::{new_key, Scope, MAX_KEYS, SHOWN_PREFIX_LEN};
use crate::access::org::OrgKeyAdmin;
use crate::access::Gate;
use crate::clock::{now_iso, now_secs};
use crate::error::{ApiError, ApiResult};
use crate::events::{self, Subject};
use crate::http::input::{Json, OrgPath};
use crate::http::{json_text, message, Ctx};
use crate::ids::new_id;
use crate::lists::Page;
use worker::Response;

pub(crate) const TOO_MANY: &str = "Too many API keys";
pub(crate) const NOT_FOUND: &str = "API key not found";

/// Create Api Key: a new key for the organization, shown in this answer only.
/// The count of its keys is read in the caller's batch, and the write holds
/// both rules again (at most 50 unrevoked keys; the caller may manage them).
pub(crate) async fn create_api_key(
    cx: Ctx,
    gate: Gate<OrgKeyAdmin>,
    (OrgPath(org_id), Json(input)): (OrgPath, Json<ApiKeyCreate>),
) -> ApiResult<Response> {
    let (access, r, count) = gate
        .open_with(&cx.db, |b, _| repo::count(b, &org_id))
        .await?;
    if r.first(count)?.map_or(0, |c| c.count) >= MAX_KEYS {
        return Err(ApiError::bad_request(TOO_MANY));
    }
    let (key, hash) = new_key()?;
    let row = new_row(input, org_id, &key, access.caller.user_id())?;
    let mut b = cx.db.batch();
    let written = repo::create(
        &mut b,
        &access,
        &NewKey {
            row: &row,
            key_hash: &hash,
        },
    )?;
    let (org, about, by) = (
        Some(access.org_id()),
        Subject::ApiKey(&row.id),
        access.caller.by(),
    );
    events::log(&mut b, &cx, "api_key.created", org, by, about)?;
    // None: filled up meanwhile, or the caller lost the right.
    let written = b.run().await?.first(written)?;
    let written = written.ok_or_else(|| ApiError::bad_request(TOO_MANY))?;
    json_text(written.with("key", &key))
}

/// The row of a new key, as the answer shows it.
fn new_row(
    input: ApiKeyCreate,
    org_id: String,
    key: &str,
    created_by: Option<&str>,
) -> ApiResult<ApiKeyRow> {
    let now = now_secs();
    let names: Vec<&str> = input.scopes.iter().map(|s| Scope::as_str(*s)).collect();
    Ok(ApiKeyRow {
        id: new_id(),
        organization_id: org_id,
        name: input.name,
        prefix: key[..SHOWN_PREFIX_LEN].to_string(),
        scopes: serde_json::to_string(&names)?,
        created_by_id: created_by.map(str::to_string),
        created_at: now_iso(),
        expires_at: input.expires_in_days.map(|days| now + days * 86_400),
        last_used_secs: None,
        revoked_at: None,
    })
}

/// Read Api Keys: the organization's unrevoked keys, newest first, never a key.
pub(crate) async fn read_api_keys(
    cx: Ctx,
    gate: Gate<OrgKeyAdmin>,
    (OrgPath(org_id), page): (OrgPath, Page),
) -> ApiResult<Response> {
    let (_, r, list) = gate
        .open_with(&cx.db, |b, _| repo::list(b, &org_id, page))
        .await?;
    list.read(&r)?.respond()
}

/// Revoke Api Key: refused from the next request on, everywhere.
pub(crate) async fn revoke_api_key(
    cx: Ctx,
    access: OrgKeyAdmin,
    (_, ApiKeyPath(id)): (OrgPath, ApiKeyPath),
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let now = now_secs();
    let revoked = repo::revoke(&mut b, &access, &id, now)?;
    // `?4`: the event's organization.
    let this = "revoked_at = ?20 and organization_id = ?4";
    let (org, about, by) = (
        Some(access.org_id()),
        Subject::ApiKey(&id),
        access.caller.by(),
    );
    events::log_if(
        &mut b,
        &cx,
        "api_key.revoked",
        org,
        by,
        about,
        this,
        now.into(),
    )?;
    if b.run().await?.changes(revoked)? == 0 {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    message("API key revoked")
}
