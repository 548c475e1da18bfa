//! Extensions K: tokens other services verify. The shared worker signs with
//! the development ring of `.dev.vars.example` (`dev-a` signs, `dev-b` only
//! verifies); tests that need other settings start a worker of their own.

use crate::forged;
use crate::helpers::*;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Value};

const COULD_NOT_VALIDATE: &str = "Could not validate credentials";
const ISSUER: &str = "users-orgs-api";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token's header and claims, read without checking anything.
fn parts(token: &str) -> (Value, Value) {
    let part = |n: usize| -> Value {
        let b = Base64UrlUnpadded::decode_vec(token.split('.').nth(n).unwrap()).unwrap();
        serde_json::from_slice(&b).unwrap()
    };
    (part(0), part(1))
}

/// The private JWKs of the development ring, by `kid`.
fn dev_key(kid: &str) -> Value {
    let ring: Vec<Value> = serde_json::from_str(&dev_signing_keys()).unwrap();
    ring.into_iter().find(|k| k["kid"] == kid).unwrap()
}

/// A ring of these private JWKs, as `SIGNING_KEYS` takes it.
fn ring_of(keys: &[Value]) -> String {
    Value::Array(keys.to_vec()).to_string()
}

fn superuser_id() -> String {
    app().read_user_me::<Value>(&superuser_token(), 200)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `POST /login/access-token` for this user: the whole answer.
fn login_answer(app: &TestApp, email: &str, password: &str) -> Value {
    app.request("POST", &paths::login())
        .form(&[("username", email), ("password", password)])
        .ok()
}

fn test_token(app: &TestApp, token: &str) -> Resp {
    app.request("POST", &paths::test_token())
        .token(token)
        .send()
}

#[test]
fn access_tokens_are_eddsa_signed_by_the_rings_first_key_with_an_issuer() {
    let answer = login_answer(app(), SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    let (header, claims) = parts(answer["access_token"].as_str().unwrap());
    assert_eq!(
        header,
        json!({"alg": "EdDSA", "kid": "dev-a", "typ": "JWT"})
    );
    let names: std::collections::BTreeSet<&str> = field_names(&claims).into_iter().collect();
    assert_eq!(
        names,
        ["exp", "iat", "iss", "sid", "sub", "ver"]
            .into_iter()
            .collect()
    );
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], superuser_id());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        answer["expires_in"].as_i64().unwrap()
    );
}

#[test]
fn the_jwks_is_the_public_half_of_every_key_in_ring_order() {
    let r = get("/.well-known/jwks.json")
        .header("Origin", "https://anywhere.example")
        .send()
        .expect(200);
    let public = |kid: &str| {
        let k = dev_key(kid);
        json!({"kty": "OKP", "crv": "Ed25519", "x": k["x"], "kid": kid, "alg": "EdDSA", "use": "sig"})
    };
    assert_eq!(
        r.json(),
        json!({"keys": [public("dev-a"), public("dev-b")]})
    );
    assert!(!r.text.contains("\"d\""), "a private key in {}", r.text);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Cache-Control"), Some("public, max-age=300"));
    assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    let etag = r.header("ETag").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    // A cache revalidates with its ETag, and the set has not changed.
    let again = get("/.well-known/jwks.json")
        .header("If-None-Match", &etag)
        .send()
        .expect(304);
    assert_eq!(
        (again.text.as_str(), again.header("ETag")),
        ("", Some(etag.as_str()))
    );
    assert_eq!(again.header("Cache-Control"), Some("public, max-age=300"));
    // Read-only.
    post("/.well-known/jwks.json").send().expect(405);
}

#[test]
fn a_token_signed_by_the_verify_only_key_is_accepted() {
    let only_b = ring_of(&[dev_key("dev-b")]);
    let token = signed_token(&only_b, "unused", ISSUER, &superuser_id(), now(), 10);
    assert_eq!(parts(&token).0["kid"], "dev-b");
    let me = test_token(app(), &token).expect(200);
    assert_eq!(me.json()["email"], SUPERUSER_EMAIL);
}

