//! The permission matrix of every organization operation, and the order of
//! its checks: a missing organization is a 404 before any permission check.

use crate::helpers::*;
use serde_json::{json, Value};

#[test]
fn the_permission_matrix_holds_for_every_organization_operation() {
    let app = app();
    let (owner, member, org) = org_with_member();
    let org_id = org.id.as_str();
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    let outsider = signup_user();
    let inactive = signup_user();
    let _: Value = app.add_organization_member(&owner, org_id, &inactive.id, 200);
    let deactivate = json!({"is_active": false});
    let _: UserPublic = app.update_user(&superuser_token(), &inactive.id, &deactivate, 200);
    let target = signup_user();
    let nobody = uuid::Uuid::new_v4().to_string();
    // (operation, method, path, body, and the status for each caller:
    // anonymous, outsider, member, admin, owner, inactive, superuser)
    type Case<'a> = (&'a str, &'a str, String, Option<Value>, [u16; 7]);
    let cases: [Case; 9] = [
        (
            "read",
            "GET",
            paths::organization(org_id),
            None,
            [401, 403, 200, 200, 200, 400, 200],
        ),
        (
            "members",
            "GET",
            paths::members(org_id),
            None,
            [401, 403, 200, 200, 200, 400, 200],
        ),
        (
            "update",
            "PUT",
            paths::organization(org_id),
            Some(json!({"description": "d"})),
            [401, 403, 403, 200, 200, 400, 200],
        ),
        (
            "transfer to an unknown user",
            "PUT",
            paths::organization(org_id),
            Some(json!({ "owner_id": nobody })),
            [401, 403, 403, 403, 404, 400, 404],
        ),
        (
            "add member",
            "POST",
            paths::members(org_id),
            Some(json!({ "user_id": nobody })),
            [401, 403, 403, 404, 404, 400, 404],
        ),
        (
            "remove other",
            "DELETE",
            paths::member(org_id, &target.id),
            None,
            [401, 403, 403, 404, 404, 400, 404],
        ),
        (
            "change a role",
            "PATCH",
            paths::member(org_id, &target.id),
            Some(json!({"role": "admin"})),
            [401, 403, 403, 403, 404, 400, 404],
        ),
        (
            "invite",
            "POST",
            paths::invitations(org_id),
            Some(json!({"email": "x@members.example.com", "role": "member"})),
            [401, 403, 403, 200, 409, 400, 409],
        ),
        (
            "list invitations",
            "GET",
            paths::invitations(org_id),
            None,
            [401, 403, 403, 200, 200, 400, 200],
        ),
    ];
    let su = superuser_token();
    let callers = [
        ("anonymous", None),
        ("outsider", Some(outsider.token.as_str())),
        ("member", Some(member.token.as_str())),
        ("admin", Some(admin.token.as_str())),
        ("owner", Some(owner.token.as_str())),
        ("inactive", Some(inactive.token.as_str())),
        ("superuser", Some(su.as_str())),
    ];
    for (name, method, path, body, expected) in &cases {
        for ((who, token), status) in callers.iter().zip(expected) {
            let r = app.exchange(method, path, token, Body::json_or_none(body.as_ref()));
            assert_eq!(r.status, *status, "{name} as {who}: {}", r.text);
        }
    }
    // delete last: outsider, member and admin are refused, the owner succeeds.
    for who in [&outsider, &member, &admin] {
        let refused: Detail = app.delete_organization(who, org_id, 403);
        assert_eq!(refused, Detail::new("Not enough permissions"));
    }
    let refused: Detail = app.delete_organization(&ANONYMOUS, org_id, 401);
    assert_eq!(refused, Detail::new("Not authenticated"));
    let deleted: Message = app.delete_organization(&owner, org_id, 200);
    assert_eq!(deleted.message, "Organization deleted successfully");
    let second = new_organization(&owner, "second");
    let deleted: Message = app.delete_organization(&su, &second.id, 200);
    assert_eq!(deleted.message, "Organization deleted successfully");
}

#[test]
fn a_missing_organization_is_a_404_before_any_permission_check() {
    let app = app();
    let outsider = signup_user();
    let missing = uuid::Uuid::new_v4().to_string();
    let refusals: [Detail; 6] = [
        app.read_organization(&outsider, &missing, 404),
        app.update_organization(&outsider, &missing, &json!({"name": "x"}), 404),
        app.delete_organization(&outsider, &missing, 404),
        app.read_organization_members(&outsider, &missing, "", 404),
        app.add_organization_member(&outsider, &missing, &outsider.id, 404),
        app.remove_organization_member(&outsider, &missing, &outsider.id, 404),
    ];
    for refused in refusals {
        assert_eq!(refused, Detail::new("Organization not found"));
    }
}
