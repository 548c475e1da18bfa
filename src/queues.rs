//! Handing ids to a Cloudflare Queue: the e-mail outbox's and the webhook
//! deliveries' rows, each written in its change's batch, go to their queue once
//! that batch committed (and again from the scheduled run, if a hand-over was
//! lost). Messages are the ids as strings.

use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{console_error, Context, Env, Queue};

/// Hands `ids` to the queue bound as `binding` without holding the response
/// (`waitUntil`). What fails stays pending, for the scheduled run.
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
        for id in ids {
            if let Err(e) = send(&queue, &id).await {
                console_error!(
                    "{binding}: enqueue of {id} failed ({e}); the scheduled run will retry"
                );
            }
        }
    });
}

/// One message (an id, as a string) onto the queue, through the binding
/// itself: worker's `Queue::send` serializes through serde_wasm_bindgen,
/// several KB of wasm to pass a string on.
pub(crate) async fn send(queue: &Queue, id: &str) -> Result<(), String> {
    let queue: &worker::worker_sys::Queue = queue.as_ref().unchecked_ref();
    let sent = queue
        .send(JsValue::from_str(id), JsValue::NULL)
        .map_err(|e| format!("{e:?}"))?;
    JsFuture::from(sent).await.map_err(|e| format!("{e:?}"))?;
    Ok(())
}
