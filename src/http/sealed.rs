//! Secrets a stored answer must give back but must not keep readable (an
//! invitation's token in its Idempotency-Key answer): sealed with a key
//! derived from `SECRET_KEY`, so reading D1 alone does not yield them.
//!
//! The sealed form is `base64url(secret XOR pad || tag)`: the pad is
//! HMAC-SHA256 in counter mode over a context unique to the stored answer (its
//! key and the random token of the request that made it), so no two seals share
//! a pad; the tag (HMAC-SHA256 of the context and the secret, 16 bytes) says
//! whether an unsealed secret is the one sealed (it is not when the key changed).

use crate::secrets::{hmac, DerivedKey, Purpose};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const TAG_BYTES: usize = 16;

/// The sealing key: derived from `SECRET_KEY`, so that key itself never seals.
#[derive(Debug, Clone)]
pub(crate) struct SealingKey([u8; 32]);

impl SealingKey {
    pub(crate) fn derive(secret_key: &str) -> SealingKey {
        SealingKey::for_purpose(secret_key, Purpose::SealedAnswer)
    }

    /// The sealing key of another purpose (TOTP secrets): one derivation each.
    pub(crate) fn for_purpose(secret_key: &str, purpose: Purpose) -> SealingKey {
        SealingKey(DerivedKey::derive(secret_key, purpose).0)
    }

    fn mac(&self, label: &[u8], context: &str) -> Hmac<Sha256> {
        let mut mac = hmac(&self.0);
        mac.update(label);
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        mac
    }

    /// `data` XOR the pad for `context` (sealing and opening alike).
    fn xor_pad(&self, context: &str, data: &mut [u8]) {
        for (counter, chunk) in data.chunks_mut(32).enumerate() {
            let mut mac = self.mac(b"pad", context);
            mac.update(&(counter as u64).to_be_bytes());
            let pad = mac.finalize().into_bytes();
            chunk.iter_mut().zip(pad).for_each(|(b, p)| *b ^= p);
        }
    }

    fn tag(&self, context: &str, secret: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac(b"tag", context);
        mac.update(secret);
        mac
    }

    /// The sealed form of `secret` for `context` (base64url, no padding).
    pub(crate) fn seal(&self, context: &str, secret: &str) -> String {
        let mut out = secret.as_bytes().to_vec();
        let tag = self.tag(context, &out).finalize().into_bytes();
        self.xor_pad(context, &mut out);
        out.extend_from_slice(&tag[..TAG_BYTES]);
        Base64UrlUnpadded::encode_string(&out)
    }

    /// The secret `sealed` holds for `context`, if it was sealed with this key
    /// for that context (the tag is checked in constant time).
    pub(crate) fn open(&self, context: &str, sealed: &str) -> Option<String> {
        let mut bytes = Base64UrlUnpadded::decode_vec(sealed).ok()?;
        let split = bytes.len().checked_sub(TAG_BYTES)?;
        let tag = bytes.split_off(split);
        self.xor_pad(context, &mut bytes);
        self.tag(context, &bytes).verify_truncated_left(&tag).ok()?;
        String::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "q9vJ3s2Jx0b8yW1mZ0nQhV4r7tK2pL5cD8fG1hJ4kM7";

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_context_only() {
        let key = SealingKey::derive("a-secret-key");
        let sealed = key.seal("user:1\nk\nrequest-1", TOKEN);
        assert!(!sealed.contains(TOKEN));
        assert_eq!(sealed.len(), (TOKEN.len() + TAG_BYTES) * 4 / 3 + 1);
        assert_eq!(
            key.open("user:1\nk\nrequest-1", &sealed).as_deref(),
            Some(TOKEN)
        );
        // another context, another key, a changed byte, a cut tag: nothing
        assert_eq!(key.open("user:1\nk\nrequest-2", &sealed), None);
        let other = SealingKey::derive("another-secret-key");
        assert_eq!(other.open("user:1\nk\nrequest-1", &sealed), None);
        let mut flipped = sealed.clone().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(key.open("user:1\nk\nrequest-1", &flipped), None);
        assert_eq!(key.open("user:1\nk\nrequest-1", &sealed[..20]), None);
        assert_eq!(key.open("user:1\nk\nrequest-1", "not base64!"), None);
        assert_eq!(key.open("user:1\nk\nrequest-1", ""), None);
    }

    #[test]
    fn each_context_gets_its_own_pad() {
        let key = SealingKey::derive("a-secret-key");
        let a = key.seal("user:1\nk\nrequest-1", TOKEN);
        let b = key.seal("user:1\nk\nrequest-2", TOKEN);
        assert_ne!(a, b);
        // sealing is deterministic: the same secret and context, the same form
        assert_eq!(a, key.seal("user:1\nk\nrequest-1", TOKEN));
    }

    #[test]
    fn secrets_longer_than_one_block_and_empty_ones_round_trip() {
        let key = SealingKey::derive("k");
        for secret in ["", "x", &"y".repeat(32), &"z".repeat(100), "ünïcode ✓"] {
            let sealed = key.seal("c", secret);
            assert_eq!(key.open("c", &sealed).as_deref(), Some(secret));
        }
    }
}
