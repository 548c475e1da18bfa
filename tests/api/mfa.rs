//! Multi-factor authentication (extensions.md section M): TOTP enrolment and
//! verification, login in two steps, recovery codes, disable and regenerate,
//! the superuser reset, and organizations that require MFA.
//!
//! Codes are computed here, independently of the service: RFC 6238 over the
//! `hmac` and `sha1` crates, the secret read with `base32ct` (the generated
//! clients' flows compute them with pyotp). The worker and this process share
//! one clock; a code is sent for a step taken before the request, and when the
//! 30-second step turned while the request was out, the outcome is checked
//! against every step the worker may have seen.

use crate::helpers::*;
use crate::round_trips::d1_cost;
use serde_json::{json, Value};

const INVALID_CODE: &str = "Invalid code";
const INVALID_MFA_TOKEN: &str = "Invalid MFA token";
const MFA_REQUIRED: &str = "This organization requires multi-factor authentication";
const DENIED: &str = "Could not validate credentials";

/// RFC 6238: the 6-digit code of `step` for the base32 `secret`.
fn code_at(secret: &str, step: i64) -> String {
    use base32ct::{Base32UpperUnpadded, Encoding};
    use hmac::{Hmac, Mac};
    let key = Base32UpperUnpadded::decode_vec(secret).expect("a base32 secret");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 15) as usize;
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{n:06}")
}

/// The 30-second step of now.
fn step_now() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    now.as_secs() as i64 / 30
}

/// A 6-digit code no step within two of now has.
fn wrong_code(secret: &str) -> String {
    let s = step_now();
    let taken: Vec<String> = (s - 2..=s + 3).map(|k| code_at(secret, k)).collect();
    (0..)
        .map(|n| format!("{:06}", 123_456 + n))
        .find(|c| !taken.contains(c))
        .unwrap()
}

/// A user with MFA on: their secret and ten recovery codes.
pub(crate) struct MfaUser {
    pub(crate) user: TestUser,
    secret: String,
    recovery: Vec<String>,
}

fn enrol(token: &str) -> Value {
    app().enrol_totp::<Value>(token, 200)
}

fn verify(token: &str, code: &str) -> Resp {
    post(&paths::mfa_totp_verify())
        .token(token)
        .json(&json!({ "code": code }))
}

pub(crate) fn mfa_user() -> MfaUser {
    let user = signup_user();
    let secret = enrol(&user.token)["secret"].as_str().unwrap().to_string();
    let answer = verify(&user.token, &code_at(&secret, step_now())).ok();
    let recovery = answer["recovery_codes"].as_array().unwrap();
    MfaUser {
        recovery: recovery
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect(),
        user,
        secret,
    }
}

/// The login's first step from `ip`: the right password, answered with the
/// second step's token.
fn first_step(u: &TestUser, ip: &str) -> String {
    let r = post(&paths::login())
        .header("CF-Connecting-IP", ip)
        .form(&[("username", &u.email), ("password", &u.password)]);
    assert_eq!(r.status, 401, "{}", r.text);
    let body = r.json();
    assert_eq!(body["detail"], "MFA code required");
    assert_eq!(field_names(&body), ["detail", "mfa_token"]);
    body["mfa_token"].as_str().unwrap().to_string()
}

fn second_step(mfa_token: &str, code: &str, ip: &str) -> Resp {
    post(&paths::login_mfa())
        .header("CF-Connecting-IP", ip)
        .json(&json!({ "mfa_token": mfa_token, "code": code }))
}

/// Both steps with a code the user has not used (their last accepted step
/// forgotten first, so the current step's code is fresh): a token.
fn mfa_login(u: &MfaUser) -> String {
    forget_last_step(&u.user.id);
    let ip = unique_ip();
    let mfa_token = first_step(&u.user, &ip);
    let r = second_step(&mfa_token, &code_at(&u.secret, step_now()), &ip).expect(200);
    r.json()["access_token"].as_str().unwrap().to_string()
}

/// The replay guard reset, so a test can use the code of a step it already used.
fn forget_last_step(user_id: &str) {
    d1(&format!(
        "update mfa_totp set last_step = null where user_id = '{user_id}'"
    ));
}

fn me(token: &str) -> Resp {
    get(&paths::me()).token(token).send()
}

