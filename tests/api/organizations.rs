//! The Organizations section of the contract: every operation, the permission
//! matrix, ownership transfer, avatars, deletion, and how users meet organizations.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn creating_an_organization_makes_the_caller_owner_and_member() {
    let app = app();
    let owner = signup_user();
    let body: Value = app.create_organization(&owner, &NewOrganization::named("Acme Studio"), 200);
    assert_eq!(
        field_names(&body),
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
    let org: OrganizationPublic = serde_json::from_value(body).unwrap();
    let media = org.avatar_image_media.clone().expect("an avatar");
    assert_eq!(
        org,
        OrganizationPublic {
            name: "Acme Studio".into(),
            owner_id: owner.id.clone(),
            rework_available: 2,
            description: None,
            require_mfa: false,
            avatar_image_url: AVATAR.into(),
            ..org.clone()
        }
    );
    assert_eq!(
        media,
        MediaResource {
            url: AVATAR.into(),
            resource_type: "image".into(),
            extension: "png".into(),
            protected: false,
            ..media.clone()
        }
    );
    assert_eq!(media.content_hash.len(), 64);
    let members: Page<MemberPublic> = app.read_organization_members(&owner, &org.id, "", 200);
    assert_eq!(
        members.data,
        [MemberPublic {
            user_id: owner.id.clone(),
            email: owner.email.clone(),
            full_name: Some("Test User".into()),
            role: "owner".into(),
            joined_at: members.data[0].joined_at.clone(),
        }]
    );
    assert_eq!(members.count, 1);
}

#[test]
fn an_avatar_may_be_a_media_object() {
    let owner = signup_user();
    let new_org = json!({
        "name": "Media", "description": "with media",
        "avatar_image": {"url": "https://cdn.example.com/a.jpg", "width": 400, "height": 200, "alt_text": "logo", "protected": true}
    });
    let org: OrganizationPublic = app().create_organization(&owner, &new_org, 200);
    let media = org.avatar_image_media.expect("an avatar");
    assert_eq!(
        media,
        MediaResource {
            width: Some(400),
            height: Some(200),
            aspect_ratio: Some(2.0),
            orientation: Some("landscape".into()),
            alt_text: Some("logo".into()),
            protected: true,
            ..media.clone()
        }
    );
    assert_eq!(org.avatar_image_url, "https://cdn.example.com/a.jpg");
}

#[test]
fn only_superusers_set_rework_available() {
    let app = app();
    let (user, admin) = (signup_user(), superuser_token());
    let with_five = json!({"name": "x", "avatar_image": AVATAR, "rework_available": 5});
    let refused: Detail = app.create_organization(&user, &with_five, 403);
    assert_eq!(
        refused,
        Detail::new("The user doesn't have enough privileges")
    );
    let org: OrganizationPublic = app.create_organization(&admin, &with_five, 200);
    assert_eq!(org.rework_available, 5);

    let mine = new_organization(&user, "mine");
    let nine = json!({"rework_available": 9});
    let refused: Detail = app.update_organization(&user, &mine.id, &nine, 403);
    assert_eq!(
        refused,
        Detail::new("The user doesn't have enough privileges")
    );
    let updated: OrganizationPublic = app.update_organization(&admin, &mine.id, &nine, 200);
    assert_eq!(updated.rework_available, 9);
}

#[test]
fn organization_bodies_are_validated() {
    let app = app();
    let u = signup_user();
    let body = json!({"name": "n"});
    let refused: Value = app.create_organization(&u, &body, 422);
    assert_eq!(
        refused,
        json!({"detail": [missing(json!(["body", "avatar_image"]), body)]})
    );

    let too_long =
        json!({"name": "x".repeat(256), "avatar_image": AVATAR, "description": "d".repeat(1001)});
    let refused: Validation = app.create_organization(&u, &too_long, 422);
    assert_eq!(refused.locations(), ["body.name", "body.description"]);
    assert_eq!(refused.detail[0].kind, "string_too_long");
    assert_eq!(refused.detail[1].kind, "string_too_long");
    assert_eq!(refused.detail[1].ctx, Some(json!({"max_length": 1000})));

    for bad in [
        json!("ftp://example.com/a.png"),
        json!("not a url"),
        json!("javascript:alert(1)"),
        json!(42),
        json!([AVATAR]),
    ] {
        let refused: Validation =
            app.create_organization(&u, &json!({"name": "n", "avatar_image": bad}), 422);
        assert_eq!(refused.locations(), ["body.avatar_image"], "{bad}");
        assert_eq!(refused.detail[0].input, bad);
    }
    let refused: Validation =
        app.create_organization(&u, &json!({"name": 5, "avatar_image": AVATAR}), 422);
    assert_eq!(refused.detail[0].kind, "string_type");
}

