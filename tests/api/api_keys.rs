//! Extensions A: API keys for machine clients. Each scope allows exactly its
//! operations (a matrix like the permission matrix), keys are refused outside
//! their organization, once revoked or expired, and everywhere else.

use crate::helpers::*;
use serde_json::{json, Value};

const COULD_NOT_VALIDATE: &str = "Could not validate credentials";
const NOT_ENOUGH: &str = "Not enough permissions";
const READ: &str = "organization:read";
const WRITE: &str = "organization:write";
const MEMBERS: &str = "members:write";

fn keys_path(org: &OrganizationPublic) -> String {
    format!("{}/api-keys", paths::organization(&org.id))
}

/// A new key of `org` with `scopes`, made by `token`: the key and the answer.
fn create_key(token: &str, org: &OrganizationPublic, scopes: &[&str]) -> (String, Value) {
    let body = post(&keys_path(org))
        .token(token)
        .json(&json!({"name": "CI", "scopes": scopes}))
        .ok();
    (body["key"].as_str().unwrap().to_string(), body)
}

/// A key's read of a list rides in the statement that reads the key, as a
/// user's does in the one that reads the user: the page is the owner's.
#[test]
fn a_key_reads_an_organizations_lists_as_its_owner_does() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Listed by a key");
    for _ in 0..3 {
        add_member(&owner.token, &org, &signup_user().id).expect(200);
    }
    let (key, _) = create_key(&owner.token, &org, &[READ]);
    for path in ["members", "members?limit=2", "invitations"] {
        let path = format!("{}/{path}", paths::organization(&org.id));
        let by_key = get(&path).token(&key).send().expect(200);
        let by_owner = get(&path).token(&owner.token).send().expect(200);
        assert_eq!(by_key.json(), by_owner.json(), "{path}");
        assert_eq!(crate::round_trips::d1_cost(&by_key).0, 1, "{path}");
    }
}

#[test]
fn a_key_is_shown_once_and_never_listed() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Keyed");
    let r = post(&keys_path(&org))
        .token(&owner.token)
        .json(&json!({"name": "Deploy bot", "scopes": [READ, MEMBERS], "expires_in_days": 30}))
        .expect(200);
    let body = r.json();
    let names = field_names(&body);
    assert_eq!(
        names,
        [
            "id",
            "organization_id",
            "name",
            "prefix",
            "scopes",
            "created_by_id",
            "created_at",
            "expires_at",
            "last_used_at",
            "key"
        ]
    );
    let key = body["key"].as_str().unwrap();
    assert!(key.starts_with("uoa_") && key.len() == 47, "{key}");
    assert!(key[4..]
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_eq!(body["prefix"], &key[..12]);
    assert_eq!(body["scopes"], json!([READ, MEMBERS]));
    assert_eq!(body["organization_id"], org.id);
    assert_eq!(body["created_by_id"], owner.id.as_str());
    assert_eq!(body["last_used_at"], Value::Null);
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    // Listed without the key; only its hash is stored.
    let list = get(&keys_path(&org)).token(&owner.token).send().expect(200);
    assert!(!list.text.contains(key), "{}", list.text);
    let mut listed = body.clone();
    listed.as_object_mut().unwrap().remove("key");
    assert_eq!(
        list.json(),
        json!({"data": [listed], "count": 1, "next_cursor": null})
    );
    let stored = d1(&format!(
        "select key_hash from api_keys where id = '{}'",
        body["id"].as_str().unwrap()
    ));
    assert_eq!(stored[0]["key_hash"].as_str().unwrap().len(), 64);
    assert!(!d1("select * from api_keys")
        .iter()
        .any(|row| row.to_string().contains(key)));
}

#[test]
fn owners_admins_and_superusers_manage_keys_members_and_keys_do_not() {
    let (owner, member, org) = org_with_member();
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    for token in [&owner.token, &admin.token, &superuser_token()] {
        create_key(token, &org, &[READ]);
    }
    let outsider = signup_user();
    let (key, created) = create_key(&owner.token, &org, &[READ, WRITE, MEMBERS]);
    let key_path = format!("{}/{}", keys_path(&org), created["id"].as_str().unwrap());
    for token in [&member.token, &outsider.token, &key] {
        post(&keys_path(&org))
            .token(token)
            .json(&json!({"name": "x", "scopes": [READ]}))
            .assert_detail(403, NOT_ENOUGH);
        get(&keys_path(&org))
            .token(token)
            .send()
            .assert_detail(403, NOT_ENOUGH);
        delete(&key_path)
            .token(token)
            .send()
            .assert_detail(403, NOT_ENOUGH);
    }
    assert_eq!(
        get(&keys_path(&org)).token(&admin.token).send().ok()["count"],
        4
    );
}

