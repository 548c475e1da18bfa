//! Organization levels: who may do what to one organization (`behaviour.md`,
//! Organizations). A missing organization is 404 before any permission check;
//! members (and superusers) read; the owner (and superusers) manage.
//!
//! Every level is an [`OrgAccess`] that passed its [`OrgRule`]; repositories
//! that touch one organization's data take the level they need, so every such
//! query is scoped to the organization the check was made for.

use super::{Access, Actor, Step};
use crate::db::from_row;
use crate::db::{Batch, DbResult, Results, Rows};
use crate::error::{ApiError, ApiResult};
use crate::http::input::Target;
use crate::http::Ctx;
use crate::identity::api_key::Scope;
use crate::identity::credential::{Credential, NOT_ENOUGH_PRIVILEGES};
use crate::identity::organization::{self as organizations, OrganizationRow};
use crate::identity::user::{self as users, Named, UserRow};
use crate::ids::id_text;
use std::ops::Deref;

pub(crate) use super::NOT_ENOUGH_PERMISSIONS;
use crate::messages::USER_NOT_FOUND;
pub(crate) const ORGANIZATION_NOT_FOUND: &str = "Organization not found";
pub(crate) const MFA_REQUIRED: &str = "This organization requires multi-factor authentication";

/// An organization that requires MFA refuses its members who have none
/// (extensions M), superusers aside, on every operation but leaving it.
fn mfa_required(requires: bool, member: bool, user: Option<&UserRow>) -> ApiResult<()> {
    let lacking = user.is_some_and(|u| !u.has_mfa() && !u.is_superuser());
    if requires && member && lacking {
        return Err(ApiError::forbidden(MFA_REQUIRED));
    }
    Ok(())
}

/// An organization token (extensions K): the organization must exist (404) and
/// the token's user be a member of it, superusers included (403), with MFA on
/// if it requires MFA (403); the role goes into the token. Other services read
/// it; this service never does.
pub(crate) fn token_role(
    found: Option<i64>,
    role: Option<&str>,
    mfa_missing: bool,
) -> ApiResult<&str> {
    let Some(requires) = found else {
        return Err(ApiError::not_found(ORGANIZATION_NOT_FOUND));
    };
    let role = role.ok_or_else(|| ApiError::forbidden(NOT_ENOUGH_PERMISSIONS))?;
    if requires != 0 && mfa_missing {
        return Err(ApiError::forbidden(MFA_REQUIRED));
    }
    Ok(role)
}

/// What the caller may do with one organization, and what is known of the user
/// the operation names (a new owner, a member to add or remove).
pub(crate) struct OrgAccess {
    pub(crate) org: OrganizationRow,
    /// A user, or one of this organization's API keys (an admin here).
    pub(crate) caller: Actor,
    pub(crate) caller_is_member: bool,
    /// The caller's role here: `owner`, `admin` or `member`; `None` for a
    /// non-member; `admin` for a key.
    pub(crate) caller_role: Option<String>,
    subject: Option<Subject>,
}

/// The user an operation names.
pub(crate) struct Subject {
    pub(crate) id: String,
    /// Their address and name, if they exist.
    pub(crate) named: Option<Named>,
    pub(crate) is_member: bool,
    /// Their role here, if they are a member.
    pub(crate) role: Option<String>,
}

impl OrgAccess {
    pub(crate) fn org_id(&self) -> &str {
        &self.org.id
    }

    pub(crate) fn caller_is_owner(&self) -> bool {
        self.org.owner_id == self.caller.id()
    }

    /// Whether an API key is calling.
    pub(crate) fn caller_is_key(&self) -> bool {
        matches!(self.caller, Actor::Key(_))
    }

    /// The owner or a superuser: they may do everything to the organization.
    pub(crate) fn caller_manages(&self) -> bool {
        self.caller_is_owner() || self.caller.is_superuser()
    }

    pub(crate) fn caller_is_admin(&self) -> bool {
        self.caller_role.as_deref() == Some("admin")
    }

