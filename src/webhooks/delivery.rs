//! Sending deliveries: the `WEBHOOK_QUEUE` consumer POSTs each one, signed,
//! and retries it on the schedule of `WEBHOOK_RETRY_SCHEDULE` with the queue's
//! own delayed retry; the scheduled run hands over again what a lost message
//! left pending. At least once: a receiver that answers after the timeout is
//! sent the same event again, under the same `webhook-id`.

use super::signature;
use crate::clock::{now_iso, now_secs};
use crate::config::{Config, WebhookConfig};
use crate::db::{from_row, Batch, Db, DbResult, Rows, Write};
use crate::events::repo::of_delivery;
use crate::queues::Received;
use worker::js_sys::{Array, Promise, Reflect};
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, console_log, Env};

/// The queue binding (`[[queues.producers]]` in `wrangler.toml`).
pub(crate) const QUEUE: &str = "WEBHOOK_QUEUE";
/// A pending delivery whose attempt is this much overdue lost its message:
/// the scheduled run hands it to the queue again.
const REQUEUE_AFTER_SECONDS: i64 = 300;
/// Most deliveries one scheduled run hands over again.
const REQUEUE_PER_RUN: i64 = 500;

/// A delivery with what sending it needs: its endpoint's URL and sealed secret.
struct Sending {
    id: String,
    status: String,
    attempts: i64,
    event_id: String,
    /// What the secret was sealed for.
    endpoint_id: String,
    url: String,
    secret_sealed: String,
    enabled: i64,
}
from_row!(Sending {
    id,
    status,
    attempts,
    event_id,
    endpoint_id,
    url,
    secret_sealed,
    enabled
});

/// The consumer: each message is a delivery id. The batch's deliveries are
/// read in one D1 round trip and their outcomes written in one more,
/// whatever its size (up to `max_batch_size`, 10): two round trips a batch,
/// not two a delivery.
pub(crate) async fn consume(messages: Vec<Received>, db: &Db, config: &Config) {
    let ids: Vec<String> = messages.iter().map(Received::id).collect();
    let retries = deliver(db, config, &ids).await;
    if let Err(e) = &retries {
        console_error!("webhook: deliveries {ids:?} failed in D1 ({e:?}); retrying");
    }
    for (i, message) in messages.iter().enumerate() {
        match retries.as_ref().ok().and_then(|r| r.get(i)) {
            Some(None) => message.ack(),
            Some(Some(delay)) => message.retry(Some(*delay)),
            None => message.retry(None),
        }
    }
}

/// One attempt of each of `ids`, in order: for each, `Some(delay)` to try
/// again in that many seconds. The POSTs go out together, so one slow
/// receiver holds the others for its timeout at most once. (An id the batch
/// holds twice is sent twice; the second outcome's write finds the row settled
/// and changes nothing.)
async fn deliver(db: &Db, config: &Config, ids: &[String]) -> DbResult<Vec<Option<u32>>> {
    let mut b = db.batch();
    let mut reads = Vec::with_capacity(ids.len());
    for id in ids {
        let sending = b.query::<Sending>(
            "select d.id, d.status, d.attempts, d.event_id, d.endpoint_id, e.url, e.secret_sealed, \
             e.enabled from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id \
             where d.id = ?1",
            &[id.into()],
        )?;
        reads.push((sending, of_delivery(&mut b, id)?));
    }
    let r = b.run().await?;
    // Delivered (or given up) already, or gone with its endpoint or its event: nothing to do.
    let mut due = Vec::with_capacity(ids.len());
    for (i, (sending, event)) in reads.into_iter().enumerate() {
        if let (Some(d), Some(body)) = (r.first(sending)?, r.first(event)?) {
            if d.status == "pending" {
                due.push((i, d, body.0));
            }
        }
    }
    let sent = post_all(config, &due).await;
    let mut b = db.batch();
    let mut retries = vec![None; ids.len()];
    let mut lines = Vec::with_capacity(due.len());
    for ((i, d, _), sent) in due.iter().zip(sent) {
        let (retry, line) = outcome(&mut b, &config.webhooks, d, sent)?;
        retries[*i] = retry;
        lines.push(line);
    }
    b.run().await?;
    // Logged once recorded: a line means the row says so.
    for line in lines {
        match line {
            Ok(line) => console_log!("{line}"),
            Err(line) => console_error!("{line}"),
        }
    }
    Ok(retries)
}

