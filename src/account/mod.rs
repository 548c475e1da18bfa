//! Account e-mail: password recovery and reset, address verification
//! (origin: `api/routes/login.py`'s recovery routes; `extensions.md` section R).

pub(crate) mod routes;
pub(crate) mod tokens;

use crate::clock::{now_iso, now_secs};
use crate::config::EmailConfig;
use crate::db::{Batch, DbResult};
use crate::email::{outbox, templates};
use crate::error::ApiResult;
use crate::ids::new_id;

/// A verification e-mail for `email`, pushed into the caller's batch (the
/// change that causes it commits with its token and its outbox row, or none of
/// them does); returns the outbox id to hand to the queue after the commit.
pub(crate) fn verification_email(
    b: &mut Batch<'_>,
    cfg: &EmailConfig,
    user_id: &str,
    email: &str,
) -> ApiResult<String> {
    let (token, hash) = tokens::new_token()?;
    let expires = now_secs() + cfg.verify_token_hours * 3600;
    let _ = tokens::insert(b, &hash, "verify", user_id, email, expires)?;
    Ok(outbox_row(b, &templates::verification(cfg, email, &token))?)
}

/// Writes `m` to the outbox in the caller's batch; its id.
pub(crate) fn outbox_row(b: &mut Batch<'_>, m: &templates::Message) -> DbResult<String> {
    let id = new_id();
    let _ = outbox::insert(b, &id, m, &now_iso(), now_secs())?;
    Ok(id)
}
