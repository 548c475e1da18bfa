//! What deleting an organization or a user does to memberships and resources.

use crate::helpers::*;
use serde_json::json;

#[test]
fn deleting_an_organization_returns_its_resources_to_their_creators() {
    let (owner, member, org) = org_with_member();
    let org_id = org.id.as_str();
    let p1 = uuid::Uuid::new_v4();
    let p2 = uuid::Uuid::new_v4();
    let s1 = uuid::Uuid::new_v4();
    d1(&format!(
        "insert into products (id, owner_id, organization_id, name, created_at, updated_at) values \
           ('{p1}', '{}', '{org_id}', 'p1', 't', 't'), ('{p2}', '{}', null, 'p2', 't', 't'); \
         insert into styles (id, owner_id, organization_id, name, created_at, updated_at) values ('{s1}', '{}', '{org_id}', 's1', 't', 't');",
        member.id, member.id, owner.id
    ));
    let deleted: Message = app().delete_organization(&owner, org_id, 200);
    assert_eq!(deleted.message, "Organization deleted successfully");
    let rows = d1(&format!(
        "select id, owner_id, organization_id from products where id in ('{p1}', '{p2}') \
         union all select id, owner_id, organization_id from styles where id = '{s1}' order by 1"
    ));
    let mut expected = vec![
        json!({"id": p1.to_string(), "owner_id": member.id, "organization_id": null}),
        json!({"id": p2.to_string(), "owner_id": member.id, "organization_id": null}),
        json!({"id": s1.to_string(), "owner_id": owner.id, "organization_id": null}),
    ];
    expected.sort_by_key(|row| row["id"].as_str().unwrap().to_string());
    assert_eq!(
        rows, expected,
        "each resource is back with its creator, nothing deleted"
    );
    let memberships = d1(&format!(
        "select count(*) as n from organization_members where organization_id = '{org_id}'"
    ));
    assert_eq!(memberships, vec![json!({"n": 0})]);
    let gone: Detail = app().read_organization(&owner, org_id, 404);
    assert_eq!(gone, Detail::new("Organization not found"));
}

#[test]
fn a_user_who_owns_an_organization_cannot_be_deleted() {
    let app = app();
    let owner = signup_user();
    let org = new_organization(&owner, "Owned");
    let conflict = Detail::new("The user owns organizations; transfer their ownership first");
    let refused: Detail = app.delete_user_me(&owner, 409);
    assert_eq!(refused, conflict);
    let refused: Detail = app.delete_user(&superuser_token(), &owner.id, 409);
    assert_eq!(refused, conflict);
    // nothing was deleted
    let _: UserPublic = app.read_user_me(&owner, 200);
    let _: OrganizationPublic = app.read_organization(&owner, &org.id, 200);
}

#[test]
fn deleting_a_user_removes_memberships_and_personal_resources_only() {
    let (owner, member, org) = org_with_member();
    let org_id = org.id.as_str();
    let personal = uuid::Uuid::new_v4();
    let shared = uuid::Uuid::new_v4();
    d1(&format!(
        "insert into products (id, owner_id, organization_id, name, created_at, updated_at) values \
           ('{personal}', '{m}', null, 'mine', 't', 't'), ('{shared}', '{m}', '{org_id}', 'ours', 't', 't');",
        m = member.id
    ));
    let deleted: Message = app().delete_user_me(&member, 200);
    assert_eq!(deleted.message, "User deleted successfully");
    let rows = d1(&format!(
        "select id, owner_id, organization_id from products where id in ('{personal}', '{shared}')"
    ));
    assert_eq!(
        rows,
        vec![json!({"id": shared.to_string(), "owner_id": null, "organization_id": org_id})]
    );
    let members: Page<MemberPublic> = app().read_organization_members(&owner, org_id, "", 200);
    assert_eq!(members.count, 1);
}
