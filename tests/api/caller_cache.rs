//! The opt-in caller cache (`CALLER_CACHE_SECONDS`, issue 34): the caller's
//! rows are served from the isolate's memory, and every write made through
//! the isolate takes effect at once. Miniflare runs one isolate, so "another
//! isolate's write" is a change made straight in D1 (the test's door).

use crate::helpers::*;
use crate::round_trips::d1_cost;
use serde_json::json;

fn me(worker: &TestApp, token: &str) -> Resp {
    worker.request("GET", &paths::me()).token(token).send()
}

/// A new session's access token, from `worker`.
fn log_in(worker: &TestApp, email: &str, password: &str) -> String {
    let form = [("username", email), ("password", password)];
    let r = worker.request("POST", &paths::login()).form(&form);
    r.ok()["access_token"].as_str().unwrap().to_string()
}

#[test]
fn with_the_cache_on_users_me_is_served_without_d1_and_every_write_here_takes_effect_at_once() {
    let worker = spawn_local_worker(&["CALLER_CACHE_SECONDS=5"]);
    let email = random_email();
    let token = worker.verified_user_token(&email);

    // The first read fills the cache, the next is served from it, alike.
    let first = me(&worker, &token).expect(200);
    assert_eq!(d1_cost(&first).0, 1, "{:?}", first.header("server-timing"));
    let second = me(&worker, &token).expect(200);
    assert_eq!(
        d1_cost(&second),
        (0, 0),
        "{:?}",
        second.header("server-timing")
    );
    assert_eq!(second.json(), first.json());

    // A list, its caller served from the cache: the page is read on its own
    // (elsewhere it rides in the caller's statement), and answers alike.
    let created: Resp = worker.create_organization(&token, &NewOrganization::named("Cached"), 200);
    me(&worker, &token).expect(200);
    assert_eq!(d1_cost(&me(&worker, &token).expect(200)), (0, 0));
    let list: Resp = worker.read_organizations(&token, "", 200);
    assert_eq!(d1_cost(&list).0, 1);
    assert_eq!(
        list.json(),
        json!({"data": [created.json()], "count": 1, "next_cursor": null})
    );

    // A change made elsewhere (straight in D1) is not seen within the setting's
    // seconds: this is the staleness the setting allows.
    let id = first.json()["id"].as_str().unwrap().to_string();
    worker.d1(&format!("update users set is_active = 0 where id = '{id}'"));
    me(&worker, &token).expect(200);
    worker.d1(&format!("update users set is_active = 1 where id = '{id}'"));

    // A write through this isolate empties the cache: the change made straight
    // in D1 meanwhile is read by the next request, which pays its round trip.
    worker.d1(&format!(
        "update users set full_name = 'Renamed' where id = '{id}'"
    ));
    worker
        .request("PATCH", &paths::me())
        .token(&token)
        .json(&json!({}))
        .expect(200);
    let after = me(&worker, &token).expect(200);
    assert_eq!(d1_cost(&after).0, 1);
    assert_eq!(after.json()["full_name"], "Renamed");

    // Logout through this isolate: the token's session is refused at once.
    me(&worker, &token).expect(200);
    worker
        .request("POST", &paths::logout())
        .token(&token)
        .send()
        .expect(200);
    me(&worker, &token).assert_detail(403, "Could not validate credentials");

    // A password change: the old token is refused at once.
    let token = log_in(&worker, &email, "password123");
    me(&worker, &token).expect(200);
    me(&worker, &token).expect(200);
    worker
        .request("PATCH", &paths::my_password())
        .token(&token)
        .json(&json!({"current_password": "password123", "new_password": "password456"}))
        .expect(200);
    me(&worker, &token).assert_detail(403, "Could not validate credentials");

    // A deactivation by a superuser: the user's next request is refused at once.
    let admin_email = random_email();
    let admin = worker.verified_user_token(&admin_email);
    worker.d1(&format!(
        "update users set is_superuser = 1 where email = '{admin_email}'"
    ));
    let token = log_in(&worker, &email, "password456");
    me(&worker, &token).expect(200);
    me(&worker, &token).expect(200);
    worker
        .request("PATCH", &paths::user(&id))
        .token(&admin)
        .json(&json!({"is_active": false}))
        .expect(200);
    me(&worker, &token).assert_detail(400, "Inactive user");
    worker.stop();
}

#[test]
fn without_the_setting_every_request_reads_the_caller() {
    let u = signup_user();
    for _ in 0..3 {
        let r = app().read_user_me::<Resp>(&u.token, 200);
        assert_eq!(d1_cost(&r).0, 1);
    }
    // Straight in D1, as another isolate's write: seen at once.
    d1(&format!(
        "update users set full_name = 'Seen at once' where id = '{}'",
        u.id
    ));
    let r = app().read_user_me::<Resp>(&u.token, 200);
    assert_eq!(r.json()["full_name"], "Seen at once");
}
