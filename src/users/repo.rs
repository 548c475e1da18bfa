//! SQL for `users`, one function per statement, named for what it does.

use super::models::UserRow;
use crate::db::{page_and_count, rows, Arg, Db, DbError};
use crate::error::ApiResult;
use crate::validation::Patch;
use uuid::Uuid;
use worker::{D1PreparedStatement, D1Result};

const USER_COLUMNS: &str = "id, email, hashed_password, full_name, is_active, is_superuser, \
                            rework_available, password_changed_at, created_at, updated_at";

/// Ids are stored lower-case and hyphenated, whatever form the client sent.
pub fn id_text(id: &Uuid) -> String {
    id.hyphenated().to_string()
}

/// The statement reading one user (for a batch).
pub fn select_user_by_id(db: &Db, id: &Uuid) -> Result<D1PreparedStatement, DbError> {
    let sql = format!("select {USER_COLUMNS} from users where id = ?1");
    db.stmt(&sql, &[Arg::from(&id_text(id))])
}

pub async fn find_user_by_id(db: &Db, id: &Uuid) -> ApiResult<Option<UserRow>> {
    Ok(db.first(select_user_by_id(db, id)?).await?)
}

/// Emails compare without regard to case (the column is `collate nocase`).
pub fn select_user_by_email(db: &Db, email: &str) -> Result<D1PreparedStatement, DbError> {
    let sql = format!("select {USER_COLUMNS} from users where email = ?1");
    db.stmt(&sql, &[Arg::from(email)])
}

pub async fn find_user_by_email(db: &Db, email: &str) -> ApiResult<Option<UserRow>> {
    Ok(db.first(select_user_by_email(db, email)?).await?)
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub hashed_password: &'a str,
    pub full_name: Option<&'a str>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub rework_available: i64,
    pub now_secs: i64,
    pub now: &'a str,
}

/// Why a write to `users` was refused.
#[derive(Debug)]
pub enum WriteError {
    EmailTaken,
    Db(DbError),
}

impl From<DbError> for WriteError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unique(c) if c == "users.email" => WriteError::EmailTaken,
            other => WriteError::Db(other),
        }
    }
}

fn insert_user_statement(
    db: &Db,
    u: &NewUser<'_>,
    tail: &str,
) -> Result<D1PreparedStatement, DbError> {
    let sql = format!(
        "insert into users (id, email, hashed_password, full_name, is_active, is_superuser, \
         rework_available, password_changed_at, created_at, updated_at) \
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) {tail}"
    );
    db.stmt(
        &sql,
        &[
            u.id.into(),
            u.email.into(),
            u.hashed_password.into(),
            u.full_name.into(),
            u.is_active.into(),
            u.is_superuser.into(),
            u.rework_available.into(),
            u.now_secs.into(),
            u.now.into(),
        ],
    )
}

/// Inserts a user, with `also` in the same batch, and returns the stored row; a
/// taken email is `EmailTaken` (the UNIQUE index decides, so two racing signups
/// cannot both win, and nothing in `also` is written for the loser).
pub async fn insert_user(
    db: &Db,
    u: &NewUser<'_>,
    also: Vec<D1PreparedStatement>,
) -> Result<UserRow, WriteError> {
    let mut stmts = vec![insert_user_statement(
        db,
        u,
        &format!("returning {USER_COLUMNS}"),
    )?];
    stmts.extend(also);
    let results = db.batch(stmts).await?;
    let row = rows::<UserRow>(&results[0])
        .map_err(|e| WriteError::Db(DbError::Other(format!("{e:?}"))))?;
    row.into_iter().next().ok_or(WriteError::Db(DbError::Other(
        "insert returned no row".into(),
    )))
}

/// Inserts the first superuser unless that email exists; never overwrites.
pub async fn insert_user_if_missing(db: &Db, u: &NewUser<'_>) -> ApiResult<()> {
    db.run(insert_user_statement(
        db,
        u,
        "on conflict (email) do nothing",
    )?)
    .await?;
    Ok(())
}

