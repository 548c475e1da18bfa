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

use crate::auth::current_user::{
    check_caller, require_superuser, token_claims, COULD_NOT_VALIDATE,
};
use crate::auth::jwt::TokenClaims;
use crate::db::{Batch, Db, DbResult, Results, Rows};
use crate::error::{ApiError, ApiResult};
use crate::http::idempotency::{Claim, Key, Record};
use crate::http::input::{Input, Target};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::sessions::repo::{self as sessions, SessionRow};
use crate::users::models::UserRow;
use crate::users::repo as users;
use crate::validation::Validator;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use worker::Response;

/// A level that needs an authenticated, active caller.
pub(crate) trait Access: Sized {
    /// S1 applies: checked right after A3–A4, before the inputs' 422.
    const SUPERUSER_ONLY: bool = false;
    /// Handles into the batch for what the level must know.
    type Plan;
    fn plan(b: &mut Batch<'_>, claims: &TokenClaims, target: &Target) -> ApiResult<Self::Plan>;
    /// The level's own rule, once the caller passed A3–A4 (and S1).
    fn decide(caller: UserRow, plan: Self::Plan, r: &Results) -> ApiResult<Self>;
}

/// How the envelope obtains a handler's access argument.
pub(crate) trait Extract: Sized {
    /// A1–A2. `None` for public operations.
    fn authenticate(cx: &Ctx) -> ApiResult<Option<TokenClaims>>;
    /// The inputs were refused with `invalid`: the caller's own checks go first.
    fn refuse(
        cx: &Ctx,
        claims: Option<TokenClaims>,
        invalid: ApiError,
    ) -> impl Future<Output = ApiError>;
    fn extract(
        cx: &Ctx,
        claims: Option<TokenClaims>,
        target: Target,
    ) -> impl Future<Output = ApiResult<Self>>;
}

/// A boxed future: its code is not inlined into the caller's.
pub(crate) type Step<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Runs one operation: access and inputs checked in the contract's order, then
/// the handler. The route's types go behind [`Operation`], so the envelope
/// that orders the checks ([`envelope`]) is compiled once, not once per route.
pub(crate) fn serve<A, I, F, Fut>(cx: Ctx, handler: F) -> Step<'static, ApiResult<Response>>
where
    A: Extract + 'static,
    I: Input + 'static,
    F: FnOnce(Ctx, A, I) -> Fut + 'static,
    Fut: Future<Output = ApiResult<Response>> + 'static,
{
    let op = Op::<A, I, F> {
        handler,
        input: None,
        level: PhantomData,
    };
    Box::pin(envelope(cx, Box::new(op)))
}

/// The order of the checks, for every operation.
async fn envelope(mut cx: Ctx, mut op: Box<dyn Operation>) -> ApiResult<Response> {
    let claims = op.authenticate(&cx)?;
    cx.caller_id = claims.as_ref().map(|c| id_text(&c.user_id));
    let mut v = Validator::new();
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
    cx.session_id = claims
        .as_ref()
        .and_then(|c| c.session_id)
        .map(|s| id_text(&s));
    op.run(cx, claims, target).await
}

/// One route's access level `A`, inputs `I` and handler `F`, seen by the
/// envelope only through this trait.
trait Operation {
    fn authenticate(&self, cx: &Ctx) -> ApiResult<Option<TokenClaims>>;
    /// Parses the inputs into `self`: `Err` for an unreadable request,
    /// `Ok(false)` when `v` holds the problems.
    fn parse(&mut self, cx: &Ctx, v: &mut Validator) -> ApiResult<bool>;
    fn target(&self, target: &mut Target);
    fn refuse<'a>(
        &self,
        cx: &'a Ctx,
        claims: Option<TokenClaims>,
        invalid: ApiError,
    ) -> Step<'a, ApiError>;
    /// The level's checks, then the handler.
    fn run(
        self: Box<Self>,
        cx: Ctx,
        claims: Option<TokenClaims>,
        target: Target,
    ) -> Step<'static, ApiResult<Response>>;
}

struct Op<A, I, F> {
    handler: F,
    input: Option<I>,
    level: PhantomData<A>,
}