#[test]
fn enrolment_gives_a_secret_and_an_otpauth_uri_and_a_code_turns_mfa_on() {
    let u = signup_user();
    let e = enrol(&u.token);
    assert_eq!(field_names(&e), ["secret", "otpauth_uri"]);
    let secret = e["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32);
    assert!(secret
        .bytes()
        .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)));
    let account = u.email.replace('@', "%40");
    assert_eq!(
        e["otpauth_uri"],
        format!(
            "otpauth://totp/Users%20%26%20Organizations%20API:{account}?secret={secret}\
             &issuer=Users%20%26%20Organizations%20API&algorithm=SHA1&digits=6&period=30"
        )
    );
    // Pending: not on yet, and a second call replaces the secret.
    assert_eq!(me(&u.token).json()["mfa_enabled"], false);
    let replaced = enrol(&u.token)["secret"].as_str().unwrap().to_string();
    assert_ne!(replaced, secret);
    verify(&u.token, &code_at(secret, step_now())).assert_detail(400, INVALID_CODE);
    verify(&u.token, &wrong_code(&replaced)).assert_detail(400, INVALID_CODE);

    let r = verify(&u.token, &code_at(&replaced, step_now()))
        .expect(200)
        .json();
    assert_eq!(field_names(&r), ["recovery_codes"]);
    let codes = r["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    for c in codes {
        let c = c.as_str().unwrap();
        assert_eq!(c.len(), 11, "{c}");
        assert_eq!(&c[5..6], "-");
    }
    assert_eq!(me(&u.token).json()["mfa_enabled"], true);
    assert_eq!(
        app().enrol_totp::<Detail>(&u.token, 400),
        Detail::new("MFA is already enabled")
    );
    verify(&u.token, &code_at(&replaced, step_now() + 1))
        .assert_detail(400, "MFA is already enabled");
}

#[test]
pub(crate) fn verifying_without_an_enrolment_and_bad_bodies_are_refused() {
    let u = signup_user();
    verify(&u.token, "123456").assert_detail(400, "No TOTP enrolment is pending: start one first");
    let r = post(&paths::mfa_totp_verify())
        .token(&u.token)
        .json(&json!({}));
    r.assert(
        422,
        json!({"detail": [missing(json!(["body", "code"]), json!({}))]}),
    );
    let r = post(&paths::mfa_totp_verify())
        .token(&u.token)
        .json(&json!({"code": 123456}));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["type"], "string_type");
    assert_eq!(
        app().disable_mfa::<Detail>(&u.token, &json!({"code": "123456"}), 400),
        Detail::new("MFA is not enabled")
    );
    assert_eq!(
        app().regenerate_recovery_codes::<Detail>(&u.token, &json!({"code": "123456"}), 400),
        Detail::new("MFA is not enabled")
    );
    assert_eq!(
        app().enrol_totp::<Detail>(&ANONYMOUS, 401),
        Detail::new("Not authenticated")
    );
}

#[test]
fn login_with_mfa_takes_two_steps_and_a_totp_code() {
    let u = mfa_user();
    let ip = unique_ip();
    let mfa_token = first_step(&u.user, &ip);
    // The step after the one verification used: accepted whichever of the two
    // steps the worker is in.
    let r = second_step(&mfa_token, &code_at(&u.secret, step_now() + 1), &ip).expect(200);
    let body = r.json();
    assert_eq!(
        field_names(&body),
        ["access_token", "token_type", "refresh_token", "expires_in"]
    );
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(me(token).json()["email"], json!(u.user.email));
    // The refresh token belongs to a session like any login's.
    let refresh = body["refresh_token"].as_str().unwrap();
    app().refresh::<Resp>(refresh, 200);
    // The mfa_token is single use.
    second_step(&mfa_token, &code_at(&u.secret, step_now()), &ip)
        .assert_detail(400, INVALID_MFA_TOKEN);
    // A wrong password is still the same refusal, MFA or not.
    assert_eq!(
        app().login_access_token::<Detail>(&u.user.email, "wrong-password", 400),
        Detail::new("Incorrect email or password")
    );
}

