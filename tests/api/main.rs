//! HTTP tests against the built worker, served by `wrangler dev` (real workerd)
//! with a fresh local D1. One worker serves the whole binary; see `helpers.rs`.
#![cfg(not(target_arch = "wasm32"))]

mod helpers;

mod auth;
mod envelope;
mod hardening;
mod organizations;
mod resource_migration;
mod round_trips;
mod users;