impl<A, I, F, Fut> Operation for Op<A, I, F>
where
    A: Extract + 'static,
    I: Input + 'static,
    F: FnOnce(Ctx, A, I) -> Fut + 'static,
    Fut: Future<Output = ApiResult<Response>> + 'static,
{
    fn authenticate(&self, cx: &Ctx) -> ApiResult<Option<TokenClaims>> {
        A::authenticate(cx)
    }

    fn parse(&mut self, cx: &Ctx, v: &mut Validator) -> ApiResult<bool> {
        self.input = I::parse(cx, v)?;
        Ok(self.input.is_some())
    }

    fn target(&self, target: &mut Target) {
        if let Some(input) = &self.input {
            input.target(target);
        }
    }

    fn refuse<'a>(
        &self,
        cx: &'a Ctx,
        claims: Option<TokenClaims>,
        invalid: ApiError,
    ) -> Step<'a, ApiError> {
        Box::pin(A::refuse(cx, claims, invalid))
    }

    fn run(
        self: Box<Self>,
        cx: Ctx,
        claims: Option<TokenClaims>,
        target: Target,
    ) -> Step<'static, ApiResult<Response>> {
        let Op { handler, input, .. } = *self;
        Box::pin(async move {
            let input = input.ok_or_else(|| ApiError::internal("an operation ran unparsed"))?;
            // Boxed: a level's check is shared by many routes, and inlined
            // into each it would be compiled once per route.
            let extract: Step<'_, ApiResult<A>> = Box::pin(A::extract(&cx, claims, target));
            let access = extract.await?;
            handler(cx, access, input).await
        })
    }
}

/// Anyone: no token is read.
pub(crate) struct Public;

impl Extract for Public {
    fn authenticate(_: &Ctx) -> ApiResult<Option<TokenClaims>> {
        Ok(None)
    }
    async fn refuse(_: &Ctx, _: Option<TokenClaims>, invalid: ApiError) -> ApiError {
        invalid
    }
    async fn extract(_: &Ctx, _: Option<TokenClaims>, _: Target) -> ApiResult<Self> {
        Ok(Public)
    }
}

/// An authenticated, active user (A1–A4).
pub(crate) struct Caller(pub(crate) UserRow);

impl Access for Caller {
    type Plan = ();
    fn plan(_: &mut Batch<'_>, _: &TokenClaims, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: UserRow, _: (), _: &Results) -> ApiResult<Self> {
        Ok(Caller(caller))
    }
}

/// An authenticated, active user whose address is verified: what is sent to
/// an address (its invitations) is theirs only once they proved the mailbox.
/// A change of address makes the caller unverified until the new one is.
pub(crate) struct Verified(pub(crate) UserRow);

pub(crate) const VERIFY_FIRST: &str = "Verify your email address first";

impl Access for Verified {
    type Plan = ();
    fn plan(_: &mut Batch<'_>, _: &TokenClaims, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: UserRow, _: (), _: &Results) -> ApiResult<Self> {
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
    fn plan(_: &mut Batch<'_>, _: &TokenClaims, _: &Target) -> ApiResult<()> {
        Ok(())
    }
    fn decide(caller: UserRow, _: (), _: &Results) -> ApiResult<Self> {
        Ok(Superuser(caller))
    }
}

/// Access level `A`, authenticated (A1–A2) but not yet checked: the handler
/// opens it, with its own reads in the same batch.
pub(crate) struct Gate<A> {
    claims: TokenClaims,
    target: Target,
    level: PhantomData<A>,
}

impl<A: Access> Gate<A> {
    /// The caller's checks and the level's, with `data`'s statements (given
    /// the caller's id) in the same batch: one round trip. `data`'s results are
    /// handed out only when every check passed.
    pub(crate) async fn open_with<H>(
        self,
        db: &Db,
        data: impl FnOnce(&mut Batch<'_>, &str) -> DbResult<H>,
    ) -> ApiResult<(A, Results, H)> {
        let key = self.target.idempotency.as_ref();
        let mut b = db.batch();
        let reads = CallerReads::push(&mut b, &self.claims, key)?;
        let plan = A::plan(&mut b, &self.claims, &self.target)?;
        let data = data(&mut b, &reads.caller_id)?;
        let r = b.run().await?;
        let (caller, claim) = reads.check(db, &self.claims, key, &r, A::SUPERUSER_ONLY)?;
        let access = A::decide(caller, plan, &r)?;
        // A replay, a 409 or a 422 of the key only for a caller the level
        // still lets through: a stored answer (an invitation's token) is not
        // given again to one who lost the right since.
        settle(claim)?;
        Ok((access, r, data))
    }

    pub(crate) async fn open(self, db: &Db) -> ApiResult<A> {
        Ok(self.open_with(db, |_, _| Ok(())).await?.0)
    }
}

/// The key's claim, settled: not inlined into each level's `open_with`.
#[inline(never)]
fn settle(claim: Option<Claim>) -> ApiResult<()> {
    claim.map_or(Ok(()), Claim::settle)
}

/// The caller's part of a gate's batch, the same for every level and handler
/// (so compiled once): the caller's row, the token's session and the
/// request's Idempotency-Key reservation.
struct CallerReads {
    caller_id: String,
    caller: Rows<UserRow>,
    session: Option<Rows<SessionRow>>,
    reserved: Option<Rows<Record>>,
}

impl CallerReads {
    // Out of line: the same for every level, not compiled into each `open_with`.
    #[inline(never)]
    fn push(b: &mut Batch<'_>, claims: &TokenClaims, key: Option<&Key>) -> DbResult<Self> {
        let caller_id = id_text(&claims.user_id);
        let caller = users::find_by_id(b, &caller_id)?;
        // The token's session rides in the same batch: a revoked, expired or
        // deleted session fails A2 with no round trip of its own.
        let session = match &claims.session_id {
            Some(sid) => Some(sessions::find(b, &id_text(sid))?),
            None => None, // a token from before sessions: valid until it expires
        };
        let reserved = match key {
            Some(key) => Some(key.reserve(b, crate::clock::now_secs())?),
            None => None,
        };
        Ok(CallerReads {
            caller_id,
            caller,
            session,
            reserved,
        })
    }

