//! One typed D1 batch: statements go in and come back as handles; results are
//! taken by handle. A batch is one transaction and one round trip.

use super::row::{Columns, FromRow, Row};
use super::{from_row, Arg, Db, DbError, DbResult};
use std::marker::PhantomData;
use worker::js_sys::{Array, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::{D1DatabaseSession, D1Result};
use worker::D1PreparedStatement;

/// Statements to run together, all or nothing.
pub(crate) struct Batch<'db> {
    db: &'db Db,
    stmts: Vec<D1PreparedStatement>,
    /// Whether [`Batch::require`] opened it: `run` then closes it.
    conditional: bool,
    /// Statements whose returned `id`s go to the queue once the batch commits.
    enqueue: Vec<usize>,
    /// The read that a later one-row read joins ([`Batch::beside`]). Gone
    /// once anything writes.
    lead: Option<Lead>,
}

/// A batch's lead, as it was pushed.
struct Lead {
    index: usize,
    sql: String,
    values: Vec<JsValue>,
    /// The values as JSON, for the trace (when it is on).
    traced: Vec<serde_json::Value>,
}

/// The rows one statement of a batch returns, decoded as `T`.
#[must_use]
pub(crate) struct Rows<T> {
    index: usize,
    row: PhantomData<T>,
}

impl<T> Rows<T> {
    /// The same statement's rows, decoded as `U` (other columns of the same rows).
    pub(crate) fn same<U>(&self) -> Rows<U> {
        Rows {
            index: self.index,
            row: PhantomData,
        }
    }
}

/// The number of rows one write of a batch changed.
#[must_use]
pub(crate) struct Write {
    index: usize,
}

/// The rows one write of a batch changed itself: SQLite's `changes()`, read
/// by the statement after it. D1's own count adds what the write's triggers
/// and foreign-key actions changed (a pruned event counts its organization's
/// kept count and its deliveries too).
#[must_use]
pub(crate) struct Counted {
    changes: Rows<Changes>,
}

/// The row of `select changes() as n`.
struct Changes {
    n: i64,
}
from_row!(Changes { n });

/// The results of a batch that ran: D1's result objects, read where taken.
pub(crate) struct Results {
    results: Vec<D1Result>,
}

impl<'db> Batch<'db> {
    pub(super) fn new(db: &'db Db) -> Self {
        Batch {
            db,
            stmts: Vec::new(),
            conditional: false,
            enqueue: Vec::new(),
            lead: None,
        }
    }

    fn push(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        let (values, traced) = self.values(args);
        self.push_values(sql, &values, traced)
    }

    /// [`Batch::push`] of arguments already turned into values.
    fn push_values(
        &mut self,
        sql: &str,
        values: &[JsValue],
        traced: Vec<serde_json::Value>,
    ) -> DbResult<usize> {
        let stmt = self.prepare(sql, values, traced)?;
        self.stmts.push(stmt);
        Ok(self.stmts.len() - 1)
    }

