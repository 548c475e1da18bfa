//! Invitation shapes.

use crate::clock::rfc3339_from_millis;
use crate::db::from_row;
use crate::error::ApiResult;
use crate::http::input::{Body, Input};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::memberships::models::{role, Role};
use crate::validation::email::Email;
use crate::validation::{email, string, Fail, Validator};
use serde::Serialize;
use serde_json::{Map, Value};

/// The invitation operations' messages.
pub(crate) const PENDING: &str = "An invitation for this email is already pending";
pub(crate) const INVALID: &str = "Invalid invitation";
pub(crate) const NOT_FOUND: &str = "Invitation not found";

/// An `invitations` row.
#[derive(Debug)]
pub(crate) struct InvitationRow {
    pub(crate) id: String,
    pub(crate) organization_id: String,
    pub(crate) email: String,
    pub(crate) email_key: String,
    pub(crate) role: String,
    pub(crate) status: String,
    pub(crate) invited_by_id: Option<String>,
    pub(crate) created_at: String,
    pub(crate) expires_at: i64,
    /// Only where a query asks: whether the caller is a member of its organization.
    pub(crate) member: Option<i64>,
}
from_row!(InvitationRow {
    id,
    organization_id,
    email,
    email_key,
    role,
    status,
    invited_by_id,
    created_at,
    expires_at,
    member
});

impl InvitationRow {
    /// Pending and not expired at `now`.
    pub(crate) fn is_open(&self, now: i64) -> bool {
        self.status == "pending" && self.expires_at > now
    }
}

/// `InvitationPublic`: a pending invitation past its expiry shows `expired`.
#[derive(Debug, Serialize)]
pub(crate) struct InvitationPublic {
    id: String,
    organization_id: String,
    email: String,
    role: String,
    status: String,
    invited_by_id: Option<String>,
    created_at: String,
    expires_at: String,
}

impl InvitationPublic {
    pub(crate) fn of(row: InvitationRow, now: i64) -> Self {
        let status = if row.status == "pending" && row.expires_at <= now {
            "expired".to_string()
        } else {
            row.status
        };
        InvitationPublic {
            expires_at: rfc3339_from_millis(row.expires_at.max(0) as u64 * 1000),
            id: row.id,
            organization_id: row.organization_id,
            email: row.email,
            role: row.role,
            status,
            invited_by_id: row.invited_by_id,
            created_at: row.created_at,
        }
    }
}

/// An invitation with its token: only in the create and resend answers.
#[derive(Debug, Serialize)]
pub(crate) struct InvitationWithToken {
    #[serde(flatten)]
    pub(crate) invitation: InvitationPublic,
    pub(crate) token: String,
}

/// `InvitationCreate`.
pub(crate) struct InvitationCreate {
    pub(crate) email: Email,
    pub(crate) role: Role,
}

impl Body for InvitationCreate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let email = v.required(b, "email", email(Some(255)));
        let role = v.defaulted(b, "role", Role::Member, role);
        Some(InvitationCreate {
            email: email?,
            role: role?,
        })
    }
}

/// `{"token"}` of an invitation.
pub(crate) struct InvitationToken {
    pub(crate) token: String,
}

impl Body for InvitationToken {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let token = v.required(b, "token", string(None, Some(512)));
        Some(InvitationToken { token: token? })
    }
}

/// `{invitation_id}` in the path.
pub(crate) struct InvitationPath(pub(crate) String);

impl Input for InvitationPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(v.path_uuid("invitation_id", cx.param("invitation_id"))
            .map(|id| InvitationPath(id_text(&id))))
    }
}

/// The statuses an invitation can show.
pub(crate) const STATUSES: [&str; 5] = ["pending", "accepted", "declined", "revoked", "expired"];

/// `?status=`: one of [`STATUSES`], or every status.
pub(crate) struct StatusFilter(pub(crate) Option<&'static str>);

impl Input for StatusFilter {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let Some(raw) = cx.query("status") else {
            return Ok(Some(StatusFilter(None)));
        };
        match STATUSES.iter().find(|s| **s == raw) {
            Some(status) => Ok(Some(StatusFilter(Some(status)))),
            None => {
                v.push(
                    vec!["query".into(), "status".into()],
                    Value::String(raw),
                    Fail::new(
                        "literal_error",
                        "Input should be 'pending', 'accepted', 'declined', 'revoked' or 'expired'",
                    )
                    .with_ctx(serde_json::json!({
                        "expected": "'pending', 'accepted', 'declined', 'revoked' or 'expired'"
                    })),
                );
                Ok(None)
            }
        }
    }
}
