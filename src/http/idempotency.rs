//! `Idempotency-Key` on the POSTs that create something (extensions E): a
//! client that retries over a bad network gets the first answer again instead
//! of a second thing.
//!
//! A key belongs to its caller (`user:<id>`, or `address:<ip>` for signup)
//! and lives 24 hours. The first request with it **reserves** the key in its
//! first batch (the access check's, or signup's), as a row with no status and
//! the request's own random token; the same batch reads the row back, which
//! says whether this request holds the key, or another one does (`409` while
//! it runs, its answer once it is done), or the key was used with another
//! request (`422`). The request's **write batch** fills in the status and the
//! body ([`Key::complete`]): the answer commits with the write, or neither
//! does. A request that fails deletes its reservation (registered with
//! [`Db::on_failure`], run by the envelope), so a retry runs again; a
//! reservation nobody completed
//! (the worker died) is taken over after [`LEASE_SECONDS`]. A replay costs one
//! round trip: the reservation's batch. A secret the answer carries (an
//! invitation's token) is stored sealed ([`IdempotencyKey::answer_sealing`]):
//! the row holds the answer with the sealed form in its place, and a replay
//! opens it again.

use super::sealed::SealingKey;
use super::{json_response, Ctx};
use crate::db::from_row;
use crate::db::{Arg, Batch, Counted, Db, DbResult, Results, Rows};
use crate::error::{ApiError, ApiResult};
use crate::secrets::{DerivedKey, Purpose};
use crate::validation::{Fail, Validator};
use serde_json::{json, Value};
use std::cell::Cell;
use std::rc::Rc;
use worker::Response;

pub(crate) const HEADER: &str = "Idempotency-Key";
/// The longest key, in characters (all printable ASCII).
pub(crate) const MAX_KEY_LENGTH: usize = 255;
/// How long a key and its answer are kept (the cron run deletes them after).
pub(crate) const KEEP_SECONDS: i64 = 86_400;
/// After this long, a reservation that was never completed may be taken over.
pub(crate) const LEASE_SECONDS: i64 = 60;
pub(crate) const IN_FLIGHT: &str = "A request with this Idempotency-Key is in progress";
pub(crate) const OTHER_REQUEST: &str = "Idempotency-Key was used with another request";

/// The key a request sent, with what identifies the request under it.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    scope: String,
    key: String,
    /// SHA-256 of the method, the path and the body.
    fingerprint: String,
    /// This request's own token: the reservation it makes carries it.
    request: String,
    /// Whether this request holds the reservation (shared by the clones that
    /// the access check and the envelope keep).
    held: Rc<Cell<bool>>,
    /// Seals the secrets an answer carries, and opens them for a replay.
    sealing: SealingKey,
}

/// The optional `Idempotency-Key` header, as an operation's input.
pub(crate) struct IdempotencyKey(pub(crate) Option<Key>);

/// Why a header value is not a key: pydantic's wording for a constrained string.
pub(crate) fn check(value: &str) -> Result<(), Fail> {
    let n = value.chars().count();
    if n == 0 {
        return Err(Fail::new(
            "string_too_short",
            "String should have at least 1 character",
        )
        .with_ctx(json!({ "min_length": 1 })));
    }
    if n > MAX_KEY_LENGTH {
        return Err(Fail::new(
            "string_too_long",
            format!("String should have at most {MAX_KEY_LENGTH} characters"),
        )
        .with_ctx(json!({ "max_length": MAX_KEY_LENGTH })));
    }
    if !value.chars().all(|c| matches!(c, ' '..='~')) {
        let pattern = "^[\\x20-\\x7e]+$";
        return Err(Fail::new(
            "string_pattern_mismatch",
            format!("String should match pattern '{pattern}'"),
        )
        .with_ctx(json!({ "pattern": pattern })));
    }
    Ok(())
}

/// The fingerprint of a request: what must be the same for a replay. Keyed
/// (HMAC under a key derived from `SECRET_KEY`): a body may hold a password,
/// and a fast unkeyed hash of it kept in D1 could be guessed offline.
pub(crate) fn fingerprint(key: &DerivedKey, method: &str, path: &str, body: &[u8]) -> String {
    key.mac_hex(&[method.as_bytes(), path.as_bytes(), body])
}

/// Whose keys these are: the authenticated caller, else the client's address.
pub(crate) fn scope(caller_id: Option<&str>, client_ip: Option<&str>) -> String {
    match (caller_id, client_ip) {
        (Some(id), _) => format!("user:{id}"),
        (None, Some(ip)) => format!("address:{ip}"),
        (None, None) => "address:unknown".to_string(),
    }
}

