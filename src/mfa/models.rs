//! MFA shapes: the bodies that carry a code, and the answers.

use super::CODE_MAX;
use crate::http::input::Body;
use crate::validation::{string, Validator};
use serde::Serialize;
use serde_json::{Map, Value};

/// `{"code"}`: a TOTP code, or (where the operation takes one) a recovery code.
pub(crate) struct CodeBody {
    pub(crate) code: String,
}

impl Body for CodeBody {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let code = v.required(b, "code", string(Some(1), Some(CODE_MAX)));
        Some(CodeBody { code: code? })
    }
}

/// `MfaLogin`: the second step of a login.
pub(crate) struct MfaLogin {
    pub(crate) mfa_token: String,
    pub(crate) code: String,
}

impl Body for MfaLogin {
    fn parse(v: &mut Validator, b: &Map<String, Value>) -> Option<Self> {
        let mfa_token = v.required(b, "mfa_token", string(Some(1), Some(512)));
        let code = v.required(b, "code", string(Some(1), Some(CODE_MAX)));
        Some(MfaLogin {
            mfa_token: mfa_token?,
            code: code?,
        })
    }
}

/// `TotpEnrolment`.
#[derive(Serialize)]
pub(crate) struct TotpEnrolment {
    pub(crate) secret: String,
    pub(crate) otpauth_uri: String,
}

/// `RecoveryCodes`: shown once.
#[derive(Serialize)]
pub(crate) struct RecoveryCodes {
    pub(crate) recovery_codes: Vec<String>,
}
