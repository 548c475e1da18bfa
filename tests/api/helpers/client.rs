//! The typed client: one method per operation of the contract, named after
//! its `operationId`, taking who calls, the operation's input and the status
//! the test expects, and answering the body read as the type the test names
//! (svix-server's `TestClient` shape):
//!
//! ```ignore
//! let org: OrganizationPublic = app().create_organization(&owner, &NewOrganization::named("Acme"), 200);
//! let refused: Detail = app().read_organization(&stranger, &org.id, 404);
//! let resp: Resp = app().read_user_me(&user, 200); // the whole response: headers, Server-Timing
//! ```
//!
//! Paths are built here and nowhere else ([`paths`]). A request goes from a
//! client address of its own ([`super::unique_ip`]) unless the test sets one
//! with [`TestApp::from_ip`].

use super::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The API's paths, in one place.
pub mod paths {
    pub const API: &str = "/api/v1";

    pub fn health_check() -> String {
        format!("{API}/utils/health-check/")
    }
    pub fn openapi() -> String {
        format!("{API}/openapi.json")
    }
    pub fn login() -> String {
        format!("{API}/login/access-token")
    }
    pub fn login_mfa() -> String {
        format!("{API}/login/mfa")
    }
    pub fn test_token() -> String {
        format!("{API}/login/test-token")
    }
    pub fn refresh() -> String {
        format!("{API}/login/refresh")
    }
    pub fn logout() -> String {
        format!("{API}/logout")
    }
    pub fn signup() -> String {
        format!("{API}/users/signup")
    }
    pub fn users() -> String {
        format!("{API}/users/")
    }
    /// `/users`, which the router matches as `/users/`.
    pub fn users_without_slash() -> String {
        format!("{API}/users")
    }
    /// `/organizations`, which the router matches as `/organizations/`.
    pub fn organizations_without_slash() -> String {
        format!("{API}/organizations")
    }
    pub fn private_users() -> String {
        format!("{API}/private/users/")
    }
    pub fn me() -> String {
        format!("{API}/users/me")
    }
    pub fn my_password() -> String {
        format!("{API}/users/me/password")
    }
    pub fn my_sessions() -> String {
        format!("{API}/users/me/sessions")
    }
    pub fn my_session(session_id: &str) -> String {
        format!("{API}/users/me/sessions/{session_id}")
    }
    pub fn my_invitations() -> String {
        format!("{API}/users/me/invitations")
    }
    pub fn my_invitation(invitation_id: &str, action: &str) -> String {
        format!("{API}/users/me/invitations/{invitation_id}/{action}")
    }
    pub fn send_verification() -> String {
        format!("{API}/users/me/verify-email")
    }
    pub fn verify_email() -> String {
        format!("{API}/verify-email/")
    }
    pub fn password_recovery(email: &str) -> String {
        format!("{API}/password-recovery/{email}")
    }
    pub fn password_recovery_html(email: &str) -> String {
        format!("{API}/password-recovery-html-content/{email}")
    }
    pub fn reset_password() -> String {
        format!("{API}/reset-password/")
    }
    pub fn user(user_id: &str) -> String {
        format!("{API}/users/{user_id}")
    }
    pub fn user_sessions(user_id: &str) -> String {
        format!("{API}/users/{user_id}/sessions")
    }
    pub fn mfa_totp() -> String {
        format!("{API}/users/me/mfa/totp")
    }
    pub fn mfa_totp_verify() -> String {
        format!("{API}/users/me/mfa/totp/verify")
    }
    pub fn my_mfa() -> String {
        format!("{API}/users/me/mfa")
    }
    pub fn recovery_codes() -> String {
        format!("{API}/users/me/mfa/recovery-codes")
    }
    pub fn user_mfa(user_id: &str) -> String {
        format!("{API}/users/{user_id}/mfa")
    }
    pub fn organizations() -> String {
        format!("{API}/organizations/")
    }
    pub fn organization(organization_id: &str) -> String {
        format!("{API}/organizations/{organization_id}")
    }
    pub fn members(organization_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/members")
    }
    pub fn member(organization_id: &str, user_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/members/{user_id}")
    }
    pub fn migrate_resources(organization_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/migrate-resources")
    }
    pub fn invitations(organization_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/invitations")
    }
    pub fn invitation(organization_id: &str, invitation_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/invitations/{invitation_id}")
    }
    pub fn invitation_by_token(action: &str) -> String {
        format!("{API}/invitations/{action}")
    }
    pub fn api_keys(organization_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/api-keys")
    }
    pub fn api_key(organization_id: &str, key_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/api-keys/{key_id}")
    }
    pub fn organization_events(organization_id: &str) -> String {
        format!("{API}/organizations/{organization_id}/events")
    }
    pub fn events() -> String {
        format!("{API}/events")
    }
    /// An organization's webhook endpoints, or (`None`) the global ones.
    pub fn webhooks(organization_id: Option<&str>) -> String {
        match organization_id {
            Some(org) => format!("{API}/organizations/{org}/webhooks"),
            None => format!("{API}/webhooks"),
        }
    }
    pub fn webhook(organization_id: Option<&str>, endpoint_id: &str) -> String {
        format!("{}/{endpoint_id}", webhooks(organization_id))
    }
    pub fn presigned_url() -> String {
        format!("{API}/uploads/presigned-url")
    }
    pub fn upload(media_resource_id: &str) -> String {
        format!("{API}/uploads/{media_resource_id}")
    }
    pub fn media(media_resource_id: &str) -> String {
        format!("{API}/media/{media_resource_id}")
    }
    pub fn jwks() -> String {
        "/.well-known/jwks.json".to_string()
    }
    /// A path the API does not have.
    pub fn unknown() -> String {
        format!("{API}/nope")
    }
}

