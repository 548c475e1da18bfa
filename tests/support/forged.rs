//! The forged-token corpus: tokens a verifier must refuse, each named for what
//! is wrong with it. One list, used by the jwt unit tests (`src/identity/jwt.rs`,
//! through `#[path]`) and by the HTTP tests (`tests/api/auth.rs`).

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};

pub fn b64(s: &str) -> String {
    Base64UrlUnpadded::encode_string(s.as_bytes())
}

/// An HS256-signed token with this header and payload, whatever they say.
pub fn sign(key: &[u8], header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    let sig = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
    format!("{input}.{sig}")
}

const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The claims of a good token for `sub` at `now`.
pub fn good_payload(sub: &str, now: i64) -> String {
    format!(r#"{{"sub":"{sub}","iat":{now},"exp":{}}}"#, now + 600)
}

/// A token the verifier must accept: the control for the corpus.
pub fn control(key: &[u8], sub: &str, now: i64) -> String {
    sign(key, HS256, &good_payload(sub, now))
}

/// Every forged token for `sub`, whose real key is `key`, at `now`.
pub fn corpus(key: &[u8], sub: &str, now: i64) -> Vec<(&'static str, String)> {
    let good = good_payload(sub, now);
    let real = control(key, sub, now);
    let parts: Vec<&str> = real.split('.').collect();
    let claims = |payload: String| sign(key, HS256, &payload);
    vec![
        (
            "alg none",
            format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&good)),
        ),
        ("empty key", sign(b"", HS256, &good)),
        ("another key", sign(b"another-key", HS256, &good)),
        (
            "RS256 header",
            sign(key, r#"{"alg":"RS256","typ":"JWT"}"#, &good),
        ),
        (
            "HS512 header",
            sign(key, r#"{"alg":"HS512","typ":"JWT"}"#, &good),
        ),
        (
            "swapped payload",
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&good.replace(sub, "00000000-0000-4000-8000-000000000000")),
                parts[2]
            ),
        ),
        (
            "bad signature",
            format!("{}.{}.{}", parts[0], parts[1], "A".repeat(43)),
        ),
        ("truncated", real[..real.len() - 5].to_string()),
        (
            "a 28-byte signature",
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                Base64UrlUnpadded::encode_string(&[7u8; 28])
            ),
        ),
        (
            "6 KB header",
            format!(
                "{}.{}.{}",
                b64(&format!(r#"{{"alg":"HS256","x":"{}"}}"#, "a".repeat(6000))),
                parts[1],
                parts[2]
            ),
        ),
        (
            "exp as a string",
            claims(format!(
                r#"{{"sub":"{sub}","iat":{now},"exp":"{}"}}"#,
                now + 600
            )),
        ),
        (
            "no sub",
            claims(format!(r#"{{"iat":{now},"exp":{}}}"#, now + 600)),
        ),
        (
            "sub not a uuid",
            claims(format!(
                r#"{{"sub":"admin","iat":{now},"exp":{}}}"#,
                now + 600
            )),
        ),
        (
            "no exp",
            claims(format!(r#"{{"sub":"{sub}","iat":{now}}}"#)),
        ),
        (
            "issued in the future",
            claims(format!(
                r#"{{"sub":"{sub}","iat":{},"exp":{}}}"#,
                now + 86_400,
                now + 90_000
            )),
        ),
        (
            "expired",
            claims(format!(
                r#"{{"sub":"{sub}","iat":{},"exp":{}}}"#,
                now - 7200,
                now - 1
            )),
        ),
        ("three garbage parts", "a.b.c".to_string()),
        ("dots only", "....".to_string()),
        ("garbage", "garbage".to_string()),
        ("empty", String::new()),
    ]
}
