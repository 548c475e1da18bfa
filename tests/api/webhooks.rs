//! Webhook endpoints (extensions W) as the API manages them: every operation,
//! in both scopes (an organization's, and the superusers' global ones), with
//! its rules and its events. Deliveries themselves are received and verified
//! with the `standardwebhooks` package in `tests/webhooks` (`make webhooks`).

use crate::helpers::*;
use serde_json::{json, Value};

/// A receiver nobody listens on: deliveries stay pending, which is all these
/// tests need (this worker runs with `ENVIRONMENT=local`).
const URL: &str = "http://127.0.0.1:9/hooks";

fn create(who: &impl Caller, org: Option<&str>, types: &[&str]) -> WebhookEndpoint {
    let body = json!({"url": URL, "event_types": types, "description": "ci"});
    app().create_webhook(who, org, &body, 200)
}

#[test]
fn an_organizations_endpoint_lives_through_every_operation_and_each_change_is_an_event() {
    let owner = signup_user();
    let org = new_organization(&owner, "Hooked");
    let scope = Some(org.id.as_str());
    let hook = create(&owner, scope, &["organization.updated"]);
    assert_eq!(hook.organization_id.as_deref(), scope);
    assert_eq!(
        (hook.url.as_str(), hook.event_types.clone(), hook.enabled),
        (URL, vec!["organization.updated".to_string()], true)
    );
    let secret = hook.secret.clone().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 44,
        "{secret}"
    );

    let listed: Page<WebhookEndpoint> = app().read_webhooks(&owner, scope, 200);
    assert_eq!(listed.count, 1);
    assert_eq!(listed.data[0].secret, None, "the list never shows a secret");

    let changed: WebhookEndpoint = app().update_webhook(
        &owner,
        (scope, &hook.id),
        &json!({"event_types": ["*"], "description": null, "enabled": false}),
        200,
    );
    assert_eq!(
        (
            changed.event_types.clone(),
            changed.description.clone(),
            changed.enabled
        ),
        (vec!["*".to_string()], None, false)
    );
    let rotated: WebhookEndpoint = app().rotate_webhook_secret(&owner, (scope, &hook.id), 200);
    assert!(rotated.secret.as_ref().is_some_and(|s| *s != secret));

    // A disabled endpoint is sent nothing: this change makes no delivery.
    let _: OrganizationPublic =
        app().update_organization(&owner, &org.id, &json!({"description": "x"}), 200);
    let none: Page<WebhookDelivery> = app().read_webhook_deliveries(&owner, (scope, &hook.id), 200);
    assert_eq!(none.count, 0);
    let _: WebhookEndpoint =
        app().update_webhook(&owner, (scope, &hook.id), &json!({"enabled": true}), 200);
    let _: OrganizationPublic =
        app().update_organization(&owner, &org.id, &json!({"description": "y"}), 200);
    let pending: Page<WebhookDelivery> =
        app().read_webhook_deliveries(&owner, (scope, &hook.id), 200);
    // The endpoint hears every type now: its own re-enabling too.
    let kinds: Vec<&str> = pending.data.iter().map(|d| d.event_type.as_str()).collect();
    assert_eq!(kinds, ["organization.updated", "webhook_endpoint.updated"]);
    let delivery = &pending.data[0];
    let again: WebhookDelivery =
        app().retry_webhook_delivery(&owner, (scope, &hook.id, &delivery.id), 200);
    assert_eq!(
        (again.id.as_str(), again.status.as_str()),
        (delivery.id.as_str(), "pending")
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        app().retry_webhook_delivery::<Detail>(&owner, (scope, &hook.id, &unknown), 404),
        Detail::new("Webhook delivery not found")
    );

    let gone: Message = app().delete_webhook(&owner, (scope, &hook.id), 200);
    assert_eq!(gone.message, "Webhook endpoint deleted");
    assert_eq!(
        app().delete_webhook::<Detail>(&owner, (scope, &hook.id), 404),
        Detail::new("Webhook endpoint not found")
    );

    let log: Page<EventPublic> = app().read_organization_events(&owner, &org.id, "", 200);
    let kinds: Vec<&str> = log.data.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "organization.created",
            "webhook_endpoint.created",
            "webhook_endpoint.updated",
            "webhook_endpoint.updated",
            "organization.updated",
            "webhook_endpoint.updated",
            "organization.updated",
            "webhook_endpoint.deleted",
        ]
    );
    let created = &log.data[log.data.len() - 2];
    assert_eq!(created.subject.id.as_deref(), Some(hook.id.as_str()));
    assert_eq!(
        created.data,
        json!({"url": URL, "event_types": ["organization.updated"], "description": "ci", "enabled": true}),
        "never the secret"
    );
}

