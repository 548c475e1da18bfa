//! Ed25519 signatures for the ring's keys. In the worker they are the
//! platform's: WebCrypto's `Ed25519` (`crypto.subtle`), native code beside the
//! wasm instead of a curve implementation inside it (about 12 KB of the gzipped
//! upload, `make size`). Natively (unit tests, the HTTP tests' own token
//! signing) they are ed25519-compact's. Both are RFC 8032 Ed25519, so the two
//! sign the same bytes identically: `tests/wasm.rs` checks the worker's side
//! against RFC 8037's example, and the HTTP tests verify its tokens with PyJWT
//! and jose.

use super::RingKey;

/// The message a ring key signs when it is first used, to prove that its `x`
/// is the public half of its `d` (WebCrypto imports the two halves apart).
const PROBE: &[u8] = b"users-orgs-api signing key check";

/// Checks that `key`'s `x` verifies what its `d` signs. A runtime that
/// checks the pair on import (Node's) refuses it there instead.
pub(crate) async fn check_pair(key: &RingKey) -> Result<(), String> {
    let mismatch = format!("{}: x is not the public key of d", key.kid);
    match sign(key, PROBE).await {
        Ok(signature) if verify(key, PROBE, &signature).await => Ok(()),
        Ok(_) => Err(mismatch),
        Err(why) => Err(format!("{mismatch} ({why})")),
    }
}

pub(crate) use imp::{sign, verify, Imported};

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::RingKey;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use worker::js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;

    /// A key's two halves as WebCrypto `CryptoKey`s: (signing, verifying).
    pub(crate) type Imported = (JsValue, JsValue);

    const ALGORITHM: &str = "Ed25519";

    /// `crypto.subtle[method](...args)`, awaited.
    async fn subtle(method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
        let crypto = Reflect::get(&worker::js_sys::global(), &JsValue::from_str("crypto"))?;
        let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
        let function: Function = Reflect::get(&subtle, &JsValue::from_str(method))?.dyn_into()?;
        let args: Array = args.iter().copied().collect();
        let promise: Promise = Reflect::apply(&function, &subtle, &args)?.dyn_into()?;
        JsFuture::from(promise).await
    }

    /// `{"kty":"OKP","crv":"Ed25519","x",["d"]}` imported for `usage`.
    async fn import(x: &[u8; 32], d: Option<&[u8; 32]>, usage: &str) -> Result<JsValue, JsValue> {
        let jwk = Object::new();
        let set = |name: &str, value: &str| {
            Reflect::set(&jwk, &JsValue::from_str(name), &JsValue::from_str(value))
        };
        set("kty", "OKP")?;
        set("crv", ALGORITHM)?;
        set("x", &Base64UrlUnpadded::encode_string(x))?;
        if let Some(d) = d {
            set("d", &Base64UrlUnpadded::encode_string(d))?;
        }
        let usages: Array = [JsValue::from_str(usage)].into_iter().collect();
        let args = [
            &JsValue::from_str("jwk"),
            &jwk.into(),
            &JsValue::from_str(ALGORITHM),
            &JsValue::FALSE,
            &usages.into(),
        ];
        subtle("importKey", &args).await
    }

    /// The key's `CryptoKey`s, imported on first use and kept with the key.
    async fn imported(key: &RingKey) -> Result<Imported, JsValue> {
        if let Some(both) = key.imported.borrow().as_ref() {
            return Ok(both.clone());
        }
        let signing = import(&key.x, Some(&key.d), "sign").await?;
        let verifying = import(&key.x, None, "verify").await?;
        let both = (signing, verifying);
        *key.imported.borrow_mut() = Some(both.clone());
        Ok(both)
    }

    fn fail(what: &str, e: JsValue) -> String {
        let why = e
            .dyn_ref::<worker::js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_default();
        format!("WebCrypto could not {what} with the key: {why}")
    }

    pub(crate) async fn sign(key: &RingKey, message: &[u8]) -> Result<[u8; 64], String> {
        let (signing, _) = imported(key).await.map_err(|e| fail("import", e))?;
        let data: JsValue = Uint8Array::from(message).into();
        let args = [&JsValue::from_str(ALGORITHM), &signing, &data];
        let signature = subtle("sign", &args).await.map_err(|e| fail("sign", e))?;
        Uint8Array::new(&signature)
            .to_vec()
            .try_into()
            .map_err(|_| "WebCrypto's signature is not 64 bytes".to_string())
    }

    pub(crate) async fn verify(key: &RingKey, message: &[u8], signature: &[u8]) -> bool {
        let Ok((_, verifying)) = imported(key).await else {
            return false;
        };
        let signature: JsValue = Uint8Array::from(signature).into();
        let data: JsValue = Uint8Array::from(message).into();
        let args = [&JsValue::from_str(ALGORITHM), &verifying, &signature, &data];
        subtle("verify", &args).await.ok().and_then(|v| v.as_bool()) == Some(true)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::RingKey;
    use ed25519_compact::{KeyPair, PublicKey, Seed, Signature};

    /// Nothing is imported natively.
    pub(crate) type Imported = ();

    pub(crate) async fn sign(key: &RingKey, message: &[u8]) -> Result<[u8; 64], String> {
        let pair = KeyPair::from_seed(Seed::new(key.d));
        Ok(*pair.sk.sign(message, None))
    }

    pub(crate) async fn verify(key: &RingKey, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        PublicKey::new(key.x).verify(message, &signature).is_ok()
    }
}

/// Runs a future that never waits (every native one here) to its end.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("a native signature waited"),
    }
}