/// What one attempt came to: `Ok(status)` for a 2xx within the timeout, else
/// the status (if any) and why.
type Sent = Result<u16, (Option<u16>, String)>;

/// `d`'s attempt, `sent`, added to `b`: `Some(delay)` to try again then, and
/// the attempt's log line (`Err` for a failed one).
fn outcome(
    b: &mut Batch<'_>,
    cfg: &WebhookConfig,
    d: &Sending,
    sent: Sent,
) -> DbResult<(Option<u32>, Result<String, String>)> {
    let attempt = d.attempts + 1;
    let retry = match &sent {
        Ok(_) => None,
        Err(_) if d.enabled == 0 => None,
        Err(_) => usize::try_from(d.attempts)
            .ok()
            .and_then(|n| cfg.retry_schedule.get(n).copied()),
    };
    let _ = record(b, &d.id, attempt, &sent, retry)?;
    let id = &d.id;
    let line = match sent {
        Ok(status) => Ok(format!(
            "webhook: delivery {id} attempt {attempt} delivered ({status})"
        )),
        Err((_, why)) => {
            let next = retry.map_or("no retry left".into(), |s| format!("retrying in {s} s"));
            // `why` may hold the receiver's own text: quoted, so it stays on one line.
            Err(format!(
                "webhook: delivery {id} attempt {attempt} failed ({why:?}); {next}"
            ))
        }
    };
    Ok((retry, line))
}

/// The attempt's outcome on the delivery's row: delivered, pending until
/// `retry` seconds from now, or failed.
fn record(
    b: &mut Batch<'_>,
    id: &str,
    attempt: i64,
    sent: &Sent,
    retry: Option<u32>,
) -> DbResult<Write> {
    let now = now_secs();
    let (status, code, error) = match sent {
        Ok(code) => ("delivered", Some(*code), None),
        Err((code, why)) if retry.is_some() => ("pending", *code, Some(why.as_str())),
        Err((code, why)) => ("failed", *code, Some(why.as_str())),
    };
    let next = retry.map(|s| now + i64::from(s));
    let delivered = sent.is_ok().then(now_iso);
    b.write(
        "update webhook_deliveries set status = ?2, attempts = ?3, last_status_code = ?4, \
         last_error = ?5, next_attempt_at = ?6, delivered_at = ?7 where id = ?1 and status = 'pending'",
        &[
            id.into(),
            status.into(),
            attempt.into(),
            code.map(i64::from).into(),
            error.into(),
            next.into(),
            delivered.as_deref().into(),
        ],
    )
}

/// Each of `due` POSTed, signed, all at once (the runtime holds six
/// connections open at a time and queues the rest): in `due`'s order, what
/// each came to. Redirects are not followed; at most 1 KiB of an answer is read.
async fn post_all(config: &Config, due: &[(usize, Sending, String)]) -> Vec<Sent> {
    let timestamp = now_secs();
    let stamp = timestamp.to_string();
    let key = super::sealing_key(&config.secret_key);
    let mut sent: Vec<Sent> = Vec::with_capacity(due.len());
    let posts = Array::new();
    for (_, d, body) in due {
        let secret = key.open(&d.endpoint_id, &d.secret_sealed);
        let signed = secret.and_then(|s| signature(&s, &d.event_id, timestamp, body));
        sent.push(match signed {
            _ if d.enabled == 0 => Err((None, "the endpoint is disabled".to_string())),
            None => Err((None, "the endpoint's secret did not open".to_string())),
            Some(signed) => {
                let post = [d.url.as_str(), &d.event_id, &stamp, &signed, body];
                posts.push(&post.iter().map(|s| JsValue::from_str(s)).collect::<Array>());
                Ok(0) // answered below
            }
        });
    }
    let seconds = config.webhooks.timeout_seconds;
    let answers = match JsFuture::from(post_webhooks(&posts, seconds * 1000)).await {
        Ok(answers) => answers.unchecked_into::<Array>(),
        Err(_) => Array::new(), // it does not reject; each counts as unanswered below
    };
    for (i, s) in sent.iter_mut().filter(|s| s.is_ok()).enumerate() {
        *s = answered(&answers.get(i as u32), seconds);
    }
    sent
}

