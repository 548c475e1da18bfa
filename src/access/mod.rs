//! Access levels as types (svix-server's `permissions.rs`, FastAPI's
//! `CurrentUser` / `get_current_active_superuser`).
//!
//! A route names its level in its handler's signature; the envelope
//! ([`serve`](crate::access::serve)) runs the checks of `behaviour.md` in order
//! and hands the handler a value that proves them:
//!
//! 1. A1–A2: the bearer token (no D1), before anything else;
//! 2. the inputs; if they are refused (422, or an unreadable body), the caller's
//!    own checks still come first: A3–A4 and S1 for superuser-only levels;
//! 3. A3–A4 (and S1) on the caller, read in one D1 batch with whatever the level
//!    needs (the organization, memberships, the named user) and, if the request
//!    sent an `Idempotency-Key`, its reservation (`http::idempotency`);
//! 4. the level's rule: 404 for a missing organization, then permissions;
//! 5. the key: a replay, a 409 or a 422 answers here, only to a caller whom
//!    the level still lets through.
//!
//! A handler taking [`Gate<A>`] gets steps 1–2 done and runs 3–4 itself with
//! [`Gate::open_with`], to read its own data in the same batch (one round trip).
//! A new level is a type and an [`Access`] (or [`org::OrgRule`]) impl.

pub(crate) mod org;

use crate::db::{Batch, Db, DbResult, Results, Rows};
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{Claim, Key, Record};
use crate::http::input::{Input, Target};
use crate::http::Ctx;
use crate::identity::api_key::ApiKeyRow;
use crate::identity::cache;
use crate::identity::credential::{
    check_caller, credential, require_superuser, Credential, COULD_NOT_VALIDATE,
};
use crate::identity::session::{self as sessions, CallerRow};
use crate::identity::user::UserRow;
use crate::ids::id_text;
use crate::validation::Validator;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use worker::Response;

/// What a caller gets from an operation its role, scopes or kind do not allow.
pub(crate) const NOT_ENOUGH_PERMISSIONS: &str = "Not enough permissions";

/// Who is calling, once A1–A4 passed: a user, or an organization's API key.
pub(crate) enum Actor {
    User(UserRow),
    Key(ApiKeyRow),
}

impl Actor {
    /// The user's id, or the key's.
    pub(crate) fn id(&self) -> &str {
        match self {
            Actor::User(u) => &u.id,
            Actor::Key(k) => &k.id,
        }
    }

    /// The user acting, or the one who made the key (if they still exist).
    pub(crate) fn user_id(&self) -> Option<&str> {
        match self {
            Actor::User(u) => Some(&u.id),
            Actor::Key(k) => k.created_by_id.as_deref(),
        }
    }

    /// The caller as the author of an event.
    pub(crate) fn by(&self) -> crate::events::By<'_> {
        match self {
            Actor::User(u) => crate::events::By::user(&u.id),
            Actor::Key(k) => crate::events::By::key(&k.id),
        }
    }

    /// The user, if a user is calling.
    pub(crate) fn user(&self) -> Option<&UserRow> {
        match self {
            Actor::User(u) => Some(u),
            Actor::Key(_) => None,
        }
    }

    /// An active superuser (never a key).
    pub(crate) fn is_superuser(&self) -> bool {
        self.user().is_some_and(UserRow::is_superuser)
    }

    /// The name to show for the caller (an invitation's "invited by").
    pub(crate) fn display_name(&self) -> String {
        match self {
            Actor::User(u) => u.full_name.clone().unwrap_or_else(|| u.email.clone()),
            Actor::Key(k) => k.name.clone(),
        }
    }

    /// The user, for the levels only users hold (the caller's checks refused
    /// a key before this).
    fn into_user(self) -> ApiResult<UserRow> {
        match self {
            Actor::User(u) => Ok(u),
            Actor::Key(_) => Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS)),
        }
    }
}

