//! Organizations: create, list, read, update (with ownership transfer), delete.

pub(crate) mod media;
pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;