    /// A2 (the session), A3–A4, S1 if `superuser_only`; and the key's claim,
    /// for the caller to settle once the level's rule passed too.
    fn check(
        self,
        db: &Db,
        claims: &TokenClaims,
        key: Option<&Key>,
        r: &Results,
        superuser_only: bool,
    ) -> ApiResult<(UserRow, Option<Claim>)> {
        // Who holds the key is known before the caller's checks (a refused
        // caller frees a key it reserved).
        let claim = match (key, self.reserved) {
            (Some(key), Some(rows)) => Some(key.claim(db, r, rows)?),
            _ => None,
        };
        let caller = check_caller(claims, r.first(self.caller)?)?;
        if let Some(session) = self.session {
            let now = crate::clock::now_secs();
            let live = r
                .first(session)?
                .is_some_and(|s| s.is_live_for(&self.caller_id, now));
            if !live {
                return Err(ApiError::forbidden(COULD_NOT_VALIDATE));
            }
        }
        let caller = if superuser_only {
            require_superuser(caller)?
        } else {
            caller
        };
        Ok((caller, claim))
    }
}

async fn refuse_as<A: Access>(
    cx: &Ctx,
    claims: Option<TokenClaims>,
    invalid: ApiError,
) -> ApiError {
    let Some(claims) = claims else { return invalid };
    let gate = Gate::<Caller> {
        claims,
        target: Target::default(),
        level: PhantomData,
    };
    match gate.open(&cx.db).await {
        Err(e) => e,
        Ok(Caller(me)) if A::SUPERUSER_ONLY => require_superuser(me).err().unwrap_or(invalid),
        Ok(_) => invalid,
    }
}

fn claims_of(claims: Option<TokenClaims>) -> ApiResult<TokenClaims> {
    claims.ok_or_else(|| ApiError::internal("an access level ran without authentication"))
}

impl<A: Access> Extract for A {
    fn authenticate(cx: &Ctx) -> ApiResult<Option<TokenClaims>> {
        token_claims(cx).map(Some)
    }
    async fn refuse(cx: &Ctx, claims: Option<TokenClaims>, invalid: ApiError) -> ApiError {
        refuse_as::<A>(cx, claims, invalid).await
    }
    async fn extract(cx: &Ctx, claims: Option<TokenClaims>, target: Target) -> ApiResult<Self> {
        let gate = Gate::<A> {
            claims: claims_of(claims)?,
            target,
            level: PhantomData,
        };
        gate.open(&cx.db).await
    }
}

impl<A: Access> Extract for Gate<A> {
    fn authenticate(cx: &Ctx) -> ApiResult<Option<TokenClaims>> {
        token_claims(cx).map(Some)
    }
    async fn refuse(cx: &Ctx, claims: Option<TokenClaims>, invalid: ApiError) -> ApiError {
        refuse_as::<A>(cx, claims, invalid).await
    }
    async fn extract(_: &Ctx, claims: Option<TokenClaims>, target: Target) -> ApiResult<Self> {
        Ok(Gate {
            claims: claims_of(claims)?,
            target,
            level: PhantomData,
        })
    }
}
