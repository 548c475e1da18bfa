//! SQL for `organizations` and their avatar `media_resources`. Every write to
//! one organization takes the access level that allows it, and so its id.

use super::media::{Avatar, MediaResource};
use super::models::{OrganizationPublic, OrganizationRow};
use crate::access::org::{
    admin_guard, key_guard, owner_guard, permitted, OrgEditor, OrgOwner, Permitted,
};
use crate::db::from_row;
use crate::db::{Arg, Batch, DbResult, Rows, Write};
use crate::lists::{fold, ListQuery, Matcher, Order, Page, Search, Source, Walk};
use crate::resources::RESOURCE_TABLES;
use crate::validation::Patch;

use super::media::number_json;
pub(crate) use super::models::find;
use super::models::{ORG_FROM, ORG_JSON};

fn insert_media(b: &mut Batch<'_>, m: &MediaResource) -> DbResult<Write> {
    b.write(
        "insert into media_resources (id, url, resource_type, content_hash, extension, file_size, width, \
         height, duration, aspect_ratio, orientation, alt_text, caption, color_profile, dominant_color, \
         protected, created_at, duration_json, aspect_ratio_json) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
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
            number_json(m.duration).as_deref().into(),
            number_json(m.aspect_ratio).as_deref().into(),
        ],
    )
}

/// A media row as `MediaResourcePublic` shows it.
pub(crate) const MEDIA_COLUMNS: &str = "id, created_at, url, resource_type, content_hash, \
     extension, file_size, width, height, duration, aspect_ratio, orientation, alt_text, caption, \
     color_profile, dominant_color, protected";

/// Media `id`, with its owner and state (read `.same::<MediaState>()`).
pub(crate) fn find_media(b: &mut Batch<'_>, id: &str) -> DbResult<Rows<MediaResource>> {
    b.query(
        &format!("select {MEDIA_COLUMNS}, owner_id, status from media_resources where id = ?1"),
        &[id.into()],
    )
}

/// The avatar's row before the organization points at it: a URL's is
/// inserted; an upload must still be there to use when the batch runs.
fn store_avatar(b: &mut Batch<'_>, avatar: &Avatar) -> DbResult<()> {
    if avatar.uploaded {
        b.require(
            "select status in ('uploaded', 'attached') from media_resources where id = ?1",
            &[(&avatar.media.id).into()],
        )
    } else {
        insert_media(b, &avatar.media).map(|_| ())
    }
}

/// An upload an organization points at is attached (the cron run leaves it),
/// with the descriptions the request gave. `updated`: the organization and the
/// time of an update, which it waits for (that it applied, pointing at the
/// upload). A change of the descriptions raises the version of every
/// organization that shows the upload then (migration 0028).
fn attach_avatar(
    b: &mut Batch<'_>,
    avatar: &Avatar,
    updated: Option<(&str, &str)>,
) -> DbResult<()> {
    if !avatar.uploaded {
        return Ok(());
    }
    let m = &avatar.media;
    let mut args: Vec<Arg<'_>> = vec![
        (&m.id).into(),
        m.alt_text.as_deref().into(),
        m.caption.as_deref().into(),
        m.color_profile.as_deref().into(),
        m.dominant_color.as_deref().into(),
        m.protected.into(),
    ];
    let when = match updated {
        None => "",
        Some((org_id, now)) => {
            args.extend([org_id.into(), now.into()]);
            " and exists (select 1 from organizations where id = ?7 and avatar_media_id = ?1 \
               and updated_at = ?8)"
        }
    };
    let _ = b.write(
        &format!(
            "update media_resources set status = 'attached', alt_text = ?2, caption = ?3, \
             color_profile = ?4, dominant_color = ?5, protected = ?6 where id = ?1{when}"
        ),
        &args,
    )?;
    Ok(())
}

/// Media `id`, if no organization points at it any more: a URL's row goes,
/// an uploaded file's is orphaned (no longer served; the cron run deletes
/// its object from R2, then the row).
fn release_media(b: &mut Batch<'_>, id: &str) -> DbResult<()> {
    let unused = "id = ?1 and not exists (select 1 from organizations where avatar_media_id = ?1)";
    let _ = b.write(
        &format!("delete from media_resources where {unused} and object_key is null"),
        &[id.into()],
    )?;
    let _ = b.write(
        &format!(
            "update media_resources set status = 'orphaned' where {unused} \
             and object_key is not null and status = 'attached'"
        ),
        &[id.into()],
    )?;
    Ok(())
}

