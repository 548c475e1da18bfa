//! Users: accounts, signup, profile and password, and the first superuser.

pub(crate) mod models;
pub(crate) mod private;
pub(crate) mod repo;
pub(crate) mod routes;

use crate::auth::hash_password;
use crate::clock::{now_iso, now_secs};
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::validation::email::Email;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once this isolate has seen the first superuser in D1.
static FIRST_SUPERUSER_PRESENT: AtomicBool = AtomicBool::new(false);

/// Creates `FIRST_SUPERUSER` once per database: if the database never had it
/// created (the `first_superuser` row) and no user has the address; never
/// overwrites, and never brings it back once deleted or renamed. Costs one D1
/// query per isolate start (the hash is only computed when it is created).
pub(crate) async fn ensure_first_superuser(db: &Db, config: &Config) -> ApiResult<()> {
    if FIRST_SUPERUSER_PRESENT.load(Ordering::Relaxed) {
        return Ok(());
    }
    let Some((email, pass)) = &config.first_superuser else {
        FIRST_SUPERUSER_PRESENT.store(true, Ordering::Relaxed);
        return Ok(());
    };
    let email =
        Email::parse(email).map_err(|r| ApiError::internal(format!("FIRST_SUPERUSER: {r}")))?;
    let mut b = db.batch();
    let state = repo::first_superuser_state(&mut b, &email.key())?;
    let state = b.run().await?.first(state)?;
    if state.is_some_and(|s| s.created == 0 && s.present == 0) {
        let hashed = hash_password(config, pass)?;
        let id = new_id();
        let mut b = db.batch();
        let _ = repo::insert_if_missing(
            &mut b,
            &repo::NewUser {
                id: &id,
                email: &email,
                hashed_password: &hashed,
                full_name: None,
                is_active: true,
                is_superuser: true,
                rework_available: models::DEFAULT_REWORK_AVAILABLE,
                email_verified: true,
                now_secs: now_secs(),
                now: &now_iso(),
            },
        )?;
        let _ = repo::record_first_superuser(&mut b, &id)?;
        // The service's own act: recorded if the user was inserted.
        let event = crate::events::Event {
            kind: "user.created",
            org: None,
            by: crate::events::By::SYSTEM,
            subject: crate::events::Subject::User(&id),
            witness: None,
        };
        crate::events::record(&mut b, &crate::events::Origin::NONE, event)?;
        b.run().await?;
    }
    FIRST_SUPERUSER_PRESENT.store(true, Ordering::Relaxed);
    Ok(())
}
