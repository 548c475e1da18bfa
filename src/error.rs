//! The one error type of the service, its one status map and its two body shapes.
//!
//! Every failure a handler can meet is an [`ApiError`]; the envelope (`app`) renders it once.
//! It sits at the bottom of the crate: it imports nothing of ours.
//! Bodies follow FastAPI: `{"detail": "<message>"}` for HTTP errors and
//! `{"detail": [<ValidationErrorItem>, ...]}` for 422. Internal errors carry their
//! cause for the log line only: the client sees `Internal Server Error`.

use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// One entry of a 422 `detail` list; keys serialize in FastAPI's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ValidationErrorItem {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) loc: Vec<Loc>,
    pub(crate) msg: String,
    pub(crate) input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ctx: Option<Value>,
}

/// A `loc` item: a name, or an array index / JSON offset as a number.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Loc {
    Key(String),
    Index(usize),
}

impl From<&str> for Loc {
    fn from(s: &str) -> Self {
        Loc::Key(s.to_string())
    }
}

impl From<usize> for Loc {
    fn from(i: usize) -> Self {
        Loc::Index(i)
    }
}

#[derive(Debug)]
pub(crate) enum ApiError {
    /// A client error with a fixed status and `detail` message (400, 403, 404, 409, ...).
    Http {
        status: u16,
        detail: Cow<'static, str>,
    },
    /// 401: no usable `Authorization: Bearer` header. Answered with `WWW-Authenticate: Bearer`.
    NotAuthenticated,
    /// 405 for a known path; `allow` lists the methods the path does answer.
    MethodNotAllowed { allow: String },
    /// 422 with every problem of the request in one list.
    Validation(Vec<ValidationErrorItem>),
    /// 429 with `Retry-After` in seconds.
    TooManyRequests {
        detail: &'static str,
        retry_after: u64,
    },
    /// 500: logged with its cause and the request id, never echoed.
    Internal(String),
    /// 401 for a right password of a user with MFA on: the second step's
    /// `mfa_token` goes with it (`POST /login/mfa`).
    MfaRequired { mfa_token: String },
    /// Not a failure: the stored answer of an earlier request with the same
    /// `Idempotency-Key`, which ends this one before it does anything.
    Replay { status: u16, body: Vec<u8> },
}

impl ApiError {
    pub(crate) fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::http(400, detail)
    }
    pub(crate) fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::http(403, detail)
    }
    pub(crate) fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::http(404, detail)
    }
    pub(crate) fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::http(409, detail)
    }
    pub(crate) fn http(status: u16, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::Http {
            status,
            detail: detail.into(),
        }
    }
    pub(crate) fn internal(cause: impl Into<String>) -> Self {
        Self::Internal(cause.into())
    }

    /// The one status map.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Http { status, .. } => *status,
            Self::NotAuthenticated | Self::MfaRequired { .. } => 401,
            Self::MethodNotAllowed { .. } => 405,
            Self::Validation(_) => 422,
            Self::TooManyRequests { .. } => 429,
            Self::Internal(_) => 500,
            Self::Replay { status, .. } => *status,
        }
    }

    /// The JSON body the client sees.
    pub(crate) fn body(&self) -> Value {
        match self {
            Self::Http { detail, .. } => json!({ "detail": detail }),
            Self::NotAuthenticated => json!({ "detail": "Not authenticated" }),
            Self::MfaRequired { mfa_token } => {
                json!({ "detail": "MFA code required", "mfa_token": mfa_token })
            }
            Self::MethodNotAllowed { .. } => json!({ "detail": "Method Not Allowed" }),
            Self::Validation(items) => json!({ "detail": items }),
            Self::TooManyRequests { detail, .. } => json!({ "detail": detail }),
            Self::Internal(_) => json!({ "detail": "Internal Server Error" }),
            // Never rendered from here: the envelope answers the stored bytes as they are.
            Self::Replay { .. } => Value::Null,
        }
    }

    /// Extra headers the status calls for.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::NotAuthenticated => vec![("WWW-Authenticate", "Bearer".into())],
            Self::MethodNotAllowed { allow } => vec![("Allow", allow.clone())],
            Self::TooManyRequests { retry_after, .. } => {
                vec![("Retry-After", retry_after.to_string())]
            }
            _ => Vec::new(),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::internal(format!("json: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_echo_their_cause() {
        let e = ApiError::internal("SELECT * FROM users failed: no such table");
        assert_eq!(e.status(), 500);
        assert_eq!(e.body(), json!({"detail": "Internal Server Error"}));
    }

    #[test]
    fn not_authenticated_asks_for_a_bearer_token() {
        let e = ApiError::NotAuthenticated;
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.headers(),
            vec![("WWW-Authenticate", "Bearer".to_string())]
        );
        assert_eq!(e.body(), json!({"detail": "Not authenticated"}));
    }

    #[test]
    fn http_errors_carry_their_detail() {
        let e = ApiError::conflict("User with this email already exists");
        assert_eq!(e.status(), 409);
        assert_eq!(
            e.body(),
            json!({"detail": "User with this email already exists"})
        );
    }
}
