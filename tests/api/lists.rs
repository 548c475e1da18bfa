//! Lists at scale: cursors on every list, counts kept by counter rows, and
//! search through the trigram index, equal to a plain scan.

use crate::helpers::*;
use crate::round_trips::d1_cost;
use serde_json::{json, Value};

/// Every item of `path` (which has a query already), page by page through
/// `next_cursor`, and the count each page gave.
fn walk(path: &str, token: &str, limit: usize) -> (Vec<Value>, Vec<i64>) {
    let (mut items, mut counts) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            None => format!("{path}&limit={limit}"),
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
        };
        let page = get(&url).token(token).send().ok();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= limit, "{page}");
        items.extend(data.iter().cloned());
        counts.push(page["count"].as_i64().unwrap());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(data.len(), limit, "only a full page has a next one: {page}");
                cursor = Some(c.to_string());
            }
            None => return (items, counts),
        }
    }
    panic!("{path} never ended");
}

fn ids(items: &[Value], key: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_cursor_walks_every_list_in_order_without_gaps_or_repeats() {
    let admin = superuser_token();
    let owner = signup_user();
    let marker = format!("walk{}", uuid::Uuid::new_v4().simple());
    let mut orgs = Vec::new();
    for i in 0..5 {
        orgs.push(new_organization(&owner.token, &format!("{marker} {i}")));
    }
    let org = &orgs[0];
    for _ in 0..5 {
        let m = signup_user();
        add_member(&owner.token, org, &m.id).expect(200);
    }
    for _ in 0..5 {
        post(&format!("{}/invitations", paths::organization(&org.id)))
            .token(&owner.token)
            .json(&json!({"email": random_email()}))
            .ok();
        login(&owner.email, &owner.password);
    }
    let p = paths::organization(&org.id);
    for (path, token, key) in [
        (
            with_query(paths::organizations(), &format!("search={marker}")),
            &owner.token,
            "id",
        ),
        (
            with_query(paths::organizations(), &format!("search={marker}")),
            &admin,
            "id",
        ),
        (format!("{p}/members?skip=0"), &owner.token, "user_id"),
        (format!("{p}/invitations?skip=0"), &owner.token, "id"),
        (
            with_query(paths::my_sessions(), "skip=0"),
            &owner.token,
            "id",
        ),
    ] {
        let whole = get(&format!("{path}&limit=1000")).token(token).send().ok();
        assert_eq!(whole["next_cursor"], Value::Null, "{whole}");
        let all = ids(whole["data"].as_array().unwrap(), key);
        assert!(all.len() >= 5, "{path}: {whole}");
        for limit in [1, 2, 4] {
            let (items, counts) = walk(&path, token, limit);
            assert_eq!(ids(&items, key), all, "{path} by {limit}");
            assert!(
                counts.iter().all(|c| *c == all.len() as i64),
                "{path}: {counts:?}"
            );
        }
    }
    // organizations newest first; members in the order they joined
    let listed = app().read_organizations::<Value>(&owner.token, &format!("search={marker}"), 200);
    let mut created: Vec<String> = orgs.iter().map(|o| o.id.clone()).collect();
    created.reverse();
    assert_eq!(ids(listed["data"].as_array().unwrap(), "id"), created);
}

#[test]
fn skip_counts_from_the_cursor_and_limit_zero_ends_the_walk() {
    let owner = signup_user();
    let marker = format!("skip{}", uuid::Uuid::new_v4().simple());
    for i in 0..4 {
        new_organization(&owner.token, &format!("{marker} {i}"));
    }
    let path = with_query(paths::organizations(), &format!("search={marker}"));
    let all = get(&path).token(&owner.token).send().ok();
    let all = ids(all["data"].as_array().unwrap(), "id");
    let first = get(&format!("{path}&limit=1"))
        .token(&owner.token)
        .send()
        .ok();
    let cursor = first["next_cursor"].as_str().unwrap();
    let after = get(&format!("{path}&limit=1&skip=1&cursor={cursor}"))
        .token(&owner.token)
        .send()
        .ok();
    assert_eq!(
        ids(after["data"].as_array().unwrap(), "id"),
        vec![all[2].clone()]
    );
    assert_eq!(after["count"], 4);
    let none = get(&format!("{path}&limit=0"))
        .token(&owner.token)
        .send()
        .ok();
    assert_eq!(none, json!({"data": [], "count": 4, "next_cursor": null}));
}

#[test]
fn a_cursor_that_the_service_did_not_make_is_a_422() {
    let admin = superuser_token();
    for bad in ["nope", "W10", "eyJ4IjoxfQ", "%E2%82%AC", &"A".repeat(300)] {
        let r = get(&with_query(paths::users(), &format!("cursor={bad}")))
            .token(&admin)
            .send();
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        let item = &r.json()["detail"][0];
        assert_eq!(item["type"], "value_error");
        assert_eq!(item["loc"], json!(["query", "cursor"]));
        assert_eq!(
            item["msg"],
            "Value error, Invalid cursor: pass the next_cursor of a previous page"
        );
    }
    // checked with the other query parameters, in one 422
    let r = get(&with_query(paths::users(), "limit=x&cursor=nope"))
        .token(&admin)
        .send();
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["detail"].as_array().unwrap().len(),
        2,
        "{}",
        r.text
    );
}

