-- An organization shows its avatar's media row (`avatar_image_media`), and one upload
-- can be the avatar of several organizations of its owner: a create or update of one of
-- them writes the upload's descriptions (alt_text, caption, ...) into that shared row,
-- which changes what the others show too. Their `version` (the ETag, and the list pages
-- an isolate keeps: migration 0025) now follows every write of a shown column of the
-- row, by the service or by anyone else (an operator's `wrangler d1 execute`). A
-- creation writes the descriptions before its organization points at the upload, so it
-- starts at version 1 as its answer's ETag says; an update writes them after its own
-- write, so its organization is raised twice (its answer reads the row back: a version
-- is only compared, never counted). Through `organizations_avatar_media_id`: one row per
-- organization that shows the upload.
create trigger organizations_version_follows_avatar
after update of url, resource_type, content_hash, extension, file_size, width, height,
    duration, aspect_ratio, orientation, alt_text, caption, color_profile, dominant_color,
    protected, created_at, duration_json, aspect_ratio_json on media_resources
when new.url is not old.url or new.resource_type is not old.resource_type
    or new.content_hash is not old.content_hash or new.extension is not old.extension
    or new.file_size is not old.file_size or new.width is not old.width
    or new.height is not old.height or new.duration is not old.duration
    or new.aspect_ratio is not old.aspect_ratio or new.orientation is not old.orientation
    or new.alt_text is not old.alt_text or new.caption is not old.caption
    or new.color_profile is not old.color_profile
    or new.dominant_color is not old.dominant_color or new.protected is not old.protected
    or new.created_at is not old.created_at or new.duration_json is not old.duration_json
    or new.aspect_ratio_json is not old.aspect_ratio_json
begin
    update organizations set version = version + 1 where avatar_media_id = new.id;
end;