#[test]
fn a_key_request_body_is_checked_field_by_field() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Checked");
    let problem = |body: Value| -> Value {
        let r = post(&keys_path(&org))
            .token(&owner.token)
            .json(&body)
            .expect(422);
        let d = &r.json()["detail"][0];
        json!([d["type"], d["loc"]])
    };
    let cases = [
        (
            json!({"name": "", "scopes": [READ]}),
            json!(["string_too_short", ["body", "name"]]),
        ),
        (
            json!({"name": "x".repeat(101), "scopes": [READ]}),
            json!(["string_too_long", ["body", "name"]]),
        ),
        (
            json!({"name": "a\nb", "scopes": [READ]}),
            json!(["string_pattern_mismatch", ["body", "name"]]),
        ),
        (
            json!({"scopes": [READ]}),
            json!(["missing", ["body", "name"]]),
        ),
        (json!({"name": "x"}), json!(["missing", ["body", "scopes"]])),
        (
            json!({"name": "x", "scopes": []}),
            json!(["too_short", ["body", "scopes"]]),
        ),
        (
            json!({"name": "x", "scopes": READ}),
            json!(["list_type", ["body", "scopes"]]),
        ),
        (
            json!({"name": "x", "scopes": [READ, "admin"]}),
            json!(["literal_error", ["body", "scopes", 1]]),
        ),
        (
            json!({"name": "x", "scopes": [READ, READ]}),
            json!(["value_error", ["body", "scopes"]]),
        ),
        (
            json!({"name": "x", "scopes": [READ], "expires_in_days": 0}),
            json!(["greater_than_equal", ["body", "expires_in_days"]]),
        ),
        (
            json!({"name": "x", "scopes": [READ], "expires_in_days": 3651}),
            json!(["less_than_equal", ["body", "expires_in_days"]]),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(problem(body.clone()), expected, "{body}");
    }
    let never = post(&keys_path(&org))
        .token(&owner.token)
        .json(&json!({"name": "x", "scopes": [READ], "expires_in_days": null}))
        .ok();
    assert_eq!(never["expires_at"], Value::Null);
}

/// How to call an operation with `key` (the organization's owner sets up what
/// it acts on).
type Call = Box<dyn Fn(&TestUser, &OrganizationPublic, &str) -> Resp>;

/// One operation a key might call, and the scope that allows it (none: no key).
struct Operation {
    name: &'static str,
    scope: Option<&'static str>,
    call: Call,
}

