//! SQL for `organizations` and their avatar `media_resources`. Every function
//! for an organization's data takes its id first and puts it in the WHERE clause.

use super::media::MediaResource;
use super::models::OrganizationRow;
use crate::db::{page_and_count, rows, Db, DbError};
use crate::error::{ApiError, ApiResult};
use crate::resources::RESOURCE_TABLES;
use crate::users::repo::like_pattern;
use crate::validation::Patch;
use worker::D1PreparedStatement;

/// An organization with its avatar flattened into `m_*` columns.
pub const ORG_SELECT: &str = "select o.id, o.name, o.description, o.rework_available, o.owner_id, \
     o.created_at, o.updated_at, o.avatar_media_id, m.created_at as m_created_at, m.url as m_url, \
     m.resource_type as m_resource_type, m.content_hash as m_content_hash, m.extension as m_extension, \
     m.file_size as m_file_size, m.width as m_width, m.height as m_height, m.duration as m_duration, \
     m.aspect_ratio as m_aspect_ratio, m.orientation as m_orientation, m.alt_text as m_alt_text, \
     m.caption as m_caption, m.color_profile as m_color_profile, m.dominant_color as m_dominant_color, \
     m.protected as m_protected \
     from organizations o left join media_resources m on m.id = o.avatar_media_id";

/// The statement that reads one organization (for a batch).
pub fn select_organization(db: &Db, org_id: &str) -> Result<D1PreparedStatement, DbError> {
    db.stmt(&format!("{ORG_SELECT} where o.id = ?1"), &[org_id.into()])
}

fn insert_media(db: &Db, m: &MediaResource) -> Result<D1PreparedStatement, DbError> {
    db.stmt(
        "insert into media_resources (id, url, resource_type, content_hash, extension, file_size, width, \
         height, duration, aspect_ratio, orientation, alt_text, caption, color_profile, dominant_color, \
         protected, created_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        &[
            (&m.id).into(),
            (&m.url).into(),
            (&m.resource_type).into(),
            (&m.content_hash).into(),
            (&m.extension).into(),
            m.file_size.into(),
            m.width.into(),
            m.height.into(),
            m.duration.into(),
            m.aspect_ratio.into(),
            m.orientation.as_deref().into(),
            m.alt_text.as_deref().into(),
            m.caption.as_deref().into(),
            m.color_profile.as_deref().into(),
            m.dominant_color.as_deref().into(),
            m.protected.into(),
            (&m.created_at).into(),
        ],
    )
}

pub struct NewOrganization<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub rework_available: i64,
    pub owner_id: &'a str,
    pub now: &'a str,
}

/// Creates the avatar, the organization and the owner's membership in one batch:
/// neither the organization nor the membership exists without the other.
pub async fn create_organization(
    db: &Db,
    org: &NewOrganization<'_>,
    avatar: &MediaResource,
) -> ApiResult<OrganizationRow> {
    let insert_org = db.stmt(
        "insert into organizations (id, name, description, rework_available, owner_id, avatar_media_id, \
         created_at, updated_at) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        &[
            org.id.into(),
            org.name.into(),
            org.description.into(),
            org.rework_available.into(),
            org.owner_id.into(),
            (&avatar.id).into(),
            org.now.into(),
        ],
    )?;
    let insert_owner = db.stmt(
        "insert into organization_members (organization_id, user_id, joined_at) values (?1, ?2, ?3)",
        &[org.id.into(), org.owner_id.into(), org.now.into()],
    )?;
    let results = db
        .batch(vec![
            insert_media(db, avatar)?,
            insert_org,
            insert_owner,
            select_organization(db, org.id)?,
        ])
        .await?;
    one_row(&results[3])
}

fn one_row(result: &worker::D1Result) -> ApiResult<OrganizationRow> {
    rows::<OrganizationRow>(result)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("organization row missing after write"))
}

/// One page of the organizations `caller_id` may see (superusers: all; others:
/// those they belong to), newest first, and the number of all matches, as two
/// statements for the caller's batch ([`list_organizations_from`] reads them).
pub fn list_organizations_statements(
    db: &Db,
    caller_id: &str,
    skip: i64,
    limit: i64,
    search: Option<&str>,
) -> Result<Vec<D1PreparedStatement>, DbError> {
    let pattern = search.map(like_pattern);
    let filter = "((select is_superuser from users where id = ?1) = 1 \
                  or o.id in (select organization_id from organization_members where user_id = ?1)) \
                  and (?2 is null or o.name like ?2 escape '\\')";
    Ok(vec![
        db.stmt(
            &format!("{ORG_SELECT} where {filter} order by o.created_at desc, o.rowid desc limit ?3 offset ?4"),
            &[caller_id.into(), pattern.as_deref().into(), limit.into(), skip.into()],
        )?,
        db.stmt(
            &format!("select count(*) as count from organizations o where {filter}"),
            &[caller_id.into(), pattern.as_deref().into()],
        )?,
    ])
}

