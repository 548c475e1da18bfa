//! The HTTP envelope every operation shares: routing, 404/405, 413, 422 shapes,
//! 500s that leak nothing, the OpenAPI document and the health check.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn the_health_check_answers_true_with_and_without_a_trailing_slash() {
    let with_slash = paths::health_check();
    for path in [with_slash.as_str(), with_slash.trim_end_matches('/')] {
        let r = get(path).send();
        r.assert(200, json!(true));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.header("x-request-id").is_some_and(|v| v.len() == 32));
        assert!(
            r.header("server-timing")
                .is_some_and(|v| v.starts_with("d1;desc=\"")),
            "{:?}",
            r.headers
        );
    }
}

#[test]
fn an_unknown_path_is_a_json_404() {
    for path in [
        "/",
        &paths::unknown(),
        &format!("{}/nope/deeper", paths::me()),
        "/api/v2/users/",
    ] {
        get(path).send().assert_detail(404, "Not Found");
    }
}

#[test]
fn a_known_path_with_the_wrong_method_is_a_json_405() {
    let r = put(&paths::me()).send();
    r.assert_detail(405, "Method Not Allowed");
    assert_eq!(r.header("allow"), Some("GET, DELETE, PATCH"));
    assert_eq!(
        app().call::<Detail>(
            "DELETE",
            &paths::health_check(),
            &ANONYMOUS,
            Body::None,
            405
        ),
        Detail::new("Method Not Allowed")
    );
    assert_eq!(
        app().call::<Detail>("GET", &paths::login(), &ANONYMOUS, Body::None, 405),
        Detail::new("Method Not Allowed")
    );
}

#[test]
fn list_paths_answer_with_and_without_the_trailing_slash_without_redirecting() {
    for path in [&paths::users_without_slash(), &paths::users()] {
        let r = get(path).send();
        r.assert_detail(401, "Not authenticated");
        get(path).token(&superuser_token()).send().expect(200);
    }
}

