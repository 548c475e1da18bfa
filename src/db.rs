//! D1 glue, and the one place the service talks to D1.
//!
//! Every statement goes through [`Db`], which counts round trips and the time
//! spent in them (reported in `Server-Timing`), so no query can go unseen.
//! Repositories build statements with [`Db::stmt`] and run them with `first`,
//! `all`, `run` or `batch` (one transaction, one round trip).

use crate::error::{ApiError, ApiResult};
use serde::de::DeserializeOwned;
use std::cell::Cell;
use std::rc::Rc;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

/// A value bound to a `?N` parameter. D1 takes JS numbers, so integers travel as
/// f64 (exact up to 2^53, the range the API accepts) and `None` as SQL NULL.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
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

impl Arg<'_> {
    fn js(&self) -> JsValue {
        match self {
            Arg::Null => JsValue::NULL,
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Real(x) => JsValue::from_f64(*x),
        }
    }
}

/// Round trips made and milliseconds spent in D1 by one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct DbStats {
    pub round_trips: u32,
    pub millis: f64,
}

pub struct Db {
    d1: D1Database,
    stats: Rc<Cell<DbStats>>,
}

fn now_ms() -> f64 {
    worker::js_sys::Date::now()
}

impl Db {
    pub fn new(d1: D1Database) -> Self {
        Db {
            d1,
            stats: Rc::new(Cell::new(DbStats::default())),
        }
    }

    /// Returns the counters so far and starts again from zero.
    pub fn take_stats(&self) -> DbStats {
        self.stats.replace(DbStats::default())
    }

    /// The counters of this request, readable after the handler consumed the `Db`.
    pub fn stats_handle(&self) -> Rc<Cell<DbStats>> {
        self.stats.clone()
    }

    /// Prepares `sql` with its `?1..?N` arguments. No round trip.
    pub fn stmt(&self, sql: &str, args: &[Arg<'_>]) -> Result<D1PreparedStatement, DbError> {
        let stmt = self.d1.prepare(sql);
        if args.is_empty() {
            return Ok(stmt);
        }
        let values: Vec<JsValue> = args.iter().map(Arg::js).collect();
        stmt.bind(&values)
            .map_err(|e| DbError::Other(format!("bind: {e}")))
    }

    async fn timed<T>(
        &self,
        fut: impl std::future::Future<Output = worker::Result<T>>,
    ) -> worker::Result<T> {
        let start = now_ms();
        let out = fut.await;
        let mut s = self.stats.get();
        s.round_trips += 1;
        s.millis += now_ms() - start;
        self.stats.set(s);
        out
    }

    /// The first row, if any.
    pub async fn first<T: DeserializeOwned>(
        &self,
        stmt: D1PreparedStatement,
    ) -> Result<Option<T>, DbError> {
        Ok(self.timed(stmt.first::<T>(None)).await?)
    }

    /// Runs a write; returns the number of rows it changed. A UNIQUE violation
    /// comes back as `Err(Conflict)`, for the repository to word.
    pub async fn run(&self, stmt: D1PreparedStatement) -> Result<u64, DbError> {
        let result = self.timed(stmt.run()).await.map_err(DbError::from)?;
        Ok(changes(&result))
    }

    /// Runs statements as one transaction in one round trip: all or nothing.
    pub async fn batch(&self, stmts: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>, DbError> {
        self.timed(self.d1.batch(stmts))
            .await
            .map_err(DbError::from)
    }
}

/// Rows a write changed, as D1 reports it.
pub fn changes(result: &D1Result) -> u64 {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0) as u64
}

/// A page of rows and the `count` of all matches, from two results of a batch
/// (the page's `select`, then `select count(*) as count ...`).
pub fn page_and_count<T: DeserializeOwned>(
    page: &D1Result,
    count: &D1Result,
) -> ApiResult<(Vec<T>, i64)> {
    #[derive(serde::Deserialize)]
    struct Count {
        count: i64,
    }
    let total = rows::<Count>(count)?.first().map_or(0, |c| c.count);
    Ok((rows::<T>(page)?, total))
}

/// Decodes the rows of one result of a batch.
pub fn rows<T: DeserializeOwned>(result: &D1Result) -> ApiResult<Vec<T>> {
    result
        .results::<T>()
        .map_err(|e| internal("decode rows", e))
}

/// A failed write: a UNIQUE constraint (named `table.column`, as SQLite words
/// it; D1 reports no constraint names) or anything else.
#[derive(Debug)]
pub enum DbError {
    Unique(String),
    /// A FOREIGN KEY constraint refused the write.
    ForeignKey,
    Other(String),
}

impl From<worker::Error> for DbError {
    fn from(e: worker::Error) -> Self {
        let text = match &e {
            // Not D1Error's Display: it panics when the cause is not a string.
            worker::Error::D1(d1) => {
                let js: &worker::js_sys::Error = d1.as_ref();
                format!("{} ({})", String::from(js.message()), d1.cause())
            }
            other => other.to_string(),
        };
        match unique_violation(&text) {
            Some(column) => DbError::Unique(column),
            None if text.contains("FOREIGN KEY constraint failed") => DbError::ForeignKey,
            None => DbError::Other(text),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(c) => ApiError::internal(format!("unhandled UNIQUE violation on {c}")),
            DbError::ForeignKey => ApiError::internal("unhandled FOREIGN KEY violation"),
            DbError::Other(t) => ApiError::internal(format!("d1: {t}")),
        }
    }
}

/// `users.email` out of `... UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT`.
pub fn unique_violation(text: &str) -> Option<String> {
    let rest = text.split("UNIQUE constraint failed: ").nth(1)?;
    let column: String = rest
        .chars()
        .take_while(|c| {
            c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == ',' || *c == ' '
        })
        .collect();
    Some(column.trim().trim_end_matches(',').to_string())
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("d1 {what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_their_column() {
        assert_eq!(
            unique_violation("D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT")
                .as_deref(),
            Some("users.email")
        );
        assert_eq!(unique_violation("no such table: users"), None);
    }
}
