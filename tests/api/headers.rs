//! CORS, the safety headers and the request id every response carries.

use crate::helpers::*;
use serde_json::json;

#[test]
fn cors_answers_preflights_for_allowed_origins_only() {
    let r = request("OPTIONS", &paths::users())
        .header("Origin", CORS_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .expect(200);
    assert_eq!(r.header("access-control-allow-origin"), Some(CORS_ORIGIN));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    let r = request("OPTIONS", &paths::users())
        .header("Origin", "https://evil.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send();
    r.assert_detail(400, "Disallowed CORS origin");
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = get(&paths::health_check())
        .header("Origin", CORS_ORIGIN)
        .send();
    assert_eq!(r.header("access-control-allow-origin"), Some(CORS_ORIGIN));
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = get(&paths::health_check())
        .header("Origin", "https://evil.example.com")
        .send();
    assert_eq!(r.header("access-control-allow-origin"), None);
    request("OPTIONS", &paths::users())
        .send()
        .assert_detail(405, "Method Not Allowed");
}

#[test]
fn every_response_carries_the_safety_headers_and_a_request_id() {
    for r in [
        get(&paths::health_check()).send(),
        get(&paths::unknown()).send(),
        get(&paths::me()).send(),
        post(&paths::signup()).json(&json!({})),
    ] {
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{}",
            r.text
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.header("x-request-id").is_some());
    }
    let r = get(&paths::health_check())
        .header("X-Request-Id", "client-trace-42")
        .send();
    assert_eq!(r.header("x-request-id"), Some("client-trace-42"));
    let r = get(&paths::health_check())
        .header("X-Request-Id", "bad id with spaces")
        .send();
    assert_ne!(r.header("x-request-id"), Some("bad id with spaces"));
    let id = format!("trace-{}", uuid::Uuid::new_v4().simple());
    get(&paths::unknown()).header("X-Request-Id", &id).send();
    app().log_line(&format!("request_id={id} GET {} 404", paths::unknown()));
}
