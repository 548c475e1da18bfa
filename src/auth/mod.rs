//! Authentication: password hashing and login. Tokens and the caller checks
//! are `crate::identity`'s.

pub(crate) mod form;
pub use crate::identity::jwt;
mod multipart;
pub mod password;
pub(crate) mod routes;
pub(crate) mod service;

use crate::config::Config;
use crate::error::{ApiError, ApiResult};

/// A new hash of `password` at the configured work factor.
pub(crate) fn hash_password(config: &Config, password: &str) -> ApiResult<String> {
    password::hash_password(password, config.password_iterations)
        .map_err(|e| ApiError::internal(format!("getrandom: {e}")))
}
