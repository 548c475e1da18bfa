//! D1 glue, and the one place the service talks to D1.
//!
//! Every statement travels in a [`Batch`] (one transaction, one round trip):
//! pushing a statement returns a typed handle, and its rows or its change count
//! are taken from the [`Results`] by that handle, never by position. [`Db`]
//! counts round trips, rows read and written, and the time spent, for
//! `Server-Timing`, so no query goes unseen. Failures are one [`DbError`];
//! constraint failures become client errors through [`ResultExt`].
//!
//! A `LIMIT` of a bound value is written `limit ?n + 0`, never `limit ?n`:
//! recent SQLite (a 2024 change; D1's, and workerd's locally) reads a bare
//! parameter's value when it compiles a LIMIT, and marks the statement to be
//! compiled again whenever that parameter is bound, so each run compiled it twice
//! (0.1 ms of the users list's 1.5 ms locally). An expression of it is
//! computed as the statement runs. `make lint` (`gates_check.py`) finds a
//! bare one.

mod batch;
mod error;
mod row;

pub(crate) use batch::{Batch, Counted, Results, Rows, Write};
pub(crate) use error::{DbError, DbResult, ResultExt};
pub(crate) use row::{from_row, json_flag, FromRow, JsonText, Row};

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession};

/// A value bound to a `?N` parameter. D1 takes JS numbers, so integers travel as
/// f64 (exact up to 2^53, the range the API accepts) and `None` as SQL NULL.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Real(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Arg::Null, Arg::Text)
    }
}
impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}
impl From<Option<i64>> for Arg<'_> {
    fn from(n: Option<i64>) -> Self {
        n.map_or(Arg::Null, Arg::Int)
    }
}
impl From<Option<f64>> for Arg<'_> {
    fn from(n: Option<f64>) -> Self {
        n.map_or(Arg::Null, Arg::Real)
    }
}
impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Int(i64::from(b))
    }
}
impl From<Option<bool>> for Arg<'_> {
    fn from(b: Option<bool>) -> Self {
        b.map_or(Arg::Null, |b| Arg::Int(i64::from(b)))
    }
}

impl Arg<'_> {
    /// The value as JSON, for the statement trace.
    fn json(&self) -> serde_json::Value {
        match self {
            Arg::Null => serde_json::Value::Null,
            Arg::Text(s) => (*s).into(),
            Arg::Int(n) => (*n).into(),
            Arg::Real(x) => (*x).into(),
        }
    }

    fn js(&self) -> JsValue {
        match self {
            Arg::Null => JsValue::NULL,
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Real(x) => JsValue::from_f64(*x),
        }
    }
}

/// What one request (or the once-per-isolate boot check) cost in D1.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DbStats {
    pub(crate) round_trips: u32,
    /// Rows D1 read and wrote, from each result's `meta` (what D1 bills).
    pub(crate) rows_read: u64,
    pub(crate) rows_written: u64,
    pub(crate) millis: f64,
}

impl DbStats {
    /// Both counts together (a request and its isolate's boot check).
    pub(crate) fn plus(self, other: DbStats) -> DbStats {
        DbStats {
            round_trips: self.round_trips + other.round_trips,
            rows_read: self.rows_read + other.rows_read,
            rows_written: self.rows_written + other.rows_written,
            millis: self.millis + other.millis,
        }
    }
}

/// Where a request's D1 session starts (D1's Sessions API): after a bookmark
/// the client sent back, or, without one, anywhere for a read and at the
/// primary for a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start<'a> {
    After(&'a str),
    Unconstrained,
    Primary,
}

