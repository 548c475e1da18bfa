//! Hardening III (issue 26): each test here failed before the fix it names.

use crate::helpers::*;
use base64ct::{Base64, Encoding};
use serde_json::{json, Value};

/// Item 1: the review's sequence. A user who points their unverified address at
/// an invitee's cannot list, accept or decline the invitation by id; the
/// invitee, once verified, still can.
#[test]
fn an_invitation_is_not_taken_by_changing_ones_address_to_the_invitees() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "Invites Only");
    let invitee = random_email();
    let invitation = post(&format!("{}/invitations", paths::organization(&org.id)))
        .token(&owner.token)
        .json(&json!({"email": invitee, "role": "admin"}))
        .ok();
    let id = invitation["id"].as_str().unwrap();
    let thief = verified_user();
    let me = app().update_user_me::<Value>(&thief.token, &json!({ "email": invitee }), 200);
    assert_eq!(me["email_verified"], false);
    assert_eq!(
        app().read_my_invitations::<Detail>(&thief.token, "", 403),
        Detail::new("Verify your email address first")
    );
    for answer in ["accept", "decline"] {
        assert_eq!(
            app().call::<Detail>(
                "POST",
                &paths::my_invitation(id, answer),
                &thief.token,
                Body::None,
                403
            ),
            Detail::new("Verify your email address first")
        );
    }
    app().update_user_me::<Resp>(&thief.token, &json!({ "email": thief.email }), 200);
    let members = d1(&format!(
        "select count(*) as n from organization_members where organization_id = '{}' and user_id = '{}'",
        org.id.as_str(),
        thief.id
    ));
    assert_eq!(members, vec![json!({"n": 0})]);
    assert_eq!(
        d1(&format!("select status from invitations where id = '{id}'")),
        vec![json!({"status": "pending"})]
    );
}

/// Item 1: the token proves the mailbox, so accepting by token needs no
/// verified address.
#[test]
fn an_unverified_invitee_still_accepts_by_token() {
    let owner = signup_user();
    let org = new_organization(&owner.token, "By Token");
    let invitee = signup_user();
    let invitation = post(&format!("{}/invitations", paths::organization(&org.id)))
        .token(&owner.token)
        .json(&json!({"email": invitee.email}))
        .ok();
    let joined = app().accept_invitation::<Value>(
        &invitee.token,
        invitation["token"].as_str().unwrap(),
        200,
    );
    assert_eq!(joined["id"], org.id);
}

const HOSTILE: &str = "x\r\n.\r\nMAIL FROM:<a@evil.example>\r\nRCPT TO:<victim@bank.example>\r\nDATA\r\nSubject: pay\r\n";

/// Item 2: a name with a line break is refused, for organizations and users.
#[test]
fn names_with_control_characters_are_refused() {
    let u = signup_user();
    let pattern = r"^[^\x00-\x1F\x7F]*$";
    let mismatch = |loc: &str, input: &str| {
        json!({"detail": [{
            "type": "string_pattern_mismatch", "loc": ["body", loc],
            "msg": format!("String should match pattern '{pattern}'"),
            "input": input, "ctx": {"pattern": pattern}}]})
    };
    assert_eq!(
        app().create_organization::<Value>(
            &u.token,
            &json!({"name": HOSTILE, "avatar_image": AVATAR}),
            422
        ),
        mismatch("name", HOSTILE)
    );
    assert_eq!(
        app().update_user_me::<Value>(&u.token, &json!({"full_name": "Eve\nBcc: x@y"}), 422),
        mismatch("full_name", "Eve\nBcc: x@y")
    );
    assert_eq!(
        app().register_user::<Value>(
            &json!({"email": random_email(), "password": "password123", "full_name": "tab\there"}),
            422
        ),
        mismatch("full_name", "tab\there")
    );
}

/// The decoded value of the `name:` header of a raw message (line ends as the
/// catcher stored them): unfolded, each RFC 2047 encoded word decoded (the
/// worker encodes every word, so anything else fails the test).
fn decoded_header(raw: &str, name: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let start = raw.find(&format!("\n{name}: ")).unwrap() + name.len() + 3;
    let mut value = String::new();
    for (i, line) in raw[start..].split('\n').enumerate() {
        if i > 0 && !line.starts_with([' ', '\t']) {
            break;
        }
        for word in line.split_whitespace() {
            let b64 = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap_or_else(|| panic!("not an encoded word: {word:?}"));
            value.push_str(&String::from_utf8(Base64::decode_vec(b64).unwrap()).unwrap());
        }
    }
    value
}