/// A level that needs an authenticated, active caller.
pub(crate) trait Access: Sized + 'static {
    /// S1 applies: checked right after A3–A4, before the inputs' 422.
    const SUPERUSER_ONLY: bool = false;
    /// Whether S1 applies to this request, for the inputs' 422 (a level whose
    /// rule depends on the path says so from it).
    fn superuser_only(_cx: &Ctx) -> bool {
        Self::SUPERUSER_ONLY
    }
    /// An API key may hold this level (an organization level its scopes
    /// reach); on any other a live key is `403 Not enough permissions`.
    const KEYS: bool = false;
    /// Handles into the batch for what the level must know.
    type Plan;
    fn plan(b: &mut Batch<'_>, who: &Credential, target: &Target) -> ApiResult<Self::Plan>;
    /// The level's own rule, once the caller passed A3–A4 (and S1).
    fn decide(caller: Actor, plan: Self::Plan, r: &Results) -> ApiResult<Self>;
    /// Steps 3–4 for a handler that reads nothing of its own: the gate's, by
    /// default; the organization levels share one compiled copy.
    fn open_level(cx: &Ctx, claims: Credential, target: Target) -> Step<'_, ApiResult<Self>> {
        let gate = Gate::<Self> {
            claims,
            target,
            cache_seconds: cx.config.caller_cache_seconds,
            level: PhantomData,
        };
        Box::pin(gate.open(&cx.db))
    }
}

/// How the envelope obtains a handler's access argument.
pub(crate) trait Extract: Sized {
    /// A1–A2. `None` for public operations.
    fn authenticate(cx: &Ctx) -> Step<'_, ApiResult<Option<Credential>>>;
    /// The inputs were refused with `invalid`: the caller's own checks go first.
    fn refuse(cx: &Ctx, claims: Option<Credential>, invalid: ApiError) -> Step<'_, ApiError>;
    /// Steps 3–5, boxed: a level's check is shared by many routes, and
    /// inlined into each it would be compiled once per route.
    fn extract(cx: &Ctx, claims: Option<Credential>, target: Target) -> Step<'_, ApiResult<Self>>;
}

/// A boxed future: its code is not inlined into the caller's.
pub(crate) type Step<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Runs one operation: access and inputs checked in the contract's order, then
/// the handler. The route's types go behind [`Operation`], so the envelope
/// that orders the checks ([`envelope`]) is compiled once, not once per route.
pub(crate) fn serve<A, I>(cx: Ctx, handler: Handler<A, I>) -> Step<'static, ApiResult<Response>>
where
    A: Extract + 'static,
    I: Input + 'static,
{
    let op = Op::<A, I> {
        handler,
        input: None,
    };
    start(cx, Box::new(op))
}

/// The envelope's future, made in one place (it holds the whole `Ctx`).
#[inline(never)]
fn start(cx: Ctx, op: Box<dyn Operation>) -> Step<'static, ApiResult<Response>> {
    Box::pin(envelope(cx, op))
}

/// A route's handler, its future boxed: one type for every route with the
/// same level and inputs.
pub(crate) type Handler<A, I> = fn(Ctx, A, I) -> Step<'static, ApiResult<Response>>;

/// The order of the checks, for every operation.
async fn envelope(mut cx: Ctx, mut op: Box<dyn Operation>) -> ApiResult<Response> {
    let claims = op.authenticate(&cx).await?;
    if let Some(Credential::Key { hash }) = &claims {
        // At the edge, before D1: a key over its rate is refused for nothing.
        crate::identity::key_limit::check(&cx, hash).await?;
    }
    cx.caller_id = claims.as_ref().map(caller_scope);
    let mut v = Validator::new();
    v.local = cx.config.local;
    let parsed = op.parse(&cx, &mut v);
    let refused = match (parsed, v.finish()) {
        (Err(unreadable), _) => Some(unreadable),
        (Ok(_), Err(invalid)) => Some(invalid),
        (Ok(true), Ok(())) => None,
        (Ok(false), Ok(())) => Some(ApiError::internal("an input failed without a problem")),
    };
    if let Some(invalid) = refused {
        return Err(op.refuse(&cx, claims, invalid).await);
    }
    let mut target = Target::default();
    op.target(&mut target);
    cx.session_id = match &claims {
        Some(Credential::Token(c)) => c.session_id.map(|s| id_text(&s)),
        _ => None,
    };
    op.run(cx, claims, target).await
}

