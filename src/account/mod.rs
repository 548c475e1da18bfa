//! Account e-mail: password recovery and reset, address verification
//! (origin: `api/routes/login.py`'s recovery routes; `extensions.md` section R).

pub(crate) mod routes;
pub(crate) mod tokens;

use crate::clock::{now_iso, now_secs};
use crate::config::EmailConfig;
use crate::db::{Batch, Db, DbError, DbResult};
use crate::email::outbox::{self, OutboxRow, REQUEST};
use crate::email::templates;
use crate::error::ApiResult;
use crate::ids::new_id;
use crate::users::repo as users;
use std::future::Future;
use std::pin::Pin;

/// The outbox kind of a password-recovery request: the row names the folded
/// address, and the consumer decides whether a message goes out ([`prepare`]).
pub(crate) const RECOVERY_REQUEST: &str = "request:password_recovery";

/// The queue consumer's part for the requests of this feature
/// ([`crate::email::delivery::Prepare`]): a recovery request becomes the
/// recovery e-mail, with its reset token in the same batch, if its address has
/// an active account; else it is dropped. Deciding here, not in the request,
/// keeps the request's work and answer the same for every address.
pub(crate) fn prepare<'a>(
    db: &'a Db,
    cfg: &'a EmailConfig,
    row: OutboxRow,
) -> Pin<Box<dyn Future<Output = DbResult<Option<OutboxRow>>> + 'a>> {
    Box::pin(async move {
        if row.kind != RECOVERY_REQUEST {
            return Err(DbError::other(
                "outbox request",
                format!("unknown kind {}", row.kind),
            ));
        }
        let mut b = db.batch();
        let user = users::find_by_email(&mut b, &row.recipient)?;
        let user = b.run().await?.first(user)?.filter(|u| u.is_active());
        let mut b = db.batch();
        let Some(user) = user else {
            let _ = outbox::drop_request(&mut b, &row.id)?;
            b.run().await?;
            return Ok(None);
        };
        let (token, hash) =
            tokens::new_token().map_err(|e| DbError::other("token", format!("{e:?}")))?;
        let expires = now_secs() + cfg.reset_token_hours * 3600;
        let to = tokens::For {
            user_id: &user.id,
            email: &user.email,
            token_version: Some(user.token_version),
        };
        // The token only with the message that carries it (a second consumer
        // of the same row finds it filled and sends what is stored).
        let _ = tokens::insert_when(&mut b, &hash, "reset", to, expires, &row.id, REQUEST)?;
        let m = templates::password_recovery(cfg, &user.email, &token);
        let filled = outbox::fill(&mut b, &row.id, &m)?;
        b.run().await?.first(filled)
    })
}

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
    let to = tokens::For {
        user_id,
        email,
        token_version: None,
    };
    let _ = tokens::insert(b, &hash, "verify", to, expires)?;
    Ok(outbox_row(b, &templates::verification(cfg, email, &token))?)
}

/// Writes `m` to the outbox in the caller's batch; its id.
pub(crate) fn outbox_row(b: &mut Batch<'_>, m: &templates::Message) -> DbResult<String> {
    let id = new_id();
    let _ = outbox::insert(b, &id, m, &now_iso(), now_secs())?;
    Ok(id)
}
