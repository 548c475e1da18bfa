//! API key shapes.

use super::Scope;
use crate::clock::rfc3339_from_millis;
use crate::error::ApiResult;
use crate::error::Loc;
use crate::http::input::{Body, Input};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::validation::{check_bounds, integer, name_of, Fail, Patch, Validator};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub(crate) use crate::identity::api_key::{ApiKeyRow, COLUMNS};

/// `ApiKeyPublic`: never the key.
#[derive(Debug, Serialize)]
pub(crate) struct ApiKeyPublic {
    id: String,
    organization_id: String,
    name: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created_by_id: Option<String>,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
}

impl From<ApiKeyRow> for ApiKeyPublic {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyPublic {
            scopes: row.scopes().into_iter().map(Scope::as_str).collect(),
            expires_at: row
                .expires_at
                .map(|e| rfc3339_from_millis(e.max(0) as u64 * 1000)),
            id: row.id,
            organization_id: row.organization_id,
            name: row.name,
            prefix: row.prefix,
            created_by_id: row.created_by_id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// `ApiKeyWithKey`: the create answer, the only one that holds the key.
#[derive(Debug, Serialize)]
pub(crate) struct ApiKeyWithKey {
    #[serde(flatten)]
    pub(crate) api_key: ApiKeyPublic,
    pub(crate) key: String,
}

/// `ApiKeyCreate`.
pub(crate) struct ApiKeyCreate {
    pub(crate) name: String,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) expires_in_days: Option<i64>,
}

/// Longest name, and the bounds of `expires_in_days`.
const NAME_MAX: usize = 100;
const EXPIRES_MIN_DAYS: i64 = 1;
const EXPIRES_MAX_DAYS: i64 = 3650;

impl Body for ApiKeyCreate {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let name = v.required(b, "name", name_of(1, NAME_MAX));
        let scopes = match b.get("scopes") {
            None => {
                v.push(
                    vec!["body".into(), "scopes".into()],
                    Value::Object(b.clone()),
                    Fail::new("missing", "Field required"),
                );
                None
            }
            Some(value) => scopes(v, value),
        };
        let expires = match v.nullable(b, "expires_in_days", |x| {
            check_bounds(integer(x)?, Some(EXPIRES_MIN_DAYS), Some(EXPIRES_MAX_DAYS))
        }) {
            Patch::Set(days) => Some(Some(days)),
            Patch::Null => Some(None),
            Patch::Absent if b.contains_key("expires_in_days") => None,
            Patch::Absent => Some(None),
        };
        Some(ApiKeyCreate {
            name: name?,
            scopes: scopes?,
            expires_in_days: expires?,
        })
    }
}

/// `scopes`: a non-empty list of scope names, none repeated; each problem at its place.
fn scopes(v: &mut Validator, value: &Value) -> Option<Vec<Scope>> {
    let loc = |i: Option<usize>| {
        let mut loc: Vec<Loc> = vec!["body".into(), "scopes".into()];
        loc.extend(i.map(Loc::Index));
        loc
    };
    let Value::Array(items) = value else {
        v.push(
            loc(None),
            value.clone(),
            Fail::new("list_type", "Input should be a valid list"),
        );
        return None;
    };
    let expected = "'organization:read', 'organization:write' or 'members:write'";
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match item.as_str().and_then(Scope::parse) {
            Some(scope) => out.push(scope),
            None => {
                ok = false;
                v.push(
                    loc(Some(i)),
                    item.clone(),
                    Fail::new("literal_error", format!("Input should be {expected}"))
                        .with_ctx(json!({ "expected": expected })),
                );
            }
        }
    }
    if !ok {
        return None;
    }
    if out.is_empty() {
        v.push(
            loc(None),
            value.clone(),
            Fail::new(
                "too_short",
                "List should have at least 1 item after validation, not 0",
            )
            .with_ctx(json!({"field_type": "List", "min_length": 1, "actual_length": 0})),
        );
        return None;
    }
    if (1..out.len()).any(|i| out[..i].contains(&out[i])) {
        v.push(
            loc(None),
            value.clone(),
            Fail::new("value_error", "Value error, scopes must not repeat")
                .with_ctx(json!({"error": "scopes must not repeat"})),
        );
        return None;
    }
    Some(out)
}

/// `{key_id}` in the path.
pub(crate) struct ApiKeyPath(pub(crate) String);

impl Input for ApiKeyPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(v.path_uuid("key_id", cx.param("key_id"))
            .map(|id| ApiKeyPath(id_text(&id))))
    }
}
