//! The route table and the HTTP envelope every operation shares.
//!
//! One glance here lists the API. Routing follows Starlette: the first route
//! whose path and method match wins; a path that matches with another method is
//! a 405, anything else a 404. Paths answer with and without a trailing slash.
//! The envelope adds the request id, `Server-Timing`, the 413 size limit, and
//! renders every [`ApiError`] (logging 500s with their cause and request id).

use crate::config::Config;
use crate::db::{Db, DbStats};
use crate::error::{ApiError, ApiResult};
use crate::validation::Validator;
use crate::{auth, cors, memberships, openapi, organizations, resource_migration, users, utils};
use serde::Serialize;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use worker::{console_error, console_log, Env, Method, Request, Response};

/// Largest page a list returns.
pub const MAX_LIMIT: i64 = 1000;

/// Paging of a list request, checked.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub skip: i64,
    pub limit: i64,
}

/// Largest request body read, as the contract fixes it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a handler is given: the request, its path parameters, and the app state.
pub struct Ctx {
    pub req: Request,
    pub params: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub db: Db,
    pub config: Config,
}

impl Ctx {
    /// A path parameter by name (present by construction of the route).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The last value of a query parameter, decoded (Starlette keeps the last).
    pub fn query(&self, name: &str) -> Option<String> {
        query_param(&self.req.inner().url(), name)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// `skip` (>= 0, default 0) and `limit` (0..=1000, default 100), as every list takes them.
    pub fn page(&self, v: &mut Validator) -> Option<Page> {
        let skip = v.query_int("skip", self.query("skip").as_deref(), 0, Some(0), None);
        let limit = v.query_int(
            "limit",
            self.query("limit").as_deref(),
            100,
            Some(0),
            Some(MAX_LIMIT),
        );
        Some(Page {
            skip: skip?,
            limit: limit?,
        })
    }

    /// The client's address as Cloudflare reports it (`CF-Connecting-IP`), if sane.
    pub fn client_ip(&self) -> Option<String> {
        let ip = self.header("CF-Connecting-IP")?;
        let ip = ip.trim();
        let sane = !ip.is_empty()
            && ip.len() <= 45
            && ip
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
        sane.then(|| ip.to_ascii_lowercase())
    }

    /// `search`, where an empty value means no filter.
    pub fn search(&self) -> Option<String> {
        self.query("search").filter(|s| !s.is_empty())
    }

    /// The typed body of an operation that has no path or query parameters:
    /// every problem of the body in one 422, or the input.
    pub fn body<T>(
        &self,
        parse: impl FnOnce(&mut Validator, &Map<String, Value>) -> Option<T>,
    ) -> ApiResult<T> {
        let mut v = Validator::new();
        let input = self.parse_body(&mut v, parse)?;
        v.finish()?;
        crate::validation::checked(input)
    }

    /// Parses the JSON body into a typed input with `parse`, recording every
    /// problem in `v` (the caller adds path and query problems and calls `finish`).
    pub fn parse_body<T>(
        &self,
        v: &mut Validator,
        parse: impl FnOnce(&mut Validator, &Map<String, Value>) -> Option<T>,
    ) -> ApiResult<Option<T>> {
        let content_type = self.header("Content-Type");
        Ok(v.json_object(content_type.as_deref(), &self.body)?
            .and_then(|body| parse(v, &body)))
    }
}

/// Milliseconds since the Unix epoch, from the JavaScript clock.
pub fn now_millis() -> u64 {
    worker::js_sys::Date::now() as u64
}

/// Whole seconds since the Unix epoch (token `iat`, password changes).
pub fn now_secs() -> i64 {
    (now_millis() / 1000) as i64
}

/// Now as the API shows timestamps.
pub fn now_iso() -> String {
    crate::time::rfc3339_from_millis(now_millis())
}

type HandlerFuture = Pin<Box<dyn Future<Output = ApiResult<Response>>>>;
type Handler = fn(Ctx) -> HandlerFuture;

pub struct Route {
    pub method: Method,
    /// `/api/v1/...` with `{name}` segments, without a trailing slash.
    pub path: &'static str,
    handler: Handler,
}

macro_rules! route {
    ($method:ident $path:literal => $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: |cx| Box::pin($handler(cx)),
        }
    };
}

