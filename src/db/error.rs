//! The one error type for D1, and the one place a constraint failure becomes a
//! client error (realworld-axum-sqlx's `ResultExt::on_constraint`, for D1: it
//! reports no constraint names, so a UNIQUE violation is named `table.column`).

use crate::error::ApiError;

pub(crate) type DbResult<T> = Result<T, DbError>;

/// A failed D1 call.
#[derive(Debug)]
pub(crate) enum DbError {
    /// A UNIQUE constraint, named `table.column` as SQLite words it.
    Unique(String),
    /// A FOREIGN KEY constraint refused the write.
    ForeignKey,
    /// A request's precondition (`If-Match`) failed inside its batch, which
    /// rolled back: the `preconditions` table's CHECK (see `conditional`).
    Precondition,
    /// Anything else: binding, decoding, a trigger, the runtime.
    Other(String),
}

impl DbError {
    pub(crate) fn other(what: &str, e: impl std::fmt::Display) -> Self {
        DbError::Other(format!("{what}: {e}"))
    }
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
        classify(&text)
    }
}

/// A failure D1 described in `text`.
pub(super) fn classify(text: &str) -> DbError {
    match unique_violation(text) {
        Some(column) => DbError::Unique(column),
        None if text.contains("FOREIGN KEY constraint failed") => DbError::ForeignKey,
        None if text.contains("CHECK constraint failed: precondition_failed") => {
            DbError::Precondition
        }
        None => DbError::Other(text.to_string()),
    }
}

/// A D1 failure nobody mapped is a 500: logged with its cause, never echoed.
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(c) => ApiError::internal(format!("unhandled UNIQUE violation on {c}")),
            DbError::ForeignKey => ApiError::internal("unhandled FOREIGN KEY violation"),
            // Only a conditional write's guard raises it: the answer is always a 412.
            DbError::Precondition => ApiError::http(412, "Precondition Failed"),
            DbError::Other(t) => ApiError::internal(format!("d1: {t}")),
        }
    }
}

/// Turns the constraint failures a caller expects into their client errors;
/// every other failure stays a 500.
pub(crate) trait ResultExt<T> {
    /// A UNIQUE violation on one of `columns` (`table.column`) becomes `err()`.
    fn on_unique(self, columns: &[&str], err: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
    /// A FOREIGN KEY refusal becomes `err()`.
    fn on_foreign_key(self, err: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
    /// The general form: `map` names the client error of a failure, or `None` (a 500).
    fn on_constraint(self, map: impl FnOnce(&DbError) -> Option<ApiError>) -> Result<T, ApiError>;
}

impl<T> ResultExt<T> for DbResult<T> {
    fn on_unique(self, columns: &[&str], err: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            DbError::Unique(c) if columns.contains(&c.as_str()) => err(),
            other => other.into(),
        })
    }

    fn on_foreign_key(self, err: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            DbError::ForeignKey => err(),
            other => other.into(),
        })
    }

    fn on_constraint(self, map: impl FnOnce(&DbError) -> Option<ApiError>) -> Result<T, ApiError> {
        self.map_err(|e| map(&e).unwrap_or_else(|| e.into()))
    }
}

/// `users.email` out of `... UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT`.
fn unique_violation(text: &str) -> Option<String> {
    let rest = text.split("UNIQUE constraint failed: ").nth(1)?;
    let column: String = rest
        .chars()
        .take_while(|c| {
            c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == ',' || *c == ' '
        })
        .collect();
    Some(column.trim().trim_end_matches(',').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_violations_name_their_column() {
        let e = classify("D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT");
        assert!(matches!(e, DbError::Unique(c) if c == "users.email"));
        assert!(matches!(
            classify("no such table: users"),
            DbError::Other(_)
        ));
        assert!(matches!(
            classify("D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT"),
            DbError::ForeignKey
        ));
        assert!(matches!(
            classify("D1_ERROR: CHECK constraint failed: precondition_failed: SQLITE_CONSTRAINT"),
            DbError::Precondition
        ));
    }

    #[test]
    fn only_the_expected_constraint_becomes_a_client_error() {
        let taken: DbResult<()> = Err(DbError::Unique("users.email".into()));
        let e = taken.on_unique(&["users.email"], || ApiError::conflict("taken"));
        assert_eq!(e.unwrap_err().status(), 409);
        let other: DbResult<()> = Err(DbError::Unique("organizations.id".into()));
        let e = other.on_unique(&["users.email"], || ApiError::conflict("taken"));
        assert_eq!(e.unwrap_err().status(), 500);
    }
}
