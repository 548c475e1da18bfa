//! The D1 round trips of every operation, read from `Server-Timing`: one for the
//! caller plus at most one for the data on reads, at most two on writes. Every
//! budget is a named row of [`BUDGETS`]; the tests below drive each operation
//! and check its answer against its row.

use crate::helpers::*;
use serde_json::{json, Value};

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

/// What each operation may cost: `round_trips` D1 round trips exactly, and at
/// most `rows_read` rows. Under every test lies the bench data set (1,000
/// users, 50 organizations, see `helpers`), and the tables grow with every
/// test, so a statement that walked a table would read thousands: the row
/// budgets are what was measured plus a fifth (D1 counts the B-tree steps of a
/// lookup too, which vary by a row or two as other tests write). A write that
/// records an event reads a few rows more than it did before events: the
/// subject's row (and its organization's avatar) for the event's data, a
/// witness where the event needs one, and the events counter. A write that
/// adds or removes a membership, an organization's event or an endpoint's
/// delivery reads the rows whose counts it keeps (migration 0022): the
/// organization's and the user's, the organization's, the endpoint's. A write
/// that sets a user's address or name, or an organization's name, or deletes
/// the row, reads one row of `positions` per character of the longer folded
/// column to list its one- and two-character windows (migration 0026), for
/// the old text and for the new: bounded by the text, not by the tables (the
/// tests' addresses are about 45 characters long).
const BUDGETS: &[Budget] = &[
    budget("health_check", "", 200, 1, 3),
    budget("openapi_json", "", 200, 0, 3),
    budget("unknown path", "", 404, 0, 3),
    budget("read_user_me", "without a token", 401, 0, 3),
    budget(
        "read_user_me",
        "with a token that does not parse",
        403,
        0,
        3,
    ),
    // counts and records the attempt with the user's row (its three keys'
    // counts, read again by the one statement that records it toward all
    // three or none), then (a success) clears the counts and takes it back
    budget("login_access_token", "", 200, 2, 20),
    budget("login_access_token", "a wrong password", 400, 1, 13),
    budget("test_token", "", 200, 1, 5),
    // counts and records the attempt and looks the e-mail up, then writes the user
    budget("register_user", "", 200, 2, 72),
    budget("read_user_me", "", 200, 1, 5),
    budget("read_user_by_id", "oneself", 200, 1, 5),
    budget("read_user_by_id", "by a superuser", 200, 2, 6),
    // not kept in the isolate: every page reads the same rows (migration 0027)
    budget("read_users", "limit=5", 200, 1, 12),
    budget("create_user", "", 200, 2, 70),
    budget("update_user_me", "", 200, 2, 131),
    budget("update_user", "", 200, 2, 132),
    budget("create_organization", "", 200, 2, 24),
    budget("read_organizations", "", 200, 1, 22),
    budget("read_organizations", "kept and changed since", 200, 1, 29),
    budget("read_organization", "", 200, 1, 8),
    budget("add_organization_member", "", 200, 2, 24),
    budget("read_organization_members", "", 200, 1, 16),
    budget("update_organization", "renamed and handed over", 200, 2, 77),
    budget("migrate_user_resources", "", 200, 2, 17),
    budget("remove_organization_member", "", 200, 2, 26),
    budget("delete_organization", "", 200, 2, 73),
    budget("update_password_me", "", 200, 2, 22),
    budget("delete_user", "", 200, 2, 127),
    budget("delete_user_me", "", 200, 2, 127),
    budget("delete_user_me", "the owner of an organization", 409, 2, 5),
    // access, then the write
    budget("update_member_role", "", 200, 2, 21),
    // the checks ride in the caller's batch; then the invitation and its e-mail
    budget("create_invitation", "", 200, 2, 20),
    budget("read_invitations", "", 200, 1, 12),
    budget("read_my_invitations", "", 200, 1, 10),
    // the invitation and the caller's sending limit in the caller's batch
    budget("resend_invitation", "", 200, 2, 18),
    budget("accept_my_invitation", "", 200, 2, 30),
    budget("revoke_invitation", "", 200, 2, 16),
    // counts the request (three keys), then writes its request to the outbox:
    // the same for an unknown address (the queue consumer decides)
    budget("recover_password", "", 200, 2, 14),
    budget("recover_password_html_content", "", 200, 2, 6),
    // the caller and the limits in one batch, the token and its e-mail in another
    budget("send_verification_email", "", 200, 2, 12),
    // a token is read, then taken with its change
    budget("verify_email", "", 200, 2, 14),
    // reads the token with its session and user, then rotates it (while the
    // session is still live, read again at the primary) and drops the
    // session's used tokens beyond the newest few
    budget("refresh", "", 200, 2, 20),
    budget("read_sessions", "", 200, 2, 11),
    budget("logout", "", 200, 2, 10),
    budget("reset_password", "", 200, 2, 17),
    // the caller with the access check, then the insert that counts
    budget("create_presigned_url", "", 200, 2, 9),
    // the row's state, then its completion (R2 is no D1 round trip)
    budget("upload_file", "", 200, 2, 7),
    budget("read_media", "If-None-Match the stored bytes", 304, 1, 4),
    // the reservation rides in the access check's batch; the replay is that batch alone
    budget("create_organization", "with an Idempotency-Key", 200, 2, 33),
    budget("create_organization", "its replay", 200, 1, 7),
    // the endpoint count rides in the caller's batch; then the insert with its event
    budget("create_webhook", "", 200, 2, 20),
    budget("read_webhooks", "", 200, 1, 7),
    // the level, then the update with its event
    budget("update_webhook", "", 200, 2, 20),
    budget("rotate_webhook_secret", "", 200, 2, 20),
    budget("read_webhook_deliveries", "", 200, 1, 12),
    budget("retry_webhook_delivery", "", 200, 2, 10),
    // the level, then one batch: the event, the delete, and the event kept only if the row went
    budget("delete_webhook", "", 200, 2, 27),
    // 14 rows alone, at times 15 beside the other tests (not yet explained)
    budget("read_organization_events", "", 200, 1, 15),
    budget("read_events", "", 200, 1, 9),
];

