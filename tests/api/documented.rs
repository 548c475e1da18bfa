//! Every status an operation answers is declared in the served OpenAPI
//! document: the worker logs each request's method, path and status; this
//! test drives the scenarios that reach every operation and most of their
//! refusals, then matches each logged request (its own and any other test's)
//! to the document's operation and checks the status is among its responses.

use crate::helpers::*;
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
    let log = std::fs::read_to_string(&app().log_path).unwrap();
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

#[test]
fn every_status_an_operation_answers_is_declared() {
    crate::scenarios::every_operation();

    let doc: Value = get("/api/v1/openapi.json").send().json();
    let paths = doc["paths"].as_object().unwrap();
    let mut undeclared = BTreeSet::new();
    let mut seen = 0;
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
        seen += 1;
        if op["responses"].get(status.to_string()).is_none() {
            undeclared.insert(format!("{method} {template} answered {status}"));
        }
    }
    assert!(seen > 50, "too few requests logged: {seen}");
    assert!(
        undeclared.is_empty(),
        "statuses answered but not declared:\n{}",
        undeclared.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn templates_match_as_the_router_does() {
    assert!(matches("/api/v1/users/", "/api/v1/users"));
    assert!(matches("/api/v1/users/{user_id}", "/api/v1/users/abc/"));
    assert!(!matches("/api/v1/users/{user_id}", "/api/v1/users/"));
    assert!(!matches("/api/v1/users/me", "/api/v1/users/abc"));
}
