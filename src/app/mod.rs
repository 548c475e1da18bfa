//! The top of the crate: the route table ([`routes`]) and the HTTP envelope
//! every operation shares ([`handle`]). Only `lib.rs` imports it.
//!
//! The envelope adds the request id, the safety and CORS headers,
//! `Server-Timing`, the 413 size limit, and renders every [`ApiError`]
//! (logging 500s with their cause and request id).

mod metrics;
mod router;
mod routes;

use crate::config::Config;
use crate::db::{is_bookmark, Db, DbStats, Start};
use crate::error::{ApiError, ApiResult};
use crate::http::{
    drain, drain_body, idempotency, json_response, Ctx, DRAIN_BYTES, MAX_BODY_BYTES,
};
use crate::{cors, rate_limits, users};
use router::{match_route, Matched};
use worker::{
    console_error, console_log, Context, D1DatabaseSession, Env, Method, Request, Response,
};

const NOT_FOUND: &str = "Not Found";
const DISALLOWED_ORIGIN: &str = "Disallowed CORS origin";
const INVALID_BOOKMARK: &str =
    "Invalid X-D1-Bookmark: send back the X-D1-Bookmark of an earlier response, or none";

fn error_response(err: ApiError, request_id: &str, method: &Method, path: &str) -> Response {
    if let ApiError::Replay { status, body } = err {
        return idempotency::replayed(status, body);
    }
    if let ApiError::Internal(cause) = &err {
        console_error!("request_id={request_id} {method} {path} failed: {cause}");
    }
    let mut resp = json_response(err.status(), err.body().to_string().into_bytes());
    let headers = resp.headers_mut();
    for (name, value) in err.headers() {
        let _ = headers.set(name, &value);
    }
    resp
}

/// Serves one request: route, read the body, run the handler, render errors.
pub(crate) async fn handle(req: Request, env: Env, worker: Context) -> Response {
    let worker = std::rc::Rc::new(worker);
    let started = worker::js_sys::Date::now();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let request_id = header("X-Request-Id")
        .filter(|id| cors::is_sane_request_id(id))
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let origin = header("Origin");
    let preflight =
        req.method() == Method::Options && header("Access-Control-Request-Method").is_some();
    let requested_headers = header("Access-Control-Request-Headers");
    let (method, path) = (req.method(), req.path());
    let config = match load_config(&env) {
        Ok(config) if !config.tokens.ring.proven() => prove_keys(config).await,
        loaded => loaded,
    };
    let allowed_origin = match (&config, &origin) {
        (Ok(c), Some(o)) => cors::allowed(&c.cors_origins, o),
        _ => None,
    };
    let server_timing_on = config.as_ref().map_or(true, |c| c.server_timing);
    let mut outcome = Outcome::default();
    let result = match config {
        Err(e) => Err(e),
        Ok(_) if preflight && origin.is_some() => {
            preflight_response(allowed_origin.as_ref(), requested_headers.as_deref())
        }
        Ok(config) => {
            let request = (req, env.clone(), worker, config);
            run_route(request, &request_id, &mut outcome).await
        }
    };
    if !matches!(method, Method::Get | Method::Head | Method::Options) {
        // A write may have changed what the caller cache holds (see there).
        crate::identity::cache::forget_all();
    }
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => error_response(e, &request_id, &method, logged_path(&path)),
    };
    let elapsed = worker::js_sys::Date::now() - started;
    let headers = resp.headers_mut();
    let _ = headers.set("X-Request-Id", &request_id);
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    if !headers.has("Cache-Control").unwrap_or(false) {
        let _ = headers.set("Cache-Control", "no-store");
    }
    if let Some(origin) = &allowed_origin {
        for (name, value) in cors::response_headers(origin) {
            let _ = headers.set(name, &value);
        }
    }
    outcome.finish(&mut resp, server_timing_on, elapsed);
    let line = format!("request_id={request_id} {method} {}", logged_path(&path));
    outcome.log(&line, resp.status_code(), elapsed, &env, method.as_ref());
    resp
}

