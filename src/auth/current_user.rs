//! The only place a bearer token is read. Every check of the contract's
//! Authentication table runs here, in its order, before any body validation.

use crate::app::{now_secs, Ctx};
use crate::auth::jwt::{self, TokenClaims};
use crate::db::{rows, Db};
use crate::error::{ApiError, ApiResult};
use crate::users::models::UserRow;
use crate::users::repo;
use crate::validation::Validator;
use worker::{D1PreparedStatement, D1Result};

pub const COULD_NOT_VALIDATE: &str = "Could not validate credentials";
pub const NOT_ENOUGH_PRIVILEGES: &str = "The user doesn't have enough privileges";

/// The token of an `Authorization` header, as Starlette's OAuth2PasswordBearer
/// splits it: scheme, first space, the rest. A missing header or another scheme
/// is 401; whatever follows `Bearer ` is for the token check to refuse.
pub fn bearer_token(header: Option<&str>) -> ApiResult<&str> {
    let value = header.unwrap_or("");
    let (scheme, param) = value.split_once(' ').unwrap_or((value, ""));
    if value.is_empty() || !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::NotAuthenticated);
    }
    Ok(param)
}

/// A1–A2: the claims of the bearer token. No D1: a bad token costs nothing.
pub fn token_claims(cx: &Ctx) -> ApiResult<TokenClaims> {
    let header = cx.header("Authorization");
    let token = bearer_token(header.as_deref())?;
    jwt::decode(&cx.config.secret_key, token, now_secs())
        .map_err(|_| ApiError::forbidden(COULD_NOT_VALIDATE))
}

/// A3, the password-change rule, and A4, on the row the token names.
fn check_caller(claims: &TokenClaims, user: Option<UserRow>) -> ApiResult<UserRow> {
    let user = user.ok_or_else(|| ApiError::not_found("User not found"))?;
    if claims.issued_at < user.password_changed_at {
        return Err(ApiError::forbidden(COULD_NOT_VALIDATE));
    }
    if !user.is_active() {
        return Err(ApiError::bad_request("Inactive user"));
    }
    Ok(user)
}

/// S1 on an authenticated caller.
pub fn require_superuser(user: UserRow) -> ApiResult<UserRow> {
    if !user.is_superuser() {
        return Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES));
    }
    Ok(user)
}

/// A3–A4 for `claims`: one D1 round trip.
pub async fn caller(cx: &Ctx, claims: &TokenClaims) -> ApiResult<UserRow> {
    check_caller(
        claims,
        repo::find_user_by_id(&cx.db, &claims.user_id).await?,
    )
}

/// A3–A4 for `claims`, reading the caller in the same D1 batch as `extra`
/// (whose results come back in order): the caller costs no round trip of its own.
pub async fn caller_with(
    cx: &Ctx,
    claims: &TokenClaims,
    extra: Vec<D1PreparedStatement>,
) -> ApiResult<(UserRow, Vec<D1Result>)> {
    let mut stmts = vec![repo::select_user_by_id(&cx.db, &claims.user_id)?];
    stmts.extend(extra);
    let mut results = cx.db.batch(stmts).await?;
    let caller_rows = rows::<UserRow>(&results.remove(0))?;
    let user = check_caller(claims, caller_rows.into_iter().next())?;
    Ok((user, results))
}

/// The caller's checks (A3–A4, and S1 with `superuser_only`), then the request's
/// validation problems in `v`, in the origin's order, with the caller read in the
/// same D1 batch as the statements `extra` builds (called only once `v` is clean,
/// so it may rely on validated input). Returns the caller and `extra`'s results.
pub async fn authorize_with(
    cx: &Ctx,
    claims: &TokenClaims,
    v: Validator,
    superuser_only: bool,
    extra: impl FnOnce(&Db) -> ApiResult<Vec<D1PreparedStatement>>,
) -> ApiResult<(UserRow, Vec<D1Result>)> {
    if !v.is_clean() {
        let me = caller(cx, claims).await?;
        if superuser_only {
            require_superuser(me)?;
        }
        v.finish()?;
    }
    let (me, results) = caller_with(cx, claims, extra(&cx.db)?).await?;
    let me = if superuser_only {
        require_superuser(me)?
    } else {
        me
    };
    Ok((me, results))
}

/// A1–A4: the active user the token names.
pub async fn current_user(cx: &Ctx) -> ApiResult<UserRow> {
    let claims = token_claims(cx)?;
    caller(cx, &claims).await
}

/// S1: as [`current_user`], and a superuser.
pub async fn current_superuser(cx: &Ctx) -> ApiResult<UserRow> {
    require_superuser(current_user(cx).await?)
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
