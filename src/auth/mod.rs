//! Authentication: password hashing, tokens, the caller checks, and login.

pub(crate) mod current_user;
pub(crate) mod form;
pub mod jwt;
mod multipart;
pub mod password;
pub(crate) mod routes;
pub(crate) mod service;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};

/// What signs and checks access tokens, from the settings.
pub(crate) fn token_keys(config: &Config) -> jwt::Keys<'_> {
    jwt::Keys {
        secret: &config.secret_key,
        ring: &config.tokens.ring,
        accept_hs256: config.tokens.accept_hs256,
        issuer: &config.tokens.issuer,
    }
}

/// A new hash of `password` at the configured work factor.
pub(crate) fn hash_password(config: &Config, password: &str) -> ApiResult<String> {
    password::hash_password(password, config.password_iterations)
        .map_err(|e| ApiError::internal(format!("getrandom: {e}")))
}
