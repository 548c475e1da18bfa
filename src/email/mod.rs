//! E-mail that never gets lost: a transactional outbox delivered through
//! Cloudflare Queues.
//!
//! Whatever causes an e-mail writes its row ([`outbox::insert`]) in the same D1
//! batch as the change itself; after the commit the row's id is handed to the
//! queue (`EMAIL_QUEUE`). The consumer ([`delivery::consume`], the worker's
//! `#[event(queue)]`) sends it through the configured provider (log, HTTP API or
//! SMTP), marks it sent, and retries failures with a doubling delay; after
//! `EMAIL_MAX_ATTEMPTS` the row records its error. The scheduled run hands
//! over again rows that stayed pending (an enqueue can fail after its commit).
//! Sending is idempotent per outbox id: a row already sent is not sent again.

pub(crate) mod delivery;
pub(crate) mod outbox;
mod providers;
mod smtp;
pub(crate) mod templates;
