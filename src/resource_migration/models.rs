//! `ResourceMigrationRequest` / `ResourceMigrationResponse`. Both follow
//! [`RESOURCE_TABLES`]: one `migrate_<table>` flag and one count per table.

use crate::http::input::Body;
use crate::resources::RESOURCE_TABLES;
use crate::validation::{boolean, uuid, Validator};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

pub(crate) struct ResourceMigrationRequest {
    pub(crate) user_id: Uuid,
    /// The tables selected, in `RESOURCE_TABLES` order.
    pub(crate) tables: Vec<&'static str>,
}

impl Body for ResourceMigrationRequest {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let user_id = v.required(b, "user_id", uuid);
        let mut tables = Vec::new();
        let mut ok = true;
        for table in RESOURCE_TABLES {
            match v.defaulted(b, &format!("migrate_{table}"), false, boolean) {
                Some(true) => tables.push(table),
                Some(false) => {}
                None => ok = false,
            }
        }
        ok.then_some(())?;
        Some(ResourceMigrationRequest {
            user_id: user_id?,
            tables,
        })
    }

    /// The user whose resources move: the access check loads them.
    fn subject(&self) -> Option<Uuid> {
        Some(self.user_id)
    }
}

/// `ResourceMigrationCounts`: one count per type in schema order, 0 for types not selected.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ResourceMigrationCounts([u64; RESOURCE_TABLES.len()]);

impl ResourceMigrationCounts {
    pub(crate) fn set(&mut self, table: &str, n: u64) {
        if let Some(i) = RESOURCE_TABLES.iter().position(|t| *t == table) {
            self.0[i] = n;
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl Serialize for ResourceMigrationCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(RESOURCE_TABLES.len()))?;
        for (table, n) in RESOURCE_TABLES.iter().zip(self.0) {
            map.serialize_entry(table, &n)?;
        }
        map.end()
    }
}

/// `ResourceMigrationResponse`.
#[derive(Debug, Serialize)]
pub(crate) struct ResourceMigrationResponse {
    pub(crate) message: String,
    pub(crate) organization_id: String,
    pub(crate) migrated_counts: ResourceMigrationCounts,
    pub(crate) total_migrated: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_flags_set_to_true_are_selected() {
        let mut v = Validator::new();
        let b = json!({"user_id": Uuid::nil(), "migrate_products": true, "migrate_styles": "yes", "migrate_subjects": false});
        let r = ResourceMigrationRequest::parse(&mut v, b.as_object().unwrap()).unwrap();
        assert_eq!(r.tables, ["products", "styles"]);
    }

    #[test]
    fn non_boolean_flags_are_refused() {
        let mut v = Validator::new();
        let b = json!({"user_id": "x", "migrate_products": [1]});
        assert!(ResourceMigrationRequest::parse(&mut v, b.as_object().unwrap()).is_none());
        let body = v.finish().unwrap_err().body();
        assert_eq!(body["detail"][0]["loc"], json!(["body", "user_id"]));
        assert_eq!(
            body["detail"][1]["loc"],
            json!(["body", "migrate_products"])
        );
        assert_eq!(body["detail"][1]["type"], "bool_type");
    }

    #[test]
    fn counts_serialize_every_type_in_schema_order() {
        let mut c = ResourceMigrationCounts::default();
        c.set("styles", 3);
        let value = serde_json::to_value(&c).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, RESOURCE_TABLES);
        assert_eq!(value["styles"], 3);
        assert_eq!(c.total(), 3);
    }
}
