//! Every status an operation answers is declared in the served OpenAPI
//! document, and every operation was called: the HTTP tests' shared worker
//! logs each request's method, path and status; once those tests have all
//! ended, this test matches each logged request to the document's operation
//! and checks the status is among its responses.

use crate::{api_test_log, explainer};
use serde_json::Value;
use std::collections::BTreeSet;

/// Statuses any operation may answer, declared once in the document's
/// description rather than on each: 405 belongs to a path, not an operation,
/// and 500 is the service failing (the fault-injection tests cause some).
const ANY_OPERATION: [u16; 2] = [405, 500];

/// Whether `path` (as requested, percent-encoded) matches the document's
/// `template`, which Starlette matches with or without its trailing slash.
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// (method, path, status) of each request the worker has logged.
fn logged() -> Vec<(String, String, u16)> {
    let log = api_test_log();
    log.lines()
        .filter_map(|line| {
            let rest = line.split_once("request_id=")?.1;
            let mut parts = rest.split(' ').skip(1);
            let method = parts.next()?.to_string();
            let path = parts.next()?.split('?').next()?.to_string();
            let status = parts.next()?.parse().ok()?;
            Some((method, path, status))
        })
        .collect()
}

/// The served document's operations, as `METHOD template`.
fn document() -> Value {
    explainer().openapi_json(200)
}

/// What the log shows of each operation: the operations called (with a status
/// other than [`ANY_OPERATION`]'s), and each status answered but not declared.
fn called_and_undeclared(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let paths = doc["paths"].as_object().unwrap();
    let mut undeclared = BTreeSet::new();
    let mut called = BTreeSet::new();
    for (method, path, status) in logged() {
        if ANY_OPERATION.contains(&status) {
            continue;
        }
        // `/users/me` before `/users/{user_id}`: the fewest parameters wins.
        let op = paths
            .iter()
            .filter(|(template, ops)| {
                matches(template, &path) && ops.get(method.to_lowercase()).is_some()
            })
            .min_by_key(|(template, _)| template.matches('{').count())
            .map(|(template, ops)| (template, &ops[method.to_lowercase()]));
        let Some((template, op)) = op else { continue }; // a path the API does not have
        called.insert(format!("{method} {template}"));
        if op["responses"].get(status.to_string()).is_none() {
            undeclared.insert(format!("{method} {template} answered {status}"));
        }
    }
    (called, undeclared)
}

#[test]
fn every_status_an_operation_answers_is_declared() {
    let (called, undeclared) = called_and_undeclared(&document());
    assert!(
        called.len() > 50,
        "too few operations logged: {}",
        called.len()
    );
    assert!(
        undeclared.is_empty(),
        "statuses answered but not declared:\n{}",
        undeclared.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_operation_of_the_document_was_called() {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let doc = document();
    let (called, _) = called_and_undeclared(&doc);
    let never_called: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(template, ops)| {
            METHODS
                .iter()
                .filter(|m| ops.get(**m).is_some())
                .map(move |m| format!("{} {template}", m.to_uppercase()))
        })
        .filter(|op| !called.contains(op))
        .collect();
    assert!(
        never_called.is_empty(),
        "operations no HTTP test called:\n{}",
        never_called.join("\n")
    );
}

#[test]
fn templates_match_as_the_router_does() {
    assert!(matches("/v1/users/", "/v1/users"));
    assert!(matches("/v1/users/{user_id}", "/v1/users/abc/"));
    assert!(!matches("/v1/users/{user_id}", "/v1/users/"));
    assert!(!matches("/v1/users/me", "/v1/users/abc"));
}
