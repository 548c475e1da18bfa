//! `GET /api/v1/openapi.json`: the committed OpenAPI document, served verbatim.
//! A native test checks that it lists exactly the operations of `app::routes()`.

use crate::app::Ctx;
use crate::error::{ApiError, ApiResult};
use worker::Response;

pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Openapi Json: the OpenAPI document of this service.
pub async fn openapi_json(_cx: Ctx) -> ApiResult<Response> {
    let mut resp = Response::builder()
        .with_status(200)
        .fixed(OPENAPI_JSON.as_bytes().to_vec());
    resp.headers_mut()
        .set("Content-Type", "application/json")
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_document_lists_exactly_the_routed_operations() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let mut documented = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                let p = if path.len() > 1 {
                    path.trim_end_matches('/')
                } else {
                    path
                };
                documented.insert((method.to_uppercase(), p.to_string()));
            }
        }
        let routed: BTreeSet<(String, String)> = crate::app::routes()
            .iter()
            .map(|r| (r.method.to_string().to_uppercase(), r.path.to_string()))
            .collect();
        assert_eq!(documented, routed);
    }
}