#[test]
fn a_page_after_a_cursor_reads_as_few_rows_at_any_depth() {
    let _schema = stable_schema();
    let admin = superuser_token();
    // the newest 10 users, and 10 users some 900 deep (the bench data set is
    // 1,000 users), reached once by cursor and once by skip
    let first = get(&with_query(paths::users(), "limit=10"))
        .token(&admin)
        .send();
    let (_, near) = d1_cost(&first);
    let mut cursor = first.json()["next_cursor"].as_str().unwrap().to_string();
    for _ in 0..9 {
        let page = app().read_users::<Value>(&admin, &format!("limit=100&cursor={cursor}"), 200);
        cursor = page["next_cursor"].as_str().unwrap().to_string();
    }
    let deep = get(&with_query(
        paths::users(),
        &format!("limit=10&cursor={cursor}"),
    ))
    .token(&admin)
    .send();
    assert_eq!(deep.json()["data"].as_array().unwrap().len(), 10);
    let (_, deep_rows) = d1_cost(&deep);
    let skipped = get(&with_query(paths::users(), "limit=10&skip=910"))
        .token(&admin)
        .send();
    let (_, skip_rows) = d1_cost(&skipped);
    assert!(
        deep_rows <= near + 4,
        "a page 910 deep read {deep_rows} rows, the first {near}"
    );
    assert!(skip_rows > 900, "skip reads what it skips: {skip_rows}");
}

#[test]
fn unfiltered_counts_come_from_counters_that_stay_exact() {
    let admin = superuser_token();
    let u = signup_user();
    let org = new_organization(&u.token, "Counted");
    delete(&paths::organization(&org.id))
        .token(&u.token)
        .send()
        .expect(200);
    app().delete_user::<Resp>(&admin, &u.id, 200);
    // one batch is one transaction: the counters and the tables at one moment
    let rows = d1(
        "select (select value from counters where name = 'users') = (select count(*) from users) as users; \
         select (select value from counters where name = 'organizations') = (select count(*) from organizations) as orgs",
    );
    assert_eq!(rows, vec![json!({"users": 1}), json!({"orgs": 1})]);
    let listed = app().read_users::<Value>(&admin, "limit=0", 200);
    assert!(listed["count"].as_i64().unwrap() >= 1000, "{listed}");
}

/// A small deterministic generator: the seed is printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Text of Georgian letters in both cases (Mtavruli folds to Mkhedruli since
/// Unicode 11), a Latin letter with two accents, composed or not (NFC), in
/// both cases, and spaces: nothing else in the test database holds these.
fn text(rng: &mut Rng, len: usize) -> String {
    const LETTERS: [&str; 9] = ["ა", "ბ", "გ", "Ა", "Ბ", "Გ", "Ǘ", "ǘ", "u\u{308}\u{301}"];
    (0..len)
        .map(|_| LETTERS[rng.below(LETTERS.len())])
        .collect::<String>()
        + " "
}

/// The reference: NFC, then Unicode lower case (what the service calls fold).
fn fold(s: &str) -> String {
    s.replace("u\u{308}\u{301}", "ǘ").to_lowercase()
}

