//! Webhook shapes: the stored rows, the public answers and the request bodies.

use crate::clock::rfc3339_from_millis;
use crate::db::from_row;
use crate::error::ApiResult;
use crate::events::TYPES;
use crate::http::input::{Body, Input, Target};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::validation::{boolean, string, Fail, Patch, Validator};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// A `webhook_endpoints` row.
pub(crate) struct EndpointRow {
    pub(crate) id: String,
    pub(crate) organization_id: Option<String>,
    pub(crate) url: String,
    /// A JSON array of event types, or `["*"]`.
    pub(crate) event_types: String,
    pub(crate) description: Option<String>,
    pub(crate) enabled: i64,
    pub(crate) created_at: String,
}
from_row!(EndpointRow {
    id,
    organization_id,
    url,
    event_types,
    description,
    enabled,
    created_at
});

/// Never the sealed secret.
pub(crate) const ENDPOINT_COLUMNS: &str =
    "id, organization_id, url, event_types, description, enabled, created_at";

/// `WebhookEndpointPublic`: never the secret.
#[derive(Serialize)]
pub(crate) struct EndpointPublic {
    id: String,
    organization_id: Option<String>,
    url: String,
    event_types: Value,
    description: Option<String>,
    enabled: bool,
    created_at: String,
}

impl From<EndpointRow> for EndpointPublic {
    fn from(row: EndpointRow) -> Self {
        EndpointPublic {
            event_types: serde_json::from_str(&row.event_types).unwrap_or(Value::Null),
            enabled: row.enabled != 0,
            id: row.id,
            organization_id: row.organization_id,
            url: row.url,
            description: row.description,
            created_at: row.created_at,
        }
    }
}

/// The endpoint with its secret: the answers of create and rotate-secret only.
#[derive(Serialize)]
pub(crate) struct EndpointWithSecret {
    #[serde(flatten)]
    pub(crate) endpoint: EndpointPublic,
    pub(crate) secret: String,
}

/// Every type an endpoint may ask for, and `*` (all of them).
const WANTED: [&str; TYPES.len() + 1] = {
    let mut all = [""; TYPES.len() + 1];
    let mut i = 0;
    while i < TYPES.len() {
        all[i] = TYPES[i];
        i += 1;
    }
    all[TYPES.len()] = "*";
    all
};

/// Longest description.
const DESCRIPTION_MAX: usize = 500;

/// `url`: see [`super::url_problem`] (`https://` and a public host, but locally).
fn url(v: &mut Validator, b: &Map<String, Value>, required: bool) -> Patch<String> {
    let local = v.local;
    let check = move |x: &Value| url_value(x, local);
    if required {
        v.required(b, "url", check)
            .map_or(Patch::Absent, Patch::Set)
    } else {
        v.nullable(b, "url", check)
    }
}

/// An endpoint URL, or pydantic's error for it.
fn url_value(x: &Value, local: bool) -> Result<String, Fail> {
    let text = string(None, None)(x)?;
    let Some((kind, why)) = super::url_problem(&text, local) else {
        return Ok(text);
    };
    let (msg, ctx) = match kind {
        "url_too_long" => (
            format!("URL should have at most {why} characters"),
            json!({ "max_length": 2083 }),
        ),
        "url_scheme" => {
            let expected = if local {
                "'http' or 'https'"
            } else {
                "'https'"
            };
            let msg = format!("URL scheme should be {expected}");
            (msg, json!({ "expected_schemes": expected }))
        }
        "value_error" => {
            let why = "the URL's host is a loopback or private address";
            (format!("Value error, {why}"), json!({ "error": why }))
        }
        _ => (
            format!("Input should be a valid URL, {why}"),
            json!({ "error": why }),
        ),
    };
    Err(Fail::new(kind, msg).with_ctx(ctx))
}

/// The stored form of `event_types`: `["*"]` alone stands for every type.
fn event_types(types: Vec<&'static str>) -> String {
    let types = if types.contains(&"*") {
        vec!["*"]
    } else {
        types
    };
    serde_json::to_string(&types).unwrap_or_else(|_| "[]".into())
}