const fn budget(
    operation: &'static str,
    case: &'static str,
    status: u16,
    round_trips: u32,
    rows_read: u64,
) -> Budget {
    Budget {
        operation,
        case,
        status,
        round_trips,
        rows_read,
    }
}

/// The response kept to its row of [`BUDGETS`]: its status, its round
/// trips, and no more rows read than the row allows.
#[track_caller]
fn within_budget(operation: &str, case: &str, r: &Resp) {
    let row = BUDGETS
        .iter()
        .find(|b| b.operation == operation && b.case == case)
        .unwrap_or_else(|| panic!("no budget for {operation} ({case})"));
    assert_eq!(r.status, row.status, "{row:?}: {}", r.text);
    let (trips, rows) = d1_cost(r);
    let timing = r.header("server-timing");
    assert_eq!(trips, row.round_trips, "{row:?}: {timing:?}");
    assert!(
        rows <= row.rows_read,
        "{row:?}: {rows} rows read: {timing:?}"
    );
}

#[test]
fn server_timing_reports_d1_round_trips_and_handler_time() {
    let r: Resp = app().health_check(200);
    let timing = r.header("server-timing").unwrap();
    assert!(
        timing.starts_with("d1;desc=\"1 round trip, 0 rows read\";dur="),
        "{timing}"
    );
    assert!(timing.contains(", app;dur="), "{timing}");
}

#[test]
fn every_row_of_the_budget_table_is_named_once_and_checked() {
    // rustfmt spreads a call over lines: compare without whitespace
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let source = squeeze(include_str!("round_trips.rs"));
    for (i, row) in BUDGETS.iter().enumerate() {
        assert!(
            !BUDGETS[..i]
                .iter()
                .any(|b| b.operation == row.operation && b.case == row.case),
            "two rows for {row:?}"
        );
        let check = squeeze(&format!(
            "within_budget(\"{}\", \"{}\",",
            row.operation, row.case
        ));
        assert!(source.contains(&check), "no test checks {row:?}");
    }
}