#[test]
fn a_totp_code_works_once() {
    let u = mfa_user();
    let ip = unique_ip();
    let code = code_at(&u.secret, step_now() + 1);
    second_step(&first_step(&u.user, &ip), &code, &ip).expect(200);
    second_step(&first_step(&u.user, &ip), &code, &ip).assert_detail(400, INVALID_CODE);
}

#[test]
fn codes_one_step_early_or_late_are_accepted_and_two_steps_refused() {
    let u = mfa_user();
    for offset in [-2i64, -1, 1, 2] {
        forget_last_step(&u.user.id);
        let ip = unique_ip();
        let mfa_token = first_step(&u.user, &ip);
        let before = step_now();
        let r = second_step(&mfa_token, &code_at(&u.secret, before + offset), &ip);
        let after = step_now();
        // Accepted exactly when the code's step is within one of the worker's.
        let possible: Vec<bool> = (before..=after)
            .map(|w| (before + offset - w).abs() <= 1)
            .collect();
        let accepted = r.status == 200;
        assert!(
            possible.contains(&accepted),
            "offset {offset}: {} {}",
            r.status,
            r.text
        );
        if !accepted {
            assert_eq!(r.json()["detail"], INVALID_CODE);
        }
        if before == after {
            assert_eq!(accepted, offset.abs() == 1, "offset {offset}");
        }
    }
}

#[test]
fn a_recovery_code_logs_in_once() {
    let u = mfa_user();
    let ip = unique_ip();
    let code = &u.recovery[0];
    second_step(&first_step(&u.user, &ip), code, &ip).expect(200);
    second_step(&first_step(&u.user, &ip), code, &ip).assert_detail(400, INVALID_CODE);
    // Typed in capitals and without its dash, another one still works.
    let typed = u.recovery[1].replace('-', "").to_uppercase();
    second_step(&first_step(&u.user, &ip), &typed, &ip).expect(200);
}

#[test]
fn five_wrong_codes_end_the_mfa_token() {
    let u = mfa_user();
    let ip = unique_ip();
    let mfa_token = first_step(&u.user, &ip);
    for _ in 0..5 {
        second_step(&mfa_token, &wrong_code(&u.secret), &ip).assert_detail(400, INVALID_CODE);
    }
    second_step(&mfa_token, &u.recovery[0], &ip).assert_detail(400, INVALID_MFA_TOKEN);
    // The recovery code was not spent by the refused attempt.
    second_step(&first_step(&u.user, &ip), &u.recovery[0], &ip).expect(200);
}

