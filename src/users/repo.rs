//! SQL for `users`, one function per statement, named for what it does. Each
//! pushes its statement into the caller's batch and returns the handle.

use super::models::{UserPublic, UserRow, USER_JSON};
use crate::db::from_row;
use crate::db::{Arg, Batch, DbResult, Rows, Write};
use crate::lists::{fold, ListQuery, Matcher, Order, Page, Search, Source, Walk};
use crate::resources::RESOURCE_TABLES;
use crate::validation::email::Email;
use crate::validation::Patch;

pub(crate) use crate::identity::user::{find_by_email, find_by_id, named, USER_COLUMNS};

/// A taken address is a UNIQUE violation on one of these (the NOCASE index on
/// `email`, or the folded `email_key`).
pub(crate) const EMAIL_COLUMNS: [&str; 2] = ["users.email", "users.email_key"];

pub(crate) struct NewUser<'a> {
    pub(crate) id: &'a str,
    pub(crate) email: &'a Email,
    pub(crate) hashed_password: &'a str,
    pub(crate) full_name: Option<&'a str>,
    pub(crate) is_active: bool,
    pub(crate) is_superuser: bool,
    pub(crate) rework_available: i64,
    /// False for signups, which verify by following a link.
    pub(crate) email_verified: bool,
    pub(crate) now_secs: i64,
    pub(crate) now: &'a str,
}

impl<'a> NewUser<'a> {
    /// An ordinary user (active, not a superuser, the default credits), as
    /// signup and the local test helper make them.
    pub(crate) fn ordinary(
        id: &'a str,
        email: &'a Email,
        hashed_password: &'a str,
        full_name: Option<&'a str>,
        email_verified: bool,
        now_secs: i64,
        now: &'a str,
    ) -> Self {
        NewUser {
            id,
            email,
            hashed_password,
            full_name,
            is_active: true,
            is_superuser: false,
            rework_available: super::models::DEFAULT_REWORK_AVAILABLE,
            email_verified,
            now_secs,
            now,
        }
    }
}

fn insert_sql(tail: &str) -> String {
    format!(
        "insert into users (id, email, hashed_password, full_name, is_active, is_superuser, \
         rework_available, password_changed_at, created_at, updated_at, email_key, name_key, email_verified) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12) {tail}"
    )
}

/// Pushes the insert of `u` (SQL ending in `tail`) with `push`, which picks the handle.
fn insert<'db, H>(
    b: &mut Batch<'db>,
    u: &NewUser<'_>,
    tail: &str,
    push: impl FnOnce(&mut Batch<'db>, &str, &[Arg<'_>]) -> DbResult<H>,
) -> DbResult<H> {
    let key = u.email.key();
    let name_key = u.full_name.map(fold);
    let args: [Arg<'_>; 12] = [
        u.id.into(),
        u.email.as_str().into(),
        u.hashed_password.into(),
        u.full_name.into(),
        u.is_active.into(),
        u.is_superuser.into(),
        u.rework_available.into(),
        u.now_secs.into(),
        u.now.into(),
        (&key).into(),
        name_key.as_deref().into(),
        u.email_verified.into(),
    ];
    push(b, &insert_sql(tail), &args)
}

/// Inserts a user. A taken email fails the batch with a UNIQUE violation on
/// `users.email`: the index decides, so two racing signups cannot both win,
/// and nothing else in the batch is written for the loser.
pub(crate) fn insert_user(b: &mut Batch<'_>, u: &NewUser<'_>) -> DbResult<Write> {
    insert(b, u, "", |b, sql, args| b.write(sql, args))
}

impl NewUser<'_> {
    /// The row [`insert_user`] writes, as the API shows it (known before the
    /// batch runs, so it can be stored with the write for an Idempotency-Key).
    pub(crate) fn public(&self) -> UserPublic {
        UserPublic {
            id: self.id.to_string(),
            created_at: self.now.to_string(),
            updated_at: self.now.to_string(),
            email: self.email.as_str().to_string(),
            full_name: self.full_name.map(str::to_string),
            is_active: self.is_active,
            is_superuser: self.is_superuser,
            rework_available: self.rework_available,
            email_verified: self.email_verified,
            mfa_enabled: false,
        }
    }
}

/// Whether the first superuser was ever created in this database, and whether
/// a user has its address now.
pub(crate) struct FirstSuperuser {
    pub(crate) created: i64,
    pub(crate) present: i64,
}
from_row!(FirstSuperuser { created, present });

pub(crate) fn first_superuser_state(
    b: &mut Batch<'_>,
    email_key: &str,
) -> DbResult<Rows<FirstSuperuser>> {
    b.query(
        "select exists (select 1 from first_superuser where id = 1) as created, \
                exists (select 1 from users where email_key = ?1) as present",
        &[email_key.into()],
    )
}

/// Records that the first superuser was created, if this batch inserted user `id`.
pub(crate) fn record_first_superuser(b: &mut Batch<'_>, id: &str) -> DbResult<Write> {
    b.write(
        "insert into first_superuser (id, user_id, created_at) \
         select 1, id, created_at from users where id = ?1 on conflict do nothing",
        &[id.into()],
    )
}

/// Inserts the first superuser unless that email exists; never overwrites.
pub(crate) fn insert_if_missing(b: &mut Batch<'_>, u: &NewUser<'_>) -> DbResult<Write> {
    insert(b, u, "on conflict do nothing", |b, sql, args| {
        b.write(sql, args)
    })
}