#[test]
fn a_body_over_one_mebibyte_is_refused_before_parsing() {
    let big = vec![b'x'; 1024 * 1024 + 1];
    assert_eq!(
        send_oversized("POST", &paths::signup(), "application/json", &big),
        (413, r#"{"detail":"Request body too large"}"#.to_string())
    );
    let exactly = format!("{{\"email\": \"{}\"}}", "a".repeat(1024 * 1024 - 13));
    assert_eq!(exactly.len(), 1024 * 1024);
    post(&paths::signup())
        .raw("application/json", exactly.as_bytes())
        .expect(422);
}

#[test]
fn malformed_json_is_a_422_with_the_offset_of_the_first_bad_character() {
    post(&paths::signup()).raw("application/json", br#"{"email": }"#).assert(
        422,
        json!({"detail": [{"type": "json_invalid", "loc": ["body", 10], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}}]}),
    );
    post(&paths::signup()).raw("application/json", br#"{"email": "a@example.com",}"#).assert(
        422,
        json!({"detail": [{"type": "json_invalid", "loc": ["body", 26], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting property name enclosed in double quotes"}}]}),
    );
}

#[test]
fn a_body_that_is_not_an_object_is_a_422() {
    assert_eq!(
        app().register_user::<Value>(&json!([1, 2]), 422),
        json!({"detail": [{"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": [1, 2]}]})
    );
}

#[test]
fn no_body_at_all_is_a_missing_body() {
    assert_eq!(
        app().call::<Value>("POST", &paths::signup(), &ANONYMOUS, Body::None, 422),
        json!({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}]})
    );
}

#[test]
fn a_body_that_is_not_utf8_is_a_400() {
    post(&paths::signup())
        .raw("application/json", b"{\"email\": \"\xff\xfe\"}")
        .assert_detail(400, "There was an error parsing the body");
}

#[test]
fn field_errors_are_listed_together_in_schema_order() {
    assert_eq!(
        app().register_user::<Value>(
            &json!({"email": 5, "password": "short", "full_name": "x".repeat(256)}),
            422
        ),
        json!({"detail": [
            {"type": "string_type", "loc": ["body", "email"], "msg": "Input should be a valid string", "input": 5},
            {"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters", "input": "short", "ctx": {"min_length": 8}},
            {"type": "string_too_long", "loc": ["body", "full_name"], "msg": "String should have at most 255 characters", "input": "x".repeat(256), "ctx": {"max_length": 255}}
        ]})
    );
}

#[test]
fn a_bad_uuid_path_parameter_is_a_422() {
    assert_eq!(
        app().read_user_by_id::<Value>(&superuser_token(), "not-a-uuid", 422),
        json!({"detail": [{"type": "uuid_parsing", "loc": ["path", "user_id"], "msg": "Input should be a valid UUID, invalid character: found `n` at 0", "input": "not-a-uuid", "ctx": {"error": "invalid character: found `n` at 0"}}]})
    );
}

#[test]
fn a_bad_integer_query_parameter_is_a_422() {
    assert_eq!(
        app().read_users::<Value>(&superuser_token(), "skip=x&limit=1001", 422),
        json!({"detail": [
            {"type": "int_parsing", "loc": ["query", "skip"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
            {"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 1000", "input": "1001", "ctx": {"le": 1000}}
        ]})
    );
}

#[test]
fn an_unexpected_failure_is_a_500_that_leaks_nothing_and_logs_the_request_id() {
    let _fault = Trigger::create(
        "before insert on users when new.email like 'boom-%' \
         begin select raise(abort, 'secret internals: boom'); end",
    );
    let email = format!("boom-{}", random_email());
    let r = post(&paths::signup()).json(&json!({"email": email, "password": "password123"}));
    r.assert_detail(500, "Internal Server Error");
    assert!(!r.text.contains("secret"));
    let id = r.header("x-request-id").unwrap().to_string();
    let line = app().log_line(&format!("request_id={id} POST {} failed", paths::signup()));
    assert!(
        line.contains("secret internals: boom"),
        "the log keeps the cause: {line}"
    );
}

#[test]
fn the_openapi_document_is_served_and_every_operation_in_it_is_routed() {
    let r = app().openapi_json::<Resp>(200);
    // Locally, the committed document byte for byte, as JSON.
    assert_eq!(r.text, include_str!("../../openapi.json"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Its files among the static assets are reachable through this route only.
    for file in ["/api/openapi/local.json", "/api/openapi/deployed.json"] {
        get(file).send().assert_detail(404, "Not Found");
    }
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 8);
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path
                .replace("{user_id}", &uuid::Uuid::new_v4().to_string())
                .replace("{organization_id}", &uuid::Uuid::new_v4().to_string());
            let r = request(&method.to_uppercase(), &concrete).send();
            assert!(
                r.status != 404 || r.json() != json!({"detail": "Not Found"}),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(
                r.status, 405,
                "{method} {path} is documented but not routed"
            );
            let _: Value = r.json();
        }
    }
}

/// Starts a worker with `vars` and checks that it answers every request with a
/// bare 500 and logs a line containing `logged`, the setting it refuses.
pub(crate) fn assert_refuses_to_serve(vars: &[String], logged: &str) {
    let worker = spawn_worker(vars, 500);
    for path in [&paths::health_check(), &paths::me()] {
        worker
            .request("GET", path)
            .send()
            .assert_detail(500, "Internal Server Error");
    }
    worker.log_line(logged);
}

#[test]
fn a_worker_with_the_placeholder_key_outside_local_development_refuses_to_serve() {
    assert_refuses_to_serve(
        &[
            "SECRET_KEY=changethis".to_string(),
            "ENVIRONMENT=production".to_string(),
        ],
        "SECRET_KEY is the placeholder",
    );
}

#[test]
fn a_worker_with_a_short_key_outside_local_development_refuses_to_serve() {
    assert_refuses_to_serve(
        &[
            "SECRET_KEY=only-twenty-bytes-xx".to_string(),
            "ENVIRONMENT=staging".to_string(),
        ],
        "SECRET_KEY is 20 bytes: at least 32 are required",
    );
}

#[test]
fn a_token_lifetime_that_overflows_the_clock_refuses_to_serve() {
    assert_refuses_to_serve(
        &[
            format!("SECRET_KEY={SECRET_KEY}"),
            "ENVIRONMENT=local".to_string(),
            "ACCESS_TOKEN_EXPIRE_MINUTES=9999999999999".to_string(),
        ],
        "ACCESS_TOKEN_EXPIRE_MINUTES must be between 1 and 525600",
    );
}
