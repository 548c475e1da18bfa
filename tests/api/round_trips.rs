//! The D1 round trips of every operation, read from `Server-Timing`: one for the
//! caller plus at most one for the data on reads, at most two on writes.

use crate::helpers::*;
use serde_json::json;

/// Round trips and rows read, from `d1;desc="N round trip(s), M row(s) read..."`,
/// or, for the anonymous account operations, whose `Server-Timing` shows no
/// counts (`d1;dur=…`), from the request's log line in the shared worker.
pub(crate) fn d1_cost(r: &Resp) -> (u32, u64) {
    let timing = r
        .header("server-timing")
        .unwrap_or_else(|| panic!("no Server-Timing: {:?}", r.headers));
    if timing.starts_with("d1;dur=") {
        return logged_cost(r);
    }
    let desc = timing
        .split("d1;desc=\"")
        .nth(1)
        .and_then(|d| d.split('"').next())
        .unwrap_or_else(|| panic!("{timing}"));
    let number = |part: &str| part.split(' ').next().unwrap().parse::<u64>().unwrap();
    let mut parts = desc.split(", ");
    let trips = number(parts.next().unwrap());
    let rows = number(parts.next().unwrap_or_else(|| panic!("{timing}")));
    (trips as u32, rows)
}

/// Round trips and rows read from the shared worker's log line for `r`.
fn logged_cost(r: &Resp) -> (u32, u64) {
    let id = r.header("x-request-id").expect("a request id");
    let line = app().log_line(&format!("request_id={id} "));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    (field("d1_round_trips=") as u32, field("d1_rows_read="))
}

/// The response is a `status`, and cost `round_trips` D1 round trips reading
/// at most `max_rows_read` rows. Under every test lies the bench data set
/// (1,000 users, 50 organizations, see `helpers`), and the tables grow with
/// every test, so a statement that walked a table would read thousands: the
/// budgets are what was measured plus a fifth (D1 counts the B-tree steps of a
/// lookup too, which vary by a row or two as other tests write).
#[track_caller]
fn expect(r: Resp, status: u16, round_trips: u32, max_rows_read: u64) {
    assert_eq!(r.status, status, "{}", r.text);
    let (trips, rows) = d1_cost(&r);
    let timing = r.header("server-timing");
    assert_eq!(trips, round_trips, "round trips for a {status}: {timing:?}");
    assert!(
        rows <= max_rows_read,
        "rows read for a {status}: {rows} > {max_rows_read}: {timing:?}"
    );
}

#[test]
fn server_timing_reports_d1_round_trips_and_handler_time() {
    let r = get("/api/v1/utils/health-check/").send();
    let timing = r.header("server-timing").unwrap();
    assert!(
        timing.starts_with("d1;desc=\"1 round trip, 0 rows read\";dur="),
        "{timing}"
    );
    assert!(timing.contains(", app;dur="), "{timing}");
}

