//! Avatar images: a URL string or a `MediaInput`, stored as a `media_resources`
//! row and answered as `MediaResourcePublic`.

use crate::db::from_row;
use crate::error::{ApiError, ApiResult};
use crate::messages::MEDIA_NOT_FOUND;
use crate::validation::{boolean, integer, number, string, uuid, Fail, Patch, Validator};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const UPLOAD_NOT_COMPLETED: &str = "Upload not completed";

/// An avatar as the client sent it, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MediaInput {
    /// The image's URL; empty when `upload` names an uploaded file instead.
    pub(crate) url: String,
    /// `media_resource_id`: one of the caller's uploads (`/uploads/presigned-url`).
    pub(crate) upload: Option<String>,
    pub(crate) width: Option<i64>,
    pub(crate) height: Option<i64>,
    pub(crate) duration: Option<f64>,
    pub(crate) alt_text: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) color_profile: Option<String>,
    pub(crate) dominant_color: Option<String>,
    pub(crate) protected: bool,
}

fn url_error() -> Fail {
    Fail {
        kind: "value_error",
        msg: "Value error, avatar_image must be an http or https URL".into(),
        ctx: Some(json!({"error": "avatar_image must be an http or https URL"})),
    }
}

/// Only absolute http(s) URLs with a host are accepted.
pub(crate) fn is_http_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()) && s.len() <= 2048
}

/// Parses `avatar_image` (already known to be present and not null).
pub(crate) fn parse_avatar(v: &mut Validator, value: &Value) -> Option<MediaInput> {
    let loc = |field: Option<&str>| {
        let mut l = vec!["body".into(), "avatar_image".into()];
        if let Some(f) = field {
            l.push(f.into());
        }
        l
    };
    match value {
        Value::String(s) if is_http_url(s) => Some(MediaInput {
            url: s.clone(),
            ..MediaInput::default()
        }),
        Value::Object(map) => parse_media_object(v, map, &loc),
        other => {
            let fail = if other.is_string() {
                url_error()
            } else {
                Fail {
                    kind: "model_attributes_type",
                    msg: "Input should be a valid URL string or a MediaInput object".into(),
                    ctx: None,
                }
            };
            v.push(loc(None), other.clone(), fail);
            None
        }
    }
}

/// Long: one check per field of the media object, in pydantic's order (the
/// 422's items come out in that order), kept together so the order shows.
fn parse_media_object(
    v: &mut Validator,
    m: &Map<String, Value>,
    loc: &dyn Fn(Option<&str>) -> Vec<crate::error::Loc>,
) -> Option<MediaInput> {
    let mut field = |name: &str, conv: &dyn Fn(&Value) -> Result<Value, Fail>| -> Patch<Value> {
        match m.get(name) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(x) => match conv(x) {
                Ok(ok) => Patch::Set(ok),
                Err(fail) => {
                    v.push(loc(Some(name)), x.clone(), fail);
                    Patch::Absent
                }
            },
        }
    };
    let text = |x: &Value| string(None, Some(2048))(x).map(Value::String);
    let url = field("url", &|x| {
        let s = string(None, None)(x)?;
        if is_http_url(&s) {
            Ok(Value::String(s))
        } else {
            Err(url_error())
        }
    });
    let upload = field("media_resource_id", &|x| {
        uuid(x).map(|u| json!(crate::ids::id_text(&u)))
    });
    let width = field("width", &|x| integer(x).map(Value::from));
    let height = field("height", &|x| integer(x).map(Value::from));
    let duration = field("duration", &|x| number(x).map(Value::from));
    let alt_text = field("alt_text", &text);
    let caption = field("caption", &text);
    let color_profile = field("color_profile", &text);
    let dominant_color = field("dominant_color", &text);
    let protected = match m.get("protected") {
        None => Some(false),
        Some(x) => match boolean(x) {
            Ok(b) => Some(b),
            Err(fail) => {
                v.push(loc(Some("protected")), x.clone(), fail);
                None
            }
        },
    };
    let upload = match upload {
        Patch::Set(Value::String(id)) => Some(id),
        Patch::Absent if m.get("media_resource_id").is_some_and(|x| !x.is_null()) => {
            return None; // refused above
        }
        _ => None,
    };
    let url = match (url, &upload) {
        // an upload names the image: a URL beside it is not used
        (_, Some(_)) => Patch::Set(Value::String(String::new())),
        (url, None) => url,
    };
    let Patch::Set(Value::String(url)) = url else {
        if !m.contains_key("url") || m.get("url") == Some(&Value::Null) {
            v.push(
                loc(Some("url")),
                Value::Object(m.clone()),
                Fail {
                    kind: "missing",
                    msg: "Field required".into(),
                    ctx: None,
                },
            );
        }
        return None;
    };
    let s = |p: Patch<Value>| p.value().and_then(|x| x.as_str().map(str::to_string));
    Some(MediaInput {
        url,
        upload,
        width: width.value().and_then(|x| x.as_i64()),
        height: height.value().and_then(|x| x.as_i64()),
        duration: duration.value().and_then(|x| x.as_f64()),
        alt_text: s(alt_text),
        caption: s(caption),
        color_profile: s(color_profile),
        dominant_color: s(dominant_color),
        protected: protected?,
    })
}

