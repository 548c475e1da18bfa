//! The `organizations` row, joined with its avatar: what the organization
//! levels' check reads (in the caller's batch) and what the organization
//! feature shows (its public shape and avatar are `organizations::models`'s).
//! Below `access`, with the caller's own rows.

use crate::db::{from_row, Batch, DbResult, Rows};

/// An `organizations` row joined with its avatar (`m_*` columns, null without one).
#[derive(Debug, Clone)]
pub(crate) struct OrganizationRow {
    /// Raised by every write that changes what the API shows; in the ETag.
    pub(crate) version: i64,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) rework_available: i64,
    pub(crate) owner_id: String,
    /// 1: members must have MFA on to act on it (extensions M).
    pub(crate) require_mfa: i64,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) avatar_media_id: Option<String>,
    pub(crate) m_created_at: Option<String>,
    pub(crate) m_url: Option<String>,
    pub(crate) m_resource_type: Option<String>,
    pub(crate) m_content_hash: Option<String>,
    pub(crate) m_extension: Option<String>,
    pub(crate) m_file_size: Option<i64>,
    pub(crate) m_width: Option<i64>,
    pub(crate) m_height: Option<i64>,
    pub(crate) m_duration: Option<f64>,
    pub(crate) m_aspect_ratio: Option<f64>,
    pub(crate) m_orientation: Option<String>,
    pub(crate) m_alt_text: Option<String>,
    pub(crate) m_caption: Option<String>,
    pub(crate) m_color_profile: Option<String>,
    pub(crate) m_dominant_color: Option<String>,
    pub(crate) m_protected: Option<i64>,
}
from_row!(OrganizationRow {
    version,
    id,
    name,
    description,
    rework_available,
    owner_id,
    require_mfa,
    created_at,
    updated_at,
    avatar_media_id,
    m_created_at,
    m_url,
    m_resource_type,
    m_content_hash,
    m_extension,
    m_file_size,
    m_width,
    m_height,
    m_duration,
    m_aspect_ratio,
    m_orientation,
    m_alt_text,
    m_caption,
    m_color_profile,
    m_dominant_color,
    m_protected
});

/// An organization with its avatar flattened into `m_*` columns.
pub(crate) const ORG_COLUMNS: &str = "o.version, o.id, o.name, o.description, o.rework_available, o.owner_id, \
     o.require_mfa, o.created_at, o.updated_at, o.avatar_media_id, m.created_at as m_created_at, m.url as m_url, \
     m.resource_type as m_resource_type, m.content_hash as m_content_hash, m.extension as m_extension, \
     m.file_size as m_file_size, m.width as m_width, m.height as m_height, m.duration as m_duration, \
     m.aspect_ratio as m_aspect_ratio, m.orientation as m_orientation, m.alt_text as m_alt_text, \
     m.caption as m_caption, m.color_profile as m_color_profile, m.dominant_color as m_dominant_color, \
     m.protected as m_protected";
/// An organization with its avatar, if any.
pub(crate) const ORG_FROM: &str =
    "organizations o left join media_resources m on m.id = o.avatar_media_id";

/// One organization with its avatar (the access check reads it in the caller's batch).
pub(crate) fn find(b: &mut Batch<'_>, org_id: &str) -> DbResult<Rows<OrganizationRow>> {
    b.query(
        &format!("select {ORG_COLUMNS} from {ORG_FROM} where o.id = ?1"),
        &[org_id.into()],
    )
}
