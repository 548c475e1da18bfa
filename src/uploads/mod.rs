//! Uploads (extensions U): the reference's `/uploads/presigned-url`, files
//! into R2 (binding `MEDIA`), and `GET /media/{id}`.
//!
//! 1. `POST /uploads/presigned-url` makes a pending media row of the caller
//!    and hands out a `PUT` URL signed by the service ([`signature`]);
//! 2. `PUT /uploads/{id}` streams the body into R2, checking the declared size
//!    and type and the image's signature on the way ([`image`]: headers only,
//!    nothing is decoded), hashing it, and completes the row;
//! 3. an organization's `avatar_image` names it by `media_resource_id`
//!    (`organizations::media::Avatar`), and `GET /media/{id}` serves it.
//!
//! The cron run ([`cleanup`]) orphans uploads unfinished or unused after a
//! day, and deletes orphans' objects, then their rows.

pub(crate) mod image;
pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;
pub(crate) mod service;
pub(crate) mod signature;

use crate::clock::{now_millis, rfc3339_from_millis};
use crate::db::{Db, DbError, DbResult};
use worker::{Bucket, Env};

/// The R2 bucket uploads go to (`[[r2_buckets]]` binding `MEDIA`).
pub(crate) fn bucket(env: &Env) -> Result<Bucket, DbError> {
    env.bucket("MEDIA")
        .map_err(|e| DbError::other("R2 binding MEDIA", e))
}

/// What one cleanup did: uploads orphaned, orphans deleted.
pub(crate) struct Cleaned {
    pub(crate) orphaned: u64,
    pub(crate) deleted: u64,
}

/// Orphans uploads begun more than a day ago that are still pending or were
/// never used, then deletes up to [`repo::ORPHANS_PER_RUN`] orphans: their
/// objects from R2 first (in bulk where the object is known), then their rows
/// (an orphan whose objects could not be deleted stays for the next run).
pub(crate) async fn cleanup(db: &Db, env: &Env) -> DbResult<Cleaned> {
    let day_ago = rfc3339_from_millis(now_millis().saturating_sub(86_400_000));
    let mut b = db.batch();
    let (stale, orphans) = repo::orphan_stale(&mut b, &day_ago)?;
    let r = b.run().await?;
    let orphaned = r.changes(stale)?;
    let orphans = r.rows(orphans)?;
    if orphans.is_empty() {
        return Ok(Cleaned {
            orphaned,
            deleted: 0,
        });
    }
    let bucket = bucket(env)?;
    let mut gone = Vec::new();
    // Completed uploads: their one object is known, deleted in bulk.
    let (known, unknown): (Vec<_>, Vec<_>) =
        orphans.into_iter().partition(|o| o.object_key.is_some());
    for chunk in known.chunks(1000) {
        let keys: Vec<String> = chunk.iter().filter_map(|o| o.object_key.clone()).collect();
        if bucket.delete_multiple(keys).await.is_ok() {
            gone.extend(chunk.iter().map(|o| o.id.clone()));
        }
    }
    // Never completed: a PUT may still have left bytes under the id's prefix.
    for orphan in unknown.into_iter().take(repo::LISTINGS_PER_RUN) {
        let listed = bucket
            .list()
            .prefix(format!("media/{}/", orphan.id))
            .execute()
            .await;
        let Ok(listed) = listed else { continue };
        let keys: Vec<String> = listed.objects().iter().map(|o| o.key()).collect();
        if keys.is_empty() || bucket.delete_multiple(keys).await.is_ok() {
            gone.push(orphan.id);
        }
    }
    let mut b = db.batch();
    let ids = serde_json::to_string(&gone).unwrap_or_else(|_| "[]".into());
    let deleted = repo::delete_orphans(&mut b, &ids)?;
    let r = b.run().await?;
    Ok(Cleaned {
        orphaned,
        deleted: r.changes(deleted)?,
    })
}
