//! Handing ids to a Cloudflare Queue: the e-mail outbox's and the webhook
//! deliveries' rows, each written in its change's batch, go to their queue once
//! that batch committed (and again from the scheduled run, if a hand-over was
//! lost). Messages are the ids as strings.

use crate::db::{Batch, Db, DbError, DbResult, Write};
use worker::js_sys::{Array, Object, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, Context, Env, Queue};

/// A message a consumer was handed, as the runtime handed it: its body is
/// an id. (Not `worker::RawMessage`: its `retry_with_options` serializes the
/// options through serde: 2.1 KB of the gzipped upload, for one number.)
pub(crate) struct Received(worker::worker_sys::Message);

impl Received {
    /// The messages of `batch`.
    pub(crate) fn all(batch: &worker::worker_sys::MessageBatch) -> Vec<Received> {
        let messages = batch.messages().unwrap_or_default();
        messages
            .iter()
            .map(|m| Received(m.unchecked_into()))
            .collect()
    }

    /// Its body: the id of a row.
    pub(crate) fn id(&self) -> String {
        self.0
            .body()
            .ok()
            .and_then(|b| b.as_string())
            .unwrap_or_default()
    }

    /// Done with: acknowledged.
    pub(crate) fn ack(&self) {
        let _ = self.0.ack();
    }

    /// To be handed again, after `delay_seconds` or, with `None`, after the
    /// queue's own delay.
    pub(crate) fn retry(&self, delay_seconds: Option<u32>) {
        let options = match delay_seconds {
            Some(delay) => {
                let options = Object::new();
                let _ = Reflect::set(&options, &"delaySeconds".into(), &delay.into());
                options.into()
            }
            None => JsValue::NULL,
        };
        let _ = self.0.retry(options);
    }
}

/// Hands `ids` to the queue bound as `binding` without holding the response
/// (`waitUntil`). What the isolate's requests hand over within
/// [`WINDOW_MS`] of each other goes in one `sendBatch` per queue: a change
/// that fans out to twenty endpoints makes one call to the queue, and so do
/// all the changes an isolate commits in those milliseconds. What fails stays
/// pending, for the scheduled run.
pub(crate) fn hand_over(env: &Env, ctx: &Context, binding: &'static str, ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    let now = crate::clock::now_millis();
    if !WAITING.with(|w| w.borrow_mut().add(binding, ids, now)) {
        return; // a request of this isolate sends them with its own
    }
    let env = env.clone();
    ctx.wait_until(async move {
        let _ = crate::clock::pause(WINDOW_MS).await; // resolves, or at once
        for (binding, ids) in WAITING.with(|w| w.borrow_mut().take()) {
            let queue = match env.queue(binding) {
                Ok(q) => q,
                Err(e) => {
                    console_error!("{binding}: no such binding ({e}); the scheduled run will retry");
                    continue;
                }
            };
            for chunk in ids.chunks(MAX_BATCH) {
                if let Err(e) = send(&queue, chunk).await {
                    console_error!(
                        "{binding}: enqueue of {} message(s) failed ({e}); the scheduled run will retry",
                        chunk.len()
                    );
                }
            }
        }
    });
}

/// How long a hand-over waits for others of the same isolate to join it: at
/// most this much later reaches the consumer, for one call to the queue
/// instead of one per request.
const WINDOW_MS: u32 = 20;

/// A send due this much past its window was cut off (the request that was to
/// make it is gone): the next hand-over sends what waits.
const STALE_MS: u64 = 1000;

thread_local! {
    static WAITING: std::cell::RefCell<Waiting> = std::cell::RefCell::default();
}

/// The ids handed over in this isolate and not yet sent, by queue, and since
/// when a request has been waiting to send them.
#[derive(Default)]
struct Waiting {
    ids: Vec<(&'static str, Vec<String>)>,
    since: Option<u64>,
}

impl Waiting {
    /// Adds `ids` for `binding` at `now` (milliseconds); true when the caller
    /// is to send what waits, after the window: no send is on its way.
    fn add(&mut self, binding: &'static str, ids: Vec<String>, now: u64) -> bool {
        match self.ids.iter_mut().find(|(b, _)| *b == binding) {
            Some((_, waiting)) => waiting.extend(ids),
            None => self.ids.push((binding, ids)),
        }
        let on_its_way = self
            .since
            .is_some_and(|since| now < since + u64::from(WINDOW_MS) + STALE_MS);
        if !on_its_way {
            self.since = Some(now);
        }
        !on_its_way
    }