/// One page of users, newest first, and the number of all matches. A search
/// is a phrase of an FTS5 index of the folded address and name: the trigram
/// index (`users_search`) from three characters, the index of one- and
/// two-character windows (`users_grams`) below. Without a search the count is
/// the counter row.
pub(crate) fn list(b: &mut Batch<'_>, page: &Page, search: &Search) -> DbResult<ListQuery> {
    let source = |filter, args, walk| Source {
        columns: USER_JSON,
        from: "users",
        filter,
        args,
        // Not kept in the isolate: a page of users is a few KB of stored text,
        // which D1 hands over for less than checking a kept page costs.
        version: None,
        walk,
    };
    let folded = search.folded();
    match Matcher::of(folded.as_deref()) {
        Matcher::All => ListQuery::keyset(
            b,
            source("1", &[], None),
            Order::NEWEST,
            page,
            "select value as count from counters where name = 'users'",
        ),
        Matcher::Indexed(index, phrase) => {
            let args = [phrase.as_str().into(), folded.as_deref().into()];
            let index = index.of("users");
            let found = format!("rowid in (select rowid from {index} where {index} match ?1)");
            let walk = Walk {
                filter: "instr(email_key, ?2) > 0 or instr(name_key, ?2) > 0",
                total: "select value from counters where name = 'users'",
            };
            ListQuery::keyset(
                b,
                source(&found, &args, Some(walk)),
                Order::NEWEST,
                page,
                &format!("select count(*) as count from {index} where {index} match ?1"),
            )
        }
    }
}

/// What an update changes; `None` (or `Patch::Absent`) leaves a column as it is.
#[derive(Default)]
pub(crate) struct UserChanges<'a> {
    pub(crate) email: Option<&'a Email>,
    pub(crate) full_name: Patch<String>,
    pub(crate) hashed_password: Option<&'a str>,
    /// Set with a new password: tokens issued before it stop working (the
    /// token version is bumped too, so even one issued in the same second).
    pub(crate) password_changed_at: Option<i64>,
    pub(crate) is_superuser: Option<bool>,
    pub(crate) is_active: Option<bool>,
    pub(crate) rework_available: Option<i64>,
    /// Set false with a new address (it is verified again by a link).
    pub(crate) email_verified: Option<bool>,
}

/// Applies `changes` and returns the updated row (none: no such user). A taken
/// email is a UNIQUE violation on `users.email`.
pub(crate) fn update(
    b: &mut Batch<'_>,
    id: &str,
    changes: &UserChanges<'_>,
    now: &str,
) -> DbResult<Rows<UserRow>> {
    let (set_name, name) = match &changes.full_name {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Set(s) => (true, Some(s.as_str())),
    };
    let email_key = changes.email.map(Email::key);
    let name_key = name.map(fold);
    b.query(
        &format!(
            "update users set \
               email = coalesce(?2, email), \
               full_name = case when ?3 then ?4 else full_name end, \
               hashed_password = coalesce(?5, hashed_password), \
               password_changed_at = coalesce(?6, password_changed_at), \
               token_version = token_version + (?6 is not null), \
               is_superuser = coalesce(?7, is_superuser), \
               is_active = coalesce(?8, is_active), \
               rework_available = coalesce(?9, rework_available), \
               updated_at = ?10, \
               email_key = coalesce(?11, email_key), \
               name_key = case when ?3 then ?12 else name_key end, \
               email_verified = coalesce(?13, email_verified), \
               version = version + 1 \
             where id = ?1 returning {USER_COLUMNS}"
        ),
        &[
            id.into(),
            changes.email.map(Email::as_str).into(),
            set_name.into(),
            name.into(),
            changes.hashed_password.into(),
            changes.password_changed_at.into(),
            changes.is_superuser.into(),
            changes.is_active.into(),
            changes.rework_available.into(),
            now.into(),
            email_key.as_deref().into(),
            name_key.as_deref().into(),
            changes.email_verified.into(),
        ],
    )
}

/// Replaces the stored hash `old` without touching `password_changed_at` (a
/// rehash at login keeps the user's tokens valid). Compare-and-swap: a password
/// changed since `old` was read is left alone, so a login racing a password
/// change cannot bring the old password back.
pub(crate) fn replace_password_hash(
    b: &mut Batch<'_>,
    id: &str,
    old: &str,
    hashed_password: &str,
) -> DbResult<Write> {
    b.write(
        "update users set hashed_password = ?3 where id = ?1 and hashed_password = ?2",
        &[id.into(), old.into(), hashed_password.into()],
    )
}

/// Deletes a user, their personal resources and their memberships; the handle
/// counts the user rows deleted (0: no such user). Resources they created
/// inside organizations stay there (`owner_id` becomes null). If they own an
/// organization the foreign key refuses the last statement and the whole batch
/// rolls back: no check-then-delete race.
pub(crate) fn delete(b: &mut Batch<'_>, id: &str) -> DbResult<Write> {
    for table in RESOURCE_TABLES {
        let _ = b.write(
            &format!("delete from {table} where owner_id = ?1 and organization_id is null"),
            &[id.into()],
        )?;
        let _ = b.write(
            &format!("update {table} set owner_id = null where owner_id = ?1"),
            &[id.into()],
        )?;
    }
    let _ = b.write(
        "delete from organization_members where user_id = ?1",
        &[id.into()],
    )?;
    b.write("delete from users where id = ?1", &[id.into()])
}
