//! Membership shapes.

use crate::http::input::Body;
use crate::validation::{uuid, Validator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// `OrganizationMemberPublic`, as the members query returns it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OrganizationMemberPublic {
    pub(crate) user_id: String,
    pub(crate) joined_at: String,
    pub(crate) email: String,
    pub(crate) full_name: Option<String>,
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