/// Whom the credential names, before D1: a token's user id, or `key:` and an
/// API key's hash (what Idempotency-Keys and per-caller limits are scoped by).
fn caller_scope(who: &Credential) -> String {
    match who {
        Credential::Token(c) => id_text(&c.user_id),
        Credential::Key { hash } => format!("key:{hash}"),
    }
}

/// One route's access level `A`, inputs `I` and handler `F`, seen by the
/// envelope only through this trait.
trait Operation {
    fn authenticate<'a>(&self, cx: &'a Ctx) -> Step<'a, ApiResult<Option<Credential>>>;
    /// Parses the inputs into `self`: `Err` for an unreadable request,
    /// `Ok(false)` when `v` holds the problems.
    fn parse(&mut self, cx: &Ctx, v: &mut Validator) -> ApiResult<bool>;
    fn target(&self, target: &mut Target);
    fn refuse<'a>(
        &self,
        cx: &'a Ctx,
        claims: Option<Credential>,
        invalid: ApiError,
    ) -> Step<'a, ApiError>;
    /// The level's checks, then the handler.
    fn run(
        self: Box<Self>,
        cx: Ctx,
        claims: Option<Credential>,
        target: Target,
    ) -> Step<'static, ApiResult<Response>>;
}

struct Op<A, I> {
    handler: Handler<A, I>,
    input: Option<I>,
}

impl<A, I> Operation for Op<A, I>
where
    A: Extract + 'static,
    I: Input + 'static,
{
    fn authenticate<'a>(&self, cx: &'a Ctx) -> Step<'a, ApiResult<Option<Credential>>> {
        A::authenticate(cx)
    }

    fn parse(&mut self, cx: &Ctx, v: &mut Validator) -> ApiResult<bool> {
        parse_into(cx, v, &mut self.input)
    }

    fn target(&self, target: &mut Target) {
        if let Some(input) = &self.input {
            input.target(target);
        }
    }

    fn refuse<'a>(
        &self,
        cx: &'a Ctx,
        claims: Option<Credential>,
        invalid: ApiError,
    ) -> Step<'a, ApiError> {
        A::refuse(cx, claims, invalid)
    }

    fn run(
        self: Box<Self>,
        cx: Ctx,
        claims: Option<Credential>,
        target: Target,
    ) -> Step<'static, ApiResult<Response>> {
        let Op { handler, input, .. } = *self;
        let Some(input) = input else {
            return Box::pin(async { Err(ApiError::internal("an operation ran unparsed")) });
        };
        // The inputs go into the handler's call here, so that what awaits the
        // level's check is compiled once per level, not once per route.
        let call: Call<A> = Box::new(move |cx, access| handler(cx, access, input));
        run_level(cx, claims, target, call)
    }
}

/// Parses inputs `I` into `slot`: once per input type, not per route.
#[inline(never)]
fn parse_into<I: Input>(cx: &Ctx, v: &mut Validator, slot: &mut Option<I>) -> ApiResult<bool> {
    *slot = I::parse(cx, v)?;
    Ok(slot.is_some())
}

/// A handler with its inputs, waiting for the access value.
type Call<A> = Box<dyn FnOnce(Ctx, A) -> Step<'static, ApiResult<Response>>>;

/// The level's checks, then the handler: one copy per level.
fn run_level<A: Extract + 'static>(
    cx: Ctx,
    claims: Option<Credential>,
    target: Target,
    call: Call<A>,
) -> Step<'static, ApiResult<Response>> {
    Box::pin(async move {
        let access = A::extract(&cx, claims, target).await?;
        call(cx, access).await
    })
}

/// Anyone: no token is read.
pub(crate) struct Public;