/// Every operation of the API, in matching order (`/users/me` before `/users/{user_id}`).
pub fn routes() -> Vec<Route> {
    vec![
        route!(Post "/api/v1/login/access-token" => auth::routes::login_access_token),
        route!(Post "/api/v1/login/test-token" => auth::routes::test_token),
        route!(Get "/api/v1/users" => users::routes::read_users),
        route!(Post "/api/v1/users" => users::routes::create_user),
        route!(Get "/api/v1/users/me" => users::routes::read_user_me),
        route!(Delete "/api/v1/users/me" => users::routes::delete_user_me),
        route!(Patch "/api/v1/users/me" => users::routes::update_user_me),
        route!(Patch "/api/v1/users/me/password" => users::routes::update_password_me),
        route!(Post "/api/v1/users/signup" => users::routes::register_user),
        route!(Get "/api/v1/users/{user_id}" => users::routes::read_user_by_id),
        route!(Patch "/api/v1/users/{user_id}" => users::routes::update_user),
        route!(Delete "/api/v1/users/{user_id}" => users::routes::delete_user),
        route!(Get "/api/v1/organizations" => organizations::routes::read_organizations),
        route!(Post "/api/v1/organizations" => organizations::routes::create_organization),
        route!(Get "/api/v1/organizations/{organization_id}" => organizations::routes::read_organization),
        route!(Put "/api/v1/organizations/{organization_id}" => organizations::routes::update_organization),
        route!(Delete "/api/v1/organizations/{organization_id}" => organizations::routes::delete_organization),
        route!(Get "/api/v1/organizations/{organization_id}/members" => memberships::routes::read_organization_members),
        route!(Post "/api/v1/organizations/{organization_id}/members" => memberships::routes::add_organization_member),
        route!(Delete "/api/v1/organizations/{organization_id}/members/{user_id}" => memberships::routes::remove_organization_member),
        route!(Post "/api/v1/organizations/{organization_id}/migrate-resources" => resource_migration::routes::migrate_user_resources_endpoint),
        route!(Get "/api/v1/utils/health-check" => utils::health_check),
        route!(Get "/api/v1/openapi.json" => openapi::openapi_json),
    ]
}

/// The outcome of matching a path against the table.
pub enum Matched<'a> {
    Found(&'a Route, Vec<(&'static str, String)>),
    /// The path exists, but not with this method; the methods it does answer.
    WrongMethod(Vec<String>),
    NotFound,
}

pub fn match_route<'a>(routes: &'a [Route], method: &Method, path: &str) -> Matched<'a> {
    // HEAD is answered wherever GET is, as Starlette does (the runtime drops the body).
    let method = if *method == Method::Head {
        &Method::Get
    } else {
        method
    };
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let segments: Vec<&str> = path.split('/').collect();
    let mut allowed = Vec::new();
    for route in routes {
        let Some(params) = match_path(route.path, &segments) else {
            continue;
        };
        if route.method == *method {
            return Matched::Found(route, params);
        }
        let name = route.method.to_string();
        if !allowed.contains(&name) {
            allowed.push(name);
        }
    }
    if allowed.is_empty() {
        Matched::NotFound
    } else {
        Matched::WrongMethod(allowed)
    }
}

fn match_path(pattern: &'static str, segments: &[&str]) -> Option<Vec<(&'static str, String)>> {
    let parts: Vec<&'static str> = pattern.split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, seg) in parts.into_iter().zip(segments) {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seg.is_empty() {
                return None;
            }
            params.push((name, percent_decode(seg)));
        } else if part != *seg {
            return None;
        }
    }
    Some(params)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last value of `name` in the query of a serialized URL. Read straight from
/// the string: parsing it as a `url::Url` would link IDNA's Unicode tables into
/// the wasm for nothing (the runtime has already parsed the URL).
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split('#').next()?.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == name)
        .last()
        .map(|(_, v)| v.into_owned())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// A 200 with a JSON body (the origin answers 200 for creates too).
pub fn json_ok<T: Serialize>(value: &T) -> ApiResult<Response> {
    Ok(json_response(200, serde_json::to_vec(value)?))
}

fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut resp = Response::builder().with_status(status).fixed(body);
    let _ = resp.headers_mut().set("Content-Type", "application/json");
    resp
}

