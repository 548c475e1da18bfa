//! The `api_keys` row and its scopes: what the caller's check reads of a key,
//! and what it does when a live key calls. The operations on keys are
//! `crate::api_keys`'s.

use crate::db::from_row;
use crate::db::Db;
use serde_json::Value;

/// What every key starts with: a bearer credential that starts so is a key.
pub(crate) const KEY_PREFIX: &str = "uoa_";
/// What a key may do in its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Read the organization, its members and its invitations.
    OrganizationRead,
    /// Change its name, description and avatar.
    OrganizationWrite,
    /// Add and remove members; create, resend and revoke invitations.
    MembersWrite,
}

impl Scope {
    pub(crate) const ALL: [Scope; 3] = [
        Scope::OrganizationRead,
        Scope::OrganizationWrite,
        Scope::MembersWrite,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scope::OrganizationRead => "organization:read",
            Scope::OrganizationWrite => "organization:write",
            Scope::MembersWrite => "members:write",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// A live key called: the request log names it, and its `last_used_at` moves
/// after the response, at most once a minute (no round trip before the answer).
pub(crate) fn used(db: &Db, key: &ApiKeyRow, now: i64) {
    db.note_api_key(&key.id);
    if touch_due(key, now) {
        let args = touch_args(&key.id, now, crate::clock::now_iso());
        db.after_response(TOUCH, args);
    }
}

/// Whether a bearer credential is an API key (rather than a token).
pub(crate) fn is_key(bearer: &str) -> bool {
    bearer.starts_with(KEY_PREFIX)
}

/// The stored form of a key: its SHA-256, hex.
pub(crate) fn hash(key: &str) -> String {
    crate::secrets::token_hash(key)
}

/// An `api_keys` row.
#[derive(Debug, Clone)]
pub(crate) struct ApiKeyRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) name: String,
    pub(crate) prefix: String,
    /// A JSON array of scope names.
    pub(crate) scopes: String,
    pub(crate) created_by_id: Option<String>,
    pub(crate) created_at: String,
    pub(crate) expires_at: Option<i64>,
    pub(crate) last_used_secs: Option<i64>,
    pub(crate) revoked_at: Option<i64>,
}
from_row!(ApiKeyRow {
    id,
    organization_id,
    name,
    prefix,
    scopes,
    created_by_id,
    created_at,
    expires_at,
    last_used_secs,
    revoked_at
});

/// The columns of [`ApiKeyRow`].
pub(crate) const COLUMNS: &str = "id, organization_id, name, prefix, scopes, created_by_id, \
     created_at, expires_at, last_used_secs, revoked_at";

impl ApiKeyRow {
    /// Not revoked and not expired at `now`.
    pub(crate) fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    /// Its scopes (names it does not know are none).
    pub(crate) fn scopes(&self) -> Vec<Scope> {
        // Read as a Value: a typed deserializer's errors bring float formatting
        // into the wasm.
        match serde_json::from_str::<Value>(&self.scopes) {
            Ok(Value::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str().and_then(Scope::parse))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn allows(&self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }
}

/// How often `last_used_at` moves, at most.
pub(crate) const TOUCH_EVERY_SECS: i64 = 60;

/// Whether `key`'s `last_used_at` is due to move at `now`.
pub(crate) fn touch_due(key: &ApiKeyRow, now: i64) -> bool {
    key.last_used_secs
        .is_none_or(|last| now - last >= TOUCH_EVERY_SECS)
}

/// Moves `last_used_at` to `?2` (seconds) and `?3` (its RFC 3339 form), unless
/// another request moved it within `?4` ([`TOUCH_EVERY_SECS`]) seconds. Text
/// arguments ([`touch_args`]): it runs after the response
/// ([`crate::db::Db::after_response`]).
pub(crate) const TOUCH: &str =
    "update api_keys set last_used_secs = cast(?2 as integer), last_used_at = ?3 \
     where id = ?1 and (last_used_secs is null \
     or last_used_secs <= cast(?2 as integer) - cast(?4 as integer))";

/// [`TOUCH`]'s arguments for key `id` at `now`.
pub(crate) fn touch_args(id: &str, now: i64, now_iso: String) -> Vec<String> {
    vec![
        id.to_string(),
        now.to_string(),
        now_iso,
        TOUCH_EVERY_SECS.to_string(),
    ]
}