#[test]
fn algorithm_confusion_unknown_keys_and_other_issuers_are_refused() {
    let sub = superuser_id();
    let t = now();
    let ring_a = ring_of(&[dev_key("dev-a")]);
    let control = signed_token(&ring_a, "", ISSUER, &sub, t, 10);
    test_token(app(), &control).expect(200);

    let payload = format!(
        r#"{{"sub":"{sub}","ver":0,"iat":{t},"exp":{},"iss":"{ISSUER}"}}"#,
        t + 600
    );
    let x = Base64UrlUnpadded::decode_vec(dev_key("dev-a")["x"].as_str().unwrap()).unwrap();
    // A key nobody published, named as one of ours and as a new one.
    let stranger = json!({"kty": "OKP", "crv": "Ed25519", "kid": "dev-a",
        "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
    let mut unknown = stranger.clone();
    unknown["kid"] = json!("dev-c");
    let refused = [
        (
            "alg none",
            format!(
                "{}.{}.",
                forged::b64(r#"{"alg":"none","typ":"JWT"}"#),
                forged::b64(&payload)
            ),
        ),
        (
            "HS256 keyed with the public key",
            forged::sign(&x, r#"{"alg":"HS256","typ":"JWT"}"#, &payload),
        ),
        (
            "HS256 keyed with the public key, naming it",
            forged::sign(&x, r#"{"alg":"HS256","kid":"dev-a"}"#, &payload),
        ),
        (
            "RS256",
            forged::sign(&x, r#"{"alg":"RS256","kid":"dev-a"}"#, &payload),
        ),
        ("EdDSA without a kid", {
            let token = control.clone();
            let (_, rest) = token.split_once('.').unwrap();
            format!("{}.{rest}", forged::b64(r#"{"alg":"EdDSA","typ":"JWT"}"#))
        }),
        (
            "an unknown kid",
            signed_token(&ring_of(&[unknown]), "", ISSUER, &sub, t, 10),
        ),
        (
            "a stranger's key under our kid",
            signed_token(&ring_of(&[stranger]), "", ISSUER, &sub, t, 10),
        ),
        (
            "another issuer",
            signed_token(&ring_a, "", "someone-else", &sub, t, 10),
        ),
        (
            "expired",
            signed_token(&ring_a, "", ISSUER, &sub, t - 3600, 10),
        ),
        (
            "an empty issuer",
            signed_token(&ring_a, "", "", &sub, t, 10),
        ),
    ];
    for (what, token) in refused {
        let r = test_token(app(), &token);
        assert_eq!(
            (r.status, r.json()),
            (403, json!({ "detail": COULD_NOT_VALIDATE })),
            "{what}"
        );
    }
}

#[test]
fn hs256_tokens_pass_while_accept_hs256_is_on_and_fail_when_it_is_off() {
    // The shared worker: a ring, ACCEPT_HS256 unset (true).
    let hs256 = forged::control(SECRET_KEY.as_bytes(), &superuser_id(), now());
    test_token(app(), &hs256).expect(200);

    let ring = format!("SIGNING_KEYS={}", dev_signing_keys());
    let strict = spawn_local_worker(&[&ring, "ACCEPT_HS256=false"]);
    let eddsa = strict.verified_user_token("strict@example.com");
    let id = test_token(&strict, &eddsa).ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hs256 = forged::control(SECRET_KEY.as_bytes(), &id, now());
    test_token(&strict, &hs256).assert_detail(403, COULD_NOT_VALIDATE);
    test_token(&strict, &eddsa).expect(200);
}

#[test]
fn without_a_ring_tokens_are_hs256_without_an_issuer_and_the_jwks_is_empty() {
    let plain = spawn_local_worker(&[]);
    let token = plain.verified_user_token("plain@example.com");
    let (header, claims) = parts(&token);
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(claims.get("iss"), None);
    test_token(&plain, &token).expect(200);
    let jwks = plain
        .request("GET", "/.well-known/jwks.json")
        .send()
        .expect(200);
    assert_eq!(jwks.json(), json!({"keys": []}));
    // An EdDSA token, however well signed, has no key to be checked with.
    let id = test_token(&plain, &token).ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let eddsa = signed_token(&ring_of(&[dev_key("dev-a")]), "", ISSUER, &id, now(), 10);
    test_token(&plain, &eddsa).assert_detail(403, COULD_NOT_VALIDATE);
}

#[test]
fn a_ring_that_cannot_be_trusted_stops_the_worker_naming_the_setting() {
    let a = dev_key("dev-a");
    let mut wrong_x = a.clone();
    wrong_x["x"] = dev_key("dev-b")["x"].clone();
    for (ring, why) in [
        (
            ring_of(&[a.clone(), a.clone()]),
            "kid \"dev-a\" appears twice",
        ),
        (ring_of(&[wrong_x]), "x is not the public key of d"),
        ("[{\"kty\":\"OKP\"".to_string(), "is not JSON"),
    ] {
        let vars = [
            format!("SECRET_KEY={SECRET_KEY}"),
            "ENVIRONMENT=local".to_string(),
            format!("SIGNING_KEYS={ring}"),
        ];
        let broken = spawn_worker(&vars, 500);
        broken
            .request("GET", &paths::health_check())
            .send()
            .assert_detail(500, "Internal Server Error");
        let line = broken.log_line("configuration: SIGNING_KEYS");
        assert!(line.contains(why), "{line}");
        assert!(
            !line.contains(a["d"].as_str().unwrap()),
            "the log shows a private key: {line}"
        );
    }
}

/// A fresh login's refresh token for `user`.
fn refresh_token(user: &TestUser) -> String {
    login_answer(app(), &user.email, &user.password)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn refresh(body: Value) -> Resp {
    post(&paths::refresh()).json(&body)
}

#[test]
fn an_organization_token_carries_the_callers_role_and_a_short_life() {
    let (owner, member, org) = org_with_member();
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    let org_id = org.id.as_str();
    for (user, role) in [(&owner, "owner"), (&admin, "admin"), (&member, "member")] {
        let answer =
            refresh(json!({"refresh_token": refresh_token(user), "organization_id": org_id})).ok();
        assert_eq!(
            answer["expires_in"], 600,
            "ORG_TOKEN_EXPIRE_MINUTES is 10 by default"
        );
        let token = answer["access_token"].as_str().unwrap();
        let (_, claims) = parts(token);
        assert_eq!(
            (claims["org_id"].as_str(), claims["org_role"].as_str()),
            (Some(org_id), Some(role))
        );
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            600
        );
        assert_eq!(claims["sub"], user.id.as_str());
        // A token like any other for this service, which never reads the claims.
        app().read_user_me::<Resp>(token, 200);
        // Rotation as always: the new refresh token works, without an organization.
        let plain = refresh(json!({"refresh_token": answer["refresh_token"]})).ok();
        let (_, claims) = parts(plain["access_token"].as_str().unwrap());
        assert_eq!((claims.get("org_id"), claims.get("org_role")), (None, None));
        assert_eq!(plain["expires_in"], 11520 * 60);
    }
    // `null` is no organization.
    let answer =
        refresh(json!({"refresh_token": refresh_token(&member), "organization_id": null})).ok();
    assert_eq!(
        parts(answer["access_token"].as_str().unwrap())
            .1
            .get("org_id"),
        None
    );
}

#[test]
fn an_organization_token_is_refused_to_outsiders_without_spending_the_refresh_token() {
    let (owner, _member, org) = org_with_member();
    let org_id = org.id.as_str();
    let outsider = signup_user();
    let superuser = TestUser {
        id: superuser_id(),
        email: SUPERUSER_EMAIL.into(),
        password: SUPERUSER_PASSWORD.into(),
        token: superuser_token(),
    };
    for user in [&outsider, &superuser] {
        let rt = refresh_token(user);
        refresh(json!({"refresh_token": rt, "organization_id": org_id}))
            .assert_detail(403, "Not enough permissions");
        refresh(json!({"refresh_token": rt})).expect(200);
    }
    let rt = refresh_token(&owner);
    let unknown = uuid::Uuid::new_v4().to_string();
    refresh(json!({"refresh_token": rt, "organization_id": unknown}))
        .assert_detail(404, "Organization not found");
    // An invalid refresh token is a 401 whatever the organization.
    refresh(json!({"refresh_token": "nope", "organization_id": unknown}))
        .assert_detail(401, "Invalid refresh token");
    let r = refresh(json!({"refresh_token": rt, "organization_id": "not-a-uuid"})).expect(422);
    assert_eq!(r.json()["detail"][0]["type"], "uuid_parsing");
    assert_eq!(
        r.json()["detail"][0]["loc"],
        json!(["body", "organization_id"])
    );
    refresh(json!({"refresh_token": rt, "organization_id": org_id})).expect(200);
}

#[test]
fn rotation_moves_signing_to_a_new_key_without_logging_anyone_out() {
    let (a, b) = (dev_key("dev-a"), dev_key("dev-b"));
    let state = new_state_dir();
    let start = |ring: &[Value]| {
        let vars = [
            format!("SECRET_KEY={SECRET_KEY}"),
            "ENVIRONMENT=local".to_string(),
            format!("PASSWORD_HASH_ITERATIONS={TEST_ITERATIONS}"),
            format!("SIGNING_KEYS={}", ring_of(ring)),
        ];
        spawn_worker_in(&state, &vars, 404, false)
    };
    // [A, B]: A signs, B is published ahead of its turn.
    let worker = start(&[a.clone(), b.clone()]);
    let signed_by_a = worker.verified_user_token("rotating@example.com");
    assert_eq!(parts(&signed_by_a).0["kid"], "dev-a");
    let refresh_token =
        login_answer(&worker, "rotating@example.com", "password123")["refresh_token"].clone();
    worker.stop();
    // [B, A]: B signs; A's tokens still pass.
    let worker = start(&[b.clone(), a.clone()]);
    test_token(&worker, &signed_by_a).expect(200);
    let answer = worker
        .request("POST", &paths::refresh())
        .json(&json!({ "refresh_token": refresh_token }))
        .ok();
    let signed_by_b = answer["access_token"].as_str().unwrap().to_string();
    assert_eq!(parts(&signed_by_b).0["kid"], "dev-b");
    test_token(&worker, &signed_by_b).expect(200);
    worker.stop();
    // [B]: A is gone, and so are its tokens.
    let worker = start(&[b]);
    test_token(&worker, &signed_by_a).assert_detail(403, COULD_NOT_VALIDATE);
    test_token(&worker, &signed_by_b).expect(200);
    worker.stop();
    if !keep_state() {
        std::fs::remove_dir_all(&state).unwrap();
    }
}