fn operations() -> Vec<Operation> {
    let op = |name, scope, call: Call| Operation { name, scope, call };
    let invite = |owner: &TestUser, org: &OrganizationPublic| -> String {
        post(&format!("{}/invitations", paths::organization(&org.id)))
            .token(&owner.token)
            .json(&json!({"email": random_email()}))
            .ok()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    vec![
        op(
            "read the organization",
            Some(READ),
            Box::new(|_, org, key| get(&paths::organization(&org.id)).token(key).send()),
        ),
        op(
            "read members",
            Some(READ),
            Box::new(|_, org, key| {
                get(&format!("{}/members", paths::organization(&org.id)))
                    .token(key)
                    .send()
            }),
        ),
        op(
            "read invitations",
            Some(READ),
            Box::new(|_, org, key| {
                get(&format!("{}/invitations", paths::organization(&org.id)))
                    .token(key)
                    .send()
            }),
        ),
        op(
            "rename",
            Some(WRITE),
            Box::new(|_, org, key| {
                put(&paths::organization(&org.id))
                    .token(key)
                    .json(&json!({"name": "Renamed by a key", "description": "d"}))
            }),
        ),
        op(
            "set the avatar",
            Some(WRITE),
            Box::new(|_, org, key| {
                put(&paths::organization(&org.id))
                    .token(key)
                    .json(&json!({"avatar_image": AVATAR}))
            }),
        ),
        op(
            "add a member",
            Some(MEMBERS),
            Box::new(|_, org, key| {
                let user = signup_user();
                post(&format!("{}/members", paths::organization(&org.id)))
                    .token(key)
                    .json(&json!({"user_id": user.id}))
            }),
        ),
        op(
            "remove a member",
            Some(MEMBERS),
            Box::new(|owner, org, key| {
                let user = signup_user();
                add_member(&owner.token, org, &user.id).expect(200);
                delete(&format!(
                    "{}/members/{}",
                    paths::organization(&org.id),
                    user.id
                ))
                .token(key)
                .send()
            }),
        ),
        op(
            "invite",
            Some(MEMBERS),
            Box::new(|_, org, key| {
                post(&format!("{}/invitations", paths::organization(&org.id)))
                    .token(key)
                    .json(&json!({"email": random_email()}))
            }),
        ),
        op(
            "resend an invitation",
            Some(MEMBERS),
            Box::new(move |owner, org, key| {
                let id = invite(owner, org);
                post(&format!(
                    "{}/invitations/{id}/resend",
                    paths::organization(&org.id)
                ))
                .token(key)
                .send()
            }),
        ),
        op(
            "revoke an invitation",
            Some(MEMBERS),
            Box::new(move |owner, org, key| {
                let id = invite(owner, org);
                delete(&format!(
                    "{}/invitations/{id}",
                    paths::organization(&org.id)
                ))
                .token(key)
                .send()
            }),
        ),
        op(
            "change a role",
            None,
            Box::new(|owner, org, key| {
                let user = signup_user();
                add_member(&owner.token, org, &user.id).expect(200);
                patch(&format!(
                    "{}/members/{}",
                    paths::organization(&org.id),
                    user.id
                ))
                .token(key)
                .json(&json!({"role": "admin"}))
            }),
        ),
        op(
            "transfer ownership",
            None,
            Box::new(|owner, org, key| {
                let user = signup_user();
                add_member(&owner.token, org, &user.id).expect(200);
                put(&paths::organization(&org.id))
                    .token(key)
                    .json(&json!({"owner_id": user.id}))
            }),
        ),
        op(
            "delete the organization",
            None,
            Box::new(|_, org, key| delete(&paths::organization(&org.id)).token(key).send()),
        ),
        op(
            "migrate resources",
            None,
            Box::new(|owner, org, key| {
                post(&format!(
                    "{}/migrate-resources",
                    paths::organization(&org.id)
                ))
                .token(key)
                .json(&json!({"user_id": owner.id, "resource_types": ["drone"]}))
            }),
        ),
        op(
            "list organizations",
            None,
            Box::new(|_, _, key| get(&paths::organizations()).token(key).send()),
        ),
        op(
            "create an organization",
            None,
            Box::new(|_, _, key| {
                post(&paths::organizations())
                    .token(key)
                    .json(&json!({"name": "By a key", "avatar_image": AVATAR}))
            }),
        ),
        op(
            "read /users/me",
            None,
            Box::new(|_, _, key| get(&paths::me()).token(key).send()),
        ),
        op(
            "test a token",
            None,
            Box::new(|_, _, key| post(&paths::test_token()).token(key).send()),
        ),
        op(
            "change a password",
            None,
            Box::new(|_, _, key| {
                patch(&paths::my_password()).token(key).json(
                    &json!({"current_password": "password123", "new_password": "password456"}),
                )
            }),
        ),
        op(
            "list sessions",
            None,
            Box::new(|_, _, key| get(&paths::my_sessions()).token(key).send()),
        ),
        op(
            "ask for an upload URL",
            None,
            Box::new(|_, _, key| {
                post(&paths::presigned_url()).token(key).json(
                    &json!({"filename": "a.png", "content_type": "image/png", "file_size": 10}),
                )
            }),
        ),
        op(
            "list users",
            None,
            Box::new(|_, _, key| get(&paths::users()).token(key).send()),
        ),
    ]
}

#[test]
fn each_scope_allows_exactly_its_operations() {
    let scope_sets: [&[&str]; 4] = [&[READ], &[WRITE], &[MEMBERS], &[READ, WRITE, MEMBERS]];
    for scopes in scope_sets {
        let owner = signup_user();
        let org = new_organization(&owner.token, "Scoped");
        let (key, _) = create_key(&owner.token, &org, scopes);
        for op in operations() {
            let allowed = op.scope.is_some_and(|s| scopes.contains(&s));
            let r = (op.call)(&owner, &org, &key);
            if allowed {
                assert_eq!(r.status, 200, "{scopes:?} may {}: {}", op.name, r.text);
            } else {
                assert_eq!(
                    (r.status, r.json()),
                    (403, json!({ "detail": NOT_ENOUGH })),
                    "{scopes:?} may not {}",
                    op.name
                );
            }
        }
    }
}

#[test]
fn a_key_acts_as_an_admin_never_above_one() {
    let (owner, _member, org) = org_with_member();
    let (key, _) = create_key(&owner.token, &org, &[MEMBERS]);
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    // An admin removes plain members only; nobody removes the owner.
    delete(&format!(
        "{}/members/{}",
        paths::organization(&org.id),
        admin.id
    ))
    .token(&key)
    .send()
    .assert_detail(403, NOT_ENOUGH);
    delete(&format!(
        "{}/members/{}",
        paths::organization(&org.id),
        owner.id
    ))
    .token(&key)
    .send()
    .expect(400);
    // Only the owner invites admins.
    post(&format!("{}/invitations", paths::organization(&org.id)))
        .token(&key)
        .json(&json!({"email": random_email(), "role": "admin"}))
        .assert_detail(403, NOT_ENOUGH);
    // What a key does is signed by whoever made the key.
    let invitation = post(&format!("{}/invitations", paths::organization(&org.id)))
        .token(&key)
        .json(&json!({"email": random_email()}))
        .ok();
    assert_eq!(invitation["invited_by_id"], owner.id.as_str());
}

#[test]
fn a_key_works_in_its_own_organization_only() {
    let owner = signup_user();
    let (mine, other) = (
        new_organization(&owner.token, "Mine"),
        new_organization(&owner.token, "Other"),
    );
    let (key, _) = create_key(&owner.token, &mine, &[READ, WRITE, MEMBERS]);
    get(&paths::organization(&mine.id))
        .token(&key)
        .send()
        .expect(200);
    get(&paths::organization(&other.id))
        .token(&key)
        .send()
        .assert_detail(403, NOT_ENOUGH);
    get(&format!("{}/members", paths::organization(&other.id)))
        .token(&key)
        .send()
        .assert_detail(403, NOT_ENOUGH);
    let unknown = paths::organization(&uuid::Uuid::new_v4().to_string());
    get(&unknown)
        .token(&key)
        .send()
        .assert_detail(404, "Organization not found");
}

#[test]
fn revoked_expired_unknown_and_orphaned_keys_are_refused() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Revoking");
    let (key, created) = create_key(&owner.token, &org, &[READ]);
    get(&paths::organization(&org.id))
        .token(&key)
        .send()
        .expect(200);
    let key_path = format!("{}/{}", keys_path(&org), created["id"].as_str().unwrap());
    let revoked = delete(&key_path).token(&owner.token).send().ok();
    assert_eq!(revoked, json!({"message": "API key revoked"}));
    // The very next request, on any route.
    get(&paths::organization(&org.id))
        .token(&key)
        .send()
        .assert_detail(403, COULD_NOT_VALIDATE);
    assert_eq!(
        app().read_user_me::<Detail>(&key, 403),
        Detail::new(COULD_NOT_VALIDATE)
    );
    delete(&key_path)
        .token(&owner.token)
        .send()
        .assert_detail(404, "API key not found");
    assert_eq!(
        get(&keys_path(&org)).token(&owner.token).send().ok()["count"],
        0
    );
    // Another organization's key, or none at all, by id: 404.
    let other = new_organization(&owner.token, "Elsewhere");
    let (_, elsewhere) = create_key(&owner.token, &other, &[READ]);
    for id in [
        elsewhere["id"].as_str().unwrap().to_string(),
        uuid::Uuid::new_v4().to_string(),
    ] {
        delete(&format!("{}/{id}", keys_path(&org)))
            .token(&owner.token)
            .send()
            .assert_detail(404, "API key not found");
    }

    let (expiring, created) = create_key(&owner.token, &org, &[READ]);
    get(&paths::organization(&org.id))
        .token(&expiring)
        .send()
        .expect(200);
    d1(&format!(
        "update api_keys set expires_at = unixepoch() - 1 where id = '{}'",
        created["id"].as_str().unwrap()
    ));
    get(&paths::organization(&org.id))
        .token(&expiring)
        .send()
        .assert_detail(403, COULD_NOT_VALIDATE);

    let made_up = format!("uoa_{}", "A".repeat(43));
    get(&paths::organization(&org.id))
        .token(&made_up)
        .send()
        .assert_detail(403, COULD_NOT_VALIDATE);

    let (orphan, _) = create_key(&owner.token, &other, &[READ]);
    get(&paths::organization(&other.id))
        .token(&orphan)
        .send()
        .expect(200);
    delete(&paths::organization(&other.id))
        .token(&owner.token)
        .send()
        .expect(200);
    get(&paths::organization(&other.id))
        .token(&orphan)
        .send()
        .assert_detail(403, COULD_NOT_VALIDATE);
}

