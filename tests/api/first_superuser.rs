//! The first superuser: created once on a worker's first request if missing,
//! never overwritten, and the cost of that check is counted in `Server-Timing`.
//! Each test starts a worker of its own, so its first request is the test's.

use crate::helpers::*;
use serde_json::json;
use users_orgs_api::auth::password;

const EMAIL: &str = "first@example.com";
const CONFIGURED: &str = "configured-password";

fn fresh_worker() -> TestApp {
    spawn_worker(
        &[
            format!("SECRET_KEY={SECRET_KEY}"),
            "ENVIRONMENT=local".to_string(),
            format!("FIRST_SUPERUSER={EMAIL}"),
            format!("FIRST_SUPERUSER_PASSWORD={CONFIGURED}"),
            format!("PASSWORD_HASH_ITERATIONS={TEST_ITERATIONS}"),
        ],
        404,
    )
}

fn login_status(worker: &TestApp, password: &str) -> u16 {
    worker
        .request("POST", &paths::login())
        .form(&[("username", EMAIL), ("password", password)])
        .status
}

fn d1_timing(r: &Resp) -> &str {
    r.header("server-timing").unwrap()
}

#[test]
fn a_missing_first_superuser_is_created_on_the_first_request_and_counted() {
    let worker = fresh_worker();
    let first = worker.request("GET", &paths::me()).send();
    first.assert_detail(401, "Not authenticated");
    // the check (one select) and the insert: two round trips, both in `d1`
    let timing = d1_timing(&first);
    assert!(timing.starts_with("d1;desc=\"2 round trips, "), "{timing}");
    assert!(
        timing.contains("boot;desc=\"first superuser check\""),
        "{timing}"
    );
    let second = worker.request("GET", &paths::me()).send();
    let timing = d1_timing(&second);
    assert!(
        timing.starts_with("d1;desc=\"0 round trips, 0 rows read\""),
        "{timing}"
    );
    assert!(!timing.contains("boot"), "{timing}");
    assert_eq!(login_status(&worker, CONFIGURED), 200);
}

#[test]
fn an_existing_first_superuser_is_never_overwritten() {
    let worker = fresh_worker();
    let hash = password::hash_with_salt("chosen-later", b"0123456789abcdef", TEST_ITERATIONS);
    worker.d1(&format!(
        "insert into users (id, email, email_key, hashed_password, full_name, is_superuser, password_changed_at, created_at, updated_at) \
         values ('{}', '{EMAIL}', '{EMAIL}', '{hash}', 'Kept', 1, 0, '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z')",
        uuid::Uuid::new_v4()
    ));
    let first = worker.request("GET", &paths::me()).send();
    // only the check: the row exists
    assert!(
        d1_timing(&first).starts_with("d1;desc=\"1 round trip, "),
        "{}",
        d1_timing(&first)
    );
    assert_eq!(login_status(&worker, CONFIGURED), 400);
    assert_eq!(login_status(&worker, "chosen-later"), 200);
    let rows = worker.d1(&format!(
        "select full_name, hashed_password from users where email = '{EMAIL}'"
    ));
    assert_eq!(
        rows,
        vec![json!({"full_name": "Kept", "hashed_password": hash})]
    );
}

/// Issue 26, item 11: the first superuser is created once per database. A
/// database whose first superuser was created (then deleted or renamed) does
/// not get it again.
#[test]
fn a_first_superuser_deleted_or_renamed_is_not_created_again() {
    let worker = fresh_worker();
    // as the database of a worker that created it, and whose superuser was
    // since renamed (the address is free) or deleted
    worker.d1(&format!(
        "insert into first_superuser (id, user_id, created_at) values (1, '{}', '2020-01-01T00:00:00.000000Z')",
        uuid::Uuid::new_v4()
    ));
    let first = worker.request("GET", &paths::me()).send();
    assert!(
        d1_timing(&first).starts_with("d1;desc=\"1 round trip, "),
        "{}",
        d1_timing(&first)
    );
    assert_eq!(login_status(&worker, CONFIGURED), 400);
    let rows = worker.d1(&format!(
        "select count(*) as n from users where email = '{EMAIL}'"
    ));
    assert_eq!(rows, vec![json!({"n": 0})]);
}

#[test]
fn creating_the_first_superuser_records_it() {
    let worker = fresh_worker();
    worker.request("GET", &paths::me()).send();
    let rows = worker.d1(
        "select u.email from first_superuser f join users u on u.id = f.user_id where f.id = 1",
    );
    assert_eq!(rows, vec![json!({"email": EMAIL})]);
}
