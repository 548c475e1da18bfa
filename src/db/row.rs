//! Rows as D1 returns them (one JS object per row, column name to value),
//! decoded column by column: a row type lists its columns with [`from_row!`],
//! and each column's type says how its value reads ([`Column`]).
//!
//! This replaces serde's derive over `serde_wasm_bindgen` for rows: a derive
//! instantiates a field visitor and a map walk per row type, which came to
//! about 50 KB of the worker's wasm, where a row here is one call per column.
//! A result's column names are read once; each row is then its values in
//! column order (`Object.values`), looked up by index, so no column name
//! crosses into JavaScript per row.

use super::{DbError, DbResult};
use std::cell::Cell;
use worker::js_sys::{Array, Object};
use worker::wasm_bindgen::{JsCast, JsValue};

/// The column names of a result, in order, read once from its first row
/// (D1 gives every row of a statement the same columns).
pub(crate) struct Columns(Vec<String>);

impl Columns {
    pub(super) fn of(first: &JsValue) -> Self {
        let names = Object::keys(first.unchecked_ref::<Object>());
        Columns(names.iter().filter_map(|n| n.as_string()).collect())
    }
}

/// One row of a result: its values in column order.
pub(crate) struct Row<'c> {
    values: Array,
    columns: &'c Columns,
    /// Where the next lookup starts: a row type usually lists its columns
    /// in the order the query selects them.
    next: Cell<usize>,
    /// The first column that did not read.
    failed: Cell<Option<(&'static str, &'static str)>>,
}

impl<'c> Row<'c> {
    pub(super) fn new(object: &JsValue, columns: &'c Columns) -> Self {
        Row {
            values: Object::values(object.unchecked_ref::<Object>()),
            columns,
            next: Cell::new(0),
            failed: Cell::new(None),
        }
    }

    /// The index of column `name`, searched from where the last one was.
    fn index(&self, name: &str) -> Option<usize> {
        let names = &self.columns.0;
        let start = self.next.get().min(names.len());
        let found = (start..names.len())
            .chain(0..start)
            .find(|&i| names[i] == name)?;
        self.next.set(found + 1);
        Some(found)
    }

    /// The column `name`, read as `T` (a missing column reads as SQL NULL).
    /// A column that does not read gives `T`'s default and fails the row
    /// at [`Row::finish`]: no early return, so no partly built row to drop
    /// at every column. Not inlined: one copy per column type.
    #[inline(never)]
    pub(crate) fn get<T: Column + Default>(&self, name: &'static str) -> T {
        let value = match self.index(name) {
            Some(i) => self.values.get(i as u32),
            None => JsValue::UNDEFINED,
        };
        T::read(&value).unwrap_or_else(|| {
            if self.failed.get().is_none() {
                self.failed.set(Some((name, T::EXPECTED)));
            }
            T::default()
        })
    }

    /// The row built from its columns, unless one did not read.
    pub(crate) fn finish<T>(&self, row: T) -> DbResult<T> {
        match self.failed.get() {
            None => Ok(row),
            Some((name, expected)) => Err(DbError::Other(format!(
                "decode rows: column {name} is not {expected}"
            ))),
        }
    }
}

/// A row type: what a statement's rows decode into.
pub(crate) trait FromRow: Sized {
    fn from_row(row: &Row<'_>) -> DbResult<Self>;
}

/// The value of one column. D1 answers TEXT as strings, INTEGER and REAL as
/// numbers (integers exactly up to 2^53, the range the service writes) and
/// NULL as null.
pub(crate) trait Column: Sized {
    /// What the column must hold, for the error.
    const EXPECTED: &'static str;
    /// Each call into JavaScript (a type test, a conversion) costs: the
    /// usual case takes one.
    fn read(value: &JsValue) -> Option<Self>;
}

impl Column for String {
    const EXPECTED: &'static str = "text";
    fn read(value: &JsValue) -> Option<Self> {
        value.as_string()
    }
}

impl Column for i64 {
    const EXPECTED: &'static str = "an integer";
    fn read(value: &JsValue) -> Option<Self> {
        integer(value.as_f64()?)
    }
}

impl Column for f64 {
    const EXPECTED: &'static str = "a number";
    fn read(value: &JsValue) -> Option<Self> {
        value.as_f64()
    }
}

/// SQLite has no booleans: 0 and 1 (a JS boolean is taken too).
impl Column for bool {
    const EXPECTED: &'static str = "0 or 1";
    fn read(value: &JsValue) -> Option<Self> {
        value.as_f64().map(|n| n != 0.0).or_else(|| value.as_bool())
    }
}

impl<T: Column> Column for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn read(value: &JsValue) -> Option<Self> {
        match T::read(value) {
            Some(v) => Some(Some(v)),
            None if value.is_null() || value.is_undefined() => Some(None),
            None => None,
        }
    }
}

/// SQL for JSON `true`/`false` from a 0/1 column, inside a `json_object`.
macro_rules! json_flag {
    ($column:literal) => {
        concat!("iif(", $column, " != 0, json('true'), json('false'))")
    };
}
pub(crate) use json_flag;

/// A row as its public JSON, assembled by SQLite (`json_object(...) as json`):
/// the worker passes the text through instead of decoding every column and
/// encoding it again, and one row type serves every shape built that way.
pub(crate) struct JsonText(pub(crate) String);

impl JsonText {
    /// The object with one more string field at its end: what an answer adds
    /// to the stored shape (a secret shown once).
    pub(crate) fn with(self, name: &str, value: &str) -> JsonText {
        let mut text = self.0;
        if text.ends_with('}') {
            text.pop();
            let value = serde_json::to_string(value).unwrap_or_default();
            text.push_str(&format!(",\"{name}\":{value}}}"));
        }
        JsonText(text)
    }
}

impl FromRow for JsonText {
    fn from_row(row: &Row<'_>) -> DbResult<Self> {
        row.finish(JsonText(row.get("json")))
    }
}

/// A number that is an integer D1 can have stored exactly.
fn integer(n: f64) -> Option<i64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    (n.fract() == 0.0 && n.abs() <= LIMIT).then_some(n as i64)
}

/// `FromRow` for a struct whose fields are its columns, by name:
/// `from_row!(UserRow { id, email, ... });` beside the struct.
macro_rules! from_row {
    ($row:ident { $($column:ident),* $(,)? }) => {
        impl $crate::db::FromRow for $row {
            fn from_row(_row: &$crate::db::Row<'_>) -> $crate::db::DbResult<Self> {
                _row.finish($row { $($column: _row.get(stringify!($column))),* })
            }
        }
    };
}
pub(crate) use from_row;

#[cfg(test)]
mod tests {
    use super::integer;

    #[test]
    fn only_exact_integers_read_as_integers() {
        assert_eq!(integer(0.0), Some(0));
        assert_eq!(integer(-42.0), Some(-42));
        assert_eq!(integer(9_007_199_254_740_992.0), Some(1 << 53));
        assert_eq!(integer(1.5), None);
        assert_eq!(integer(f64::NAN), None);
        assert_eq!(integer(f64::INFINITY), None);
        assert_eq!(integer(1e300), None);
    }
}