#[test]
fn an_organization_holds_at_most_50_unrevoked_keys() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Full");
    let mut last = Value::Null;
    for _ in 0..50 {
        last = create_key(&owner.token, &org, &[READ]).1;
    }
    let more = || {
        post(&keys_path(&org))
            .token(&owner.token)
            .json(&json!({"name": "51st", "scopes": [READ]}))
    };
    more().assert_detail(400, "Too many API keys");
    delete(&format!(
        "{}/{}",
        keys_path(&org),
        last["id"].as_str().unwrap()
    ))
    .token(&owner.token)
    .send()
    .expect(200);
    more().expect(200);
    more().assert_detail(400, "Too many API keys");
}

#[test]
fn a_key_is_not_a_password_and_never_reaches_the_log() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Quiet");
    let (key, created) = create_key(&owner.token, &org, &[READ]);
    assert_eq!(
        app().login_access_token::<Detail>(owner.email.as_str(), key.as_str(), 400),
        Detail::new("Incorrect email or password")
    );
    assert_eq!(
        app().refresh::<Detail>(&key, 401),
        Detail::new("Invalid refresh token")
    );
    let id = created["id"].as_str().unwrap();
    let request_id = format!("key-log-{}", uuid::Uuid::new_v4().simple());
    get(&paths::organization(&org.id))
        .token(&key)
        .header("X-Request-Id", &request_id)
        .send()
        .expect(200);
    let line = app().log_line(&request_id);
    assert!(line.contains(&format!("api_key={id}")), "{line}");
    let log = std::fs::read_to_string(&app().log_path).unwrap();
    assert!(!log.contains(&key), "the key is in the log");
}