#[test]
pub(crate) fn every_operation_stays_within_its_round_trip_budget() {
    let _schema = stable_schema();
    let app = app();
    let admin = superuser_token();
    let u = signup_user();
    let other = signup_user();
    let member = signup_user();
    within_budget("health_check", "", &app.health_check(200));
    within_budget("openapi_json", "", &app.openapi_json(200));
    let unknown = app.exchange("GET", &paths::unknown(), &ANONYMOUS, Body::None);
    within_budget("unknown path", "", &unknown);
    within_budget(
        "read_user_me",
        "without a token",
        &app.read_user_me(&ANONYMOUS, 401),
    );
    within_budget(
        "read_user_me",
        "with a token that does not parse",
        &app.read_user_me("garbage", 403),
    );
    within_budget(
        "login_access_token",
        "",
        &app.login_access_token(&u.email, &u.password, 200),
    );
    within_budget(
        "login_access_token",
        "a wrong password",
        &app.login_access_token(&u.email, "wrong-password", 400),
    );
    within_budget("test_token", "", &app.test_token(&u, 200));
    let new_user = json!({"email": random_email(), "password": "password123"});
    within_budget("register_user", "", &app.register_user(&new_user, 200));
    within_budget("read_user_me", "", &app.read_user_me(&u, 200));
    within_budget(
        "read_user_by_id",
        "oneself",
        &app.read_user_by_id(&u, &u.id, 200),
    );
    within_budget(
        "read_user_by_id",
        "by a superuser",
        &app.read_user_by_id(&admin, &u.id, 200),
    );
    within_budget(
        "read_users",
        "limit=5",
        &app.read_users(&admin, "limit=5", 200),
    );
    let new_user = json!({"email": random_email(), "password": "password123"});
    within_budget("create_user", "", &app.create_user(&admin, &new_user, 200));
    let again: Resp = app.read_users(&admin, "limit=5", 200);
    within_budget("read_users", "limit=5", &again);
    let name = json!({"full_name": "n"});
    within_budget("update_user_me", "", &app.update_user_me(&u, &name, 200));
    let name = json!({"full_name": "m"});
    within_budget(
        "update_user",
        "",
        &app.update_user(&admin, &u.id, &name, 200),
    );

    let org = new_organization(&u, "Budget");
    let other_org = json!({"name": "b", "avatar_image": "https://x.example.com/a.png"});
    within_budget(
        "create_organization",
        "",
        &app.create_organization(&u, &other_org, 200),
    );
    within_budget(
        "read_organizations",
        "",
        &app.read_organizations(&u, "", 200),
    );
    let _: Value = app.update_organization(&u, &org.id, &json!({"name": "Budget, renamed"}), 200);
    let again: Resp = app.read_organizations(&u, "", 200);
    within_budget("read_organizations", "kept and changed since", &again);
    within_budget(
        "read_organization",
        "",
        &app.read_organization(&u, &org.id, 200),
    );
    within_budget(
        "add_organization_member",
        "",
        &app.add_organization_member(&u, &org.id, &member.id, 200),
    );
    within_budget(
        "read_organization_members",
        "",
        &app.read_organization_members(&u, &org.id, "", 200),
    );
    let hand_over = json!({"name": "Budget 2", "owner_id": member.id});
    within_budget(
        "update_organization",
        "renamed and handed over",
        &app.update_organization(&u, &org.id, &hand_over, 200),
    );
    let products = json!({"user_id": u.id, "migrate_products": true});
    within_budget(
        "migrate_user_resources",
        "",
        &app.migrate_user_resources(&admin, &org.id, &products, 200),
    );
    within_budget(
        "remove_organization_member",
        "",
        &app.remove_organization_member(&member, &org.id, &u.id, 200),
    );
    within_budget(
        "delete_organization",
        "",
        &app.delete_organization(&member, &org.id, 200),
    );

    let fresh = login(&u.email, &u.password);
    let new_password = json!({"current_password": u.password, "new_password": "another-pw-1"});
    within_budget(
        "update_password_me",
        "",
        &app.update_password_me(&fresh, &new_password, 200),
    );
    within_budget("delete_user", "", &app.delete_user(&admin, &other.id, 200));
    within_budget("delete_user_me", "", &app.delete_user_me(&member, 200));
    let owner = login(&u.email, "another-pw-1");
    within_budget(
        "delete_user_me",
        "the owner of an organization",
        &app.delete_user_me(&owner, 409),
    );
}

#[test]
pub(crate) fn the_role_and_invitation_operations_stay_within_their_round_trip_budget() {
    let _schema = stable_schema();
    let app = app();
    let (owner, member, org) = org_with_member();
    let org_id = org.id.as_str();
    within_budget(
        "update_member_role",
        "",
        &app.update_member_role(&owner, org_id, &member.id, "admin", 200),
    );
    let invitee = verified_user();
    let invite = json!({"email": invitee.email});
    let created: Resp = app.create_invitation(&owner, org_id, &invite, 200);
    within_budget("create_invitation", "", &created);
    let invitation_id = created.json()["id"].as_str().unwrap().to_string();
    within_budget(
        "read_invitations",
        "",
        &app.read_invitations(&owner, org_id, "", 200),
    );
    within_budget(
        "read_my_invitations",
        "",
        &app.read_my_invitations(&invitee, "", 200),
    );
    within_budget(
        "resend_invitation",
        "",
        &app.resend_invitation(&owner, org_id, &invitation_id, 200),
    );
    within_budget(
        "accept_my_invitation",
        "",
        &app.accept_my_invitation(&invitee, &invitation_id, 200),
    );
    let other: Value =
        app.create_invitation(&owner, org_id, &json!({"email": random_email()}), 200);
    within_budget(
        "revoke_invitation",
        "",
        &app.revoke_invitation(&owner, org_id, other["id"].as_str().unwrap(), 200),
    );
}

