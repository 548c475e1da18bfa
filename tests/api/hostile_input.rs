//! Input meant to break things: SQL and wildcards in searches, hostile bodies.

use crate::helpers::*;
use serde_json::json;

#[test]
fn search_matches_quotes_wildcards_and_sql_literally() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let admin = superuser_token();
    for name in [
        format!("O'Brien {tag}"),
        format!("100% {tag}"),
        format!("a_b {tag}"),
        format!("x {tag}"),
    ] {
        app().create_user::<Resp>(
            &admin,
            &json!({"email": random_email(), "password": "password123", "full_name": name}),
            200,
        );
    }
    let count = |q: &str| {
        let url = with_query(paths::users(), &format!("search={}", urlencode(q)));
        let r = get(&url).token(&admin).send().expect(200);
        r.json()["count"].as_i64().unwrap()
    };
    assert_eq!(count(&format!("O'Brien {tag}")), 1);
    assert_eq!(count(&format!("100% {tag}")), 1);
    assert_eq!(count(&format!("a_b {tag}")), 1);
    assert!(count("%") >= 1);
    assert_eq!(count(&format!("O%Brien {tag}")), 0, "% is no wildcard");
    assert_eq!(
        count(&format!("0_ {tag}")),
        0,
        "_ is no wildcard (it would match '0% ')"
    );
    assert_eq!(count(&format!("_b {tag}")), 1);
    assert_eq!(count("' or 1=1 --"), 0);
    assert_eq!(count("\"; drop table users; --"), 0);
    app().read_user_me::<Resp>(&admin, 200); // users still exists
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn hostile_bodies_are_client_errors() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = post(&paths::signup()).raw("application/json", deep.as_bytes());
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let r = post(&paths::signup()).raw("application/json", deep_obj.as_bytes());
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
    let mega = json!({"email": random_email(), "password": "x".repeat(1_000_000)});
    let r = app().register_user::<Resp>(&mega, 422);
    assert_eq!(r.json()["detail"][0]["type"], "string_too_long");
    let huge = json!({"email": random_email(), "password": "x".repeat(1_100_000)});
    assert_eq!(
        send_oversized(
            "POST",
            &paths::signup(),
            "application/json",
            huge.to_string().as_bytes()
        ),
        (413, r#"{"detail":"Request body too large"}"#.to_string())
    );
    post(&paths::signup())
        .raw(
            "application/json",
            b"{\"email\": \"\xc3\x28@example.com\", \"password\": \"password123\"}",
        )
        .assert_detail(400, "There was an error parsing the body");
    let r = post(&paths::login()).raw(
        "application/x-www-form-urlencoded",
        b"username=%FF%FE&password=\xff",
    );
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
}
