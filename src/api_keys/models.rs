//! API key shapes.

use super::Scope;
use crate::error::ApiResult;
use crate::http::input::{Body, Input};
use crate::http::Ctx;
use crate::ids::id_text;
use crate::validation::{check_bounds, integer, name_of, Patch, Validator};
use serde_json::{Map, Value};

pub(crate) use crate::identity::api_key::ApiKeyRow;

/// `ApiKeyPublic`, as SQLite builds it from an `api_keys` row (lists pass it through).
pub(crate) const API_KEY_JSON: &str = "json_object('id', id, 'organization_id', organization_id, \
     'name', name, 'prefix', prefix, 'scopes', json(scopes), 'created_by_id', created_by_id, \
     'created_at', created_at, 'expires_at', \
     strftime('%Y-%m-%dT%H:%M:%S.000000Z', expires_at, 'unixepoch'), \
     'last_used_at', last_used_at) as json";

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
        let names = Scope::ALL.map(Scope::as_str);
        let scopes = v
            .literal_list(b, "scopes", &names)
            .map(|names| names.into_iter().filter_map(Scope::parse).collect());
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

/// `{key_id}` in the path.
pub(crate) struct ApiKeyPath(pub(crate) String);

impl Input for ApiKeyPath {
    fn parse(cx: &Ctx, v: &mut Validator) -> ApiResult<Option<Self>> {
        Ok(v.path_uuid("key_id", cx.param("key_id"))
            .map(|id| ApiKeyPath(id_text(&id))))
    }
}
