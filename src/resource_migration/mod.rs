//! Resource migration: an admin tool that moves a user's personal resources into
//! an organization, every selected type in one D1 batch (all or nothing).
//! Named so as not to be confused with the schema's `migrations/`.

pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;
