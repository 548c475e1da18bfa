//! SQL for uploads: the pending row, its completion, and the cleanup. The
//! rows are `media_resources` (migration 0013 gives them an owner, a state
//! and an object key); the avatar side is in `organizations::repo`.

use crate::db::from_row;
use crate::db::{Batch, DbResult, Rows, Write};
use crate::organizations::media::{number_json, MediaResource};
use crate::organizations::repo::MEDIA_COLUMNS;

/// What `PUT /uploads/{id}` must know of its row before taking the bytes.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) status: String,
}
from_row!(Pending { status });

/// A served upload: where its bytes are and what they are.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) object_key: String,
    pub(crate) content_type: String,
    pub(crate) content_hash: String,
}
from_row!(Stored {
    object_key,
    content_type,
    content_hash
});

/// A new upload, before its bytes.
pub(crate) struct NewUpload<'a> {
    pub(crate) id: &'a str,
    pub(crate) owner_id: &'a str,
    pub(crate) url: &'a str,
    pub(crate) extension: &'a str,
    pub(crate) content_type: &'a str,
    pub(crate) filename: &'a str,
    pub(crate) size: u64,
    pub(crate) now: &'a str,
    pub(crate) now_secs: i64,
    pub(crate) expires_at: i64,
}

/// Inserts the pending row, unless its owner already holds `max` upload URLs
/// that have not expired: the count and the insert are one statement, so
/// concurrent requests cannot pass the limit. No row changed: over the limit.
pub(crate) fn insert_pending(b: &mut Batch<'_>, u: &NewUpload<'_>, max: i64) -> DbResult<Write> {
    b.write(
        "insert into media_resources (id, url, resource_type, content_hash, extension, file_size, \
         created_at, status, owner_id, content_type, filename, expires_at) \
         select ?1, ?2, 'image', '', ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?9 \
         where (select count(*) from media_resources where owner_id = ?6 and status = 'pending' \
         and expires_at > ?10) < ?11",
        &[
            u.id.into(),
            u.url.into(),
            u.extension.into(),
            (u.size as i64).into(),
            u.now.into(),
            u.owner_id.into(),
            u.content_type.into(),
            u.filename.into(),
            u.expires_at.into(),
            u.now_secs.into(),
            max.into(),
        ],
    )
}

/// The row a PUT is for.
pub(crate) fn find_pending(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<Pending>> {
    b.query(
        "select status from media_resources where id = ?1",
        &[id.into()],
    )
}

/// What the bytes turned out to be.
pub(crate) struct Completed<'a> {
    pub(crate) object_key: &'a str,
    pub(crate) content_hash: &'a str,
    pub(crate) file_size: u64,
    pub(crate) width: i64,
    pub(crate) height: i64,
    pub(crate) aspect_ratio: Option<f64>,
    pub(crate) orientation: Option<&'a str>,
}

/// Completes a pending upload and reads it back; no row: it was completed
/// (or cleaned up) meanwhile.
pub(crate) fn complete(
    b: &mut Batch<'_>,
    id: &str,
    c: &Completed<'_>,
) -> DbResult<Rows<MediaResource>> {
    b.query(
        &format!(
            "update media_resources set status = 'uploaded', object_key = ?2, content_hash = ?3, \
             file_size = ?4, width = ?5, height = ?6, aspect_ratio = ?7, orientation = ?8, \
             aspect_ratio_json = ?9 where id = ?1 and status = 'pending' returning {MEDIA_COLUMNS}"
        ),
        &[
            id.into(),
            c.object_key.into(),
            c.content_hash.into(),
            (c.file_size as i64).into(),
            c.width.into(),
            c.height.into(),
            c.aspect_ratio.into(),
            c.orientation.into(),
            number_json(c.aspect_ratio).as_deref().into(),
        ],
    )
}

/// An upload's bytes, if it is served (uploaded, or an avatar).
pub(crate) fn find_stored(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<Stored>> {
    b.query(
        "select object_key, content_type, content_hash from media_resources \
         where id = ?1 and status in ('uploaded', 'attached') and object_key is not null",
        &[id.into()],
    )
}

/// An orphaned upload: its R2 objects are under `media/<id>/`; a completed
/// one's object is `object_key`.
#[derive(Debug)]
pub(crate) struct Orphan {
    pub(crate) id: String,
    pub(crate) object_key: Option<String>,
}
from_row!(Orphan { id, object_key });

/// How many orphans one cron run reads. Those whose object is known go in
/// one R2 bulk delete (up to 1,000 keys a call); the others need an R2
/// listing each, of which a run makes at most [`LISTINGS_PER_RUN`]. One user
/// can leave at most `MAX_PENDING_UPLOADS` (20) unfinished uploads per URL
/// lifetime (15 min): 40 per 30-minute run; a run clears 1,000.
pub(crate) const ORPHANS_PER_RUN: i64 = 1000;
pub(crate) const LISTINGS_PER_RUN: usize = 100;

/// Orphans uploads begun before `before` (ISO time) that are still pending
/// or were never used, then reads a batch of orphans to delete.
pub(crate) fn orphan_stale(b: &mut Batch<'_>, before: &str) -> DbResult<(Write, Rows<Orphan>)> {
    let stale = b.write(
        "update media_resources set status = 'orphaned' \
         where status in ('pending', 'uploaded') and created_at < ?1",
        &[before.into()],
    )?;
    let orphans = b.query(
        "select id, object_key from media_resources where status = 'orphaned' order by created_at limit ?1 + 0",
        &[ORPHANS_PER_RUN.into()],
    )?;
    Ok((stale, orphans))
}

/// Deletes the rows of orphans whose objects are gone (`ids`, a JSON array).
pub(crate) fn delete_orphans(b: &mut Batch<'_>, ids: &str) -> DbResult<Write> {
    b.write(
        "delete from media_resources where status = 'orphaned' \
         and id in (select value from json_each(?1))",
        &[ids.into()],
    )
}