#[test]
fn searches_find_exactly_what_a_plain_scan_finds() {
    let seed = uuid::Uuid::new_v4().as_u128() as u64 | 1;
    let mut rng = Rng(seed);
    let admin = superuser_token();
    let owner = signup_user();
    let mut users = Vec::new();
    let mut orgs = Vec::new();
    for _ in 0..24 {
        let len = 3 + rng.below(6);
        let name = text(&mut rng, len);
        let user = app().create_user::<Value>(
            &admin,
            &json!({"email": random_email(), "password": "password123", "full_name": name}),
            200,
        );
        users.push((user["id"].as_str().unwrap().to_string(), fold(&name)));
        let org = new_organization(&owner.token, &name);
        orgs.push((org.id.as_str().to_string(), fold(&name)));
    }
    users.reverse();
    orgs.reverse();
    let mut searches_match_a_scan = |users: &[(String, String)], orgs: &[(String, String)]| {
        for _ in 0..20 {
            let query = piece_or_new_text(&mut rng, users);
            let folded = fold(&query);
            for (path, rows, token) in [
                (&paths::users(), users, &admin),
                (&paths::organizations(), orgs, &admin),
                (&paths::organizations(), orgs, &owner.token),
            ] {
                let expected: Vec<String> = rows
                    .iter()
                    .filter(|(_, name)| name.contains(&folded))
                    .map(|(id, _)| id.clone())
                    .collect();
                let page = get(&format!("{path}?search={}&limit=1000", urlencode(&query)))
                    .token(token)
                    .send()
                    .ok();
                let found = ids(page["data"].as_array().unwrap(), "id");
                assert_eq!(
                    (found, page["count"].as_i64().unwrap()),
                    (expected.clone(), expected.len() as i64),
                    "{path} search {query:?} (seed {seed})"
                );
            }
        }
    };
    searches_match_a_scan(&users, &orgs);

    // Renamed rows are found by their new names only, deleted ones not at
    // all: the indexes drop a row's old text (the one- and two-character
    // windows are given back to FTS5 exactly as they were written).
    let mut renamed = Rng(seed.rotate_left(17) | 1);
    for (i, (id, name)) in users.iter_mut().enumerate().filter(|(i, _)| i % 3 == 0) {
        let len = 1 + renamed.below(6);
        let new_name = text(&mut renamed, len);
        let email = (i % 2 == 0).then(random_email);
        let body = match email {
            Some(email) => json!({"full_name": new_name, "email": email}),
            None => json!({"full_name": new_name}),
        };
        app().update_user::<Value>(&admin, id, &body, 200);
        *name = fold(&new_name);
    }
    for (id, name) in orgs.iter_mut().step_by(3) {
        let len = 1 + renamed.below(6);
        let new_name = text(&mut renamed, len);
        app().update_organization::<Value>(&owner.token, id, &json!({"name": new_name}), 200);
        *name = fold(&new_name);
    }
    let gone = |i: usize| i % 4 == 1;
    for (_, (id, _)) in users.iter().enumerate().filter(|(i, _)| gone(*i)) {
        app().delete_user::<Value>(&admin, id, 200);
    }
    for (_, (id, _)) in orgs.iter().enumerate().filter(|(i, _)| gone(*i)) {
        app().delete_organization::<Value>(&owner.token, id, 200);
    }
    let kept = |rows: Vec<(String, String)>| -> Vec<(String, String)> {
        rows.into_iter()
            .enumerate()
            .filter(|(i, _)| !gone(*i))
            .map(|(_, row)| row)
            .collect()
    };
    searches_match_a_scan(&kept(users), &kept(orgs));
}