/// Item 2: a hostile organization name stored before the fix reaches the SMTP
/// server inside one message, intact in its decoded subject.
#[test]
fn a_stored_hostile_name_cannot_end_an_smtp_message_early() {
    let catcher = mail_catcher();
    let worker = spawn_local_worker(&[
        "EMAIL_PROVIDER=smtp",
        "SMTP_HOST=127.0.0.1",
        &format!("SMTP_PORT={}", catcher.port),
        "SMTP_TLS=false",
        "EMAILS_FROM_EMAIL=info@example.com",
        "PROJECT_NAME=Acme",
        &format!("FRONTEND_HOST={FRONTEND_HOST}"),
    ]);
    let token = worker.verified_user_token(&random_email());
    let org = worker
        .request("POST", &paths::organizations())
        .token(&token)
        .json(&json!({"name": "placeholder", "avatar_image": AVATAR}))
        .ok();
    let org_id = org["id"].as_str().unwrap();
    // as a name written before names were checked
    let quoted = HOSTILE.replace('\'', "''");
    worker.d1(&format!(
        "update organizations set name = '{quoted}' where id = '{org_id}'"
    ));
    let invitee = random_email();
    worker
        .request("POST", &paths::invitations(org_id))
        .token(&token)
        .json(&json!({ "email": invitee }))
        .expect(200);
    worker.log_line(" sent on attempt 1");
    let raw = catcher.message(); // exactly one message arrived
    assert!(raw.contains(&format!("To: <{invitee}>")), "{raw}");
    assert!(!raw.contains("evil.example"), "{raw}");
    assert_eq!(
        decoded_header(&raw, "Subject"),
        format!("Acme - You are invited to join {HOSTILE}")
    );
}

/// Item 7: outside local development the log provider (it prints live links)
/// and links to a loopback host are refused, naming the setting.
#[test]
fn outside_local_development_the_log_provider_and_a_localhost_frontend_refuse_to_serve() {
    let production = |more: &[&str]| {
        let mut vars = vec![
            "SECRET_KEY=production-secret-key-0123456789abcdef".to_string(),
            "ENVIRONMENT=production".to_string(),
        ];
        vars.extend(more.iter().map(|v| v.to_string()));
        vars
    };
    crate::envelope::assert_refuses_to_serve(
        &production(&[
            "EMAIL_PROVIDER=log",
            "FRONTEND_HOST=https://app.example.com",
        ]),
        "EMAIL_PROVIDER=log prints live links",
    );
    crate::envelope::assert_refuses_to_serve(
        &production(&[
            "EMAIL_PROVIDER=http",
            "EMAIL_API_URL=https://mail.example.com/send",
            "FRONTEND_HOST=http://localhost:5173",
        ]),
        "FRONTEND_HOST is \"http://localhost:5173\"",
    );
}

/// Item 14: a non-member gets the same 403 whoever they name, the owner
/// included; a member naming the owner still gets the owner's 400.
#[test]
fn a_non_member_cannot_tell_who_owns_an_organization() {
    let (owner, member, org) = org_with_member();
    let stranger = signup_user();
    let remove = |token: &str, user_id: &str| {
        delete(&format!(
            "{}/members/{user_id}",
            paths::organization(&org.id)
        ))
        .token(token)
        .send()
    };
    for named in [&owner.id, &member.id, &stranger.id] {
        remove(&stranger.token, named).assert_detail(403, "Not enough permissions");
    }
    remove(&member.token, &owner.id).assert_detail(400, "The organization owner cannot be removed");
}

