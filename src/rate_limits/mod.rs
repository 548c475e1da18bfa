//! Sliding-window rate limits kept in D1 (`rate_limit_events`): failed logins
//! per email and per client address, and signups per client address.
//!
//! Reads are statements for the caller's batch, so a limit check costs no round
//! trip of its own; events are written in the same batch as what they count.

use crate::db::{Batch, Db, DbResult, Rows, Write};
use crate::error::{ApiError, ApiResult};
use serde::Deserialize;

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

/// The rate-limit key of a login email (emails compare without case).
pub(crate) fn email_key(email: &str) -> String {
    format!("login-email:{}", email.trim().to_lowercase())
}

pub(crate) fn login_ip_key(ip: &str) -> String {
    format!("login-ip:{ip}")
}

pub(crate) fn signup_ip_key(ip: &str) -> String {
    format!("signup-ip:{ip}")
}

/// How many events `key` has in the window ending `now`, and the oldest of them.
pub(crate) fn count(
    b: &mut Batch<'_>,
    key: &str,
    limit: Limit,
    now: i64,
) -> DbResult<Rows<Counted>> {
    b.query(
        "select count(*) as count, min(at) as oldest from rate_limit_events where key = ?1 and at > ?2",
        &[key.into(), (now - limit.seconds).into()],
    )
}

#[derive(Deserialize)]
pub(crate) struct Counted {
    count: i64,
    oldest: Option<i64>,
}

/// The number of events counted, or `Err(429)` with `Retry-After` when it
/// reaches the limit.
pub(crate) fn check(
    counted: Option<Counted>,
    limit: Limit,
    now: i64,
    detail: &'static str,
) -> ApiResult<i64> {
    let Some(Counted {
        count,
        oldest: Some(oldest),
    }) = counted
    else {
        return Ok(0);
    };
    if limit.is_on() && count >= i64::from(limit.limit) {
        return Err(ApiError::TooManyRequests {
            detail,
            retry_after: retry_after(oldest, limit.seconds, now),
        });
    }
    Ok(count)
}

/// Counts `key`'s events in one round trip and refuses with 429 at the limit.
pub(crate) async fn enforce(
    db: &Db,
    key: &str,
    limit: Limit,
    now: i64,
    detail: &'static str,
) -> ApiResult<()> {
    let mut b = db.batch();
    let counted = count(&mut b, key, limit, now)?;
    let r = b.run().await?;
    check(r.first(counted)?, limit, now, detail).map(|_| ())
}

/// Seconds until the oldest event leaves the window (at least 1).
pub(crate) fn retry_after(oldest: i64, window: i64, now: i64) -> u64 {
    (oldest + window - now).max(1) as u64
}

/// Records one event for `key` and prunes its events older than the window.
pub(crate) fn record(b: &mut Batch<'_>, key: &str, limit: Limit, now: i64) -> DbResult<()> {
    let _ = b.write(
        "delete from rate_limit_events where key = ?1 and at <= ?2",
        &[key.into(), (now - limit.seconds).into()],
    )?;
    let _ = b.write(
        "insert into rate_limit_events (key, at) values (?1, ?2)",
        &[key.into(), now.into()],
    )?;
    Ok(())
}

/// Forgets every event of `key` (a successful login clears its email's failures).
pub(crate) fn clear(b: &mut Batch<'_>, key: &str) -> DbResult<Write> {
    b.write(
        "delete from rate_limit_events where key = ?1",
        &[key.into()],
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
    fn email_keys_ignore_case_and_spaces() {
        assert_eq!(email_key(" A@Example.com "), email_key("a@example.COM"));
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
