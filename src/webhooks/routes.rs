//! `/organizations/{id}/webhooks` (the owner, admins and superusers) and
//! `/webhooks` (superusers: endpoints that receive every event). Each handler
//! serves both: [`HookAdmin`] opens one or the other, as the path says.

use super::models::{EndpointCreate, EndpointUpdate, HookBody, HookPath, HookRequest};
use super::repo::{self, Owner};
use super::{new_secret, sealing_key, DELIVERY_NOT_FOUND, MAX_ENDPOINTS, NOT_FOUND, TOO_MANY};
use crate::access::org::HookAdmin;
use crate::access::Gate;
use crate::clock::{now_iso, now_secs};
use crate::db::JsonText;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, By, Subject};
use crate::http::{json_text, message, Ctx};
use crate::ids::new_id;
use worker::Response;

/// Whose endpoints the level opened, and who acts on them.
fn owner(level: &HookAdmin) -> (Owner<'_>, By<'_>) {
    match level {
        HookAdmin::Org(access) => {
            let owner = Owner {
                org: Some(access.org_id()),
                caller: access.caller.id(),
            };
            (owner, access.caller.by())
        }
        HookAdmin::Global(user) => {
            let owner = Owner {
                org: None,
                caller: &user.id,
            };
            (owner, By::user(&user.id))
        }
    }
}

/// Create Webhook Endpoint: its secret is in this answer only.
pub(crate) async fn create_webhook(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, body, .. }: HookRequest,
) -> ApiResult<Response> {
    let HookBody::Create(input) = body else {
        return Err(ApiError::internal("create_webhook without its body"));
    };
    let (level, r, count) = gate
        .open_with(&cx.db, |b, _| repo::count(b, path.org.as_deref()))
        .await?;
    let count = r.first(count)?.map_or(0, |c| c.count);
    create(&cx, owner(&level), count, &input).await
}

async fn create(
    cx: &Ctx,
    (owner, by): (Owner<'_>, By<'_>),
    count: i64,
    input: &EndpointCreate,
) -> ApiResult<Response> {
    if count >= MAX_ENDPOINTS {
        return Err(ApiError::bad_request(TOO_MANY));
    }
    let (id, (secret, key), now) = (new_id(), new_secret()?, now_iso());
    let sealed = sealing_key(&cx.config.secret_key).seal(&id, &key);
    let mut b = cx.db.batch();
    let row = repo::create(&mut b, &owner, (&id, input, &sealed, &now))?;
    let (kind, about) = ("webhook_endpoint.created", Subject::WebhookEndpoint(&id));
    events::log(&mut b, cx, kind, owner.org, by, about)?;
    // None: full meanwhile, or the caller lost the right (checked just before).
    let row = b.run().await?.first(row)?;
    let row = row.ok_or_else(|| ApiError::bad_request(TOO_MANY))?;
    json_text(row.with("secret", &secret))
}

/// Read Webhook Endpoints: newest first, never a secret.
pub(crate) async fn read_webhooks(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, page, .. }: HookRequest,
) -> ApiResult<Response> {
    let (_, r, list) = gate
        .open_with(&cx.db, |b, _| repo::list(b, path.org.as_deref(), &page))
        .await?;
    list.read(&r)?.respond()
}

/// Update Webhook Endpoint.
pub(crate) async fn update_webhook(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, body, .. }: HookRequest,
) -> ApiResult<Response> {
    let HookBody::Update(input) = body else {
        return Err(ApiError::internal("update_webhook without its body"));
    };
    let level = gate.open(&cx.db).await?;
    let row = change(&cx, owner(&level), &path.endpoint, (Some(&input), None)).await?;
    json_text(row)
}

/// Rotate Webhook Secret: a new secret signs every delivery from now on.
pub(crate) async fn rotate_webhook_secret(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, .. }: HookRequest,
) -> ApiResult<Response> {
    let level = gate.open(&cx.db).await?;
    let (secret, key) = new_secret()?;
    let sealed = sealing_key(&cx.config.secret_key).seal(&path.endpoint, &key);
    let row = change(&cx, owner(&level), &path.endpoint, (None, Some(&sealed))).await?;
    json_text(row.with("secret", &secret))
}

/// An update of endpoint `id` (its settings or its secret), with its event.
async fn change(
    cx: &Ctx,
    (owner, by): (Owner<'_>, By<'_>),
    id: &str,
    what: (Option<&EndpointUpdate>, Option<&str>),
) -> ApiResult<JsonText> {
    let now = now_iso();
    let mut b = cx.db.batch();
    let row = repo::update(&mut b, &owner, id, (what.0, what.1, &now))?;
    let (kind, about) = ("webhook_endpoint.updated", Subject::WebhookEndpoint(id));
    let applied = "updated_at = ?20";
    events::log_if(
        &mut b,
        cx,
        kind,
        owner.org,
        by,
        about,
        applied,
        now.as_str().into(),
    )?;
    let row = b.run().await?.first(row)?;
    row.ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

/// Delete Webhook Endpoint: its deliveries go with it.
pub(crate) async fn delete_webhook(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, .. }: HookRequest,
) -> ApiResult<Response> {
    let level = gate.open(&cx.db).await?;
    delete(&cx, owner(&level), &path.endpoint).await
}

async fn delete(cx: &Ctx, (owner, by): (Owner<'_>, By<'_>), id: &str) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let (kind, about) = ("webhook_endpoint.deleted", Subject::WebhookEndpoint(id));
    let event = events::log_deletion(&mut b, cx, kind, owner.org, by, about)?;
    let deleted = repo::delete(&mut b, &owner, id)?;
    event.confirm(&mut b)?;
    if b.run().await?.changes(deleted)? == 0 {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    message("Webhook endpoint deleted")
}

/// Read Webhook Deliveries: an endpoint's deliveries, newest first.
pub(crate) async fn read_webhook_deliveries(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, page, .. }: HookRequest,
) -> ApiResult<Response> {
    let (org, id) = (path.org.as_deref(), path.endpoint.as_str());
    let (_, r, (endpoint, list)) = gate
        .open_with(&cx.db, |b, _| {
            Ok((repo::find(b, org, id)?, repo::deliveries(b, id, &page)?))
        })
        .await?;
    if r.first(endpoint)?.is_none() {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    list.read(&r)?.respond()
}

/// Retry Webhook Delivery: pending again, and handed to the queue now.
pub(crate) async fn retry_webhook_delivery(
    cx: Ctx,
    gate: Gate<HookAdmin>,
    HookRequest { path, .. }: HookRequest,
) -> ApiResult<Response> {
    let level = gate.open(&cx.db).await?;
    retry(&cx, owner(&level).0, &path).await
}

async fn retry(cx: &Ctx, owner: Owner<'_>, path: &HookPath) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let endpoint = repo::find(&mut b, owner.org, &path.endpoint)?;
    let args = (path.endpoint.as_str(), path.delivery.as_str(), now_secs());
    let delivery = repo::retry(&mut b, &owner, args)?;
    let r = b.run().await?;
    if r.first(endpoint)?.is_none() {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    let delivery = r.first(delivery)?;
    let delivery = delivery.ok_or_else(|| ApiError::not_found(DELIVERY_NOT_FOUND))?;
    cx.db.queue_after(path.delivery.clone());
    json_text(delivery)
}