#[test]
pub(crate) fn every_operation_stays_within_its_round_trip_budget() {
    let _schema = stable_schema();
    let admin = superuser_token();
    let u = signup_user();
    let other = signup_user();
    let member = signup_user();
    expect(get("/api/v1/utils/health-check/").send(), 200, 1, 3);
    expect(get("/api/v1/openapi.json").send(), 200, 0, 3);
    expect(get("/api/v1/nope").send(), 404, 0, 3);
    expect(get("/api/v1/users/me").send(), 401, 0, 3);
    expect(get("/api/v1/users/me").token("garbage").send(), 403, 0, 3);
    // login counts and records the attempt with the user's row (its three
    // keys' counts, read again by the one statement that records it toward
    // all three or none), then (a success) clears the counts and takes the
    // attempt back
    expect(
        post("/api/v1/login/access-token")
            .form(&[("username", &u.email), ("password", &u.password)]),
        200,
        2,
        20,
    );
    expect(
        post("/api/v1/login/access-token")
            .form(&[("username", &u.email), ("password", "wrong-password")]),
        400,
        1,
        13,
    );
    expect(
        post("/api/v1/login/test-token").token(&u.token).send(),
        200,
        1,
        5,
    );
    // signup counts and records the attempt and looks the email up, then writes the user
    expect(
        post("/api/v1/users/signup")
            .json(&json!({"email": random_email(), "password": "password123"})),
        200,
        2,
        9,
    );
    expect(get("/api/v1/users/me").token(&u.token).send(), 200, 1, 5);
    expect(
        get(&format!("/api/v1/users/{}", u.id))
            .token(&u.token)
            .send(),
        200,
        1,
        5,
    );
    expect(
        get(&format!("/api/v1/users/{}", u.id)).token(&admin).send(),
        200,
        2,
        6,
    );
    expect(
        get("/api/v1/users/?limit=5").token(&admin).send(),
        200,
        1,
        12,
    );
    expect(
        post("/api/v1/users/")
            .token(&admin)
            .json(&json!({"email": random_email(), "password": "password123"})),
        200,
        2,
        7,
    );
    expect(
        patch("/api/v1/users/me")
            .token(&u.token)
            .json(&json!({"full_name": "n"})),
        200,
        2,
        7,
    );
    expect(
        patch(&format!("/api/v1/users/{}", u.id))
            .token(&admin)
            .json(&json!({"full_name": "m"})),
        200,
        2,
        8,
    );

    let org = create_org(&u.token, "Budget");
    let org_path = format!("/api/v1/organizations/{}", org["id"].as_str().unwrap());
    expect(
        post("/api/v1/organizations/")
            .token(&u.token)
            .json(&json!({"name": "b", "avatar_image": "https://x.example.com/a.png"})),
        200,
        2,
        10,
    );
    expect(
        get("/api/v1/organizations/").token(&u.token).send(),
        200,
        1,
        22,
    );
    expect(get(&org_path).token(&u.token).send(), 200, 1, 8);
    expect(
        post(&format!("{org_path}/members"))
            .token(&u.token)
            .json(&json!({"user_id": member.id})),
        200,
        2,
        14,
    );
    expect(
        get(&format!("{org_path}/members")).token(&u.token).send(),
        200,
        2,
        16,
    );
    expect(
        put(&org_path)
            .token(&u.token)
            .json(&json!({"name": "Budget 2", "owner_id": member.id})),
        200,
        2,
        32,
    );
    expect(
        post(&format!("{org_path}/migrate-resources"))
            .token(&admin)
            .json(&json!({"user_id": u.id, "migrate_products": true})),
        200,
        2,
        13,
    );
    expect(
        delete(&format!("{org_path}/members/{}", u.id))
            .token(&member.token)
            .send(),
        200,
        2,
        18,
    );
    expect(delete(&org_path).token(&member.token).send(), 200, 2, 51);

    let fresh = login(&u.email, &u.password);
    expect(
        patch("/api/v1/users/me/password")
            .token(&fresh)
            .json(&json!({"current_password": u.password, "new_password": "another-pw-1"})),
        200,
        2,
        16,
    );
    expect(
        delete(&format!("/api/v1/users/{}", other.id))
            .token(&admin)
            .send(),
        200,
        2,
        56,
    );
    expect(
        delete("/api/v1/users/me").token(&member.token).send(),
        200,
        2,
        56,
    );
    let owner = login(&u.email, "another-pw-1");
    expect(delete("/api/v1/users/me").token(&owner).send(), 409, 2, 5);
}

#[test]
pub(crate) fn the_role_and_invitation_operations_stay_within_their_round_trip_budget() {
    let _schema = stable_schema();
    let (owner, member, org) = org_with_member();
    let p = org_path(&org);
    // access, then the write
    expect(
        patch(&format!("{p}/members/{}", member.id))
            .token(&owner.token)
            .json(&json!({"role": "admin"})),
        200,
        2,
        15,
    );
    let invitee = verified_user();
    // the checks ride in the caller's batch; then the invitation and its e-mail
    let r = post(&format!("{p}/invitations"))
        .token(&owner.token)
        .json(&json!({"email": invitee.email}));
    let created = r.json();
    expect(r, 200, 2, 12);
    let id = created["id"].as_str().unwrap();
    expect(
        get(&format!("{p}/invitations")).token(&owner.token).send(),
        200,
        1,
        12,
    );
    expect(
        get("/api/v1/users/me/invitations")
            .token(&invitee.token)
            .send(),
        200,
        1,
        10,
    );
    // the invitation and the caller's sending limit in the caller's batch
    expect(
        post(&format!("{p}/invitations/{id}/resend"))
            .token(&owner.token)
            .send(),
        200,
        2,
        18,
    );
    expect(
        post(&format!("/api/v1/users/me/invitations/{id}/accept"))
            .token(&invitee.token)
            .send(),
        200,
        2,
        12,
    );
    let other = post(&format!("{p}/invitations"))
        .token(&owner.token)
        .json(&json!({"email": random_email()}))
        .ok();
    let other_id = other["id"].as_str().unwrap();
    expect(
        delete(&format!("{p}/invitations/{other_id}"))
            .token(&owner.token)
            .send(),
        200,
        2,
        11,
    );
}

