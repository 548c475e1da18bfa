//! The Organizations section of the contract: every operation, the permission
//! matrix, ownership transfer, avatars, deletion, and how users meet organizations.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn creating_an_organization_makes_the_caller_owner_and_member() {
    let owner = signup_user();
    let org = create_org(&owner.token, "Acme Studio");
    let keys = field_names(&org);
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "updated_at",
            "name",
            "avatar_image_url",
            "avatar_image_media",
            "description",
            "rework_available",
            "owner_id",
            "require_mfa"
        ]
    );
    assert_eq!(
        (
            &org["name"],
            &org["owner_id"],
            &org["rework_available"],
            &org["description"],
            &org["require_mfa"]
        ),
        (
            &json!("Acme Studio"),
            &json!(owner.id),
            &json!(2),
            &json!(null),
            &json!(false)
        )
    );
    assert_eq!(org["avatar_image_url"], AVATAR);
    let media = &org["avatar_image_media"];
    assert_eq!(
        (
            &media["url"],
            &media["resource_type"],
            &media["extension"],
            &media["protected"]
        ),
        (
            &json!(AVATAR),
            &json!("image"),
            &json!("png"),
            &json!(false)
        )
    );
    assert_eq!(media["content_hash"].as_str().unwrap().len(), 64);
    let members = get(&format!("{}/members", org_path(&org)))
        .token(&owner.token)
        .send()
        .json();
    assert_eq!(members["count"], 1);
    assert_eq!(members["data"][0]["user_id"], owner.id);
    assert_eq!(members["data"][0]["email"], owner.email);
    assert_eq!(members["data"][0]["full_name"], "Test User");
}

#[test]
fn an_avatar_may_be_a_media_object() {
    let owner = signup_user();
    let r = post("/api/v1/organizations/").token(&owner.token).json(&json!({
        "name": "Media", "description": "with media",
        "avatar_image": {"url": "https://cdn.example.com/a.jpg", "width": 400, "height": 200, "alt_text": "logo", "protected": true}
    })).expect(200);
    let media = &r.json()["avatar_image_media"];
    assert_eq!(
        (
            &media["width"],
            &media["height"],
            &media["aspect_ratio"],
            &media["orientation"]
        ),
        (&json!(400), &json!(200), &json!(2.0), &json!("landscape"))
    );
    assert_eq!(
        (&media["alt_text"], &media["protected"]),
        (&json!("logo"), &json!(true))
    );
    assert_eq!(
        r.json()["avatar_image_url"],
        "https://cdn.example.com/a.jpg"
    );
}

#[test]
fn only_superusers_set_rework_available() {
    let u = signup_user();
    post("/api/v1/organizations/")
        .token(&u.token)
        .json(&json!({"name": "x", "avatar_image": AVATAR, "rework_available": 5}))
        .assert_detail(403, "The user doesn't have enough privileges");
    let r = post("/api/v1/organizations/")
        .token(&superuser_token())
        .json(&json!({"name": "x", "avatar_image": AVATAR, "rework_available": 5}));
    assert_eq!(r.json()["rework_available"], 5);
    let org = create_org(&u.token, "mine");
    put(&org_path(&org))
        .token(&u.token)
        .json(&json!({"rework_available": 9}))
        .assert_detail(403, "The user doesn't have enough privileges");
    let r = put(&org_path(&org))
        .token(&superuser_token())
        .json(&json!({"rework_available": 9}));
    assert_eq!(r.json()["rework_available"], 9);
}

#[test]
fn organization_bodies_are_validated() {
    let u = signup_user();
    let create = |body: Value| post("/api/v1/organizations/").token(&u.token).json(&body);
    let body = json!({"name": "n"});
    create(body.clone()).assert(
        422,
        json!({"detail": [missing(json!(["body", "avatar_image"]), body)]}),
    );
    let r = create(
        json!({"name": "x".repeat(256), "avatar_image": AVATAR, "description": "d".repeat(1001)}),
    )
    .expect(422);
    let d = r.json()["detail"].clone();
    assert_eq!(
        (&d[0]["type"], &d[0]["loc"]),
        (&json!("string_too_long"), &json!(["body", "name"]))
    );
    assert_eq!(
        (&d[1]["type"], &d[1]["loc"], &d[1]["ctx"]),
        (
            &json!("string_too_long"),
            &json!(["body", "description"]),
            &json!({"max_length": 1000})
        )
    );
    for bad in [
        json!("ftp://example.com/a.png"),
        json!("not a url"),
        json!("javascript:alert(1)"),
        json!(42),
        json!([AVATAR]),
    ] {
        let r = create(json!({"name": "n", "avatar_image": bad})).expect(422);
        assert_eq!(
            r.json()["detail"][0]["loc"],
            json!(["body", "avatar_image"]),
            "{bad}"
        );
        assert_eq!(r.json()["detail"][0]["input"], bad);
    }
    let r = create(json!({"name": 5, "avatar_image": AVATAR}));
    assert_eq!(r.json()["detail"][0]["type"], "string_type");
}

