//! Users & Organizations API: a Cloudflare Worker in Rust, with D1 for storage.
//!
//! `lib.rs` only receives the request; `app.rs` holds the route table and the
//! HTTP envelope; each feature lives in its own folder (`routes.rs` for the
//! handlers, `models.rs` for request/response shapes, `repo.rs` for its SQL).

pub mod app;
pub mod auth;
pub mod config;
pub mod cors;
pub mod db;
pub mod error;
pub mod memberships;
pub mod openapi;
pub mod organizations;
pub mod rate_limits;
pub mod resource_migration;
pub mod resources;
pub mod time;
pub mod users;
pub mod utils;
pub mod validation;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(app::handle(req, env).await)
}
