//! SQL for `api_keys`.

use super::models::{ApiKeyRow, API_KEY_JSON};
use super::MAX_KEYS;
use crate::access::org::{admin_guard, OrgKeyAdmin};
use crate::db::{from_row, Batch, DbResult, JsonText, Rows, Write};
use crate::lists::{ListQuery, Page};

/// How many unrevoked keys an organization holds.
pub(crate) struct KeyCount {
    pub(crate) count: i64,
}
from_row!(KeyCount { count });

pub(crate) fn count(b: &mut Batch<'_>, org_id: &str) -> DbResult<Rows<KeyCount>> {
    b.query(
        "select count(*) as count from api_keys where organization_id = ?1 and revoked_at is null",
        &[org_id.into()],
    )
}

/// A key to store.
pub(crate) struct NewKey<'a> {
    pub(crate) row: &'a ApiKeyRow,
    pub(crate) key_hash: &'a str,
}

/// Stores the key if the organization holds fewer than [`MAX_KEYS`] unrevoked
/// keys and the caller may still manage its keys when the batch runs: 0 rows
/// written says one of them no longer held.
pub(crate) fn create(
    b: &mut Batch<'_>,
    org: &OrgKeyAdmin,
    k: &NewKey<'_>,
) -> DbResult<Rows<JsonText>> {
    let r = k.row;
    b.query(
        &format!(
            "insert into api_keys (id, organization_id, name, prefix, key_hash, scopes, created_by_id, \
             created_at, expires_at) select ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
             where (select count(*) from api_keys where organization_id = ?2 and revoked_at is null) < {MAX_KEYS} \
             and {} returning {API_KEY_JSON}",
            admin_guard(2, 10)
        ),
        &[
            r.id.as_str().into(),
            org.org_id().into(),
            r.name.as_str().into(),
            r.prefix.as_str().into(),
            k.key_hash.into(),
            r.scopes.as_str().into(),
            r.created_by_id.as_deref().into(),
            r.created_at.as_str().into(),
            r.expires_at.into(),
            org.caller.id().into(),
        ],
    )
}

/// One page of the organization's unrevoked keys, newest first.
pub(crate) fn list(b: &mut Batch<'_>, org_id: &str, page: Page) -> DbResult<ListQuery> {
    let filter = "organization_id = ?1 and revoked_at is null";
    ListQuery::newest_first(
        b,
        (API_KEY_JSON, "api_keys", filter),
        &[org_id.into()],
        &page,
        None,
    )
}

/// Revokes key `id` of the organization, if it is not revoked yet.
pub(crate) fn revoke(b: &mut Batch<'_>, org: &OrgKeyAdmin, id: &str, now: i64) -> DbResult<Write> {
    b.write(
        &format!(
            "update api_keys set revoked_at = ?3 where id = ?1 and organization_id = ?2 \
             and revoked_at is null and {}",
            admin_guard(2, 4)
        ),
        &[
            id.into(),
            org.org_id().into(),
            now.into(),
            org.caller.id().into(),
        ],
    )
}