#[test]
fn the_organization_list_shows_members_their_own_and_superusers_all() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let a = signup_user();
    let b = signup_user();
    for i in 0..3 {
        create_org(&a.token, &format!("Org {tag} {i}"));
    }
    create_org(&b.token, &format!("Org {tag} b"));
    let mine = get(&format!("/api/v1/organizations/?search={tag}"))
        .token(&a.token)
        .send()
        .json();
    assert_eq!(mine["count"], 3);
    let names: Vec<&str> = mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            format!("Org {tag} 2"),
            format!("Org {tag} 1"),
            format!("Org {tag} 0")
        ]
    );
    let all = get(&format!(
        "/api/v1/organizations/?search={}",
        tag.to_uppercase()
    ))
    .token(&superuser_token())
    .send()
    .json();
    assert_eq!(all["count"], 4);
    let page = get(&format!(
        "/api/v1/organizations/?search={tag}&skip=1&limit=1"
    ))
    .token(&a.token)
    .send()
    .json();
    assert_eq!(
        (
            page["count"].clone(),
            page["data"].as_array().unwrap().len()
        ),
        (json!(3), 1)
    );
    assert_eq!(page["data"][0]["name"], format!("Org {tag} 1"));
    let fresh = signup_user();
    get("/api/v1/organizations")
        .token(&fresh.token)
        .send()
        .assert(200, json!({"data": [], "count": 0, "next_cursor": null}));
    get("/api/v1/organizations/?limit=1001").token(&fresh.token).send().assert(
        422,
        json!({"detail": [{"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 1000", "input": "1001", "ctx": {"le": 1000}}]}),
    );
}

#[test]
fn bad_uuids_in_paths_and_bodies_are_422s() {
    let u = signup_user();
    get("/api/v1/organizations/nope").token(&u.token).send().assert(
        422,
        json!({"detail": [{"type": "uuid_parsing", "loc": ["path", "organization_id"], "msg": "Input should be a valid UUID, invalid character: found `n` at 0", "input": "nope", "ctx": {"error": "invalid character: found `n` at 0"}}]}),
    );
    let org = create_org(&u.token, "x");
    let r = add_member(&u.token, &org, "12345").expect(422);
    assert_eq!(
        (
            &r.json()["detail"][0]["type"],
            &r.json()["detail"][0]["loc"]
        ),
        (&json!("uuid_parsing"), &json!(["body", "user_id"]))
    );
    post(&format!("{}/members", org_path(&org)))
        .token(&u.token)
        .json(&json!({}))
        .assert(
            422,
            json!({"detail": [missing(json!(["body", "user_id"]), json!({}))]}),
        );
    let r = delete(&format!("{}/members/xyz", org_path(&org)))
        .token(&u.token)
        .send();
    assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "user_id"]));
}

#[test]
fn update_changes_only_the_keys_present() {
    let owner = signup_user();
    let org = create_org(&owner.token, "Before");
    let r = put(&org_path(&org))
        .token(&owner.token)
        .json(&json!({"description": "About us", "name": null}));
    assert_eq!(
        (&r.json()["name"], &r.json()["description"]),
        (&json!("Before"), &json!("About us"))
    );
    let r = put(&org_path(&org))
        .token(&owner.token)
        .json(&json!({"name": "After", "description": null}));
    assert_eq!(
        (&r.json()["name"], &r.json()["description"]),
        (&json!("After"), &json!(null))
    );
    assert_eq!(r.json()["avatar_image_media"], org["avatar_image_media"]);
}

#[test]
fn updating_the_avatar_replaces_its_row() {
    let owner = signup_user();
    let org = create_org(&owner.token, "Avatar");
    let old_id = org["avatar_image_media"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = put(&org_path(&org))
        .token(&owner.token)
        .json(&json!({"avatar_image": "https://cdn.example.com/new.webp"}))
        .expect(200);
    assert_eq!(
        r.json()["avatar_image_url"],
        "https://cdn.example.com/new.webp"
    );
    let new_id = r.json()["avatar_image_media"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_id, old_id);
    let rows = d1(&format!(
        "select id from media_resources where id in ('{old_id}', '{new_id}')"
    ));
    assert_eq!(rows, vec![json!({"id": new_id})]);
    put(&org_path(&org)).token(&owner.token).json(&json!({"avatar_image": "data:image/png;base64,AAAA"})).assert(
        422,
        json!({"detail": [{"type": "value_error", "loc": ["body", "avatar_image"], "msg": "Value error, avatar_image must be an http or https URL", "input": "data:image/png;base64,AAAA", "ctx": {"error": "avatar_image must be an http or https URL"}}]}),
    );
}

#[test]
fn ownership_moves_only_to_a_member_and_the_old_owner_stays_a_member() {
    let (owner, member, org) = org_with_member();
    let outsider = signup_user();
    let p = org_path(&org);
    put(&p)
        .token(&owner.token)
        .json(&json!({"owner_id": uuid::Uuid::new_v4()}))
        .assert_detail(404, "User not found");
    put(&p)
        .token(&owner.token)
        .json(&json!({"owner_id": outsider.id}))
        .assert_detail(400, "The new owner must be a member of the organization");
    let same = put(&p)
        .token(&owner.token)
        .json(&json!({"owner_id": owner.id}));
    assert_eq!(same.json()["owner_id"], owner.id);
    let r = put(&p)
        .token(&owner.token)
        .json(&json!({"owner_id": member.id}));
    assert_eq!(r.json()["owner_id"], member.id);
    put(&p)
        .token(&owner.token)
        .json(&json!({"name": "mine again"}))
        .assert_detail(403, "Not enough permissions");
    get(&p).token(&owner.token).send().expect(200); // the old owner is still a member
    let members = get(&format!("{p}/members"))
        .token(&member.token)
        .send()
        .json();
    assert_eq!(members["count"], 2);
}
