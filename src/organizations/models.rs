//! Organizations: the stored row, the public shapes and the request bodies.

use super::media::{parse_avatar, MediaInput, MediaResource};
use crate::db::json_flag;
use crate::http::input::Body;
use crate::validation::{boolean, integer, name, string, uuid, Fail, Patch, Validator};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

pub(crate) use crate::identity::organization::{find, OrganizationRow, ORG_FROM};

pub(crate) const NAME_MAX: usize = 255;
pub(crate) const DESCRIPTION_MAX: usize = 1000;
pub(crate) const DEFAULT_REWORK_AVAILABLE: i64 = 2;

impl OrganizationRow {
    pub(crate) fn avatar(&self) -> Option<MediaResource> {
        Some(MediaResource {
            id: self.avatar_media_id.clone()?,
            created_at: self.m_created_at.clone()?,
            url: self.m_url.clone()?,
            resource_type: self.m_resource_type.clone()?,
            content_hash: self.m_content_hash.clone().unwrap_or_default(),
            extension: self.m_extension.clone().unwrap_or_default(),
            file_size: self.m_file_size.unwrap_or(0),
            width: self.m_width,
            height: self.m_height,
            duration: self.m_duration,
            aspect_ratio: self.m_aspect_ratio,
            orientation: self.m_orientation.clone(),
            alt_text: self.m_alt_text.clone(),
            caption: self.m_caption.clone(),
            color_profile: self.m_color_profile.clone(),
            dominant_color: self.m_dominant_color.clone(),
            protected: self.m_protected.unwrap_or(0) != 0,
        })
    }
}

/// `OrganizationPublic`, as SQLite builds it from an organization joined with
/// its avatar (`o`, `m`: [`ORG_FROM`]); lists pass it through. The avatar's two
/// numbers come from their `*_json` columns, written by the worker (serde's
/// shortest round trip), where SQLite's printing can differ in a 17th digit.
pub(crate) const ORG_JSON: &str = concat!(
    "json_object('id', o.id, 'created_at', o.created_at, 'updated_at', o.updated_at, ",
    "'name', o.name, 'avatar_image_url', iif(m.id is null, '', m.url), ",
    "'avatar_image_media', json(iif(m.id is null, null, json_object('id', m.id, ",
    "'created_at', m.created_at, 'url', m.url, 'resource_type', m.resource_type, ",
    "'content_hash', coalesce(m.content_hash, ''), 'extension', coalesce(m.extension, ''), ",
    "'file_size', coalesce(m.file_size, 0), 'width', m.width, 'height', m.height, ",
    "'duration', json(m.duration_json), 'aspect_ratio', json(m.aspect_ratio_json), ",
    "'orientation', m.orientation, 'alt_text', m.alt_text, 'caption', m.caption, ",
    "'color_profile', m.color_profile, 'dominant_color', m.dominant_color, 'protected', ",
    json_flag!("coalesce(m.protected, 0)"),
    "))), 'description', o.description, 'rework_available', o.rework_available, ",
    "'owner_id', o.owner_id, 'require_mfa', ",
    json_flag!("o.require_mfa"),
    ") as json"
);

/// `OrganizationPublic`.
#[derive(Debug, Serialize)]
pub(crate) struct OrganizationPublic {
    pub(crate) id: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) name: String,
    pub(crate) avatar_image_url: String,
    pub(crate) avatar_image_media: Option<MediaResource>,
    pub(crate) description: Option<String>,
    pub(crate) rework_available: i64,
    pub(crate) owner_id: String,
    pub(crate) require_mfa: bool,
}

impl From<OrganizationRow> for OrganizationPublic {
    fn from(o: OrganizationRow) -> Self {
        let media = o.avatar();
        OrganizationPublic {
            avatar_image_url: media.as_ref().map(|m| m.url.clone()).unwrap_or_default(),
            avatar_image_media: media,
            id: o.id,
            created_at: o.created_at,
            updated_at: o.updated_at,
            name: o.name,
            description: o.description,
            rework_available: o.rework_available,
            require_mfa: o.require_mfa != 0,
            owner_id: o.owner_id,
        }
    }
}

