//! Users & Organizations API: a Cloudflare Worker in Rust, with D1 for storage.
//!
//! Layers, each importing only those below it:
//!
//! - `lib.rs` receives the request; `app` holds the route table and the envelope;
//! - the features (`auth`, `users`, `account`, `organizations`, `memberships`,
//!   `resource_migration`, `utils`, `openapi`): `routes.rs` for the handlers,
//!   `models.rs` for request and response shapes, `repo.rs` for their SQL;
//! - `access`: the access levels a handler declares (it reads through the repos);
//! - `http` (request context, typed inputs, responses), `lists`, `rate_limits`, `email`,
//!   `events`, `queues`;
//! - `db`, `validation`, `config` (with `keyring`), `cors`, `clock`, `ids`, `resources`, `secrets`, `error`.

mod access;
mod account;
mod api_keys;
mod app;
mod audit;
pub mod auth;
mod clock;
mod config;
mod cors;
mod db;
mod email;
mod error;
mod events;
mod http;
mod identity;
mod ids;
mod invitations;
pub mod keyring;
mod lists;
mod memberships;
mod messages;
pub mod mfa;
mod openapi;
mod organizations;
mod queues;
mod rate_limits;
mod resource_migration;
pub mod resources;
mod secrets;
mod sessions;
mod uploads;
mod users;
mod utils;
pub mod validation;
mod webhooks;

use worker::wasm_bindgen::{prelude::wasm_bindgen, JsValue};
use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(app::handle(req, env, ctx).await)
}

/// The consumer of both queues: e-mail (see `email`) and webhook deliveries (see `webhooks`).
/// Exported by hand, as `#[event(queue)]` exports it, so that the consumers hold
/// the runtime's messages themselves (`queues::Received`). A batch that cannot
/// be started (no D1, bad settings) fails whole: the runtime retries it.
#[wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
pub async fn queue(
    batch: worker::worker_sys::MessageBatch,
    env: Env,
    _ctx: worker::worker_sys::Context,
) -> std::result::Result<JsValue, JsValue> {
    match app::queue(batch, env).await {
        Ok(()) => Ok(JsValue::UNDEFINED),
        Err(e) => {
            worker::console_error!("queue: the batch could not be started ({e:?})");
            Err(JsValue::from_str("the queue consumer could not start"))
        }
    }
}

/// The Cron Trigger of `wrangler.toml`: cleanup (see `app::scheduled`).
#[event(scheduled)]
pub async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    app::scheduled(&event.cron(), env).await;
}
