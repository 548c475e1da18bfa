//! API keys for machine clients (extensions.md section A): an organization's
//! own bearer credentials, with scopes. A key acts with an admin's rights in
//! its organization, narrowed to its scopes (`access::org`), and nowhere else.
//!
//! The key (`uoa_` and 43 base64url characters, 256 random bits) is shown once;
//! D1 keeps its SHA-256, and a request finds its key by that hash in the
//! caller's batch, as a token's user is found: no round trip more.

pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;

use crate::error::ApiResult;
pub(crate) use crate::identity::api_key::{hash, Scope, KEY_PREFIX};

/// How many characters of a key `prefix` shows.
pub(crate) const SHOWN_PREFIX_LEN: usize = 12;
/// Unrevoked keys one organization may hold.
pub(crate) const MAX_KEYS: i64 = 50;

/// A new key (256 random bits, as every token of the service), and its hash.
pub(crate) fn new_key() -> ApiResult<(String, String)> {
    let (token, _) = crate::secrets::new_token()?;
    let key = format!("{KEY_PREFIX}{token}");
    let hash = hash(&key);
    Ok((key, hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::api_key::is_key;

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
