//! The only place a bearer token is read, and the caller checks of the
//! contract's Authentication table (A1–A4, S1), in its order. The access levels
//! (`crate::access`) run them; nothing else does.

use super::api_key as api_keys;
use super::jwt::{self, TokenClaims};
use super::user::UserRow;
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::messages::{INACTIVE_USER, USER_NOT_FOUND};

pub(crate) const COULD_NOT_VALIDATE: &str = "Could not validate credentials";
pub(crate) const NOT_ENOUGH_PRIVILEGES: &str = "The user doesn't have enough privileges";

/// The token of an `Authorization` header, as Starlette's OAuth2PasswordBearer
/// splits it: scheme, first space, the rest. A missing header or another scheme
/// is 401; whatever follows `Bearer ` is for the token check to refuse.
pub(crate) fn bearer_token(header: Option<&str>) -> ApiResult<&str> {
    let value = header.unwrap_or("");
    let (scheme, param) = value.split_once(' ').unwrap_or((value, ""));
    if value.is_empty() || !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::NotAuthenticated);
    }
    Ok(param)
}

/// What a request's bearer credential is, before D1 is read.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// An access token that passed A1–A2.
    Token(TokenClaims),
    /// An API key (`uoa_...`), by its SHA-256: the caller's batch finds it.
    Key { hash: String },
}

/// A1–A2: the bearer credential. A token is checked here, with no D1 (a bad
/// token costs nothing); an API key is found in the caller's batch.
pub(crate) async fn credential(cx: &Ctx) -> ApiResult<Credential> {
    let header = cx.header("Authorization");
    let bearer = bearer_token(header.as_deref())?;
    if api_keys::is_key(bearer) {
        return Ok(Credential::Key {
            hash: api_keys::hash(bearer),
        });
    }
    jwt::decode(&jwt::keys(&cx.config), bearer, now_secs())
        .await
        .map(Credential::Token)
        .map_err(|_| ApiError::forbidden(COULD_NOT_VALIDATE))
}

/// A3, the password-change rules (issued before the last change, or of
/// another token version), and A4, on the row the token names.
pub(crate) fn check_caller(claims: &TokenClaims, user: Option<UserRow>) -> ApiResult<UserRow> {
    let user = user.ok_or_else(|| ApiError::not_found(USER_NOT_FOUND))?;
    if claims.issued_at < user.password_changed_at || claims.token_version != user.token_version {
        return Err(ApiError::forbidden(COULD_NOT_VALIDATE));
    }
    if !user.is_active() {
        return Err(ApiError::bad_request(INACTIVE_USER));
    }
    Ok(user)
}

/// S1 on an authenticated caller.
pub(crate) fn require_superuser(user: UserRow) -> ApiResult<UserRow> {
    if !user.is_superuser() {
        return Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES));
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_foreign_scheme_is_not_authenticated() {
        for h in [
            None,
            Some(""),
            Some("Basic abc"),
            Some("Token abc"),
            Some("Bearerabc"),
        ] {
            assert_eq!(bearer_token(h).unwrap_err().status(), 401, "{h:?}");
        }
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_the_rest_is_the_token() {
        assert_eq!(bearer_token(Some("bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(Some("BEARER abc def")).unwrap(), "abc def");
        assert_eq!(bearer_token(Some("Bearer")).unwrap(), "");
    }
}