/// What the response's headers and the request's log line say of its run.
#[derive(Default)]
struct Outcome {
    /// The isolate's first-request work (the first-superuser check).
    boot: DbStats,
    stats: DbStats,
    session: Option<std::rc::Rc<D1DatabaseSession>>,
    conceals_counts: bool,
    /// The API key that called, by id.
    api_key: Option<String>,
    /// The matched route's template.
    route: Option<&'static str>,
}

impl Outcome {
    /// `Server-Timing`, and the session's latest bookmark: sent back, it makes
    /// the next request see at least what this one saw or wrote.
    fn finish(&self, resp: &mut Response, server_timing_on: bool, elapsed: f64) {
        let headers = resp.headers_mut();
        if server_timing_on {
            let timing = server_timing(self.stats, self.boot, elapsed, self.conceals_counts);
            let _ = headers.set("Server-Timing", &timing);
        }
        let bookmark = self.session.as_deref().map(D1DatabaseSession::get_bookmark);
        if let Some(Ok(Some(bookmark))) = bookmark {
            let _ = headers.set("X-D1-Bookmark", &bookmark);
        }
    }

    /// The request's data point (`METRICS`) and its log line (`line`: its
    /// id, method and path), with the API key that called by id (never the
    /// key) and the point as written.
    fn log(&self, line: &str, status: u16, elapsed: f64, env: &Env, method: &str) {
        let all = self.stats.plus(self.boot);
        let point = metrics::Point {
            route: self.route.unwrap_or("unmatched"),
            method,
            status,
            millis: elapsed,
            round_trips: all.round_trips,
            rows_read: all.rows_read,
            rows_written: all.rows_written,
        };
        let written =
            metrics::record(env, &point).map_or(String::new(), |p| format!(" metrics={p}"));
        let api_key = self
            .api_key
            .as_ref()
            .map_or(String::new(), |id| format!(" api_key={id}"));
        console_log!(
            "{line} {status} d1_round_trips={} d1_rows_read={} d1_rows_written={} {}ms{api_key}{written}",
            all.round_trips,
            all.rows_read,
            all.rows_written,
            elapsed.max(0.0).round() as u64
        );
    }
}

/// Routes the request and runs its operation, noting in `outcome` what its
/// D1 session did.
async fn run_route(
    (mut req, env, worker, config): (Request, Env, std::rc::Rc<Context>, Config),
    request_id: &str,
    outcome: &mut Outcome,
) -> ApiResult<Response> {
    let (route, params) =
        match match_route(routes::ROUTES, config.local, &req.method(), &req.path()) {
            Matched::NotFound => return Err(ApiError::not_found(NOT_FOUND)),
            Matched::WrongMethod(allowed) => {
                return Err(ApiError::MethodNotAllowed {
                    allow: allowed.join(", "),
                })
            }
            Matched::Found(route, params) => (route, params),
        };
    outcome.conceals_counts = route.conceals_counts;
    outcome.route = Some(route.path);
    let (body, db) = prepare(&mut req, &env, &config, route.streams_body).await?;
    outcome.boot = db.take_stats();
    let counted = db.stats_handle();
    outcome.session = Some(db.session_handle());
    let after = db.clone();
    let cx = Ctx {
        req,
        params,
        body,
        db,
        config,
        env: env.clone(),
        worker: worker.clone(),
        session_id: None,
        caller_id: None,
        mailer: crate::email::delivery::hand_over,
        request_id: request_id.to_string(),
    };
    let result = (route.handler)(cx).await;
    if matches!(&result, Err(e) if !matches!(e, ApiError::Replay { .. })) {
        // It wrote nothing: free what it reserved (an Idempotency-Key).
        if let Err(e) = after.undo_failed().await {
            console_error!("request_id={request_id} undo failed: {e:?}");
        }
    }
    outcome.stats = counted.get();
    outcome.api_key = after.api_key();
    // Webhook deliveries the request's batches committed (see `events`).
    let deliveries = after.take_committed();
    crate::queues::hand_over(&env, &worker, crate::webhooks::delivery::QUEUE, deliveries);
    run_after_response(after, &worker, request_id);
    result
}

