//! Rows as D1 returns them (one JS object per row, column name to value),
//! decoded column by column: a row type lists its columns with [`from_row!`],
//! and each column's type says how its value reads ([`Column`]).
//!
//! This replaces serde's derive over `serde_wasm_bindgen` for rows: a derive
//! instantiates a field visitor and a map walk per row type, which came to
//! about 50 KB of the worker's wasm, where a row here is one call per column.

use super::{DbError, DbResult};
use worker::js_sys::Reflect;
use worker::wasm_bindgen::JsValue;

/// One row of a result.
pub(crate) struct Row(pub(super) JsValue);

impl Row {
    /// The column `name`, read as `T`: a missing column reads as SQL NULL.
    pub(crate) fn get<T: Column>(&self, name: &str) -> DbResult<T> {
        let value = Reflect::get(&self.0, &JsValue::from_str(name))
            .map_err(|_| DbError::Other(format!("decode rows: no column {name}")))?;
        T::read(value).ok_or_else(|| {
            DbError::Other(format!("decode rows: column {name} is not {}", T::EXPECTED))
        })
    }
}

/// A row type: what a statement's rows decode into.
pub(crate) trait FromRow: Sized {
    fn from_row(row: &Row) -> DbResult<Self>;
}

/// The value of one column. D1 answers TEXT as strings, INTEGER and REAL as
/// numbers (integers exactly up to 2^53, the range the service writes) and
/// NULL as null.
pub(crate) trait Column: Sized {
    /// What the column must hold, for the error.
    const EXPECTED: &'static str;
    fn read(value: JsValue) -> Option<Self>;
}

impl Column for String {
    const EXPECTED: &'static str = "text";
    fn read(value: JsValue) -> Option<Self> {
        value.as_string()
    }
}

impl Column for i64 {
    const EXPECTED: &'static str = "an integer";
    fn read(value: JsValue) -> Option<Self> {
        integer(value.as_f64()?)
    }
}

impl Column for f64 {
    const EXPECTED: &'static str = "a number";
    fn read(value: JsValue) -> Option<Self> {
        value.as_f64()
    }
}

/// SQLite has no booleans: 0 and 1 (a JS boolean is taken too).
impl Column for bool {
    const EXPECTED: &'static str = "0 or 1";
    fn read(value: JsValue) -> Option<Self> {
        value.as_bool().or_else(|| value.as_f64().map(|n| n != 0.0))
    }
}

impl<T: Column> Column for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn read(value: JsValue) -> Option<Self> {
        if value.is_null() || value.is_undefined() {
            Some(None)
        } else {
            T::read(value).map(Some)
        }
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
            fn from_row(_row: &$crate::db::Row) -> $crate::db::DbResult<Self> {
                Ok($row { $($column: _row.get(stringify!($column))?),* })
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
