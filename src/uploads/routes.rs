//! `POST /uploads/presigned-url`, `PUT /uploads/{id}`, `GET /media/{id}`.

use super::image::ImageType;
use super::models::{MediaPath, PresignedUpload, PresignedUploadRequest};
use super::repo::{self, Completed, NewUpload};
use super::service::{admit_or_drain, watch, Seen};
use super::signature::{self, Grant};
use crate::access::{Caller, Gate, Public};
use crate::clock::{now_iso, now_secs, rfc3339_from_millis};
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::Json;
use crate::http::{json_ok, json_response, Ctx};
use crate::ids::new_id;
use crate::messages::{MEDIA_NOT_FOUND, UPLOAD_ALREADY_COMPLETED};
use crate::organizations::media::{shape, MediaResource};
use crate::validation::{check_bounds, Validator};
use serde_json::{json, Map, Value};
use sha2::Digest;
use worker::{Bucket, FixedLengthStream, HttpMetadata, Response};

const TOO_MANY_PENDING: &str = "Too many pending uploads: finish or let expire the ones you have";

fn bucket(cx: &Ctx) -> ApiResult<Bucket> {
    Ok(super::bucket(&cx.env)?)
}

/// `https://host` of the request, for the absolute URLs handed out.
fn origin(cx: &Ctx) -> String {
    let url = cx.req.inner().url();
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    url[..end].to_string()
}

/// Where an upload is served.
fn media_url(cx: &Ctx, id: &str) -> String {
    format!("{}/api/v1/media/{id}", origin(cx))
}

/// Create Presigned Upload URL: a pending media row of the caller and a signed
/// URL to `PUT` its bytes to, valid `UPLOAD_URL_EXPIRE_MINUTES`.
pub(crate) async fn create_presigned_url(
    cx: Ctx,
    gate: Gate<Caller>,
    (key, Json(input)): (IdempotencyKey, Json<PresignedUploadRequest>),
) -> ApiResult<Response> {
    let Caller(me) = gate.open(&cx.db).await?;
    check_size(input.size, cx.config.max_upload_bytes)?;
    let (id, now_s) = (new_id(), now_secs());
    let expires = now_s + cx.config.upload_url_expire_minutes * 60;
    let content_type = input.image.content_type();
    let url = media_url(&cx, &id);
    let body = serde_json::to_vec(&offer(&cx, &id, &input, &url, expires))?;
    let now = now_iso();
    let upload = NewUpload {
        id: &id,
        owner_id: &me.id,
        url: &url,
        extension: input.image.extension(),
        content_type,
        filename: &input.filename,
        size: input.size,
        now: &now,
        now_secs: now_s,
        expires_at: expires,
    };
    let mut b = cx.db.batch();
    let inserted = repo::insert_pending(&mut b, &upload, cx.config.max_pending_uploads)?;
    key.answer(&mut b, 200, &body)?;
    let r = b.run().await?;
    if r.changes(inserted)? == 0 {
        // Nothing was written (the key's answer is conditional on nothing: the
        // envelope frees it, as for any failure).
        return Err(ApiError::TooManyRequests {
            detail: TOO_MANY_PENDING,
            retry_after: cx.config.upload_url_expire_minutes as u64 * 60,
        });
    }
    Ok(json_response(200, body))
}

/// `size` is at most `MAX_UPLOAD_BYTES` (and at least 1): a 422 on `["body", "size"]`.
fn check_size(size: u64, max: u64) -> ApiResult<()> {
    if let Err(fail) = check_bounds(size as i64, Some(1), Some(max as i64)) {
        let mut v = Validator::new();
        v.push(vec!["body".into(), "size".into()], json!(size), fail);
        v.finish()?;
    }
    Ok(())
}

/// The answer of a presign: the signed `PUT` URL for upload `id` until
/// `expires`, the headers to send with it, and where the file will be served.
fn offer(
    cx: &Ctx,
    id: &str,
    input: &PresignedUploadRequest,
    url: &str,
    expires: i64,
) -> PresignedUpload {
    let content_type = input.image.content_type();
    let grant = Grant {
        id,
        size: input.size,
        content_type,
        expires,
    };
    let sig = signature::sign(&cx.config.secret_key, &grant);
    let upload_url = format!(
        "{}/api/v1/uploads/{id}?size={}&type={}&expires={expires}&signature={sig}",
        origin(cx),
        input.size,
        content_type.replace('/', "%2F"),
    );
    let mut headers = Map::new();
    headers.insert("Content-Type".into(), Value::from(content_type));
    headers.insert("Content-Length".into(), Value::from(input.size.to_string()));
    PresignedUpload {
        media_resource_id: id.to_string(),
        upload_url,
        method: "PUT",
        headers,
        url: url.to_string(),
        expires_at: rfc3339_from_millis(expires as u64 * 1000),
    }
}