/// A search's page is found one of two ways (src/lists/mod.rs, `Walk`): by
/// looking each match up when there are few, by walking the list's order when
/// there are many (the count's square above the table's size). Both answer
/// the same pages, through cursors and through `skip`, for one and for three
/// characters: 200 users (and organizations) named with a letter nothing else
/// holds take the walk, 3 named with another take the lookups.
#[test]
fn a_search_pages_alike_whether_its_matches_are_few_or_many() {
    let admin = superuser_token();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    // Seeded in SQL, in 2001, some sharing a time: older than every row of
    // the other tests, so a walk passes all of them first.
    for (marker, n) in [("ჯ", 200), ("ჭ", 3)] {
        let name = format!("{marker}{marker}{marker} {tag}");
        let tag = format!("{tag}-{n}-");
        d1(&format!(
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < {n}) \
             insert into users (id, email, email_key, hashed_password, full_name, name_key, \
             password_changed_at, created_at, updated_at) \
             select lower(hex(randomblob(16))), '{tag}' || i || '@example.com', \
             '{tag}' || i || '@example.com', 'x', '{name}', '{name}', 0, \
             printf('2001-01-01T01:%02d:%02d.000000Z', i / 180, i / 3 % 60), \
             '2001-01-01T00:00:00.000000Z' from n; \
             with recursive n(i) as (select 1 union all select i + 1 from n where i < {n}) \
             insert into organizations (id, name, name_key, owner_id, created_at, updated_at) \
             select lower(hex(randomblob(16))), '{name}', '{name}', \
             (select id from users where email_key = '{tag}1@example.com'), \
             printf('2001-01-01T01:%02d:%02d.000000Z', i / 180, i / 3 % 60), \
             '2001-01-01T00:00:00.000000Z' from n"
        ));
        for (path, table) in [
            (paths::users(), "users"),
            (paths::organizations(), "organizations"),
        ] {
            let expected: Vec<String> = d1(&format!(
                "select id from {table} where name_key = '{name}' order by created_at desc, id desc"
            ))
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
            assert_eq!(expected.len(), n);
            for search in [marker.to_string(), format!("{marker}{marker}{marker}")] {
                let read = |query: &str| -> Value {
                    get(&format!("{path}?search={}&{query}", urlencode(&search)))
                        .token(&admin)
                        .send()
                        .ok()
                };
                let mut walked = Vec::new();
                let mut query = "limit=7".to_string();
                loop {
                    let page = read(&query);
                    assert_eq!(page["count"], json!(n), "{path} {search}");
                    walked.extend(ids(page["data"].as_array().unwrap(), "id"));
                    match page["next_cursor"].as_str() {
                        Some(cursor) => query = format!("limit=7&cursor={cursor}"),
                        None => break,
                    }
                }
                assert_eq!(walked, expected, "{path} {search} through cursors");
                let skipped = read("skip=5&limit=9");
                let at = 5.min(n);
                let want = &expected[at..(at + 9).min(n)];
                assert_eq!(
                    ids(skipped["data"].as_array().unwrap(), "id"),
                    want,
                    "{path} {search} skip"
                );
            }
        }
    }
}

/// A piece of one of `rows`' names as written (any case, any form), or new
/// text, one to five characters long.
fn piece_or_new_text(rng: &mut Rng, rows: &[(String, String)]) -> String {
    if rng.below(4) == 0 {
        let len = 1 + rng.below(4);
        return text(rng, len);
    }
    let (_, name) = &rows[rng.below(rows.len())];
    let chars: Vec<char> = name.chars().collect();
    let start = rng.below(chars.len() - 1);
    let len = 1 + rng.below((chars.len() - start).min(5));
    let piece: String = chars[start..start + len].iter().collect();
    if rng.below(2) == 0 {
        piece.to_uppercase()
    } else {
        piece
    }
}

/// Lists and searches of every kind, for a superuser and for a member, each
/// first page and a page after its cursor: their statements reach the log
/// that the query-plan check (tests/logs) explains.
#[test]
fn every_kind_of_list_search_and_page_answers() {
    let admin = superuser_token();
    let u = signup_user();
    let org = new_organization(&u, "Plans Ωmega");
    for search in ["", "p", "pl", "pla", "%CF%89mega", &"x".repeat(300)] {
        for token in [&admin, &u.token] {
            app().read_organizations::<Value>(token, &format!("search={search}&limit=2"), 200);
        }
        app().read_users::<Value>(&admin, &format!("search={search}&limit=2"), 200);
    }
    // and a page after a cursor, of every list
    for path in [
        with_query(paths::users(), "limit=1"),
        with_query(paths::organizations(), "limit=1"),
        with_query(paths::members(&org.id), "limit=1"),
        with_query(paths::invitations(&org.id), "limit=1"),
        with_query(paths::my_sessions(), "limit=1"),
        with_query(paths::my_invitations(), "limit=1"),
    ] {
        let first = get(&path).token(&admin).send().json();
        if let Some(cursor) = first["next_cursor"].as_str() {
            get(&format!("{path}&cursor={cursor}"))
                .token(&admin)
                .send()
                .ok();
        }
        let mine = get(&path).token(&u.token).send().json();
        if let Some(cursor) = mine["next_cursor"].as_str() {
            get(&format!("{path}&cursor={cursor}"))
                .token(&u.token)
                .send()
                .ok();
        }
    }
}

