//! `/utils` (origin: `api/routes/utils.py`).

use crate::app::{json_ok, Ctx};
use crate::error::ApiResult;
use worker::Response;

/// Health Check: `true` once D1 answers a query.
pub async fn health_check(cx: Ctx) -> ApiResult<Response> {
    let one: Option<serde_json::Value> = cx.db.first(cx.db.stmt("select 1 as ok", &[])?).await?;
    json_ok(&one.is_some())
}