    /// Only the owner and superusers invite an admin.
    pub(crate) fn may_invite(&self, as_admin: bool) -> ApiResult<()> {
        allow(!as_admin || self.caller_manages())
    }

    /// What an update may change: `rework_available` is for superusers
    /// (`403 The user doesn't have enough privileges`); a new owner and
    /// `require_mfa` are for the owner and superusers, and so is the avatar,
    /// but for an API key with `organization:write` (extensions A); an admin
    /// renames and describes.
    pub(crate) fn may_update(
        &self,
        rework: bool,
        owner: bool,
        avatar: bool,
        require_mfa: bool,
    ) -> ApiResult<()> {
        super::may_set_rework(self.caller.is_superuser(), rework)?;
        let beyond_admin = owner || require_mfa || (avatar && !self.caller_is_key());
        allow(!beyond_admin || self.caller_manages())
    }

    /// The user the operation names, whether or not such a user exists.
    pub(crate) fn named(&self) -> ApiResult<&Subject> {
        self.subject
            .as_ref()
            .ok_or_else(|| ApiError::internal("access loaded without the user the operation names"))
    }

    /// The user the operation names, if it exists (`404 User not found` if not).
    pub(crate) fn subject(&self) -> ApiResult<&Subject> {
        let subject = self.named()?;
        if subject.named.is_none() {
            return Err(ApiError::not_found(USER_NOT_FOUND));
        }
        Ok(subject)
    }
}

/// `403 Not enough permissions` unless `permitted`.
fn allow(permitted: bool) -> ApiResult<()> {
    if permitted {
        Ok(())
    } else {
        Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS))
    }
}

/// A guarded write's verdict: if its guard no longer held when the batch ran
/// (the caller lost the right between the check and the write), nothing
/// changed, and the answer is `403 Not enough permissions`.
pub(crate) fn settle_guarded(verdict: Option<Permitted>) -> ApiResult<()> {
    allow(verdict.is_some_and(|p| p.held()))
}

/// A guarded write's count of rows changed: none, and the guard no longer held
/// (or what it changes is gone): `403 Not enough permissions`.
pub(crate) fn settle_write(changed: u64) -> ApiResult<()> {
    allow(changed > 0)
}

/// A superuser's guarded write: if the caller was no longer an active superuser
/// when the batch ran, nothing changed: `403 The user doesn't have enough privileges`.
pub(crate) fn settle_superuser_write(held: bool) -> ApiResult<()> {
    if held {
        Ok(())
    } else {
        Err(ApiError::forbidden(NOT_ENOUGH_PRIVILEGES))
    }
}

/// SQL that holds while the caller (`?caller`) may manage the organization
/// (`?org`): its owner, or an active superuser. Writes repeat their level's rule
/// with it inside their own statements, so a caller who lost the right between
/// the access check and the write (ownership transferred, demoted) changes nothing.
pub(crate) fn owner_guard(org: u8, caller: u8) -> String {
    format!(
        "(exists (select 1 from organizations g where g.id = ?{org} and g.owner_id = ?{caller}) \
          or {})",
        superuser_guard(caller)
    )
}

/// SQL that holds while the caller (`?caller`) is the owner or an admin of
/// `?org`, an active superuser, or an unrevoked API key of `?org` (its scope
/// was checked with the level; a key acts as an admin).
pub(crate) fn admin_guard(org: u8, caller: u8) -> String {
    format!(
        "(exists (select 1 from organization_members a where a.organization_id = ?{org} \
          and a.user_id = ?{caller} and a.role in ('owner', 'admin')) or {} or {})",
        superuser_guard(caller),
        key_guard(org, caller)
    )
}

/// SQL that holds while the caller (`?caller`) is an unrevoked API key of `?org`.
pub(crate) fn key_guard(org: u8, caller: u8) -> String {
    format!(
        "exists (select 1 from api_keys k where k.id = ?{caller} and k.organization_id = ?{org} \
          and k.revoked_at is null)"
    )
}