fn avatar_field(v: &mut Validator, b: &Map<String, Value>, required: bool) -> Patch<MediaInput> {
    match b.get("avatar_image") {
        None if required => {
            v.body_field_error(
                "avatar_image",
                Value::Object(b.clone()),
                Fail::new("missing", "Field required"),
            );
            Patch::Absent
        }
        None => Patch::Absent,
        Some(Value::Null) if !required => Patch::Null,
        Some(value) => match parse_avatar(v, value) {
            Some(m) => Patch::Set(m),
            None => Patch::Absent,
        },
    }
}

/// `OrganizationCreate`.
#[derive(Debug)]
pub(crate) struct OrganizationCreate {
    pub(crate) name: String,
    pub(crate) avatar: MediaInput,
    pub(crate) description: Option<String>,
    pub(crate) rework_available: Option<i64>,
}

impl Body for OrganizationCreate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let name = v.required(b, "name", name(Some(NAME_MAX)));
        let avatar = avatar_field(v, b, true);
        let description = v.nullable(b, "description", string(None, Some(DESCRIPTION_MAX)));
        let rework_available = v.nullable(b, "rework_available", integer);
        Some(OrganizationCreate {
            name: name?,
            avatar: avatar.value()?,
            description: description.value(),
            rework_available: rework_available.value(),
        })
    }
}

/// `OrganizationUpdate`: only the keys present change.
#[derive(Debug)]
pub(crate) struct OrganizationUpdate {
    pub(crate) name: Option<String>,
    pub(crate) avatar: Option<MediaInput>,
    pub(crate) description: Patch<String>,
    pub(crate) rework_available: Option<i64>,
    pub(crate) owner_id: Option<Uuid>,
    pub(crate) require_mfa: Option<bool>,
}

impl Body for OrganizationUpdate {
    /// A transfer names the new owner: the access check loads them.
    fn subject(&self) -> Option<Uuid> {
        self.owner_id
    }

    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let name = v.nullable(b, "name", name(Some(NAME_MAX)));
        let avatar = avatar_field(v, b, false);
        let description = v.nullable(b, "description", string(None, Some(DESCRIPTION_MAX)));
        let rework_available = v.nullable(b, "rework_available", integer);
        let owner_id = v.nullable(b, "owner_id", uuid);
        let require_mfa = v.nullable(b, "require_mfa", boolean);
        Some(OrganizationUpdate {
            name: name.value(),
            avatar: avatar.value(),
            description,
            rework_available: rework_available.value(),
            owner_id: owner_id.value(),
            require_mfa: require_mfa.value(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors<T>(f: fn(&mut Validator, &Map<String, Value>) -> Option<T>, body: Value) -> Value {
        let mut v = Validator::new();
        f(&mut v, body.as_object().unwrap());
        match v.finish() {
            Err(e) => e.body()["detail"].clone(),
            Ok(()) => json!([]),
        }
    }

    #[test]
    fn name_and_avatar_are_required_to_create() {
        let d = errors(OrganizationCreate::parse, json!({}));
        assert_eq!(d[0]["loc"], json!(["body", "name"]));
        assert_eq!(d[1]["loc"], json!(["body", "avatar_image"]));
    }

    #[test]
    fn a_non_http_avatar_is_refused_on_avatar_image() {
        let d = errors(
            OrganizationCreate::parse,
            json!({"name": "n", "avatar_image": "ftp://x.com/a.png"}),
        );
        assert_eq!(d[0]["loc"], json!(["body", "avatar_image"]));
        assert_eq!(d[0]["type"], "value_error");
        let d = errors(
            OrganizationCreate::parse,
            json!({"name": "n", "avatar_image": 5}),
        );
        assert_eq!(d[0]["loc"], json!(["body", "avatar_image"]));
    }

    #[test]
    fn long_names_and_descriptions_are_refused() {
        let d = errors(
            OrganizationCreate::parse,
            json!({"name": "x".repeat(256), "avatar_image": "https://x.com/a.png", "description": "d".repeat(1001)}),
        );
        assert_eq!(d[0]["type"], "string_too_long");
        assert_eq!(d[1]["ctx"], json!({"max_length": 1000}));
    }
}
