//! Access tokens: HS256 JWTs signed with `SECRET_KEY`, claims `sub` (user id),
//! `ver` (the user's token version when it was issued), `sid` (its session),
//! `iat` and `exp` in whole seconds. Only HS256 is accepted, the signature is
//! jwt-compact's HS256, and the clock is passed in, so tests and the worker
//! (which reads JavaScript's clock) decide what "now" is.

use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key, Hs256Signature};
use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, Claims, Header, TimeOptions};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// An HMAC-SHA256 tag.
const HS256_SIGNATURE_LEN: usize = 32;

/// Tokens claiming to be issued further than this in the future are refused.
const MAX_CLOCK_SKEW_SECS: i64 = 60;

#[derive(Debug, Serialize)]
struct Subject {
    sub: String,
    ver: i64,
    /// The session the token belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

/// The claims of a token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: Uuid,
    /// The user's token version when the token was issued.
    pub token_version: i64,
    /// The session it belongs to (`sid`), if it was issued with one.
    pub session_id: Option<Uuid>,
    pub issued_at: i64,
    pub expires_at: i64,
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Signs a token for `user_id` at its `token_version`, in `session_id`, valid for
/// `ttl_minutes` from `now_secs`.
pub fn issue(
    secret: &str,
    user_id: &Uuid,
    token_version: i64,
    session_id: Option<&Uuid>,
    now_secs: i64,
    ttl_minutes: i64,
) -> Result<String, String> {
    let options = TimeOptions::new(Duration::zero(), move || at(now_secs));
    let claims = Claims::new(Subject {
        sub: user_id.hyphenated().to_string(),
        ver: token_version,
        sid: session_id.map(|s| s.hyphenated().to_string()),
    })
    .set_duration_and_issuance(&options, Duration::minutes(ttl_minutes));
    let header = Header::empty().with_token_type("JWT");
    Hs256
        .token(&header, &claims, &Hs256Key::new(secret.as_bytes()))
        .map_err(|e| e.to_string())
}

/// Why a token was refused; the client only ever learns "Could not validate credentials".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidToken;

/// A token's claims, as this service issues them (see [`issue`]).
struct Payload<'a> {
    sub: &'a str,
    /// Absent in tokens issued before versions existed: version 0.
    ver: i64,
    /// Absent in tokens issued before sessions.
    sid: Option<&'a str>,
    iat: i64,
    exp: i64,
}

impl<'a> Payload<'a> {
    /// The claims, read from the JSON object (a Value rather than a typed
    /// deserializer: serde's typed errors bring float formatting in).
    fn read(claims: &'a Value) -> Option<Self> {
        let claims = claims.as_object()?;
        let int = |name: &str| claims.get(name).and_then(Value::as_i64);
        Some(Payload {
            sub: claims.get("sub")?.as_str()?,
            ver: match claims.get("ver") {
                None => 0,
                Some(ver) => ver.as_i64()?,
            },
            sid: match claims.get("sid") {
                None | Some(Value::Null) => None,
                Some(sid) => Some(sid.as_str()?),
            },
            iat: int("iat")?,
            exp: int("exp")?,
        })
    }
}

