//! The signing key ring (`SIGNING_KEYS`, extensions K): Ed25519 private JWKs
//! `{"kty":"OKP","crv":"Ed25519","kid","d","x"}`. The first key signs every new
//! access token; every key verifies. The ring is parsed once per isolate (the
//! setting's text is kept beside it, and a changed setting is parsed again), and
//! its public half, the JWKS, is rendered then too, with its `ETag`.
//!
//! A ring that does not parse, is empty, repeats a `kid` or holds a key whose
//! `x` is not the public half of its `d` is refused: the worker answers 500
//! and logs the setting, as for a weak `SECRET_KEY`. The last is found by
//! [`KeyRing::prepare`], which signs with each key once per isolate (the
//! signatures are the platform's, and asynchronous: see [`ed25519`]).

pub mod ed25519;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

/// Longest `kid` accepted: it is echoed in every token header.
const MAX_KID_LEN: usize = 64;
/// Most keys in a ring: every token names one, and the JWKS lists them all.
pub(crate) const MAX_KEYS: usize = 16;

/// One key of the ring.
pub struct RingKey {
    pub(crate) kid: String,
    /// The private seed (the JWK's `d`).
    d: [u8; 32],
    /// Its public half (the JWK's `x`, what the JWKS publishes).
    x: [u8; 32],
    /// The platform's handles on the key, once imported (natively, none).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    imported: RefCell<Option<ed25519::Imported>>,
}

impl RingKey {
    /// The public key.
    pub fn public(&self) -> &[u8; 32] {
        &self.x
    }

    /// An Ed25519 signature of `message` under this key.
    pub async fn sign(&self, message: &[u8]) -> Result<[u8; 64], String> {
        let signed = ed25519::sign(self, message).await;
        signed.map_err(|why| format!("signing key {}: {why}", self.kid))
    }

    /// Whether `signature` is this key's signature of `message`.
    pub async fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        ed25519::verify(self, message, signature).await
    }
}

/// Tokens remembered as verified, per ring; emptied when full.
const MAX_REMEMBERED: usize = 512;
/// Longer tokens are verified every time (ours are about 400 bytes).
const MAX_REMEMBERED_LEN: usize = 1024;

/// The parsed ring, in the setting's order, and its JWKS.
pub struct KeyRing {
    keys: Vec<RingKey>,
    jwks: String,
    etag: String,
    /// Tokens whose signature a key of this ring verified: a client sends the
    /// same token with request after request, and the next one skips the
    /// Ed25519 check (about 0.3 ms of the worker's time, `make bench`). The
    /// whole token text is the key, so any other byte is a miss and is checked;
    /// expiry and claims are checked every time. It belongs to this ring: a
    /// changed `SIGNING_KEYS` is a new ring with none remembered, so a removed
    /// key's tokens are refused at once.
    verified: RefCell<HashSet<Box<str>>>,
    /// Every key's pair was proven ([`KeyRing::prepare`]).
    proven: Cell<bool>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        write!(f, "KeyRing{kids:?}")
    }
}

impl KeyRing {
    /// The key that signs new tokens: the first.
    pub fn signer(&self) -> &RingKey {
        &self.keys[0]
    }

    /// The key a token's `kid` names, if it is in the ring.
    pub fn find(&self, kid: &str) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// `{"keys": [...]}`: the public half of every key, in ring order.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// The JWKS's strong `ETag`.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// Whether [`KeyRing::prepare`] proved every key already.
    pub fn proven(&self) -> bool {
        self.proven.get()
    }

    /// Proves, once per ring, that each key's `x` is the public half of its
    /// `d`: signs with the one and verifies with the other. Refused as
    /// [`KeyRing::parse`] refuses.
    pub async fn prepare(&self) -> Result<(), String> {
        if self.proven.get() {
            return Ok(());
        }
        for (i, key) in self.keys.iter().enumerate() {
            ed25519::check_pair(key)
                .await
                .map_err(|why| fail(format!("key {i}: {why}")))?;
        }
        self.proven.set(true);
        Ok(())
    }