/// The request's `Idempotency-Key`, checked into `v` (`None`: it was refused;
/// `Some(None)`: the request sent none). `http::input` makes it an input.
pub(crate) fn from_request(cx: &Ctx, v: &mut Validator) -> Option<Option<Key>> {
    let Some(value) = cx.header(HEADER) else {
        return Some(None);
    };
    if let Err(fail) = check(&value) {
        let loc = vec!["header".into(), "idempotency-key".into()];
        v.push(loc, Value::String(value), fail);
        return None;
    }
    let client_ip = cx.client_ip();
    let request = crate::ids::new_id();
    Some(Some(Key {
        scope: scope(cx.caller_id.as_deref(), client_ip.as_deref()),
        key: value,
        fingerprint: fingerprint(
            &DerivedKey::derive(&cx.config.secret_key, Purpose::IdempotencyFingerprint),
            cx.req.method().as_ref(),
            &cx.req.path(),
            &cx.body,
        ),
        request,
        held: Rc::new(Cell::new(false)),
        sealing: SealingKey::derive(&cx.config.secret_key),
    }))
}

/// The key's row, as the reservation's batch reads it back.
#[derive(Debug)]
pub(crate) struct Record {
    fingerprint: String,
    request: String,
    status: Option<i64>,
    body: Option<String>,
    /// The sealed form of the secret in `body`, if it carries one.
    sealed: Option<String>,
}
from_row!(Record {
    fingerprint,
    request,
    status,
    body,
    sealed
});

/// What the reservation found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// This request holds the key: it goes on.
    Held,
    /// Another request with the same body holds it and has not answered.
    InFlight,
    /// The key was used with another request.
    Other,
    /// The first request's answer.
    Replay { status: u16, body: Vec<u8> },
    /// The first request's answer, whose secret no longer opens (`SECRET_KEY`
    /// changed since): it cannot be given again.
    Unopenable,
}

impl Claim {
    /// Goes on (`Held`), or the answer that ends the request here.
    pub(crate) fn settle(self) -> ApiResult<()> {
        match self {
            Claim::Held => Ok(()),
            Claim::InFlight => Err(ApiError::conflict(IN_FLIGHT)),
            Claim::Other => Err(ApiError::http(422, OTHER_REQUEST)),
            Claim::Replay { status, body } => Err(ApiError::Replay { status, body }),
            Claim::Unopenable => Err(ApiError::internal(
                "a stored Idempotency-Key answer does not open: was SECRET_KEY changed?",
            )),
        }
    }
}

impl Key {
    /// Reserves the key in `b` (unless another request holds it, or has
    /// answered in the last 24 hours) and reads its row back.
    pub(crate) fn reserve(&self, b: &mut Batch<'_>, now: i64) -> DbResult<Rows<Record>> {
        let args = [
            self.scope.as_str().into(),
            self.key.as_str().into(),
            self.fingerprint.as_str().into(),
            self.request.as_str().into(),
            now.into(),
            (now - KEEP_SECONDS).into(),
            (now - LEASE_SECONDS).into(),
        ];
        let _ = b.write(
            "insert into idempotency_keys (scope, key, fingerprint, request, created_at) \
             values (?1, ?2, ?3, ?4, ?5) on conflict (scope, key) do update set \
             fingerprint = excluded.fingerprint, request = excluded.request, \
             created_at = excluded.created_at, status = null, body = null, sealed = null \
             where idempotency_keys.created_at <= ?6 \
             or (idempotency_keys.status is null and idempotency_keys.created_at <= ?7)",
            &args,
        )?;
        b.query(
            "select fingerprint, request, status, body, sealed from idempotency_keys \
             where scope = ?1 and key = ?2",
            &args[..2],
        )
    }

    /// What the reservation found. A key this request holds is freed again
    /// if the request fails after all ([`Db::on_failure`]): it wrote
    /// nothing, so a retry must run again.
    pub(crate) fn claim(&self, db: &Db, r: &Results, rows: Rows<Record>) -> ApiResult<Claim> {
        let record = r
            .first(rows)?
            .ok_or_else(|| ApiError::internal("idempotency key missing after its reservation"))?;
        let claim = self.judge(record);
        if matches!(claim, Claim::Held) {
            db.on_failure(
                "delete from idempotency_keys where scope = ?1 and key = ?2 and request = ?3",
                vec![self.scope.clone(), self.key.clone(), self.request.clone()],
            );
        }
        Ok(claim)
    }

