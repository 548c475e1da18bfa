//! Organizations: create, list, read, update (with ownership transfer), delete.

pub mod media;
pub mod models;
pub mod repo;
pub mod routes;
