//! Membership shapes.

use crate::http::input::Body;
use crate::validation::{uuid, Fail, Validator};
use serde_json::{Map, Value};
use uuid::Uuid;

/// `OrganizationMemberPublic`, as SQLite builds it from a membership `m`
/// joined with its user `u`; lists pass it through.
pub(crate) const MEMBER_JSON: &str = "json_object('user_id', m.user_id, 'joined_at', m.joined_at, \
     'email', u.email, 'full_name', u.full_name, 'role', m.role) as json";

/// A new member's `OrganizationMemberPublic`, as [`MEMBER_JSON`] would read it.
pub(crate) fn member_json(
    user_id: &str,
    joined_at: &str,
    email: &str,
    full_name: Option<&str>,
    role: &str,
) -> String {
    let text = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        "{{\"user_id\":{},\"joined_at\":{},\"email\":{},\"full_name\":{},\"role\":{}}}",
        text(user_id),
        text(joined_at),
        text(email),
        full_name.map_or("null".to_string(), text),
        text(role)
    )
}

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
