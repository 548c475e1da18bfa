//! Sliding-window rate limits kept in D1 (`rate_limit_events`): failed logins
//! per email and per client address, and signups per client address.
//!
//! Reads are statements for the caller's batch, so a limit check costs no round
//! trip of its own; events are written in the same batch as what they count.

use crate::db::{rows, Db, DbError};
use crate::error::{ApiError, ApiResult};
use serde::Deserialize;
use worker::{D1PreparedStatement, D1Result};

/// At most `limit` events per `seconds`; a limit of 0 is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub limit: u32,
    pub seconds: i64,
}

impl Limit {
    pub fn is_on(&self) -> bool {
        self.limit > 0
    }
}

/// The rate-limit key of a login email (emails compare without case).
pub fn email_key(email: &str) -> String {
    format!("login-email:{}", email.trim().to_lowercase())
}

pub fn login_ip_key(ip: &str) -> String {
    format!("login-ip:{ip}")
}

pub fn signup_ip_key(ip: &str) -> String {
    format!("signup-ip:{ip}")
}

/// How many events `key` has in the window ending `now`, and the oldest of them.
pub fn count_statement(
    db: &Db,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<D1PreparedStatement, DbError> {
    db.stmt(
        "select count(*) as count, min(at) as oldest from rate_limit_events where key = ?1 and at > ?2",
        &[key.into(), (now - limit.seconds).into()],
    )
}

#[derive(Deserialize)]
struct Counted {
    count: i64,
    oldest: Option<i64>,
}

/// The number of events counted, or `Err(429)` with `Retry-After` when it
/// reaches the limit.
pub fn check(result: &D1Result, limit: Limit, now: i64, detail: &'static str) -> ApiResult<i64> {
    let counted = rows::<Counted>(result)?.into_iter().next();
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

/// Seconds until the oldest event leaves the window (at least 1).
pub fn retry_after(oldest: i64, window: i64, now: i64) -> u64 {
    (oldest + window - now).max(1) as u64
}

/// Records one event for `key` and prunes its events older than the window.
pub fn record_statements(
    db: &Db,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Vec<D1PreparedStatement>, DbError> {
    Ok(vec![
        db.stmt(
            "delete from rate_limit_events where key = ?1 and at <= ?2",
            &[key.into(), (now - limit.seconds).into()],
        )?,
        db.stmt(
            "insert into rate_limit_events (key, at) values (?1, ?2)",
            &[key.into(), now.into()],
        )?,
    ])
}

/// Forgets every event of `key` (a successful login clears its email's failures).
pub fn clear_statement(db: &Db, key: &str) -> Result<D1PreparedStatement, DbError> {
    db.stmt(
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