#[test]
pub(crate) fn the_webhook_and_audit_operations_stay_within_their_round_trip_budget() {
    let _schema = stable_schema();
    let app = app();
    let owner = signup_user();
    let org = new_organization(&owner, "Hooks");
    let org_id = Some(org.id.as_str());
    // Nothing listens there: each delivery fails at once, and stays to be retried.
    let hook = json!({"url": "http://127.0.0.1:1/hook", "event_types": ["*"]});
    let created: Resp = app.create_webhook(&owner, org_id, &hook, 200);
    within_budget("create_webhook", "", &created);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let endpoint = (org_id, id.as_str());
    within_budget("read_webhooks", "", &app.read_webhooks(&owner, org_id, 200));
    let described = json!({"description": "budget"});
    within_budget(
        "update_webhook",
        "",
        &app.update_webhook(&owner, endpoint, &described, 200),
    );
    within_budget(
        "rotate_webhook_secret",
        "",
        &app.rotate_webhook_secret(&owner, endpoint, 200),
    );
    let deliveries: Resp = app.read_webhook_deliveries(&owner, endpoint, 200);
    within_budget("read_webhook_deliveries", "", &deliveries);
    let delivery = deliveries.json()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    within_budget(
        "retry_webhook_delivery",
        "",
        &app.retry_webhook_delivery(&owner, (org_id, &id, &delivery), 200),
    );
    within_budget(
        "read_organization_events",
        "",
        &app.read_organization_events(&owner, &org.id, "limit=5", 200),
    );
    within_budget(
        "read_events",
        "",
        &app.read_events(&superuser_token(), "limit=5", 200),
    );
    within_budget(
        "delete_webhook",
        "",
        &app.delete_webhook(&owner, endpoint, 200),
    );
}

#[test]
pub(crate) fn the_email_operations_stay_within_their_round_trip_budget() {
    let _schema = stable_schema();
    let app = app();
    let admin = superuser_token();
    let u = signup_user();
    // a known and an unknown address cost the same
    let (known, unknown): (Resp, Resp) = (
        app.recover_password(&u.email, 200),
        app.recover_password(&random_email(), 200),
    );
    assert_eq!(d1_cost(&known).0, d1_cost(&unknown).0);
    for r in [known, unknown] {
        within_budget("recover_password", "", &r);
    }
    within_budget(
        "recover_password_html_content",
        "",
        &app.recover_password_html_content(&admin, &u.email, 200),
    );
    within_budget(
        "send_verification_email",
        "",
        &app.send_verification_email(&u, 200),
    );
    let verify = sink().delivered(&u.email, "Verify your email").token();
    within_budget("verify_email", "", &app.verify_email(&verify, 200));
    let tokens: Token = app.login_access_token(&u.email, &u.password, 200);
    within_budget("refresh", "", &app.refresh(&tokens.refresh_token, 200));
    within_budget("read_sessions", "", &app.read_sessions(&u, "", 200));
    within_budget("logout", "", &app.logout(&u, 200));
    let reset = sink().delivered(&u.email, "Password recovery").token();
    within_budget(
        "reset_password",
        "",
        &app.reset_password(&reset, "another-pw-2", 200),
    );
}

#[test]
pub(crate) fn the_upload_and_retry_operations_stay_within_their_round_trip_budget() {
    use crate::uploads::{put_bytes, sha256_hex, PNG};
    let _schema = stable_schema();
    let app = app();
    let u = signup_user();
    let wanted = json!({"filename": "a", "content_type": "image/png", "size": PNG.len()});
    let asked: Resp = app.create_presigned_url(&u, &wanted, 200);
    within_budget("create_presigned_url", "", &asked);
    let upload_url = asked.json()["upload_url"].as_str().unwrap().to_string();
    let sent = put_bytes(&upload_url, "image/png", PNG);
    within_budget("upload_file", "", &sent);
    let id = sent.json()["id"].as_str().unwrap().to_string();
    let etag = format!("\"{}\"", sha256_hex(PNG));
    let unchanged = app
        .request("GET", &paths::media(&id))
        .header("If-None-Match", &etag)
        .send();
    within_budget("read_media", "If-None-Match the stored bytes", &unchanged);
    let create = || {
        app.request("POST", &paths::organizations())
            .token(&u.token)
            .header("Idempotency-Key", &format!("budget-{id}"))
            .json(&json!({"name": "Budget", "avatar_image": {"media_resource_id": id}}))
    };
    within_budget("create_organization", "with an Idempotency-Key", &create());
    within_budget("create_organization", "its replay", &create());
}

#[test]
fn an_api_key_costs_what_a_token_costs() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Keyed budget");
    let org_path = paths::organization(org.id.as_str());
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
