//! The contract's shapes, as a client reads them: each answer the typed client
//! ([`super::client`]) returns. Every struct refuses a field it does not name
//! (`deny_unknown_fields`) and needs every field it names, so reading an answer
//! into one checks its set of fields; the order of fields, where a test pins
//! it, is [`super::field_names`]'s.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"detail": "..."}`: a refusal with a message.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    pub detail: String,
}

impl Detail {
    pub fn new(detail: &str) -> Detail {
        Detail {
            detail: detail.to_string(),
        }
    }
}

/// A 422: one item per problem, FastAPI's shape.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub detail: Vec<Problem>,
}

/// One item of a [`Validation`].
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
    #[serde(default)]
    pub ctx: Option<Value>,
}

impl Validation {
    /// The `loc` of each problem, joined with dots (`body.email`).
    pub fn locations(&self) -> Vec<String> {
        self.detail
            .iter()
            .map(|p| {
                p.loc
                    .iter()
                    .map(|l| match l {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }
}

/// `{"message": "..."}`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub message: String,
}

/// `UserPublic`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserPublic {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub email: String,
    pub full_name: Option<String>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub rework_available: i64,
    pub email_verified: bool,
    pub mfa_enabled: bool,
}

/// `MediaResource`: an organization's avatar.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MediaResource {
    pub id: String,
    pub created_at: String,
    pub url: String,
    pub resource_type: String,
    pub content_hash: String,
    pub extension: String,
    pub file_size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub duration: Option<f64>,
    pub aspect_ratio: Option<f64>,
    pub orientation: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub color_profile: Option<String>,
    pub dominant_color: Option<String>,
    pub protected: bool,
}

/// `OrganizationPublic`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPublic {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub name: String,
    pub avatar_image_url: String,
    pub avatar_image_media: Option<MediaResource>,
    pub description: Option<String>,
    pub rework_available: i64,
    pub owner_id: String,
    pub require_mfa: bool,
}

/// `OrganizationMemberPublic`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MemberPublic {
    pub user_id: String,
    pub joined_at: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: String,
}

/// One page of a list: `{data, count, next_cursor}`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub count: i64,
    pub next_cursor: Option<String>,
}

/// `Token`: what a login answers.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub access_token: String,
    pub token_type: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// `OrganizationCreate`, as a client sends it (`avatar_image`: a URL or a
/// media object, as JSON).
#[derive(Debug, Serialize)]
pub struct NewOrganization {
    pub name: String,
    pub avatar_image: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewOrganization {
    /// `name`, with the tests' usual avatar URL.
    pub fn named(name: &str) -> NewOrganization {
        NewOrganization {
            name: name.to_string(),
            avatar_image: Value::String(super::AVATAR.to_string()),
            description: None,
        }
    }
}

/// `{type, id}`: an event's actor or subject.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ref {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
}

/// `EventPublic`: one entry of an audit log.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventPublic {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: String,
    pub organization_id: Option<String>,
    pub actor: Ref,
    pub subject: Ref,
    pub data: Value,
    pub request_id: Option<String>,
    pub ip_address: Option<String>,
}

/// `WebhookEndpointPublic`, and with `secret` the answers of create and
/// rotate-secret (`WebhookEndpointWithSecret`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    pub id: String,
    pub organization_id: Option<String>,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub created_at: String,
    #[serde(default)]
    pub secret: Option<String>,
}

/// `WebhookDeliveryPublic`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookDelivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}
