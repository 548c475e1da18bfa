//! SQL for `webhook_endpoints` and `webhook_deliveries`. Every statement is
//! scoped to one owner's endpoints (`organization_id is ?`: an organization's,
//! or the global ones under null), and every write repeats its level's rule.

use super::models::{EndpointCreate, EndpointUpdate, DELIVERY_JSON, ENDPOINT_JSON};
use super::MAX_ENDPOINTS;
use crate::access::org::{admin_guard, superuser_guard};
use crate::db::{from_row, Arg, Batch, DbResult, JsonText, Rows};
use crate::lists::{ListQuery, Page};
use crate::validation::Patch;

/// Whose endpoints: an organization's (its owner, admins, superusers) or the
/// global ones (superusers), and who is acting on them.
pub(crate) struct Owner<'a> {
    pub(crate) org: Option<&'a str>,
    pub(crate) caller: &'a str,
}

impl Owner<'_> {
    /// SQL that holds while the caller (`?caller`) may still manage these
    /// endpoints (`?org`: the organization).
    fn guard(&self, org: u8, caller: u8) -> String {
        match self.org {
            Some(_) => admin_guard(org, caller),
            None => superuser_guard(caller),
        }
    }
}

pub(crate) struct Count {
    pub(crate) count: i64,
}
from_row!(Count { count });

/// How many endpoints the owner has.
pub(crate) fn count(b: &mut Batch<'_>, org: Option<&str>) -> DbResult<Rows<Count>> {
    b.query(
        "select count(*) as count from webhook_endpoints where organization_id is ?1",
        &[org.into()],
    )
}

/// Stores a new endpoint while the owner has fewer than [`MAX_ENDPOINTS`] and
/// the caller may still manage them; the row as stored.
pub(crate) fn create(
    b: &mut Batch<'_>,
    owner: &Owner<'_>,
    (id, input, sealed, now): (&str, &EndpointCreate, &str, &str),
) -> DbResult<Rows<JsonText>> {
    b.query(
        &format!(
            "insert into webhook_endpoints (id, organization_id, url, event_types, description, \
             secret_sealed, created_at, updated_at) select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 \
             where (select count(*) from webhook_endpoints where organization_id is ?2) < {MAX_ENDPOINTS} \
             and {} returning {ENDPOINT_JSON}",
            owner.guard(2, 8)
        ),
        &[
            id.into(),
            owner.org.into(),
            input.url.as_str().into(),
            input.event_types.as_str().into(),
            input.description.as_deref().into(),
            sealed.into(),
            now.into(),
            owner.caller.into(),
        ],
    )
}

/// One page of the owner's endpoints, newest first.
pub(crate) fn list(b: &mut Batch<'_>, org: Option<&str>, page: &Page) -> DbResult<ListQuery> {
    let source = (ENDPOINT_JSON, "webhook_endpoints", "organization_id is ?1");
    ListQuery::newest_first(b, source, &[org.into()], page, None)
}

/// Endpoint `id` of the owner, if it is theirs.
pub(crate) fn find(b: &mut Batch<'_>, org: Option<&str>, id: &str) -> DbResult<Rows<JsonText>> {
    b.query(
        &format!(
            "select {ENDPOINT_JSON} from webhook_endpoints where id = ?1 and organization_id is ?2"
        ),
        &[id.into(), org.into()],
    )
}

/// Applies what `input` sets (and, with `sealed`, a new secret) to endpoint
/// `id` of the owner; the row as it is then. Its `updated_at` is `now`, which
/// the event's witness reads.
pub(crate) fn update(
    b: &mut Batch<'_>,
    owner: &Owner<'_>,
    id: &str,
    (input, sealed, now): (Option<&EndpointUpdate>, Option<&str>, &str),
) -> DbResult<Rows<JsonText>> {
    let (description_set, description) = match input.map(|i| &i.description) {
        Some(Patch::Set(d)) => (true, Some(d.as_str())),
        Some(Patch::Null) => (true, None),
        _ => (false, None),
    };
    let args: [Arg<'_>; 10] = [
        id.into(),
        owner.org.into(),
        input.and_then(|i| i.url.as_deref()).into(),
        input.and_then(|i| i.event_types.as_deref()).into(),
        description_set.into(),
        description.into(),
        input.and_then(|i| i.enabled).into(),
        sealed.into(),
        now.into(),
        owner.caller.into(),
    ];
    b.query(
        &format!(
            "update webhook_endpoints set url = coalesce(?3, url), \
             event_types = coalesce(?4, event_types), description = iif(?5, ?6, description), \
             enabled = coalesce(?7, enabled), secret_sealed = coalesce(?8, secret_sealed), \
             updated_at = ?9 where id = ?1 and organization_id is ?2 and {} \
             returning {ENDPOINT_JSON}",
            owner.guard(2, 10)
        ),
        &args,
    )
}

/// Deletes endpoint `id` of the owner (its deliveries go with it).
pub(crate) fn delete(b: &mut Batch<'_>, owner: &Owner<'_>, id: &str) -> DbResult<crate::db::Write> {
    b.write(
        &format!(
            "delete from webhook_endpoints where id = ?1 and organization_id is ?2 and {}",
            owner.guard(2, 3)
        ),
        &[id.into(), owner.org.into(), owner.caller.into()],
    )
}

/// One page of an endpoint's deliveries, newest first, counted by the
/// endpoint's `delivery_count` (kept by triggers: one row, however many).
pub(crate) fn deliveries(b: &mut Batch<'_>, endpoint: &str, page: &Page) -> DbResult<ListQuery> {
    let source = (DELIVERY_JSON, "webhook_deliveries", "endpoint_id = ?1");
    let kept =
        "select coalesce((select delivery_count from webhook_endpoints where id = ?1), 0) as count";
    ListQuery::newest_first(b, source, &[endpoint.into()], page, Some(kept))
}

/// Delivery `id` of the owner's endpoint `endpoint`, pending again from `now`
/// (its attempts so far kept); the row as it is then.
pub(crate) fn retry(
    b: &mut Batch<'_>,
    owner: &Owner<'_>,
    (endpoint, id, now): (&str, &str, i64),
) -> DbResult<Rows<JsonText>> {
    b.query(
        &format!(
            "update webhook_deliveries set status = 'pending', next_attempt_at = ?3 \
             where id = ?1 and endpoint_id = ?2 and exists (select 1 from webhook_endpoints \
             where id = ?2 and organization_id is ?4) and {} returning {DELIVERY_JSON}",
            owner.guard(4, 5)
        ),
        &[
            id.into(),
            endpoint.into(),
            now.into(),
            owner.org.into(),
            owner.caller.into(),
        ],
    )
}
