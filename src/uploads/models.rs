//! `PresignedUploadRequest` / `PresignedUpload`, and the media path parameter.

use super::image::ImageType;
use crate::error::ApiResult;
use crate::http::input::{Body, Input, Target};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::validation::{integer, string, Fail, Validator};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The longest file name kept (it names the download).
pub(crate) const MAX_FILENAME: usize = 255;

/// `POST /uploads/presigned-url`'s body.
#[derive(Debug)]
pub(crate) struct PresignedUploadRequest {
    pub(crate) filename: String,
    pub(crate) image: ImageType,
    pub(crate) size: u64,
}

fn image_type(v: &Value) -> Result<ImageType, Fail> {
    let s = string(None, None)(v)?;
    ImageType::from_content_type(&s).ok_or_else(|| {
        Fail::new(
            "literal_error",
            "Input should be 'image/png', 'image/jpeg', 'image/webp' or 'image/gif'",
        )
        .with_ctx(json!({"expected": "'image/png', 'image/jpeg', 'image/webp' or 'image/gif'"}))
    })
}

fn resource_type(v: &Value) -> Result<(), Fail> {
    match v {
        Value::String(s) if s == "image" => Ok(()),
        _ => Err(Fail::new("literal_error", "Input should be 'image'")
            .with_ctx(json!({"expected": "'image'"}))),
    }
}

impl Body for PresignedUploadRequest {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let filename = v.required(b, "filename", string(Some(1), Some(MAX_FILENAME)));
        let image = v.required(b, "content_type", image_type);
        let size = v.required(b, "size", |x| {
            let n = integer(x)?;
            crate::validation::check_bounds(n, Some(1), None).map(|n| n as u64)
        });
        let kind = v.defaulted(b, "resource_type", (), resource_type);
        kind?;
        Some(PresignedUploadRequest {
            filename: filename?,
            image: image?,
            size: size?,
        })
    }
}

/// `PresignedUpload`: where and how to send the file, and where it will be.
#[derive(Debug, Serialize)]
pub(crate) struct PresignedUpload {
    pub(crate) media_resource_id: String,
    pub(crate) upload_url: String,
    pub(crate) method: &'static str,
    /// The headers the PUT must carry.
    pub(crate) headers: Map<String, Value>,
    /// Where the file is served once uploaded (`GET /media/{id}`).
    pub(crate) url: String,
    pub(crate) expires_at: String,
}

/// `{media_resource_id}` in the path.
pub(crate) struct MediaPath(pub(crate) String);

impl Input for MediaPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let name = "media_resource_id";
        Ok(v.path_uuid(name, cx.param(name))
            .map(|id| MediaPath(id_text(&id))))
    }
    fn target(&self, _: &mut Target) {}
}