/// The writes the request left for after its answer (`waitUntil`, not counted
/// in it), with a log line once they ran.
fn run_after_response(db: Db, worker: &Context, request_id: &str) {
    if !db.has_after_response() {
        return;
    }
    let id = request_id.to_string();
    worker.wait_until(async move {
        match db.run_after_response().await {
            Ok(n) => console_log!(
                "request_id={id} after the response: {n} write{}",
                if n == 1 { "" } else { "s" }
            ),
            Err(e) => console_error!("request_id={id} after the response: {e:?}"),
        }
    });
}

/// The path as the request log shows it: an address in the path (the
/// recovery operations take one) becomes `{email}`, so logs hold no addresses.
fn logged_path(path: &str) -> &str {
    if path.starts_with("/api/v1/password-recovery-html-content/") {
        "/api/v1/password-recovery-html-content/{email}"
    } else if path.starts_with("/api/v1/password-recovery/") {
        "/api/v1/password-recovery/{email}"
    } else {
        path
    }
}

/// Events deleted by one scheduled run at most (the oldest first): a backlog
/// past retention goes over the next runs, each a bounded write.
const EVENTS_PRUNED_PER_RUN: i64 = 10_000;

/// The scheduled run (Cron Trigger): deletes rate-limit events older than every
/// window, e-mail tokens past their expiry, sessions expired or revoked,
/// idempotency keys older than a day, outbox rows sent or failed over 7
/// days ago, MFA challenges past their expiry and events older than
/// `EVENT_RETENTION_DAYS`, so those tables hold no more than
/// their windows whatever clients send; hands e-mail and webhook deliveries
/// that stayed pending to their queues again. A failure is logged; the next
/// run tries again.
pub(crate) async fn scheduled(cron: &str, env: Env) {
    let result = async {
        let (db, config) = open(&env)?;
        let now = crate::clock::now_secs();
        let mut b = db.batch();
        let window = config.login_failure_window_seconds.max(3600);
        let pruned = rate_limits::prune(&mut b, now, window)?;
        let tokens = crate::account::tokens::prune(&mut b, now)?;
        let sessions = crate::sessions::repo::prune(&mut b, now)?;
        let keys = idempotency::prune(&mut b, now)?;
        let outbox = crate::email::outbox::prune(&mut b, now)?;
        let challenges = crate::mfa::repo::prune(&mut b, now)?;
        let retained = (now - config.event_retention_days * 86_400) as u64 * 1000;
        let kept_from = crate::clock::rfc3339_from_millis(retained);
        let audit = crate::events::repo::prune(&mut b, &kept_from, EVENTS_PRUNED_PER_RUN)?;
        let r = b.run().await?;
        let requeued = crate::email::delivery::requeue(&db, &env, &config.email).await?;
        let redelivered = crate::webhooks::delivery::requeue(&db, &env).await?;
        let media = crate::uploads::cleanup(&db, &env).await?;
        let pruned = (
            r.counted(pruned)?,
            r.counted(tokens)?,
            r.counted(sessions)?,
            r.counted(keys)?,
            r.counted(outbox)?,
            r.counted(challenges)?,
            r.counted(audit)?,
        );
        Ok::<_, ApiError>((pruned, (requeued, redelivered), media))
    }
    .await;
    match result {
        Ok(((events, tokens, sessions, keys, outbox, challenges, audit), (mail, hooks), media)) => console_log!(
            "scheduled cron={cron:?} pruned_rate_limit_events={events} pruned_email_tokens={tokens} \
             pruned_sessions={sessions} pruned_idempotency_keys={keys} pruned_outbox={outbox} \
             pruned_mfa_challenges={challenges} pruned_events={audit} requeued_emails={mail} \
             requeued_webhook_deliveries={hooks} orphaned_uploads={} deleted_media={}",
            media.orphaned,
            media.deleted
        ),
        Err(e) => console_error!("scheduled cron={cron:?} failed: {e:?}"),
    }
}

