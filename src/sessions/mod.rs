//! Sessions: refresh tokens with rotation and reuse detection, logout, the
//! session list, and revocation that takes effect at once (extensions.md
//! section S). The access levels read the token's session in the caller's batch.

pub(crate) mod repo;
pub(crate) mod routes;
pub(crate) mod service;
