//! `/utils` (origin: `api/routes/utils.py`).

use crate::access::Public;
use crate::db::from_row;
use crate::error::ApiResult;
use crate::http::{json_ok, Ctx};
use worker::Response;

struct One {}
from_row!(One {});

/// Health Check: `true` once D1 answers a query.
pub(crate) async fn health_check(cx: Ctx, _: Public, _: ()) -> ApiResult<Response> {
    let mut b = cx.db.batch();
    let one = b.query::<One>("select 1 as ok", &[])?;
    json_ok(&b.run().await?.exists(one)?)
}
