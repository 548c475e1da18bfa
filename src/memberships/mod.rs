//! Organization membership: who belongs to an organization, and the access rules
//! (owner, member, superuser) every organization operation checks.

pub mod access;
pub mod models;
pub mod repo;
pub mod routes;
