//! Brute-force limits: failed logins per email and per client address, signups per address.

use crate::helpers::*;
use serde_json::json;

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
fn ten_failed_logins_for_an_email_lock_it_even_for_the_right_password() {
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
    login_as(&random_ip(), &other.email, &other.password).expect(200);
}

#[test]
fn a_successful_login_clears_the_failure_count() {
    let u = signup_user();
    for _ in 0..9 {
        login_as(&random_ip(), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    login_as(&random_ip(), &u.email, &u.password).expect(200);
    for _ in 0..9 {
        login_as(&random_ip(), &u.email, "wrong-password")
            .assert_detail(400, "Incorrect email or password");
    }
    login_as(&random_ip(), &u.email, &u.password).expect(200); // 9 + 9 failures with a success between
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
    login_as(&random_ip(), &u.email, &u.password).expect(200); // other addresses still log in
}

#[test]
fn signups_from_one_address_are_limited_per_hour() {
    let ip = random_ip();
    for _ in 0..30 {
        post("/api/v1/users/signup")
            .header("CF-Connecting-IP", &ip)
            .json(&json!({"email": random_email(), "password": "password123"}))
            .expect(200);
    }
    let r = post("/api/v1/users/signup")
        .header("CF-Connecting-IP", &ip)
        .json(&json!({"email": random_email(), "password": "password123"}));
    r.assert_detail(429, "Too many signups from this address, try again later");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() <= 3600);
}

#[test]
fn failures_older_than_the_window_no_longer_count() {
    let u = signup_user();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // ten failures, all just outside the 900 s window
    let key = format!("login-email:{}", u.email.to_lowercase());
    let values: Vec<String> = (0..10)
        .map(|i| format!("('{key}', {})", now - 901 - i))
        .collect();
    d1(&format!(
        "insert into rate_limit_events (key, at) values {}",
        values.join(", ")
    ));
    login_as(&random_ip(), &u.email, "wrong-password")
        .assert_detail(400, "Incorrect email or password");
    login_as(&random_ip(), &u.email, &u.password).expect(200);
    // and the same ten inside the window do count
    let values: Vec<String> = (0..10)
        .map(|i| format!("('{key}', {})", now - 10 - i))
        .collect();
    d1(&format!(
        "insert into rate_limit_events (key, at) values {}",
        values.join(", ")
    ));
    login_as(&random_ip(), &u.email, &u.password).assert_detail(429, THROTTLED);
}