pub(crate) struct NewOrganization<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) description: Option<&'a str>,
    pub(crate) rework_available: i64,
    pub(crate) owner_id: &'a str,
    pub(crate) now: &'a str,
}

impl NewOrganization<'_> {
    /// The organization [`create`] writes, as the API shows it (known before
    /// the batch runs, so it can be stored with the write for an Idempotency-Key).
    pub(crate) fn public(&self, avatar: &Avatar) -> OrganizationPublic {
        let avatar = &avatar.media;
        OrganizationPublic {
            id: self.id.to_string(),
            created_at: self.now.to_string(),
            updated_at: self.now.to_string(),
            name: self.name.to_string(),
            avatar_image_url: avatar.url.clone(),
            avatar_image_media: Some(avatar.clone()),
            description: self.description.map(str::to_string),
            rework_available: self.rework_available,
            owner_id: self.owner_id.to_string(),
            require_mfa: false,
        }
    }
}

/// Creates the avatar, the organization and the owner's membership: in one
/// batch, neither the organization nor the membership exists without the other.
pub(crate) fn create(
    b: &mut Batch<'_>,
    org: &NewOrganization<'_>,
    avatar: &Avatar,
) -> DbResult<()> {
    store_avatar(b, avatar)?;
    // Before the organization points at it: the organizations that already show
    // the upload get a new version if its descriptions change, and this one starts
    // at `FIRST_VERSION`, the ETag its answer gives. If the insert fails, the batch
    // is undone whole.
    attach_avatar(b, avatar, None)?;
    let _ = b.write(
        "insert into organizations (id, name, description, rework_available, owner_id, avatar_media_id, \
         created_at, updated_at, name_key) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        &[
            org.id.into(),
            org.name.into(),
            org.description.into(),
            org.rework_available.into(),
            org.owner_id.into(),
            (&avatar.media.id).into(),
            org.now.into(),
            fold(org.name).as_str().into(),
        ],
    )?;
    let _ = b.write(
        "insert into organization_members (organization_id, user_id, joined_at, role, \
         org_created_at) values (?1, ?2, ?3, 'owner', ?3)",
        &[org.id.into(), org.owner_id.into(), org.now.into()],
    )?;
    Ok(())
}

/// One page of the organizations `caller_id` may see (superusers: all; others:
/// those they belong to), newest first, and the number of all matches, in
/// one statement whose two ways (all of them by the `organizations_created`
/// index; the caller's own by the membership index) are each read only if the
/// caller's flag says it applies. A superuser's search is a phrase of an FTS5
/// index of the folded name (the trigram index `organizations_search` from
/// three characters, the windows of `organizations_grams` below); a member's
/// search looks through the member's own organizations.
/// Long: the two ways and their counts side by side.
pub(crate) fn list(
    b: &mut Batch<'_>,
    caller_id: &str,
    page: &Page,
    search: &Search,
) -> DbResult<ListQuery> {
    const SUPERUSER: &str = "exists (select 1 from users where id = ?1 and is_superuser = 1)";
    const ALL: &str = "select value from counters where name = 'organizations'";
    let folded = search.folded();
    let matcher = Matcher::of(folded.as_deref());
    // `?1` the caller, `?2` the folded search, `?3` an index's phrase.
    let mut args: Vec<Arg<'_>> = vec![caller_id.into(), folded.as_deref().into()];
    // All of them, for a superuser: by an index's phrase, with its walk.
    let (filter, count, walk) = match &matcher {
        Matcher::All => ("1".to_string(), ALL.to_string(), None),
        Matcher::Indexed(index, phrase) => {
            args.push(phrase.as_str().into());
            let index = index.of("organizations");
            let found = format!("select rowid from {index} where {index} match ?3");
            (
                format!("o.rowid in ({found})"),
                format!("select count(*) from ({found})"),
                Some(Walk {
                    filter: "instr(o.name_key, ?2) > 0",
                    total: ALL,
                }),
            )
        }
    };
    let all = Source {
        columns: ORG_JSON,
        from: ORG_FROM,
        filter: &filter,
        args: &args,
        version: Some("o.version"),
        walk,
    };
    // The caller's own, through the membership index, for everyone else.
    let joined = "organization_members om join organizations o on o.id = om.organization_id";
    let own_count = match folded {
        // Kept by triggers on the memberships: one row at any number of them.
        None => {
            "select coalesce((select organization_count from users where id = ?1), 0)".to_string()
        }
        Some(_) => format!(
            "select count(*) from {joined} where om.user_id = ?1 and instr(o.name_key, ?2) > 0"
        ),
    };
    let from = format!("{joined} left join media_resources m on m.id = o.avatar_media_id");
    let own = Source {
        columns: ORG_JSON,
        from: &from,
        filter: "om.user_id = ?1 and (?2 is null or instr(o.name_key, ?2) > 0)",
        args: &args,
        version: Some("o.version"),
        walk: None,
    };
    ListQuery::either(
        b,
        SUPERUSER,
        (all, Order::newest_first("o.created_at", "o.id"), &count),
        // The organization's time, kept on the membership: the page is one
        // range of `organization_members_user_orgs`, not a sort of them all.
        (
            own,
            Order::newest_first("om.org_created_at", "om.organization_id"),
            &own_count,
        ),
        page,
    )
}