/// `Server-Timing` with its durations taken out: what it says besides times.
fn timing_shape(r: &Resp) -> String {
    let timing = r.header("server-timing").expect("Server-Timing");
    timing
        .split(", ")
        .map(|entry| {
            entry
                .split(';')
                .filter(|p| !p.starts_with("dur="))
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The D1 counts of the shared worker's log line for `r` (for operators only).
fn logged_counts(r: &Resp) -> Vec<String> {
    let id = r.header("x-request-id").unwrap();
    app()
        .log_line(&format!("request_id={id} "))
        .split_whitespace()
        .filter(|w| w.starts_with("d1_"))
        .map(str::to_string)
        .collect()
}

/// Item 3: the anonymous account operations say the same in `Server-Timing`
/// whether or not the account exists, and recovery does the same D1 work.
#[test]
fn whether_an_account_exists_does_not_show_in_server_timing() {
    let _schema = stable_schema();
    let u = signup_user();
    let unknown = random_email();
    let failed_login = |email: &str| {
        post(&paths::login()).form(&[("username", email), ("password", "wrong-password")])
    };
    let (known, stranger) = (failed_login(&u.email), failed_login(&unknown));
    known.assert_detail(400, "Incorrect email or password");
    stranger.assert_detail(400, "Incorrect email or password");
    assert_eq!(timing_shape(&known), "d1, app");
    assert_eq!(timing_shape(&known), timing_shape(&stranger));
    let recover = |email: &str| post(&paths::password_recovery(email)).send();
    let (known, stranger) = (recover(&u.email), recover(&unknown));
    assert_eq!((known.status, stranger.status), (200, 200));
    let request = d1(&format!(
        "select id from outbox where recipient = '{}'",
        unknown.to_lowercase()
    ));
    assert_eq!(timing_shape(&known), timing_shape(&stranger));
    assert_eq!(logged_counts(&known), logged_counts(&stranger));
    // the consumer decides: the account's owner gets the link, and the
    // stranger's request is dropped (unless it was already when read above)
    sink().delivered(&u.email, "Password recovery");
    if let Some(id) = request.first().and_then(|r| r["id"].as_str()) {
        app().log_line(&format!(
            "email: {id} is a request with nothing to send; dropped"
        ));
    }
    let left = d1(&format!(
        "select count(*) as n from outbox where recipient = '{}'",
        unknown.to_lowercase()
    ));
    assert_eq!(left, vec![json!({"n": 0})]);
    assert!(sink().for_recipient(&unknown).is_empty());
}

/// Item 9: a replay re-checks the organization rule: an admin demoted since
/// does not get the invitation (and its token) again.
#[test]
fn a_demoted_admin_does_not_get_an_invitation_token_by_replay() {
    let (owner, admin, org) = org_with_member();
    let p = paths::organization(&org.id);
    patch(&format!("{p}/members/{}", admin.id))
        .token(&owner.token)
        .json(&json!({"role": "admin"}))
        .expect(200);
    let body = json!({"email": random_email()});
    let invite = || {
        post(&format!("{p}/invitations"))
            .token(&admin.token)
            .header("Idempotency-Key", "invite-once")
            .json(&body)
    };
    let first = invite().ok();
    assert!(first["token"].is_string());
    let again = invite();
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first);
    patch(&format!("{p}/members/{}", admin.id))
        .token(&owner.token)
        .json(&json!({"role": "member"}))
        .expect(200);
    invite().assert_detail(403, "Not enough permissions");
}

/// Item 10: a reset link dies when the password or the address changes after
/// it was sent.
#[test]
fn a_reset_link_dies_when_the_password_or_the_address_changes() {
    let reset = |token: &str| {
        post(&paths::reset_password())
            .json(&json!({"token": token, "new_password": "brand-new-pw-9"}))
    };
    // the password changes
    let u = signup_user();
    app().recover_password::<Resp>(&u.email, 200);
    let link = sink().delivered(&u.email, "Password recovery").token();
    app().update_password_me::<Resp>(
        &u.token,
        &json!({"current_password": u.password, "new_password": "changed-pw-1"}),
        200,
    );
    reset(&link).assert_detail(400, "Invalid token");
    // the address changes
    let v = signup_user();
    app().recover_password::<Resp>(&v.email, 200);
    let link = sink().delivered(&v.email, "Password recovery").token();
    app().update_user_me::<Resp>(&v.token, &json!({"email": random_email()}), 200);
    reset(&link).assert_detail(400, "Invalid token");
    // and one that nothing changed since still works
    let w = signup_user();
    app().recover_password::<Resp>(&w.email, 200);
    let link = sink().delivered(&w.email, "Password recovery").token();
    reset(&link).assert(200, json!({"message": "Password updated successfully"}));
}

/// Item 4 (and 6's last part): a request refused by one limit counts toward
/// none, so a stranger refused per (address, client) cannot use up the
/// address's looser limit; and a refused request writes no event.
#[test]
fn a_stranger_cannot_lock_a_user_out_of_login_or_recovery() {
    let worker = spawn_local_worker(&[
        "LOGIN_FAILURE_LIMIT=2",
        "LOGIN_EMAIL_FAILURE_LIMIT=3",
        "PASSWORD_RECOVERY_LIMIT_PER_HOUR=2",
        "PASSWORD_RECOVERY_EMAIL_LIMIT_PER_HOUR=3",
    ]);
    let email = random_email();
    worker.verified_user_token(&email);
    let from = |ip: &str, method: &str, path: &str| {
        worker.request(method, path).header("CF-Connecting-IP", ip)
    };
    let login = |ip: &str, password: &str| {
        from(ip, "POST", &paths::login())
            .form(&[("username", email.as_str()), ("password", password)])
    };
    let events = || worker.d1("select count(*) as n from rate_limit_events")[0]["n"].clone();
    let stranger = "198.51.100.7";
    let statuses: Vec<u16> = (0..6)
        .map(|_| login(stranger, "wrong-password").status)
        .collect();
    assert_eq!(statuses, [400, 400, 429, 429, 429, 429]);
    // two let through, each counted toward its three keys; the refused, nowhere
    assert_eq!(events(), json!(6));
    login("203.0.113.9", "password123").expect(200);
    let recover = |ip: &str| from(ip, "POST", &paths::password_recovery(&email)).send();
    let statuses: Vec<u16> = (0..5).map(|_| recover(stranger).status).collect();
    assert_eq!(statuses, [200, 200, 429, 429, 429]);
    recover("203.0.113.9").expect(200);
}

/// Item 5: every e-mail a user can make the service send is limited, and so is
/// the number of organizations one user owns.
#[test]
fn address_changes_invitations_and_organizations_are_limited() {
    let worker = spawn_local_worker(&[
        "EMAIL_CHANGE_LIMIT_PER_HOUR=2",
        "INVITATION_LIMIT_PER_HOUR=3",
        "MAX_ORGANIZATIONS_PER_USER=2",
    ]);
    let email = random_email();
    let token = worker.verified_user_token(&email);
    let call = |method: &str, path: &str, body: serde_json::Value| {
        worker.request(method, path).token(&token).json(&body)
    };
    const EMAILS: &str = "Too many e-mail requests, try again later";
    // saving one's profile as it is counts nothing; each new address does
    for _ in 0..3 {
        call(
            "PATCH",
            &paths::me(),
            json!({"email": email, "full_name": "Busy"}),
        )
        .expect(200);
    }
    let mut current = email.clone();
    for _ in 0..2 {
        current = random_email();
        call("PATCH", &paths::me(), json!({ "email": current })).expect(200);
    }
    let refused = call("PATCH", &paths::me(), json!({"email": random_email()}));
    refused.assert_detail(429, EMAILS);
    assert!(refused.header("retry-after").is_some());
    let me = worker
        .request("GET", &paths::me())
        .token(&token)
        .send()
        .ok();
    assert_eq!(me["email"], json!(current));
    // organizations: two, then the cap
    let org = |name: &str| {
        call(
            "POST",
            &paths::organizations(),
            json!({"name": name, "avatar_image": AVATAR}),
        )
    };
    let first = org("One").ok();
    org("Two").expect(200);
    org("Three").assert_detail(400, "Too many organizations");
    // invitations, created or resent, across organizations
    let path = paths::invitations(first["id"].as_str().unwrap());
    let sent = call("POST", &path, json!({"email": random_email()})).ok();
    call("POST", &path, json!({"email": random_email()})).expect(200);
    let resend = format!("{path}/{}/resend", sent["id"].as_str().unwrap());
    call("POST", &resend, json!({})).expect(200);
    call("POST", &path, json!({"email": random_email()}))
        .assert_detail(429, "Too many invitations sent, try again later");
    call("POST", &resend, json!({}))
        .assert_detail(429, "Too many invitations sent, try again later");
}

/// Item 6: what a low-privileged user can make the service store is bounded:
/// a session keeps only its newest used refresh tokens.
#[test]
fn a_session_keeps_only_its_newest_used_refresh_tokens() {
    let u = signup_user();
    let mut tokens = vec![
        app().login_access_token::<Value>(&u.email, &u.password, 200)["refresh_token"].clone(),
    ];
    for _ in 0..12 {
        let next = app().refresh::<Value>(tokens.last().unwrap().as_str().unwrap(), 200)
            ["refresh_token"]
            .clone();
        tokens.push(next);
    }
    let live_hash: String = {
        use sha2::{Digest, Sha256};
        let token = tokens.last().unwrap().as_str().unwrap();
        Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let sid = d1(&format!(
        "select session_id from refresh_tokens where token_hash = '{live_hash}'"
    ))[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let rows = d1(&format!(
        "select sum(used_at is not null) as used, sum(used_at is null) as live \
         from refresh_tokens where session_id = '{sid}'"
    ));
    assert_eq!(rows, vec![json!({"used": 5, "live": 1})]);
    // a recent used token is still caught as reused, and ends the session
    assert_eq!(
        app().refresh::<Detail>(tokens[tokens.len() - 2].as_str().unwrap(), 401),
        Detail::new("Invalid refresh token")
    );
    assert_eq!(
        app().refresh::<Detail>(tokens.last().unwrap().as_str().unwrap(), 401),
        Detail::new("Invalid refresh token")
    );
}

/// Item 5: the scheduled run prunes outbox rows sent or failed over 7 days ago.
#[test]
fn the_scheduled_run_prunes_old_delivered_and_failed_mail() {
    let ids: Vec<String> = (0..4).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let week = 7 * 86_400 + 60;
    let rows: Vec<String> = [
        ("sent", week),
        ("failed", week),
        ("sent", 60),
        ("pending", week),
    ]
    .iter()
    .zip(&ids)
    .map(|((status, age), id)| {
        format!("('{id}', 'test', 'old@example.com', 's', '{status}', 't', unixepoch() - {age})")
    })
    .collect();
    d1(&format!(
        "insert into outbox (id, kind, recipient, subject, status, created_at, queued_at) values {}",
        rows.join(", ")
    ));
    app().scheduled();
    let left = d1(&format!(
        "select status from outbox where id in ('{}') order by status",
        ids.join("', '")
    ));
    assert_eq!(
        left,
        vec![json!({"status": "pending"}), json!({"status": "sent"})]
    );
}

/// Item 12: the request log holds no address from a recovery path.
#[test]
fn a_recovery_request_logs_no_address() {
    let email = random_email();
    let r = app().recover_password::<Resp>(&email, 200);
    let id = r.header("x-request-id").unwrap();
    let line = app().log_line(&format!("request_id={id} "));
    assert!(
        line.contains(&format!("POST {} 200", paths::password_recovery("{email}"))),
        "{line}"
    );
    assert!(!line.contains(&email), "{line}");
}

/// Item 16: with `EMAIL_VERIFICATION_ON_SIGNUP=false` signup sends nothing, so
/// the newest message a user gets is the one they asked for.
#[test]
fn signup_can_send_no_verification_email() {
    let worker = spawn_local_worker(&[
        "EMAIL_PROVIDER=http",
        &format!("EMAIL_API_URL={}", sink().url),
        "EMAIL_VERIFICATION_ON_SIGNUP=false",
        &format!("FRONTEND_HOST={FRONTEND_HOST}"),
    ]);
    let email = random_email();
    worker
        .request("POST", &paths::signup())
        .json(&json!({"email": email, "password": "password123"}))
        .expect(200);
    worker
        .request("POST", &paths::password_recovery(&email))
        .send()
        .expect(200);
    let got = sink().wait_for(&email, 1);
    assert_eq!(got.len(), 1);
    assert!(
        got[0].subject.contains("Password recovery"),
        "{}",
        got[0].subject
    );
    // the recovery was handed to the queue after the signup committed: had the
    // signup sent one, its row would be in the outbox
    let rows = worker.d1(&format!(
        "select kind from outbox where recipient = '{email}'"
    ));
    assert_eq!(rows, vec![json!({"kind": "password_recovery"})]);
}

/// Item 6: one cron run deletes far more orphaned uploads than one user can
/// leave in its interval (the run used to delete 100); completed ones go in
/// one R2 bulk delete.
#[test]
fn one_cron_run_clears_more_orphans_than_uploads_can_make() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let rows: Vec<String> = (0..300)
        .map(|i| {
            let id = format!("{}-{i:04}", &tag[..24]);
            format!(
                "('{id}', 'https://x.example/{id}', 'orphaned', 'media/{id}/gone', '2020-01-01T00:00:00.000000Z')"
            )
        })
        .collect();
    d1(&format!(
        "insert into media_resources (id, url, status, object_key, created_at) values {}",
        rows.join(", ")
    ));
    app().scheduled();
    let left = d1(&format!(
        "select count(*) as n from media_resources where id like '{}-%'",
        &tag[..24]
    ));
    assert_eq!(left, vec![json!({"n": 0})]);
}

/// Reads one HTTP/1.1 response (head and a Content-Length body) from `s`.
fn read_response(s: &mut std::net::TcpStream) -> (u16, String) {
    use std::io::Read;
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf).expect("a response");
        assert!(
            n > 0,
            "the connection closed: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        body.extend_from_slice(&buf[..n]);
    }
    let status = head[9..12].parse().unwrap();
    (status, String::from_utf8_lossy(&body).to_string())
}

/// Sends `request` (whole) on a fresh connection to the shared worker, asserts
/// its answer, then asserts that the next request on the same connection (a
/// health check) is answered.
fn answer_then_next_on_one_connection(request: &[u8], status: u16, body: &str) {
    use std::io::Write;
    let addr = app().base_url.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    s.write_all(request).unwrap();
    let (got, text) = read_response(&mut s);
    assert_eq!((got, text.as_str()), (status, body));
    let next = format!(
        "GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        paths::health_check()
    );
    s.write_all(next.as_bytes()).unwrap();
    assert_eq!(read_response(&mut s), (200, "true".to_string()));
}

/// Item 15: a body refused as too large, sent whole (chunked, so the worker
/// finds out while reading), leaves the connection usable: the next request
/// on it is answered. Under `wrangler dev` that request was lost.
#[test]
fn the_request_after_a_413_on_the_same_connection_is_answered() {
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        paths::login()
    )
    .into_bytes();
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..40 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    answer_then_next_on_one_connection(&request, 413, r#"{"detail":"Request body too large"}"#);
}

/// Item 15: an upload refused before its body is read (a bad signature) also
/// leaves the connection usable.
#[test]
fn the_request_after_a_refused_upload_on_the_same_connection_is_answered() {
    let body = vec![0u8; 2 << 20];
    let mut request = format!(
        "PUT {}?signature=bad HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        paths::upload(&uuid::Uuid::new_v4().to_string()),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    answer_then_next_on_one_connection(&request, 403, r#"{"detail":"Invalid upload signature"}"#);
}

/// Item 13: a refresh rotates only a session still live when the rotation
/// itself runs, not merely when the refresh first read it. A trigger revokes
/// the session inside the rotation's batch, before the token is marked used
/// (on the pruning of the session's oldest used token, the batch's first
/// write): the refresh is refused and no new token exists.
#[test]
fn a_session_revoked_while_it_is_refreshed_rotates_nothing() {
    let u = signup_user();
    let mut refresh =
        app().login_access_token::<Value>(&u.email, &u.password, 200)["refresh_token"].clone();
    // five used tokens: the next refresh prunes the oldest first
    for _ in 0..5 {
        refresh = app().refresh::<Value>(refresh.as_str().unwrap(), 200)["refresh_token"].clone();
    }
    let hash: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(refresh.as_str().unwrap().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let sid = d1(&format!(
        "select session_id from refresh_tokens where token_hash = '{hash}'"
    ))[0]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let fault = Trigger::create(&format!(
        "after delete on refresh_tokens when old.session_id = '{sid}' \
         begin update sessions set revoked_at = unixepoch() where id = '{sid}'; end"
    ));
    let r = post(&paths::refresh()).json(&json!({ "refresh_token": refresh }));
    drop(fault);
    r.assert_detail(401, "Invalid refresh token");
    let live = d1(&format!(
        "select count(*) as n from refresh_tokens where session_id = '{sid}' and used_at is null"
    ));
    assert_eq!(live, vec![json!({"n": 1})]);
}

/// Found by the fuzzer: a search holding a NUL made the trigram query an
/// unterminated string (500). It finds nothing, for every list that searches.
#[test]
fn a_search_with_a_nul_finds_nothing() {
    let search = urlencode("3y\u{0}ab\u{0}cd");
    for path in [paths::users(), paths::organizations()] {
        get(&format!("{path}?search={search}"))
            .token(&superuser_token())
            .send()
            .assert(200, json!({"data": [], "count": 0, "next_cursor": null}));
    }
    assert_eq!(
        app().read_users::<Detail>(&signup_user().token, &format!("search={search}"), 403),
        Detail::new("The user doesn't have enough privileges")
    );
}
