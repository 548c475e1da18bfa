//! Multi-factor authentication (extensions.md section M, issue 32): a TOTP
//! authenticator with ten single-use recovery codes, and login in two steps.
//!
//! The TOTP secret is sealed at rest under a key derived from `SECRET_KEY` for
//! that purpose (a fresh nonce for every secret); recovery codes are kept as
//! keyed hashes; the login's `mfa_token` as its SHA-256, bound to the user, the
//! client address and the password's `token_version`. A code is spent by a
//! compare-and-swap inside the write's own batch, so two requests with one
//! code cannot both pass.

pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;
pub(crate) mod service;
pub mod totp;

use crate::error::{ApiError, ApiResult};
use crate::http::percent_encode;
use crate::http::sealed::SealingKey;
use crate::secrets::{DerivedKey, Purpose};
use base64ct::{Base64UrlUnpadded, Encoding as _};

pub(crate) const ALREADY_ENABLED: &str = "MFA is already enabled";
pub(crate) const NOT_ENABLED: &str = "MFA is not enabled";
pub(crate) const NOT_ENROLLED: &str = "No TOTP enrolment is pending: start one first";
pub(crate) const INVALID_CODE: &str = "Invalid code";
pub(crate) const INVALID_MFA_TOKEN: &str = "Invalid MFA token";
pub(crate) const MFA_DISABLED: &str = "MFA disabled";

/// Recovery codes a user holds at a time.
pub(crate) const RECOVERY_CODES: usize = 10;
/// How long an `mfa_token` lives.
pub(crate) const MFA_TOKEN_SECONDS: i64 = 300;
/// Wrong codes an `mfa_token` takes before it dies.
pub(crate) const MFA_TOKEN_ATTEMPTS: i64 = 5;
/// Longest code a body may carry (a recovery code is 11 characters).
pub(crate) const CODE_MAX: usize = 64;

fn random(bytes: &mut [u8]) -> ApiResult<()> {
    getrandom::fill(bytes).map_err(|e| ApiError::internal(format!("getrandom: {e}")))
}

/// A new TOTP secret.
pub(crate) fn new_secret() -> ApiResult<[u8; totp::SECRET_BYTES]> {
    let mut secret = [0u8; totp::SECRET_BYTES];
    random(&mut secret)?;
    Ok(secret)
}

/// `secret` sealed for `user_id`: `nonce.sealed`, the nonce fresh, so no two
/// secrets share a pad. (Sealed as base64url, which the worker reads anyway:
/// base32 is only ever written, for the user.)
pub(crate) fn seal(secret_key: &str, user_id: &str, secret: &[u8]) -> ApiResult<String> {
    let mut nonce = [0u8; 16];
    random(&mut nonce)?;
    let nonce = Base64UrlUnpadded::encode_string(&nonce);
    let key = SealingKey::for_purpose(secret_key, Purpose::TotpSecret);
    let text = Base64UrlUnpadded::encode_string(secret);
    Ok(format!(
        "{nonce}.{}",
        key.seal(&format!("{user_id}.{nonce}"), &text)
    ))
}

/// The secret's bytes, if `stored` was sealed for `user_id` under this `SECRET_KEY`.
pub(crate) fn open(secret_key: &str, user_id: &str, stored: &str) -> Option<Vec<u8>> {
    let (nonce, sealed) = stored.split_once('.')?;
    let key = SealingKey::for_purpose(secret_key, Purpose::TotpSecret);
    let text = key.open(&format!("{user_id}.{nonce}"), sealed)?;
    Base64UrlUnpadded::decode_vec(&text).ok()
}

/// Ten new recovery codes (`xxxxx-xxxxx`, 50 random bits each) and their stored hashes.
pub(crate) fn new_recovery_codes(secret_key: &str) -> ApiResult<(Vec<String>, Vec<String>)> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 7];
        random(&mut bytes)?;
        let text = totp::base32(&bytes, true);
        let code = format!("{}-{}", &text[..5], &text[5..10]);
        hashes.push(recovery_hash(secret_key, &code));
        codes.push(code);
    }
    Ok((codes, hashes))
}

/// The stored form of a recovery code: a keyed hash of it, as typed in any
/// case, with or without its dash or spaces.
pub(crate) fn recovery_hash(secret_key: &str, code: &str) -> String {
    let folded: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    DerivedKey::derive(secret_key, Purpose::RecoveryCode).mac_hex(&[folded.as_bytes()])
}

/// The `otpauth://` URI authenticator apps scan: label `issuer:account`,
/// percent-encoded as Python's `urllib.parse.quote` does (what pyotp makes).
pub(crate) fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={}&period={}",
        percent_encode(issuer),
        percent_encode(account),
        percent_encode(issuer),
        totp::DIGITS,
        totp::STEP_SECONDS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "mfa-test-secret-key";

    #[test]
    fn a_sealed_secret_opens_for_its_user_only() {
        let c = KEY;
        let secret = new_secret().unwrap();
        let stored = seal(c, "u1", &secret).unwrap();
        assert!(!stored.contains(&Base64UrlUnpadded::encode_string(&secret)));
        assert_eq!(open(c, "u1", &stored).unwrap(), secret);
        assert!(open(c, "u2", &stored).is_none());
        assert_ne!(seal(c, "u1", &secret).unwrap(), stored);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_hash_however_typed() {
        let c = KEY;
        let (codes, hashes) = new_recovery_codes(c).unwrap();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        assert_eq!(codes[0].len(), 11);
        assert_eq!(
            recovery_hash(c, &codes[0].to_uppercase().replace('-', " ")),
            hashes[0]
        );
    }

    #[test]
    fn the_otpauth_uri_is_what_pyotp_writes() {
        assert_eq!(
            otpauth_uri("Users & Orgs", "ann@example.com", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Users%20%26%20Orgs:ann%40example.com?secret=JBSWY3DPEHPK3PXP\
             &issuer=Users%20%26%20Orgs&algorithm=SHA1&digits=6&period=30"
        );
    }
}