/// Whether `text` has the form of a D1 bookmark (`00000001-00000002-00004e46-`
/// and 32 hex digits): anything else is refused before it reaches D1, which
/// would take it for a bookmark of its own.
pub(crate) fn is_bookmark(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 4
        && parts
            .iter()
            .zip([8, 8, 8, 32])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A write that undoes something a request committed early: SQL and its text arguments.
type Undo = (&'static str, Vec<String>);

/// The request's handle on D1: one D1 session, so that every batch of the
/// request reads at least what the one before it saw, on a replica or not.
/// A clone is another handle on the same session and counters.
#[derive(Clone)]
pub(crate) struct Db {
    d1: Rc<D1DatabaseSession>,
    stats: Rc<Cell<DbStats>>,
    /// What to undo if the request fails after all (see [`Db::on_failure`]).
    undo: Rc<RefCell<Vec<Undo>>>,
    /// Writes for after the response (see [`Db::after_response`]).
    after: Rc<RefCell<Vec<Undo>>>,
    /// The API key that called, by id, for the request log.
    api_key: Rc<RefCell<Option<String>>>,
    /// Ids that committed batches returned for a queue (see [`Batch::enqueue`]).
    committed: Rc<RefCell<Vec<String>>>,
    /// Log every statement with its bindings (`SQL_TRACE`, local only).
    trace: bool,
}

impl Db {
    pub(crate) fn new(d1: &D1Database, start: Start<'_>, trace: bool) -> DbResult<Self> {
        let at = match start {
            Start::After(bookmark) => bookmark,
            Start::Unconstrained => "first-unconstrained",
            Start::Primary => "first-primary",
        };
        let session = d1
            .with_session(Some(at))
            .map_err(|e| DbError::other("open a D1 session", e))?;
        Ok(Db {
            d1: Rc::new(session),
            stats: Rc::new(Cell::new(DbStats::default())),
            undo: Rc::default(),
            after: Rc::default(),
            api_key: Rc::default(),
            committed: Rc::default(),
            trace,
        })
    }

    /// The session, to read its latest bookmark after the handler consumed the `Db`.
    pub(crate) fn session_handle(&self) -> Rc<D1DatabaseSession> {
        self.d1.clone()
    }

    /// An empty batch for this database.
    pub(crate) fn batch(&self) -> Batch<'_> {
        Batch::new(self)
    }

    /// Returns the counters so far and starts again from zero.
    pub(crate) fn take_stats(&self) -> DbStats {
        self.stats.replace(DbStats::default())
    }

    /// The counters of this request, readable after the handler consumed the `Db`.
    pub(crate) fn stats_handle(&self) -> Rc<Cell<DbStats>> {
        self.stats.clone()
    }

    /// Registers a write (text arguments only) that undoes something this
    /// request committed early, such as a reservation, to run by
    /// [`Db::undo_failed`] if the request fails after all.
    pub(crate) fn on_failure(&self, sql: &'static str, args: Vec<String>) {
        self.undo.borrow_mut().push((sql, args));
    }

    /// The request failed: runs what [`Db::on_failure`] registered, in one batch.
    pub(crate) async fn undo_failed(&self) -> DbResult<()> {
        let undo = self.undo.take();
        self.run_writes(undo).await
    }

    /// Registers a write (text arguments only) to run once the response is
    /// out ([`Db::run_after_response`], under `waitUntil`): bookkeeping that
    /// must not delay the answer, such as an API key's `last_used_at`.
    pub(crate) fn after_response(&self, sql: &'static str, args: Vec<String>) {
        self.after.borrow_mut().push((sql, args));
    }

    /// Whether writes wait for after the response.
    pub(crate) fn has_after_response(&self) -> bool {
        !self.after.borrow().is_empty()
    }

    /// Runs what [`Db::after_response`] registered, in one batch; how many writes.
    pub(crate) async fn run_after_response(&self) -> DbResult<usize> {
        let after = self.after.take();
        let n = after.len();
        self.run_writes(after).await.map(|()| n)
    }

    async fn run_writes(&self, writes: Vec<Undo>) -> DbResult<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut b = self.batch();
        for (sql, args) in &writes {
            let args: Vec<Arg<'_>> = args.iter().map(Arg::from).collect();
            let _ = b.write(sql, &args)?;
        }
        b.run().await?;
        Ok(())
    }

    /// Notes that API key `id` called (the request log names it; never the key).
    pub(crate) fn note_api_key(&self, id: &str) {
        *self.api_key.borrow_mut() = Some(id.to_string());
    }

    /// The ids [`Batch::enqueue`] statements returned in committed batches
    /// (and [`Db::queue_after`]'s), taken: for the queue, once the request is done.
    pub(crate) fn take_committed(&self) -> Vec<String> {
        self.committed.take()
    }

    /// An id for the queue once the request is done (a row a committed batch
    /// made pending again).
    pub(crate) fn queue_after(&self, id: String) {
        self.committed.borrow_mut().push(id);
    }

    /// The API key that called, if one did.
    pub(crate) fn api_key(&self) -> Option<String> {
        self.api_key.borrow().clone()
    }

    fn record(&self, started: f64, rows_read: u64, rows_written: u64) {
        let mut s = self.stats.get();
        s.round_trips += 1;
        s.rows_read += rows_read;
        s.rows_written += rows_written;
        s.millis += worker::js_sys::Date::now() - started;
        self.stats.set(s);
    }
}

#[cfg(test)]
mod tests {
    use super::is_bookmark;

    #[test]
    fn only_the_form_of_a_d1_bookmark_is_one() {
        assert!(is_bookmark(
            "00000001-00000002-00004e46-0c5aa4aa8c3ec57a6de05ab4b2ea4c71"
        ));
        for bad in [
            "",
            "garbage",
            "first-primary",
            "00000001-00000002-00004e46",
            "00000001-00000002-00004e46-0c5aa4aa8c3ec57a6de05ab4b2ea4c7",
            "00000001-00000002-00004e46-0c5aa4aa8c3ec57a6de05ab4b2ea4c71-0",
        ] {
            assert!(!is_bookmark(bad), "{bad}");
        }
    }
}
