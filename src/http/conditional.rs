//! Conditional requests (RFC 9110 §13): a strong `ETag` for a user or an
//! organization (its id and its row's `version`), `If-None-Match` on reads (a
//! match is a 304) and `If-Match` on writes, checked inside the write's own
//! batch: [`guard`] makes the batch require (`Batch::require`) that the row's
//! version is one the client named. A failure rolls the whole batch back and
//! is a 412 (`DbError::Precondition`), so nothing changes, and no other write
//! can come between the check and the change.

use super::Ctx;
use crate::db::{Arg, Batch, DbResult};
use crate::error::ApiResult;
use worker::Response;

/// The version of a row just inserted (the column's default).
pub(crate) const FIRST_VERSION: i64 = 1;

/// The strong ETag of row `id` at `version`.
pub(crate) fn etag(id: &str, version: i64) -> String {
    format!("\"{id}.{version}\"")
}

/// The entity tags of an `If-Match` / `If-None-Match` value: `None` for `*`.
fn tags(value: &str) -> Option<Vec<&str>> {
    if value.trim() == "*" {
        return None;
    }
    Some(
        value
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// Whether the request's `If-None-Match` matches `current` (weak comparison,
/// as for GET: `W/"x"` matches `"x"`).
pub(crate) fn none_match(cx: &Ctx, current: &str) -> bool {
    let Some(value) = cx.header("If-None-Match") else {
        return false;
    };
    match tags(&value) {
        None => true,
        Some(list) => list.iter().any(|t| t.trim_start_matches("W/") == current),
    }
}

/// What a write's `If-Match` asks of row `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IfMatch {
    /// `*`: that the row exists.
    Any,
    /// That the row is at one of these versions (strong comparison: a weak
    /// tag or another row's tag names none).
    Versions(Vec<i64>),
}

/// The request's `If-Match` for row `id`, if it sent one.
pub(crate) fn if_match(cx: &Ctx, id: &str) -> Option<IfMatch> {
    let value = cx.header("If-Match")?;
    Some(match tags(&value) {
        None => IfMatch::Any,
        Some(list) => IfMatch::Versions(
            list.iter()
                .filter_map(|t| t.strip_prefix('"')?.strip_suffix('"'))
                .filter_map(|t| t.strip_prefix(id)?.strip_prefix('.')?.parse().ok())
                .collect(),
        ),
    })
}

/// Makes `b` conditional on the request's `If-Match`: call it first, before
/// the write it guards. `table` is `users` or `organizations`.
pub(crate) fn guard(
    b: &mut Batch<'_>,
    table: &str,
    id: &str,
    condition: Option<&IfMatch>,
) -> DbResult<()> {
    let Some(condition) = condition else {
        return Ok(());
    };
    let versions = match condition {
        IfMatch::Any => None,
        IfMatch::Versions(v) => Some(serde_json::to_string(v).unwrap_or_default()),
    };
    b.require(
        &format!(
            "select case when ?2 is null then 1 \
             else version in (select value from json_each(?2)) end from {table} where id = ?1"
        ),
        &[id.into(), Arg::from(versions.as_deref())],
    )
}

/// `304 Not Modified` with the ETag and no body.
pub(crate) fn not_modified(current: &str) -> ApiResult<Response> {
    let mut resp = Response::builder().with_status(304).empty();
    let _ = resp.headers_mut().set("ETag", current);
    Ok(resp)
}

/// `resp` with its ETag.
pub(crate) fn tagged(mut resp: Response, current: &str) -> Response {
    let _ = resp.headers_mut().set("ETag", current);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_a_star_or_a_list() {
        assert_eq!(tags(" * "), None);
        assert_eq!(
            tags("\"a.1\", W/\"a.2\""),
            Some(vec!["\"a.1\"", "W/\"a.2\""])
        );
        assert_eq!(etag("a", 3), "\"a.3\"");
    }
}