/// One answer of [`post_webhooks`]: `[status, text]`, or `[0, "", name,
/// message]` for a POST that got none.
fn answered(answer: &JsValue, timeout_seconds: u32) -> Sent {
    let at = |i| Reflect::get_u32(answer, i).ok();
    let text = |i| at(i).and_then(|t| t.as_string()).unwrap_or_default();
    match at(0).and_then(|s| s.as_f64()).unwrap_or(0.0) as u16 {
        status @ 200..=299 => Ok(status),
        0 if matches!(text(2).as_str(), "TimeoutError" | "AbortError") => {
            Err((None, format!("no answer within {timeout_seconds} s")))
        }
        0 => Err((None, format!("could not be reached: {}", text(3)))),
        status => Err((Some(status), format!("answered {status}: {}", text(1)))),
    }
}

#[wasm_bindgen(
    wasm_bindgen = worker::wasm_bindgen,
    inline_js = r#"
export function postWebhooks(posts, ms) {
  return Promise.all(posts.map(async ([url, id, timestamp, signature, body]) => {
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": timestamp,
          "webhook-signature": signature,
        },
        redirect: "manual",
        signal: AbortSignal.timeout(ms),
      });
      let text = "";
      if (response.body) {
        const reader = response.body.getReader();
        const { value } = await reader.read();
        if (value) text = new TextDecoder().decode(value.subarray(0, 1024));
        reader.cancel().catch(() => {});
      }
      return [response.status, text];
    } catch (e) {
      return [0, "", String(e?.name ?? ""), String(e?.message ?? e)];
    }
  }));
}
"#
)]
extern "C" {
    /// The POSTs, in JavaScript: the runtime's `fetch` for each
    /// `[url, id, timestamp, signature, body]`, all at once, each with a
    /// timeout of `ms`, no redirects followed, and at most the first KiB of
    /// an answer read. A few lines of JavaScript where the same calls made
    /// from Rust through `Reflect` cost several KB of wasm.
    #[wasm_bindgen(js_name = postWebhooks)]
    fn post_webhooks(posts: &Array, ms: u32) -> Promise;
}

/// A delivery to hand over again.
struct Overdue {
    id: String,
}
from_row!(Overdue { id });

fn overdue(b: &mut Batch<'_>, before: i64) -> DbResult<Rows<Overdue>> {
    b.query(
        "select id from webhook_deliveries where status = 'pending' and next_attempt_at < ?1 \
         order by next_attempt_at limit ?2 + 0",
        &[before.into(), REQUEUE_PER_RUN.into()],
    )
}

/// The scheduled run's share: deliveries whose attempt is overdue by
/// [`REQUEUE_AFTER_SECONDS`] lost their message; they go to the queue again
/// (and are due from now, so the next run leaves them alone).
pub(crate) async fn requeue(db: &Db, env: &Env) -> DbResult<usize> {
    let now = now_secs();
    let mut b = db.batch();
    let stale = overdue(&mut b, now - REQUEUE_AFTER_SECONDS)?;
    let ids: Vec<String> = b
        .run()
        .await?
        .rows(stale)?
        .into_iter()
        .map(|o| o.id)
        .collect();
    crate::queues::requeue(db, env, QUEUE, ids, &|b, id| {
        b.write(
            "update webhook_deliveries set next_attempt_at = ?2 where id = ?1 and status = 'pending'",
            &[id.into(), now.into()],
        )
    })
    .await
}
