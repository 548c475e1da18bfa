//! Organization membership: who belongs to an organization. The rules of who
//! may change it are access levels (`crate::access::org`).

pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;
