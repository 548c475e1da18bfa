//! CORS (`BACKEND_CORS_ORIGINS`) and the headers every response carries.
//! Pure: `app.rs` applies what these functions decide.

/// Methods a browser may use across origins (every method the API routes).
pub(crate) const ALLOWED_METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";
/// Headers browsers may read from a cross-origin response.
pub(crate) const EXPOSED_HEADERS: &str =
    "ETag, Retry-After, Server-Timing, WWW-Authenticate, X-D1-Bookmark, X-Request-Id";
/// How long a browser may cache a preflight answer, in seconds.
pub(crate) const PREFLIGHT_MAX_AGE: &str = "600";

/// How an origin is allowed: named in the list (credentials allowed), or only
/// through `*` (any origin, never with credentials: a wildcard that echoed every
/// origin with `Allow-Credentials: true` would let any site act as the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Allowed {
    Origin(String),
    Any,
}

/// Whether `origin` may call the API from a browser. Entries compare without
/// case and without a trailing slash; a named entry wins over `*`.
pub(crate) fn allowed(list: &[String], origin: &str) -> Option<Allowed> {
    let trimmed = origin.trim_end_matches('/');
    if list.iter().any(|a| a.eq_ignore_ascii_case(trimmed)) {
        Some(Allowed::Origin(origin.to_string()))
    } else if list.iter().any(|a| a == "*") {
        Some(Allowed::Any)
    } else {
        None
    }
}

/// The answer to an allowed preflight (`OPTIONS` with `Access-Control-Request-Method`).
pub(crate) fn preflight_headers(
    origin: &Allowed,
    requested_headers: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Access-Control-Allow-Methods", ALLOWED_METHODS.to_string()),
        ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE.to_string()),
    ];
    let requested = requested_headers
        .map(str::trim)
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ',' | ' '))
        })
        .unwrap_or("Authorization, Content-Type");
    headers.push(("Access-Control-Allow-Headers", requested.to_string()));
    headers.extend(response_headers(origin));
    headers
}

/// The CORS headers of any response to an allowed origin.
pub(crate) fn response_headers(origin: &Allowed) -> Vec<(&'static str, String)> {
    let exposed = ("Access-Control-Expose-Headers", EXPOSED_HEADERS.to_string());
    match origin {
        Allowed::Origin(origin) => vec![
            ("Access-Control-Allow-Origin", origin.clone()),
            ("Access-Control-Allow-Credentials", "true".to_string()),
            exposed,
            ("Vary", "Origin".to_string()),
        ],
        Allowed::Any => vec![("Access-Control-Allow-Origin", "*".to_string()), exposed],
    }
}

/// A client's `X-Request-Id` is echoed (and logged) only if it is a short token
/// of safe characters; otherwise the service makes its own.
pub(crate) fn is_sane_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_listed_origins_are_allowed() {
        let allowed_list = list(&["https://app.example.com", "http://localhost:5173"]);
        let origin = |o: &str| Some(Allowed::Origin(o.to_string()));
        assert_eq!(
            allowed(&allowed_list, "https://app.example.com"),
            origin("https://app.example.com")
        );
        assert_eq!(
            allowed(&allowed_list, "HTTPS://APP.EXAMPLE.COM/"),
            origin("HTTPS://APP.EXAMPLE.COM/")
        );
        assert_eq!(allowed(&allowed_list, "https://evil.example.com"), None);
        assert_eq!(allowed(&[], "https://app.example.com"), None);
        assert_eq!(
            allowed(&list(&["*"]), "https://anything.example"),
            Some(Allowed::Any)
        );
    }

    #[test]
    fn a_wildcard_never_allows_credentials() {
        let h = response_headers(&Allowed::Any);
        assert!(h.contains(&("Access-Control-Allow-Origin", "*".to_string())));
        assert!(!h
            .iter()
            .any(|(k, _)| *k == "Access-Control-Allow-Credentials"));
        let h = response_headers(&Allowed::Origin("https://a.example".into()));
        assert!(h.contains(&("Access-Control-Allow-Credentials", "true".to_string())));
    }

    #[test]
    fn preflights_echo_safe_requested_headers_only() {
        let h = preflight_headers(
            &Allowed::Origin("https://a.example".into()),
            Some("authorization, content-type"),
        );
        assert!(h.contains(&(
            "Access-Control-Allow-Headers",
            "authorization, content-type".to_string()
        )));
        let h = preflight_headers(
            &Allowed::Origin("https://a.example".into()),
            Some("x\r\nSet-Cookie: a=b"),
        );
        assert!(h.contains(&(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type".to_string()
        )));
        assert!(h.contains(&(
            "Access-Control-Allow-Origin",
            "https://a.example".to_string()
        )));
    }

    #[test]
    fn request_ids_must_be_short_and_plain() {
        assert!(is_sane_request_id("abc-123_DEF.4:5"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("a b"));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert!(!is_sane_request_id("x\nlog-injection"));
    }
}
