//! `POST /organizations/{id}/migrate-resources`: rules, counts, atomicity.

use crate::helpers::*;
use serde_json::{json, Value};
use users_orgs_api::resources::RESOURCE_TABLES;

fn migrate(token: &str, org_id: &str, body: &Value) -> Resp {
    let path = paths::migrate_resources(org_id);
    app().exchange("POST", &path, token, Body::json(body))
}

/// SQL inserting `n` rows into `table` owned by `owner` in `org` (null = personal).
fn seed(table: &str, owner: &str, org: Option<&str>, n: usize) -> String {
    let org = org.map_or("null".to_string(), |o| format!("'{o}'"));
    format!(
        "insert into {table} (id, owner_id, organization_id, name, created_at, updated_at) \
         with recursive k(i) as (select 1 union all select i + 1 from k where i < {n}) \
         select lower(hex(randomblob(16))), '{owner}', {org}, '{table} ' || i, '2020-01-01T00:00:00.000000Z', \
         '2020-01-01T00:00:00.000000Z' from k;\n"
    )
}

fn counts(pairs: &[(&str, u64)]) -> Value {
    let mut m = serde_json::Map::new();
    for t in RESOURCE_TABLES {
        let n = pairs.iter().find(|(k, _)| *k == t).map_or(0, |(_, n)| *n);
        m.insert(t.to_string(), json!(n));
    }
    Value::Object(m)
}

/// An organization (owned by a fresh user) with `member` in it.
fn setup() -> (TestUser, String) {
    let owner = signup_user();
    let member = signup_user();
    let org = new_organization(&owner, "Migration target");
    let _: Page<MemberPublic> = app().add_organization_member(&owner, &org.id, &member.id, 200);
    (member, org.id)
}

#[test]
fn only_superusers_may_migrate_even_the_owner_is_refused() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "x");
    let org_id = org.id.as_str();
    migrate(
        &owner.token,
        org_id,
        &json!({"user_id": owner.id, "migrate_products": true}),
    )
    .assert_detail(403, "The user doesn't have enough privileges");
    migrate(&owner.token, org_id, &json!({"bad": true}))
        .assert_detail(403, "The user doesn't have enough privileges");
    let refused: Detail = app().migrate_user_resources(&ANONYMOUS, org_id, &json!({}), 401);
    assert_eq!(refused, Detail::new("Not authenticated"));
}

#[test]
fn unknown_organizations_and_users_and_non_members_are_refused() {
    let (member, org_id) = setup();
    let outsider = signup_user();
    migrate(
        &superuser_token(),
        &uuid::Uuid::new_v4().to_string(),
        &json!({"user_id": member.id}),
    )
    .assert_detail(404, "Organization not found");
    migrate(
        &superuser_token(),
        &org_id,
        &json!({"user_id": uuid::Uuid::new_v4()}),
    )
    .assert_detail(404, "User not found");
    migrate(
        &superuser_token(),
        &org_id,
        &json!({"user_id": outsider.id}),
    )
    .assert_detail(400, "User is not a member of this organization");
}

#[test]
fn the_request_is_validated() {
    let (_, org_id) = setup();
    let body = json!({"migrate_products": true});
    migrate(&superuser_token(), &org_id, &body).assert(
        422,
        json!({"detail": [missing(json!(["body", "user_id"]), body)]}),
    );
    let r = migrate(
        &superuser_token(),
        &org_id,
        &json!({"user_id": "not-a-uuid", "migrate_styles": "sometimes", "migrate_stylists": null}),
    )
    .expect(422);
    let d = r.json()["detail"].clone();
    assert_eq!(
        (&d[0]["type"], &d[0]["loc"]),
        (&json!("uuid_parsing"), &json!(["body", "user_id"]))
    );
    assert_eq!(
        (&d[1]["type"], &d[1]["loc"]),
        (&json!("bool_parsing"), &json!(["body", "migrate_styles"]))
    );
    assert_eq!(
        (&d[2]["type"], &d[2]["loc"]),
        (&json!("bool_type"), &json!(["body", "migrate_stylists"]))
    );
    let anyone = json!({"user_id": uuid::Uuid::new_v4()});
    let refused: Validation =
        app().migrate_user_resources(&superuser_token(), "nope", &anyone, 422);
    assert_eq!(refused.locations(), ["path.organization_id"]);
}

