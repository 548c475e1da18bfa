//! What the origin's own web app (the FastAPI full-stack template's frontend,
//! whose client sends the login as a browser `FormData`) and its end-to-end
//! suite need: multipart login, and the local-only `POST /private/users/`.

use crate::helpers::*;
use serde_json::{json, Value};

const BOUNDARY: &str = "----WebKitFormBoundaryx8oY9nqYbQ1DlFwA";

/// The bytes Chromium sends for `new FormData()` with these text fields.
fn form_data(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body += &format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
    }
    body += &format!("--{BOUNDARY}--\r\n");
    body.into_bytes()
}

fn multipart_login(body: &[u8]) -> Resp {
    post(&paths::login()).raw(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The answer without the tokens themselves.
fn shape(r: &Resp) -> (u16, Value) {
    let mut body = r.json();
    if let Some(token) = body.get_mut("access_token") {
        assert!(
            token.as_str().is_some_and(|t| t.split('.').count() == 3),
            "{token}"
        );
        *token = json!("<token>");
    }
    // each login is a session of its own, with its own refresh token
    if let Some(token) = body.get_mut("refresh_token") {
        assert!(token.as_str().is_some_and(|t| t.len() == 43), "{token}");
        *token = json!("<refresh token>");
    }
    (r.status, body)
}

#[test]
fn a_multipart_login_answers_as_the_urlencoded_one_for_the_same_fields() {
    let u = signup_user();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("username", &u.email), ("password", &u.password)],
        vec![("username", &u.email), ("password", "wrong-password")],
        vec![
            ("username", "nobody@example.com"),
            ("password", "whatever-pw"),
        ],
        vec![("username", &u.email)],
        vec![],
        vec![
            ("grant_type", "client_credentials"),
            ("username", &u.email),
            ("password", &u.password),
        ],
        vec![
            ("grant_type", "password"),
            ("scope", "items"),
            ("client_id", "web"),
            ("username", &u.email),
            ("password", &u.password),
        ],
    ];
    for fields in cases {
        let ip = "203.0.113.77";
        let urlencoded = post(&paths::login())
            .header("CF-Connecting-IP", ip)
            .form(&fields);
        let multipart = post(&paths::login()).header("CF-Connecting-IP", ip).raw(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            &form_data(&fields),
        );
        assert_eq!(shape(&multipart), shape(&urlencoded), "{fields:?}");
    }
    let ok = multipart_login(&form_data(&[
        ("username", &u.email),
        ("password", &u.password),
    ]))
    .ok();
    assert_eq!(ok["token_type"], "bearer");
    app().read_user_me::<Resp>(ok["access_token"].as_str().unwrap(), 200);
    multipart_login(&form_data(&[
        ("username", &u.email),
        ("password", "wrong-password"),
    ]))
    .assert_detail(400, "Incorrect email or password");
}

#[test]
fn a_file_where_a_field_belongs_is_a_422_and_a_broken_body_a_400() {
    let u = signup_user();
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n{}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"password\"; filename=\"pw.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{}\r\n--{BOUNDARY}--\r\n",
        u.email, u.password
    );
    let r = multipart_login(body.as_bytes());
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["detail"][0]["type"], "string_type");
    assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "password"]));
    // an unrelated file part is ignored
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\r\n\x01\x02\r\n{}",
        String::from_utf8(form_data(&[("username", &u.email), ("password", &u.password)])).unwrap()
    );
    multipart_login(body.as_bytes()).expect(200);
    for broken in [
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nunterminated"
        ),
        "no boundary at all".to_string(),
    ] {
        multipart_login(broken.as_bytes())
            .assert_detail(400, "There was an error parsing the body");
    }
    post(&paths::login())
        .raw("multipart/form-data", b"--x--")
        .assert_detail(400, "There was an error parsing the body");
}

#[test]
fn the_private_users_route_creates_a_user_in_local_development() {
    let email = random_email();
    let user = app().private_create_user::<Value>(
        &json!({"email": email, "password": "any", "full_name": "Web Tester", "is_verified": true}),
        200,
    );
    assert_eq!(
        (&user["email"], &user["full_name"], &user["is_superuser"]),
        (&json!(email), &json!("Web Tester"), &json!(false))
    );
    login(&email, "any");
    assert_eq!(
        app().private_create_user::<Detail>(
            &json!({"email": email, "password": "any", "full_name": "Again"}),
            400
        ),
        Detail::new("The user with this email already exists in the system")
    );
    let r = post(&paths::private_users()).json(&json!({"email": random_email(), "password": "x"}));
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "full_name"]));
    let doc = app().openapi_json::<Value>(200);
    assert!(doc["paths"].get(paths::private_users()).is_some());
}

#[test]
fn outside_local_development_the_private_route_does_not_exist() {
    let worker = spawn_worker(
        &[
            "SECRET_KEY=production-secret-key-0123456789abcdef".to_string(),
            "ENVIRONMENT=production".to_string(),
            "EMAIL_PROVIDER=http".to_string(),
            "EMAIL_API_URL=https://mail.example.com/send".to_string(),
            format!("FRONTEND_HOST={FRONTEND_HOST}"),
        ],
        404,
    );
    worker
        .request("POST", &paths::private_users())
        .json(&json!({"email": random_email(), "password": "any", "full_name": "x"}))
        .assert_detail(404, "Not Found");
    let doc = worker.request("GET", &paths::openapi()).send().ok();
    assert!(doc["paths"].get(paths::private_users()).is_none());
    assert!(doc["components"]["schemas"]
        .get("PrivateUserCreate")
        .is_none());
    assert!(doc["paths"].get(paths::users()).is_some());
}
