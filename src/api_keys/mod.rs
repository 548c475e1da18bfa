//! API keys for machine clients (extensions.md section A): an organization's
//! own bearer credentials, with scopes. A key acts with an admin's rights in
//! its organization, narrowed to its scopes (`access::org`), and nowhere else.
//!
//! The key (`uoa_` and 43 base64url characters, 256 random bits) is shown once;
//! D1 keeps its SHA-256, and a request finds its key by that hash in the
//! caller's batch, as a token's user is found: no round trip more.

pub(crate) mod limit;
pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;

use crate::db::Db;
use crate::error::ApiResult;
use models::ApiKeyRow;

/// What every key starts with: a bearer credential that starts so is a key.
pub(crate) const KEY_PREFIX: &str = "uoa_";
/// How many characters of a key `prefix` shows.
pub(crate) const SHOWN_PREFIX_LEN: usize = 12;
/// Unrevoked keys one organization may hold.
pub(crate) const MAX_KEYS: i64 = 50;

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
    if models::touch_due(key, now) {
        let args = models::touch_args(&key.id, now, crate::clock::now_iso());
        db.after_response(models::TOUCH, args);
    }
}

/// Whether a bearer credential is an API key (rather than a token).
pub(crate) fn is_key(bearer: &str) -> bool {
    bearer.starts_with(KEY_PREFIX)
}

/// The stored form of a key: its SHA-256, hex.
pub(crate) fn hash(key: &str) -> String {
    crate::account::tokens::hash(key)
}

/// A new key (256 random bits, as every token of the service), and its hash.
pub(crate) fn new_key() -> ApiResult<(String, String)> {
    let (token, _) = crate::account::tokens::new_token()?;
    let key = format!("{KEY_PREFIX}{token}");
    let hash = hash(&key);
    Ok((key, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_the_prefix_and_43_base64url_characters() {
        let (key, hash) = new_key().unwrap();
        assert!(is_key(&key));
        let rest = key.strip_prefix(KEY_PREFIX).unwrap();
        assert_eq!(rest.len(), 43);
        assert!(rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(hash, super::hash(&key));
        assert_ne!(new_key().unwrap().0, key);
    }

    #[test]
    fn scopes_read_back_from_their_names() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("organization:delete"), None);
    }
}