pub fn list_organizations_from(
    results: &[worker::D1Result],
) -> ApiResult<(Vec<OrganizationRow>, i64)> {
    page_and_count(&results[0], &results[1])
}

/// What an update changes; `None` / `Patch::Absent` leaves a column as it is.
pub struct OrganizationChanges<'a> {
    pub name: Option<&'a str>,
    pub description: &'a Patch<String>,
    pub rework_available: Option<i64>,
    pub owner_id: Option<&'a str>,
    /// A new avatar replaces the old row, which is deleted in the same batch.
    pub avatar: Option<(&'a MediaResource, Option<&'a str>)>,
    pub now: &'a str,
}

/// What became of an update.
pub enum UpdateOutcome {
    Updated(Box<OrganizationRow>),
    /// The new owner was not a member when the batch ran (removed meanwhile):
    /// nothing changed.
    NewOwnerNotMember,
    /// The organization was deleted meanwhile.
    Gone,
}

/// Applies `changes` in one batch. A transfer of ownership applies only if the
/// new owner is a member at that moment, checked inside the UPDATE itself, so a
/// concurrent removal can never leave an owner who is not a member; if it does
/// not apply, nothing does (the new avatar row is dropped again in the batch).
pub async fn update_organization(
    db: &Db,
    org_id: &str,
    c: &OrganizationChanges<'_>,
) -> ApiResult<UpdateOutcome> {
    let (set_description, description) = match c.description {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Set(s) => (true, Some(s.as_str())),
    };
    let mut stmts = Vec::new();
    if let Some((media, _)) = c.avatar {
        stmts.push(insert_media(db, media)?);
    }
    let update_index = stmts.len();
    stmts.push(db.stmt(
        "update organizations set name = coalesce(?2, name), \
           description = case when ?3 then ?4 else description end, \
           rework_available = coalesce(?5, rework_available), owner_id = coalesce(?6, owner_id), \
           avatar_media_id = coalesce(?7, avatar_media_id), updated_at = ?8 \
         where id = ?1 and (?6 is null or exists \
           (select 1 from organization_members where organization_id = ?1 and user_id = ?6))",
        &[
            org_id.into(),
            c.name.into(),
            set_description.into(),
            description.into(),
            c.rework_available.into(),
            c.owner_id.into(),
            c.avatar.map(|(m, _)| m.id.as_str()).into(),
            c.now.into(),
        ],
    )?);
    if let Some((new, old)) = c.avatar {
        // Whichever avatar row no organization points at any more goes.
        for id in std::iter::once(new.id.as_str()).chain(old) {
            stmts.push(db.stmt(
                "delete from media_resources where id = ?1 \
                 and not exists (select 1 from organizations where avatar_media_id = ?1)",
                &[id.into()],
            )?);
        }
    }
    stmts.push(select_organization(db, org_id)?);
    let results = db.batch(stmts).await?;
    let row = rows::<OrganizationRow>(&results[results.len() - 1])?
        .into_iter()
        .next();
    Ok(match row {
        None => UpdateOutcome::Gone,
        Some(_) if crate::db::changes(&results[update_index]) == 0 => {
            UpdateOutcome::NewOwnerNotMember
        }
        Some(row) => UpdateOutcome::Updated(Box::new(row)),
    })
}

/// Deletes an organization in one batch: its resources return to their creators'
/// personal scope, its memberships and its avatar go with it.
pub async fn delete_organization(db: &Db, org_id: &str, avatar_id: Option<&str>) -> ApiResult<()> {
    let mut stmts = Vec::new();
    for table in RESOURCE_TABLES {
        stmts.push(db.stmt(
            &format!("update {table} set organization_id = null where organization_id = ?1"),
            &[org_id.into()],
        )?);
    }
    stmts.push(db.stmt(
        "delete from organization_members where organization_id = ?1",
        &[org_id.into()],
    )?);
    stmts.push(db.stmt("delete from organizations where id = ?1", &[org_id.into()])?);
    if let Some(avatar) = avatar_id {
        stmts.push(db.stmt(
            "delete from media_resources where id = ?1",
            &[avatar.into()],
        )?);
    }
    db.batch(stmts).await?;
    Ok(())
}
