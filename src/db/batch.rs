//! One typed D1 batch: statements go in and come back as handles; results are
//! taken by handle. A batch is one transaction and one round trip.

use super::{Arg, Db, DbError, DbResult};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use worker::wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

/// Statements to run together, all or nothing.
pub(crate) struct Batch<'db> {
    db: &'db Db,
    stmts: Vec<D1PreparedStatement>,
    /// Whether [`Batch::require`] opened it: `run` then closes it.
    conditional: bool,
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

/// The results of a batch that ran.
pub(crate) struct Results {
    results: Vec<D1Result>,
}

impl<'db> Batch<'db> {
    pub(super) fn new(db: &'db Db) -> Self {
        Batch {
            db,
            stmts: Vec::new(),
            conditional: false,
        }
    }

    fn push(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<usize> {
        if self.db.trace {
            let args: Vec<_> = args.iter().map(Arg::json).collect();
            let line = serde_json::json!({ "sql": sql, "args": args });
            worker::console_log!("sql-trace {line}");
        }
        let stmt = self.db.d1.prepare(sql);
        let stmt = if args.is_empty() {
            stmt
        } else {
            let values: Vec<JsValue> = args.iter().map(Arg::js).collect();
            stmt.bind(&values).map_err(|e| DbError::other("bind", e))?
        };
        self.stmts.push(stmt);
        Ok(self.stmts.len() - 1)
    }

    /// A statement whose rows the caller reads as `T`.
    pub(crate) fn query<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> DbResult<Rows<T>> {
        Ok(Rows {
            index: self.push(sql, args)?,
            row: PhantomData,
        })
    }

    /// A statement whose change count the caller reads.
    pub(crate) fn write(&mut self, sql: &str, args: &[Arg<'_>]) -> DbResult<Write> {
        Ok(Write {
            index: self.push(sql, args)?,
        })
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
        let out = self.db.d1.batch(self.stmts).await;
        let (mut read, mut written) = (0, 0);
        if let Ok(results) = &out {
            for meta in results.iter().filter_map(|r| r.meta().ok().flatten()) {
                read += meta.rows_read.unwrap_or(0) as u64;
                written += meta.rows_written.unwrap_or(0) as u64;
            }
        }
        self.db.record(started, read, written);
        Ok(Results { results: out? })
    }
}

impl Results {
    fn result(&self, index: usize) -> DbResult<&D1Result> {
        self.results
            .get(index)
            .ok_or_else(|| DbError::Other(format!("no result for statement {index}")))
    }

    /// Every row of `rows`.
    pub(crate) fn rows<T: DeserializeOwned>(&self, rows: Rows<T>) -> DbResult<Vec<T>> {
        self.result(rows.index)?
            .results::<T>()
            .map_err(|e| DbError::other("decode rows", e))
    }

    /// The first row of `rows`, if any.
    pub(crate) fn first<T: DeserializeOwned>(&self, rows: Rows<T>) -> DbResult<Option<T>> {
        Ok(self.rows(rows)?.into_iter().next())
    }

    /// Whether `rows` returned anything.
    pub(crate) fn exists<T: DeserializeOwned>(&self, rows: Rows<T>) -> DbResult<bool> {
        Ok(!self.rows(rows)?.is_empty())
    }

    /// Rows the write changed, as D1 reports it.
    pub(crate) fn changes(&self, write: Write) -> DbResult<u64> {
        let meta = self.result(write.index)?.meta().ok().flatten();
        Ok(meta.and_then(|m| m.changes).unwrap_or(0) as u64)
    }
}