    fn judge(&self, record: Record) -> Claim {
        if record.request == self.request {
            self.held.set(true);
            return Claim::Held;
        }
        if record.fingerprint != self.fingerprint {
            return Claim::Other;
        }
        let (Some(status), Some(body)) = (record.status, record.body) else {
            return Claim::InFlight;
        };
        let body = match record.sealed {
            None => body,
            Some(sealed) => match self.sealing.open(&self.context(&record.request), &sealed) {
                Some(secret) => body.replace(&sealed, &secret),
                None => return Claim::Unopenable,
            },
        };
        Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body: body.into_bytes(),
        }
    }

    /// What a seal is bound to: this key, and the request that answered under it.
    fn context(&self, request: &str) -> String {
        format!("{}\n{}\n{}", self.scope, self.key, request)
    }

    /// The key's row, as `?1`–`?3`: this request's own, if it holds it.
    fn row(&self) -> Vec<Arg<'_>> {
        vec![
            self.scope.as_str().into(),
            self.key.as_str().into(),
            self.request.as_str().into(),
        ]
    }

    /// Stores the answer in `b`, the request's write batch, if this request
    /// holds the key: `status`, and the body given by SQL (`body_sql`, which
    /// may read the row's own `body` as stored so far, binding `args` from
    /// `?4`), so that an answer only the write batch knows can be filled in
    /// statement by statement.
    pub(crate) fn complete(
        &self,
        b: &mut Batch<'_>,
        status: u16,
        body_sql: &str,
        args: &[Arg<'_>],
    ) -> DbResult<()> {
        if !self.held.get() {
            return Ok(());
        }
        let mut all = self.row();
        all.extend_from_slice(args);
        let _ = b.write(
            &format!("update idempotency_keys set status = {status}, body = {body_sql} {THIS_ROW}"),
            &all,
        )?;
        Ok(())
    }

    /// Stores `body` with `secret` sealed in it, if this request holds the key.
    fn complete_sealing(
        &self,
        b: &mut Batch<'_>,
        status: u16,
        body: &str,
        secret: &str,
    ) -> DbResult<()> {
        if !self.held.get() {
            return Ok(());
        }
        let sealed = self.sealing.seal(&self.context(&self.request), secret);
        let stored = body.replace(secret, &sealed);
        let mut all = self.row();
        all.extend([stored.as_str().into(), sealed.as_str().into()]);
        let _ = b.write(
            &format!(
                "update idempotency_keys set status = {status}, body = ?4, sealed = ?5 {THIS_ROW}"
            ),
            &all,
        )?;
        Ok(())
    }
}

/// The row a request's own reservation made ([`Key::row`]'s `?1`–`?3`).
const THIS_ROW: &str = "where scope = ?1 and key = ?2 and request = ?3";

impl IdempotencyKey {
    /// The answer `body` with `status`, stored with the write in `b` when the
    /// request carries a key it holds.
    pub(crate) fn answer(&self, b: &mut Batch<'_>, status: u16, body: &[u8]) -> DbResult<()> {
        let body = String::from_utf8_lossy(body);
        self.fill(b, status, "?4", &[body.as_ref().into()])
    }

    /// The answer `body` with `status`, as [`IdempotencyKey::answer`], with
    /// `secret` (which `body` carries) sealed where it is stored: a replay
    /// gives it back, the row does not.
    pub(crate) fn answer_sealing(
        &self,
        b: &mut Batch<'_>,
        status: u16,
        body: &[u8],
        secret: &str,
    ) -> DbResult<()> {
        match &self.0 {
            Some(key) => key.complete_sealing(b, status, &String::from_utf8_lossy(body), secret),
            None => Ok(()),
        }
    }

