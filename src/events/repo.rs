//! SQL for `events` and the deliveries an event fans out to.

use super::{Event, Origin, Pending};
use crate::db::{Arg, Batch, Counted, DbResult, JsonText, Rows};
use crate::lists::{ListQuery, Order, Page, Source};

/// A delivery's id, made by SQLite in the event's statement: a version 4 UUID.
const NEW_UUID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
     substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || \
     substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

pub(super) fn insert(b: &mut Batch<'_>, origin: &Origin<'_>, event: &Event<'_>) -> DbResult<()> {
    let id = write(b, origin, event)?;
    fan_out(b, &id, event)
}

/// An event that [`confirm`] keeps (and fans out) only if its subject is gone.
pub(super) fn insert_pending<'a>(
    b: &mut Batch<'_>,
    origin: &Origin<'_>,
    event: Event<'a>,
) -> DbResult<Pending<'a>> {
    let id = write(b, origin, &event)?;
    Ok(Pending { id, event })
}

/// Drops event `id` if its subject's row is still there, then fans it out.
pub(super) fn confirm(b: &mut Batch<'_>, id: &str, event: &Event<'_>) -> DbResult<()> {
    let read = event.subject.read();
    let mut args: Vec<Arg<'_>> = vec![id.into()];
    args.resize(10, Arg::Null);
    args.extend(read.args);
    let _ = b.write(
        &format!(
            "delete from events where id = ?1 and exists (select 1 {})",
            read.row
        ),
        &args,
    )?;
    fan_out(b, id, event)
}

/// The event's row, if its subject's row is there (and its witness holds).
fn write(b: &mut Batch<'_>, origin: &Origin<'_>, event: &Event<'_>) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::clock::now_iso();
    let read = event.subject.read();
    let mut args: Vec<Arg<'_>> = vec![
        id.as_str().into(),
        event.kind.into(),
        now.as_str().into(),
        event.org.into(),
        event.by.kind.into(),
        event.by.id.into(),
        read.kind.into(),
        read.id.into(),
        origin.request_id.into(),
        origin.ip.as_deref().into(),
    ];
    args.extend(read.args);
    let witness = match &event.witness {
        Some((condition, value)) => {
            args.resize(19, Arg::Null);
            args.push(value.clone());
            format!(" and ({condition})")
        }
        None => String::new(),
    };
    let _ = b.write(
        &format!(
            "insert into events (id, type, occurred_at, organization_id, actor_type, actor_id, \
             subject_type, subject_id, request_id, ip_address, data) \
             select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {} {}{witness}",
            read.data, read.row
        ),
        &args,
    )?;
    Ok(id)
}

/// One delivery per enabled endpoint of the event's organization (or a
/// global one) that wants its type, if the event is recorded; their ids go
/// to the webhook queue once the batch commits.
fn fan_out(b: &mut Batch<'_>, id: &str, event: &Event<'_>) -> DbResult<()> {
    b.enqueue(
        &format!(
            "insert into webhook_deliveries (id, endpoint_id, event_id, event_type, created_at, \
             next_attempt_at) select {NEW_UUID}, e.id, ?1, ?2, ?3, ?5 from webhook_endpoints e \
             where (e.organization_id = ?4 or e.organization_id is null) and e.enabled = 1 \
             and (e.event_types = '[\"*\"]' or exists (select 1 from json_each(e.event_types) \
             where value = ?2)) and exists (select 1 from events where id = ?1) returning id"
        ),
        &[
            id.into(),
            event.kind.into(),
            crate::clock::now_iso().as_str().into(),
            event.org.into(),
            crate::clock::now_secs().into(),
        ],
    )
}

/// `EventPublic`, as SQLite builds it from an `events` row.
macro_rules! event_json {
    () => {
        "json_object('id', id, 'type', type, 'occurred_at', occurred_at, \
         'organization_id', organization_id, 'actor', json_object('type', actor_type, 'id', actor_id), \
         'subject', json_object('type', subject_type, 'id', subject_id), 'data', json(data), \
         'request_id', request_id, 'ip_address', ip_address)"
    };
}

/// An event's public JSON, as the one column `json`.
const EVENT_JSON: &str = concat!(event_json!(), " as json");

/// The body delivery `delivery_id` sends (Standard Webhooks: `type`,
/// `timestamp`, `data`), and its event's id.
pub(crate) fn of_delivery(b: &mut Batch<'_>, delivery_id: &str) -> DbResult<Rows<JsonText>> {
    b.query(
        concat!(
            "select json_object('type', type, 'timestamp', occurred_at, 'data', ",
            event_json!(),
            ") as json from events where id = \
             (select event_id from webhook_deliveries where id = ?1)"
        ),
        &[delivery_id.into()],
    )
}

/// The filters of a list of events, each optional.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    pub(crate) organization_id: Option<String>,
    pub(crate) actor_id: Option<String>,
    pub(crate) kind: Option<String>,
}

/// One page of the events matching `f`, newest first, and their count.
pub(crate) fn list(b: &mut Batch<'_>, f: &Filters, page: &Page) -> DbResult<ListQuery> {
    let mut terms = Vec::new();
    let mut args: Vec<Arg<'_>> = Vec::new();
    for (column, value) in [
        ("organization_id", &f.organization_id),
        ("actor_id", &f.actor_id),
        ("type", &f.kind),
    ] {
        if let Some(value) = value {
            args.push(value.as_str().into());
            terms.push(format!("{column} = ?{}", args.len()));
        }
    }
    let filter = if terms.is_empty() {
        "1".to_string()
    } else {
        terms.join(" and ")
    };
    let source = Source {
        columns: EVENT_JSON,
        from: "events",
        filter: &filter,
        args: &args,
        version: None,
        walk: None,
    };
    // Unfiltered, and an organization's alone, the trigger-kept counters: no
    // walk of what grows with every change. A deleted organization's events
    // (kept for the superuser's log) have no row to count into: walked.
    let count = match (&f.organization_id, &f.actor_id, &f.kind) {
        (None, None, None) => {
            "select value as count from counters where name = 'events'".to_string()
        }
        (Some(_), None, None) => {
            "select coalesce((select event_count from organizations where id = ?1), \
             (select count(*) from events where organization_id = ?1)) as count"
                .to_string()
        }
        _ => format!("select count(*) as count from events where {filter}"),
    };
    ListQuery::keyset(
        b,
        source,
        Order::newest_first("occurred_at", "id"),
        page,
        &count,
    )
}

/// Deletes events that occurred before `before` (RFC 3339), oldest first, at
/// most `limit` of them (their deliveries go with them).
pub(crate) fn prune(b: &mut Batch<'_>, before: &str, limit: i64) -> DbResult<Counted> {
    b.counted(
        "delete from events where id in (select id from events where occurred_at < ?1 \
         order by occurred_at limit ?2 + 0)",
        &[before.into(), limit.into()],
    )
}