fn error_response(err: &ApiError, request_id: &str, method: &Method, path: &str) -> Response {
    if let ApiError::Internal(cause) = err {
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
pub async fn handle(mut req: Request, env: Env) -> Response {
    let started = worker::js_sys::Date::now();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let request_id = header("X-Request-Id")
        .filter(|id| cors::is_sane_request_id(id))
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let origin = header("Origin");
    let preflight =
        req.method() == Method::Options && header("Access-Control-Request-Method").is_some();
    let requested_headers = header("Access-Control-Request-Headers");
    let method = req.method();
    let path = req.path();
    let config = load_config(&env);
    let allowed_origin = match (&config, &origin) {
        (Ok(c), Some(o)) if cors::is_allowed(&c.cors_origins, o) => Some(o.clone()),
        _ => None,
    };

    let mut boot = DbStats::default();
    let (result, stats) = match config {
        Err(e) => (Err(e), None),
        Ok(_) if preflight && origin.is_some() => (
            preflight_response(allowed_origin.as_deref(), requested_headers.as_deref()),
            None,
        ),
        Ok(config) => {
            let routes = routes();
            match match_route(&routes, &method, &path) {
                Matched::NotFound => (Err(ApiError::not_found("Not Found")), None),
                Matched::WrongMethod(allowed) => (
                    Err(ApiError::MethodNotAllowed {
                        allow: allowed.join(", "),
                    }),
                    None,
                ),
                Matched::Found(route, params) => match prepare(&mut req, &env, &config).await {
                    Err(e) => (Err(e), None),
                    Ok((body, db, boot_stats)) => {
                        boot = boot_stats;
                        let cx = Ctx {
                            req,
                            params,
                            body,
                            db,
                            config,
                        };
                        run(route, cx).await
                    }
                },
            }
        }
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => error_response(&e, &request_id, &method, &path),
    };
    let status = resp.status_code();
    let elapsed = worker::js_sys::Date::now() - started;
    let headers = resp.headers_mut();
    let _ = headers.set("X-Request-Id", &request_id);
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    let _ = headers.set("Cache-Control", "no-store");
    if let Some(origin) = &allowed_origin {
        for (name, value) in cors::response_headers(origin) {
            let _ = headers.set(name, &value);
        }
    }
    let stats = stats.unwrap_or_default();
    let mut timing = format!(
        "d1;desc=\"{} round trip{}\";dur={:.1}, app;dur={:.1}",
        stats.round_trips,
        if stats.round_trips == 1 { "" } else { "s" },
        stats.millis,
        elapsed
    );
    if boot.round_trips > 0 {
        timing += &format!(
            ", boot;desc=\"first superuser check\";dur={:.1}",
            boot.millis
        );
    }
    let _ = headers.set("Server-Timing", &timing);
    console_log!(
        "request_id={request_id} {method} {path} {status} d1_round_trips={} {elapsed:.0}ms",
        stats.round_trips
    );
    resp
}

/// A CORS preflight: allowed origins get the CORS headers, others a 400 without them.
fn preflight_response(
    allowed_origin: Option<&str>,
    requested_headers: Option<&str>,
) -> ApiResult<Response> {
    let Some(origin) = allowed_origin else {
        return Err(ApiError::bad_request("Disallowed CORS origin"));
    };
    let mut resp = Response::builder().with_status(200).fixed(b"OK".to_vec());
    let headers = resp.headers_mut();
    let _ = headers.set("Content-Type", "text/plain; charset=utf-8");
    for (name, value) in cors::preflight_headers(origin, requested_headers) {
        let _ = headers.set(name, &value);
    }
    Ok(resp)
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

async fn run(route: &Route, cx: Ctx) -> (ApiResult<Response>, Option<DbStats>) {
    let stats = cx.db.stats_handle();
    let result = (route.handler)(cx).await;
    (result, Some(stats.get()))
}

/// Reads the body (refusing more than [`MAX_BODY_BYTES`] before parsing) and the settings.
/// Also returns what the once-per-isolate first-superuser check cost, which
/// `Server-Timing` reports apart from the request's own D1 work.
async fn prepare(
    req: &mut Request,
    env: &Env,
    config: &Config,
) -> ApiResult<(Vec<u8>, Db, DbStats)> {
    let too_large = || ApiError::http(413, "Request body too large");
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let body = match req.method() {
        Method::Get | Method::Head => Vec::new(),
        _ => req
            .bytes()
            .await
            .map_err(|e| ApiError::internal(format!("read body: {e}")))?,
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    let d1 = env
        .d1("DB")
        .map_err(|e| ApiError::internal(format!("D1 binding DB: {e}")))?;
    let db = Db::new(d1);
    users::ensure_first_superuser(&db, config).await?;
    let boot = db.take_stats();
    Ok((body, db, boot))
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

    #[test]
    fn paths_match_with_or_without_a_trailing_slash_and_decode_parameters() {
        let routes = routes();
        let Matched::Found(r, params) = match_route(&routes, &Method::Get, "/api/v1/users/ab%63/")
        else {
            panic!("no match")
        };
        assert_eq!(r.path, "/api/v1/users/{user_id}");
        assert_eq!(params, vec![("user_id", "abc".to_string())]);
        assert!(matches!(
            match_route(&routes, &Method::Put, "/api/v1/users/me"),
            Matched::WrongMethod(_)
        ));
        assert!(matches!(
            match_route(&routes, &Method::Get, "/api/v1/userz"),
            Matched::NotFound
        ));
    }
}
