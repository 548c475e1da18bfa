//! Sliding-window rate limits kept in D1 (`rate_limit_events`): failed logins per
//! (email, address), per email and per address; signups per address; password
//! changes per user.
//!
//! A request's limits are counted and recorded in the same batch (and so the
//! same transaction): the counts are read first, and the request is recorded
//! toward all its keys only while every one is under its limit. Concurrent
//! attempts are serialized by D1, so no more than the limit are ever let
//! through, and a limited attempt neither extends the lock nor counts toward
//! another limit. Keys are HMACs under a key derived from `SECRET_KEY`, so a
//! client cannot store arbitrary text and D1 does not say whose addresses
//! they are; a scheduled run prunes events older than every window.

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

/// The limits one request meets, pushed into a batch: each key's count, then
/// one statement that records the request toward every key, or toward none
/// when any of them is at its limit. A request refused by one limit does not
/// count against the others (a stranger's refused attempts cannot use up a
/// looser limit), and a refused request writes nothing.
pub(crate) struct Attempts {
    counted: Vec<(String, Limit, Rows<Counted>)>,
}

/// Counts each `(key, limit)`'s events in the window ending `now` and records
/// this request toward all of them if every one is under its limit. Limits
/// that are off (0) are left out.
pub(crate) fn attempts(
    b: &mut Batch<'_>,
    limits: Vec<(String, Limit)>,
    now: i64,
) -> DbResult<Attempts> {
    attempts_if(b, limits, now, None)
}

/// SQL that must also hold for a request to be recorded, over its own
/// arguments: its placeholders are `{0}`, `{1}`, … (numbered by the caller of
/// [`attempts_if`]'s statement).
pub(crate) struct Condition<'a> {
    pub(crate) sql: &'a str,
    pub(crate) args: Vec<crate::db::Arg<'a>>,
}

/// As [`attempts`], recording the request only if `when` also holds (e.g. only
/// when an update really changes an address); its counts are read either way.
pub(crate) fn attempts_if(
    b: &mut Batch<'_>,
    limits: Vec<(String, Limit)>,
    now: i64,
    when: Option<Condition<'_>>,
) -> DbResult<Attempts> {
    let limits: Vec<(String, Limit)> = limits.into_iter().filter(|(_, l)| l.is_on()).collect();
    let mut counted: Vec<(String, Limit, Rows<Counted>)> = Vec::with_capacity(limits.len());
    for (key, limit) in limits {
        let rows = b.query(
            "select count(*) as count, min(at) as oldest from rate_limit_events where key = ?1 and at > ?2",
            &[(&key).into(), (now - limit.seconds).into()],
        )?;
        counted.push((key, limit, rows));
    }
    if counted.is_empty() {
        return Ok(Attempts { counted });
    }
    // The first key's event is written only if every key is under its limit
    // (and `when` holds); each further key's only if the statement before it
    // wrote its row: `changes()` is what the previous statement of the batch
    // changed, inside the same transaction.
    let mut sql = String::from("insert into rate_limit_events (key, at) select ?2, ?1 where 1");
    let mut args: Vec<crate::db::Arg<'_>> = vec![now.into()];
    for (key, limit, _) in &counted {
        let p = args.len() + 1;
        sql += &format!(
            " and (select count(*) from rate_limit_events where key = ?{p} and at > ?{}) < ?{}",
            p + 1,
            p + 2
        );
        args.extend([
            key.as_str().into(),
            (now - limit.seconds).into(),
            i64::from(limit.limit).into(),
        ]);
    }
    if let Some(when) = when {
        // `when`'s placeholders `{0}`, `{1}`, ... follow the limits' own.
        let mut extra = when.sql.to_string();
        for i in 0..when.args.len() {
            extra = extra.replace(&format!("{{{i}}}"), &format!("?{}", args.len() + 1 + i));
        }
        sql += &format!(" and ({extra})");
        args.extend(when.args);
    }
    let _ = b.write(&sql, &args)?;
    for (key, _, _) in &counted[1..] {
        let _ = b.write(
            "insert into rate_limit_events (key, at) select ?1, ?2 where changes() = 1",
            &[key.as_str().into(), now.into()],
        )?;
    }
    Ok(Attempts { counted })
}

impl Attempts {
    /// `Err(429)` with `Retry-After` when any key was at its limit before this
    /// request (the longest wait of those at their limit); else the keys the
    /// request was recorded toward.
    pub(crate) fn check(
        self,
        r: &crate::db::Results,
        now: i64,
        detail: &'static str,
    ) -> ApiResult<Vec<String>> {
        let mut wait = None;
        let mut keys = Vec::with_capacity(self.counted.len());
        for (key, limit, rows) in self.counted {
            if let Some(Counted {
                count,
                oldest: Some(oldest),
            }) = r.first(rows)?
            {
                if count >= i64::from(limit.limit) {
                    let after = retry_after(oldest, limit.seconds, now);
                    wait = Some(wait.map_or(after, |w: u64| w.max(after)));
                }
            }
            keys.push(key);
        }
        match wait {
            Some(retry_after) => Err(ApiError::TooManyRequests {
                detail,
                retry_after,
            }),
            None => Ok(keys),
        }
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

/// Records one event toward `key` (a failure counted where it happened, as a
/// wrong MFA code counts toward its login's address).
pub(crate) fn record(b: &mut Batch<'_>, key: &str, now: i64) -> DbResult<()> {
    let _ = b.write(
        "insert into rate_limit_events (key, at) values (?1, ?2)",
        &[key.into(), now.into()],
    )?;
    Ok(())
}

/// Deletes every event older than `max_window` seconds (the scheduled run).
pub(crate) fn prune(b: &mut Batch<'_>, now: i64, max_window: i64) -> DbResult<crate::db::Counted> {
    b.counted(
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
