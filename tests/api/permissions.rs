//! The permission matrix of every organization operation, and the order of
//! its checks: a missing organization is a 404 before any permission check.

use crate::helpers::*;
use serde_json::json;

#[test]
fn the_permission_matrix_holds_for_every_organization_operation() {
    let (owner, member, org) = org_with_member();
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    let outsider = signup_user();
    let inactive = signup_user();
    add_member(&owner.token, &org, &inactive.id).expect(200);
    patch(&format!("/api/v1/users/{}", inactive.id))
        .token(&superuser_token())
        .json(&json!({"is_active": false}))
        .expect(200);
    let p = org_path(&org);
    let target = signup_user();
    // (operation, anonymous, outsider, member, admin, owner, inactive, superuser)
    type Call<'a> = Box<dyn Fn(Option<&str>) -> Resp + 'a>;
    let with = |req: Req, t: Option<&str>| match t {
        Some(t) => req.token(t),
        None => req,
    };
    let cases: Vec<(&str, Call, [u16; 7])> = vec![
        (
            "read",
            Box::new(|t| with(get(&p), t).send()),
            [401, 403, 200, 200, 200, 400, 200],
        ),
        (
            "members",
            Box::new(|t| with(get(&format!("{p}/members")), t).send()),
            [401, 403, 200, 200, 200, 400, 200],
        ),
        (
            "update",
            Box::new(|t| with(put(&p), t).json(&json!({"description": "d"}))),
            [401, 403, 403, 200, 200, 400, 200],
        ),
        (
            "transfer to an unknown user",
            Box::new(|t| with(put(&p), t).json(&json!({"owner_id": uuid::Uuid::new_v4()}))),
            [401, 403, 403, 403, 404, 400, 404],
        ),
        (
            "add member",
            Box::new(|t| {
                with(post(&format!("{p}/members")), t)
                    .json(&json!({"user_id": uuid::Uuid::new_v4()}))
            }),
            [401, 403, 403, 404, 404, 400, 404],
        ),
        (
            "remove other",
            Box::new(|t| with(delete(&format!("{p}/members/{}", target.id)), t).send()),
            [401, 403, 403, 404, 404, 400, 404],
        ),
        (
            "change a role",
            Box::new(|t| {
                with(patch(&format!("{p}/members/{}", target.id)), t)
                    .json(&json!({"role": "admin"}))
            }),
            [401, 403, 403, 403, 404, 400, 404],
        ),
        (
            "invite",
            Box::new(|t| {
                with(post(&format!("{p}/invitations")), t)
                    .json(&json!({"email": "x@members.example.com", "role": "member"}))
            }),
            [401, 403, 403, 200, 409, 400, 409],
        ),
        (
            "list invitations",
            Box::new(|t| with(get(&format!("{p}/invitations")), t).send()),
            [401, 403, 403, 200, 200, 400, 200],
        ),
    ];
    let su = superuser_token();
    let tokens = [
        None,
        Some(outsider.token.as_str()),
        Some(member.token.as_str()),
        Some(admin.token.as_str()),
        Some(owner.token.as_str()),
        Some(inactive.token.as_str()),
        Some(su.as_str()),
    ];
    for (name, call, expected) in &cases {
        for (who, (token, status)) in [
            "anonymous",
            "outsider",
            "member",
            "admin",
            "owner",
            "inactive",
            "superuser",
        ]
        .iter()
        .zip(tokens.iter().zip(expected))
        {
            let r = call(*token);
            assert_eq!(r.status, *status, "{name} as {who}: {}", r.text);
        }
    }
    // delete last: outsider and member are refused, the owner succeeds.
    with(delete(&p), Some(&outsider.token))
        .send()
        .assert_detail(403, "Not enough permissions");
    with(delete(&p), Some(&member.token))
        .send()
        .assert_detail(403, "Not enough permissions");
    with(delete(&p), Some(&admin.token))
        .send()
        .assert_detail(403, "Not enough permissions");
    with(delete(&p), None)
        .send()
        .assert_detail(401, "Not authenticated");
    with(delete(&p), Some(&owner.token))
        .send()
        .assert(200, json!({"message": "Organization deleted successfully"}));
    let org2 = create_org(&owner.token, "second");
    delete(&org_path(&org2))
        .token(&superuser_token())
        .send()
        .assert(200, json!({"message": "Organization deleted successfully"}));
}

#[test]
fn a_missing_organization_is_a_404_before_any_permission_check() {
    let outsider = signup_user();
    let p = format!("/api/v1/organizations/{}", uuid::Uuid::new_v4());
    for r in [
        get(&p).token(&outsider.token).send(),
        put(&p).token(&outsider.token).json(&json!({"name": "x"})),
        delete(&p).token(&outsider.token).send(),
        get(&format!("{p}/members")).token(&outsider.token).send(),
        post(&format!("{p}/members"))
            .token(&outsider.token)
            .json(&json!({"user_id": outsider.id})),
        delete(&format!("{p}/members/{}", outsider.id))
            .token(&outsider.token)
            .send(),
    ] {
        r.assert_detail(404, "Organization not found");
    }
}
