//! `GET /api/v1/openapi.json`: the committed OpenAPI document, served verbatim.
//! A native test in `app` checks that it lists exactly the routed operations.

use crate::access::Public;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use worker::Response;

pub(crate) const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Openapi Json: the OpenAPI document of this service.
pub(crate) async fn openapi_json(_: Ctx, _: Public, _: ()) -> ApiResult<Response> {
    let mut resp = Response::builder()
        .with_status(200)
        .fixed(OPENAPI_JSON.as_bytes().to_vec());
    resp.headers_mut()
        .set("Content-Type", "application/json")
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(resp)
}
