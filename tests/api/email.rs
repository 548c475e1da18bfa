//! E-mail: the transactional outbox on Cloudflare Queues, password recovery and
//! reset, and address verification (extensions.md section R). The provider
//! (outside our system) is a local HTTP sink, or a local SMTP server.

use crate::helpers::*;
use base64ct::{Base64, Encoding};
use serde_json::{json, Value};

const SENT: &str = "If that email is registered, we sent a password recovery link";
const RECOVERY: &str = "Password recovery";
const VERIFY: &str = "Verify your email";

fn recover(email: &str) -> Resp {
    post(&paths::password_recovery(email)).send()
}

fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail() {
    let u = signup_user();
    let unknown = random_email();
    recover(&unknown).assert(200, json!({"message": SENT}));
    recover(&u.email).assert(200, json!({"message": SENT}));
    let mail = sink().delivered(&u.email, RECOVERY);
    assert_eq!(
        mail.subject,
        format!(
            "Users & Organizations API - Password recovery for user {}",
            u.email
        )
    );
    assert!(
        mail.link()
            .starts_with(&format!("{FRONTEND_HOST}/reset-password?token=")),
        "{}",
        mail.link()
    );
    assert!(mail.html.contains(&mail.link().replace('&', "&amp;")));
    assert_eq!(mail.authorization, format!("Bearer {EMAIL_API_KEY}"));
    assert!(!mail.idempotency_key.is_empty());
    // no mail for the unknown address (its request is dropped by the consumer:
    // see hardening_iii)
    assert!(sink().for_recipient(&unknown).is_empty());
}

#[test]
fn a_recovery_link_works_once_and_ends_older_tokens() {
    let u = signup_user();
    recover(&u.email).expect(200);
    let token = sink().delivered(&u.email, RECOVERY).token();
    assert_eq!(
        app().reset_password::<Value>(&token, "brand-new-pw-1", 200),
        json!({"message": "Password updated successfully"})
    );
    assert_eq!(
        app().read_user_me::<Detail>(&u.token, 403),
        Detail::new("Could not validate credentials")
    );
    login(&u.email, "brand-new-pw-1");
    assert_eq!(
        app().reset_password::<Detail>(&token, "brand-new-pw-1", 400),
        Detail::new("Invalid token")
    );
    assert_eq!(
        app().reset_password::<Detail>("not-a-token", "brand-new-pw-2", 400),
        Detail::new("Invalid token")
    );
}

#[test]
fn a_reset_ends_every_session_refresh_tokens_included() {
    let u = signup_user();
    let session = app().login_access_token::<Value>(&u.email, &u.password, 200);
    let before: Resp = app().read_user_me(&u.token, 200);
    recover(&u.email).expect(200);
    let token = sink().delivered(&u.email, RECOVERY).token();
    app().reset_password::<Resp>(&token, "brand-new-pw-1", 200);
    assert_eq!(
        app().refresh::<Detail>(session["refresh_token"].as_str().unwrap(), 401),
        Detail::new("Invalid refresh token")
    );
    // The reset moved `updated_at`: a new version, so a new ETag.
    let after: Resp = app().read_user_me(&login(&u.email, "brand-new-pw-1"), 200);
    assert_ne!(after.json()["updated_at"], before.json()["updated_at"]);
    assert_ne!(after.header("etag"), before.header("etag"));
}

#[test]
fn an_expired_recovery_token_fails() {
    let u = signup_user();
    let token = "expired-token-for-the-test";
    d1(&format!(
        "insert into email_tokens (token_hash, purpose, user_id, email, expires_at, created_at) \
         values ('{}', 'reset', '{}', '{}', 1, 't')",
        token_hash(token),
        u.id,
        u.email
    ));
    assert_eq!(
        app().reset_password::<Detail>(token, "brand-new-pw-1", 400),
        Detail::new("Invalid token")
    );
    login(&u.email, &u.password);
}