#[test]
fn last_used_at_moves_after_the_response_at_most_once_a_minute() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Used");
    let (key, created) = create_key(&owner.token, &org, &[READ]);
    let id = created["id"].as_str().unwrap().to_string();
    let used = |request_id: &str| {
        get(&paths::organization(&org.id))
            .token(&key)
            .header("X-Request-Id", request_id)
            .send()
            .expect(200);
        // Written once the answer is out: the log says when.
        app().log_line(&format!(
            "request_id={request_id} after the response: 1 write"
        ));
        d1(&format!(
            "select last_used_secs, last_used_at from api_keys where id = '{id}'"
        ))[0]
            .clone()
    };
    let first = used(&format!("used-{}", uuid::Uuid::new_v4().simple()));
    assert!(
        first["last_used_at"].as_str().unwrap().ends_with('Z'),
        "{first}"
    );
    let listed = get(&keys_path(&org)).token(&owner.token).send().ok();
    assert_eq!(listed["data"][0]["last_used_at"], first["last_used_at"]);
    // A minute later it moves again.
    d1(&format!(
        "update api_keys set last_used_secs = last_used_secs - 61 where id = '{id}'"
    ));
    let second = used(&format!("used-{}", uuid::Uuid::new_v4().simple()));
    assert!(
        second["last_used_secs"].as_i64() > first["last_used_secs"].as_i64().map(|s| s - 61),
        "{second}"
    );
}

#[test]
fn a_key_over_its_rate_limit_gets_a_429_from_the_binding() {
    let limited = spawn_local_worker(&["--api-key-limit", "3"]);
    let token = limited.verified_user_token("limited@example.com");
    let org = limited
        .request("POST", &paths::organizations())
        .token(&token)
        .json(&json!({"name": "Limited", "avatar_image": AVATAR}))
        .ok();
    let path = paths::organization(org["id"].as_str().unwrap());
    let key = limited
        .request("POST", &format!("{path}/api-keys"))
        .token(&token)
        .json(&json!({"name": "busy", "scopes": [READ]}))
        .ok()["key"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        limited.request("GET", &path).token(&key).send().expect(200);
    }
    let r = limited.request("GET", &path).token(&key).send();
    r.assert_detail(429, "Rate limit exceeded");
    assert_eq!(r.header("Retry-After"), Some("60"));
    // Per key: the user's token is not counted with it.
    limited
        .request("GET", &path)
        .token(&token)
        .send()
        .expect(200);
}
