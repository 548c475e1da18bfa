//! Membership shapes.

use crate::validation::{uuid, Validator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// `OrganizationMemberPublic`, as the members query returns it.
#[derive(Debug, Serialize, Deserialize)]
pub struct OrganizationMemberPublic {
    pub user_id: String,
    pub joined_at: String,
    pub email: String,
    pub full_name: Option<String>,
}

/// `OrganizationMembersPublic`.
#[derive(Debug, Serialize)]
pub struct OrganizationMembersPublic {
    pub data: Vec<OrganizationMemberPublic>,
    pub count: i64,
}

/// `AddMemberRequest`.
pub struct AddMemberRequest {
    pub user_id: Uuid,
}

impl AddMemberRequest {
    pub fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let user_id = v.required(b, "user_id", uuid);
        Some(AddMemberRequest { user_id: user_id? })
    }
}
