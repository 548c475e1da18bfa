//! Who may do what to an organization. The rules live here, not in SQL or handlers:
//! a missing organization is 404 before any permission check; owners and
//! superusers manage; members (and superusers) read.

use super::repo::select_membership;
use crate::app::Ctx;
use crate::auth::current_user::authorize_with;
use crate::auth::jwt::TokenClaims;
use crate::db::rows;
use crate::error::{ApiError, ApiResult};
use crate::organizations::models::OrganizationRow;
use crate::organizations::repo::select_organization;
use crate::users::models::UserRow;
use crate::users::repo::id_text;
use crate::validation::Validator;
use uuid::Uuid;

pub const NOT_ENOUGH_PERMISSIONS: &str = "Not enough permissions";

/// What the caller may do with one organization, and what is known of the user
/// an operation names (new owner, member to add or remove).
pub struct OrgAccess {
    pub org: OrganizationRow,
    pub caller: UserRow,
    pub caller_is_member: bool,
    pub subject: Option<Subject>,
}

pub struct Subject {
    pub id: String,
    pub exists: bool,
    pub is_member: bool,
}

#[derive(serde::Deserialize)]
struct Exists {}

impl OrgAccess {
    /// Authenticates the caller and reads their access to `org_id` (and, if
    /// named, the subject's existence and membership) in one D1 round trip.
    ///
    /// `claims` come from [`token_claims`](crate::auth::current_user::token_claims),
    /// called first by the handler. Checks then run in the origin's order: caller (A3–A4, and S1
    /// with `superuser_only`), the request's validation problems in `v`, then a
    /// missing organization (404). Permission checks are the caller's, after.
    pub async fn authorize(
        cx: &Ctx,
        claims: TokenClaims,
        v: Validator,
        org_id: Option<Uuid>,
        subject: Option<Uuid>,
        superuser_only: bool,
    ) -> ApiResult<OrgAccess> {
        let subject_id = subject.as_ref().map(id_text);
        let (me, results) = authorize_with(cx, &claims, v, superuser_only, |db| {
            let org_id = id_text(
                &org_id.ok_or_else(|| ApiError::internal("authorize: no organization id"))?,
            );
            let mut stmts = vec![select_organization(db, &org_id)?];
            if let Some(s) = &subject_id {
                stmts.push(db.stmt("select 1 as found from users where id = ?1", &[s.into()])?);
                stmts.push(select_membership(db, &org_id, s)?);
            }
            // The caller's own membership: the token names the caller before the row is read.
            stmts.push(select_membership(db, &org_id, &id_text(&claims.user_id))?);
            Ok(stmts)
        })
        .await?;
        let org = rows::<OrganizationRow>(&results[0])?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found("Organization not found"))?;
        let caller_is_member = !rows::<Exists>(&results[results.len() - 1])?.is_empty();
        let subject = match subject_id {
            Some(id) => Some(Subject {
                id,
                exists: !rows::<Exists>(&results[1])?.is_empty(),
                is_member: !rows::<Exists>(&results[2])?.is_empty(),
            }),
            None => None,
        };
        Ok(OrgAccess {
            org,
            caller: me,
            caller_is_member,
            subject,
        })
    }

    pub fn caller_is_owner(&self) -> bool {
        self.org.owner_id == self.caller.id
    }

    /// Members and superusers.
    pub fn require_member(&self) -> ApiResult<()> {
        if self.caller_is_member || self.caller.is_superuser() {
            Ok(())
        } else {
            Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS))
        }
    }

    /// The owner and superusers.
    pub fn require_owner(&self) -> ApiResult<()> {
        if self.caller_is_owner() || self.caller.is_superuser() {
            Ok(())
        } else {
            Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS))
        }
    }

    /// The user the operation names, whether or not such a user exists.
    pub fn named(&self) -> ApiResult<&Subject> {
        self.subject.as_ref().ok_or_else(|| {
            ApiError::internal("access loaded without the subject the operation needs")
        })
    }

    /// The user the operation names, if it exists (`404 User not found` if not).
    pub fn subject(&self) -> ApiResult<&Subject> {
        let subject = self.named()?;
        if !subject.exists {
            return Err(ApiError::not_found("User not found"));
        }
        Ok(subject)
    }
}
