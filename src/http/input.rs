//! Typed inputs: what a route declares it reads from the path, the query and
//! the body. Each parses itself into a [`Validator`] (every problem of the
//! request in one 422), in FastAPI's order: path, query, body (a tuple parses
//! its parts in the order written). Inputs also say which organization and which
//! user the operation is about ([`Target`]), for the access check to load.

use super::idempotency::{self, IdempotencyKey};
use super::Ctx;
use crate::error::ApiResult;
use crate::ids::id_text;
use crate::validation::Validator;
use serde_json::{Map, Value};
use uuid::Uuid;

/// What an operation is about: the organization, and the user it names
/// (a new owner, a member to add or remove), as stored ids.
#[derive(Debug, Default, Clone)]
pub(crate) struct Target {
    pub(crate) org_id: Option<String>,
    pub(crate) subject: Option<String>,
    /// The request's `Idempotency-Key`: the access check reserves it.
    pub(crate) idempotency: Option<idempotency::Key>,
}

/// A part of a request, parsed and checked.
pub(crate) trait Input: Sized {
    /// Records every problem in `v`; `Ok(None)` when there was one. `Err` is for
    /// a request that cannot be read at all (a body that is not UTF-8).
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>>;

    /// Fills in what this part says of the operation's [`Target`].
    fn target(&self, _target: &mut Target) {}
}

impl Input for IdempotencyKey {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(idempotency::from_request(cx, v).map(IdempotencyKey))
    }
    fn target(&self, t: &mut Target) {
        t.idempotency.clone_from(&self.0);
    }
}

impl Input for () {
    fn parse(_: &Ctx, _: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(Some(()))
    }
}

impl<A: Input, B: Input> Input for (A, B) {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let a = A::parse(cx, v)?;
        let b = B::parse(cx, v)?;
        Ok(a.zip(b))
    }
    fn target(&self, t: &mut Target) {
        self.0.target(t);
        self.1.target(t);
    }
}

impl<A: Input, B: Input, C: Input> Input for (A, B, C) {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let a = A::parse(cx, v)?;
        let b = B::parse(cx, v)?;
        let c = C::parse(cx, v)?;
        Ok(a.zip(b).zip(c).map(|((a, b), c)| (a, b, c)))
    }
    fn target(&self, t: &mut Target) {
        self.0.target(t);
        self.1.target(t);
        self.2.target(t);
    }
}

fn path_id(cx: &Ctx, v: &mut Validator, name: &str) -> Option<String> {
    v.path_uuid(name, cx.param(name)).map(|id| id_text(&id))
}

/// `{organization_id}` in the path: the organization the operation is about.
pub(crate) struct OrgPath(pub(crate) String);

impl Input for OrgPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(path_id(cx, v, "organization_id").map(OrgPath))
    }
    fn target(&self, t: &mut Target) {
        t.org_id = Some(self.0.clone());
    }
}

/// `{user_id}` in the path: the user the operation names.
pub(crate) struct UserPath(pub(crate) String);

impl Input for UserPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(path_id(cx, v, "user_id").map(UserPath))
    }
    fn target(&self, t: &mut Target) {
        t.subject = Some(self.0.clone());
    }
}

/// A JSON request body's model: parsed field by field, in schema order.
pub(crate) trait Body: Sized {
    fn parse(v: &mut Validator, body: &Map<String, Value>) -> Option<Self>;

    /// The user this body names, if the access check must know of them.
    fn subject(&self) -> Option<Uuid> {
        None
    }
}

/// The request's body as a JSON object, or `None` with the problem in `v`:
/// the same for every model, so compiled once.
#[inline(never)]
fn json_body(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Box<Map<String, Value>>>> {
    let content_type = cx.header("Content-Type");
    Ok(v.json_object(content_type.as_deref(), &cx.body)?
        .map(Box::new))
}

/// The JSON body, as its model `T`.
pub(crate) struct Json<T>(pub(crate) T);

impl<T: Body> Input for Json<T> {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(match json_body(cx, v)? {
            Some(body) => T::parse(v, &body).map(Json),
            None => None,
        })
    }
    fn target(&self, t: &mut Target) {
        if let Some(id) = self.0.subject() {
            t.subject = Some(id_text(&id));
        }
    }
}