/// What an update changes; `None` / `Patch::Absent` leaves a column as it is.
pub(crate) struct OrganizationChanges<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) description: &'a Patch<String>,
    pub(crate) rework_available: Option<i64>,
    pub(crate) owner_id: Option<&'a str>,
    pub(crate) require_mfa: Option<bool>,
    /// A new avatar replaces the old one, released in the same batch.
    pub(crate) avatar: Option<&'a Avatar>,
    pub(crate) now: &'a str,
}

impl OrganizationChanges<'_> {
    /// Whether the update sets anything but `owner_id`.
    pub(crate) fn changes_more_than_the_owner(&self) -> bool {
        self.name.is_some()
            || !matches!(self.description, Patch::Absent)
            || self.rework_available.is_some()
            || self.require_mfa.is_some()
            || self.avatar.is_some()
    }
}

/// The handles of an update: whether the caller still had the right, whether
/// the row changed, and the row after it.
pub(crate) struct Updated {
    pub(crate) permitted: Rows<Permitted>,
    pub(crate) changed: Write,
    pub(crate) row: Rows<OrganizationRow>,
}

/// Applies `changes`, if the caller may still make them when the batch runs:
/// the owner or a superuser anything, an admin the name and description only. A transfer of ownership applies only if the
/// new owner is a member at that moment, checked inside the UPDATE itself, so a
/// concurrent removal can never leave an owner who is not a member; if it does
/// not apply, nothing does (the new avatar row is dropped again in the batch).
/// Long: one guarded UPDATE and its guard, with their parameters side by side.
pub(crate) fn update(
    b: &mut Batch<'_>,
    org: &OrgEditor,
    c: &OrganizationChanges<'_>,
) -> DbResult<Updated> {
    let org_id = org.org_id();
    let caller = org.caller.id();
    let (set_description, description) = match c.description {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Set(s) => (true, Some(s.as_str())),
    };
    // An admin's right covers name and description only; a key's the avatar too.
    // `require_mfa` is the owner's (and superusers').
    let guard = |o: u8, u: u8, rework: u8, owner: u8, avatar: u8, mfa: u8| {
        format!(
            "({} or ({} and ?{rework} is null and ?{owner} is null and ?{avatar} is null and ?{mfa} is null) \
              or ({} and ?{rework} is null and ?{owner} is null and ?{mfa} is null))",
            owner_guard(o, u),
            admin_guard(o, u),
            key_guard(o, u)
        )
    };
    let permitted = permitted(
        b,
        &guard(1, 2, 3, 4, 5, 6),
        &[
            org_id.into(),
            caller.into(),
            c.rework_available.into(),
            c.owner_id.into(),
            c.avatar.map(|a| a.media.id.as_str()).into(),
            c.require_mfa.map(i64::from).into(),
        ],
    )?;
    if let Some(avatar) = c.avatar {
        store_avatar(b, avatar)?;
    }
    let changed = b.write(
        &format!(
            "update organizations set name = coalesce(?2, name), name_key = coalesce(?9, name_key), \
               description = case when ?3 then ?4 else description end, \
               rework_available = coalesce(?5, rework_available), owner_id = coalesce(?6, owner_id), \
               avatar_media_id = coalesce(?7, avatar_media_id), updated_at = ?8, \
               require_mfa = coalesce(?11, require_mfa), version = version + 1 \
             where id = ?1 and {} and (?6 is null or exists \
               (select 1 from organization_members where organization_id = ?1 and user_id = ?6))",
            guard(1, 10, 5, 6, 7, 11)
        ),
        &[
            org_id.into(),
            c.name.into(),
            set_description.into(),
            description.into(),
            c.rework_available.into(),
            c.owner_id.into(),
            c.avatar.map(|a| a.media.id.as_str()).into(),
            c.now.into(),
            c.name.map(fold).as_deref().into(),
            caller.into(),
            c.require_mfa.map(i64::from).into(),
        ],
    )?;
    if let Some(new_owner) = c.owner_id {
        // Roles follow a transfer that applied: the new owner is 'owner', the old one a member.
        let _ = b.write(
            "update organization_members set role = case when user_id = ?2 then 'owner' else 'member' end \
             where organization_id = ?1 and (user_id = ?2 or role = 'owner') \
             and exists (select 1 from organizations where id = ?1 and owner_id = ?2)",
            &[org_id.into(), new_owner.into()],
        )?;
    }
    if let Some(new) = c.avatar {
        // If the update applied. This organization's version is raised again
        // when the descriptions change; its answer reads the row back.
        attach_avatar(b, new, Some((org_id, c.now)))?;
        // Whichever avatar no organization points at any more is released: the
        // old one, or a new URL's row if the update did not apply (an upload
        // not used stays the caller's).
        let old = org.org.avatar_media_id.as_deref();
        let unused_new = (!new.uploaded).then_some(new.media.id.as_str());
        for id in unused_new.into_iter().chain(old) {
            release_media(b, id)?;
        }
    }
    Ok(Updated {
        permitted,
        changed,
        row: find(b, org_id)?,
    })
}