/// SQL that holds while the caller (`?caller`) is an active superuser.
pub(crate) fn superuser_guard(caller: u8) -> String {
    format!(
        "exists (select 1 from users su where su.id = ?{caller} and su.is_superuser = 1 and su.is_active = 1)"
    )
}

/// Whether a guard still held when the write's batch ran.
pub(crate) struct Permitted {
    permitted: i64,
}
from_row!(Permitted { permitted });

impl Permitted {
    pub(crate) fn held(&self) -> bool {
        self.permitted != 0
    }
}

/// Reads `guard` (SQL over `args`) first in a write's batch: if it no longer
/// holds, the batch's guarded writes changed nothing, and this says why.
pub(crate) fn permitted(
    b: &mut Batch<'_>,
    guard: &str,
    args: &[crate::db::Arg<'_>],
) -> crate::db::DbResult<Rows<Permitted>> {
    b.query(&format!("select ({guard}) as permitted"), args)
}

/// A membership's role.
pub(crate) struct Membership {
    pub(crate) role: String,
}
from_row!(Membership { role });

/// `user_id`'s membership of `org_id`, if any: read by the access check in the
/// caller's batch, so it lives here, beside it.
fn membership(b: &mut Batch<'_>, org_id: &str, user_id: &str) -> DbResult<Rows<Membership>> {
    b.query(
        "select role from organization_members where organization_id = ?1 and user_id = ?2",
        &[org_id.into(), user_id.into()],
    )
}

/// The rule of one organization level.
pub(crate) trait OrgRule: Sized + 'static {
    const SUPERUSER_ONLY: bool = false;
    /// The scope an API key of the organization needs to hold the level (with
    /// an admin's rights); `None`: no key may.
    const KEY_SCOPE: Option<Scope>;
    /// A member leaving (naming themself) passes an organization's MFA requirement.
    const LEAVING_EXEMPT: bool = false;
    fn permits(access: &OrgAccess) -> bool;
    fn wrap(access: OrgAccess) -> Self;
}

/// The statements that load an [`OrgAccess`].
pub(crate) struct OrgPlan {
    org: Rows<OrganizationRow>,
    caller_membership: Option<Rows<Membership>>,
    subject: Option<(String, Rows<Named>, Rows<Membership>)>,
}

impl<L: OrgRule> Access for L {
    const SUPERUSER_ONLY: bool = L::SUPERUSER_ONLY;
    const KEYS: bool = L::KEY_SCOPE.is_some();
    type Plan = OrgPlan;

    fn plan(b: &mut Batch<'_>, who: &Credential, target: &Target) -> ApiResult<OrgPlan> {
        org_plan(b, who, target)
    }

    fn decide(caller: Actor, plan: OrgPlan, r: &Results) -> ApiResult<Self> {
        decide_org(caller, plan, r, rule::<L>()).map(L::wrap)
    }

    fn open_level(cx: &Ctx, claims: Credential, target: Target) -> Step<'_, ApiResult<Self>> {
        let opened = open_org(
            cx,
            claims,
            target,
            rule::<L>(),
            (L::SUPERUSER_ONLY, L::KEYS),
        );
        Box::pin(async move { opened.await.map(L::wrap) })
    }
}

/// Webhook endpoints (extensions W): an organization's, when the path names
/// one, for its owner, admins and superusers ([`OrgKeyAdmin`]'s rule; no API
/// key); the global ones, when it names none, for superusers only (S1 first).
pub(crate) enum HookAdmin {
    Org(Box<OrgAccess>),
    Global(UserRow),
}

impl Access for HookAdmin {
    type Plan = Option<OrgPlan>;

    fn superuser_only(cx: &Ctx) -> bool {
        cx.param("organization_id").is_empty()
    }

    fn plan(b: &mut Batch<'_>, who: &Credential, target: &Target) -> ApiResult<Self::Plan> {
        match target.org_id {
            Some(_) => org_plan(b, who, target).map(Some),
            None => Ok(None),
        }
    }