impl Extract for Public {
    fn authenticate(_: &Ctx) -> Step<'_, ApiResult<Option<Credential>>> {
        Box::pin(std::future::ready(Ok(None)))
    }
    fn refuse(_: &Ctx, _: Option<Credential>, invalid: ApiError) -> Step<'_, ApiError> {
        Box::pin(std::future::ready(invalid))
    }
    fn extract(_: &Ctx, _: Option<Credential>, _: Target) -> Step<'_, ApiResult<Self>> {
        Box::pin(std::future::ready(Ok(Public)))
    }
}

/// An authenticated, active user (A1–A4).
pub(crate) struct Caller(pub(crate) UserRow);

impl Access for Caller {
    type Plan = ();
    fn plan(_: &mut Batch<'_>, _: &Credential, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: Actor, _: (), _: &Results) -> ApiResult<Self> {
        Ok(Caller(caller.into_user()?))
    }
}

pub(crate) const SUPERUSER_SELF_DELETE: &str = "Super users are not allowed to delete themselves";
pub(crate) const OTHER_ADDRESS: &str = "This invitation is for another email address";

impl Caller {
    /// A superuser does not delete their own account.
    pub(crate) fn may_delete_self(&self) -> ApiResult<()> {
        if self.0.is_superuser() {
            return Err(ApiError::forbidden(SUPERUSER_SELF_DELETE));
        }
        Ok(())
    }

    /// `rework_available` is for superusers to set.
    pub(crate) fn may_set_rework(&self, rework: bool) -> ApiResult<()> {
        may_set_rework(self.0.is_superuser(), rework)
    }

    /// A user reads themself; another user only a superuser reads.
    pub(crate) fn may_read_user(&self, id: &str) -> ApiResult<()> {
        if id != self.0.id && !self.0.is_superuser() {
            return Err(ApiError::forbidden(
                crate::identity::credential::NOT_ENOUGH_PRIVILEGES,
            ));
        }
        Ok(())
    }

    /// An invitation is answered by the holder of its address (`email_key`, folded).
    pub(crate) fn may_answer_invitation(&self, email_key: &str) -> ApiResult<()> {
        if email_key != crate::validation::runtime::lower(&self.0.email) {
            return Err(ApiError::forbidden(OTHER_ADDRESS));
        }
        Ok(())
    }
}

/// `rework_available` is for superusers to set: `403 The user doesn't have
/// enough privileges` for anyone else (a key included).
pub(crate) fn may_set_rework(superuser: bool, rework: bool) -> ApiResult<()> {
    if rework && !superuser {
        return Err(ApiError::forbidden(
            crate::identity::credential::NOT_ENOUGH_PRIVILEGES,
        ));
    }
    Ok(())
}

impl Superuser {
    /// A superuser deletes anyone but themself (refused before "unknown" can apply).
    pub(crate) fn may_delete(&self, id: &str) -> ApiResult<()> {
        if id == self.0.id {
            return Err(ApiError::forbidden(SUPERUSER_SELF_DELETE));
        }
        Ok(())
    }
}

/// An authenticated, active user whose address is verified: what is sent to
/// an address (its invitations) is theirs only once they proved the mailbox.
/// A change of address makes the caller unverified until the new one is.
pub(crate) struct Verified(pub(crate) UserRow);

pub(crate) const VERIFY_FIRST: &str = "Verify your email address first";

impl Access for Verified {
    type Plan = ();
    fn plan(_: &mut Batch<'_>, _: &Credential, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: Actor, _: (), _: &Results) -> ApiResult<Self> {
        let caller = caller.into_user()?;
        if !caller.is_email_verified() {
            return Err(ApiError::forbidden(VERIFY_FIRST));
        }
        Ok(Verified(caller))
    }
}

impl From<Verified> for Caller {
    fn from(Verified(user): Verified) -> Caller {
        Caller(user)
    }
}

/// An active superuser (A1–A4, S1).
pub(crate) struct Superuser(pub(crate) UserRow);

impl Access for Superuser {
    const SUPERUSER_ONLY: bool = true;
    type Plan = ();
    fn plan(_: &mut Batch<'_>, _: &Credential, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: Actor, _: (), _: &Results) -> ApiResult<Self> {
        Ok(Superuser(caller.into_user()?))
    }
}