#[test]
fn an_expired_or_unknown_mfa_token_or_one_from_another_address_is_refused() {
    let u = mfa_user();
    let ip = unique_ip();
    let mfa_token = first_step(&u.user, &ip);
    second_step(&mfa_token, &u.recovery[0], &unique_ip()).assert_detail(400, INVALID_MFA_TOKEN);
    second_step("no-such-token", &u.recovery[0], &ip).assert_detail(400, INVALID_MFA_TOKEN);
    // Expiry: five minutes; the challenge is moved past it.
    let hash = sha256_hex(&mfa_token);
    d1(&format!(
        "update mfa_challenges set expires_at = expires_at - 300 where token_hash = '{hash}'"
    ));
    second_step(&mfa_token, &u.recovery[0], &ip).assert_detail(400, INVALID_MFA_TOKEN);
    // A password change between the steps ends the challenge too.
    let ip = unique_ip();
    let mfa_token = first_step(&u.user, &ip);
    d1(&format!(
        "update users set token_version = token_version + 1 where id = '{}'",
        u.user.id
    ));
    second_step(&mfa_token, &u.recovery[0], &ip).assert_detail(400, INVALID_MFA_TOKEN);
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn turning_mfa_on_or_off_ends_the_users_other_sessions() {
    let u = signup_user();
    let other = login(&u.email, &u.password);
    let secret = enrol(&u.token)["secret"].as_str().unwrap().to_string();
    let codes = verify(&u.token, &code_at(&secret, step_now())).ok()["recovery_codes"].clone();
    me(&other).assert_detail(403, DENIED);
    me(&u.token).expect(200);

    let m = MfaUser {
        user: u,
        secret,
        recovery: vec![],
    };
    let other = mfa_login(&m);
    let code = codes[0].as_str().unwrap();
    let r = delete(&paths::my_mfa())
        .token(&m.user.token)
        .json(&json!({ "code": code }));
    r.assert(200, json!({"message": "MFA disabled"}));
    me(&other).assert_detail(403, DENIED);
    assert_eq!(me(&m.user.token).json()["mfa_enabled"], false);
    // Without MFA, the password alone logs in again.
    login(&m.user.email, &m.user.password);
}

#[test]
pub(crate) fn disabling_takes_a_right_code_and_removes_the_secret_and_the_codes() {
    let u = mfa_user();
    let path = &paths::my_mfa();
    let r = delete(path)
        .token(&u.user.token)
        .json(&json!({ "code": wrong_code(&u.secret) }));
    r.assert_detail(400, INVALID_CODE);
    let r = delete(path)
        .token(&u.user.token)
        .json(&json!({ "code": "nope-nope" }));
    r.assert_detail(400, INVALID_CODE);
    forget_last_step(&u.user.id);
    let code = code_at(&u.secret, step_now());
    delete(path)
        .token(&u.user.token)
        .json(&json!({ "code": code }))
        .expect(200);
    let left = d1(&format!(
        "select (select count(*) from mfa_totp where user_id = '{0}') + \
         (select count(*) from mfa_recovery_codes where user_id = '{0}') as n",
        u.user.id
    ));
    assert_eq!(left[0]["n"], 0);
}

#[test]
pub(crate) fn new_recovery_codes_replace_the_old_ones() {
    let u = mfa_user();
    let r = app()
        .regenerate_recovery_codes::<Resp>(&u.user.token, &json!({ "code": &u.recovery[0] }), 200)
        .json();
    let fresh = r["recovery_codes"].as_array().unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh
        .iter()
        .all(|c| !u.recovery.contains(&c.as_str().unwrap().to_string())));
    let ip = unique_ip();
    second_step(&first_step(&u.user, &ip), &u.recovery[1], &ip).assert_detail(400, INVALID_CODE);
    second_step(&first_step(&u.user, &ip), fresh[0].as_str().unwrap(), &ip).expect(200);
    // The code that asked for them was spent.
    assert_eq!(
        app().regenerate_recovery_codes::<Detail>(
            &u.user.token,
            &json!({ "code": &u.recovery[0] }),
            400
        ),
        Detail::new(INVALID_CODE)
    );
}

#[test]
pub(crate) fn a_superuser_resets_a_users_mfa_and_ends_their_sessions() {
    let u = mfa_user();
    let path = paths::user_mfa(&u.user.id);
    let other = signup_user();
    delete(&path)
        .token(&other.token)
        .send()
        .assert_detail(403, "The user doesn't have enough privileges");
    let unknown = paths::user_mfa(&uuid::Uuid::new_v4().to_string());
    delete(&unknown)
        .token(&superuser_token())
        .send()
        .assert_detail(404, "User not found");
    delete(&path)
        .token(&superuser_token())
        .send()
        .assert(200, json!({"message": "MFA disabled"}));
    me(&u.user.token).assert_detail(403, DENIED);
    let token = login(&u.user.email, &u.user.password);
    assert_eq!(me(&token).json()["mfa_enabled"], false);
    // Again, on a user without MFA: nothing to do, the same answer.
    delete(&path)
        .token(&superuser_token())
        .send()
        .assert(200, json!({"message": "MFA disabled"}));
    me(&token).expect(200);
}

#[test]
fn secrets_and_codes_are_not_stored_readable() {
    let u = mfa_user();
    let ip = unique_ip();
    let mfa_token = first_step(&u.user, &ip);
    let id = &u.user.id;
    let rows = d1(&format!(
        "select sealed_secret from mfa_totp where user_id = '{id}'"
    ));
    let sealed = rows[0]["sealed_secret"].as_str().unwrap();
    assert!(
        !sealed.contains(&u.secret) && !sealed.to_lowercase().contains(&u.secret.to_lowercase())
    );
    use base32ct::{Base32UpperUnpadded, Encoding};
    let raw = Base32UpperUnpadded::decode_vec(&u.secret).unwrap();
    let b64 = base64_url(&raw);
    assert!(!sealed.contains(&b64), "the secret's base64 is in D1");
    let stored = d1(&format!(
        "select code_hash from mfa_recovery_codes where user_id = '{id}'"
    ));
    assert_eq!(stored.len(), 10);
    for row in &stored {
        let h = row["code_hash"].as_str().unwrap();
        assert!(u.recovery.iter().all(|c| !h.contains(&c.replace('-', ""))));
        assert_eq!(h.len(), 64);
    }
    let tokens = d1(&format!(
        "select token_hash from mfa_challenges where user_id = '{id}'"
    ));
    assert!(tokens.iter().all(|t| t["token_hash"] != json!(mfa_token)));
    assert!(tokens
        .iter()
        .any(|t| t["token_hash"] == json!(sha256_hex(&mfa_token))));
}

