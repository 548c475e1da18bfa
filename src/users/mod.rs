//! Users: accounts, signup, profile and password, and the first superuser.

pub mod models;
pub mod repo;
pub mod routes;

use crate::app::{now_iso, now_secs};
use crate::auth::password;
use crate::config::Config;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::validation::email::Email;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once this isolate has seen the first superuser in D1.
static FIRST_SUPERUSER_PRESENT: AtomicBool = AtomicBool::new(false);

/// Creates `FIRST_SUPERUSER` if it does not exist; never overwrites it. Costs one
/// D1 query per isolate start (the hash is only computed when the row is missing).
pub async fn ensure_first_superuser(db: &Db, config: &Config) -> ApiResult<()> {
    if FIRST_SUPERUSER_PRESENT.load(Ordering::Relaxed) {
        return Ok(());
    }
    let Some((email, pass)) = &config.first_superuser else {
        FIRST_SUPERUSER_PRESENT.store(true, Ordering::Relaxed);
        return Ok(());
    };
    let email =
        Email::parse(email).map_err(|r| ApiError::internal(format!("FIRST_SUPERUSER: {r}")))?;
    if repo::find_user_by_email(db, email.as_str())
        .await?
        .is_none()
    {
        let hashed = password::hash_password(pass, config.password_iterations)
            .map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        let now = now_iso();
        repo::insert_user_if_missing(
            db,
            &repo::NewUser {
                id: &id,
                email: email.as_str(),
                hashed_password: &hashed,
                full_name: None,
                is_active: true,
                is_superuser: true,
                rework_available: models::DEFAULT_REWORK_AVAILABLE,
                now_secs: now_secs(),
                now: &now,
            },
        )
        .await?;
    }
    FIRST_SUPERUSER_PRESENT.store(true, Ordering::Relaxed);
    Ok(())
}
