//! Membership shapes.

use crate::db::from_row;
use crate::http::input::Body;
use crate::validation::{uuid, Fail, Validator};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// `OrganizationMemberPublic`, as the members query returns it.
#[derive(Debug, Serialize)]
pub(crate) struct OrganizationMemberPublic {
    pub(crate) user_id: String,
    pub(crate) joined_at: String,
    pub(crate) email: String,
    pub(crate) full_name: Option<String>,
    /// `owner`, `admin` or `member`.
    pub(crate) role: String,
}
from_row!(OrganizationMemberPublic {
    user_id,
    joined_at,
    email,
    full_name,
    role
});

pub(crate) const ALREADY_MEMBER: &str = "User is already a member of this organization";
pub(crate) const NOT_MEMBER: &str = "User is not a member of this organization";

/// A role that can be given (`owner` goes with a transfer of ownership).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Admin,
    Member,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

/// The `role` field: `admin` or `member` (pydantic's literal error otherwise).
pub(crate) fn role(v: &Value) -> Result<Role, Fail> {
    match v.as_str() {
        Some("admin") => Ok(Role::Admin),
        Some("member") => Ok(Role::Member),
        _ => Err(
            Fail::new("literal_error", "Input should be 'admin' or 'member'")
                .with_ctx(serde_json::json!({"expected": "'admin' or 'member'"})),
        ),
    }
}

/// `MemberRoleUpdate`.
pub(crate) struct MemberRoleUpdate {
    pub(crate) role: Role,
}

impl Body for MemberRoleUpdate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let role = v.required(b, "role", role);
        Some(MemberRoleUpdate { role: role? })
    }
}

/// `AddMemberRequest`.
pub(crate) struct AddMemberRequest {
    pub(crate) user_id: Uuid,
}

impl Body for AddMemberRequest {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let user_id = v.required(b, "user_id", uuid);
        Some(AddMemberRequest { user_id: user_id? })
    }

    fn subject(&self) -> Option<Uuid> {
        Some(self.user_id)
    }
}
