//! The checks of a signed upload `PUT`, before its body is read: what the
//! handler (`routes::upload_file`) asks before it streams anything into R2.

use super::image::ImageType;
use super::repo;
use super::signature::{self, Grant};
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::http::{query_param, Ctx};

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

/// The checks of a signed `PUT` before its body is read: the signature and
/// its expiry, the content type, the declared length, and a pending row.
/// The image type and the granted size.
pub(crate) async fn admit(cx: &Ctx, id: &str) -> ApiResult<(ImageType, u64)> {
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
        None => return Err(ApiError::not_found("Media resource not found")),
        Some(s) if s == "pending" => {}
        Some(s) if s == "orphaned" => return Err(forbidden()),
        Some(_) => return Err(ApiError::conflict("Upload already completed")),
    }
    Ok((image, size))
}