#[test]
fn exactly_the_selected_personal_rows_of_the_user_move_and_a_second_call_moves_none() {
    let (member, org_id) = setup();
    let other = signup_user();
    let other_org = new_organization(&member.token, "Elsewhere");
    let other_org_id = other_org.id.as_str();
    let mut sql = String::new();
    sql += &seed("products", &member.id, None, 5);
    sql += &seed("styles", &member.id, None, 3);
    sql += &seed("export_configurations", &member.id, None, 2);
    sql += &seed("subjects", &member.id, None, 4); // not selected
    sql += &seed("products", &other.id, None, 7); // someone else's
    sql += &seed("products", &member.id, Some(other_org_id), 6); // already in another organization
    d1(&sql);
    let body = json!({"user_id": member.id, "migrate_products": true, "migrate_styles": true, "migrate_export_configurations": true, "migrate_stylists": true});
    let r = migrate(&superuser_token(), &org_id, &body).expect(200);
    let b = r.json();
    assert_eq!(
        b["migrated_counts"],
        counts(&[("products", 5), ("styles", 3), ("export_configurations", 2)])
    );
    assert_eq!(b["total_migrated"], 10);
    assert_eq!(b["organization_id"], org_id);
    assert!(
        b["message"].as_str().unwrap().contains("10"),
        "{}",
        b["message"]
    );
    let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "message",
            "organization_id",
            "migrated_counts",
            "total_migrated"
        ]
    );

    let rows = d1(&format!(
        "select 'moved' as what, count(*) as n, min(updated_at) as first, max(updated_at) as last from products where organization_id = '{org_id}' \
         union all select 'others', count(*), null, null from products where owner_id = '{o}' and organization_id is null \
         union all select 'elsewhere', count(*), null, null from products where organization_id = '{other_org_id}' \
         union all select 'subjects', count(*), null, null from subjects where owner_id = '{m}' and organization_id is null",
        o = other.id,
        m = member.id
    ));
    assert_eq!(rows[0]["n"], 5);
    // The rows were seeded with 2020's timestamps; the move stamps them all with
    // one time, later than the organization created in this test.
    let first = rows[0]["first"].as_str().unwrap();
    assert_eq!(rows[0]["last"], first, "one stamp for the whole move");
    assert!(
        first >= other_org.created_at.as_str(),
        "updated_at is the time of the move: {first}"
    );
    assert_eq!(
        (&rows[1]["n"], &rows[2]["n"], &rows[3]["n"]),
        (&json!(7), &json!(6), &json!(4))
    );

    let again = migrate(&superuser_token(), &org_id, &body).json();
    assert_eq!(
        (
            again["total_migrated"].clone(),
            again["migrated_counts"].clone()
        ),
        (json!(0), counts(&[]))
    );
}

#[test]
fn nothing_selected_moves_nothing() {
    let (member, org_id) = setup();
    d1(&seed("products", &member.id, None, 2));
    let r = migrate(&superuser_token(), &org_id, &json!({"user_id": member.id})).expect(200);
    assert_eq!(
        (
            r.json()["total_migrated"].clone(),
            r.json()["migrated_counts"].clone()
        ),
        (json!(0), counts(&[]))
    );
}

#[test]
fn a_failure_in_one_table_moves_nothing_in_any() {
    let (member, org_id) = setup();
    d1(&(seed("products", &member.id, None, 3)
        + &seed("styles", &member.id, None, 3)
        + &seed("stylists", &member.id, None, 3)));
    let fault = Trigger::create(&format!(
        "before update on styles when new.owner_id = '{}' \
         begin select raise(abort, 'styles are frozen'); end",
        member.id
    ));
    let r = migrate(
        &superuser_token(),
        &org_id,
        &json!({"user_id": member.id, "migrate_products": true, "migrate_styles": true, "migrate_stylists": true}),
    );
    r.assert_detail(500, "Internal Server Error");
    let rows = d1(&format!(
        "select count(*) as n from products where organization_id = '{org_id}' \
         union all select count(*) from styles where organization_id = '{org_id}' \
         union all select count(*) from stylists where organization_id = '{org_id}'"
    ));
    assert_eq!(
        rows,
        vec![json!({"n": 0}), json!({"n": 0}), json!({"n": 0})]
    );
    drop(fault);
    let r = migrate(
        &superuser_token(),
        &org_id,
        &json!({"user_id": member.id, "migrate_products": true, "migrate_styles": true, "migrate_stylists": true}),
    );
    assert_eq!(r.json()["total_migrated"], 9, "{}", r.text);
}