/// Access level `A`, authenticated (A1–A2) but not yet checked: the handler
/// opens it, with its own reads in the same batch.
pub(crate) struct Gate<A> {
    claims: Credential,
    target: Target,
    /// `CALLER_CACHE_SECONDS`: how long the caller's rows may be served
    /// from this isolate's memory (0: read every time).
    cache_seconds: u64,
    level: PhantomData<A>,
}

impl<A: Access> Gate<A> {
    /// The caller's checks and the level's, with `data`'s statements (given
    /// the caller's id) in the same batch: one round trip. `org::open_org`
    /// takes the same steps, in the same order, for the organization levels
    /// (their rule given as a value): a change here is a change there. `data`'s results are
    /// handed out only when every check passed.
    pub(crate) async fn open_with<H>(
        self,
        db: &Db,
        data: impl FnOnce(&mut Batch<'_>, &str) -> DbResult<H>,
    ) -> ApiResult<(A, Results, H)> {
        // The steps are `opened`'s, compiled once per level; only the
        // handler's own statements go through this per-handler copy.
        let (mut data, mut held) = (Some(data), None);
        let (access, r) = self
            .opened(db, &mut |b, caller| {
                if let Some(data) = data.take() {
                    held = Some(data(b, caller)?);
                }
                Ok(())
            })
            .await?;
        let held = held.ok_or_else(|| ApiError::internal("a gate opened without its reads"))?;
        Ok((access, r, held))
    }

    /// [`Gate::open_with`]'s steps, with the handler's statements behind a
    /// `dyn`: one compiled copy per level, not one per handler.
    fn opened<'a>(
        self,
        db: &'a Db,
        data: &'a mut dyn FnMut(&mut Batch<'_>, &str) -> DbResult<()>,
    ) -> Step<'a, ApiResult<(A, Results)>> {
        Box::pin(async move {
            let key = self.target.idempotency.as_ref();
            let mut b = db.batch();
            let reads = CallerReads::push(&mut b, &self.claims, key, self.cache_seconds)?;
            let plan = A::plan(&mut b, &self.claims, &self.target)?;
            data(&mut b, &reads.caller_id)?;
            let level = (A::SUPERUSER_ONLY, A::KEYS);
            let (caller, claim, r) = run_checked(db, b, reads, &self.claims, key, level).await?;
            let access = A::decide(caller, plan, &r)?;
            // A replay, a 409 or a 422 of the key only for a caller the level
            // still lets through: a stored answer (an invitation's token) is not
            // given again to one who lost the right since.
            settle(claim)?;
            Ok((access, r))
        })
    }

    pub(crate) async fn open(self, db: &Db) -> ApiResult<A> {
        Ok(self.open_with(db, |_, _| Ok(())).await?.0)
    }
}

/// The gate's batch, run, and the caller's checks on it: boxed, so that this
/// wait is compiled once, not into every handler's `open_with`.
fn run_checked<'a>(
    db: &'a Db,
    b: Batch<'a>,
    reads: CallerReads,
    claims: &'a Credential,
    key: Option<&'a Key>,
    level: (bool, bool),
) -> Step<'a, ApiResult<(Actor, Option<Claim>, Results)>> {
    Box::pin(async move {
        let r = b.run().await?;
        let (caller, claim) = reads.check(db, claims, key, &r, level)?;
        Ok((caller, claim, r))
    })
}

/// The key's claim, settled: not inlined into each level's `open_with`.
#[inline(never)]
fn settle(claim: Option<Claim>) -> ApiResult<()> {
    claim.map_or(Ok(()), Claim::settle)
}

/// The caller's part of a gate's batch, the same for every level and handler
/// (so compiled once): the caller's row and the token's session, or the API
/// key; and the request's Idempotency-Key reservation.
struct CallerReads {
    caller_id: String,
    reads: Reads,
    reserved: Option<Rows<Record>>,
}

enum Reads {
    User {
        caller: Rows<CallerRow>,
        /// Where to keep what was read, with the cache's generation at the
        /// read (the caller cache is on).
        keep: Option<(String, u64, u64)>,
    },
    /// The caller cache had them.
    Cached(Box<cache::Entry>),
    Key(Rows<ApiKeyRow>),
}

