//! Hardening II: each test here failed before the fix it names (issue 11).

use crate::helpers::*;
use serde_json::{json, Value};
use std::io::{Read, Write};

fn users_search(q: &str) -> Value {
    app().read_users::<Value>(&superuser_token(), &format!("search={}", urlencode(q)), 200)
}

#[test]
fn a_search_of_any_length_is_answered_and_a_whole_email_finds_its_user() {
    let email = format!(
        "a-long-address-{}@example.com",
        uuid::Uuid::new_v4().simple()
    );
    app().create_user::<Resp>(
        &superuser_token(),
        &json!({"email": email, "password": "password123"}),
        200,
    );
    assert!(email.len() > 50, "longer than D1's LIKE pattern limit");
    let found = users_search(&email.to_uppercase());
    assert_eq!(
        (found["count"].clone(), found["data"][0]["email"].clone()),
        (json!(1), json!(email))
    );
    assert_eq!(
        users_search(&"x".repeat(1000)),
        json!({"data": [], "count": 0, "next_cursor": null})
    );
    let orgs = app().read_organizations::<Value>(
        &superuser_token(),
        &format!("search={}", "y".repeat(1000)),
        200,
    );
    assert_eq!(orgs, json!({"data": [], "count": 0, "next_cursor": null}));
}

#[test]
fn search_folds_all_of_unicode_for_users_and_organizations() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let owner = signup_user();
    app().update_user_me::<Resp>(
        &owner.token,
        &json!({"full_name": format!("élodie {tag}")}),
        200,
    );
    let found = users_search(&format!("ÉLODIE {tag}"));
    assert_eq!(found["count"], 1, "{found}");
    app().create_organization::<Resp>(
        &owner.token,
        &json!({"name": format!("Ärzte {tag}"), "avatar_image": AVATAR}),
        200,
    );
    let orgs = app().read_organizations::<Value>(
        &owner.token,
        &format!("search={}", urlencode(&format!("ärzte {tag}"))),
        200,
    );
    assert_eq!(orgs["count"], 1, "{orgs}");
}

#[test]
fn an_address_logs_in_whatever_the_case_of_its_unicode_domain() {
    let local = format!("u{}", uuid::Uuid::new_v4().simple());
    app().register_user::<Resp>(
        &json!({"email": format!("{local}@bücher.de"), "password": "password123"}),
        200,
    );
    login(&format!("{local}@BÜCHER.de"), "password123");
    // decomposed (NFD) and composed (NFC) forms are one address
    login(&format!("{local}@bu\u{308}cher.de"), "password123");
    assert_eq!(
        app().register_user::<Detail>(
            &json!({"email": format!("{local}@BU\u{308}CHER.DE"), "password": "password123"}),
            400
        ),
        Detail::new("The user with this email already exists in the system")
    );
}

#[test]
fn only_one_trailing_slash_is_optional() {
    let admin = superuser_token();
    app().read_users::<Resp>(&admin, "", 200);
    for path in [
        format!("{}/", paths::users()),
        format!("{}//", paths::users()),
        format!("{}//", paths::me()),
    ] {
        get(&path)
            .token(&admin)
            .send()
            .assert_detail(404, "Not Found");
    }
}

#[test]
fn a_body_that_is_not_declared_json_is_refused_before_it_is_parsed() {
    for body in [&b"{not json"[..], b"\xff\xfe\x00"] {
        let r = post(&paths::signup()).raw("text/plain", body);
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["type"], "model_attributes_type");
    }
}

#[test]
fn a_chunked_body_is_cut_off_at_one_mebibyte() {
    // A body without Content-Length that never ends: the worker answers 413 once
    // it has read past 1 MiB, without waiting for the rest.
    let addr = app().base_url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        paths::signup()
    )
    .unwrap();
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..20 {
        // 1.25 MiB sent, and the body is never finished
        if write!(stream, "{:x}\r\n", chunk.len()).is_err() || stream.write_all(&chunk).is_err() {
            break;
        }
        let _ = stream.write_all(b"\r\n");
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#"{"detail":"Request body too large"}"#),
        "{answer}"
    );
}

#[test]
fn skip_is_bounded_by_what_d1_binds_exactly() {
    assert_eq!(
        app().read_users::<Value>(&superuser_token(), "skip=9223372036854775807", 422),
        json!({"detail": [{"type": "less_than_equal", "loc": ["query", "skip"], "msg": "Input should be less than or equal to 9007199254740991", "input": "9223372036854775807", "ctx": {"le": 9007199254740991_i64}}]})
    );
    app().read_users::<Resp>(&superuser_token(), "skip=9007199254740991", 200);
}

#[test]
fn adding_a_member_answers_the_first_page_and_the_count() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Big");
    let org_id = org.id.as_str();
    let ids: Vec<String> = (0..120).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let users: Vec<String> = ids
        .iter()
        .map(|id| format!("('{id}', '{id}@example.com', '{id}@example.com', 'x', 0, 't', 't')"))
        .collect();
    let members: Vec<String> = ids
        .iter()
        .map(|id| format!("('{org_id}', '{id}', 't')"))
        .collect();
    d1(&format!(
        "insert into users (id, email, email_key, hashed_password, password_changed_at, created_at, updated_at) values {}; \
         insert into organization_members (organization_id, user_id, joined_at) values {};",
        users.join(", "),
        members.join(", ")
    ));
    let newcomer = signup_user();
    let r = add_member(&owner.token, &org, &newcomer.id).ok();
    assert_eq!(
        (r["data"].as_array().unwrap().len(), &r["count"]),
        (100, &json!(122))
    );
}

