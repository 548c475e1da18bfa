//! `GET /api/v1/openapi.json`: the committed OpenAPI document, served verbatim.
//! A native test in `app` checks that it lists exactly the routed operations.

use crate::access::Public;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use worker::Response;

pub(crate) const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Paths mounted only in local development, and the schemas only they use.
const LOCAL_ONLY_PATHS: [&str; 1] = ["/api/v1/private/users/"];
const LOCAL_ONLY_SCHEMAS: [&str; 1] = ["PrivateUserCreate"];
const LOCAL_ONLY_TAGS: [&str; 1] = ["private"];

/// The document as served: whole in local development; elsewhere without the
/// local-only paths, which do not exist there.
pub(crate) fn document(local: bool) -> ApiResult<Vec<u8>> {
    if local {
        return Ok(OPENAPI_JSON.as_bytes().to_vec());
    }
    let mut doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON)?;
    if let Some(paths) = doc["paths"].as_object_mut() {
        for path in LOCAL_ONLY_PATHS {
            paths.remove(path);
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        for schema in LOCAL_ONLY_SCHEMAS {
            schemas.remove(schema);
        }
    }
    if let Some(tags) = doc["tags"].as_array_mut() {
        tags.retain(|t| !LOCAL_ONLY_TAGS.contains(&t["name"].as_str().unwrap_or("")));
    }
    Ok(serde_json::to_vec_pretty(&doc)?)
}

/// Openapi Json: the OpenAPI document of this service.
pub(crate) async fn openapi_json(cx: Ctx, _: Public, _: ()) -> ApiResult<Response> {
    let mut resp = Response::builder()
        .with_status(200)
        .fixed(document(cx.config.local)?);
    resp.headers_mut()
        .set("Content-Type", "application/json")
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_local_development_the_document_has_no_local_only_path() {
        let served: serde_json::Value = serde_json::from_slice(&document(false).unwrap()).unwrap();
        let whole: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        for path in LOCAL_ONLY_PATHS {
            assert!(whole["paths"].get(path).is_some(), "{path} is documented");
            assert!(served["paths"].get(path).is_none(), "{path} is served");
        }
        assert_eq!(
            served["paths"].as_object().unwrap().len() + LOCAL_ONLY_PATHS.len(),
            whole["paths"].as_object().unwrap().len()
        );
    }
}