    /// [`Key::complete`], when the request carries a key it holds.
    pub(crate) fn fill(
        &self,
        b: &mut Batch<'_>,
        status: u16,
        body_sql: &str,
        args: &[Arg<'_>],
    ) -> DbResult<()> {
        match &self.0 {
            Some(key) => key.complete(b, status, body_sql, args),
            None => Ok(()),
        }
    }
}

/// A replayed answer: the first status and body, marked.
pub(crate) fn replayed(status: u16, body: Vec<u8>) -> Response {
    let mut resp = json_response(status, body);
    let _ = resp.headers_mut().set("Idempotent-Replayed", "true");
    resp
}

/// Deletes keys older than 24 hours (the cron run).
pub(crate) fn prune(b: &mut Batch<'_>, now: i64) -> DbResult<Counted> {
    b.counted(
        "delete from idempotency_keys where created_at <= ?1",
        &[(now - KEEP_SECONDS).into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn key(request: &str, fingerprint: &str) -> Key {
        Key {
            scope: "user:1".into(),
            key: "k".into(),
            fingerprint: fingerprint.into(),
            request: request.into(),
            held: Rc::new(Cell::new(false)),
            sealing: SealingKey::derive("test-secret-key"),
        }
    }

    fn record(request: &str, fingerprint: &str, done: Option<(i64, &str)>) -> Record {
        Record {
            fingerprint: fingerprint.into(),
            request: request.into(),
            status: done.map(|d| d.0),
            body: done.map(|d| d.1.to_string()),
            sealed: None,
        }
    }

    #[test]
    fn keys_are_one_to_255_printable_characters() {
        assert!(check("a").is_ok());
        assert!(check(&"~".repeat(255)).is_ok());
        assert!(check("order 42: retry #1").is_ok());
        assert_eq!(check("").unwrap_err().kind, "string_too_short");
        assert_eq!(check(&"a".repeat(256)).unwrap_err().kind, "string_too_long");
        for bad in ["tab\there", "é", "nul\0"] {
            assert_eq!(check(bad).unwrap_err().kind, "string_pattern_mismatch");
        }
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body_under_a_derived_key() {
        let k = DerivedKey::derive("test-secret-key", Purpose::IdempotencyFingerprint);
        let fingerprint = |m: &str, p: &str, b: &[u8]| super::fingerprint(&k, m, p, b);
        let a = fingerprint("POST", "/api/v1/organizations/", b"{}");
        assert_eq!(a, fingerprint("POST", "/api/v1/organizations/", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/organizations", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/organizations/", b"{ }"));
        assert_ne!(a, fingerprint("PUT", "/api/v1/organizations/", b"{}"));
        // not the bare SHA-256 of the body, nor the same under another key
        let body = br#"{"password":"password123"}"#;
        let keyed = fingerprint("POST", "/api/v1/users/signup", body);
        assert_ne!(keyed, crate::ids::hex(&sha2::Sha256::digest(body)));
        let other = DerivedKey::derive("another-secret", Purpose::IdempotencyFingerprint);
        assert_ne!(
            keyed,
            super::fingerprint(&other, "POST", "/api/v1/users/signup", body)
        );
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn the_row_decides_who_answers() {
        let me = key("mine", "f");
        assert!(matches!(me.judge(record("mine", "f", None)), Claim::Held));
        assert!(me.held.get());
        let other = key("theirs-retry", "f");
        assert!(matches!(
            other.judge(record("first", "f", None)),
            Claim::InFlight
        ));
        assert!(matches!(
            other.judge(record("first", "g", None)),
            Claim::Other
        ));
        assert!(matches!(
            other.judge(record("first", "g", Some((200, "{}")))),
            Claim::Other
        ));
        match other.judge(record("first", "f", Some((201, "{\"a\":1}")))) {
            Claim::Replay { status, body } => {
                assert_eq!((status, body.as_slice()), (201, &b"{\"a\":1}"[..]));
            }
            c => panic!("{c:?}"),
        }
        assert!(!other.held.get());
    }

    #[test]
    fn a_replay_opens_the_secret_the_first_answer_sealed() {
        let first = key("first", "f");
        let sealed = first.sealing.seal(&first.context("first"), "the-token");
        let stored = format!("{{\"id\":1,\"token\":\"{sealed}\"}}");
        let mut row = record("first", "f", Some((200, &stored)));
        row.sealed = Some(sealed.clone());
        let retry = key("retry", "f");
        match retry.judge(row) {
            Claim::Replay { body, .. } => {
                assert_eq!(body, br#"{"id":1,"token":"the-token"}"#);
            }
            c => panic!("{c:?}"),
        }
        // sealed for another request under the key, or with another SECRET_KEY
        let mut row = record("other", "f", Some((200, &stored)));
        row.sealed = Some(sealed.clone());
        assert!(matches!(retry.judge(row), Claim::Unopenable));
        let mut rotated = key("retry", "f");
        rotated.sealing = SealingKey::derive("a-new-secret-key");
        let mut row = record("first", "f", Some((200, &stored)));
        row.sealed = Some(sealed);
        assert!(matches!(rotated.judge(row), Claim::Unopenable));
    }

    #[test]
    fn callers_have_their_own_keys() {
        assert_eq!(scope(Some("u1"), Some("1.2.3.4")), "user:u1");
        assert_eq!(scope(None, Some("1.2.3.4")), "address:1.2.3.4");
        assert_eq!(scope(None, None), "address:unknown");
    }
}