#[test]
fn the_token_and_its_email_commit_together_or_not_at_all() {
    let u = signup_user();
    // the consumer writes the token and the message in one batch: fail its message
    let fault = Trigger::create(&format!(
        "before update on outbox when new.recipient = '{}' and new.kind = 'password_recovery' \
         begin select raise(abort, 'injected failure'); end",
        u.email
    ));
    recover(&u.email).assert(200, json!({"message": SENT}));
    let id = d1(&format!(
        "select id from outbox where recipient = '{}' and kind = 'request:password_recovery'",
        u.email
    ))[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app().log_line(&format!("email: delivery of {id} failed in D1"));
    let rows = d1(&format!(
        "select (select count(*) from email_tokens where user_id = '{uid}' and purpose = 'reset') as tokens, \
                (select kind from outbox where id = '{id}') as kind",
        uid = u.id,
    ));
    drop(fault);
    assert_eq!(
        rows,
        vec![json!({"tokens": 0, "kind": "request:password_recovery"})]
    );
}

#[test]
fn the_consumer_retries_failures_and_then_records_the_error() {
    // refused twice, then accepted: three attempts, one e-mail
    let flaky = format!("fail2-{}", random_email());
    app().register_user::<Resp>(&json!({"email": flaky, "password": "password123"}), 200);
    let attempts = sink().wait_for(&flaky, 3);
    assert_eq!(
        attempts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(attempts
        .iter()
        .all(|r| r.idempotency_key == attempts[0].idempotency_key));
    // always refused: EMAIL_MAX_ATTEMPTS (3) attempts, then the row records why
    let doomed = format!("failall-{}", random_email());
    app().register_user::<Resp>(&json!({"email": doomed, "password": "password123"}), 200);
    sink().wait_for(&doomed, 3);
    let select = format!(
        "select id, status, attempts, last_error, html from outbox where recipient = '{doomed}'"
    );
    let id = d1(&select)[0]["id"].as_str().unwrap().to_string();
    // The consumer logs the outcome once the row records it.
    app().log_line(&format!("email: {id} failed for good after 3 attempts"));
    let row = d1(&select)[0].clone();
    assert_eq!(row["status"], "failed");
    assert_eq!(row["attempts"], 3);
    assert!(
        row["last_error"]
            .as_str()
            .unwrap()
            .ends_with("answered 500"),
        "{row}"
    );
    assert_eq!(
        row["html"],
        json!(null),
        "the bodies (single-use links) are dropped"
    );
    assert_eq!(sink().for_recipient(&doomed).len(), 3, "no fourth attempt");
}

#[test]
fn the_scheduled_run_hands_over_rows_that_were_never_queued() {
    let to = random_email();
    let id = uuid::Uuid::new_v4();
    d1(&format!(
        "insert into outbox (id, kind, recipient, subject, html, text_body, created_at, queued_at) \
         values ('{id}', 'test', '{to}', 'Left behind', '<p>hi</p>', 'hi {FRONTEND_HOST}/x', 't', 0)"
    ));
    app().scheduled();
    let mail = sink().delivered(&to, "Left behind");
    assert_eq!(
        (mail.subject.as_str(), mail.idempotency_key.as_str()),
        ("Left behind", id.to_string().as_str())
    );
    app().log_line(&format!("email: {id} sent on attempt 1"));
    assert_eq!(
        d1(&format!("select status from outbox where id = '{id}'"))[0]["status"],
        "sent"
    );
}

#[test]
fn signup_sends_a_verification_link_that_verifies_the_address_once() {
    let u = signup_user();
    assert_eq!(
        app().read_user_me::<Value>(&u.token, 200)["email_verified"],
        false
    );
    let mail = sink().delivered(&u.email, VERIFY);
    assert!(mail
        .link()
        .starts_with(&format!("{FRONTEND_HOST}/verify-email?token=")));
    let token = mail.token();
    assert_eq!(
        app().verify_email::<Value>(&token, 200),
        json!({"message": "Email verified"})
    );
    assert_eq!(
        app().read_user_me::<Value>(&u.token, 200)["email_verified"],
        true
    );
    assert_eq!(
        app().verify_email::<Detail>(&token, 400),
        Detail::new("Invalid token")
    );
    assert_eq!(
        app().send_verification_email::<Detail>(&u.token, 400),
        Detail::new("Email already verified")
    );
}

#[test]
fn a_new_address_is_unverified_until_its_own_link_is_followed() {
    let u = signup_user();
    let first = sink().delivered(&u.email, VERIFY).token();
    let new_email = random_email();
    let me = app().update_user_me::<Value>(&u.token, &json!({"email": new_email}), 200);
    assert_eq!(
        (&me["email"], &me["email_verified"]),
        (&json!(new_email), &json!(false))
    );
    // the link sent to the old address verifies nothing now
    assert_eq!(
        app().verify_email::<Detail>(&first, 400),
        Detail::new("Invalid token")
    );
    let second = sink().delivered(&new_email, VERIFY).token();
    app().verify_email::<Resp>(&second, 200);
    // keeping one's address sends nothing and keeps it verified
    let me =
        app().update_user_me::<Value>(&u.token, &json!({"email": new_email.to_uppercase()}), 200);
    assert_eq!(me["email_verified"], true);
}

#[test]
fn another_verification_link_can_be_asked_for() {
    let u = signup_user();
    sink().delivered(&u.email, VERIFY);
    assert_eq!(
        app().send_verification_email::<Value>(&u.token, 200),
        json!({"message": "Verification email sent"})
    );
    let both = sink().wait_for(&u.email, 2);
    assert_ne!(both[0].token(), both[1].token());
}

#[test]
fn recovery_is_limited_per_address_and_client_and_more_loosely_per_address() {
    let u = signup_user();
    let client = unique_ip();
    let from = |ip: &str| {
        post(&paths::password_recovery(&u.email))
            .header("CF-Connecting-IP", ip)
            .send()
    };
    for _ in 0..5 {
        from(&client).expect(200);
    }
    let r = from(&client);
    r.assert_detail(429, "Too many e-mail requests, try again later");
    assert!(r.header("retry-after").is_some());
    // other clients go on until the address's own cap (20 an hour)
    for _ in 0..15 {
        recover(&u.email).expect(200);
    }
    recover(&u.email).assert_detail(429, "Too many e-mail requests, try again later");
}

#[test]
fn superusers_preview_the_recovery_email() {
    let u = signup_user();
    let r = app().recover_password_html_content::<Resp>(&superuser_token(), &u.email, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r
        .text
        .contains(&format!("{FRONTEND_HOST}/reset-password?token=")));
    assert!(r.text.contains("Password recovery"));
    assert_eq!(
        app().recover_password_html_content::<Detail>(&superuser_token(), &(random_email()), 404),
        Detail::new("The user with this username does not exist in the system.")
    );
    assert_eq!(
        app().recover_password_html_content::<Detail>(&u.token, &u.email, 403),
        Detail::new("The user doesn't have enough privileges")
    );
}

#[test]
fn with_verification_required_an_unverified_user_cannot_log_in() {
    let worker = spawn_local_worker(&["REQUIRE_EMAIL_VERIFICATION=true"]);
    let email = random_email();
    worker
        .request("POST", &paths::signup())
        .json(&json!({"email": email, "password": "password123"}))
        .expect(200);
    worker
        .request("POST", &paths::login())
        .form(&[("username", email.as_str()), ("password", "password123")])
        .assert_detail(400, "Email not verified");
}

#[test]
fn a_recovery_email_reaches_an_smtp_server_with_a_working_link() {
    let catcher = mail_catcher();
    let worker = spawn_worker(
        &[
            format!("SECRET_KEY={SECRET_KEY}"),
            "ENVIRONMENT=local".to_string(),
            format!("PASSWORD_HASH_ITERATIONS={TEST_ITERATIONS}"),
            "EMAIL_PROVIDER=smtp".to_string(),
            "SMTP_HOST=127.0.0.1".to_string(),
            format!("SMTP_PORT={}", catcher.port),
            "SMTP_TLS=false".to_string(),
            "EMAILS_FROM_EMAIL=info@example.com".to_string(),
            "EMAILS_FROM_NAME=Ünïcode Sender".to_string(),
            format!("FRONTEND_HOST={FRONTEND_HOST}"),
        ],
        404,
    );
    let email = random_email();
    worker
        .request("POST", &paths::private_users())
        .json(&json!({"email": email, "password": "old-password-1", "full_name": "Smtp", "is_verified": true}))
        .expect(200);
    worker
        .request("POST", &paths::password_recovery(&email))
        .send()
        .expect(200);
    worker.log_line(" sent on attempt 1");
    let raw = catcher.message();
    assert!(raw.contains(&format!("To: <{email}>")), "{raw}");
    assert!(raw.contains("From: =?UTF-8?B?"), "{raw}");
    // the text part, base64 in lines
    let part = raw
        .split("Content-Transfer-Encoding: base64")
        .nth(1)
        .unwrap();
    let encoded: String = part
        .split("--=_")
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let text = String::from_utf8(Base64::decode_vec(&encoded).unwrap()).unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap();
    assert!(
        link.starts_with(&format!("{FRONTEND_HOST}/reset-password?token=")),
        "{link}"
    );
    let token = link.split_once("token=").unwrap().1;
    worker
        .request("POST", &paths::reset_password())
        .json(&json!({"token": token, "new_password": "new-password-1"}))
        .expect(200);
    worker
        .request("POST", &paths::login())
        .form(&[("username", email.as_str()), ("password", "new-password-1")])
        .expect(200);
}