/// The consumer of both queues (`[[queues.consumers]]`): webhook deliveries
/// (a queue whose name holds `webhook`) and e-mail.
pub(crate) async fn queue(batch: worker::worker_sys::MessageBatch, env: Env) -> ApiResult<()> {
    let (db, config) = open(&env)?;
    let webhooks = batch.queue().is_ok_and(|q| q.includes("webhook", 0));
    let messages = crate::queues::Received::all(&batch);
    if webhooks {
        crate::webhooks::delivery::consume(messages, &db, &config).await;
    } else {
        let prepare = crate::account::prepare;
        crate::email::delivery::consume(messages, &db, &config.email, prepare).await;
    }
    Ok(())
}

/// D1 and the settings, outside a request.
fn open(env: &Env) -> ApiResult<(Db, Config)> {
    let config = load_config(env)?;
    let d1 = env
        .d1("DB")
        .map_err(|e| ApiError::internal(format!("D1 binding DB: {e}")))?;
    Ok((Db::new(&d1, Start::Primary, config.sql_trace)?, config))
}

/// `d1` (every D1 round trip the request made, with the rows D1 read and,
/// if any, wrote), `app` (the whole request) and, on the first request of an
/// isolate, `boot`: the part of `d1` that was the first-superuser check.
/// `conceal` leaves the counts out (they stay in the request's log line).
fn server_timing(stats: DbStats, boot: DbStats, elapsed: f64, conceal: bool) -> String {
    let all = stats.plus(boot);
    if conceal {
        return format!("d1;dur={}, app;dur={}", Millis(all.millis), Millis(elapsed));
    }
    let trips = all.round_trips;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let written = match all.rows_written {
        0 => String::new(),
        n => format!(", {n} row{} written", plural(n)),
    };
    let mut timing = format!(
        "d1;desc=\"{trips} round trip{}, {} row{} read{written}\";dur={}, app;dur={}",
        plural(u64::from(trips)),
        all.rows_read,
        plural(all.rows_read),
        Millis(all.millis),
        Millis(elapsed)
    );
    if boot.round_trips > 0 {
        timing += &format!(
            ", boot;desc=\"first superuser check\";dur={}",
            Millis(boot.millis)
        );
    }
    timing
}

/// Milliseconds to one decimal, by integer arithmetic: formatting an f64
/// pulls float formatting (about 14 KB of wasm) in for timings alone.
struct Millis(f64);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Times are non-negative and far below u64's range; NaN becomes 0.
        let tenths = (self.0.max(0.0) * 10.0).round() as u64;
        write!(f, "{}.{}", tenths / 10, tenths % 10)
    }
}

/// A CORS preflight: allowed origins get the CORS headers, others a 400 without them.
fn preflight_response(
    allowed_origin: Option<&cors::Allowed>,
    requested_headers: Option<&str>,
) -> ApiResult<Response> {
    let Some(origin) = allowed_origin else {
        return Err(ApiError::bad_request(DISALLOWED_ORIGIN));
    };
    let mut resp = Response::builder().with_status(200).fixed(b"OK".to_vec());
    let headers = resp.headers_mut();
    let _ = headers.set("Content-Type", "text/plain; charset=utf-8");
    for (name, value) in cors::preflight_headers(origin, requested_headers) {
        let _ = headers.set(name, &value);
    }
    Ok(resp)
}

