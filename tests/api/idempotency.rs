//! `Idempotency-Key` on the POSTs that create something: a retry gets the
//! first answer, never a second thing.

use crate::helpers::*;
use crate::round_trips::d1_cost;
use serde_json::{json, Value};

const IN_FLIGHT: &str = "A request with this Idempotency-Key is in progress";
const OTHER_REQUEST: &str = "Idempotency-Key was used with another request";

fn new_key() -> String {
    format!("retry-{}", uuid::Uuid::new_v4())
}

fn keyed(req: Req, key: &str) -> Req {
    req.header("Idempotency-Key", key)
}

/// Sends the same request twice: the second is a replay of the first,
/// byte for byte, for one D1 round trip.
#[track_caller]
fn assert_replays(send: impl Fn() -> Resp) -> Resp {
    let first = send();
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    // the key costs no round trip of its own: it rides in the first batch
    assert!(
        d1_cost(&first).0 <= 2,
        "{:?}",
        first.header("server-timing")
    );
    let again = send();
    assert_eq!(
        (again.status, again.text.as_str()),
        (first.status, first.text.as_str())
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(d1_cost(&again).0, 1, "{:?}", again.header("server-timing"));
    first
}

fn org_count(token: &str) -> i64 {
    app().read_organizations::<Value>(token, "", 200)["count"]
        .as_i64()
        .unwrap()
}

#[test]
fn twenty_concurrent_posts_with_one_key_create_one_organization() {
    let u = signup_user();
    let key = new_key();
    let answers: Vec<Resp> = at_once(20, |_| {
        keyed(post(&paths::organizations()), &key)
            .token(&u.token)
            .json(&json!({"name": "Once", "avatar_image": AVATAR}))
    });
    let first: Vec<&Resp> = answers
        .iter()
        .filter(|r| r.status == 200 && r.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(first.len(), 1, "{answers:#?}");
    for r in &answers {
        match r.status {
            200 => assert_eq!(r.text, first[0].text),
            _ => r.assert_detail(409, IN_FLIGHT),
        }
    }
    assert_eq!(org_count(&u.token), 1);
    // once it is done, a retry replays it
    let again = keyed(post(&paths::organizations()), &key)
        .token(&u.token)
        .json(&json!({"name": "Once", "avatar_image": AVATAR}));
    assert_eq!((again.status, &again.text), (200, &first[0].text));
    assert_eq!(org_count(&u.token), 1);
}

#[test]
pub(crate) fn every_creating_post_replays_its_first_answer_for_one_round_trip() {
    let su = superuser_token();
    let owner = signup_user();
    let member = signup_user();
    let run = uuid::Uuid::new_v4().simple().to_string();

    // signup: anonymous, so the key is the client address's
    let ip = unique_ip();
    let email = random_email();
    let signup = assert_replays(|| {
        keyed(post(&paths::signup()), &format!("signup-1-{run}"))
            .header("CF-Connecting-IP", &ip)
            .json(&json!({"email": email, "password": "a-good-password", "full_name": "Once"}))
    });
    let user_id = signup.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        d1(&format!(
            "select count(*) as n from users where email = '{email}'"
        ))[0]["n"],
        1
    );

    // create user (superuser)
    let email = random_email();
    let created = assert_replays(|| {
        keyed(post(&paths::users()), &format!("create-user-1-{run}"))
            .token(&su)
            .json(&json!({"email": email, "password": "a-good-password"}))
    });
    assert_eq!(created.json()["email"], email.as_str());

    // create organization: the answer is the organization as it reads back
    let org = assert_replays(|| {
        keyed(post(&paths::organizations()), &format!("org-1-{run}"))
            .token(&owner.token)
            .json(
                &json!({"name": "Replayed", "description": "d", "avatar_image": {
                "url": AVATAR, "width": 640, "height": 480, "alt_text": "logo"}}),
            )
    })
    .json();
    let path = paths::organization(org["id"].as_str().unwrap());
    assert_eq!(get(&path).token(&owner.token).send().ok(), org);
    assert_eq!(org_count(&owner.token), 1);

    // add member: the first page of members with the new one
    let members = assert_replays(|| {
        keyed(post(&format!("{path}/members")), &format!("member-1-{run}"))
            .token(&owner.token)
            .json(&json!({"user_id": member.id}))
    })
    .json();
    assert_eq!(members["count"], 2);
    assert_eq!(
        get(&format!("{path}/members"))
            .token(&owner.token)
            .send()
            .ok(),
        members
    );

    // invitation: the answer (with its token) is the same again, and one e-mail went out
    let invitee = random_email();
    let invitation = assert_replays(|| {
        keyed(
            post(&format!("{path}/invitations")),
            &format!("invite-1-{run}"),
        )
        .token(&owner.token)
        .json(&json!({"email": invitee}))
    })
    .json();
    let token = invitation["token"].as_str().unwrap();
    assert_eq!(token.len(), 43);
    // The stored answer holds the token sealed, never readable.
    let stored = d1(&format!(
        "select body, sealed from idempotency_keys where key = 'invite-1-{run}'"
    ));
    let (body, sealed) = (
        stored[0]["body"].as_str().unwrap(),
        stored[0]["sealed"].as_str().unwrap(),
    );
    assert!(!body.contains(token), "{body}");
    assert_eq!(
        body.replace(sealed, token),
        serde_json::to_string(&invitation).unwrap()
    );
    let pending = get(&format!("{path}/invitations"))
        .token(&owner.token)
        .send()
        .ok();
    assert_eq!(pending["count"], 1);

    // migrate-resources: counts that only the write knew, the same in the replay
    let org_id = org["id"].as_str().unwrap();
    d1(&format!(
        "insert into products (id, owner_id, organization_id, name, created_at, updated_at) \
         values (lower(hex(randomblob(16))), '{0}', null, 'p1', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z'), \
         (lower(hex(randomblob(16))), '{0}', null, 'p2', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z'), \
         (lower(hex(randomblob(16))), '{0}', null, 's1', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z')",
        member.id
    ));
    let migrated = assert_replays(|| {
        keyed(
            post(&format!("{path}/migrate-resources")),
            &format!("migrate-1-{run}"),
        )
        .token(&su)
        .json(&json!({"user_id": member.id, "migrate_products": true, "migrate_styles": true}))
    })
    .json();
    assert_eq!(migrated["total_migrated"], 3);
    assert_eq!(migrated["migrated_counts"]["products"], 3);
    assert_eq!(migrated["organization_id"], org_id);
    assert_eq!(
        migrated["message"],
        format!(
            "Migrated 3 personal resources of user {} to organization {org_id}",
            member.id
        )
    );
    // a single row reads "resource"
    d1(&format!(
        "insert into styles (id, owner_id, organization_id, name, created_at, updated_at) \
         values (lower(hex(randomblob(16))), '{}', null, 'x', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z')",
        member.id
    ));
    let one = assert_replays(|| {
        keyed(
            post(&format!("{path}/migrate-resources")),
            &format!("migrate-2-{run}"),
        )
        .token(&su)
        .json(&json!({"user_id": member.id, "migrate_styles": true}))
    })
    .json();
    assert_eq!(one["total_migrated"], 1);
    assert!(one["message"]
        .as_str()
        .unwrap()
        .starts_with("Migrated 1 personal resource of user"));
    let _ = user_id;
}

#[test]
fn a_key_used_with_another_request_is_a_422() {
    let u = signup_user();
    let key = new_key();
    let create = |name: &str| {
        keyed(post(&paths::organizations()), &key)
            .token(&u.token)
            .json(&json!({"name": name, "avatar_image": AVATAR}))
    };
    create("First").expect(200);
    create("Second").assert_detail(422, OTHER_REQUEST);
    // another path is another request too
    keyed(post(&paths::signup()), &key)
        .token(&u.token)
        .json(&json!({"email": random_email(), "password": "a-good-password"}))
        .expect(200); // signup's keys are the address's, not this user's
    assert_eq!(org_count(&u.token), 1);
}

#[test]
fn keys_are_each_callers_own() {
    let (a, b) = (signup_user(), signup_user());
    for u in [&a, &b] {
        let r = keyed(post(&paths::organizations()), "shared-name")
            .token(&u.token)
            .json(&json!({"name": "Mine", "avatar_image": AVATAR}));
        assert_eq!(
            (r.status, r.header("idempotent-replayed")),
            (200, None),
            "{}",
            r.text
        );
        assert_eq!(r.json()["owner_id"], u.id.as_str());
    }
}

#[test]
fn a_request_that_fails_frees_its_key() {
    let u = signup_user();
    let key = new_key();
    // a refusal after the key was reserved (rework_available is for superusers)
    let refused = || {
        keyed(post(&paths::organizations()), &key)
            .token(&u.token)
            .json(&json!({"name": "X", "avatar_image": AVATAR, "rework_available": 5}))
    };
    for _ in 0..2 {
        let r = refused();
        r.assert_detail(403, "The user doesn't have enough privileges");
        assert_eq!(r.header("idempotent-replayed"), None);
    }
    let stored = d1(&format!(
        "select count(*) as n from idempotency_keys where key = '{key}'"
    ));
    assert_eq!(stored[0]["n"], 0);
    // a conflict in the write batch itself (a taken address) frees it too
    let taken = signup_user();
    let ip = unique_ip();
    let signup = || {
        keyed(post(&paths::signup()), &key)
            .header("CF-Connecting-IP", &ip)
            .json(&json!({"email": taken.email, "password": "a-good-password"}))
    };
    signup().assert_detail(400, "The user with this email already exists in the system");
    app().delete_user::<Resp>(&superuser_token(), &taken.id, 200);
    let r = signup();
    assert_eq!((r.status, r.header("idempotent-replayed")), (200, None));
}

/// The row a request in flight holds: as the first request's reservation.
fn reserve_as_another_request(user_id: &str, key: &str, body: &Value, age_seconds: i64) {
    // as the worker makes it: HMAC-SHA256 of the method, path and body (each
    // length-prefixed) under the key derived from SECRET_KEY for fingerprints
    use hmac::{Hmac, Mac};
    let mac = |key: &[u8]| <Hmac<sha2::Sha256>>::new_from_slice(key).unwrap();
    let mut derive = mac(SECRET_KEY.as_bytes());
    derive.update(b"users-orgs-api idempotency fingerprint v1");
    let mut h = mac(&derive.finalize().into_bytes());
    let body = serde_json::to_vec(body).unwrap();
    let path = paths::organizations();
    for part in [&b"POST"[..], path.as_bytes(), &body] {
        h.update(&(part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let fingerprint: String = h
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    d1(&format!(
        "insert into idempotency_keys (scope, key, fingerprint, request, created_at) \
         values ('user:{user_id}', '{key}', '{fingerprint}', 'another-request', \
         unixepoch() - {age_seconds})"
    ));
}

#[test]
fn while_the_first_request_runs_a_retry_is_a_409_and_a_dead_ones_key_is_taken_over() {
    let u = signup_user();
    let body = json!({"name": "Slow", "avatar_image": AVATAR});
    let send = |key: &str| {
        keyed(post(&paths::organizations()), key)
            .token(&u.token)
            .raw("application/json", &serde_json::to_vec(&body).unwrap())
    };
    let running = new_key();
    reserve_as_another_request(&u.id, &running, &body, 0);
    send(&running).assert_detail(409, IN_FLIGHT);
    assert_eq!(org_count(&u.token), 0);
    // another body under a key in flight is still another request
    keyed(post(&paths::organizations()), &running)
        .token(&u.token)
        .json(&json!({"name": "Other", "avatar_image": AVATAR}))
        .assert_detail(422, OTHER_REQUEST);
    // a reservation older than the lease was left by a worker that died: taken over
    let abandoned = new_key();
    reserve_as_another_request(&u.id, &abandoned, &body, 61);
    let r = send(&abandoned);
    assert_eq!((r.status, r.header("idempotent-replayed")), (200, None));
    assert_eq!(send(&abandoned).header("idempotent-replayed"), Some("true"));
    assert_eq!(org_count(&u.token), 1);
}

#[test]
fn a_key_must_be_1_to_255_printable_characters() {
    let u = signup_user();
    let cases = [
        ("x".repeat(256), "string_too_long"),
        ("tab\there".to_string(), "string_pattern_mismatch"),
    ];
    for (key, kind) in cases {
        let r = keyed(post(&paths::organizations()), &key)
            .token(&u.token)
            .json(&json!({"name": "No", "avatar_image": AVATAR}));
        assert_eq!(r.status, 422, "{}", r.text);
        let d = &r.json()["detail"][0];
        assert_eq!(d["type"], kind);
        assert_eq!(d["loc"], json!(["header", "idempotency-key"]));
        assert_eq!(d["input"], key.as_str());
    }
    assert_eq!(org_count(&u.token), 0);
    keyed(post(&paths::organizations()), &"~".repeat(255))
        .token(&u.token)
        .json(&json!({"name": "Yes", "avatar_image": AVATAR}))
        .expect(200);
}

#[test]
fn the_scheduled_run_deletes_keys_after_24_hours() {
    let u = signup_user();
    let (old, fresh) = (new_key(), new_key());
    let body = json!({"name": "Kept", "avatar_image": AVATAR});
    reserve_as_another_request(&u.id, &old, &body, 86_401);
    reserve_as_another_request(&u.id, &fresh, &body, 10);
    app().scheduled();
    let left = |key: &str| {
        d1(&format!(
            "select count(*) as n from idempotency_keys where key = '{key}'"
        ))[0]["n"]
            .as_i64()
            .unwrap()
    };
    assert_eq!((left(&old), left(&fresh)), (0, 1));
}

/// A stored answer whose sealed token no longer opens (what `SECRET_KEY`
/// changing does to every seal: the tag no longer matches) is a logged 500 on
/// replay, never a wrong token. The seal is spoiled here by one character.
#[test]
fn a_replay_whose_seal_does_not_open_is_a_logged_500() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Sealed");
    let key = new_key();
    let body = json!({"email": random_email()});
    let invite = || {
        keyed(
            post(&format!("{}/invitations", paths::organization(&org.id))),
            &key,
        )
        .token(&owner.token)
        .json(&body)
    };
    invite().expect(200);
    d1(&format!(
        "update idempotency_keys set \
         body = replace(body, sealed, (case when substr(sealed, 1, 1) = 'A' then 'B' else 'A' end) || substr(sealed, 2)), \
         sealed = (case when substr(sealed, 1, 1) = 'A' then 'B' else 'A' end) || substr(sealed, 2) \
         where key = '{key}'"
    ));
    let replay = invite();
    replay.assert_detail(500, "Internal Server Error");
    let id = replay.header("x-request-id").unwrap();
    let line = app().log_line("does not open: was SECRET_KEY changed?");
    assert!(line.contains(&format!("request_id={id} ")), "{line}");
}
