//! Concurrent requests that race for one row: the database decides, once.

use crate::helpers::*;
use serde_json::{json, Value};
use std::thread;

#[test]
fn fifty_concurrent_signups_with_one_email_give_one_account() {
    let email = random_email();
    let statuses: Vec<(u16, Value)> = thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let email = email.clone();
                s.spawn(move || {
                    let r = post("/api/v1/users/signup")
                        .json(&json!({"email": email, "password": "password123"}));
                    (r.status, r.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let taken = statuses
        .iter()
        .filter(|(s, b)| {
            *s == 400 && b["detail"] == "The user with this email already exists in the system"
        })
        .count();
    assert_eq!((ok, taken), (1, 49), "{statuses:?}");
}

#[test]
fn twenty_concurrent_adds_of_one_member_give_one_success() {
    let owner = signup_user();
    let member = signup_user();
    let org = create_org(&owner.token, "Race");
    let path = format!(
        "/api/v1/organizations/{}/members",
        org["id"].as_str().unwrap()
    );
    let statuses: Vec<u16> = thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    post(&path)
                        .token(&owner.token)
                        .json(&json!({"user_id": member.id}))
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(get(&path).token(&owner.token).send().json()["count"], 2);
}

#[test]
fn a_transfer_racing_a_removal_never_leaves_an_owner_who_is_not_a_member() {
    for _ in 0..5 {
        let owner = signup_user();
        let member = signup_user();
        let org = create_org(&owner.token, "Race transfer");
        let org_id = org["id"].as_str().unwrap().to_string();
        let members = format!("/api/v1/organizations/{org_id}/members");
        post(&members)
            .token(&owner.token)
            .json(&json!({"user_id": member.id}))
            .expect(200);
        let (transfer, removal) = thread::scope(|s| {
            let t = s.spawn(|| {
                put(&format!("/api/v1/organizations/{org_id}"))
                    .token(&owner.token)
                    .json(&json!({"owner_id": member.id}))
            });
            let r = s.spawn(|| {
                delete(&format!("{members}/{}", member.id))
                    .token(&member.token)
                    .send()
            });
            (t.join().unwrap(), r.join().unwrap())
        });
        assert!(
            transfer.status < 500 && removal.status < 500,
            "{} {}",
            transfer.text,
            removal.text
        );
        let rows = d1(&format!(
            "select exists(select 1 from organization_members m join organizations o on o.id = m.organization_id \
             and m.user_id = o.owner_id where o.id = '{org_id}') as owner_is_member"
        ));
        assert_eq!(
            rows[0]["owner_is_member"], 1,
            "transfer {} / removal {}",
            transfer.text, removal.text
        );
    }
}
