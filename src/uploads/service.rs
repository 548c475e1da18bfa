//! The checks of a signed upload `PUT`, before its body is read: what the
//! handler (`routes::upload_file`) asks before it streams anything into R2.

use super::image::{ImageType, HEADER_BYTES, SIGNATURE_BYTES};
use super::repo;
use super::signature::{self, Grant};
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::http::{query_param, Ctx};
use crate::messages::{MEDIA_NOT_FOUND, UPLOAD_ALREADY_COMPLETED};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;
use worker::ByteStream;

const INVALID_SIGNATURE: &str = "Invalid upload signature";

/// The grant an upload URL's query states, and its signature, if it is whole.
fn grant_of<'a>(url: &str, id: &'a str) -> Option<(Grant<'a>, String, String)> {
    let content_type = query_param(url, "type")?;
    let grant = Grant {
        id,
        size: query_param(url, "size")?.parse().ok()?,
        content_type: "",
        expires: query_param(url, "expires")?.parse().ok()?,
    };
    Some((grant, content_type, query_param(url, "signature")?))
}

/// [`admit`]; refused before a byte was read, the body is read and dropped
/// first, so the connection stays usable (see `http::drain`).
pub(crate) async fn admit_or_drain(cx: &mut Ctx, id: &str) -> ApiResult<(ImageType, u64)> {
    let admitted = admit(cx, id).await;
    if admitted.is_err() {
        crate::http::drain_body(&mut cx.req).await;
    }
    admitted
}

/// The checks of a signed `PUT` before its body is read: the signature and
/// its expiry, the content type, the declared length, and a pending row.
/// The image type and the granted size.
async fn admit(cx: &Ctx, id: &str) -> ApiResult<(ImageType, u64)> {
    let forbidden = || ApiError::forbidden(INVALID_SIGNATURE);
    let url = cx.req.inner().url();
    let (grant, granted_type, sig) = grant_of(&url, id).ok_or_else(forbidden)?;
    let grant = Grant {
        content_type: &granted_type,
        ..grant
    };
    if !signature::verify(&cx.config.secret_key, &grant, &sig, now_secs()) {
        return Err(forbidden());
    }
    let image = ImageType::from_content_type(&granted_type).ok_or_else(forbidden)?;
    let sent_type = cx.header("Content-Type").unwrap_or_default();
    if ImageType::from_content_type(&sent_type) != Some(image) {
        return Err(ApiError::bad_request(format!(
            "Content-Type {sent_type:?} is not the {granted_type} declared for this upload"
        )));
    }
    let size = grant.size;
    let length = cx
        .header("Content-Length")
        .and_then(|l| l.trim().parse::<u64>().ok());
    if length.is_some_and(|l| l > size) {
        return Err(ApiError::bad_request(format!(
            "The body has more bytes than the {size} declared for this upload"
        )));
    }
    let mut b = cx.db.batch();
    let pending = repo::find_pending(&mut b, id)?;
    let r = b.run().await?;
    match r.first(pending)?.map(|p| p.status) {
        None => return Err(ApiError::not_found(MEDIA_NOT_FOUND)),
        Some(s) if s == "pending" => {}
        Some(s) if s == "orphaned" => return Err(forbidden()),
        Some(_) => return Err(ApiError::conflict(UPLOAD_ALREADY_COMPLETED)),
    }
    Ok((image, size))
}

/// What the bytes of an upload showed as they went by.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) bytes: u64,
    pub(crate) hash: Sha256,
    /// The start of the file, for the signature and the header.
    start: Vec<u8>,
    /// Why the bytes were refused, if they were.
    refused: Option<String>,
}

impl Seen {
    /// Why the stream was refused, or came short of the declared `size`.
    pub(crate) fn short_of(&self, size: u64) -> Option<String> {
        if let Some(why) = &self.refused {
            return Some(why.clone());
        }
        (self.bytes < size).then(|| {
            format!(
                "The body has {} bytes, fewer than the {size} declared for this upload",
                self.bytes
            )
        })
    }

    /// The image's width and height from its header, or why the file is refused.
    pub(crate) fn dimensions(&self, image: ImageType) -> Result<(i64, i64), String> {
        if ImageType::sniff(&self.start) != Some(image) {
            return Err(format!("The file is not a {} image", image.name()));
        }
        let (w, h) = image.dimensions(&self.start).ok_or_else(|| {
            format!(
                "The {} image's header gives no width and height",
                image.name()
            )
        })?;
        Ok((i64::from(w), i64::from(h)))
    }
}

/// The request body as it streams into R2, checked chunk by chunk: no more
/// than the declared `size`, and an `image` signature once its first bytes
/// are in. A refusal ends the stream (R2's put fails); what went by is in the
/// returned [`Seen`].
pub(crate) fn watch(
    body: ByteStream,
    size: u64,
    image: ImageType,
) -> (
    impl futures_util::Stream<Item = worker::Result<Vec<u8>>>,
    Rc<RefCell<Seen>>,
) {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let watch = seen.clone();
    let checked = body.map(move |chunk| {
        let chunk = chunk?;
        let mut s = watch.borrow_mut();
        s.bytes += chunk.len() as u64;
        if s.bytes > size {
            let why = format!("The body has more bytes than the {size} declared for this upload");
            s.refused = Some(why.clone());
            return Err(worker::Error::RustError(why));
        }
        s.hash.update(&chunk);
        let before = s.start.len();
        if before < HEADER_BYTES {
            let take = chunk.len().min(HEADER_BYTES - before);
            s.start.extend_from_slice(&chunk[..take]);
        }
        let known = before >= SIGNATURE_BYTES.min(size as usize);
        let now_known = s.start.len() >= SIGNATURE_BYTES.min(size as usize);
        if !known && now_known && ImageType::sniff(&s.start) != Some(image) {
            let why = format!("The file is not a {} image", image.name());
            s.refused = Some(why.clone());
            return Err(worker::Error::RustError(why));
        }
        Ok(chunk)
    });
    (checked, seen)
}