/// A `media_resources` row; also the shape of `MediaResourcePublic`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct MediaResource {
    pub(crate) id: String,
    pub(crate) created_at: String,
    pub(crate) url: String,
    pub(crate) resource_type: String,
    pub(crate) content_hash: String,
    pub(crate) extension: String,
    pub(crate) file_size: i64,
    pub(crate) width: Option<i64>,
    pub(crate) height: Option<i64>,
    pub(crate) duration: Option<f64>,
    pub(crate) aspect_ratio: Option<f64>,
    pub(crate) orientation: Option<String>,
    pub(crate) alt_text: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) color_profile: Option<String>,
    pub(crate) dominant_color: Option<String>,
    /// Stored as 0 or 1.
    pub(crate) protected: bool,
}
from_row!(MediaResource {
    id,
    created_at,
    url,
    resource_type,
    content_hash,
    extension,
    file_size,
    width,
    height,
    duration,
    aspect_ratio,
    orientation,
    alt_text,
    caption,
    color_profile,
    dominant_color,
    protected
});

/// The extension of the URL's path, lower-cased (`""` when there is none).
pub(crate) fn extension_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let after_host = path.splitn(4, '/').nth(3).unwrap_or("");
    let last = after_host.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 10
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            ext.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

fn resource_type_of(ext: &str) -> &'static str {
    match ext {
        "mp4" | "mov" | "webm" | "mkv" | "avi" | "m4v" => "video",
        "mp3" | "wav" | "ogg" | "flac" | "m4a" | "aac" => "audio",
        "pdf" | "doc" | "docx" | "txt" | "csv" | "xls" | "xlsx" | "ppt" | "pptx" => "document",
        _ => "image",
    }
}

/// A media number as its JSON (serde's shortest round trip), for the
/// `*_json` column beside it that organization lists read.
pub(crate) fn number_json(x: Option<f64>) -> Option<String> {
    x.and_then(|x| serde_json::to_string(&x).ok())
}

/// The aspect ratio and orientation of an image `width` × `height`, if known.
pub(crate) fn shape(width: Option<i64>, height: Option<i64>) -> (Option<f64>, Option<String>) {
    match (width, height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            let o = match w.cmp(&h) {
                std::cmp::Ordering::Greater => "landscape",
                std::cmp::Ordering::Less => "portrait",
                std::cmp::Ordering::Equal => "square",
            };
            (Some(w as f64 / h as f64), Some(o.to_string()))
        }
        _ => (None, None),
    }
}

/// Where an upload's row stands, and whose it is.
#[derive(Debug)]
pub(crate) struct MediaState {
    pub(crate) owner_id: Option<String>,
    /// `pending`, `uploaded`, `attached` or `orphaned` (migration 0013).
    pub(crate) status: String,
}
from_row!(MediaState { owner_id, status });