impl CallerReads {
    // Out of line: the same for every level, not compiled into each `open_with`.
    #[inline(never)]
    fn push(
        b: &mut Batch<'_>,
        who: &Credential,
        key: Option<&Key>,
        cache_seconds: u64,
    ) -> DbResult<Self> {
        let reads = match who {
            Credential::Token(claims) => {
                let user_id = id_text(&claims.user_id);
                let session_id = claims.session_id.as_ref().map(id_text);
                // Off (the default), the cache is not looked at at all.
                let cache_key =
                    (cache_seconds > 0).then(|| cache::key(&user_id, session_id.as_deref()));
                let now_ms = crate::clock::now_millis();
                match cache_key.as_deref().and_then(|k| cache::get(k, now_ms)) {
                    Some(entry) => Reads::Cached(Box::new(entry)),
                    None => Reads::User {
                        // The token's session rides in the same statement: a revoked,
                        // expired or deleted session fails A2 with no round trip of its
                        // own. A token from before sessions names none (valid until it
                        // expires).
                        caller: sessions::find_caller(b, &user_id, session_id.as_deref())?,
                        keep: cache_key.map(|k| (k, cache::generation(), cache_seconds)),
                    },
                }
            }
            // The key by its hash, in the same batch as a token's user would be.
            Credential::Key { hash } => Reads::Key(api_key(b, hash)?),
        };
        let reserved = match key {
            Some(key) => Some(key.reserve(b, crate::clock::now_secs())?),
            None => None,
        };
        Ok(CallerReads {
            caller_id: caller_scope(who),
            reads,
            reserved,
        })
    }

    /// A2 (the session, or the key: unknown, revoked or expired), A3–A4, S1 if
    /// the level is superuser-only, and a key's right to the level at all; and
    /// the Idempotency-Key's claim, for the caller to settle once the level's
    /// rule passed too.
    // Out of line, as `push`.
    #[inline(never)]
    fn check(
        self,
        db: &Db,
        who: &Credential,
        key: Option<&Key>,
        r: &Results,
        (superuser_only, keys): (bool, bool),
    ) -> ApiResult<(Actor, Option<Claim>)> {
        // Who holds the key is known before the caller's checks (a refused
        // caller frees a key it reserved).
        let claim = match (key, self.reserved) {
            (Some(key), Some(rows)) => Some(key.claim(db, r, rows)?),
            _ => None,
        };
        let now = crate::clock::now_secs();
        let cache::Entry {
            user: caller,
            session,
        } = match (self.reads, who) {
            (Reads::Key(rows), _) => {
                let api_key = r
                    .first(rows)?
                    .filter(|k| k.is_live(now))
                    .ok_or_else(|| ApiError::forbidden(COULD_NOT_VALIDATE))?;
                if !keys {
                    return Err(ApiError::forbidden(NOT_ENOUGH_PERMISSIONS));
                }
                crate::identity::api_key::used(db, &api_key, now);
                return Ok((Actor::Key(api_key), claim));
            }
            (Reads::User { caller, keep }, Credential::Token(_)) => {
                let entry = match r.first(caller)? {
                    Some(CallerRow { user, session }) => cache::Entry {
                        user: Some(user),
                        session,
                    },
                    None => cache::Entry {
                        user: None,
                        session: None,
                    },
                };
                if let Some((cache_key, generation, seconds)) = keep {
                    let now_ms = crate::clock::now_millis();
                    cache::put(cache_key, entry.clone(), generation, seconds, now_ms);
                }
                entry
            }
            (Reads::Cached(entry), Credential::Token(_)) => *entry,
            (_, Credential::Key { .. }) => return Err(ApiError::internal("a key read as a user")),
        };
        let Credential::Token(claims) = who else {
            return Err(ApiError::internal("a user read for a key"));
        };
        let caller = check_caller(claims, caller)?;
        // The token's session: a revoked, expired or deleted one fails A2.
        if claims.session_id.is_some() {
            let live = session.is_some_and(|s| s.is_live_for(&caller.id, now));
            if !live {
                return Err(ApiError::forbidden(COULD_NOT_VALIDATE));
            }
        }
        let caller = if superuser_only {
            require_superuser(caller)?
        } else {
            caller
        };
        Ok((Actor::User(caller), claim))
    }
}

