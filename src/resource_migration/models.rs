//! `ResourceMigrationRequest` / `ResourceMigrationResponse`.

use crate::resources::RESOURCE_TABLES;
use crate::validation::{boolean, uuid, Validator};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

pub struct ResourceMigrationRequest {
    pub user_id: Uuid,
    /// The tables selected, in `RESOURCE_TABLES` order.
    pub tables: Vec<&'static str>,
}

impl ResourceMigrationRequest {
    pub fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
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
}

/// `ResourceMigrationCounts`: one count per type, 0 for types not selected.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct ResourceMigrationCounts {
    pub products: u64,
    pub subjects: u64,
    pub styles: u64,
    pub generations: u64,
    pub shootings: u64,
    pub shot_types: u64,
    pub stylists: u64,
    pub background_presets: u64,
    pub resolution_presets: u64,
    pub product_type_shot_types: u64,
    pub external_integrations: u64,
    pub shooting_guidelines: u64,
    pub export_configurations: u64,
}

impl ResourceMigrationCounts {
    pub fn set(&mut self, table: &str, n: u64) {
        let slot = match table {
            "products" => &mut self.products,
            "subjects" => &mut self.subjects,
            "styles" => &mut self.styles,
            "generations" => &mut self.generations,
            "shootings" => &mut self.shootings,
            "shot_types" => &mut self.shot_types,
            "stylists" => &mut self.stylists,
            "background_presets" => &mut self.background_presets,
            "resolution_presets" => &mut self.resolution_presets,
            "product_type_shot_types" => &mut self.product_type_shot_types,
            "external_integrations" => &mut self.external_integrations,
            "shooting_guidelines" => &mut self.shooting_guidelines,
            "export_configurations" => &mut self.export_configurations,
            _ => return,
        };
        *slot = n;
    }
}

/// `ResourceMigrationResponse`.
#[derive(Debug, Serialize)]
pub struct ResourceMigrationResponse {
    pub message: String,
    pub organization_id: String,
    pub migrated_counts: ResourceMigrationCounts,
    pub total_migrated: u64,
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
        let keys: Vec<String> = serde_json::to_value(&c)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, RESOURCE_TABLES);
        assert_eq!(c.styles, 3);
    }
}