/// An avatar to store: a new row for a URL, or one of the caller's uploads,
/// whose row exists and is attached.
#[derive(Debug, Clone)]
pub(crate) struct Avatar {
    pub(crate) media: MediaResource,
    pub(crate) uploaded: bool,
}

impl Avatar {
    /// The avatar `input` names: for a URL a new row; for an upload the row
    /// `found` with the access check (the caller's, or any for a superuser),
    /// with the descriptions the input gives.
    pub(crate) fn of(
        input: &MediaInput,
        found: Option<(MediaResource, MediaState)>,
        caller_id: &str,
        superuser: bool,
        now: &str,
    ) -> ApiResult<Avatar> {
        if input.upload.is_none() {
            return Ok(Avatar {
                media: MediaResource::from_input(input, crate::ids::new_id(), now),
                uploaded: false,
            });
        }
        let not_found = || ApiError::not_found(MEDIA_NOT_FOUND);
        let (mut media, state) = found.ok_or_else(not_found)?;
        if !superuser && state.owner_id.as_deref() != Some(caller_id) {
            return Err(not_found());
        }
        match state.status.as_str() {
            "uploaded" | "attached" => {}
            "pending" => return Err(ApiError::bad_request(UPLOAD_NOT_COMPLETED)),
            _ => return Err(not_found()),
        }
        let keep = |new: &Option<String>, old: &mut Option<String>| {
            if new.is_some() {
                old.clone_from(new);
            }
        };
        keep(&input.alt_text, &mut media.alt_text);
        keep(&input.caption, &mut media.caption);
        keep(&input.color_profile, &mut media.color_profile);
        keep(&input.dominant_color, &mut media.dominant_color);
        media.protected = input.protected;
        Ok(Avatar {
            media,
            uploaded: true,
        })
    }
}

impl MediaResource {
    /// The row to store for `input`, with what can be derived from it.
    pub(crate) fn from_input(input: &MediaInput, id: String, now: &str) -> MediaResource {
        let extension = extension_of(&input.url);
        let (aspect_ratio, orientation) = shape(input.width, input.height);
        let hash = Sha256::digest(input.url.as_bytes());
        MediaResource {
            id,
            created_at: now.to_string(),
            url: input.url.clone(),
            resource_type: resource_type_of(&extension).to_string(),
            content_hash: crate::ids::hex(&hash),
            extension,
            file_size: 0,
            width: input.width,
            height: input.height,
            duration: input.duration,
            aspect_ratio,
            orientation,
            alt_text: input.alt_text.clone(),
            caption: input.caption.clone(),
            color_profile: input.color_profile.clone(),
            dominant_color: input.dominant_color.clone(),
            protected: input.protected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_are_avatars() {
        assert!(is_http_url("https://cdn.example.com/a.png"));
        assert!(is_http_url("HTTP://example.com"));
        for bad in [
            "ftp://example.com/a.png",
            "javascript:alert(1)",
            "https://",
            "/relative.png",
            "https://exa mple.com",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn extensions_and_types_are_derived_from_the_url_path() {
        assert_eq!(extension_of("https://x.com/a/b.PNG?sig=1.2"), "png");
        assert_eq!(extension_of("https://x.com/a/b"), "");
        assert_eq!(extension_of("https://x.com"), "");
        let m = MediaResource::from_input(
            &MediaInput {
                url: "https://x.com/v.mp4".into(),
                width: Some(1920),
                height: Some(1080),
                ..MediaInput::default()
            },
            "id".into(),
            "now",
        );
        assert_eq!(
            (m.resource_type.as_str(), m.orientation.as_deref()),
            ("video", Some("landscape"))
        );
        assert_eq!(m.content_hash.len(), 64);
    }

    #[test]
    fn a_media_object_without_url_is_refused() {
        let mut v = Validator::new();
        assert_eq!(parse_avatar(&mut v, &json!({"width": 3})), None);
        let body = v.finish().unwrap_err().body();
        assert_eq!(
            body["detail"][0]["loc"],
            json!(["body", "avatar_image", "url"])
        );
    }
}