#[test]
pub(crate) fn the_email_operations_stay_within_their_round_trip_budget() {
    let _schema = stable_schema();
    let admin = superuser_token();
    let u = signup_user();
    // recovery counts the request (three keys), then writes its request to the
    // outbox: the same for an unknown address (the queue consumer decides)
    for email in [u.email.clone(), random_email()] {
        expect(
            post(&format!("/api/v1/password-recovery/{email}")).send(),
            200,
            2,
            14,
        );
    }
    expect(
        post(&format!(
            "/api/v1/password-recovery-html-content/{}",
            u.email
        ))
        .token(&admin)
        .send(),
        200,
        2,
        6,
    );
    // the caller and the limits in one batch, the token and its e-mail in another
    expect(
        post("/api/v1/users/me/verify-email").token(&u.token).send(),
        200,
        2,
        12,
    );
    // a token is read, then taken with its change
    let verify = sink().delivered(&u.email, "Verify your email").token();
    expect(
        post("/api/v1/verify-email/").json(&json!({"token": verify})),
        200,
        2,
        8,
    );
    // a refresh reads the token with its session and user, then rotates it
    // (while the session is still live, read again at the primary) and drops
    // the session's used tokens beyond the newest few
    let t = post("/api/v1/login/access-token")
        .form(&[("username", &u.email), ("password", &u.password)])
        .ok();
    expect(
        post("/api/v1/login/refresh").json(&json!({"refresh_token": t["refresh_token"]})),
        200,
        2,
        20,
    );
    expect(
        get("/api/v1/users/me/sessions").token(&u.token).send(),
        200,
        2,
        11,
    );
    expect(post("/api/v1/logout").token(&u.token).send(), 200, 2, 6);
    let reset = sink().delivered(&u.email, "Password recovery").token();
    expect(
        post("/api/v1/reset-password/")
            .json(&json!({"token": reset, "new_password": "another-pw-2"})),
        200,
        2,
        11,
    );
}

#[test]
pub(crate) fn the_upload_and_retry_operations_stay_within_their_round_trip_budget() {
    use crate::uploads::{put_bytes, sha256_hex, PNG};
    let _schema = stable_schema();
    let u = signup_user();
    // an upload URL: the caller with the access check, then the insert that counts
    let asked = post("/api/v1/uploads/presigned-url")
        .token(&u.token)
        .json(&json!({"filename": "a", "content_type": "image/png", "size": PNG.len()}));
    let upload_url = asked.json()["upload_url"].as_str().unwrap().to_string();
    expect(asked, 200, 2, 9);
    // the PUT: the row's state, then its completion (R2 is no D1 round trip)
    let sent = put_bytes(&upload_url, "image/png", PNG);
    let id = sent.json()["id"].as_str().unwrap().to_string();
    expect(sent, 200, 2, 7);
    let media = format!("/api/v1/media/{id}");
    let etag = format!("\"{}\"", sha256_hex(PNG));
    expect(get(&media).header("If-None-Match", &etag).send(), 304, 1, 4);
    // a create with an Idempotency-Key: the reservation rides in the access
    // check's batch; its replay is that batch alone
    let create = || {
        post("/api/v1/organizations/")
            .token(&u.token)
            .header("Idempotency-Key", &format!("budget-{id}"))
            .json(&json!({"name": "Budget", "avatar_image": {"media_resource_id": id}}))
    };
    expect(create(), 200, 2, 14);
    expect(create(), 200, 1, 7);
}

#[test]
fn an_api_key_costs_what_a_token_costs() {
    let owner = signup_user();
    let org = create_org(&owner.token, "Keyed budget");
    let org_path = format!("/api/v1/organizations/{}", org["id"].as_str().unwrap());
    let key = post(&format!("{org_path}/api-keys"))
        .token(&owner.token)
        .json(&json!({"name": "budget", "scopes": ["organization:read", "organization:write"]}))
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_string();
    // The key is found by its hash in the caller's batch: no round trip more,
    // and no more rows than the token's user, session and membership.
    for (path, method, body) in [
        (org_path.clone(), "GET", None),
        (format!("{org_path}/members"), "GET", None),
        (
            org_path.clone(),
            "PUT",
            Some(json!({"name": "Keyed budget 2"})),
        ),
    ] {
        let call = |bearer: &str| {
            let req = request(method, &path).token(bearer);
            match &body {
                Some(b) => req.json(b),
                None => req.send(),
            }
        };
        let by_token = call(&owner.token);
        let by_key = call(&key);
        assert_eq!(
            (by_token.status, by_key.status),
            (200, 200),
            "{method} {path}"
        );
        let (token_trips, token_rows) = d1_cost(&by_token);
        let (key_trips, key_rows) = d1_cost(&by_key);
        assert_eq!(key_trips, token_trips, "{method} {path}");
        assert!(
            key_rows <= token_rows,
            "{method} {path}: {key_rows} > {token_rows}"
        );
    }
}