/// Checks algorithm, signature, expiry and claims, in that order. The token
/// is taken apart here and the signature checked with jwt-compact's HS256:
/// its own validator reads the claims through serde's `flatten`, whose
/// buffering cost about 10 KB of the worker's wasm.
pub fn decode(secret: &str, token: &str, now_secs: i64) -> Result<TokenClaims, InvalidToken> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InvalidToken);
    };
    // What the signature covers: `header.payload`.
    let signed = &token[..header.len() + 1 + payload.len()];
    let header = json_part(header)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(InvalidToken);
    }
    let signature = Base64UrlUnpadded::decode_vec(signature).map_err(|_| InvalidToken)?;
    // Hs256Signature::try_from_slice panics on any other length.
    if signature.len() != HS256_SIGNATURE_LEN {
        return Err(InvalidToken);
    }
    let signature = Hs256Signature::try_from_slice(&signature).map_err(|_| InvalidToken)?;
    let key = Hs256Key::new(secret.as_bytes());
    if !Hs256.verify_signature(&signature, &key, signed.as_bytes()) {
        return Err(InvalidToken);
    }
    let claims = json_part(payload)?;
    let claims = Payload::read(&claims).ok_or(InvalidToken)?;
    if now_secs > claims.exp || claims.iat > now_secs + MAX_CLOCK_SKEW_SECS {
        return Err(InvalidToken);
    }
    let user_id = Uuid::parse_str(claims.sub).map_err(|_| InvalidToken)?;
    let session_id = match claims.sid {
        Some(sid) => Some(Uuid::parse_str(sid).map_err(|_| InvalidToken)?),
        None => None,
    };
    Ok(TokenClaims {
        user_id,
        token_version: claims.ver,
        session_id,
        issued_at: claims.iat,
        expires_at: claims.exp,
    })
}

/// One base64url part of a token, as JSON.
fn json_part(part: &str) -> Result<Value, InvalidToken> {
    let bytes = Base64UrlUnpadded::decode_vec(part).map_err(|_| InvalidToken)?;
    serde_json::from_slice(&bytes).map_err(|_| InvalidToken)
}

/// The forged-token corpus the HTTP tests use too.
#[cfg(test)]
#[path = "../../tests/support/forged.rs"]
mod forged_tokens;

#[cfg(test)]
mod tests {
    use super::*;
    use forged_tokens as forged;

    const SECRET: &str = "test-secret";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn an_issued_token_decodes_to_its_claims() {
        let id = Uuid::new_v4();
        let sid = Uuid::new_v4();
        let token = issue(SECRET, &id, 3, Some(&sid), NOW, 60).unwrap();
        assert_eq!(
            decode(SECRET, &token, NOW + 10),
            Ok(TokenClaims {
                user_id: id,
                token_version: 3,
                session_id: Some(sid),
                issued_at: NOW,
                expires_at: NOW + 3600
            })
        );
    }

    #[test]
    fn a_token_without_a_version_is_version_0() {
        let sub = Uuid::new_v4();
        let token = forged::control(SECRET.as_bytes(), &sub.to_string(), NOW);
        let claims = decode(SECRET, &token, NOW).unwrap();
        assert_eq!((claims.token_version, claims.session_id), (0, None));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = issue(SECRET, &Uuid::new_v4(), 0, None, NOW, 1).unwrap();
        assert_eq!(decode(SECRET, &token, NOW + 61), Err(InvalidToken));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = issue("other", &Uuid::new_v4(), 0, None, NOW, 60).unwrap();
        assert_eq!(decode(SECRET, &token, NOW), Err(InvalidToken));
    }

    #[test]
    fn a_signature_of_any_other_length_is_refused_not_a_panic() {
        let control = forged::control(SECRET.as_bytes(), &Uuid::new_v4().to_string(), NOW);
        let signed = &control[..control.rfind('.').unwrap()];
        for len in (0..=64).filter(|&n| n != HS256_SIGNATURE_LEN) {
            let signature = Base64UrlUnpadded::encode_string(&vec![7u8; len]);
            let token = format!("{signed}.{signature}");
            assert_eq!(
                decode(SECRET, &token, NOW),
                Err(InvalidToken),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn forged_tokens_are_refused() {
        let sub = Uuid::new_v4().to_string();
        let control = forged::control(SECRET.as_bytes(), &sub, NOW);
        assert!(
            decode(SECRET, &control, NOW).is_ok(),
            "the control must pass"
        );
        for (what, token) in forged::corpus(SECRET.as_bytes(), &sub, NOW) {
            assert_eq!(decode(SECRET, &token, NOW), Err(InvalidToken), "{what}");
        }
    }
}