    fn decide(caller: Actor, plan: Self::Plan, r: &Results) -> ApiResult<Self> {
        match plan {
            Some(plan) => {
                let access = decide_org(caller, plan, r, rule::<OrgKeyAdmin>())?;
                Ok(HookAdmin::Org(Box::new(access)))
            }
            None => super::require_superuser(caller.into_user()?).map(HookAdmin::Global),
        }
    }
}

/// Level `L`'s rule, as [`decide_org`] takes it.
fn rule<L: OrgRule>() -> Rule {
    Rule {
        key_scope: L::KEY_SCOPE,
        leaving_exempt: L::LEAVING_EXEMPT,
        permits: L::permits,
    }
}

/// What an organization level reads, pushed into the caller's batch.
#[inline(never)]
fn org_plan(b: &mut Batch<'_>, who: &Credential, target: &Target) -> ApiResult<OrgPlan> {
    {
        let org_id = target
            .org_id
            .as_deref()
            .ok_or_else(|| ApiError::internal("an organization level without an organization"))?;
        let subject = match &target.subject {
            Some(id) => Some((id.clone(), users::named(b, id)?, membership(b, org_id, id)?)),
            None => None,
        };
        Ok(OrgPlan {
            org: organizations::find(b, org_id)?,
            caller_membership: match who {
                Credential::Token(claims) => {
                    Some(membership(b, org_id, &id_text(&claims.user_id))?)
                }
                Credential::Key { .. } => None,
            },
            subject,
        })
    }
}

/// An organization level's steps 3–4 (`Gate::open_with`'s, in its order,
/// with the level's rule given at run time): one compiled copy for every
/// organization level. A change to `Gate::open_with`'s steps is a change here.
fn open_org(
    cx: &Ctx,
    claims: Credential,
    target: Target,
    rule: Rule,
    level: (bool, bool),
) -> Step<'_, ApiResult<OrgAccess>> {
    Box::pin(async move {
        let db = &cx.db;
        let key = target.idempotency.as_ref();
        let mut b = db.batch();
        let cache = cx.config.caller_cache_seconds;
        let reads = super::CallerReads::push(&mut b, &claims, key, cache)?;
        let plan = org_plan(&mut b, &claims, &target)?;
        let (caller, claim, r) = super::run_checked(db, b, reads, &claims, key, level).await?;
        let access = decide_org(caller, plan, &r, rule)?;
        super::settle(claim)?;
        Ok(access)
    })
}

/// A level's rule, as [`decide_org`] takes it (not generic: compiled once).
struct Rule {
    key_scope: Option<Scope>,
    leaving_exempt: bool,
    permits: fn(&OrgAccess) -> bool,
}

/// Every organization level's decision, compiled once: the organization (404),
/// a key's organization and scope, a member's MFA if the organization requires
/// it, then the level's rule (`permits`).
#[inline(never)]
fn decide_org(caller: Actor, plan: OrgPlan, r: &Results, rule: Rule) -> ApiResult<OrgAccess> {
    let org = r
        .first(plan.org)?
        .ok_or_else(|| ApiError::not_found(ORGANIZATION_NOT_FOUND))?;
    let subject = match plan.subject {
        Some((id, named, member)) => {
            let role = r.first(member)?.map(|m| m.role);
            Some(Subject {
                id,
                named: r.first(named)?,
                is_member: role.is_some(),
                role,
            })
        }
        None => None,
    };
    let caller_role = match (&caller, plan.caller_membership) {
        (Actor::User(_), Some(member)) => r.first(member)?.map(|m| m.role),
        // A key acts as an admin of its own organization, within its scopes.
        (Actor::Key(key), _) => {
            let scoped = rule.key_scope.is_some_and(|scope| key.allows(scope));
            if key.organization_id != org.id || !scoped {
                return Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS));
            }
            Some("admin".to_string())
        }
        (Actor::User(_), None) => None,
    };
    let access = OrgAccess {
        org,
        caller,
        caller_is_member: caller_role.is_some(),
        caller_role,
        subject,
    };
    let leaving = rule.leaving_exempt
        && access
            .subject
            .as_ref()
            .is_some_and(|s| s.id == access.caller.id());
    if !leaving {
        let requires = access.org.require_mfa != 0;
        mfa_required(requires, access.caller_is_member, access.caller.user())?;
    }
    if !(rule.permits)(&access) {
        return Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS));
    }
    Ok(access)
}

