//! HTTP tests against the built worker, served in workerd through Miniflare's
//! API with a fresh local D1. One worker serves the whole binary; see `helpers`.
#![cfg(not(target_arch = "wasm32"))]

mod helpers;

#[path = "../support/forged.rs"]
mod forged;

mod api_keys;
mod auth;
mod caller_cache;
mod deletion;
mod edge;
mod email;
mod envelope;
mod events;
mod first_superuser;
mod hardening;
mod hardening_iii;
mod headers;
mod hostile_input;
mod idempotency;
mod invitations;
mod lists;
mod members;
mod metrics;
mod mfa;
mod organizations;
mod permissions;
mod races;
mod rate_limits;
mod resource_migration;
mod round_trips;
mod sessions;
mod tokens;
mod uploads;
mod users;
mod users_admin;
mod web_app;
mod webhooks;