/// The list's one item, as bytes: `{"data":[ITEM],"count":1,...}` with its data
/// array holding exactly one object.
#[track_caller]
fn only_item(list: &Resp) -> &str {
    let rest = list.text.strip_prefix("{\"data\":[").expect(&list.text);
    let end = rest.rfind("],\"count\":1,").expect(&list.text);
    &rest[..end]
}

/// Lists are assembled by SQLite (`json_object`), single answers by serde: the
/// same object must come out byte for byte, escapes and numbers included.
#[test]
fn a_list_item_is_byte_for_byte_the_single_answer() {
    let app = app();
    let admin = superuser_token();
    let tricky = "Zoë \"quoted\" back\\slash </script> ☃ 😀 \u{2028} \u{200b}end";
    let marker = format!("bytes{}", &random_email()[..8]);
    let email = format!("{marker}@example.com");
    let new_user = json!({"email": email, "password": "password123", "full_name": tricky});
    let user: Value = app.create_user(&admin, &new_user, 200);
    let id = user["id"].as_str().unwrap();
    let single: Resp = app.read_user_by_id(&admin, id, 200);
    let list: Resp = app.read_users(&admin, &format!("search={marker}"), 200);
    assert_eq!(only_item(&list), single.text);

    // Numbers: serde's shortest round trip, which SQLite's printing misses in a
    // 17th digit for some (1.5082463583283447), and both notations.
    for (duration, width, height) in [
        (1.508_246_358_328_344_7, 1000, 750),
        (0.300_000_000_000_000_04, 1920, 1080),
        (1e-7, 3, 7),
        (1e16, 1, 1),
        (29.97, 640, 480),
        (2.0, 1, 3),
    ] {
        let owner = signup_user();
        let org = json!({
            "name": tricky,
            // U+001E and U+001F: what a list joins its items and positions with (SQLite escapes them).
            "description": "line one\nline two\r\n\"quoted\" \u{1e}\u{1f}",
            "avatar_image": {"url": AVATAR, "width": width, "height": height, "duration": duration,
                             "alt_text": tricky, "caption": "\u{1F600}", "protected": true}
        });
        let created: OrganizationPublic = app.create_organization(&owner, &org, 200);
        let single: Resp = app.read_organization(&owner, &created.id, 200);
        let list: Resp = app.read_organizations(&owner, "", 200);
        assert_eq!(
            only_item(&list),
            single.text,
            "duration {duration}, {width}x{height}"
        );
    }

    // A member added: the add's answer places the new member (built by the
    // worker) among those SQLite built; the list reads it the same.
    let owner = signup_user();
    let org: OrganizationPublic =
        app.create_organization(&owner, &NewOrganization::named("m"), 200);
    let joining = signup_user();
    let update = json!({"full_name": tricky});
    let _: Value = app.update_user_me(&joining, &update, 200);
    let added: Resp = app.add_organization_member(&owner, &org.id, &joining.id, 200);
    let listed: Resp = app.read_organization_members(&owner, &org.id, "", 200);
    assert_eq!(added.text, listed.text);

    // An invitation: the create answer is the listed item and its token.
    let invite = json!({"email": format!("invited.{}", random_email()), "role": "admin"});
    let created: Resp = app.create_invitation(&owner, &org.id, &invite, 200);
    let listed: Resp = app.read_invitations(&owner, &org.id, "", 200);
    let token = created.text.rfind(",\"token\":").expect(&created.text);
    assert_eq!(format!("{}}}", &created.text[..token]), only_item(&listed));
}

