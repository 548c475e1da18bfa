//! `GET /api/v1/openapi.json`: the committed OpenAPI document, served verbatim
//! from the static assets, outside the worker's wasm (which has a size budget).
//! The build (`scripts/lib/openapi.mjs`) writes it there in two forms: whole,
//! for local development, and without the local-only paths (which do not exist
//! elsewhere). `/api/*` runs the worker first (`run_worker_first` in
//! wrangler.toml), so neither file is reachable except through this route.
//! A native test in `app` checks that the document lists exactly the routed
//! operations.

use crate::access::Public;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Response};

/// The two forms, as the build writes them under the assets' directory.
const LOCAL: &str = "/api/openapi/local.json";
const DEPLOYED: &str = "/api/openapi/deployed.json";

/// Openapi Json: the OpenAPI document of this service.
pub(crate) async fn openapi_json(cx: Ctx, _: Public, _: ()) -> ApiResult<Response> {
    let file = if cx.config.local { LOCAL } else { DEPLOYED };
    let failed = |e: worker::Error| ApiError::internal(format!("asset {file}: {e}"));
    let assets = cx.env.assets("ASSETS").map_err(failed)?;
    // The binding's own fetch, not Fetcher::fetch: that one compiles worker's
    // whole RequestInit conversion in (11 KB of wasm), even for no init.
    let assets: &worker::worker_sys::Fetcher = assets.as_ref().unchecked_ref();
    let url = format!("https://assets.invalid{file}");
    let sent = assets.fetch_with_str(&url).map_err(|e| failed(e.into()))?;
    let found: web_sys::Response = JsFuture::from(sent)
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|e| failed(e.into()))?;
    let found = Response::from(found);
    if found.status_code() != 200 {
        return Err(ApiError::internal(format!(
            "asset {file}: status {}",
            found.status_code()
        )));
    }
    // A response of our own (a fetched one's headers are immutable), with
    // the asset's body streamed through.
    let (_, body) = found.into_parts();
    let mut resp = Response::builder().with_status(200).body(body);
    resp.headers_mut()
        .set("Content-Type", "application/json")
        .map_err(failed)?;
    Ok(resp)
}