    /// `args` for D1, and as JSON for the trace (when it is on).
    fn values(&self, args: &[Arg<'_>]) -> (Vec<JsValue>, Vec<serde_json::Value>) {
        let traced = match self.db.trace {
            true => args.iter().map(Arg::json).collect(),
            false => Vec::new(),
        };
        (args.iter().map(Arg::js).collect(), traced)
    }

    fn prepare(
        &self,
        sql: &str,
        values: &[JsValue],
        traced: Vec<serde_json::Value>,
    ) -> DbResult<D1PreparedStatement> {
        if self.db.trace {
            let line = serde_json::json!({ "sql": sql, "args": traced });
            worker::console_log!("sql-trace {line}");
        }
        let stmt = self.db.d1.prepare(sql);
        if values.is_empty() {
            return Ok(stmt);
        }
        stmt.bind(values).map_err(|e| DbError::other("bind", e))
    }

    /// A read that a later one-row read of the batch may join
    /// ([`Batch::beside`]): the caller's, in a gate's batch.
    pub(crate) fn lead<T: FromRow>(&mut self, sql: String, args: &[Arg<'_>]) -> DbResult<Rows<T>> {
        let (values, traced) = self.values(args);
        let index = self.push_values(&sql, &values, traced.clone())?;
        self.lead = Some(Lead {
            index,
            sql,
            values,
            traced,
        });
        Ok(Rows {
            index,
            row: PhantomData,
        })
    }

    /// A read whose one row (an aggregate's) is columns beside the lead's
    /// rows, in the lead's statement: Miniflare's D1 spends about 0.025 ms
    /// on each statement of a batch, however small. The read comes first in
    /// the join: SQLite runs it as a co-routine, where as the second table it
    /// would be materialized and its row counted as read once more. It runs
    /// where the lead's statement does, so it is only for what the batch
    /// does not write before it; its column names are not the lead's. With
    /// no lead (the caller cache had the caller, or something wrote), it is
    /// a statement of its own. Where the lead finds no row (a caller that
    /// fails the checks), the statement answers none.
    pub(crate) fn beside<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<Rows<T>> {
        let Some(mut lead) = self.lead.take() else {
            return self.query(sql, args);
        };
        // The lead's values go after this read's, so its numbers move.
        let sql = format!(
            "select * from ({sql}) cross join ({})",
            shifted(&lead.sql, args.len())
        );
        let (mut values, mut traced) = self.values(args);
        values.append(&mut lead.values);
        traced.append(&mut lead.traced);
        let index = lead.index;
        self.stmts[index] = self.prepare(&sql, &values, traced)?;
        Ok(Rows {
            index,
            row: PhantomData,
        })
    }

    /// A statement whose rows the caller reads as `T`.
    pub(crate) fn query<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<Rows<T>> {
        Ok(Rows {
            index: self.push(sql, args)?,
            row: PhantomData,
        })
    }

    /// A statement whose change count the caller reads.
    pub(crate) fn write(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<Write> {
        self.lead = None;
        Ok(Write {
            index: self.push(sql, args)?,
        })
    }

    /// A write whose own rows the caller reads ([`Counted`]).
    pub(crate) fn counted(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<Counted> {
        self.lead = None;
        self.push(sql, args)?;
        Ok(Counted {
            changes: self.query("select changes() as n", &[])?,
        })
    }

    /// A statement (`... returning id`) whose ids are handed to a queue once
    /// the batch commits ([`Db::take_committed`]): work for a consumer that
    /// must exist exactly when the change does.
    pub(crate) fn enqueue(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<()> {
        self.lead = None;
        let index = self.push(sql, args)?;
        self.enqueue.push(index);
        Ok(())
    }

    /// Makes the whole batch conditional on `holds` (SQL giving 1 or 0 over
    /// `args`), checked inside its transaction before what is pushed after:
    /// a row goes into `preconditions`, whose CHECK refuses a false one, so
    /// the batch rolls back as `DbError::Precondition`. `run` deletes the row
    /// again as the batch's last statement.
    pub(crate) fn require(&mut self, holds: &str, args: &[Arg<'_>]) -> DbResult<()> {
        let sql = format!("insert into preconditions (ok) select coalesce(({holds}), 0)");
        let _ = self.write(&sql, args)?;
        self.conditional = true;
        Ok(())
    }

    /// Runs every statement in one transaction and one round trip.
    pub(crate) async fn run(mut self) -> DbResult<Results> {
        if self.conditional {
            let _ = self.write("delete from preconditions", &[])?;
        }
        if self.stmts.is_empty() {
            return Ok(Results {
                results: Vec::new(),
            });
        }
        let started = worker::js_sys::Date::now();
        let out = self.send().await;
        let (mut read, mut written) = (0, 0);
        for result in out.iter().flatten() {
            read += meta(result, "rows_read");
            written += meta(result, "rows_written");
        }
        self.db.record(started, read, written);
        let results = Results { results: out? };
        for &index in &self.enqueue {
            let ids = results.rows::<Id>(Rows {
                index,
                row: PhantomData,
            })?;
            self.db
                .committed
                .borrow_mut()
                .extend(ids.into_iter().map(|r| r.id));
        }
        Ok(results)
    }

    /// D1's `batch` on the request's session, its results as D1 gives them.
    async fn send(&self) -> DbResult<Vec<D1Result>> {
        let statements: Array = self.stmts.iter().map(D1PreparedStatement::inner).collect();
        let session: &JsValue = (*self.db.d1).as_ref();
        let session: &D1DatabaseSession = session.unchecked_ref();
        let sent = session.session_batch(statements).map_err(js_error)?;
        let results = JsFuture::from(sent).await.map_err(js_error)?;
        let results: Array = results
            .dyn_into()
            .map_err(|_| DbError::Other("D1 batch: not an array of results".into()))?;
        Ok(results.iter().map(JsCast::unchecked_into).collect())
    }
}

/// `sql` with each `?N` numbered `by` more (the lead's SQL: no `?` but
/// its numbered parameters).
fn shifted(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut parts = sql.split('?');
    out.push_str(parts.next().unwrap_or_default());
    for part in parts {
        let digits = part.bytes().take_while(u8::is_ascii_digit).count();
        let n = part[..digits].parse::<usize>().unwrap_or_default();
        out.push_str(&format!("?{}{}", n + by, &part[digits..]));
    }
    out
}

/// A returned id.
struct Id {
    id: String,
}
super::from_row!(Id { id });

/// A number in a result's `meta` (0 when D1 leaves it out).
fn meta(result: &D1Result, name: &str) -> u64 {
    let meta = result.meta().ok();
    let value = meta.and_then(|m| Reflect::get(&m, &JsValue::from_str(name)).ok());
    value
        .and_then(|v| v.as_f64())
        .map_or(0, |n| n.max(0.0) as u64)
}

/// A rejected D1 call, as text that `classify` reads (D1 puts SQLite's own
/// message in the error's `cause`).
fn js_error(e: JsValue) -> DbError {
    let Some(err) = e.dyn_ref::<worker::js_sys::Error>() else {
        return DbError::Other(format!("D1: {}", e.as_string().unwrap_or_default()));
    };
    let message = String::from(err.message());
    let cause = err.cause();
    let cause = match cause.dyn_ref::<worker::js_sys::Error>() {
        Some(c) => String::from(c.message()),
        None => cause.as_string().unwrap_or_default(),
    };
    super::error::classify(&format!("{message} ({cause})"))
}

impl Results {
    fn result(&self, index: usize) -> DbResult<&D1Result> {
        self.results
            .get(index)
            .ok_or_else(|| DbError::Other(format!("no result for statement {index}")))
    }

    /// The rows of one statement, as D1 gives them.
    fn raw(&self, index: usize) -> DbResult<Array> {
        let result = self.result(index)?;
        let rows = result
            .results()
            .map_err(|_| DbError::Other(format!("no rows for statement {index}")))?;
        Ok(rows.unwrap_or_default())
    }

    /// Every row of `rows`.
    pub(crate) fn rows<T: FromRow>(&self, rows: Rows<T>) -> DbResult<Vec<T>> {
        let raw = self.raw(rows.index)?;
        if raw.length() == 0 {
            return Ok(Vec::new());
        }
        let columns = Columns::of(&raw.get(0));
        raw.iter()
            .map(|r| T::from_row(&Row::new(&r, &columns)))
            .collect()
    }

    /// The first row of `rows`, if any.
    pub(crate) fn first<T: FromRow>(&self, rows: Rows<T>) -> DbResult<Option<T>> {
        match self.first_raw(rows.index)? {
            None => Ok(None),
            Some((first, columns)) => T::from_row(&Row::new(&first, &columns)).map(Some),
        }
    }

    /// [`Results::first`]'s work before the row type: compiled once.
    #[inline(never)]
    fn first_raw(&self, index: usize) -> DbResult<Option<(JsValue, Columns)>> {
        let raw = self.raw(index)?;
        Ok(match raw.length() {
            0 => None,
            _ => {
                let first = raw.get(0);
                let columns = Columns::of(&first);
                Some((first, columns))
            }
        })
    }

    /// Whether `rows` returned anything.
    pub(crate) fn exists<T>(&self, rows: Rows<T>) -> DbResult<bool> {
        Ok(self.raw(rows.index)?.length() > 0)
    }

    /// Rows the write changed itself.
    pub(crate) fn counted(&self, counted: Counted) -> DbResult<u64> {
        let changes = self.first(counted.changes)?;
        Ok(changes.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
    }

    /// Rows the write changed, as D1 reports it (its triggers' and foreign-key
    /// actions' changes included).
    pub(crate) fn changes(&self, write: Write) -> DbResult<u64> {
        Ok(meta(self.result(write.index)?, "changes"))
    }
}

#[cfg(test)]
mod tests {
    use super::shifted;

    #[test]
    fn a_leads_parameters_move_past_the_joined_reads() {
        let caller = "select * from users u left join (select id from sessions where id = ?2) s \
                      where u.id = ?1";
        assert_eq!(
            shifted(caller, 3),
            "select * from users u left join (select id from sessions where id = ?5) s \
             where u.id = ?4"
        );
        assert_eq!(shifted("x in (?10, ?11)", 2), "x in (?12, ?13)");
        assert_eq!(shifted("select 1", 4), "select 1");
        assert_eq!(shifted("x = ?1", 0), "x = ?1");
    }
}