#[test]
fn a_user_deleted_while_being_added_is_a_404_not_a_500() {
    let (owner, _, org) = org_with_member();
    let doomed = signup_user();
    // The user goes between the access check and the insert: a trigger deletes
    // them as the membership row is about to be written.
    let _fault = Trigger::create(&format!(
        "before insert on organization_members when new.user_id = '{}' \
         begin delete from users where id = new.user_id; end",
        doomed.id
    ));
    add_member(&owner.token, &org, &doomed.id).assert_detail(404, "User not found");
}

#[test]
fn a_caller_deleted_while_creating_an_organization_is_a_404_not_a_500() {
    let doomed = signup_user();
    let _fault = Trigger::create(&format!(
        "before insert on organizations when new.owner_id = '{}' \
         begin delete from users where id = new.owner_id; end",
        doomed.id
    ));
    assert_eq!(
        app().create_organization::<Detail>(
            &doomed.token,
            &json!({"name": "Gone", "avatar_image": AVATAR}),
            404
        ),
        Detail::new("User not found")
    );
}

#[test]
fn a_rehash_at_login_never_undoes_a_concurrent_password_change() {
    use users_orgs_api::auth::password;
    let email = random_email();
    let id = uuid::Uuid::new_v4().to_string();
    let weak = password::hash_with_salt("old-password", b"0123456789abcdef", TEST_ITERATIONS / 2);
    d1(&format!(
        "insert into users (id, email, email_key, hashed_password, password_changed_at, created_at, updated_at) \
         values ('{id}', '{email}', '{email}', '{weak}', 0, 't', 't')"
    ));
    // The password changes between the login's check and its rehash: a trigger
    // writes a new hash when the login clears its counts (the rehash comes after).
    let key = crate::rate_limits::limit_key("login-email", &email);
    let fault = Trigger::create(&format!(
        "after delete on rate_limit_events when old.key = '{key}' \
         begin update users set hashed_password = 'changed-meanwhile' where id = '{id}'; end"
    ));
    let r = post(&paths::login()).form(&[("username", &email), ("password", "old-password")]);
    drop(fault);
    r.expect(200);
    let rows = d1(&format!(
        "select hashed_password from users where id = '{id}'"
    ));
    assert_eq!(rows, vec![json!({"hashed_password": "changed-meanwhile"})]);
}

#[test]
fn resources_whose_creator_is_gone_are_deleted_with_their_organization() {
    let (owner, member, org) = org_with_member();
    let org_id = org.id.as_str();
    let (kept, orphan) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    d1(&format!(
        "insert into products (id, owner_id, organization_id, name, created_at, updated_at) values \
         ('{kept}', '{}', '{org_id}', 'kept', 't', 't'), ('{orphan}', '{}', '{org_id}', 'orphan', 't', 't')",
        owner.id, member.id
    ));
    app().delete_user_me::<Resp>(&member.token, 200);
    delete(&paths::organization(&org.id))
        .token(&owner.token)
        .send()
        .expect(200);
    let rows = d1(&format!(
        "select id, owner_id, organization_id from products where id in ('{kept}', '{orphan}')"
    ));
    assert_eq!(
        rows,
        vec![json!({"id": kept.to_string(), "owner_id": owner.id, "organization_id": null})]
    );
}

#[test]
fn avatar_lookups_use_an_index() {
    let plan = d1("explain query plan select 1 from organizations where avatar_media_id = 'x'");
    let detail = plan[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("USING COVERING INDEX organizations_avatar_media_id"),
        "{detail}"
    );
}

#[test]
fn non_finite_numbers_and_long_unicode_domains_are_clear_422s() {
    let u = signup_user();
    assert_eq!(
        app().create_organization::<Value>(
            &u.token,
            &json!({"name": "n", "avatar_image": {"url": AVATAR, "duration": "inf"}}),
            422
        ),
        json!({"detail": [{"type": "float_parsing", "loc": ["body", "avatar_image", "duration"], "msg": "Input should be a valid number, unable to parse string as a number", "input": "inf"}]})
    );
    let label = "ü".repeat(30);
    let email = format!("a@{label}.{label}.{label}.{label}.{label}.de");
    let r = post(&paths::signup()).json(&json!({"email": email, "password": "password123"}));
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["detail"][0]["msg"],
        "value is not a valid email address: The email address is too long (55 bytes too many)."
    );
}

#[test]
fn a_wildcard_cors_origin_never_allows_credentials_and_server_timing_can_be_off() {
    let worker = spawn_worker(
        &[
            format!("SECRET_KEY={SECRET_KEY}"),
            "ENVIRONMENT=local".to_string(),
            "BACKEND_CORS_ORIGINS=*".to_string(),
            "SERVER_TIMING=off".to_string(),
        ],
        404,
    );
    let r = worker
        .request("GET", &paths::health_check())
        .header("Origin", "https://anywhere.example")
        .send()
        .expect(200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert_eq!(r.header("server-timing"), None);
}