/// The API key whose SHA-256 is `hash`: read in the caller's batch, so it
/// lives here, beside it.
fn api_key(b: &mut Batch<'_>, hash: &str) -> DbResult<Rows<ApiKeyRow>> {
    b.lead(
        format!(
            "select {} from api_keys where key_hash = ?1",
            crate::identity::api_key::COLUMNS
        ),
        &[hash.into()],
    )
}

/// The caller's own checks for a request whose inputs were refused, for a
/// level that is superuser-only or not, and that keys may hold or not: not
/// generic, so compiled once.
async fn refuse_as(
    cx: &Ctx,
    claims: Option<Credential>,
    invalid: ApiError,
    (superuser_only, keys): (bool, bool),
) -> ApiError {
    let Some(claims) = claims else { return invalid };
    let gate = Gate::<Anyone> {
        claims,
        target: Target::default(),
        cache_seconds: cx.config.caller_cache_seconds,
        level: PhantomData,
    };
    match gate.open(&cx.db).await {
        Err(e) => e,
        Ok(Anyone(Actor::User(me))) if superuser_only => {
            require_superuser(me).err().unwrap_or(invalid)
        }
        // Like S1: a key on an operation no key may call is refused first.
        Ok(Anyone(Actor::Key(_))) if !keys => ApiError::forbidden(NOT_ENOUGH_PERMISSIONS),
        Ok(_) => invalid,
    }
}

/// Any caller who passed A1–A4, user or key: the caller's own checks, for a
/// request whose inputs were refused.
struct Anyone(Actor);

impl Access for Anyone {
    const KEYS: bool = true;
    type Plan = ();
    fn plan(_: &mut Batch<'_>, _: &Credential, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: Actor, _: (), _: &Results) -> ApiResult<Self> {
        Ok(Anyone(caller))
    }
}

/// A1–A2 for every level that needs a caller: one compiled copy.
fn authenticated(cx: &Ctx) -> Step<'_, ApiResult<Option<Credential>>> {
    Box::pin(async move { credential(cx).await.map(Some) })
}

fn claims_of(claims: Option<Credential>) -> ApiResult<Credential> {
    claims.ok_or_else(|| ApiError::internal("an access level ran without authentication"))
}

impl<A: Access> Extract for A {
    fn authenticate(cx: &Ctx) -> Step<'_, ApiResult<Option<Credential>>> {
        authenticated(cx)
    }
    fn refuse(cx: &Ctx, claims: Option<Credential>, invalid: ApiError) -> Step<'_, ApiError> {
        Box::pin(refuse_as(
            cx,
            claims,
            invalid,
            (A::superuser_only(cx), A::KEYS),
        ))
    }
    fn extract(cx: &Ctx, claims: Option<Credential>, target: Target) -> Step<'_, ApiResult<Self>> {
        match claims_of(claims) {
            Ok(claims) => A::open_level(cx, claims, target),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

impl<A: Access> Extract for Gate<A> {
    fn authenticate(cx: &Ctx) -> Step<'_, ApiResult<Option<Credential>>> {
        authenticated(cx)
    }
    fn refuse(cx: &Ctx, claims: Option<Credential>, invalid: ApiError) -> Step<'_, ApiError> {
        Box::pin(refuse_as(
            cx,
            claims,
            invalid,
            (A::superuser_only(cx), A::KEYS),
        ))
    }
    fn extract(cx: &Ctx, claims: Option<Credential>, target: Target) -> Step<'_, ApiResult<Self>> {
        let gate = claims_of(claims).map(|claims| Gate {
            claims,
            target,
            cache_seconds: cx.config.caller_cache_seconds,
            level: PhantomData,
        });
        Box::pin(std::future::ready(gate))
    }
}
