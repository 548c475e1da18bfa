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

/// Twenty organizations at once, each with an ownership transfer to a member
/// and that member leaving, both released by one barrier so that they reach the
/// worker together. Whichever D1 applies first, the owner is a member
/// afterwards: the transfer checks membership inside its UPDATE, the removal
/// refuses the owner inside its DELETE. The status pairs show both orders ran.
#[test]
fn a_transfer_racing_a_removal_never_leaves_an_owner_who_is_not_a_member() {
    const ROUNDS: usize = 20;
    let setups: Vec<(TestUser, TestUser, String)> = (0..ROUNDS)
        .map(|_| {
            let (owner, member, org) = org_with_member();
            (owner, member, org["id"].as_str().unwrap().to_string())
        })
        .collect();
    let start = std::sync::Barrier::new(2 * ROUNDS);
    let outcomes: Vec<(u16, u16)> = thread::scope(|s| {
        let handles: Vec<_> = setups
            .iter()
            .map(|(owner, member, org_id)| {
                let start = &start;
                let transfer = s.spawn(move || {
                    start.wait();
                    put(&format!("/api/v1/organizations/{org_id}"))
                        .token(&owner.token)
                        .json(&json!({"owner_id": member.id}))
                });
                let removal = s.spawn(move || {
                    start.wait();
                    delete(&format!(
                        "/api/v1/organizations/{org_id}/members/{}",
                        member.id
                    ))
                    .token(&member.token)
                    .send()
                });
                (transfer, removal)
            })
            .collect();
        handles
            .into_iter()
            .map(|(t, r)| {
                let (t, r) = (t.join().unwrap(), r.join().unwrap());
                assert!(t.status < 500 && r.status < 500, "{} {}", t.text, r.text);
                (t.status, r.status)
            })
            .collect()
    });
    for ((_, _, org_id), (transfer, removal)) in setups.iter().zip(&outcomes) {
        let rows = d1(&format!(
            "select exists(select 1 from organization_members m join organizations o on o.id = m.organization_id \
             and m.user_id = o.owner_id where o.id = '{org_id}') as owner_is_member"
        ));
        assert_eq!(
            rows[0]["owner_is_member"], 1,
            "transfer {transfer} / removal {removal}"
        );
        // One of them won: the transfer made the member owner (whose removal is
        // then a 400, or a 404 when its check ran before the transfer and its
        // DELETE after), or the member left first (and the transfer is a 400).
        assert!(
            matches!((transfer, removal), (200, 400) | (200, 404) | (400, 200)),
            "transfer {transfer} / removal {removal}"
        );
    }
    eprintln!("transfer/removal status pairs: {outcomes:?}");
}