/// `%`, `_` and `\` in a search match themselves.
pub fn like_pattern(search: &str) -> String {
    let mut p = String::with_capacity(search.len() + 2);
    p.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// One page of users, newest first, and the number of all matches, as two
/// statements for the caller's batch ([`list_users_from`] reads their results).
pub fn list_users_statements(
    db: &Db,
    skip: i64,
    limit: i64,
    search: Option<&str>,
) -> Result<Vec<D1PreparedStatement>, DbError> {
    let pattern = search.map(like_pattern);
    let filter = "(?1 is null or email like ?1 escape '\\' or full_name like ?1 escape '\\')";
    Ok(vec![
        db.stmt(
            &format!(
                "select {USER_COLUMNS} from users where {filter} \
                 order by created_at desc, rowid desc limit ?2 offset ?3"
            ),
            &[pattern.as_deref().into(), limit.into(), skip.into()],
        )?,
        db.stmt(
            &format!("select count(*) as count from users where {filter}"),
            &[pattern.as_deref().into()],
        )?,
    ])
}

pub fn list_users_from(results: &[D1Result]) -> ApiResult<(Vec<UserRow>, i64)> {
    page_and_count(&results[0], &results[1])
}

/// What an update changes; `None` (or `Patch::Absent`) leaves a column as it is.
#[derive(Default)]
pub struct UserChanges<'a> {
    pub email: Option<&'a str>,
    pub full_name: Patch<String>,
    pub hashed_password: Option<&'a str>,
    /// Set with a new password: tokens issued before it stop working.
    pub password_changed_at: Option<i64>,
    pub is_superuser: Option<bool>,
    pub is_active: Option<bool>,
    pub rework_available: Option<i64>,
}

/// Applies `changes` and returns the updated row (`None`: no such user).
pub async fn update_user(
    db: &Db,
    id: &str,
    changes: &UserChanges<'_>,
    now: &str,
) -> Result<Option<UserRow>, WriteError> {
    let (set_name, name) = match &changes.full_name {
        Patch::Absent => (false, None),
        Patch::Null => (true, None),
        Patch::Set(s) => (true, Some(s.as_str())),
    };
    let sql = format!(
        "update users set \
           email = coalesce(?2, email), \
           full_name = case when ?3 then ?4 else full_name end, \
           hashed_password = coalesce(?5, hashed_password), \
           password_changed_at = coalesce(?6, password_changed_at), \
           is_superuser = coalesce(?7, is_superuser), \
           is_active = coalesce(?8, is_active), \
           rework_available = coalesce(?9, rework_available), \
           updated_at = ?10 \
         where id = ?1 returning {USER_COLUMNS}"
    );
    let stmt = db.stmt(
        &sql,
        &[
            id.into(),
            changes.email.into(),
            set_name.into(),
            name.into(),
            changes.hashed_password.into(),
            changes.password_changed_at.into(),
            changes.is_superuser.map(i64::from).into(),
            changes.is_active.map(i64::from).into(),
            changes.rework_available.into(),
            now.into(),
        ],
    )?;
    Ok(db.first::<UserRow>(stmt).await?)
}

/// Replaces the stored hash without touching `password_changed_at`
/// (a rehash at login keeps the user's tokens valid).
pub fn replace_password_hash_statement(
    db: &Db,
    id: &str,
    hashed_password: &str,
) -> Result<D1PreparedStatement, DbError> {
    db.stmt(
        "update users set hashed_password = ?2 where id = ?1",
        &[id.into(), hashed_password.into()],
    )
}

pub enum DeleteError {
    OwnsOrganizations,
    Db(DbError),
}

/// Deletes a user, their personal resources and their memberships in one batch;
/// `Ok(false)` when there was no such user.
/// Resources they created inside organizations stay there (`owner_id` becomes
/// null). If they own an organization the foreign key refuses the last
/// statement and the whole batch rolls back: no check-then-delete race.
pub async fn delete_user(db: &Db, id: &str) -> Result<bool, DeleteError> {
    let stmt = |sql: &str| db.stmt(sql, &[id.into()]).map_err(DeleteError::Db);
    let mut stmts = Vec::new();
    for table in crate::resources::RESOURCE_TABLES {
        stmts.push(stmt(&format!(
            "delete from {table} where owner_id = ?1 and organization_id is null"
        ))?);
        stmts.push(stmt(&format!(
            "update {table} set owner_id = null where owner_id = ?1"
        ))?);
    }
    stmts.push(stmt("delete from organization_members where user_id = ?1")?);
    stmts.push(stmt("delete from users where id = ?1")?);
    let results = db.batch(stmts).await.map_err(|e| match e {
        DbError::ForeignKey => DeleteError::OwnsOrganizations,
        other => DeleteError::Db(other),
    })?;
    Ok(results.last().is_some_and(|r| crate::db::changes(r) > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_wildcards_match_literally() {
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