/// Who calls: a bearer token (`&str`, `String`, a [`TestUser`]) or nobody
/// ([`ANONYMOUS`]).
pub trait Caller {
    fn bearer(&self) -> Option<&str>;
}
impl Caller for str {
    fn bearer(&self) -> Option<&str> {
        Some(self)
    }
}
impl Caller for String {
    fn bearer(&self) -> Option<&str> {
        Some(self)
    }
}
impl Caller for TestUser {
    fn bearer(&self) -> Option<&str> {
        Some(&self.token)
    }
}
impl<C: Caller + ?Sized> Caller for &C {
    fn bearer(&self) -> Option<&str> {
        (**self).bearer()
    }
}
impl Caller for Option<&str> {
    fn bearer(&self) -> Option<&str> {
        *self
    }
}
/// A caller without a token.
pub struct Anonymous;
pub const ANONYMOUS: Anonymous = Anonymous;
impl Caller for Anonymous {
    fn bearer(&self) -> Option<&str> {
        None
    }
}

/// What an answer is read as: a type of [`super::model`] (any deserializable
/// type, `serde_json::Value` included), or the whole [`Resp`].
pub trait Answer: Sized {
    fn read(resp: Resp) -> Self;
}
impl<T: DeserializeOwned> Answer for T {
    #[track_caller]
    fn read(resp: Resp) -> Self {
        serde_json::from_str(&resp.text).unwrap_or_else(|e| {
            panic!(
                "the answer is not a {} ({e}): {}",
                std::any::type_name::<T>(),
                resp.text
            )
        })
    }
}

/// What a request sends.
pub enum Body<'a> {
    None,
    Json(String),
    Form(&'a [(&'a str, &'a str)]),
}

impl Body<'_> {
    pub fn json(value: &impl Serialize) -> Body<'static> {
        Body::Json(serde_json::to_string(value).unwrap())
    }
    /// A JSON body if there is one.
    pub fn json_or_none(value: Option<&Value>) -> Body<'static> {
        value.map_or(Body::None, Body::json)
    }
}

impl TestApp {
    /// Sends one request and answers the whole response.
    pub fn exchange(
        &self,
        method: &str,
        path: &str,
        who: &(impl Caller + ?Sized),
        body: Body,
    ) -> Resp {
        let mut req = self.request(method, path);
        if let Some(token) = who.bearer() {
            req = req.token(token);
        }
        match body {
            Body::None => req.send(),
            Body::Json(text) => req.raw("application/json", text.as_bytes()),
            Body::Form(pairs) => req.form(pairs),
        }
    }

    /// [`Self::exchange`], asserting `status` (showing the body if it
    /// differs), and the answer read as `T`.
    #[track_caller]
    pub fn call<T: Answer>(
        &self,
        method: &str,
        path: &str,
        who: &(impl Caller + ?Sized),
        body: Body,
        status: u16,
    ) -> T {
        let resp = self.exchange(method, path, who, body);
        assert_eq!(
            resp.status, status,
            "{method} {path} answered {}: {}",
            resp.status, resp.text
        );
        T::read(resp)
    }
}

impl Answer for Resp {
    fn read(resp: Resp) -> Self {
        resp
    }
}