    /// Parses the setting's text.
    pub fn parse(raw: &str) -> Result<KeyRing, String> {
        let value: Value = serde_json::from_str(raw)
            .map_err(|_| fail("is not JSON: a JSON array of private Ed25519 JWKs".into()))?;
        let Value::Array(items) = value else {
            return Err(fail("is not a JSON array of private Ed25519 JWKs".into()));
        };
        if items.is_empty() {
            return Err(fail(
                "is an empty array: unset it to sign with HS256 under SECRET_KEY".into(),
            ));
        }
        if items.len() > MAX_KEYS {
            return Err(fail(format!(
                "holds {} keys: at most {MAX_KEYS}",
                items.len()
            )));
        }
        let mut keys: Vec<RingKey> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = parse_key(item).map_err(|why| fail(format!("key {i}: {why}")))?;
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(fail(format!("key {i}: kid {:?} appears twice", key.kid)));
            }
            keys.push(key);
        }
        let public: Vec<Value> = keys
            .iter()
            .map(|k| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": Base64UrlUnpadded::encode_string(&k.x),
                    "kid": k.kid,
                    "alg": "EdDSA",
                    "use": "sig",
                })
            })
            .collect();
        Ok(KeyRing::with_jwks(
            keys,
            json!({ "keys": public }).to_string(),
        ))
    }

    fn with_jwks(keys: Vec<RingKey>, jwks: String) -> KeyRing {
        let digest = Sha256::digest(jwks.as_bytes());
        let etag = format!("\"{}\"", Base64UrlUnpadded::encode_string(&digest[..16]));
        KeyRing {
            keys,
            jwks,
            etag,
            verified: RefCell::default(),
            proven: Cell::new(false),
        }
    }

    /// Whether this ring verified `token`'s signature before.
    pub(crate) fn verified_before(&self, token: &str) -> bool {
        self.verified.borrow().contains(token)
    }

    /// Remembers that this ring verified `token`'s signature.
    pub(crate) fn remember(&self, token: &str) {
        if token.len() > MAX_REMEMBERED_LEN {
            return;
        }
        let mut verified = self.verified.borrow_mut();
        if verified.len() >= MAX_REMEMBERED {
            verified.clear();
        }
        verified.insert(token.into());
    }

    /// The ring of an unset `SIGNING_KEYS`: no keys, `{"keys":[]}`.
    pub fn empty() -> KeyRing {
        KeyRing::with_jwks(Vec::new(), r#"{"keys":[]}"#.to_string())
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The setting named, for the log line.
fn fail(why: String) -> String {
    format!("SIGNING_KEYS {why} (see `make keygen`)")
}

/// One private JWK (whether `x` is the public half of `d` is proven by
/// [`KeyRing::prepare`]).
fn parse_key(item: &Value) -> Result<RingKey, String> {
    let field = |name: &str| item.get(name).and_then(Value::as_str);
    if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
        return Err(r#"is not {"kty":"OKP","crv":"Ed25519",...}"#.into());
    }
    let kid = field("kid").unwrap_or("");
    if kid.is_empty() || kid.len() > MAX_KID_LEN || kid.chars().any(|c| c.is_control()) {
        return Err(format!(
            "needs a kid of 1 to {MAX_KID_LEN} printable characters"
        ));
    }
    let bytes = |name: &str| -> Result<[u8; 32], String> {
        let text = field(name).ok_or_else(|| format!("{kid}: {name} is missing"))?;
        let raw = Base64UrlUnpadded::decode_vec(text)
            .map_err(|_| format!("{kid}: {name} is not base64url without padding"))?;
        raw.try_into()
            .map_err(|_| format!("{kid}: {name} is not 32 bytes"))
    };
    let (d, x) = (bytes("d")?, bytes("x")?);
    Ok(RingKey {
        kid: kid.to_string(),
        d,
        x,
        imported: RefCell::default(),
    })
}

thread_local! {
    /// The ring this isolate parsed, with the text it was parsed from.
    static PARSED: RefCell<Option<(String, Rc<KeyRing>)>> = const { RefCell::new(None) };
}

/// The ring of the setting's text (`None`: unset), parsed once per isolate.
pub(crate) fn ring(raw: Option<&str>) -> Result<Rc<KeyRing>, String> {
    let raw = raw.map(str::trim).unwrap_or("");
    PARSED.with(|cell| {
        if let Some((text, ring)) = &*cell.borrow() {
            if text == raw {
                return Ok(ring.clone());
            }
        }
        let ring = Rc::new(if raw.is_empty() {
            KeyRing::empty()
        } else {
            KeyRing::parse(raw)?
        });
        *cell.borrow_mut() = Some((raw.to_string(), ring.clone()));
        Ok(ring)
    })
}

// Natively (tests/wasm.rs checks the WebCrypto side).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::ed25519::block_on;
    use super::*;

    /// RFC 8037 A.1's key pair.
    const RFC_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const RFC_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn jwk(kid: &str, d: &str, x: &str) -> String {
        format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"{kid}","d":"{d}","x":"{x}"}}"#)
    }

    #[test]
    fn the_rfc_8037_key_parses_and_its_jwks_holds_no_d() {
        let ring = KeyRing::parse(&format!("[{}]", jwk("a", RFC_D, RFC_X))).unwrap();
        assert_eq!(ring.signer().kid, "a");
        let jwks: Value = serde_json::from_str(ring.jwks()).unwrap();
        assert_eq!(
            jwks,
            json!({"keys": [{"kty":"OKP","crv":"Ed25519","x":RFC_X,"kid":"a","alg":"EdDSA","use":"sig"}]})
        );
        assert!(ring.etag().starts_with('"') && ring.etag().len() > 10);
    }

    #[test]
    fn the_rfc_8037_signature_is_made_and_verifies() {
        // RFC 8037 A.4: A.1's key signs "Example of Ed25519 signing".
        let ring = KeyRing::parse(&format!("[{}]", jwk("a", RFC_D, RFC_X))).unwrap();
        let signed = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let signature = Base64UrlUnpadded::decode_vec(
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
        )
        .unwrap();
        let key = ring.signer();
        assert_eq!(
            block_on(key.sign(signed.as_bytes())).unwrap()[..],
            signature[..]
        );
        assert!(block_on(key.verify(signed.as_bytes(), &signature)));
        assert!(!block_on(key.verify(b"another message", &signature)));
        assert!(block_on(ring.prepare()).is_ok());
    }

    #[test]
    fn a_key_whose_x_is_not_of_its_d_is_refused_when_prepared() {
        let other_x = Base64UrlUnpadded::encode_string(&[9u8; 32]);
        let ring = KeyRing::parse(&format!("[{}]", jwk("a", RFC_D, &other_x))).unwrap();
        let err = block_on(ring.prepare()).unwrap_err();
        assert_eq!(
            err,
            "SIGNING_KEYS key 0: a: x is not the public key of d (see `make keygen`)"
        );
    }

    #[test]
    fn broken_rings_are_refused_naming_the_setting() {
        let cases = [
            ("not json", "is not JSON".to_string()),
            ("{}", "is not a JSON array".into()),
            ("[]", "is an empty array".into()),
            (
                &format!("[{},{}]", jwk("a", RFC_D, RFC_X), jwk("a", RFC_D, RFC_X)),
                "kid \"a\" appears twice".into(),
            ),
            (
                &format!("[{}]", jwk("", RFC_D, RFC_X)),
                "needs a kid".into(),
            ),
            (
                &format!("[{}]", jwk("a", "AAAA", RFC_X)),
                "d is not 32 bytes".into(),
            ),
            (
                r#"[{"kty":"RSA","kid":"a"}]"#,
                "is not {\"kty\":\"OKP\"".into(),
            ),
        ];
        for (raw, why) in cases {
            let err = KeyRing::parse(raw).unwrap_err();
            assert!(
                err.starts_with("SIGNING_KEYS ") && err.contains(&why),
                "{raw}: {err}"
            );
        }
    }

    #[test]
    fn remembered_tokens_are_bounded_and_exact() {
        let ring = KeyRing::empty();
        ring.remember("a.b.c");
        assert!(ring.verified_before("a.b.c"));
        assert!(!ring.verified_before("a.b.d"));
        ring.remember(&"x".repeat(MAX_REMEMBERED_LEN + 1));
        assert!(!ring.verified_before(&"x".repeat(MAX_REMEMBERED_LEN + 1)));
        for i in 0..MAX_REMEMBERED {
            ring.remember(&i.to_string());
        }
        assert!(ring.verified.borrow().len() <= MAX_REMEMBERED);
    }

    #[test]
    fn the_ring_is_parsed_once_per_text() {
        let raw = format!("[{}]", jwk("a", RFC_D, RFC_X));
        let first = ring(Some(&raw)).unwrap();
        assert!(Rc::ptr_eq(&first, &ring(Some(&raw)).unwrap()));
        assert!(ring(None).unwrap().is_empty());
        assert!(!Rc::ptr_eq(&first, &ring(Some(&raw)).unwrap()));
    }
}
