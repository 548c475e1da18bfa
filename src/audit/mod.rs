//! The audit log (extensions W): an organization's events for its owner,
//! admins and superusers, and every event for superusers. Events are written
//! by `events`, in the batch of the change they record.

pub(crate) mod routes;