/// One method per operation, in the order of the OpenAPI document. `query`
/// arguments are the query string without its `?` (`"limit=5&search=x"`, or `""`).
impl TestApp {
    #[track_caller]
    pub fn read_users<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        query: &str,
        status: u16,
    ) -> T {
        self.call(
            "GET",
            &with_query(paths::users(), query),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn create_user<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call("POST", &paths::users(), who, Body::json(body), status)
    }
    #[track_caller]
    pub fn read_user_me<T: Answer>(&self, who: &(impl Caller + ?Sized), status: u16) -> T {
        self.call("GET", &paths::me(), who, Body::None, status)
    }
    #[track_caller]
    pub fn update_user_me<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call("PATCH", &paths::me(), who, Body::json(body), status)
    }
    #[track_caller]
    pub fn delete_user_me<T: Answer>(&self, who: &(impl Caller + ?Sized), status: u16) -> T {
        self.call("DELETE", &paths::me(), who, Body::None, status)
    }
    #[track_caller]
    pub fn update_password_me<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "PATCH",
            &paths::my_password(),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn register_user<T: Answer>(&self, body: &impl Serialize, status: u16) -> T {
        self.call(
            "POST",
            &paths::signup(),
            &ANONYMOUS,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn read_user_by_id<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        user_id: &str,
        status: u16,
    ) -> T {
        self.call("GET", &paths::user(user_id), who, Body::None, status)
    }
    #[track_caller]
    pub fn update_user<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        user_id: &str,
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "PATCH",
            &paths::user(user_id),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn delete_user<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        user_id: &str,
        status: u16,
    ) -> T {
        self.call("DELETE", &paths::user(user_id), who, Body::None, status)
    }
    #[track_caller]
    pub fn create_organization<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "POST",
            &paths::organizations(),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn read_organizations<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        query: &str,
        status: u16,
    ) -> T {
        let path = with_query(paths::organizations(), query);
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn read_organization<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        status: u16,
    ) -> T {
        self.call("GET", &paths::organization(org_id), who, Body::None, status)
    }
    #[track_caller]
    pub fn update_organization<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "PUT",
            &paths::organization(org_id),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn delete_organization<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        status: u16,
    ) -> T {
        self.call(
            "DELETE",
            &paths::organization(org_id),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn read_organization_members<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        query: &str,
        status: u16,
    ) -> T {
        let path = with_query(paths::members(org_id), query);
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn add_organization_member<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        user_id: &str,
        status: u16,
    ) -> T {
        let body = Body::json(&serde_json::json!({ "user_id": user_id }));
        self.call("POST", &paths::members(org_id), who, body, status)
    }
    #[track_caller]
    pub fn remove_organization_member<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        user_id: &str,
        status: u16,
    ) -> T {
        self.call(
            "DELETE",
            &paths::member(org_id, user_id),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn update_member_role<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        user_id: &str,
        role: &str,
        status: u16,
    ) -> T {
        let body = Body::json(&serde_json::json!({ "role": role }));
        self.call("PATCH", &paths::member(org_id, user_id), who, body, status)
    }
    #[track_caller]
    pub fn migrate_user_resources<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        body: &impl Serialize,
        status: u16,
    ) -> T {
        let path = paths::migrate_resources(org_id);
        self.call("POST", &path, who, Body::json(body), status)
    }
    #[track_caller]
    pub fn login_access_token<T: Answer>(&self, username: &str, password: &str, status: u16) -> T {
        let form = [("username", username), ("password", password)];
        self.call(
            "POST",
            &paths::login(),
            &ANONYMOUS,
            Body::Form(&form),
            status,
        )
    }
    #[track_caller]
    pub fn test_token<T: Answer>(&self, who: &(impl Caller + ?Sized), status: u16) -> T {
        self.call("POST", &paths::test_token(), who, Body::None, status)
    }
    #[track_caller]
    pub fn recover_password<T: Answer>(&self, email: &str, status: u16) -> T {
        let path = paths::password_recovery(email);
        self.call("POST", &path, &ANONYMOUS, Body::None, status)
    }
    #[track_caller]
    pub fn reset_password<T: Answer>(&self, token: &str, new_password: &str, status: u16) -> T {
        let body = Body::json(&serde_json::json!({"token": token, "new_password": new_password}));
        self.call("POST", &paths::reset_password(), &ANONYMOUS, body, status)
    }
    #[track_caller]
    pub fn recover_password_html_content<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        email: &str,
        status: u16,
    ) -> T {
        let path = paths::password_recovery_html(email);
        self.call("POST", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn send_verification_email<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        status: u16,
    ) -> T {
        self.call("POST", &paths::send_verification(), who, Body::None, status)
    }
    #[track_caller]
    pub fn verify_email<T: Answer>(&self, token: &str, status: u16) -> T {
        let body = Body::json(&serde_json::json!({ "token": token }));
        self.call("POST", &paths::verify_email(), &ANONYMOUS, body, status)
    }
    #[track_caller]
    pub fn refresh<T: Answer>(&self, refresh_token: &str, status: u16) -> T {
        let body = Body::json(&serde_json::json!({ "refresh_token": refresh_token }));
        self.call("POST", &paths::refresh(), &ANONYMOUS, body, status)
    }
    #[track_caller]
    pub fn logout<T: Answer>(&self, who: &(impl Caller + ?Sized), status: u16) -> T {
        self.call("POST", &paths::logout(), who, Body::None, status)
    }
    #[track_caller]
    pub fn read_sessions<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        query: &str,
        status: u16,
    ) -> T {
        let path = with_query(paths::my_sessions(), query);
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn revoke_other_sessions<T: Answer>(&self, who: &(impl Caller + ?Sized), status: u16) -> T {
        self.call("DELETE", &paths::my_sessions(), who, Body::None, status)
    }
    #[track_caller]
    pub fn revoke_session<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        session_id: &str,
        status: u16,
    ) -> T {
        self.call(
            "DELETE",
            &paths::my_session(session_id),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn revoke_user_sessions<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        user_id: &str,
        status: u16,
    ) -> T {
        self.call(
            "DELETE",
            &paths::user_sessions(user_id),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn create_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "POST",
            &paths::invitations(org_id),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn read_invitations<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        query: &str,
        status: u16,
    ) -> T {
        let path = with_query(paths::invitations(org_id), query);
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn revoke_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        invitation_id: &str,
        status: u16,
    ) -> T {
        let path = paths::invitation(org_id, invitation_id);
        self.call("DELETE", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn resend_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        invitation_id: &str,
        status: u16,
    ) -> T {
        let path = format!("{}/resend", paths::invitation(org_id, invitation_id));
        self.call("POST", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn read_my_invitations<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        query: &str,
        status: u16,
    ) -> T {
        let path = with_query(paths::my_invitations(), query);
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn accept_my_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        invitation_id: &str,
        status: u16,
    ) -> T {
        let path = paths::my_invitation(invitation_id, "accept");
        self.call("POST", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn decline_my_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        invitation_id: &str,
        status: u16,
    ) -> T {
        let path = paths::my_invitation(invitation_id, "decline");
        self.call("POST", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn accept_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        token: &str,
        status: u16,
    ) -> T {
        let body = Body::json(&serde_json::json!({ "token": token }));
        self.call(
            "POST",
            &paths::invitation_by_token("accept"),
            who,
            body,
            status,
        )
    }
    #[track_caller]
    pub fn decline_invitation<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        token: &str,
        status: u16,
    ) -> T {
        let body = Body::json(&serde_json::json!({ "token": token }));
        self.call(
            "POST",
            &paths::invitation_by_token("decline"),
            who,
            body,
            status,
        )
    }
    #[track_caller]
    pub fn private_create_user<T: Answer>(&self, body: &impl Serialize, status: u16) -> T {
        self.call(
            "POST",
            &paths::private_users(),
            &ANONYMOUS,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn create_presigned_url<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "POST",
            &paths::presigned_url(),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn read_media<T: Answer>(&self, media_resource_id: &str, status: u16) -> T {
        let path = paths::media(media_resource_id);
        self.call("GET", &path, &ANONYMOUS, Body::None, status)
    }
    #[track_caller]
    pub fn jwks<T: Answer>(&self, status: u16) -> T {
        self.call("GET", &paths::jwks(), &ANONYMOUS, Body::None, status)
    }
    #[track_caller]
    pub fn read_api_keys<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        status: u16,
    ) -> T {
        self.call("GET", &paths::api_keys(org_id), who, Body::None, status)
    }
    #[track_caller]
    pub fn create_api_key<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "POST",
            &paths::api_keys(org_id),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn revoke_api_key<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        key_id: &str,
        status: u16,
    ) -> T {
        self.call(
            "DELETE",
            &paths::api_key(org_id, key_id),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn create_webhook<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: Option<&str>,
        body: &impl Serialize,
        status: u16,
    ) -> T {
        let path = paths::webhooks(org_id);
        self.call("POST", &path, who, Body::json(body), status)
    }
    #[track_caller]
    pub fn read_webhooks<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: Option<&str>,
        status: u16,
    ) -> T {
        self.call("GET", &paths::webhooks(org_id), who, Body::None, status)
    }
    #[track_caller]
    pub fn update_webhook<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        (org_id, endpoint_id): (Option<&str>, &str),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        let path = paths::webhook(org_id, endpoint_id);
        self.call("PATCH", &path, who, Body::json(body), status)
    }
    #[track_caller]
    pub fn delete_webhook<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        (org_id, endpoint_id): (Option<&str>, &str),
        status: u16,
    ) -> T {
        let path = paths::webhook(org_id, endpoint_id);
        self.call("DELETE", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn rotate_webhook_secret<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        (org_id, endpoint_id): (Option<&str>, &str),
        status: u16,
    ) -> T {
        let path = format!("{}/rotate-secret", paths::webhook(org_id, endpoint_id));
        self.call("POST", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn read_webhook_deliveries<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        (org_id, endpoint_id): (Option<&str>, &str),
        status: u16,
    ) -> T {
        let path = format!("{}/deliveries", paths::webhook(org_id, endpoint_id));
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn retry_webhook_delivery<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        (org_id, endpoint_id, delivery_id): (Option<&str>, &str, &str),
        status: u16,
    ) -> T {
        let endpoint = paths::webhook(org_id, endpoint_id);
        let path = format!("{endpoint}/deliveries/{delivery_id}/retry");
        self.call("POST", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn enrol_totp<T: Answer>(&self, who: &(impl Caller + ?Sized), status: u16) -> T {
        self.call("POST", &paths::mfa_totp(), who, Body::None, status)
    }
    #[track_caller]
    pub fn verify_totp<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        code: &str,
        status: u16,
    ) -> T {
        let body = Body::json(&serde_json::json!({ "code": code }));
        self.call("POST", &paths::mfa_totp_verify(), who, body, status)
    }
    #[track_caller]
    pub fn disable_mfa<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call("DELETE", &paths::my_mfa(), who, Body::json(body), status)
    }
    #[track_caller]
    pub fn regenerate_recovery_codes<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        body: &impl Serialize,
        status: u16,
    ) -> T {
        self.call(
            "POST",
            &paths::recovery_codes(),
            who,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn reset_user_mfa<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        user_id: &str,
        status: u16,
    ) -> T {
        self.call("DELETE", &paths::user_mfa(user_id), who, Body::None, status)
    }
    #[track_caller]
    pub fn login_mfa<T: Answer>(&self, body: &impl Serialize, status: u16) -> T {
        self.call(
            "POST",
            &paths::login_mfa(),
            &ANONYMOUS,
            Body::json(body),
            status,
        )
    }
    #[track_caller]
    pub fn read_organization_events<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        org_id: &str,
        query: &str,
        status: u16,
    ) -> T {
        let path = with_query(paths::organization_events(org_id), query);
        self.call("GET", &path, who, Body::None, status)
    }
    #[track_caller]
    pub fn read_events<T: Answer>(
        &self,
        who: &(impl Caller + ?Sized),
        query: &str,
        status: u16,
    ) -> T {
        self.call(
            "GET",
            &with_query(paths::events(), query),
            who,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn health_check<T: Answer>(&self, status: u16) -> T {
        self.call(
            "GET",
            &paths::health_check(),
            &ANONYMOUS,
            Body::None,
            status,
        )
    }
    #[track_caller]
    pub fn openapi_json<T: Answer>(&self, status: u16) -> T {
        self.call("GET", &paths::openapi(), &ANONYMOUS, Body::None, status)
    }
}

/// `path` with `query` (without its `?`) appended, if there is one.
pub fn with_query(path: String, query: &str) -> String {
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// A row of the round-trip budget table (`round_trips.rs`): what one
/// operation, answering `status` in the named case, may cost in D1.
#[derive(Debug)]
pub struct Budget {
    pub operation: &'static str,
    pub case: &'static str,
    pub status: u16,
    pub round_trips: u32,
    pub rows_read: u64,
}

/// An organization `owner` creates through the API, named `name`, with the
/// tests' usual avatar.
#[track_caller]
pub fn new_organization(owner: &(impl Caller + ?Sized), name: &str) -> OrganizationPublic {
    app().create_organization(owner, &NewOrganization::named(name), 200)
}