fn base64_url(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

#[test]
fn a_wrong_code_counts_as_a_failed_login_of_the_address() {
    let u = mfa_user();
    let ip = unique_ip();
    let key = crate::rate_limits::limit_key("login-email", &u.user.email.to_lowercase());
    let count = || {
        d1(&format!(
            "select count(*) as n from rate_limit_events where key = '{key}'"
        ))[0]["n"]
            .clone()
    };
    let mfa_token = first_step(&u.user, &ip);
    assert_eq!(
        count(),
        0,
        "the right password cleared the address's failures"
    );
    second_step(&mfa_token, &wrong_code(&u.secret), &ip).assert_detail(400, INVALID_CODE);
    second_step(&mfa_token, "wrong-code", &ip).assert_detail(400, INVALID_CODE);
    assert_eq!(count(), 2);
}

#[test]
pub(crate) fn the_two_steps_cost_what_a_login_costs_and_the_second_hashes_no_password() {
    let u = mfa_user();
    let ip = unique_ip();
    let first = post(&paths::login())
        .header("CF-Connecting-IP", &ip)
        .form(&[("username", &u.user.email), ("password", &u.user.password)]);
    assert_eq!(first.status, 401);
    assert_eq!(
        d1_cost(&first).0,
        2,
        "the first step: the user and limits, then the challenge"
    );
    let mfa_token = first.json()["mfa_token"].as_str().unwrap().to_string();
    let second = second_step(&mfa_token, &u.recovery[0], &ip).expect(200);
    assert_eq!(
        d1_cost(&second).0,
        2,
        "the second step: one read, one write"
    );
    let wrong = second_step(&first_step(&u.user, &ip), "wrong-code", &ip);
    assert_eq!((wrong.status, d1_cost(&wrong).0), (400, 2));
    let u2 = signup_user();
    let secret = enrol(&u2.token)["secret"].as_str().unwrap().to_string();
    let r = verify(&u2.token, &code_at(&secret, step_now()));
    assert_eq!(
        (r.status, d1_cost(&r).0),
        (200, 2),
        "verify: the caller with the secret, then the write"
    );
    // The caller, then one write, for each of the others.
    let cost = |r: Resp, status: u16| {
        assert_eq!(r.status, status, "{}", r.text);
        d1_cost(&r).0
    };
    let u3 = signup_user();
    let enrolled = post(&paths::mfa_totp()).token(&u3.token).send();
    assert_eq!(cost(enrolled, 200), 2, "enrol");
    let codes = post(&paths::recovery_codes())
        .token(&u2.token)
        .json(&json!({ "code": code_at(&secret, step_now() + 1) }));
    let fresh = codes.json()["recovery_codes"][0]
        .as_str()
        .map(str::to_string);
    assert_eq!(cost(codes, 200), 2, "new recovery codes");
    let off = delete(&paths::my_mfa())
        .token(&u2.token)
        .json(&json!({ "code": fresh }));
    assert_eq!(cost(off, 200), 2, "disable");
    let reset = delete(&paths::user_mfa(&u.user.id))
        .token(&superuser_token())
        .send();
    assert_eq!(cost(reset, 200), 2, "superuser reset");
}

/// An organization that requires MFA, its owner, an admin and a plain member,
/// none of whom has MFA.
fn org_requiring_mfa() -> (TestUser, TestUser, TestUser, OrganizationPublic) {
    let (owner, member, org) = org_with_member();
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    let path = paths::organization(&org.id);
    put(&path)
        .token(&admin.token)
        .json(&json!({"require_mfa": true}))
        .assert_detail(403, "Not enough permissions");
    let r = put(&path)
        .token(&owner.token)
        .json(&json!({"require_mfa": true}))
        .expect(200);
    assert_eq!(r.json()["require_mfa"], true);
    (
        owner,
        admin,
        member,
        serde_json::from_value(r.json()).unwrap(),
    )
}

#[test]
pub(crate) fn an_organization_that_requires_mfa_refuses_its_members_without_it_on_every_kind_of_operation(
) {
    let (owner, admin, member, org) = org_requiring_mfa();
    let path = paths::organization(&org.id);
    let refused = |r: Resp| r.assert_detail(403, MFA_REQUIRED);
    // Reads (members), admin operations, owner operations, keys, invitations.
    refused(get(&path).token(&member.token).send());
    refused(get(&format!("{path}/members")).token(&member.token).send());
    refused(
        put(&path)
            .token(&admin.token)
            .json(&json!({"name": "Renamed"})),
    );
    refused(add_member(&admin.token, &org, &signup_user().id));
    refused(
        get(&format!("{path}/invitations"))
            .token(&admin.token)
            .send(),
    );
    refused(
        post(&format!("{path}/invitations"))
            .token(&admin.token)
            .json(&json!({"email": random_email()})),
    );
    refused(get(&format!("{path}/api-keys")).token(&admin.token).send());
    refused(
        delete(&format!("{path}/members/{}", member.id))
            .token(&admin.token)
            .send(),
    );
    refused(
        patch(&format!("{path}/members/{}", member.id))
            .token(&owner.token)
            .json(&json!({"role": "admin"})),
    );
    refused(delete(&path).token(&owner.token).send());
    // An organization token is an operation on it too.
    let login = app().login_access_token::<Value>(&member.email, &member.password, 200);
    let r = post(&paths::refresh())
        .json(&json!({"refresh_token": login["refresh_token"], "organization_id": org.id}));
    refused(r);
    // A stranger learns nothing of the requirement; superusers are not refused.
    get(&path)
        .token(&signup_user().token)
        .send()
        .assert_detail(403, "Not enough permissions");
    get(&path).token(&superuser_token()).send().expect(200);
    // Leaving is never refused.
    delete(&format!("{path}/members/{}", member.id))
        .token(&member.token)
        .send()
        .expect(200);
}

#[test]
fn a_member_with_mfa_acts_on_an_organization_that_requires_it() {
    let (owner, _admin, _member, org) = org_requiring_mfa();
    let u = mfa_user();
    // The owner without MFA is refused too: the superuser adds the member.
    add_member(&owner.token, &org, &u.user.id).assert_detail(403, MFA_REQUIRED);
    add_member(&superuser_token(), &org, &u.user.id).expect(200);
    let token = mfa_login(&u);
    let r = get(&paths::organization(&org.id))
        .token(&token)
        .send()
        .expect(200);
    assert_eq!(r.json()["require_mfa"], true);
    get(&format!("{}/members", paths::organization(&org.id)))
        .token(&token)
        .send()
        .expect(200);
    // The superuser turns the requirement off again; the owner is back.
    put(&paths::organization(&org.id))
        .token(&superuser_token())
        .json(&json!({"require_mfa": false}))
        .expect(200);
    get(&paths::organization(&org.id))
        .token(&owner.token)
        .send()
        .expect(200);
}

#[test]
fn an_api_key_cannot_change_the_requirement() {
    let (owner, _member, org) = org_with_member();
    let key = post(&format!("{}/api-keys", paths::organization(&org.id)))
        .token(&owner.token)
        .json(&json!({"name": "ci", "scopes": ["organization:write", "organization:read"]}))
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_string();
    put(&paths::organization(&org.id))
        .token(&key)
        .json(&json!({"require_mfa": true}))
        .assert_detail(403, "Not enough permissions");
    put(&paths::organization(&org.id))
        .token(&key)
        .json(&json!({"name": "Renamed by key"}))
        .expect(200);
    let r = put(&paths::organization(&org.id))
        .token(&owner.token)
        .json(&json!({"require_mfa": "maybe"}));
    assert_eq!(
        (r.status, r.json()["detail"][0]["type"].clone()),
        (422, json!("bool_parsing"))
    );
}