    /// All that waits, by queue; the next hand-over starts a new window.
    fn take(&mut self) -> Vec<(&'static str, Vec<String>)> {
        self.since = None;
        std::mem::take(&mut self.ids)
    }
}

/// The most messages one `sendBatch` takes (a Queues limit; at 36 bytes an
/// id, far under its 256 KB).
const MAX_BATCH: usize = 100;

/// Messages (each an id, as a string) onto the queue in one `sendBatch`,
/// through the binding itself: worker's `Queue::send_batch` serializes
/// through serde_wasm_bindgen, several KB of wasm to pass strings on.
async fn send(queue: &Queue, ids: &[String]) -> Result<(), String> {
    let queue: &worker::worker_sys::Queue = queue.as_ref().unchecked_ref();
    let messages = Array::new();
    for id in ids {
        let message = Object::new();
        Reflect::set(&message, &"body".into(), &JsValue::from_str(id))
            .map_err(|e| format!("{e:?}"))?;
        messages.push(&message);
    }
    let sent = queue
        .send_batch(messages, JsValue::UNDEFINED)
        .map_err(|e| format!("{e:?}"))?;
    JsFuture::from(sent).await.map_err(|e| format!("{e:?}"))?;
    Ok(())
}

/// The scheduled run's second hand-over: `ids`, rows whose message was lost,
/// go to the queue bound as `binding` again, and `mark` notes each one sent
/// (in one batch after them); how many were.
pub(crate) async fn requeue(
    db: &Db,
    env: &Env,
    binding: &str,
    ids: Vec<String>,
    mark: &dyn Fn(&mut Batch<'_>, &str) -> DbResult<Write>,
) -> DbResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let queue = env
        .queue(binding)
        .map_err(|e| DbError::other("queue binding", e))?;
    let mut b = db.batch();
    let mut handed = 0;
    for chunk in ids.chunks(MAX_BATCH) {
        match send(&queue, chunk).await {
            Ok(()) => {
                for id in chunk {
                    let _ = mark(&mut b, id)?;
                }
                handed += chunk.len();
            }
            Err(e) => console_error!("{binding}: re-queue of {} failed ({e})", chunk.len()),
        }
    }
    b.run().await?;
    Ok(handed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hand_overs_within_a_window_go_in_one_send_per_queue() {
        let mut w = Waiting::default();
        assert!(w.add("WEBHOOK_QUEUE", ids(&["a"]), 1000), "the first sends");
        assert!(!w.add("EMAIL_QUEUE", ids(&["m"]), 1005), "joins the first");
        assert!(!w.add("WEBHOOK_QUEUE", ids(&["b", "c"]), 1019));
        assert_eq!(
            w.take(),
            vec![
                ("WEBHOOK_QUEUE", ids(&["a", "b", "c"])),
                ("EMAIL_QUEUE", ids(&["m"]))
            ]
        );
        assert!(w.add("WEBHOOK_QUEUE", ids(&["d"]), 1030), "a new window");
        assert_eq!(w.take(), vec![("WEBHOOK_QUEUE", ids(&["d"]))]);
        assert!(w.take().is_empty());
    }

    #[test]
    fn a_send_that_never_came_does_not_hold_the_next() {
        let mut w = Waiting::default();
        assert!(w.add("WEBHOOK_QUEUE", ids(&["lost"]), 1000));
        // The request that was to send it was cut off: nothing took it.
        assert!(!w.add("WEBHOOK_QUEUE", ids(&["b"]), 1000 + 1019));
        assert!(w.add("WEBHOOK_QUEUE", ids(&["c"]), 1000 + 1020));
        assert_eq!(w.take(), vec![("WEBHOOK_QUEUE", ids(&["lost", "b", "c"]))]);
    }
}