#[test]
fn the_organization_list_shows_members_their_own_and_superusers_all() {
    let app = app();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (a, b) = (signup_user(), signup_user());
    for i in 0..3 {
        new_organization(&a, &format!("Org {tag} {i}"));
    }
    new_organization(&b, &format!("Org {tag} b"));

    let mine: Page<OrganizationPublic> = app.read_organizations(&a, &format!("search={tag}"), 200);
    let names: Vec<String> = mine.data.into_iter().map(|o| o.name).collect();
    assert_eq!(
        names,
        [2, 1, 0].map(|i| format!("Org {tag} {i}")),
        "newest first"
    );
    assert_eq!(mine.count, 3);

    let everyone: Page<OrganizationPublic> = app.read_organizations(
        &superuser_token(),
        &format!("search={}", tag.to_uppercase()),
        200,
    );
    assert_eq!(everyone.count, 4);

    let page: Page<OrganizationPublic> =
        app.read_organizations(&a, &format!("search={tag}&skip=1&limit=1"), 200);
    assert_eq!((page.count, page.data.len()), (3, 1));
    assert_eq!(page.data[0].name, format!("Org {tag} 1"));

    let fresh = signup_user();
    let none: Value = app.read_organizations(&fresh, "", 200);
    assert_eq!(none, json!({"data": [], "count": 0, "next_cursor": null}));
    let refused: Value = app.read_organizations(&fresh, "limit=1001", 422);
    assert_eq!(
        refused,
        json!({"detail": [{"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 1000", "input": "1001", "ctx": {"le": 1000}}]})
    );
}

#[test]
fn bad_uuids_in_paths_and_bodies_are_422s() {
    let app = app();
    let u = signup_user();
    let refused: Value = app.read_organization(&u, "nope", 422);
    assert_eq!(
        refused,
        json!({"detail": [{"type": "uuid_parsing", "loc": ["path", "organization_id"], "msg": "Input should be a valid UUID, invalid character: found `n` at 0", "input": "nope", "ctx": {"error": "invalid character: found `n` at 0"}}]})
    );
    let org = new_organization(&u, "x");
    let refused: Validation = app.add_organization_member(&u, &org.id, "12345", 422);
    assert_eq!(refused.locations(), ["body.user_id"]);
    assert_eq!(refused.detail[0].kind, "uuid_parsing");
    let refused: Value = app.call(
        "POST",
        &paths::members(&org.id),
        &u,
        Body::json(&json!({})),
        422,
    );
    assert_eq!(
        refused,
        json!({"detail": [missing(json!(["body", "user_id"]), json!({}))]})
    );
    let refused: Validation = app.remove_organization_member(&u, &org.id, "xyz", 422);
    assert_eq!(refused.locations(), ["path.user_id"]);
}

#[test]
fn update_changes_only_the_keys_present() {
    let app = app();
    let owner = signup_user();
    let org = new_organization(&owner, "Before");
    let updated: OrganizationPublic = app.update_organization(
        &owner,
        &org.id,
        &json!({"description": "About us", "name": null}),
        200,
    );
    assert_eq!(
        (updated.name.as_str(), updated.description.as_deref()),
        ("Before", Some("About us"))
    );
    let updated: OrganizationPublic = app.update_organization(
        &owner,
        &org.id,
        &json!({"name": "After", "description": null}),
        200,
    );
    assert_eq!(
        (updated.name.as_str(), updated.description),
        ("After", None)
    );
    assert_eq!(updated.avatar_image_media, org.avatar_image_media);
}

#[test]
fn updating_the_avatar_replaces_its_row() {
    let app = app();
    let owner = signup_user();
    let org = new_organization(&owner, "Avatar");
    let old_id = org.avatar_image_media.unwrap().id;
    let new_avatar = json!({"avatar_image": "https://cdn.example.com/new.webp"});
    let updated: OrganizationPublic = app.update_organization(&owner, &org.id, &new_avatar, 200);
    assert_eq!(updated.avatar_image_url, "https://cdn.example.com/new.webp");
    let new_id = updated.avatar_image_media.unwrap().id;
    assert_ne!(new_id, old_id);
    let rows = d1(&format!(
        "select id from media_resources where id in ('{old_id}', '{new_id}')"
    ));
    assert_eq!(rows, vec![json!({"id": new_id})]);

    let data_url = json!({"avatar_image": "data:image/png;base64,AAAA"});
    let refused: Value = app.update_organization(&owner, &org.id, &data_url, 422);
    assert_eq!(
        refused,
        json!({"detail": [{"type": "value_error", "loc": ["body", "avatar_image"], "msg": "Value error, avatar_image must be an http or https URL", "input": "data:image/png;base64,AAAA", "ctx": {"error": "avatar_image must be an http or https URL"}}]})
    );
}

#[test]
fn ownership_moves_only_to_a_member_and_the_old_owner_stays_a_member() {
    let app = app();
    let (owner, member, org) = org_with_member();
    let org_id = org.id.as_str();
    let outsider = signup_user();
    let owner_to = |id: &str| json!({ "owner_id": id });

    let nobody: Detail = app.update_organization(
        &owner,
        org_id,
        &owner_to(&uuid::Uuid::new_v4().to_string()),
        404,
    );
    assert_eq!(nobody, Detail::new("User not found"));
    let stranger: Detail = app.update_organization(&owner, org_id, &owner_to(&outsider.id), 400);
    assert_eq!(
        stranger,
        Detail::new("The new owner must be a member of the organization")
    );
    let same: OrganizationPublic =
        app.update_organization(&owner, org_id, &owner_to(&owner.id), 200);
    assert_eq!(same.owner_id, owner.id);
    let moved: OrganizationPublic =
        app.update_organization(&owner, org_id, &owner_to(&member.id), 200);
    assert_eq!(moved.owner_id, member.id);

    let refused: Detail =
        app.update_organization(&owner, org_id, &json!({"name": "mine again"}), 403);
    assert_eq!(refused, Detail::new("Not enough permissions"));
    let _still_a_member: OrganizationPublic = app.read_organization(&owner, org_id, 200);
    let members: Page<MemberPublic> = app.read_organization_members(&member, org_id, "", 200);
    assert_eq!(members.count, 2);
}