/// Organizations' pages are kept in the isolate (`src/lists/kept.rs`)
/// and answered again while their rows' versions and their count stand. Each
/// answer here is checked against the single answers of its items, read
/// straight from D1, so a kept row that went stale fails it: a change the
/// service makes, one made straight in D1 (migration 0025's triggers raise the
/// version), a new row that moves the page and a count that moves alone are
/// each seen at once.
#[test]
fn a_kept_page_is_answered_again_only_while_its_rows_and_count_stand() {
    let app = app();
    let older = new_organization(&signup_user(), "Kept, older");
    let owner = signup_user();
    let a = new_organization(&owner, "Kept A");
    let b = new_organization(&owner, "Kept B");
    let page = |expected: &[&str], count: i64| {
        let list: Resp = app.read_organizations(&owner, "limit=2", 200);
        let items: Vec<String> = expected
            .iter()
            .map(|id| app.read_organization::<Resp>(&owner, id, 200).text)
            .collect();
        let head = format!("{{\"data\":[{}],\"count\":{count},", items.join(","));
        assert!(list.text.starts_with(&head), "{}\nnot {head}", list.text);
        list
    };
    let first = page(&[&b.id, &a.id], 2);
    let again = page(&[&b.id, &a.id], 2);
    assert_eq!(again.text, first.text);

    let renamed = json!({"name": "Kept A, renamed"});
    let _: Value = app.update_organization(&owner, &a.id, &renamed, 200);
    page(&[&b.id, &a.id], 2);
    d1(&format!(
        "update organizations set description = 'changed straight in D1' where id = '{}'",
        b.id
    ));
    let straight = page(&[&b.id, &a.id], 2);
    assert!(straight.text.contains("changed straight in D1"));
    let c = new_organization(&owner, "Kept C");
    let moved = page(&[&c.id, &b.id], 3);
    assert!(
        !moved.text.contains("\"next_cursor\":null"),
        "{}",
        moved.text
    );
    // An older organization joined: the page's rows stand, its count moves.
    d1(&format!(
        "insert into organization_members (organization_id, user_id, joined_at, role) \
         values ('{}', '{}', '2026-01-01T00:00:00.000000Z', 'member')",
        older.id, owner.id
    ));
    page(&[&c.id, &b.id], 4);
    page(&[&c.id, &b.id], 4);
}

/// The users list answers each user's JSON as the row holds it (`public_json`,
/// kept by migration 0027's triggers). After each write that changes what a
/// user shows, the service's own and one made straight in D1, the listed item
/// is byte for byte the single answer serde writes, with the change in it.
#[test]
fn a_listed_user_follows_every_write_that_changes_it() {
    let app = app();
    let admin = superuser_token();
    // Signed up, then MFA turned on.
    let user = crate::mfa::mfa_user().user;
    let id = user.id.clone();
    let listed_as_single = |search: &str, shows: &str| {
        let single = app.read_user_by_id::<Resp>(&admin, &id, 200).text;
        assert!(single.contains(shows), "{single} lacks {shows}");
        let listed: Resp = app.read_users(&admin, &format!("search={search}"), 200);
        assert_eq!(only_item(&listed), single);
    };
    listed_as_single(&user.email, "\"mfa_enabled\":true");

    let email = format!("renamed.{}", random_email());
    let mine = json!({"full_name": "Zoë \"listed\" \u{2028}", "email": email});
    let _: Value = app.update_user_me(&user, &mine, 200);
    listed_as_single(&email, "Zoë \\\"listed\\\" \u{2028}");

    let theirs = json!({"is_active": false, "is_superuser": true, "rework_available": 7});
    let _: Value = app.update_user(&admin, &id, &theirs, 200);
    listed_as_single(
        &email,
        "\"is_active\":false,\"is_superuser\":true,\"rework_available\":7",
    );

    let _: Value = app.reset_user_mfa(&admin, &id, 200);
    listed_as_single(&email, "\"mfa_enabled\":false");

    d1(&format!(
        "update users set email_verified = 1, created_at = '2020-02-02T00:00:00.000000Z' \
         where id = '{id}'"
    ));
    listed_as_single(&email, "\"created_at\":\"2020-02-02T00:00:00.000000Z\"");
    listed_as_single(&email, "\"email_verified\":true");
}

