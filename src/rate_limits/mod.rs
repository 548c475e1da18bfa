//! Sliding-window rate limits kept in D1 (`rate_limit_events`): failed logins per
//! (email, address), per email and per address; signups per address; password
//! changes per user.
//!
//! An attempt is counted and recorded in the same batch (and so the same
//! transaction): the count is read first, and the event is written only while
//! the key is under its limit. Concurrent attempts are serialized by D1, so no
//! more than the limit are ever let through, and a limited attempt does not
//! extend the lock. Keys are SHA-256 digests, so a client cannot store
//! arbitrary text; a scheduled run prunes events older than every window.

mod keys;

pub(crate) use keys::{address_group, key};

use crate::db::from_row;
use crate::db::{Batch, DbResult, Rows, Write};
use crate::error::{ApiError, ApiResult};

/// At most `limit` events per `seconds`; a limit of 0 is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub(crate) limit: u32,
    pub(crate) seconds: i64,
}

impl Limit {
    pub(crate) fn is_on(&self) -> bool {
        self.limit > 0
    }
}

pub(crate) struct Counted {
    count: i64,
    oldest: Option<i64>,
}
from_row!(Counted { count, oldest });

/// One limited attempt, pushed into a batch: its count, then its record.
pub(crate) struct Attempt {
    key: String,
    limit: Limit,
    counted: Rows<Counted>,
}

/// Counts `key`'s events in the window ending `now` and records this attempt
/// unless the key is at its limit; `None` when the limit is off.
pub(crate) fn attempt(
    b: &mut Batch<'_>,
    key: String,
    limit: Limit,
    now: i64,
) -> DbResult<Option<Attempt>> {
    if !limit.is_on() {
        return Ok(None);
    }
    let since = now - limit.seconds;
    let counted = b.query(
        "select count(*) as count, min(at) as oldest from rate_limit_events where key = ?1 and at > ?2",
        &[(&key).into(), since.into()],
    )?;
    let _ = b.write(
        "insert into rate_limit_events (key, at) select ?1, ?2 \
         where (select count(*) from rate_limit_events where key = ?1 and at > ?3) < ?4",
        &[
            (&key).into(),
            now.into(),
            since.into(),
            i64::from(limit.limit).into(),
        ],
    )?;
    Ok(Some(Attempt {
        key,
        limit,
        counted,
    }))
}

impl Attempt {
    /// `Err(429)` with `Retry-After` when the key was at its limit before this attempt.
    pub(crate) fn check(
        self,
        r: &crate::db::Results,
        now: i64,
        detail: &'static str,
    ) -> ApiResult<String> {
        let counted = r.first(self.counted)?;
        if let Some(Counted {
            count,
            oldest: Some(oldest),
        }) = counted
        {
            if count >= i64::from(self.limit.limit) {
                return Err(ApiError::TooManyRequests {
                    detail,
                    retry_after: retry_after(oldest, self.limit.seconds, now),
                });
            }
        }
        Ok(self.key)
    }
}

/// Seconds until the oldest event leaves the window (at least 1).
pub(crate) fn retry_after(oldest: i64, window: i64, now: i64) -> u64 {
    (oldest + window - now).max(1) as u64
}

/// Forgets every event of `key` (a successful login clears its email's failures).
pub(crate) fn clear(b: &mut Batch<'_>, key: &str) -> DbResult<Write> {
    b.write(
        "delete from rate_limit_events where key = ?1",
        &[key.into()],
    )
}

/// Forgets the one event this attempt recorded at `now` (it was not a failure).
pub(crate) fn forget_one(b: &mut Batch<'_>, key: &str, now: i64) -> DbResult<Write> {
    b.write(
        "delete from rate_limit_events where rowid = \
         (select rowid from rate_limit_events where key = ?1 and at = ?2 limit 1)",
        &[key.into(), now.into()],
    )
}

/// Deletes every event older than `max_window` seconds (the scheduled run).
pub(crate) fn prune(b: &mut Batch<'_>, now: i64, max_window: i64) -> DbResult<Write> {
    b.write(
        "delete from rate_limit_events where at <= ?1",
        &[(now - max_window).into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_when_the_oldest_event_leaves_the_window() {
        assert_eq!(retry_after(1000, 900, 1300), 600);
        assert_eq!(retry_after(1000, 900, 1900), 1);
        assert_eq!(retry_after(1000, 900, 5000), 1);
    }

    #[test]
    fn a_zero_limit_is_off() {
        assert!(!Limit {
            limit: 0,
            seconds: 900
        }
        .is_on());
        assert!(Limit {
            limit: 1,
            seconds: 900
        }
        .is_on());
    }
}
