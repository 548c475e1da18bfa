//! Hardening: login and signup limits, races, forged tokens, CORS and headers,
//! injection and hostile sizes.

use crate::helpers::*;
use crate::organizations::create_org;
use serde_json::{json, Value};
use std::thread;

const THROTTLED: &str = "Too many failed login attempts, try again later";

fn login_as(ip: &str, email: &str, password: &str) -> Resp {
    post("/api/v1/login/access-token")
        .header("CF-Connecting-IP", ip)
        .form(&[("username", email), ("password", password)])
}

fn random_ip() -> String {
    let b = *uuid::Uuid::new_v4().as_bytes();
    format!("203.0.{}.{}", b[0], b[1])
}

#[test]
fn ten_failed_logins_for_an_email_lock_it_without_checking_the_password() {
    let u = signup_user();
    for _ in 0..10 {
        // each from another address: the email is what is counted here
        login_as(&random_ip(), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    let r = login_as(&random_ip(), &u.email.to_uppercase(), &u.password);
    r.assert_detail(429, THROTTLED);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // other accounts are not affected
    let other = signup_user();
    assert_eq!(
        login_as(&random_ip(), &other.email, &other.password).status,
        200
    );
}

#[test]
fn a_successful_login_clears_the_failure_count() {
    let u = signup_user();
    for _ in 0..9 {
        login_as(&random_ip(), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    assert_eq!(login_as(&random_ip(), &u.email, &u.password).status, 200);
    for _ in 0..9 {
        login_as(&random_ip(), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    assert_eq!(
        login_as(&random_ip(), &u.email, &u.password).status,
        200,
        "9 + 9 failures with a success between"
    );
}

#[test]
fn one_address_spraying_many_emails_is_stopped() {
    let ip = random_ip();
    for i in 0..100 {
        let r = login_as(
            &ip,
            &format!("spray-{i}-{}", random_email()),
            "whatever-123",
        );
        r.assert_detail(400, "Incorrect email or password");
    }
    let u = signup_user();
    let r = login_as(&ip, &u.email, &u.password);
    r.assert_detail(429, THROTTLED);
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        login_as(&random_ip(), &u.email, &u.password).status,
        200,
        "other addresses still log in"
    );
}

#[test]
fn signups_from_one_address_are_limited_per_hour() {
    let ip = random_ip();
    for _ in 0..30 {
        let r = post("/api/v1/users/signup")
            .header("CF-Connecting-IP", &ip)
            .json(&json!({"email": random_email(), "password": "password123"}));
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = post("/api/v1/users/signup")
        .header("CF-Connecting-IP", &ip)
        .json(&json!({"email": random_email(), "password": "password123"}));
    r.assert_detail(429, "Too many signups from this address, try again later");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() <= 3600);
}

#[test]
fn fifty_concurrent_signups_with_one_email_give_one_account() {
    let email = random_email();
    let statuses: Vec<(u16, Value)> = thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let email = email.clone();
                s.spawn(move || {
                    let r = post("/api/v1/users/signup")
                        .json(&json!({"email": email, "password": "password123"}));
                    (r.status, r.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let taken = statuses
        .iter()
        .filter(|(s, b)| {
            *s == 400 && b["detail"] == "The user with this email already exists in the system"
        })
        .count();
    assert_eq!((ok, taken), (1, 49), "{statuses:?}");
}

#[test]
fn twenty_concurrent_adds_of_one_member_give_one_success() {
    let owner = signup_user();
    let member = signup_user();
    let org = create_org(&owner.token, "Race");
    let path = format!(
        "/api/v1/organizations/{}/members",
        org["id"].as_str().unwrap()
    );
    let statuses: Vec<u16> = thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    post(&path)
                        .token(&owner.token)
                        .json(&json!({"user_id": member.id}))
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(get(&path).token(&owner.token).send().json()["count"], 2);
}

#[test]
fn a_transfer_racing_a_removal_never_leaves_an_owner_who_is_not_a_member() {
    for _ in 0..5 {
        let owner = signup_user();
        let member = signup_user();
        let org = create_org(&owner.token, "Race transfer");
        let org_id = org["id"].as_str().unwrap().to_string();
        let members = format!("/api/v1/organizations/{org_id}/members");
        assert_eq!(
            post(&members)
                .token(&owner.token)
                .json(&json!({"user_id": member.id}))
                .status,
            200
        );
        let (transfer, removal) = thread::scope(|s| {
            let t = s.spawn(|| {
                put(&format!("/api/v1/organizations/{org_id}"))
                    .token(&owner.token)
                    .json(&json!({"owner_id": member.id}))
            });
            let r = s.spawn(|| {
                delete(&format!("{members}/{}", member.id))
                    .token(&member.token)
                    .send()
            });
            (t.join().unwrap(), r.join().unwrap())
        });
        assert!(
            transfer.status < 500 && removal.status < 500,
            "{} {}",
            transfer.text,
            removal.text
        );
        let rows = d1(&format!(
            "select exists(select 1 from organization_members m join organizations o on o.id = m.organization_id \
             and m.user_id = o.owner_id where o.id = '{org_id}') as owner_is_member"
        ));
        assert_eq!(
            rows[0]["owner_is_member"], 1,
            "transfer {} / removal {}",
            transfer.text, removal.text
        );
    }
}

#[test]
fn forged_tokens_are_all_403s() {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let u = signup_user();
    let b64 = |s: &str| Base64UrlUnpadded::encode_string(s.as_bytes());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sign = |key: &[u8], header: &str, payload: &str| {
        use hmac::{Hmac, Mac};
        let input = format!("{}.{}", b64(header), b64(payload));
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(input.as_bytes());
        format!(
            "{input}.{}",
            Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes())
        )
    };
    let hs = r#"{"alg":"HS256","typ":"JWT"}"#;
    let good_payload = format!(r#"{{"sub":"{}","iat":{now},"exp":{}}}"#, u.id, now + 600);
    let key = SECRET_KEY.as_bytes();
    assert_eq!(
        get("/api/v1/users/me")
            .token(&sign(key, hs, &good_payload))
            .send()
            .status,
        200,
        "control"
    );
    let parts: Vec<String> = u.token.split('.').map(str::to_string).collect();
    let forged = [
        format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&good_payload)
        ),
        sign(b"", hs, &good_payload),
        sign(key, r#"{"alg":"RS256","typ":"JWT"}"#, &good_payload),
        format!(
            "{}.{}.{}",
            parts[0],
            b64(&good_payload.replace(&u.id, &uuid::Uuid::new_v4().to_string())),
            parts[2]
        ),
        u.token[..u.token.len() - 5].to_string(),
        format!(
            "{}.{}.{}",
            b64(&format!(r#"{{"alg":"HS256","x":"{}"}}"#, "a".repeat(6000))),
            parts[1],
            parts[2]
        ),
        sign(
            key,
            hs,
            &format!(r#"{{"sub":"{}","iat":{now},"exp":"{}"}}"#, u.id, now + 600),
        ),
        sign(key, hs, &format!(r#"{{"iat":{now},"exp":{}}}"#, now + 600)),
        sign(
            key,
            hs,
            &format!(r#"{{"sub":"admin","iat":{now},"exp":{}}}"#, now + 600),
        ),
        sign(
            key,
            hs,
            &format!(
                r#"{{"sub":"{}","iat":{},"exp":{}}}"#,
                u.id,
                now + 86_400,
                now + 90_000
            ),
        ),
        sign(
            key,
            hs,
            &format!(r#"{{"sub":"{}","iat":{now},"exp":{}}}"#, u.id, now - 1),
        ),
        "a.b.c".to_string(),
        "....".to_string(),
    ];
    for token in &forged {
        let r = get("/api/v1/users/me").token(token).send();
        r.assert_detail(403, "Could not validate credentials");
    }
}

#[test]
fn cors_answers_preflights_for_allowed_origins_only() {
    let r = request("OPTIONS", "/api/v1/users/")
        .header("Origin", CORS_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(CORS_ORIGIN));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    let r = request("OPTIONS", "/api/v1/users/")
        .header("Origin", "https://evil.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send();
    r.assert_detail(400, "Disallowed CORS origin");
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = get("/api/v1/utils/health-check/")
        .header("Origin", CORS_ORIGIN)
        .send();
    assert_eq!(r.header("access-control-allow-origin"), Some(CORS_ORIGIN));
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = get("/api/v1/utils/health-check/")
        .header("Origin", "https://evil.example.com")
        .send();
    assert_eq!(r.header("access-control-allow-origin"), None);
    request("OPTIONS", "/api/v1/users/")
        .send()
        .assert_detail(405, "Method Not Allowed");
}

#[test]
fn every_response_carries_the_safety_headers_and_a_request_id() {
    for r in [
        get("/api/v1/utils/health-check/").send(),
        get("/api/v1/nope").send(),
        get("/api/v1/users/me").send(),
        post("/api/v1/users/signup").json(&json!({})),
    ] {
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{}",
            r.text
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(r.header("x-request-id").is_some());
    }
    let r = get("/api/v1/utils/health-check/")
        .header("X-Request-Id", "client-trace-42")
        .send();
    assert_eq!(r.header("x-request-id"), Some("client-trace-42"));
    let r = get("/api/v1/utils/health-check/")
        .header("X-Request-Id", "bad id with spaces")
        .send();
    assert_ne!(r.header("x-request-id"), Some("bad id with spaces"));
    let id = format!("trace-{}", uuid::Uuid::new_v4().simple());
    get("/api/v1/nope").header("X-Request-Id", &id).send();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&app().log_path)
        .unwrap_or_default()
        .contains(&format!("request_id={id} GET /api/v1/nope 404"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "request id not in the log"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

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
        let r = post("/api/v1/users/")
            .token(&admin)
            .json(&json!({"email": random_email(), "password": "password123", "full_name": name}));
        assert_eq!(r.status, 200);
    }
    let count = |q: &str| {
        let url = format!("/api/v1/users/?search={}", urlencode(q));
        let r = get(&url).token(&admin).send();
        assert_eq!(r.status, 200, "{q}: {}", r.text);
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
    assert_eq!(
        get("/api/v1/users/me").token(&admin).send().status,
        200,
        "users still exists"
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn hostile_bodies_are_client_errors() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = post("/api/v1/users/signup").raw("application/json", deep.as_bytes());
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let r = post("/api/v1/users/signup").raw("application/json", deep_obj.as_bytes());
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
    let mega = json!({"email": random_email(), "password": "x".repeat(1_000_000)});
    let r = post("/api/v1/users/signup").json(&mega);
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["type"], "string_too_long");
    let r = post("/api/v1/users/signup")
        .json(&json!({"email": random_email(), "password": "x".repeat(1_100_000)}));
    r.assert_detail(413, "Request body too large");
    post("/api/v1/users/signup")
        .raw(
            "application/json",
            b"{\"email\": \"\xc3\x28@example.com\", \"password\": \"password123\"}",
        )
        .assert_detail(400, "There was an error parsing the body");
    let r = post("/api/v1/login/access-token").raw(
        "application/x-www-form-urlencoded",
        b"username=%FF%FE&password=\xff",
    );
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
}
