//! Edge consistency: every request runs in one D1 session (the Sessions API),
//! started after the bookmark the client sends back in `X-D1-Bookmark`.

use crate::helpers::*;
use serde_json::{json, Value};

/// The form of a D1 bookmark: four hex groups of 8, 8, 8 and 32 digits.
fn looks_like_a_bookmark(b: &str) -> bool {
    let parts: Vec<&str> = b.split('-').collect();
    parts.len() == 4
        && parts
            .iter()
            .zip([8, 8, 8, 32])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn a_read_sent_with_a_writes_bookmark_sees_the_write() {
    let u = signup_user();
    let name = format!("Bookmarked {}", uuid::Uuid::new_v4().simple());
    let write = patch(&paths::me())
        .token(&u.token)
        .json(&json!({"full_name": name}));
    assert_eq!(write.status, 200, "{}", write.text);
    let bookmark = write.header("x-d1-bookmark").unwrap().to_string();
    assert!(looks_like_a_bookmark(&bookmark), "{bookmark}");
    let read = get(&paths::me())
        .token(&u.token)
        .header("X-D1-Bookmark", &bookmark)
        .send()
        .expect(200);
    assert_eq!(read.json()["full_name"], name.as_str());
    // the session only moves forwards: its bookmark is at least the one sent
    let after = read.header("x-d1-bookmark").unwrap();
    assert!(looks_like_a_bookmark(after), "{after}");
    assert!(after >= bookmark.as_str(), "{after} < {bookmark}");
    // and a read without one starts anywhere, and says where it read
    let anywhere = app().read_user_me::<Resp>(&u.token, 200);
    assert!(looks_like_a_bookmark(
        anywhere.header("x-d1-bookmark").unwrap()
    ));
}

#[test]
fn a_bookmark_that_d1_did_not_make_is_a_400() {
    let u = signup_user();
    for bad in [
        "garbage",
        "first-primary",
        "00000001-00000002-00004e46",
        "00000001-00000002-00004e46-0c5aa4aa8c3ec57a6de05ab4b2ea4c7z",
        &"0".repeat(300),
    ] {
        get(&paths::me())
            .token(&u.token)
            .header("X-D1-Bookmark", bad)
            .send()
            .assert_detail(
                400,
                "Invalid X-D1-Bookmark: send back the X-D1-Bookmark of an earlier response, or none",
            );
    }
}

#[test]
fn browsers_may_read_and_send_the_bookmark() {
    let r = get(&paths::health_check())
        .header("Origin", CORS_ORIGIN)
        .send()
        .expect(200);
    let exposed = r.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("X-D1-Bookmark"), "{exposed}");
    let r = request("OPTIONS", &paths::me())
        .header("Origin", CORS_ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .header(
            "Access-Control-Request-Headers",
            "authorization, x-d1-bookmark",
        )
        .send()
        .expect(200);
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, x-d1-bookmark")
    );
}

/// The ETag a read of `path` answers.
fn tag_of(path: &str, token: &str) -> String {
    get(path)
        .token(token)
        .send()
        .expect(200)
        .header("etag")
        .unwrap()
        .to_string()
}

#[test]
fn reads_carry_an_etag_and_a_matching_if_none_match_is_a_304() {
    let admin = superuser_token();
    let u = signup_user();
    let org = new_organization(&u.token, "Tagged");
    for (path, token) in [
        (paths::me(), &u.token),
        (paths::user(&u.id), &admin),
        (paths::organization(&org.id), &u.token),
    ] {
        let first = get(&path).token(token).send().expect(200);
        let tag = first.header("etag").unwrap().to_string();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let again = get(&path).token(token).header("If-None-Match", &tag).send();
        assert_eq!(again.status, 304, "{path}: {}", again.text);
        assert_eq!(again.text, "");
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        // a 304 costs what the read costs
        assert_eq!(
            crate::round_trips::d1_cost(&again).0,
            crate::round_trips::d1_cost(&first).0
        );
        for other in ["\"nope\"", "W/\"x\", \"y\""] {
            get(&path)
                .token(token)
                .header("If-None-Match", other)
                .send()
                .expect(200);
        }
        let weak = format!("W/{tag}");
        assert_eq!(
            get(&path)
                .token(token)
                .header("If-None-Match", &weak)
                .send()
                .status,
            304
        );
    }
    // a change gives a new tag, and the old one no longer matches
    let before = app().read_user_me::<Resp>(&u.token, 200);
    let old = before.header("etag").unwrap().to_string();
    let changed = patch(&paths::me())
        .token(&u.token)
        .json(&json!({"full_name": "Retagged"}));
    assert_eq!(changed.status, 200);
    let new = changed.header("etag").unwrap().to_string();
    assert_ne!(new, old);
    get(&paths::me())
        .token(&u.token)
        .header("If-None-Match", &old)
        .send()
        .expect(200);
}

#[test]
fn a_write_whose_if_match_fails_is_a_412_and_changes_nothing() {
    let u = signup_user();
    let tag = tag_of(&paths::me(), &u.token);
    patch(&paths::me())
        .token(&u.token)
        .header("If-Match", &tag)
        .json(&json!({"full_name": "First"}))
        .expect(200);
    // the tag is stale now, and a tag of another row never matches
    let other = signup_user();
    for stale in [
        tag.clone(),
        format!("\"{}.1\"", other.id),
        format!("W/{tag}"),
    ] {
        patch(&paths::me())
            .token(&u.token)
            .header("If-Match", &stale)
            .json(&json!({"full_name": "Second", "email": random_email()}))
            .assert_detail(412, "Precondition Failed");
    }
    let me = app().read_user_me::<Value>(&u.token, 200);
    assert_eq!(me["full_name"], "First");
    assert_eq!(me["email"], u.email.as_str());
    patch(&paths::me())
        .token(&u.token)
        .header("If-Match", "*")
        .json(&json!({"full_name": "Third"}))
        .expect(200);

    let org = new_organization(&u.token, "Conditional");
    let p = paths::organization(&org.id);
    let tag = tag_of(&p, &u.token);
    put(&p)
        .token(&u.token)
        .header("If-Match", &tag)
        .json(&json!({"name": "Renamed"}))
        .expect(200);
    delete(&p)
        .token(&u.token)
        .header("If-Match", &tag)
        .send()
        .assert_detail(412, "Precondition Failed");
    assert_eq!(get(&p).token(&u.token).send().ok()["name"], "Renamed");
    let current = tag_of(&p, &u.token);
    delete(&p)
        .token(&u.token)
        .header("If-Match", &current)
        .send()
        .expect(200);
}

#[test]
fn two_clients_racing_a_put_with_one_etag_give_one_200_and_one_412() {
    let u = signup_user();
    let org = new_organization(&u.token, "Raced");
    let p = paths::organization(&org.id);
    for round in 0..5 {
        let tag = tag_of(&p, &u.token);
        let mut statuses: Vec<u16> = at_once(2, |i| {
            put(&p)
                .token(&u.token)
                .header("If-Match", &tag)
                .json(&json!({"name": format!("Client {i} round {round}")}))
                .status
        });
        statuses.sort();
        assert_eq!(statuses, vec![200, 412], "round {round}");
    }
}
