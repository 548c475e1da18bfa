//! SQL for `organization_members`; every function takes the organization id first.

use super::models::OrganizationMemberPublic;
use crate::db::{page_and_count, Db, DbError};
use crate::error::ApiResult;
use worker::D1PreparedStatement;

/// Is `user_id` a member? (a statement for the access batch)
pub fn select_membership(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<D1PreparedStatement, DbError> {
    db.stmt(
        "select 1 as member from organization_members where organization_id = ?1 and user_id = ?2",
        &[org_id.into(), user_id.into()],
    )
}

/// One page of members in the order they joined, and how many there are: one round trip.
pub async fn list_members(
    db: &Db,
    org_id: &str,
    skip: i64,
    limit: i64,
) -> ApiResult<(Vec<OrganizationMemberPublic>, i64)> {
    let results = db
        .batch(list_members_statements(db, org_id, skip, limit)?)
        .await?;
    members_from(&results[0], &results[1])
}

fn list_members_statements(
    db: &Db,
    org_id: &str,
    skip: i64,
    limit: i64,
) -> Result<Vec<D1PreparedStatement>, DbError> {
    Ok(vec![
        db.stmt(
            "select m.user_id, m.joined_at, u.email, u.full_name from organization_members m \
             join users u on u.id = m.user_id where m.organization_id = ?1 \
             order by m.joined_at, m.rowid limit ?2 offset ?3",
            &[org_id.into(), limit.into(), skip.into()],
        )?,
        db.stmt(
            "select count(*) as count from organization_members where organization_id = ?1",
            &[org_id.into()],
        )?,
    ])
}

fn members_from(
    page: &worker::D1Result,
    count: &worker::D1Result,
) -> ApiResult<(Vec<OrganizationMemberPublic>, i64)> {
    page_and_count(page, count)
}

pub enum AddError {
    AlreadyMember,
    Db(DbError),
}

/// Adds a member and returns the whole member list, in one batch. The primary
/// key decides a second add, so racing adds give one success and conflicts.
pub async fn add_member(
    db: &Db,
    org_id: &str,
    user_id: &str,
    now: &str,
) -> Result<(Vec<OrganizationMemberPublic>, i64), AddError> {
    let insert = db
        .stmt(
            "insert into organization_members (organization_id, user_id, joined_at) values (?1, ?2, ?3)",
            &[org_id.into(), user_id.into(), now.into()],
        )
        .map_err(AddError::Db)?;
    let mut stmts = vec![insert];
    stmts
        .extend(list_members_statements(db, org_id, 0, i64::from(i32::MAX)).map_err(AddError::Db)?);
    let results = db.batch(stmts).await.map_err(|e| match e {
        DbError::Unique(_) => AddError::AlreadyMember,
        other => AddError::Db(other),
    })?;
    members_from(&results[1], &results[2])
        .map_err(|e| AddError::Db(DbError::Other(format!("{e:?}"))))
}

/// Removes a member unless they own the organization; the number of rows removed.
pub async fn remove_member(db: &Db, org_id: &str, user_id: &str) -> ApiResult<u64> {
    let stmt = db.stmt(
        "delete from organization_members where organization_id = ?1 and user_id = ?2 \
         and user_id <> (select owner_id from organizations where id = ?1)",
        &[org_id.into(), user_id.into()],
    )?;
    Ok(db.run(stmt).await?)
}
