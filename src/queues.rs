//! Handing ids to a Cloudflare Queue: the e-mail outbox's and the webhook
//! deliveries' rows, each written in its change's batch, go to their queue once
//! that batch committed (and again from the scheduled run, if a hand-over was
//! lost). Messages are the ids as strings.

use crate::db::{Batch, Db, DbError, DbResult, Write};
use worker::js_sys::{Array, Object, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, Context, Env, Queue};

/// Hands `ids` to the queue bound as `binding` without holding the response
/// (`waitUntil`), all in one `sendBatch`: a change that fans out to twenty
/// endpoints makes one call to the queue, not twenty. What fails stays
/// pending, for the scheduled run.
pub(crate) fn hand_over(env: &Env, ctx: &Context, binding: &'static str, ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    let queue = match env.queue(binding) {
        Ok(q) => q,
        Err(e) => {
            return console_error!("{binding}: no such binding ({e}); the scheduled run will retry")
        }
    };
    ctx.wait_until(async move {
        for chunk in ids.chunks(MAX_BATCH) {
            if let Err(e) = send(&queue, chunk).await {
                console_error!(
                    "{binding}: enqueue of {} message(s) failed ({e}); the scheduled run will retry",
                    chunk.len()
                );
            }
        }
    });
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
