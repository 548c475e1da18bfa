//! The last stage of `make test-api`: checks that read the whole log of the
//! HTTP tests' shared worker (`API_TEST_LOG`, written by `tests/api`), run
//! once every HTTP test has ended and that worker has stopped, so they see
//! every request and statement of the run, not the part written so far.
#![cfg(not(target_arch = "wasm32"))]

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers/mod.rs"]
mod helpers;

mod documented;
mod query_plans;

use std::sync::OnceLock;

/// The complete log of the HTTP tests' shared worker.
pub fn api_test_log() -> String {
    let path = std::env::var_os("API_TEST_LOG").expect(
        "API_TEST_LOG names the log of a finished `cargo test --test api` run: run `make test-api`",
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// A worker on the same migrated schema, to explain statements and serve the
/// OpenAPI document (this binary's own: the HTTP tests' worker has stopped).
pub fn explainer() -> &'static helpers::TestApp {
    static APP: OnceLock<helpers::TestApp> = OnceLock::new();
    APP.get_or_init(|| helpers::spawn_local_worker(&[]))
}
