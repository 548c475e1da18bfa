//! Edge consistency: every request runs in one D1 session (the Sessions API),
//! started after the bookmark the client sends back in `X-D1-Bookmark`.

use crate::helpers::*;
use serde_json::json;

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
    let write = patch("/api/v1/users/me")
        .token(&u.token)
        .json(&json!({"full_name": name}));
    assert_eq!(write.status, 200, "{}", write.text);
    let bookmark = write.header("x-d1-bookmark").unwrap().to_string();
    assert!(looks_like_a_bookmark(&bookmark), "{bookmark}");
    let read = get("/api/v1/users/me")
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
    let anywhere = get("/api/v1/users/me").token(&u.token).send().expect(200);
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
        get("/api/v1/users/me")
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
    let r = get("/api/v1/utils/health-check/")
        .header("Origin", CORS_ORIGIN)
        .send()
        .expect(200);
    let exposed = r.header("access-control-expose-headers").unwrap();
    assert!(exposed.contains("X-D1-Bookmark"), "{exposed}");
    let r = request("OPTIONS", "/api/v1/users/me")
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
