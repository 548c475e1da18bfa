//! What every handler works with: the request context ([`Ctx`]), the typed
//! inputs it declares ([`input`]), and the response helpers. Below the features
//! and above the db: nothing here knows a route or a feature.

pub(crate) mod conditional;
pub(crate) mod idempotency;
pub(crate) mod input;
pub(crate) mod sealed;

use crate::config::Config;
use crate::db::{Db, JsonText};
use crate::error::ApiResult;
use serde::Serialize;
use worker::{Context, Env, Request, Response};

/// Largest request body read, as the contract fixes it.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most of a refused body read and dropped before answering.
pub(crate) const DRAIN_BYTES: usize = 32 << 20;
/// How long draining waits for the next chunk before it gives up (a client
/// that stopped sending, or never ends its body, gets its answer then).
const DRAIN_PAUSE_MS: u32 = 2000;

/// Reads what is left of a refused body (up to [`DRAIN_BYTES`] in all, `read`
/// of them read already, and while chunks keep coming) and drops it, before
/// the early answer goes out. Answering while the client is still sending
/// leaves the rest of its body on the connection: the client (or `wrangler
/// dev`'s proxy) then loses the next request on it.
pub(crate) async fn drain(mut stream: worker::ByteStream, mut read: usize) {
    use futures_util::future::{select, Either};
    use futures_util::StreamExt;
    while read <= DRAIN_BYTES {
        match select(stream.next(), crate::clock::pause(DRAIN_PAUSE_MS)).await {
            Either::Left((Some(Ok(chunk)), _)) => read += chunk.len(),
            _ => return, // the end, an error, or a pause
        }
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters
/// (Python's `urllib.parse.quote` with `safe=""`): a query value, a path
/// segment or an `otpauth://` label made safe for a URL.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// [`drain`] of a request whose body nobody read (nothing if it was read).
pub(crate) async fn drain_body(req: &mut Request) {
    if let Ok(stream) = req.stream() {
        drain(stream, 0).await;
    }
}

/// What a handler is given: the request, its path parameters, its body, D1,
/// the settings, and the worker's bindings and execution context (for work that
/// goes on after the response, such as handing e-mail to the queue).
pub(crate) struct Ctx {
    pub(crate) req: Request,
    pub(crate) params: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) db: Db,
    pub(crate) config: Config,
    pub(crate) env: Env,
    pub(crate) worker: std::rc::Rc<Context>,
    /// The session of the bearer token (`sid`), once the access check passed.
    pub(crate) session_id: Option<String>,
    /// The user a valid bearer token names (A1–A2 passed; A3–A4 not yet).
    pub(crate) caller_id: Option<String>,
    /// Hands committed outbox rows to the e-mail queue: given by `app` (this
    /// module knows no feature).
    pub(crate) mailer: Mailer,
    /// The request's id (`X-Request-Id`), for its log line and its events.
    pub(crate) request_id: String,
}

/// Hands committed outbox rows (by id) to the e-mail queue, after the response.
pub(crate) type Mailer = fn(&Env, &Context, Vec<String>);

impl Ctx {
    /// Hands committed outbox rows to the e-mail queue, after the response.
    pub(crate) fn send_emails(&self, ids: Vec<String>) {
        (self.mailer)(&self.env, &self.worker, ids);
    }
}

impl Ctx {
    /// A path parameter by name (present by construction of the route).
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The last value of a query parameter, decoded (Starlette keeps the last).
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        query_param(&self.req.inner().url(), name)
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// The client's address as Cloudflare reports it (`CF-Connecting-IP`), if sane.
    pub(crate) fn client_ip(&self) -> Option<String> {
        let ip = self.header("CF-Connecting-IP")?;
        let ip = ip.trim();
        let sane = !ip.is_empty()
            && ip.len() <= 45
            && ip
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
        sane.then(|| ip.to_ascii_lowercase())
    }
}

/// The last value of `name` in the query of a serialized URL. Read straight from
/// the string: parsing it as a `url::Url` would link IDNA's Unicode tables into
/// the wasm for nothing (the runtime has already parsed the URL).
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split('#').next()?.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == name)
        .last()
        .map(|(_, v)| v.into_owned())
}

/// `Message`: the body of operations that answer with a sentence.
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    pub(crate) message: &'static str,
}

/// A 200 with `{"message": ...}`.
pub(crate) fn message(message: &'static str) -> ApiResult<Response> {
    json_ok(&Message { message })
}

/// A 200 with a JSON body (the origin answers 200 for creates too).
pub(crate) fn json_ok<T: Serialize>(value: &T) -> ApiResult<Response> {
    Ok(json_response(200, serde_json::to_vec(value)?))
}

/// A 200 whose body is JSON SQLite assembled (see [`JsonText`]).
pub(crate) fn json_text(text: JsonText) -> ApiResult<Response> {
    Ok(json_response(200, text.0.into_bytes()))
}

/// A response with a JSON body and the given status.
pub(crate) fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut resp = Response::builder().with_status(status).fixed(body);
    let _ = resp.headers_mut().set("Content-Type", "application/json");
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded_and_the_last_one_wins() {
        let url = "http://h/api/v1/users/?search=a%25b+c&limit=1&limit=2#frag";
        assert_eq!(query_param(url, "search").as_deref(), Some("a%b c"));
        assert_eq!(query_param(url, "limit").as_deref(), Some("2"));
        assert_eq!(query_param(url, "skip"), None);
        assert_eq!(query_param("http://h/x", "a"), None);
    }
}