/// `WebhookEndpointCreate`.
pub(crate) struct EndpointCreate {
    pub(crate) url: String,
    pub(crate) event_types: String,
    pub(crate) description: Option<String>,
}

impl Body for EndpointCreate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let url = url(v, b, true);
        let types = v.literal_list(b, "event_types", &WANTED);
        let description = match v.nullable(b, "description", string(None, Some(DESCRIPTION_MAX))) {
            Patch::Set(d) => Some(Some(d)),
            Patch::Absent if b.contains_key("description") => None, // refused
            Patch::Null | Patch::Absent => Some(None),
        };
        let Patch::Set(url) = url else { return None };
        Some(EndpointCreate {
            url,
            event_types: event_types(types?),
            description: description?,
        })
    }
}

/// `WebhookEndpointUpdate`: what is sent changes; `description: null` clears it.
pub(crate) struct EndpointUpdate {
    pub(crate) url: Option<String>,
    pub(crate) event_types: Option<String>,
    pub(crate) description: Patch<String>,
    pub(crate) enabled: Option<bool>,
}

impl Body for EndpointUpdate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let url = url(v, b, false);
        let types = match b.get("event_types") {
            None | Some(Value::Null) => Some(None),
            Some(_) => v.literal_list(b, "event_types", &WANTED).map(Some),
        };
        let description = v.nullable(b, "description", string(None, Some(DESCRIPTION_MAX)));
        let enabled = v.nullable(b, "enabled", boolean);
        Some(EndpointUpdate {
            url: url.value(),
            event_types: types?.map(event_types),
            description,
            enabled: enabled.value(),
        })
    }
}

/// The path of a webhook operation: `{organization_id}` (absent under
/// `/webhooks`, the superusers' global endpoints), `{endpoint_id}` and
/// `{delivery_id}` where the route has them.
pub(crate) struct HookPath {
    pub(crate) org: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) delivery: String,
}

impl Input for HookPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let mut ok = true;
        let mut id = |name: &str| {
            if !cx.params.iter().any(|(n, _)| *n == name) {
                return String::new();
            }
            match v.path_uuid(name, cx.param(name)) {
                Some(id) => id_text(&id),
                None => {
                    ok = false;
                    String::new()
                }
            }
        };
        let org = id("organization_id");
        let endpoint = id("endpoint_id");
        let delivery = id("delivery_id");
        Ok(ok.then(|| HookPath {
            org: (!org.is_empty()).then_some(org),
            endpoint,
            delivery,
        }))
    }

    fn target(&self, t: &mut Target) {
        t.org_id.clone_from(&self.org);
    }
}

/// A `webhook_deliveries` row, as its list shows it.
pub(crate) struct DeliveryRow {
    pub(crate) id: String,
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) status: String,
    pub(crate) attempts: i64,
    pub(crate) last_status_code: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) next_attempt_at: Option<i64>,
    pub(crate) delivered_at: Option<String>,
}
from_row!(DeliveryRow {
    id,
    event_id,
    event_type,
    status,
    attempts,
    last_status_code,
    last_error,
    next_attempt_at,
    delivered_at
});

pub(crate) const DELIVERY_COLUMNS: &str = "id, event_id, event_type, status, attempts, \
     last_status_code, last_error, next_attempt_at, delivered_at";

/// `WebhookDeliveryPublic`.
#[derive(Serialize)]
pub(crate) struct DeliveryPublic {
    id: String,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: Option<String>,
    delivered_at: Option<String>,
}

impl From<DeliveryRow> for DeliveryPublic {
    fn from(row: DeliveryRow) -> Self {
        let pending = row.status == "pending";
        DeliveryPublic {
            next_attempt_at: row
                .next_attempt_at
                .filter(|_| pending)
                .map(|s| rfc3339_from_millis(s.max(0) as u64 * 1000)),
            id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            status: row.status,
            attempts: row.attempts,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
        }
    }
}
