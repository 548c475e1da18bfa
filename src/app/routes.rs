//! The route table: every operation of the API, with the access level and the
//! inputs its handler declares (the compiler holds each entry to its handler's
//! signature), in matching order (`/users/me` before `/users/{user_id}`).

use super::router::Route;
use crate::access::org::{
    HookAdmin, MemberRemoval, OrgAdmin, OrgAdminReader, OrgEditor, OrgKeyAdmin, OrgMember,
    OrgOwner, OrgSuperuser,
};
use crate::access::{Caller, Gate, Public, Superuser, Verified};
use crate::account::routes::{EmailPath, NewPassword, TokenBody};
use crate::api_keys::models::{ApiKeyCreate, ApiKeyPath};
use crate::audit::routes::EventFilters;
use crate::auth::form::LoginForm;
use crate::http::idempotency::IdempotencyKey;
use crate::http::input::{Json, OrgPath, UserPath};
use crate::invitations::models::{InvitationCreate, InvitationPath, InvitationToken, StatusFilter};
use crate::lists::{Page, Search};
use crate::memberships::models::{AddMemberRequest, MemberRoleUpdate};
use crate::mfa::models::{CodeBody, MfaLogin};
use crate::organizations::models::{OrganizationCreate, OrganizationUpdate};
use crate::resource_migration::models::ResourceMigrationRequest;
use crate::sessions::routes::{RefreshRequest, SessionPath};
use crate::uploads::models::{MediaPath, PresignedUploadRequest};
use crate::users::models::{UpdatePassword, UserCreate, UserRegister, UserUpdate, UserUpdateMe};
use crate::users::private::PrivateUserCreate;
use crate::webhooks::models::HookRequest;
use crate::{
    account, api_keys, audit, auth, invitations, memberships, mfa, openapi, organizations,
    resource_migration, sessions, uploads, users, utils, webhooks,
};
use worker::Method;

macro_rules! route {
    ($method:ident $path:literal, $access:ty, $input:ty => $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            // The handler's future is boxed behind a plain `fn` pointer, so the
            // envelope's code is compiled once per (level, inputs) pair, not once per route.
            handler: |cx| crate::access::serve::<$access, $input>(cx, |cx, a, i| Box::pin($handler(cx, a, i))),
            local_only: false,
            streams_body: false,
            conceals_counts: false,
        }
    };
    (anon $method:ident $path:literal, $access:ty, $input:ty => $handler:path) => {
        Route {
            conceals_counts: true,
            ..route!($method $path, $access, $input => $handler)
        }
    };
    (stream $method:ident $path:literal, $access:ty, $input:ty => $handler:path) => {
        Route {
            streams_body: true,
            ..route!($method $path, $access, $input => $handler)
        }
    };
    (local $method:ident $path:literal, $access:ty, $input:ty => $handler:path) => {
        Route {
            local_only: true,
            ..route!($method $path, $access, $input => $handler)
        }
    };
}