macro_rules! org_level {
    ($(#[$doc:meta])* $name:ident, superuser_only = $su:expr, keys = $keys:expr,
     $(leaving_exempt = $leave:expr,)? |$a:ident| $rule:expr) => {
        $(#[$doc])*
        pub(crate) struct $name(OrgAccess);

        impl OrgRule for $name {
            const SUPERUSER_ONLY: bool = $su;
            const KEY_SCOPE: Option<Scope> = $keys;
            $(const LEAVING_EXEMPT: bool = $leave;)?
            fn permits($a: &OrgAccess) -> bool {
                $rule
            }
            fn wrap(access: OrgAccess) -> Self {
                $name(access)
            }
        }

        impl Deref for $name {
            type Target = OrgAccess;
            fn deref(&self) -> &OrgAccess {
                &self.0
            }
        }
    };
}

org_level!(
    /// Members and superusers: reads. Keys with `organization:read`.
    OrgMember, superuser_only = false, keys = Some(Scope::OrganizationRead),
    |a| a.caller_is_member || a.caller.is_superuser()
);
org_level!(
    /// The owner and superusers: changes, deletion, adding members. No key.
    OrgOwner, superuser_only = false, keys = None,
    |a| a.caller_is_owner() || a.caller.is_superuser()
);
org_level!(
    /// The owner, admins and superusers: adding and inviting members, and
    /// revoking and resending invitations. Keys with `members:write`.
    OrgAdmin, superuser_only = false, keys = Some(Scope::MembersWrite),
    |a| a.caller_manages() || a.caller_is_admin()
);
org_level!(
    /// The owner, admins and superusers: the invitation list. Keys with
    /// `organization:read`.
    OrgAdminReader, superuser_only = false, keys = Some(Scope::OrganizationRead),
    |a| a.caller_manages() || a.caller_is_admin()
);
org_level!(
    /// The owner, admins and superusers: renaming (and for the owner and
    /// superusers, more). Keys with `organization:write`.
    OrgEditor, superuser_only = false, keys = Some(Scope::OrganizationWrite),
    |a| a.caller_manages() || a.caller_is_admin()
);
org_level!(
    /// The owner, admins and superusers: the organization's API keys. No key
    /// manages keys.
    OrgKeyAdmin, superuser_only = false, keys = None,
    |a| a.caller_manages() || a.caller_is_admin()
);
org_level!(
    /// The owner and superusers remove anyone, an admin (or a key with
    /// `members:write`) a plain member, a member themself. A member naming the
    /// owner passes here (removing the owner is a 400 for every member); a
    /// non-member is refused whoever they name, so the answer does not tell
    /// them who owns the organization.
    MemberRemoval, superuser_only = false, keys = Some(Scope::MembersWrite), leaving_exempt = true,
    |a| {
        let subject = a.subject.as_ref();
        let subject_role = subject.and_then(|s| s.role.as_deref());
        a.caller_manages()
            || (a.caller_is_member && subject.is_some_and(|s| s.id == a.org.owner_id))
            || (a.caller_is_member && subject.is_some_and(|s| s.id == a.caller.id()))
            || (a.caller_is_admin() && !matches!(subject_role, Some("admin")))
    }
);
org_level!(
    /// Superusers only (S1 first), on an organization that exists. No key.
    OrgSuperuser, superuser_only = true, keys = None,
    |_a| true
);