/// The handles of a deletion: whether the caller still had the right, and
/// whether the organization row went.
pub(crate) struct Deleted {
    pub(crate) permitted: Rows<Permitted>,
    pub(crate) deleted: Write,
}

/// Deletes an organization, if the caller still owns it (or is a superuser)
/// when the batch runs: its resources return to their creators' personal
/// scope, those whose creator no longer exists are deleted (they would belong to
/// no one), and its memberships and its avatar go with it.
pub(crate) fn delete(b: &mut Batch<'_>, org: &OrgOwner) -> DbResult<Deleted> {
    let guard = owner_guard(1, 2);
    let args = [org.org_id().into(), org.caller.id().into()];
    let permitted = permitted(b, &guard, &args)?;
    for table in RESOURCE_TABLES {
        let _ = b.write(
            &format!(
                "delete from {table} where organization_id = ?1 and owner_id is null and {guard}"
            ),
            &args,
        )?;
        let _ = b.write(
            &format!(
                "update {table} set organization_id = null where organization_id = ?1 and {guard}"
            ),
            &args,
        )?;
    }
    let _ = b.write(
        &format!("delete from organization_members where organization_id = ?1 and {guard}"),
        &args,
    )?;
    let deleted = b.write(
        &format!("delete from organizations where id = ?1 and {guard}"),
        &args,
    )?;
    if let Some(avatar) = &org.org.avatar_media_id {
        release_media(b, avatar)?;
    }
    Ok(Deleted { permitted, deleted })
}

/// How many organizations a user owns, counted up to `cap` (reads no more
/// than `cap` index entries, whatever they own).
pub(crate) struct Owned {
    pub(crate) count: i64,
}
from_row!(Owned { count });

pub(crate) fn owned(b: &mut Batch<'_>, owner_id: &str, cap: i64) -> DbResult<Rows<Owned>> {
    b.query(
        "select count(*) as count from (select 1 from organizations where owner_id = ?1 limit ?2 + 0)",
        &[owner_id.into(), cap.into()],
    )
}