/// A member's organizations are one range of an index in the list's order
/// (each membership keeps its organization's time, migration 0021): a page
/// reads as many rows however many organizations the member is in, and only
/// the count walks them all. A membership written without that time, as the
/// release serving while the migration is applied writes it, gets it from the
/// migration's trigger, and takes its place in the list.
#[test]
fn a_members_page_reads_as_few_rows_at_any_number_of_organizations() {
    let _schema = stable_schema();
    let app = app();
    let owner = signup_user();
    let member = signup_user();
    let mut orgs: Vec<OrganizationPublic> = (0..30)
        .map(|i| new_organization(&owner.token, &format!("Range {i}")))
        .collect();
    let join = |orgs: &[OrganizationPublic]| {
        let values: Vec<String> = orgs
            .iter()
            .map(|o| {
                format!(
                    "('{}', '{}', '2026-01-01T00:00:00.000000Z', 'member')",
                    o.id, member.id
                )
            })
            .collect();
        d1(&format!(
            "insert into organization_members (organization_id, user_id, joined_at, role) values {}",
            values.join(", ")
        ));
    };
    let page_cost = || {
        let page: Resp = app.read_organizations(&member.token, "limit=1", 200);
        d1_cost(&page).1
    };
    // Each page below follows a change of the one the isolate keeps (see
    // `a_kept_page_...`): both read its rows' stamps, then the page.
    page_cost();
    join(&orgs[..10]);
    let at_10 = page_cost();
    join(&orgs[10..]);
    let at_30 = page_cost();
    // 20 more memberships: the page and its count (the user's own, kept by
    // triggers) read as many rows as before
    assert!(
        at_30 <= at_10 + 2,
        "a page of 1 read {at_10} rows at 10 organizations, {at_30} at 30"
    );

    let unset = d1(&format!(
        "select count(*) as n from organization_members where user_id = '{}' and org_created_at is null",
        member.id
    ));
    assert_eq!(unset, vec![json!({"n": 0})]);
    orgs.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    let listed: Page<OrganizationPublic> = app.read_organizations(&member.token, "limit=100", 200);
    let ids: Vec<&str> = listed.data.iter().map(|o| o.id.as_str()).collect();
    let expected: Vec<&str> = orgs.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, expected);
}

