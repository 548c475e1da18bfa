//! The 13 resource types: tables of their own, each row owned by its creator
//! (`owner_id`) and either personal (`organization_id` null) or an organization's.

/// Table names, in the order of `ResourceMigrationRequest` / `ResourceMigrationCounts`.
pub const RESOURCE_TABLES: [&str; 13] = [
    "products",
    "subjects",
    "styles",
    "generations",
    "shootings",
    "shot_types",
    "stylists",
    "background_presets",
    "resolution_presets",
    "product_type_shot_types",
    "external_integrations",
    "shooting_guidelines",
    "export_configurations",
];
