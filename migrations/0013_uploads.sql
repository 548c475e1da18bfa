-- Uploads (POST /uploads/presigned-url, PUT /uploads/{id}, GET /media/{id}).
-- A media row made for an avatar URL stays as it was ('attached', no object).
-- An upload's row goes 'pending' (signed URL handed out) -> 'uploaded' (its
-- bytes are in R2 under object_key) -> 'attached' (an organization's avatar
-- once) -> 'orphaned' (no organization uses it any more: no longer served; the
-- cron run deletes its object, then the row). Uploads still 'pending' or
-- 'uploaded' a day after they began are orphaned by the cron run too.
alter table media_resources add column status text not null default 'attached'
    check (status in ('pending', 'uploaded', 'attached', 'orphaned'));
alter table media_resources add column owner_id text references users (id) on delete set null;
alter table media_resources add column object_key text;
alter table media_resources add column content_type text;
alter table media_resources add column filename text;
-- The upload URL's expiry (Unix seconds): pending uploads past it no longer
-- count against their owner's limit.
alter table media_resources add column expires_at integer;

-- An owner's pending uploads, counted against the limit.
create index media_resources_owner_status on media_resources (owner_id, status, expires_at);
-- What the cron run looks for: old unfinished or unused uploads, and orphans.
create index media_resources_status_created on media_resources (status, created_at);