/// The counts an organization's members, its audit log, its invitations and
/// an endpoint's deliveries answer are kept by triggers (migrations 0022 and
/// 0023), not walked: a page reads as many rows with 40 more members, events,
/// invitations and deliveries, and says how many there are.
#[test]
fn a_page_reads_its_count_as_one_row_at_any_size() {
    let _schema = stable_schema();
    let app = app();
    let owner = signup_user();
    let org = new_organization(&owner, "Counted");
    let scope = Some(org.id.as_str());
    // Nothing listens there; disabled, it is sent no new event.
    let hook = json!({"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]});
    let endpoint: Value = app.create_webhook(&owner, scope, &hook, 200);
    let endpoint = endpoint["id"].as_str().unwrap().to_string();
    let off = json!({"enabled": false});
    let _: Value = app.update_webhook(&owner, (scope, &endpoint), &off, 200);
    let deliveries = paths::webhook(scope, &endpoint) + "/deliveries?limit=1";
    let pages = || {
        let members: Resp = app.read_organization_members(&owner, &org.id, "limit=1", 200);
        let events: Resp = app.read_organization_events(&owner, &org.id, "limit=1", 200);
        let delivered: Resp = app.call("GET", &deliveries, &owner, Body::None, 200);
        let invited: Resp = app.read_invitations(&owner, &org.id, "limit=1", 200);
        [members, events, delivered, invited]
            .map(|r| (d1_cost(&r).1, r.json()["count"].as_i64().unwrap()))
    };
    let before = pages();
    let now = "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')";
    d1(&format!(
        "insert into organization_members (organization_id, user_id, joined_at, role) \
         select '{}', id, {now}, 'member' from users where id <> '{}' and is_superuser = 0 limit 40",
        org.id, owner.id
    ));
    d1(&format!(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 40) \
         insert into events (id, type, occurred_at, organization_id, actor_type, actor_id, \
         subject_type, subject_id, data) select lower(hex(randomblob(16))), \
         'organization.updated', {now}, '{0}', 'system', null, 'organization', '{0}', '{{}}' from n",
        org.id
    ));
    d1(&format!(
        "insert into webhook_deliveries (id, endpoint_id, event_id, event_type, status, attempts, \
         created_at) select lower(hex(randomblob(16))), '{endpoint}', id, type, 'failed', 8, \
         occurred_at from events where organization_id = '{}' and type = 'organization.updated'",
        org.id
    ));
    d1(&format!(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 40) \
         insert into invitations (id, organization_id, email, email_key, role, token_hash, status, \
         created_at, expires_at) select lower(hex(randomblob(16))), '{}', 'gone' || i || \
         '@example.com', 'gone' || i || '@example.com', 'member', lower(hex(randomblob(32))), \
         'revoked', {now}, 0 from n",
        org.id
    ));
    let after = pages();
    for (list, ((rows_before, count_before), (rows_after, count_after))) in
        ["members", "events", "deliveries", "invitations"]
            .iter()
            .zip(before.iter().zip(after.iter()))
    {
        assert_eq!(
            count_after - count_before,
            40,
            "{list}: {before:?} then {after:?}"
        );
        assert!(
            rows_after <= &(rows_before + 2),
            "{list}: a page of 1 read {rows_before} rows, {rows_after} with 40 more"
        );
    }
    // A member who leaves, and an organization that goes, are counted out.
    let member = d1(&format!(
        "select user_id from organization_members where organization_id = '{}' and user_id <> '{}' limit 1",
        org.id, owner.id
    ));
    let member = member[0]["user_id"].as_str().unwrap();
    let _: Resp = app.remove_organization_member(&owner, &org.id, member, 200);
    assert_eq!(pages()[0].1, after[0].1 - 1);
    let counted = |id: &str| {
        d1(&format!(
            "select organization_count as n from users where id = '{id}'"
        ))[0]["n"]
            .clone()
    };
    let owned = counted(&owner.id);
    let _: Resp = app.delete_organization(&owner, &org.id, 200);
    assert_eq!(counted(&owner.id), json!(owned.as_i64().unwrap() - 1));
}

/// An organization's key list, and the count a new key is checked against,
/// read its unrevoked keys only (index `api_keys_live`, migration 0024):
/// revoked keys are kept, and 40 of them more read no more rows.
#[test]
fn revoked_api_keys_are_not_walked() {
    let _schema = stable_schema();
    let app = app();
    let owner = signup_user();
    let org = new_organization(&owner, "Keyed");
    let body = json!({"name": "live", "scopes": ["organization:read"]});
    // the list and a create, with the key made revoked again: each call sees
    // the same unrevoked keys
    let costs = || {
        let listed: Resp = app.read_api_keys(&owner, &org.id, 200);
        let made: Resp = app.create_api_key(&owner, &org.id, &body, 200);
        let id = made.json()["id"].as_str().unwrap().to_string();
        let _: Resp = app.revoke_api_key(&owner, &org.id, &id, 200);
        [d1_cost(&listed).1, d1_cost(&made).1]
    };
    let _: Resp = app.create_api_key(&owner, &org.id, &body, 200);
    let before = costs();
    d1(&format!(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 40) \
         insert into api_keys (id, organization_id, name, prefix, key_hash, scopes, created_by_id, \
         created_at, revoked_at) select lower(hex(randomblob(16))), '{}', 'revoked', 'uoa_revoked0', \
         lower(hex(randomblob(32))), '[\"organization:read\"]', '{}', \
         strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'), 1 from n",
        org.id, owner.id
    ));
    let after = costs();
    for (what, (b, a)) in ["list", "create"]
        .iter()
        .zip(before.iter().zip(after.iter()))
    {
        assert!(
            a <= &(b + 2),
            "{what}: {b} rows read, {a} with 40 revoked keys more"
        );
    }
    let listed: Value = app.read_api_keys(&owner, &org.id, 200);
    assert_eq!(listed["count"], json!(1));
}