#[test]
fn only_the_owner_admins_and_superusers_manage_an_organizations_endpoints() {
    let (owner, member, org) = org_with_member();
    let scope = Some(org.id.as_str());
    let hook = create(&owner, scope, &["*"]);
    let admin = signup_user();
    add_admin(&owner.token, &org, &admin.id);
    let _: Page<WebhookEndpoint> = app().read_webhooks(&admin, scope, 200);
    let _: Page<WebhookEndpoint> = app().read_webhooks(&superuser_token(), scope, 200);
    for who in [&member, &signup_user()] {
        assert_eq!(
            app().read_webhooks::<Detail>(who, scope, 403),
            Detail::new("Not enough permissions")
        );
        assert_eq!(
            app().delete_webhook::<Detail>(who, (scope, &hook.id), 403),
            Detail::new("Not enough permissions")
        );
    }
    // Another organization's admin, through their own organization: not there.
    let stranger = signup_user();
    let theirs = new_organization(&stranger, "Theirs");
    let elsewhere = Some(theirs.id.as_str());
    assert_eq!(
        app().rotate_webhook_secret::<Detail>(&stranger, (elsewhere, &hook.id), 404),
        Detail::new("Webhook endpoint not found")
    );
    assert_eq!(
        app().read_webhook_deliveries::<Detail>(&stranger, (elsewhere, &hook.id), 404),
        Detail::new("Webhook endpoint not found")
    );
    // Nor through the global routes, which are the superusers'.
    assert_eq!(
        app().update_webhook::<Detail>(&stranger, (None, &hook.id), &json!({}), 403),
        Detail::new("The user doesn't have enough privileges")
    );
    let _: Detail = app().update_webhook(&superuser_token(), (None, &hook.id), &json!({}), 404);
}

#[test]
fn endpoints_are_bounded_and_their_input_checked() {
    let owner = signup_user();
    let org = new_organization(&owner, "Bounded");
    let scope = Some(org.id.as_str());
    let refused: Validation = app().create_webhook(
        &owner,
        scope,
        &json!({"url": "ftp://example.com/in", "event_types": ["user.nope", "*"]}),
        422,
    );
    let kinds: Vec<(&str, String)> = refused
        .detail
        .iter()
        .map(|p| (p.kind.as_str(), p.loc.last().unwrap().to_string()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("url_scheme", "\"url\"".into()),
            ("literal_error", "0".into())
        ]
    );
    let empty: Validation =
        app().create_webhook(&owner, scope, &json!({"url": URL, "event_types": []}), 422);
    assert_eq!(empty.detail[0].kind, "too_short");
    for _ in 0..20 {
        create(&owner, scope, &["*"]);
    }
    assert_eq!(
        app().create_webhook::<Detail>(
            &owner,
            scope,
            &json!({"url": URL, "event_types": ["*"]}),
            400
        ),
        Detail::new("Too many webhook endpoints")
    );
}

