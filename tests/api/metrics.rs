//! Workers Analytics Engine: one data point per request through the `METRICS`
//! binding of wrangler.toml (issue 33, item 4). The local Analytics Engine keeps
//! nothing it is given, so the worker logs each point as it handed it to the
//! binding (`metrics=` on the request's log line), and this reads it there.

use crate::helpers::*;
use serde_json::{json, Value};

/// The data point of the request that answered `r`.
fn point_of(r: &Resp) -> Value {
    let id = r.header("x-request-id").expect("a request id");
    let line = app().log_line(&format!("request_id={id} "));
    let json = line
        .split(" metrics=")
        .nth(1)
        .unwrap_or_else(|| panic!("no data point: {line}"));
    serde_json::from_str(json.trim()).unwrap()
}

#[test]
fn every_request_writes_one_data_point_with_its_route_status_time_and_d1_counts() {
    let u = signup_user();
    let r = app().read_user_me::<Resp>(&u.token, 200);
    let p = point_of(&r);
    assert_eq!(p["indexes"], json!([paths::me()]));
    assert_eq!(p["blobs"], json!([paths::me(), "GET"]));
    let d = p["doubles"].as_array().unwrap();
    assert_eq!(d.len(), 5, "{p}");
    assert_eq!(d[0], 200);
    assert!(d[1].as_f64().unwrap() >= 0.0);
    let (trips, rows) = crate::round_trips::d1_cost(&r);
    assert_eq!(
        (d[2].as_u64().unwrap(), d[3].as_u64().unwrap()),
        (trips as u64, rows)
    );
    assert_eq!(d[4], 0, "a read writes no row");

    // The template, never the ids in the path; errors and unmatched paths too.
    let path = paths::user(&uuid::Uuid::new_v4().to_string());
    let r = get(&path).token(&superuser_token()).send().expect(404);
    let p = point_of(&r);
    assert_eq!(p["blobs"], json!([paths::user("{user_id}"), "GET"]));
    assert_eq!(p["doubles"][0], 404);
    let r = app().call::<Resp>("GET", &paths::unknown(), &ANONYMOUS, Body::None, 404);
    assert_eq!(point_of(&r)["blobs"], json!(["unmatched", "GET"]));
    let r = post(&paths::organizations())
        .token(&u.token)
        .json(&json!({"name": "Metrics", "avatar_image": AVATAR}));
    let p = point_of(&r.expect(200));
    assert_eq!(
        p["blobs"],
        json!([paths::organizations_without_slash(), "POST"])
    );
    assert!(
        p["doubles"][4].as_u64().unwrap() > 0,
        "a create writes rows: {p}"
    );
}
