//! Invitations by e-mail, with roles (extensions.md section I): created,
//! listed, revoked and resent by the owner and admins; listed, accepted and
//! declined by the invitee, by token or by id.

pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;
