//! SQL for `outbox`: rows written with the change that causes them, read and
//! marked by the consumer, handed over again by the scheduled run.

use super::templates::Message;
use crate::db::from_row;
use crate::db::{Batch, Counted, DbResult, Rows, Write};

/// An outbox row as the consumer reads it.
#[derive(Debug)]
pub(crate) struct OutboxRow {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) recipient: String,
    pub(crate) subject: String,
    pub(crate) html: Option<String>,
    pub(crate) text_body: Option<String>,
    pub(crate) status: String,
    pub(crate) attempts: i64,
}
from_row!(OutboxRow {
    id,
    kind,
    recipient,
    subject,
    html,
    text_body,
    status,
    attempts
});

/// Writes `m` as a pending row `id` (for the caller's batch, with the change).
pub(crate) fn insert(
    b: &mut Batch<'_>,
    id: &str,
    m: &Message,
    now: &str,
    now_secs: i64,
) -> DbResult<Write> {
    insert_when(b, id, m, now, now_secs, "?9 = ?10", "", "")
}

/// As [`insert`], only if `condition` (SQL over `?9` and `?10`) holds when the
/// batch runs: an e-mail that must go only with a change that may not apply.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_when(
    b: &mut Batch<'_>,
    id: &str,
    m: &Message,
    now: &str,
    now_secs: i64,
    condition: &str,
    a: &str,
    c: &str,
) -> DbResult<Write> {
    b.write(
        &format!(
            "insert into outbox (id, kind, recipient, subject, html, text_body, created_at, queued_at) \
             select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 where {condition}"
        ),
        &[
            id.into(),
            m.kind.into(),
            m.to.as_str().into(),
            m.subject.as_str().into(),
            m.html.as_str().into(),
            m.text.as_str().into(),
            now.into(),
            now_secs.into(),
            a.into(),
            c.into(),
        ],
    )
}

/// A request for an e-mail whose message the consumer writes (see
/// [`REQUEST`]): `about` is what it is about (a folded address), in `recipient`
/// until the message replaces it. The same row whatever `about` names.
pub(crate) fn insert_request(
    b: &mut Batch<'_>,
    id: &str,
    kind: &str,
    about: &str,
    now: &str,
    now_secs: i64,
) -> DbResult<Write> {
    b.write(
        "insert into outbox (id, kind, recipient, subject, created_at, queued_at) \
         values (?1, ?2, ?3, '', ?4, ?5)",
        &[
            id.into(),
            kind.into(),
            about.into(),
            now.into(),
            now_secs.into(),
        ],
    )
}

/// The kinds of request rows, by the prefix of their kind.
pub(crate) const REQUEST: &str = "request:";

impl OutboxRow {
    /// A request whose message is not written yet.
    pub(crate) fn is_request(&self) -> bool {
        self.kind.starts_with(REQUEST)
    }
}

/// Writes the message into request row `id` (once: it stays a request until
/// then), and reads the row back.
pub(crate) fn fill(b: &mut Batch<'_>, id: &str, m: &Message) -> DbResult<Rows<OutboxRow>> {
    let _ = b.write(
        &format!(
            "update outbox set kind = ?2, recipient = ?3, subject = ?4, html = ?5, text_body = ?6 \
             where id = ?1 and kind like '{REQUEST}%'"
        ),
        &[
            id.into(),
            m.kind.into(),
            m.to.as_str().into(),
            m.subject.as_str().into(),
            m.html.as_str().into(),
            m.text.as_str().into(),
        ],
    )?;
    find(b, id)
}

/// Deletes request row `id`: there is nothing to send.
pub(crate) fn drop_request(b: &mut Batch<'_>, id: &str) -> DbResult<Write> {
    b.write(
        &format!("delete from outbox where id = ?1 and kind like '{REQUEST}%'"),
        &[id.into()],
    )
}

pub(crate) fn find(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<OutboxRow>> {
    b.query(
        "select id, kind, recipient, subject, html, text_body, status, attempts from outbox where id = ?1",
        &[id.into()],
    )
}

/// Counts an attempt; `queued_at` moves on so the scheduled run leaves a row in
/// retry alone.
pub(crate) fn attempt(b: &mut Batch<'_>, id: &str, now_secs: i64) -> DbResult<Write> {
    b.write(
        "update outbox set attempts = attempts + 1, queued_at = ?2 where id = ?1 and status = 'pending'",
        &[id.into(), now_secs.into()],
    )
}

/// Marks a row sent and drops its bodies (they carry single-use links).
pub(crate) fn mark_sent(b: &mut Batch<'_>, id: &str, now: &str) -> DbResult<Write> {
    b.write(
        "update outbox set status = 'sent', sent_at = ?2, last_error = null, html = null, text_body = null \
         where id = ?1",
        &[id.into(), now.into()],
    )
}

/// Records a failed attempt; `failed` ends the row (no attempt left).
pub(crate) fn mark_error(
    b: &mut Batch<'_>,
    id: &str,
    error: &str,
    failed: bool,
) -> DbResult<Write> {
    b.write(
        "update outbox set last_error = ?2, status = case when ?3 then 'failed' else status end, \
         html = case when ?3 then null else html end, text_body = case when ?3 then null else text_body end \
         where id = ?1",
        &[id.into(), error.into(), failed.into()],
    )
}

pub(crate) struct Stale {
    pub(crate) id: String,
}
from_row!(Stale { id });

/// Up to 100 rows still pending, last handed over before `before` (Unix seconds).
pub(crate) fn stale(b: &mut Batch<'_>, before: i64) -> DbResult<Rows<Stale>> {
    b.query(
        "select id from outbox where status = 'pending' and queued_at < ?1 order by queued_at limit 100",
        &[before.into()],
    )
}

/// Notes a new hand-over of row `id`.
pub(crate) fn queued(b: &mut Batch<'_>, id: &str, now_secs: i64) -> DbResult<Write> {
    b.write(
        "update outbox set queued_at = ?2 where id = ?1",
        &[id.into(), now_secs.into()],
    )
}

/// How long a sent or failed row is kept (for a look at what went out): 7 days.
pub(crate) const KEEP_SECONDS: i64 = 7 * 86_400;

/// Deletes rows sent or failed over [`KEEP_SECONDS`] ago (the scheduled run).
pub(crate) fn prune(b: &mut Batch<'_>, now_secs: i64) -> DbResult<Counted> {
    b.counted(
        "delete from outbox where status in ('sent', 'failed') and queued_at < ?1",
        &[(now_secs - KEEP_SECONDS).into()],
    )
}