/// Every operation, one line each, in matching order.
/// Long: the route table is one list, read top to bottom.
#[rustfmt::skip]
/// The table, as data: built by the compiler, not on every request.
pub(crate) static ROUTES: &[Route] = &[
        route!(anon Post "/api/v1/login/access-token", Public, LoginForm => auth::routes::login_access_token),
        route!(Post "/api/v1/login/test-token", Caller, () => auth::routes::test_token),
        route!(Post "/api/v1/login/refresh", Public, Json<RefreshRequest> => sessions::routes::refresh),
        route!(anon Post "/api/v1/login/mfa", Public, Json<MfaLogin> => mfa::routes::login_mfa),
        route!(Post "/api/v1/logout", Caller, () => sessions::routes::logout),
        route!(Get "/api/v1/users", Gate<Superuser>, (Page, Search) => users::routes::read_users),
        route!(Post "/api/v1/users", Superuser, (IdempotencyKey, Json<UserCreate>) => users::routes::create_user),
        route!(Get "/api/v1/users/me", Caller, () => users::routes::read_user_me),
        route!(Delete "/api/v1/users/me", Caller, () => users::routes::delete_user_me),
        route!(Patch "/api/v1/users/me", Gate<Caller>, Json<UserUpdateMe> => users::routes::update_user_me),
        route!(Patch "/api/v1/users/me/password", Gate<Caller>, Json<UpdatePassword> => users::routes::update_password_me),
        route!(Post "/api/v1/users/me/mfa/totp", Caller, () => mfa::routes::enrol_totp),
        route!(Post "/api/v1/users/me/mfa/totp/verify", Gate<Caller>, Json<CodeBody> => mfa::routes::verify_totp),
        route!(Delete "/api/v1/users/me/mfa", Gate<Caller>, Json<CodeBody> => mfa::routes::disable_mfa),
        route!(Post "/api/v1/users/me/mfa/recovery-codes", Gate<Caller>, Json<CodeBody> => mfa::routes::regenerate_recovery_codes),
        route!(anon Post "/api/v1/users/signup", Public, (IdempotencyKey, Json<UserRegister>) => users::routes::register_user),
        route!(Post "/api/v1/users/me/verify-email", Gate<Caller>, () => account::routes::send_verification_email),
        route!(Get "/api/v1/users/me/sessions", Caller, Page => sessions::routes::read_sessions),
        route!(Get "/api/v1/users/me/invitations", Gate<Verified>, Page => invitations::routes::read_my_invitations),
        route!(Post "/api/v1/users/me/invitations/{invitation_id}/accept", Gate<Verified>, InvitationPath => invitations::routes::accept_my_invitation),
        route!(Post "/api/v1/users/me/invitations/{invitation_id}/decline", Gate<Verified>, InvitationPath => invitations::routes::decline_my_invitation),
        route!(Delete "/api/v1/users/me/sessions", Caller, () => sessions::routes::revoke_other_sessions),
        route!(Delete "/api/v1/users/me/sessions/{session_id}", Caller, SessionPath => sessions::routes::revoke_session),
        route!(Delete "/api/v1/users/{user_id}/sessions", Superuser, UserPath => sessions::routes::revoke_user_sessions),
        route!(Delete "/api/v1/users/{user_id}/mfa", Gate<Superuser>, UserPath => mfa::routes::reset_user_mfa),
        route!(Get "/api/v1/users/{user_id}", Caller, UserPath => users::routes::read_user_by_id),
        route!(Patch "/api/v1/users/{user_id}", Gate<Superuser>, (UserPath, Json<UserUpdate>) => users::routes::update_user),
        route!(Delete "/api/v1/users/{user_id}", Superuser, UserPath => users::routes::delete_user),
        route!(Get "/api/v1/organizations", Gate<Caller>, (Page, Search) => organizations::routes::read_organizations),
        route!(Post "/api/v1/organizations", Gate<Caller>, (IdempotencyKey, Json<OrganizationCreate>) => organizations::routes::create_organization),
        route!(Get "/api/v1/organizations/{organization_id}", OrgMember, OrgPath => organizations::routes::read_organization),
        route!(Put "/api/v1/organizations/{organization_id}", Gate<OrgEditor>, (OrgPath, Json<OrganizationUpdate>) => organizations::routes::update_organization),
        route!(Delete "/api/v1/organizations/{organization_id}", OrgOwner, OrgPath => organizations::routes::delete_organization),
        route!(Get "/api/v1/organizations/{organization_id}/members", Gate<OrgMember>, (OrgPath, Page) => memberships::routes::read_organization_members),
        route!(Post "/api/v1/organizations/{organization_id}/members", Gate<OrgAdmin>, (OrgPath, IdempotencyKey, Json<AddMemberRequest>) => memberships::routes::add_organization_member),
        route!(Patch "/api/v1/organizations/{organization_id}/members/{user_id}", OrgOwner, (OrgPath, UserPath, Json<MemberRoleUpdate>) => memberships::routes::update_member_role),
        route!(Delete "/api/v1/organizations/{organization_id}/members/{user_id}", MemberRemoval, (OrgPath, UserPath) => memberships::routes::remove_organization_member),
        route!(Post "/api/v1/organizations/{organization_id}/invitations", Gate<OrgAdmin>, (OrgPath, IdempotencyKey, Json<InvitationCreate>) => invitations::routes::create_invitation),
        route!(Get "/api/v1/organizations/{organization_id}/invitations", Gate<OrgAdminReader>, (OrgPath, StatusFilter, Page) => invitations::routes::read_invitations),
        route!(Delete "/api/v1/organizations/{organization_id}/invitations/{invitation_id}", OrgAdmin, (OrgPath, InvitationPath) => invitations::routes::revoke_invitation),
        route!(Post "/api/v1/organizations/{organization_id}/invitations/{invitation_id}/resend", Gate<OrgAdmin>, (OrgPath, InvitationPath) => invitations::routes::resend_invitation),
        route!(Post "/api/v1/organizations/{organization_id}/api-keys", Gate<OrgKeyAdmin>, (OrgPath, Json<ApiKeyCreate>) => api_keys::routes::create_api_key),
        route!(Get "/api/v1/organizations/{organization_id}/api-keys", Gate<OrgKeyAdmin>, (OrgPath, Page) => api_keys::routes::read_api_keys),
        route!(Delete "/api/v1/organizations/{organization_id}/api-keys/{key_id}", OrgKeyAdmin, (OrgPath, ApiKeyPath) => api_keys::routes::revoke_api_key),
        route!(Post "/api/v1/organizations/{organization_id}/webhooks", Gate<HookAdmin>, HookRequest => webhooks::routes::create_webhook),
        route!(Get "/api/v1/organizations/{organization_id}/webhooks", Gate<HookAdmin>, HookRequest => webhooks::routes::read_webhooks),
        route!(Patch "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}", Gate<HookAdmin>, HookRequest => webhooks::routes::update_webhook),
        route!(Delete "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}", Gate<HookAdmin>, HookRequest => webhooks::routes::delete_webhook),
        route!(Post "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}/rotate-secret", Gate<HookAdmin>, HookRequest => webhooks::routes::rotate_webhook_secret),
        route!(Get "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}/deliveries", Gate<HookAdmin>, HookRequest => webhooks::routes::read_webhook_deliveries),
        route!(Post "/api/v1/organizations/{organization_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", Gate<HookAdmin>, HookRequest => webhooks::routes::retry_webhook_delivery),
        route!(Post "/api/v1/webhooks", Gate<HookAdmin>, HookRequest => webhooks::routes::create_webhook),
        route!(Get "/api/v1/webhooks", Gate<HookAdmin>, HookRequest => webhooks::routes::read_webhooks),
        route!(Patch "/api/v1/webhooks/{endpoint_id}", Gate<HookAdmin>, HookRequest => webhooks::routes::update_webhook),
        route!(Delete "/api/v1/webhooks/{endpoint_id}", Gate<HookAdmin>, HookRequest => webhooks::routes::delete_webhook),
        route!(Post "/api/v1/webhooks/{endpoint_id}/rotate-secret", Gate<HookAdmin>, HookRequest => webhooks::routes::rotate_webhook_secret),
        route!(Get "/api/v1/webhooks/{endpoint_id}/deliveries", Gate<HookAdmin>, HookRequest => webhooks::routes::read_webhook_deliveries),
        route!(Post "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", Gate<HookAdmin>, HookRequest => webhooks::routes::retry_webhook_delivery),
        route!(Get "/api/v1/organizations/{organization_id}/events", Gate<OrgAdminReader>, (OrgPath, Page, EventFilters) => audit::routes::read_organization_events),
        route!(Get "/api/v1/events", Gate<Superuser>, (Page, EventFilters) => audit::routes::read_events),
        route!(Post "/api/v1/organizations/{organization_id}/migrate-resources", OrgSuperuser, (OrgPath, IdempotencyKey, Json<ResourceMigrationRequest>) => resource_migration::routes::migrate_user_resources_endpoint),
        route!(Post "/api/v1/invitations/accept", Gate<Caller>, Json<InvitationToken> => invitations::routes::accept_invitation),
        route!(Post "/api/v1/invitations/decline", Gate<Caller>, Json<InvitationToken> => invitations::routes::decline_invitation),
        route!(anon Post "/api/v1/password-recovery/{email}", Public, EmailPath => account::routes::recover_password),
        route!(anon Post "/api/v1/reset-password", Public, Json<NewPassword> => account::routes::reset_password),
        route!(Post "/api/v1/password-recovery-html-content/{email}", Superuser, EmailPath => account::routes::recover_password_html_content),
        route!(anon Post "/api/v1/verify-email", Public, Json<TokenBody> => account::routes::verify_email),
        route!(Get "/api/v1/utils/health-check", Public, () => utils::health_check),
        route!(Post "/api/v1/uploads/presigned-url", Gate<Caller>, (IdempotencyKey, Json<PresignedUploadRequest>) => uploads::routes::create_presigned_url),
        route!(stream Put "/api/v1/uploads/{media_resource_id}", Public, MediaPath => uploads::routes::upload_file),
        route!(Get "/api/v1/media/{media_resource_id}", Public, MediaPath => uploads::routes::read_media),
        route!(local Post "/api/v1/private/users", Public, Json<PrivateUserCreate> => users::private::create_user),
        route!(Get "/api/v1/openapi.json", Public, () => openapi::openapi_json),
        route!(Get "/.well-known/jwks.json", Public, () => auth::routes::jwks),
];

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAPI_JSON: &str = include_str!("../../openapi.json");
    use crate::resources::RESOURCE_TABLES;
    use std::collections::BTreeSet;

    #[test]
    fn the_document_lists_exactly_the_routed_operations() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let mut documented = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                let p = if path.len() > 1 {
                    path.trim_end_matches('/')
                } else {
                    path
                };
                documented.insert((method.to_uppercase(), p.to_string()));
            }
        }
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string().to_uppercase(), r.path.to_string()))
            .collect();
        assert_eq!(documented, routed);
    }

    /// Every `detail` the document quotes for a client error (in backticks,
    /// up to a `...` or `{` where it goes on with a value) is a message the
    /// service's source says.
    #[test]
    fn every_message_the_document_quotes_is_one_the_service_says() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut source = String::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut source,
        );
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let mut quoted = 0;
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    let description = response["description"].as_str().unwrap_or("");
                    if !status.starts_with('4') {
                        continue;
                    }
                    // Backticked text with a space is a message; without, a field name.
                    for message in description.split('`').skip(1).step_by(2) {
                        let said = message.split("...").next().unwrap();
                        let said = said.split('{').next().unwrap().trim_end();
                        if message.contains(' ') {
                            quoted += 1;
                            assert!(
                                source.contains(said),
                                "{method} {path} {status} quotes `{message}`, which no source says"
                            );
                        }
                    }
                }
            }
        }
        assert!(quoted > 30, "only {quoted} quoted messages found");
    }

    #[test]
    fn the_document_names_every_resource_table_in_both_migration_schemas() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let schemas = &doc["components"]["schemas"];
        let counts: Vec<&String> = schemas["ResourceMigrationCounts"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(counts, RESOURCE_TABLES);
        let flags: Vec<String> = schemas["ResourceMigrationRequest"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|k| k.strip_prefix("migrate_").map(str::to_string))
            .collect();
        assert_eq!(flags, RESOURCE_TABLES);
    }
}