#[test]
fn a_global_endpoint_is_a_superusers_and_hears_users_own_events() {
    // Every write's event reads it while it exists: no test pins rows read meanwhile.
    let _global = global_endpoint();
    let su = superuser_token();
    let hook = create(&su, None, &["user.created"]);
    assert_eq!(hook.organization_id, None);
    let user = signup_user();
    assert_eq!(
        app().create_webhook::<Detail>(
            &user,
            None,
            &json!({"url": "not checked", "event_types": []}),
            403
        ),
        Detail::new("The user doesn't have enough privileges")
    );
    let listed: Page<WebhookEndpoint> = app().read_webhooks(&su, None, 200);
    assert!(listed.data.iter().any(|h| h.id == hook.id));
    let deliveries: Page<WebhookDelivery> =
        app().read_webhook_deliveries(&su, (None, &hook.id), 200);
    assert!(deliveries
        .data
        .iter()
        .any(|d| d.event_type == "user.created"));
    let rotated: WebhookEndpoint = app().rotate_webhook_secret(&su, (None, &hook.id), 200);
    assert!(rotated.secret.is_some());
    let delivery = &deliveries.data[0];
    let again: WebhookDelivery =
        app().retry_webhook_delivery(&su, (None, &hook.id, &delivery.id), 200);
    assert_eq!(again.status, "pending");
    let _: Message = app().delete_webhook(&su, (None, &hook.id), 200);
}

/// Outside local development an endpoint's host is read as `fetch` will read
/// it (the runtime's URL parser): no spelling of a loopback or private host
/// gets through, and a public host does.
#[test]
fn outside_local_development_no_spelling_of_a_private_host_is_an_endpoint() {
    let worker = spawn_worker(
        &[
            "SECRET_KEY=production-secret-key-0123456789abcdef".to_string(),
            "ENVIRONMENT=production".to_string(),
            format!("PASSWORD_HASH_ITERATIONS={TEST_ITERATIONS}"),
            "EMAIL_PROVIDER=http".to_string(),
            "EMAIL_API_URL=https://mail.example.com/send".to_string(),
            "EMAIL_VERIFICATION_ON_SIGNUP=false".to_string(),
            format!("FRONTEND_HOST={FRONTEND_HOST}"),
        ],
        404,
    );
    let email = random_email();
    let user = json!({"email": email, "password": "password123", "full_name": "Prod"});
    let _: UserPublic = worker.register_user(&user, 200);
    let token: Token = worker.login_access_token(&email, "password123", 200);
    let owner = token.access_token;
    let org: OrganizationPublic =
        worker.create_organization(&owner, &NewOrganization::named("Hooked"), 200);
    let scope = Some(org.id.as_str());
    let endpoint = |url: &str| json!({"url": url, "event_types": ["*"]});

    let why = "the URL's host is a loopback or private address";
    let refused: Value =
        worker.create_webhook(&owner, scope, &endpoint("https://2130706433/in"), 422);
    assert_eq!(
        refused,
        json!({"detail": [{
            "type": "value_error",
            "loc": ["body", "url"],
            "msg": format!("Value error, {why}"),
            "input": "https://2130706433/in",
            "ctx": {"error": why},
        }]})
    );
    for url in [
        "https://127.0.0.1/in",
        "https://0x7f.1/in",
        "https://localhost./in",
        "https://%6c%6fcalhost/in",
        "https://\u{ff4c}ocalhost/in",
        "https://localhost\\.example.com/in",
        "https://[0:0:0:0:0:0:0:1]/in",
        "https://[::ffff:169.254.169.254]/latest",
        "https://10.0.0.1/in",
    ] {
        let refused: Validation = worker.create_webhook(&owner, scope, &endpoint(url), 422);
        assert_eq!(refused.detail[0].kind, "value_error", "{url}");
    }
    let refused: Validation =
        worker.create_webhook(&owner, scope, &endpoint("https://a<b.example/"), 422);
    assert_eq!(
        (
            refused.detail[0].kind.as_str(),
            refused.detail[0].msg.as_str()
        ),
        ("url_parsing", "Input should be a valid URL, invalid host")
    );
    let public = "https://hooks.example.com/in";
    let hook: WebhookEndpoint = worker.create_webhook(&owner, scope, &endpoint(public), 200);
    assert_eq!(hook.url, public);
}