/// Upload File: the body of a signed `PUT`, streamed into R2 chunk by chunk
/// (never held whole), checked on the way (the declared size and type, the
/// image's signature) and hashed; then the media row is completed with its
/// size, hash, width and height.
pub(crate) async fn upload_file(
    mut cx: Ctx,
    _: Public,
    MediaPath(id): MediaPath,
) -> ApiResult<Response> {
    let (image, size) = admit_or_drain(&mut cx, &id).await?;
    let body = cx
        .req
        .stream()
        .map_err(|e| ApiError::internal(format!("request body: {e}")))?;
    let (checked, seen) = watch(body, size, image);
    let object_key = format!("media/{id}/{}", uuid::Uuid::new_v4().simple());
    let bucket = bucket(&cx)?;
    let put = bucket
        .put(&object_key, FixedLengthStream::wrap(checked, size))
        .http_metadata(metadata(image))
        .execute()
        .await;
    let seen = seen.take();
    let (width, height) = match verdict(&seen, put, size, image, &object_key)? {
        Ok(dimensions) => dimensions,
        Err(why) => {
            let _ = bucket.delete(&object_key).await;
            return Err(ApiError::bad_request(why));
        }
    };
    match complete(&cx, &id, &object_key, seen, (width, height)).await? {
        Some(media) => json_ok(&media),
        None => {
            // Another PUT completed it first: its bytes stay, these go.
            let _ = bucket.delete(&object_key).await;
            Err(ApiError::conflict(UPLOAD_ALREADY_COMPLETED))
        }
    }
}

/// What to make of an upload once R2's put returned: the image's width and
/// height, or why its bytes are refused (`Ok(Err(why))`: the object goes), or
/// R2's failure. The stream's own refusal comes first (it is what failed the put).
fn verdict(
    seen: &Seen,
    put: worker::Result<Option<worker::Object>>,
    size: u64,
    image: ImageType,
    object_key: &str,
) -> ApiResult<Result<(i64, i64), String>> {
    if let Some(why) = seen.short_of(size) {
        return Ok(Err(why));
    }
    if let Err(e) = put {
        return Err(ApiError::internal(format!("R2 put {object_key}: {e}")));
    }
    Ok(seen.dimensions(image))
}

/// What R2 stores with an upload's bytes: its type.
fn metadata(image: ImageType) -> HttpMetadata {
    HttpMetadata {
        content_type: Some(image.content_type().to_string()),
        ..HttpMetadata::default()
    }
}

/// Completes upload `id` with what its bytes showed: the media row, unless
/// another `PUT` completed it first (`None`).
async fn complete(
    cx: &Ctx,
    id: &str,
    object_key: &str,
    seen: Seen,
    (width, height): (i64, i64),
) -> ApiResult<Option<MediaResource>> {
    let (aspect_ratio, orientation) = shape(Some(width), Some(height));
    let hash = crate::ids::hex(&seen.hash.finalize());
    let mut b = cx.db.batch();
    let row = repo::complete(
        &mut b,
        id,
        &Completed {
            object_key,
            content_hash: &hash,
            file_size: seen.bytes,
            width,
            height,
            aspect_ratio,
            orientation: orientation.as_deref(),
        },
    )?;
    let r = b.run().await?;
    Ok(r.first::<MediaResource>(row)?)
}

/// An R2 object as the response body, streamed, with its length and type.
async fn stream_object(cx: &Ctx, object_key: &str, content_type: &str) -> ApiResult<Response> {
    let object = bucket(cx)?
        .get(object_key)
        .execute()
        .await
        .map_err(|e| ApiError::internal(format!("R2 get: {e}")))?
        .ok_or_else(|| ApiError::not_found(MEDIA_NOT_FOUND))?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::internal("R2 object without a body"))?
        .response_body()
        .map_err(|e| ApiError::internal(format!("R2 body: {e}")))?;
    let mut resp =
        Response::from_body(body).map_err(|e| ApiError::internal(format!("response: {e}")))?;
    let h = resp.headers_mut();
    let _ = h.set("Content-Length", &object.size().to_string());
    // Only the four image types are ever stored; anything else would be
    // downloaded, never shown.
    let inline = ImageType::from_content_type(content_type).is_some();
    let disposition = if inline { "inline" } else { "attachment" };
    let _ = h.set("Content-Type", content_type);
    let _ = h.set("Content-Disposition", disposition);
    Ok(resp)
}

/// Read Media: an upload's bytes, straight from R2, immutable (a new file is
/// a new id), with its SHA-256 as the ETag.
pub(crate) async fn read_media(
    cx: Ctx,
    _: Public,
    MediaPath(id): MediaPath,
) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let stored = repo::find_stored(&mut b, &id)?;
    let r = b.run().await?;
    let stored = r
        .first(stored)?
        .ok_or_else(|| ApiError::not_found(MEDIA_NOT_FOUND))?;
    let etag = format!("\"{}\"", stored.content_hash);
    let mut resp = if crate::http::conditional::none_match(&cx, &etag) {
        Response::builder().with_status(304).empty()
    } else {
        stream_object(&cx, &stored.object_key, &stored.content_type).await?
    };
    let h = resp.headers_mut();
    let _ = h.set("ETag", &etag);
    let _ = h.set("Cache-Control", "public, max-age=31536000, immutable");
    Ok(resp)
}
