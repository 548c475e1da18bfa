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
                    let r = post(&paths::signup())
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
    let org = new_organization(&owner.token, "Race");
    let path = paths::members(org.id.as_str());
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

/// Runs `first` and `second` for every setup at once, all released together by
/// one barrier, and returns each pair of responses.
fn race_pairs<S: Sync>(
    setups: &[S],
    first: impl Fn(&S) -> Resp + Sync,
    second: impl Fn(&S) -> Resp + Sync,
) -> Vec<(Resp, Resp)> {
    let start = std::sync::Barrier::new(2 * setups.len());
    thread::scope(|s| {
        let handles: Vec<_> = setups
            .iter()
            .map(|setup| {
                let (start, first, second) = (&start, &first, &second);
                let a = s.spawn(move || {
                    start.wait();
                    first(setup)
                });
                let b = s.spawn(move || {
                    start.wait();
                    second(setup)
                });
                (a, b)
            })
            .collect();
        handles
            .into_iter()
            .map(|(a, b)| (a.join().unwrap(), b.join().unwrap()))
            .collect()
    })
}

/// Twenty organizations, each owned by one user with another as a member.
fn twenty_orgs_with_a_member() -> Vec<(TestUser, TestUser, String)> {
    (0..20)
        .map(|_| {
            let (owner, member, org) = org_with_member();
            (owner, member, org.id.as_str().to_string())
        })
        .collect()
}

/// Twenty organizations at once, each with an ownership transfer to a member
/// and that member leaving, both released by one barrier so that they reach the
/// worker together. Whichever D1 applies first, the owner is a member
/// afterwards: the transfer checks membership inside its UPDATE, the removal
/// refuses the owner inside its DELETE. Which order D1 applies is not the
/// test's to choose, so it does not assert that both ran (that would fail by
/// chance): every pair is held to the invariant whatever its order, and
/// `each_order_of_a_transfer_and_a_removal_keeps_the_owner_a_member` runs
/// both orders one after the other.
#[test]
fn a_transfer_racing_a_removal_never_leaves_an_owner_who_is_not_a_member() {
    let setups = twenty_orgs_with_a_member();
    let outcomes = race_pairs(
        &setups,
        |(owner, member, org_id)| {
            put(&paths::organization(org_id))
                .token(&owner.token)
                .json(&json!({"owner_id": member.id}))
        },
        |(_, member, org_id)| {
            delete(&paths::member(org_id, &(member.id)))
                .token(&member.token)
                .send()
        },
    );
    for ((_, _, org_id), (t, r)) in setups.iter().zip(&outcomes) {
        assert!(t.status < 500 && r.status < 500, "{} {}", t.text, r.text);
        let (transfer, removal) = (t.status, r.status);
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
}

/// Both orders of the race above, one after the other: the transfer first
/// (the new owner cannot leave: 400), and the removal first (the transfer to a
/// former member is a 400).
#[test]
fn each_order_of_a_transfer_and_a_removal_keeps_the_owner_a_member() {
    let transfer = |owner: &TestUser, member: &TestUser, org_id: &str| {
        put(&paths::organization(org_id))
            .token(&owner.token)
            .json(&json!({"owner_id": member.id}))
            .status
    };
    let removal = |member: &TestUser, org_id: &str| {
        delete(&paths::member(org_id, &(member.id)))
            .token(&member.token)
            .send()
            .status
    };
    let owner_is_member = |org_id: &str| {
        d1(&format!(
            "select exists(select 1 from organization_members m join organizations o on o.id = m.organization_id \
             and m.user_id = o.owner_id where o.id = '{org_id}') as owner_is_member"
        ))[0]["owner_is_member"]
            .clone()
    };
    let mut setups = twenty_orgs_with_a_member().into_iter().take(2);
    let (owner, member, org_id) = setups.next().unwrap();
    assert_eq!(
        (
            transfer(&owner, &member, &org_id),
            removal(&member, &org_id)
        ),
        (200, 400)
    );
    assert_eq!(owner_is_member(&org_id), 1);
    let (owner, member, org_id) = setups.next().unwrap();
    assert_eq!(
        (
            removal(&member, &org_id),
            transfer(&owner, &member, &org_id)
        ),
        (200, 400)
    );
    assert_eq!(owner_is_member(&org_id), 1);
}

/// Twenty organizations at once: the owner deletes each while a superuser
/// transfers it to a member, both released by one barrier. The delete checks
/// ownership again inside its own statements, so it can never succeed after the
/// transfer took ownership away: one of the two wins, never both (a delete that
/// passed its access check before the transfer answers 403 and changes nothing).
#[test]
fn an_owner_deleting_while_ownership_moves_away_never_both_succeed() {
    let admin = superuser_token();
    let setups = twenty_orgs_with_a_member();
    let outcomes = race_pairs(
        &setups,
        |(owner, _, org_id)| {
            delete(&paths::organization(org_id))
                .token(&owner.token)
                .send()
        },
        |(_, member, org_id)| {
            put(&paths::organization(org_id))
                .token(&admin)
                .json(&json!({"owner_id": member.id}))
        },
    );
    let statuses: Vec<(u16, u16)> = outcomes.iter().map(|(d, t)| (d.status, t.status)).collect();
    for (deletion, transfer) in &statuses {
        assert!(
            matches!((deletion, transfer), (200, 404) | (403, 200)),
            "delete {deletion} / transfer {transfer}: {statuses:?}"
        );
    }
}
