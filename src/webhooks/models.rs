//! Webhook shapes: the stored rows, the public answers and the request bodies.

use crate::db::json_flag;
use crate::error::ApiResult;
use crate::events::TYPES;
use crate::http::input::{Body, Input, Json, Target};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::lists::Page;
use crate::validation::{boolean, string, Fail, Patch, Validator};
use serde_json::{json, Map, Value};
use worker::Method;

/// `WebhookEndpointPublic`, assembled by SQLite (never the sealed secret).
pub(crate) const ENDPOINT_JSON: &str = concat!(
    "json_object('id', id, 'organization_id', organization_id, 'url', url, ",
    "'event_types', json(event_types), 'description', description, 'enabled', ",
    json_flag!("enabled"),
    ", 'created_at', created_at) as json"
);

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

/// The inputs of every webhook operation, in one type: the path, the page
/// (a `GET`: both are lists) and the body (`POST` of a new endpoint: a
/// [`EndpointCreate`]; `PATCH`: an [`EndpointUpdate`]). One input type for the
/// 14 routes compiles the envelope's checks for them once (about 3 KB of the
/// upload, against one per shape of inputs).
pub(crate) struct HookRequest {
    pub(crate) path: HookPath,
    pub(crate) page: Page,
    pub(crate) body: HookBody,
}

pub(crate) enum HookBody {
    None,
    Create(EndpointCreate),
    Update(EndpointUpdate),
}

impl Input for HookRequest {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        let path = HookPath::parse(cx, v)?;
        let method = cx.req.method();
        let page = match method {
            Method::Get => Page::parse(cx, v)?,
            _ => Some(Page::FIRST),
        };
        let body = match method {
            Method::Post if !cx.params.iter().any(|(n, _)| *n == "endpoint_id") => {
                Json::<EndpointCreate>::parse(cx, v)?.map(|Json(b)| HookBody::Create(b))
            }
            Method::Patch => {
                Json::<EndpointUpdate>::parse(cx, v)?.map(|Json(b)| HookBody::Update(b))
            }
            _ => Some(HookBody::None),
        };
        Ok(match (path, page, body) {
            (Some(path), Some(page), Some(body)) => Some(HookRequest { path, page, body }),
            _ => None,
        })
    }

    fn target(&self, t: &mut Target) {
        self.path.target(t);
    }
}

/// `WebhookDeliveryPublic`, assembled by SQLite: `next_attempt_at` while pending only.
pub(crate) const DELIVERY_JSON: &str = "json_object('id', id, 'event_id', event_id, \
     'event_type', event_type, 'status', status, 'attempts', attempts, \
     'last_status_code', last_status_code, 'last_error', last_error, 'next_attempt_at', \
     iif(status = 'pending', strftime('%Y-%m-%dT%H:%M:%S.000000Z', next_attempt_at, 'unixepoch'), null), \
     'delivered_at', delivered_at) as json";
