//! Brute-force limits: failed logins per email and per client address, signups per address.

use crate::helpers::*;
use serde_json::json;

const THROTTLED: &str = "Too many failed login attempts, try again later";

fn login_as(ip: &str, email: &str, password: &str) -> Resp {
    post(&paths::login())
        .header("CF-Connecting-IP", ip)
        .form(&[("username", email), ("password", password)])
}

/// The stored key of a limit, rebuilt here as `rate_limits::key` makes it: an
/// HMAC-SHA256 of the kind and value (each length-prefixed) under the key
/// derived from `SECRET_KEY` for rate limits.
pub(crate) fn limit_key(kind: &str, value: &str) -> String {
    use hmac::{Hmac, Mac};
    let mac = |key: &[u8]| <Hmac<sha2::Sha256>>::new_from_slice(key).unwrap();
    let mut derive = mac(SECRET_KEY.as_bytes());
    derive.update(b"users-orgs-api rate limit key v1");
    let mut m = mac(&derive.finalize().into_bytes());
    for part in [kind.as_bytes(), value.as_bytes()] {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn ten_failures_from_one_address_lock_that_address_out_but_not_the_owner() {
    let u = signup_user();
    let attacker = unique_ip();
    for _ in 0..10 {
        login_as(&attacker, &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    let r = login_as(&attacker, &u.email.to_uppercase(), &u.password);
    r.assert_detail(429, THROTTLED);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // the owner, from their own address, still gets in
    login_as(&unique_ip(), &u.email, &u.password).expect(200);
}

#[test]
fn a_hundred_failures_across_addresses_lock_the_email_everywhere() {
    let u = signup_user();
    for _ in 0..100 {
        login_as(&unique_ip(), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    login_as(&unique_ip(), &u.email, &u.password).assert_detail(429, THROTTLED);
    // other accounts are not affected
    let other = signup_user();
    login_as(&unique_ip(), &other.email, &other.password).expect(200);
}

#[test]
fn thirty_concurrent_wrong_passwords_are_evaluated_at_most_ten_times() {
    let u = signup_user();
    let ip = unique_ip();
    let statuses: Vec<u16> = at_once(30, |_| login_as(&ip, &u.email, "wrong-password").status);
    let evaluated = statuses.iter().filter(|&&s| s == 400).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(evaluated + limited, 30, "{statuses:?}");
    assert_eq!(evaluated, 10, "{statuses:?}");
}

#[test]
fn ipv6_clients_count_by_their_64() {
    let u = signup_user();
    for i in 1..=10 {
        login_as(&format!("2001:db8:77:1::{i:x}"), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    login_as("2001:db8:77:1:ffff::1", &u.email, &u.password).assert_detail(429, THROTTLED);
    login_as("2001:db8:77:2::1", &u.email, &u.password).expect(200);
}

#[test]
fn a_successful_login_clears_the_failure_count() {
    let u = signup_user();
    let ip = unique_ip();
    for _ in 0..9 {
        login_as(&ip, &u.email, "wrong-password").assert_detail(400, "Incorrect email or password");
    }
    login_as(&ip, &u.email, &u.password).expect(200);
    for _ in 0..9 {
        login_as(&ip, &u.email, "wrong-password").assert_detail(400, "Incorrect email or password");
    }
    login_as(&ip, &u.email, &u.password).expect(200); // 9 + 9 failures with a success between
}

#[test]
fn one_address_spraying_many_emails_is_stopped() {
    let ip = unique_ip();
    for _ in 0..100 {
        login_as(&ip, &random_email(), "whatever-password")
            .assert_detail(400, "Incorrect email or password");
    }
    let u = signup_user();
    let r = login_as(&ip, &u.email, &u.password);
    r.assert_detail(429, THROTTLED);
    assert!(r.header("retry-after").is_some());
    login_as(&unique_ip(), &u.email, &u.password).expect(200); // other addresses still log in
}

#[test]
fn signups_from_one_address_are_limited_per_hour_taken_emails_included() {
    let ip = unique_ip();
    let taken = signup_user();
    for i in 0..30 {
        // every attempt counts, a taken email too (it is refused before hashing)
        let email = if i % 2 == 0 {
            random_email()
        } else {
            taken.email.clone()
        };
        let r = post(&paths::signup())
            .header("CF-Connecting-IP", &ip)
            .json(&json!({"email": email, "password": "password123"}));
        assert_eq!(r.status, if i % 2 == 0 { 200 } else { 400 }, "{}", r.text);
    }
    let r = post(&paths::signup())
        .header("CF-Connecting-IP", &ip)
        .json(&json!({"email": random_email(), "password": "password123"}));
    r.assert_detail(429, "Too many signups from this address, try again later");
    assert!(r.header("retry-after").is_some());
}

#[test]
fn guesses_of_the_current_password_are_limited_per_user() {
    let u = signup_user();
    for _ in 0..10 {
        assert_eq!(
            app().update_password_me::<Detail>(
                &u.token,
                &json!({"current_password": "not-the-password", "new_password": "new-password-1"}),
                400
            ),
            Detail::new("Incorrect password")
        );
    }
    assert_eq!(
        app().update_password_me::<Detail>(
            &u.token,
            &json!({"current_password": u.password, "new_password": "new-password-1"}),
            429
        ),
        Detail::new("Too many failed password attempts, try again later")
    );
}

#[test]
fn login_usernames_are_capped_and_limit_keys_are_keyed_digests() {
    let long = format!("{}@example.com", "a".repeat(320));
    let r = post(&paths::login()).form(&[("username", &long), ("password", "x")]);
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["detail"][0]["type"], "string_too_long");
    let username = format!("{}@example.com", "b".repeat(290));
    login_as(&unique_ip(), &username, "wrong-password").expect(400);
    let key = limit_key("login-email", &username);
    let rows = d1(&format!(
        "select count(*) as n, max(length(key)) as len from rate_limit_events where key = '{key}'"
    ));
    assert_eq!(rows, vec![json!({"n": 1, "len": 64})]);
}

#[test]
fn failures_older_than_the_window_no_longer_count() {
    let u = signup_user();
    let ip = unique_ip();
    // ten failures of this email from this address, all just outside the 900 s window
    let key = limit_key(
        "login-email-ip",
        &format!("{}|{ip}", u.email.to_lowercase()),
    );
    let events = |age: u64| -> String {
        let values: Vec<String> = (0..10)
            .map(|i| format!("('{key}', {})", now() - age - i))
            .collect();
        format!(
            "insert into rate_limit_events (key, at) values {}",
            values.join(", ")
        )
    };
    d1(&events(901));
    login_as(&ip, &u.email, "wrong-password").assert_detail(400, "Incorrect email or password");
    login_as(&ip, &u.email, &u.password).expect(200);
    // the same ten inside the window do count
    d1(&events(10));
    login_as(&ip, &u.email, &u.password).assert_detail(429, THROTTLED);
}

#[test]
fn the_scheduled_run_prunes_events_older_than_every_window() {
    let old = limit_key("test-old", &random_email());
    let fresh = limit_key("test-fresh", &random_email());
    d1(&format!(
        "insert into rate_limit_events (key, at) values ('{old}', {}), ('{fresh}', {})",
        now() - 3601,
        now() - 10
    ));
    app().scheduled();
    let rows = d1(&format!(
        "select key from rate_limit_events where key in ('{old}', '{fresh}')"
    ));
    assert_eq!(rows, vec![json!({"key": fresh})]);
}
