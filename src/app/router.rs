//! Matching a request to the route table, as Starlette does: the first route
//! whose path and method match wins; a path that matches with another method is
//! a 405, anything else a 404. Paths answer with and without a trailing slash.

use crate::access::Step;
use crate::error::ApiResult;
use crate::http::Ctx;
use worker::{Method, Response};

type HandlerFuture = Step<'static, ApiResult<Response>>;

pub(crate) struct Route {
    pub(crate) method: Method,
    /// `/api/v1/...` with `{name}` segments, without a trailing slash.
    pub(crate) path: &'static str,
    pub(crate) handler: fn(Ctx) -> HandlerFuture,
    /// Mounted only when `ENVIRONMENT=local` (elsewhere the path does not exist).
    pub(crate) local_only: bool,
    /// The handler streams the body itself (an upload): the envelope neither
    /// reads it nor applies the 1 MiB JSON limit.
    pub(crate) streams_body: bool,
    /// An anonymous account operation (login, signup, recovery, reset,
    /// verification): `Server-Timing` shows no D1 counts, which could tell
    /// whether an account exists.
    pub(crate) conceals_counts: bool,
}

/// The outcome of matching a path against the table.
pub(crate) enum Matched<'a> {
    Found(&'a Route, Vec<(&'static str, String)>),
    /// The path exists, but not with this method; the methods it does answer.
    WrongMethod(Vec<String>),
    NotFound,
}

/// Matches against the routes mounted here (`local`: local development).
pub(crate) fn match_route<'a>(
    routes: &'a [Route],
    local: bool,
    method: &Method,
    path: &str,
) -> Matched<'a> {
    // HEAD is answered wherever GET is, as Starlette does (the runtime drops the body).
    let method = if *method == Method::Head {
        &Method::Get
    } else {
        method
    };
    // One trailing slash is optional, as the contract says; `users//` is another path.
    let path = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    let segments: Vec<&str> = path.split('/').collect();
    let mut allowed = Vec::new();
    for route in routes.iter().filter(|r| local || !r.local_only) {
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
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
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

#[cfg(test)]
mod tests {
    use super::super::routes::ROUTES;
    use super::*;

    #[test]
    fn paths_match_with_or_without_a_trailing_slash_and_decode_parameters() {
        let routes = ROUTES;
        let Matched::Found(r, params) =
            match_route(routes, true, &Method::Get, "/api/v1/users/ab%63/")
        else {
            panic!("no match")
        };
        assert_eq!(r.path, "/api/v1/users/{user_id}");
        assert_eq!(params, vec![("user_id", "abc".to_string())]);
        assert!(matches!(
            match_route(routes, true, &Method::Put, "/api/v1/users/me"),
            Matched::WrongMethod(_)
        ));
        assert!(matches!(
            match_route(routes, true, &Method::Get, "/api/v1/userz"),
            Matched::NotFound
        ));
        let private = "/api/v1/private/users/";
        assert!(matches!(
            match_route(routes, true, &Method::Post, private),
            Matched::Found(..)
        ));
        assert!(matches!(
            match_route(routes, false, &Method::Post, private),
            Matched::NotFound
        ));
        for extra in ["/api/v1/users//", "/api/v1/users///", "/api/v1/users/me//"] {
            assert!(
                matches!(
                    match_route(routes, true, &Method::Get, extra),
                    Matched::NotFound
                ),
                "{extra}"
            );
        }
    }
}
