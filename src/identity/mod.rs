//! Who is calling: the bearer credential (an access token or an API key), the
//! tokens themselves, and the rows the caller's check reads (user, session,
//! key, and the organization an organization level is about). Below `access`, which runs these checks in the contract's order, and
//! below every feature, which builds on the same rows.

pub(crate) mod api_key;
pub(crate) mod cache;
pub(crate) mod credential;
pub mod jwt;
pub(crate) mod key_limit;
pub(crate) mod organization;
pub(crate) mod session;
pub(crate) mod user;
