//! Getting outbox rows out: handed to the queue after their batch commits,
//! sent by the queue consumer, handed over again by the scheduled run.

use super::outbox::{self, OutboxRow};
use super::providers;
use crate::clock::{now_iso, now_secs};
use crate::config::EmailConfig;
use crate::db::{Db, DbResult};
use crate::queues::Received;
use std::future::Future;
use std::pin::Pin;
use worker::{console_error, console_log, Context, Env};

/// The queue binding (`[[queues.producers]]` in `wrangler.toml`).
pub(crate) const QUEUE: &str = "EMAIL_QUEUE";

/// Hands committed rows to the queue without holding the response. If this
/// fails, the rows stay pending and the scheduled run hands them over later.
pub(crate) fn hand_over(env: &Env, ctx: &Context, ids: Vec<String>) {
    crate::queues::hand_over(env, ctx, QUEUE, ids);
}

/// Writes the message of a request row (one whose recipient and message were
/// not known, or not to be decided, when the request committed): the row
/// filled in, or `None` when there is nothing to send (the row is gone then).
/// The feature that makes such requests gives this to the consumer.
pub(crate) type Prepare =
    for<'a> fn(
        &'a Db,
        &'a EmailConfig,
        OutboxRow,
    ) -> Pin<Box<dyn Future<Output = DbResult<Option<OutboxRow>>> + 'a>>;

/// What became of one message.
enum Outcome {
    Done,
    RetryIn(u32),
}

/// The queue consumer: sends each row once, retrying failures with a doubling
/// delay until `EMAIL_MAX_ATTEMPTS`, after which the row records its error.
pub(crate) async fn consume(messages: Vec<Received>, db: &Db, cfg: &EmailConfig, prepare: Prepare) {
    for message in messages {
        let id = message.id();
        match deliver(db, cfg, &id, prepare).await {
            Ok(Outcome::Done) => message.ack(),
            Ok(Outcome::RetryIn(delay)) => message.retry(Some(delay)),
            Err(e) => {
                console_error!("email: delivery of {id} failed in D1 ({e:?}); retrying");
                message.retry(None);
            }
        }
    }
}

async fn deliver(db: &Db, cfg: &EmailConfig, id: &str, prepare: Prepare) -> DbResult<Outcome> {
    let now = now_secs();
    let mut b = db.batch();
    let row = outbox::find(&mut b, id)?;
    let _ = outbox::attempt(&mut b, id, now)?;
    let r = b.run().await?;
    let Some(row) = r.first::<OutboxRow>(row)? else {
        return Ok(Outcome::Done); // unknown: nothing to send
    };
    if row.status != "pending" {
        return Ok(Outcome::Done); // sent (or given up) already: sending is idempotent
    }
    let row = if row.is_request() {
        let attempts = row.attempts; // as read before this attempt counted
        match prepare(db, cfg, row).await? {
            Some(row) => OutboxRow { attempts, ..row },
            None => {
                console_log!("email: {id} is a request with nothing to send; dropped");
                return Ok(Outcome::Done);
            }
        }
    } else {
        row
    };
    let attempt = row.attempts + 1;
    let mut b = db.batch();
    // Each outcome is logged once it is recorded: a line means the row says so.
    let (outcome, said) = match providers::send(cfg, &row).await {
        Ok(()) => {
            let _ = outbox::mark_sent(&mut b, id, &now_iso())?;
            (
                Outcome::Done,
                Ok(format!("email: {id} sent on attempt {attempt}")),
            )
        }
        Err(error) if attempt >= cfg.max_attempts => {
            let _ = outbox::mark_error(&mut b, id, &error, true)?;
            let said = format!("email: {id} failed for good after {attempt} attempts: {error}");
            (Outcome::Done, Err(said))
        }
        Err(error) => {
            let delay = cfg
                .retry_delay_seconds
                .saturating_mul(1 << (attempt - 1).clamp(0, 16));
            let _ = outbox::mark_error(&mut b, id, &error, false)?;
            // The next attempt is expected then: the scheduled run leaves it alone until.
            let _ = outbox::queued(&mut b, id, now + i64::from(delay))?;
            let said =
                format!("email: {id} attempt {attempt} failed ({error}); retrying in {delay} s");
            (Outcome::RetryIn(delay), Err(said))
        }
    };
    b.run().await?;
    match said {
        Ok(line) => console_log!("{line}"),
        Err(line) => console_error!("{line}"),
    }
    Ok(outcome)
}

/// The scheduled run's share: rows pending for `EMAIL_REQUEUE_AFTER_SECONDS`
/// since their last hand-over go to the queue again.
pub(crate) async fn requeue(db: &Db, env: &Env, cfg: &EmailConfig) -> DbResult<usize> {
    let now = now_secs();
    let mut b = db.batch();
    let stale = outbox::stale(&mut b, now - cfg.requeue_after_seconds)?;
    let ids: Vec<String> = b
        .run()
        .await?
        .rows(stale)?
        .into_iter()
        .map(|s| s.id)
        .collect();
    crate::queues::requeue(db, env, QUEUE, ids, &|b, id| outbox::queued(b, id, now)).await
}