/// Reads the body chunk by chunk and stops as soon as it passes
/// [`MAX_BODY_BYTES`]: a body without `Content-Length` (chunked, HTTP/2) is never
/// held whole before the limit applies.
async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    use futures_util::StreamExt;
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new()); // no body at all
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::internal(format!("read body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            drain(stream, body.len() + chunk.len()).await;
            return Err(ApiError::http(413, "Request body too large"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where a request's D1 session starts (D1's Sessions API): after the bookmark
/// the client sent back (it sees its own writes), else anywhere for an
/// `anonymous_read`, and at the primary for a write or a caller's read: what
/// decides access (a revoked session, a role, a superuser flag) is never read
/// from a replica older than the primary.
fn session_start(bookmark: Option<&str>, anonymous_read: bool) -> ApiResult<Start<'_>> {
    match bookmark.map(str::trim) {
        Some(bookmark) if is_bookmark(bookmark) => Ok(Start::After(bookmark)),
        Some(_) => Err(ApiError::bad_request(INVALID_BOOKMARK)),
        None if anonymous_read => Ok(Start::Unconstrained),
        None => Ok(Start::Primary),
    }
}

fn load_config(env: &Env) -> ApiResult<Config> {
    Config::load(|name| {
        env.var(name)
            .ok()
            .map(|v| v.to_string())
            .or_else(|| env.secret(name).ok().map(|v| v.to_string()))
    })
    .map_err(|msg| ApiError::internal(format!("configuration: {msg}")))
}

/// The signing keys proven (once per isolate and ring), before any request
/// may issue or check a token with them. Boxed: it runs once, and its code
/// stays out of every request's future.
fn prove_keys(
    config: Config,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ApiResult<Config>>>> {
    Box::pin(async move {
        match config.tokens.ring.prepare().await {
            Ok(()) => Ok(config),
            Err(msg) => Err(ApiError::internal(format!("configuration: {msg}"))),
        }
    })
}

/// Reads the body (refusing more than [`MAX_BODY_BYTES`] before parsing) and
/// opens D1, making sure the first superuser exists (once per isolate; what it
/// cost is taken from the `Db`'s counters by the caller).
async fn prepare(
    req: &mut Request,
    env: &Env,
    config: &Config,
    streams_body: bool,
) -> ApiResult<(Vec<u8>, Db)> {
    let too_large = || ApiError::http(413, "Request body too large");
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) && !streams_body {
        // A body small enough is read and dropped first (see [`drain`]).
        if declared.is_some_and(|n| n <= DRAIN_BYTES as u64) {
            drain_body(req).await;
        }
        return Err(too_large());
    }
    let body = match req.method() {
        _ if streams_body => Vec::new(),
        Method::Get | Method::Head => Vec::new(),
        _ => read_body(req).await?,
    };
    let sent = req.headers().get("X-D1-Bookmark").ok().flatten();
    let anonymous = req.headers().get("Authorization").ok().flatten().is_none();
    let read = matches!(req.method(), Method::Get | Method::Head);
    let start = session_start(sent.as_deref(), read && anonymous)?;
    let d1 = env
        .d1("DB")
        .map_err(|e| ApiError::internal(format!("D1 binding DB: {e}")))?;
    let db = Db::new(&d1, start, config.sql_trace)?;
    users::ensure_first_superuser(&db, config).await?;
    Ok((body, db))
}

#[cfg(test)]
mod tests {
    use super::{logged_path, session_start, Millis, Start};

    #[test]
    fn only_an_anonymous_read_without_a_bookmark_may_start_at_a_replica() {
        assert_eq!(session_start(None, true).unwrap(), Start::Unconstrained);
        // a caller's read (its access is decided by it) or a write: the primary
        assert_eq!(session_start(None, false).unwrap(), Start::Primary);
        let bookmark = "00000001-00000002-00004e46-0c5aa4aa8c3ec57a6de05ab4b2ea4c71";
        for anonymous_read in [true, false] {
            assert_eq!(
                session_start(Some(bookmark), anonymous_read).unwrap(),
                Start::After(bookmark)
            );
        }
        assert_eq!(
            session_start(Some("garbage"), true).unwrap_err().status(),
            400
        );
    }

    #[test]
    fn addresses_in_a_path_stay_out_of_the_log() {
        assert_eq!(
            logged_path("/api/v1/password-recovery/a%40b.example"),
            "/api/v1/password-recovery/{email}"
        );
        assert_eq!(
            logged_path("/api/v1/password-recovery-html-content/a@b.example"),
            "/api/v1/password-recovery-html-content/{email}"
        );
        assert_eq!(logged_path("/api/v1/users/me"), "/api/v1/users/me");
    }

    #[test]
    fn millis_print_as_float_formatting_would_to_one_decimal() {
        for x in [0.0, 0.04, 0.05, 0.96, 1.25, 12.34, 999.95, 1234.5] {
            assert_eq!(
                Millis(x).to_string(),
                format!("{:.1}", (x * 10.0_f64).round() / 10.0)
            );
        }
        assert_eq!(Millis(-3.0).to_string(), "0.0");
        assert_eq!(Millis(f64::NAN).to_string(), "0.0");
    }
}
