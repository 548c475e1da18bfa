//! Keys derived from `SECRET_KEY`, one per purpose, so that no two uses share
//! a key and `SECRET_KEY` itself keys nothing but the HS256 tokens of the
//! origin's scheme: `HMAC-SHA256(SECRET_KEY, label)`, the label naming the purpose.

use crate::error::{ApiError, ApiResult};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// What a derived key is for. Each label is fixed forever: changing one
/// changes the key, and what it sealed or counted is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Secrets inside stored Idempotency-Key answers (`http::sealed`).
    SealedAnswer,
    /// Upload URLs (`uploads::signature`).
    UploadUrl,
    /// Idempotency-Key fingerprints: a request body may hold a password, and a
    /// fast unkeyed hash of it in D1 could be searched offline.
    IdempotencyFingerprint,
    /// Rate-limit keys: the address or client a limit counts, not readable or
    /// searchable from D1.
    RateLimitKey,
    /// TOTP secrets at rest (`mfa`).
    TotpSecret,
    /// Recovery codes' keyed hashes (`mfa`): 50 random bits each, too few for a
    /// fast unkeyed hash in D1.
    RecoveryCode,
    /// Webhook endpoints' signing secrets at rest (`webhooks`).
    WebhookSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::SealedAnswer => b"users-orgs-api sealed answer v1",
            Purpose::UploadUrl => b"users-orgs-api upload URL v1",
            Purpose::IdempotencyFingerprint => b"users-orgs-api idempotency fingerprint v1",
            Purpose::RateLimitKey => b"users-orgs-api rate limit key v1",
            Purpose::TotpSecret => b"users-orgs-api totp secret v1",
            Purpose::RecoveryCode => b"users-orgs-api recovery code v1",
            Purpose::WebhookSecret => b"users-orgs-api webhook secret v1",
        }
    }
}

/// A 32-byte key for one purpose.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DerivedKey(pub(crate) [u8; 32]);

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey(..)")
    }
}

impl DerivedKey {
    pub(crate) fn derive(secret_key: &str, purpose: Purpose) -> DerivedKey {
        let mut mac = hmac(secret_key.as_bytes());
        mac.update(purpose.label());
        DerivedKey(mac.finalize().into_bytes().into())
    }

    /// A MAC keyed with this key, to feed.
    pub(crate) fn mac(&self) -> Hmac<Sha256> {
        hmac(&self.0)
    }

    /// The MAC of `parts` (each length-prefixed, so no two lists collide), as hex.
    pub(crate) fn mac_hex(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.mac();
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        crate::ids::hex(&mac.finalize().into_bytes())
    }
}

/// RFC 4648 base64 in the standard alphabet (`+`, `/`), unpadded: the
/// URL-safe codec's (`-`, `_`) with those two letters swapped, so the upload
/// carries one base64 codec for both alphabets. The swap is a bijection, so
/// a letter of the other alphabet stays refused.
pub(crate) fn base64_unpadded(bytes: &[u8]) -> String {
    swap_alphabet(Base64UrlUnpadded::encode_string(bytes).as_bytes())
}

/// The bytes of [`base64_unpadded`] text, or `None` for anything else.
pub(crate) fn base64_unpadded_decode(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(&swap_alphabet(text.as_bytes())).ok()
}

/// RFC 4648 base64 with its padding (MIME, SMTP AUTH, Standard Webhooks).
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut text = base64_unpadded(bytes);
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

/// `+` and `-`, `/` and `_` swapped, without a branch on the data.
fn swap_alphabet(text: &[u8]) -> String {
    let swapped: Vec<u8> = text
        .iter()
        .map(|&b| {
            let plus = u8::from(b == b'+' || b == b'-').wrapping_neg();
            let slash = u8::from(b == b'/' || b == b'_').wrapping_neg();
            b ^ (plus & (b'+' ^ b'-')) ^ (slash & (b'/' ^ b'_'))
        })
        .collect();
    String::from_utf8(swapped).unwrap_or_default()
}

pub(crate) fn hmac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// A fresh token (256 random bits, base64url) and its stored hash: every
/// token and key the service hands out.
pub(crate) fn new_token() -> ApiResult<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    let token = Base64UrlUnpadded::encode_string(&bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a token: its SHA-256, hex.
pub(crate) fn token_hash(token: &str) -> String {
    crate::ids::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_purpose_gets_its_own_key() {
        let all = [
            Purpose::SealedAnswer,
            Purpose::UploadUrl,
            Purpose::IdempotencyFingerprint,
            Purpose::RateLimitKey,
            Purpose::TotpSecret,
            Purpose::RecoveryCode,
            Purpose::WebhookSecret,
        ];
        let keys: Vec<DerivedKey> = all.iter().map(|p| DerivedKey::derive("s", *p)).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_ne!(
            DerivedKey::derive("s", Purpose::RateLimitKey),
            DerivedKey::derive("t", Purpose::RateLimitKey)
        );
    }

    #[test]
    fn parts_are_length_prefixed() {
        let k = DerivedKey::derive("s", Purpose::RateLimitKey);
        assert_ne!(k.mac_hex(&[b"ab", b"c"]), k.mac_hex(&[b"a", b"bc"]));
        assert_eq!(k.mac_hex(&[b"ab", b"c"]).len(), 64);
    }

    #[test]
    fn padded_base64_is_rfc_4648s() {
        use base64ct::Base64;
        for n in 0..8 {
            let bytes: Vec<u8> = (0..n).map(|i| i * 37 + 5).collect();
            assert_eq!(base64(&bytes), Base64::encode_string(&bytes));
        }
    }
}
