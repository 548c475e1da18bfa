//! `GET /organizations/{id}/events` and `GET /events`.

use crate::access::org::OrgAdminReader;
use crate::access::{Gate, Superuser};
use crate::error::ApiResult;
use crate::events::repo::{self, Filters};
use crate::events::TYPES;
use crate::http::input::{Input, OrgPath};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::lists::Page;
use crate::validation::{literal_error, parse_uuid, Validator};
use serde_json::Value;
use worker::Response;

/// The filters of a list of events: `type`, `organization_id`, `actor_id`.
pub(crate) struct EventFilters(Filters);

impl Input for EventFilters {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let mut ok = true;
        let mut uuid = |name: &str| match cx.query(name).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => match parse_uuid(&raw) {
                Ok(id) => Some(id_text(&id)),
                Err(fail) => {
                    v.push(vec!["query".into(), name.into()], Value::String(raw), fail);
                    ok = false;
                    None
                }
            },
        };
        let organization_id = uuid("organization_id");
        let actor_id = uuid("actor_id");
        let kind = match cx.query("type").filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) if TYPES.contains(&raw.as_str()) => Some(raw),
            Some(raw) => {
                let fail = literal_error(&TYPES);
                v.push(
                    vec!["query".into(), "type".into()],
                    Value::String(raw),
                    fail,
                );
                ok = false;
                None
            }
        };
        Ok(ok.then_some(EventFilters(Filters {
            organization_id,
            actor_id,
            kind,
        })))
    }
}

/// Read Organization Events: the organization's audit log, newest first.
pub(crate) async fn read_organization_events(
    cx: Ctx,
    gate: Gate<OrgAdminReader>,
    (OrgPath(org_id), page, EventFilters(mut filters)): (OrgPath, Page, EventFilters),
) -> ApiResult<Response> {
    filters.organization_id = Some(org_id);
    filters.actor_id = None;
    read(cx, gate, &filters, &page).await
}

/// Read Events: every event (superusers), filtered by organization, actor and type.
pub(crate) async fn read_events(
    cx: Ctx,
    gate: Gate<Superuser>,
    (page, EventFilters(filters)): (Page, EventFilters),
) -> ApiResult<Response> {
    read(cx, gate, &filters, &page).await
}

async fn read<A: crate::access::Access>(
    cx: Ctx,
    gate: Gate<A>,
    filters: &Filters,
    page: &Page,
) -> ApiResult<Response> {
    let (_, r, list) = gate
        .open_with(&cx.db, |b, _| repo::list(b, filters, page))
        .await?;
    list.read(&r)?.respond()
}
