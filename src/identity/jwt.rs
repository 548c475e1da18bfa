//! Access tokens: JWTs with claims `sub` (user id), `ver` (the user's token
//! version when it was issued), `sid` (its session), `iat` and `exp` in whole
//! seconds, and for an organization token `org_id` and `org_role`.
//!
//! Two schemes (extensions K). With a key ring (`SIGNING_KEYS`) tokens are
//! EdDSA, signed by the ring's first key, naming it in `kid`, with `iss`; any
//! key of the ring verifies, and `iss` must match. Without one they are HS256
//! under `SECRET_KEY`, the origin's scheme (no `iss`), which is also accepted
//! beside a ring while `ACCEPT_HS256` is true. Any other `alg` is refused.
//! HS256 is jwt-compact's; Ed25519 is the ring's (`keyring::ed25519`: the
//! platform's WebCrypto in the worker, so issuing and checking are async). The
//! clock is passed in, so tests and the worker (which reads JavaScript's clock)
//! decide what "now" is.

use crate::config::Config;
use crate::keyring::{KeyRing, RingKey};
use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key, Hs256Signature};
use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, Claims, Header, TimeOptions};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// What signs and checks access tokens, from the settings.
pub(crate) fn keys(config: &Config) -> Keys<'_> {
    Keys {
        secret: &config.secret_key,
        ring: &config.tokens.ring,
        accept_hs256: config.tokens.accept_hs256,
        issuer: &config.tokens.issuer,
    }
}

/// An HMAC-SHA256 tag.
const HS256_SIGNATURE_LEN: usize = 32;
/// An Ed25519 signature.
const ED25519_SIGNATURE_LEN: usize = 64;

/// Tokens claiming to be issued further than this in the future are refused.
const MAX_CLOCK_SKEW_SECS: i64 = 60;

/// What signs and checks tokens: the settings of extensions K.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    /// `SECRET_KEY`, the HS256 key.
    pub secret: &'a str,
    /// `SIGNING_KEYS`; empty: HS256 only.
    pub ring: &'a KeyRing,
    /// `ACCEPT_HS256`: with a ring, whether HS256 tokens still pass.
    pub accept_hs256: bool,
    /// `TOKEN_ISSUER`: the `iss` of EdDSA tokens.
    pub issuer: &'a str,
}

/// Whom a token is for.
pub struct Grant<'a> {
    pub user_id: &'a Uuid,
    pub token_version: i64,
    pub session_id: Option<&'a Uuid>,
    /// An organization token's `org_id` and `org_role`.
    pub org: Option<(&'a str, &'a str)>,
}

#[derive(Debug, Serialize)]
struct Subject<'a> {
    sub: String,
    ver: i64,
    /// The session the token belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_role: Option<&'a str>,
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

/// Signs a token for `grant`, valid for `ttl_minutes` from `now_secs`: EdDSA
/// with the ring's first key, or HS256 when the ring is empty.
pub async fn issue(
    keys: &Keys<'_>,
    grant: &Grant<'_>,
    now_secs: i64,
    ttl_minutes: i64,
) -> Result<String, String> {
    match unsigned(keys, grant, now_secs, ttl_minutes)? {
        Unsigned::Done(token) => Ok(token),
        Unsigned::EdDsa(key, signed) => {
            let signature = key.sign(signed.as_bytes()).await?;
            Ok(format!(
                "{signed}.{}",
                Base64UrlUnpadded::encode_string(&signature)
            ))
        }
    }
}

/// A token before its Ed25519 signature (the only asynchronous step).
enum Unsigned<'k> {
    /// HS256: signed already.
    Done(String),
    /// The ring's key, and the `header.payload` it is to sign.
    EdDsa(&'k RingKey, String),
}

fn unsigned<'k>(
    keys: &Keys<'k>,
    grant: &Grant<'_>,
    now_secs: i64,
    ttl_minutes: i64,
) -> Result<Unsigned<'k>, String> {
    let options = TimeOptions::new(Duration::zero(), move || at(now_secs));
    let signer = (!keys.ring.is_empty()).then(|| keys.ring.signer());
    let claims = Claims::new(Subject {
        sub: grant.user_id.hyphenated().to_string(),
        ver: grant.token_version,
        sid: grant.session_id.map(|s| s.hyphenated().to_string()),
        iss: signer.map(|_| keys.issuer),
        org_id: grant.org.map(|o| o.0),
        org_role: grant.org.map(|o| o.1),
    })
    .set_duration_and_issuance(&options, Duration::minutes(ttl_minutes));
    let Some(key) = signer else {
        let header = Header::empty().with_token_type("JWT");
        return Hs256
            .token(&header, &claims, &Hs256Key::new(keys.secret.as_bytes()))
            .map(Unsigned::Done)
            .map_err(|e| e.to_string());
    };
    // The header as jwt-compact writes it (`alg`, then `kid`, then `typ`).
    let header = serde_json::to_vec(&EdDsaHeader {
        alg: "EdDSA",
        kid: &key.kid,
        typ: "JWT",
    });
    let claims = serde_json::to_vec(&claims);
    let (Ok(header), Ok(claims)) = (header, claims) else {
        return Err("the token's claims did not serialize".into());
    };
    let part = |json: &[u8]| Base64UrlUnpadded::encode_string(json);
    Ok(Unsigned::EdDsa(
        key,
        format!("{}.{}", part(&header), part(&claims)),
    ))
}

#[derive(Serialize)]
struct EdDsaHeader<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
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
    iss: Option<&'a str>,
    iat: i64,
    exp: i64,
}

impl<'a> Payload<'a> {
    /// The claims, read from the JSON object (a Value rather than a typed
    /// deserializer: serde's typed errors bring float formatting in).
    fn read(claims: &'a Value) -> Option<Self> {
        let claims = claims.as_object()?;
        let int = |name: &str| claims.get(name).and_then(Value::as_i64);
        let text = |name: &str| match claims.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => v.as_str().map(Some),
        };
        Some(Payload {
            sub: claims.get("sub")?.as_str()?,
            ver: match claims.get("ver") {
                None => 0,
                Some(ver) => ver.as_i64()?,
            },
            sid: text("sid")?,
            iss: text("iss")?,
            iat: int("iat")?,
            exp: int("exp")?,
        })
    }
}

/// How a token's signature is checked, from its header.
enum Scheme<'a> {
    Hs256,
    EdDsa(&'a RingKey),
}

/// The scheme a header asks for, if these keys allow it.
fn scheme<'k>(keys: &Keys<'k>, header: &Value) -> Result<Scheme<'k>, InvalidToken> {
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") if keys.ring.is_empty() || keys.accept_hs256 => Ok(Scheme::Hs256),
        Some("EdDSA") => {
            let kid = header
                .get("kid")
                .and_then(Value::as_str)
                .ok_or(InvalidToken)?;
            keys.ring.find(kid).map(Scheme::EdDsa).ok_or(InvalidToken)
        }
        _ => Err(InvalidToken),
    }
}

/// Checks algorithm, key, signature, expiry and claims, in that order. The
/// token is taken apart here and the signature checked with jwt-compact's
/// HS256 or the ring's key: jwt-compact's own validator reads the claims
/// through serde's `flatten`, whose buffering cost about 10 KB of the worker's wasm.
pub async fn decode(
    keys: &Keys<'_>,
    token: &str,
    now_secs: i64,
) -> Result<TokenClaims, InvalidToken> {
    let (scheme, payload) = match signature(keys, token)? {
        Signature::Verified(scheme, payload) => (scheme, payload),
        Signature::Ed25519(key, signed, signature) => {
            if !key.verify(signed.as_bytes(), &signature).await {
                return Err(InvalidToken);
            }
            keys.ring.remember(token);
            (
                Scheme::EdDsa(key),
                &signed[signed.find('.').unwrap_or(0) + 1..],
            )
        }
    };
    claims(keys, &scheme, payload, now_secs)
}

/// A token's signature: checked already, or an Ed25519 one to check (the
/// only asynchronous step).
enum Signature<'k, 't> {
    /// The scheme, and the payload part its signature covered.
    Verified(Scheme<'k>, &'t str),
    /// The key, `header.payload`, and the signature's 64 bytes.
    Ed25519(&'k RingKey, &'t str, Vec<u8>),
}

/// Algorithm, key, and an HS256 signature (or a remembered EdDSA token).
fn signature<'k, 't>(keys: &Keys<'k>, token: &'t str) -> Result<Signature<'k, 't>, InvalidToken> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InvalidToken);
    };
    // What the signature covers: `header.payload`.
    let signed = &token[..header.len() + 1 + payload.len()];
    let scheme = scheme(keys, &json_part(header)?)?;
    let signature = Base64UrlUnpadded::decode_vec(signature).map_err(|_| InvalidToken)?;
    // try_from_slice panics on any other length.
    let verified = match scheme {
        Scheme::Hs256 if signature.len() == HS256_SIGNATURE_LEN => {
            let signature = Hs256Signature::try_from_slice(&signature).map_err(|_| InvalidToken)?;
            let key = Hs256Key::new(keys.secret.as_bytes());
            Hs256.verify_signature(&signature, &key, signed.as_bytes())
        }
        // The same token again: this ring verified these very bytes before.
        Scheme::EdDsa(_) if keys.ring.verified_before(token) => true,
        Scheme::EdDsa(key) if signature.len() == ED25519_SIGNATURE_LEN => {
            return Ok(Signature::Ed25519(key, signed, signature));
        }
        _ => false,
    };
    if !verified {
        return Err(InvalidToken);
    }
    Ok(Signature::Verified(scheme, payload))
}

/// Expiry and claims, once the signature passed.
fn claims(
    keys: &Keys<'_>,
    scheme: &Scheme<'_>,
    payload: &str,
    now_secs: i64,
) -> Result<TokenClaims, InvalidToken> {
    let claims = json_part(payload)?;
    let claims = Payload::read(&claims).ok_or(InvalidToken)?;
    if now_secs > claims.exp || claims.iat > now_secs + MAX_CLOCK_SKEW_SECS {
        return Err(InvalidToken);
    }
    // EdDSA tokens are for other services too, and name their issuer.
    if matches!(scheme, Scheme::EdDsa(_)) && claims.iss != Some(keys.issuer) {
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
#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "../../tests/support/forged.rs"]
mod forged_tokens;

// Natively: the signatures there are ed25519-compact's and ready at once (tests/wasm.rs
// runs the worker's own, WebCrypto's).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::keyring::ed25519::block_on;
    use forged_tokens as forged;

    const SECRET: &str = "test-secret";
    const NOW: i64 = 1_800_000_000;
    /// RFC 8037 A.1's key, and a second one.
    const RING: &str = r#"[{"kty":"OKP","crv":"Ed25519","kid":"a","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]"#;

    fn hs256_only() -> KeyRing {
        KeyRing::empty()
    }

    fn keys(ring: &KeyRing) -> Keys<'_> {
        Keys {
            secret: SECRET,
            ring,
            accept_hs256: true,
            issuer: "users-orgs-api",
        }
    }

    fn grant<'a>(id: &'a Uuid, sid: Option<&'a Uuid>) -> Grant<'a> {
        Grant {
            user_id: id,
            token_version: 3,
            session_id: sid,
            org: None,
        }
    }

    fn part(token: &str, n: usize) -> Value {
        json_part(token.split('.').nth(n).unwrap()).unwrap()
    }

    #[test]
    fn an_issued_token_decodes_to_its_claims() {
        let id = Uuid::new_v4();
        let sid = Uuid::new_v4();
        let ring = hs256_only();
        let token = block_on(issue(&keys(&ring), &grant(&id, Some(&sid)), NOW, 60)).unwrap();
        assert_eq!(part(&token, 0)["alg"], "HS256");
        assert_eq!(
            block_on(decode(&keys(&ring), &token, NOW + 10)),
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
    fn with_a_ring_tokens_are_eddsa_with_kid_and_iss() {
        let ring = KeyRing::parse(RING).unwrap();
        let id = Uuid::new_v4();
        let mut g = grant(&id, None);
        g.org = Some(("org-1", "admin"));
        let token = block_on(issue(&keys(&ring), &g, NOW, 10)).unwrap();
        let header = part(&token, 0);
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("EdDSA"), Some("a"))
        );
        let claims = part(&token, 1);
        assert_eq!(claims["iss"], "users-orgs-api");
        assert_eq!(
            (claims["org_id"].as_str(), claims["org_role"].as_str()),
            (Some("org-1"), Some("admin"))
        );
        assert_eq!(
            block_on(decode(&keys(&ring), &token, NOW)).unwrap().user_id,
            id
        );
        // Another issuer expected: refused.
        let other = Keys {
            issuer: "elsewhere",
            ..keys(&ring)
        };
        assert_eq!(block_on(decode(&other, &token, NOW)), Err(InvalidToken));
        // Without the ring (its key removed): refused.
        assert_eq!(
            block_on(decode(&keys(&hs256_only()), &token, NOW)),
            Err(InvalidToken)
        );
    }

    #[test]
    fn hs256_beside_a_ring_passes_only_while_accepted() {
        let ring = KeyRing::parse(RING).unwrap();
        let id = Uuid::new_v4();
        let old = block_on(issue(&keys(&hs256_only()), &grant(&id, None), NOW, 10)).unwrap();
        assert!(block_on(decode(&keys(&ring), &old, NOW)).is_ok());
        let strict = Keys {
            accept_hs256: false,
            ..keys(&ring)
        };
        assert_eq!(block_on(decode(&strict, &old, NOW)), Err(InvalidToken));
    }

    #[test]
    fn algorithm_confusion_is_refused() {
        let ring = KeyRing::parse(RING).unwrap();
        let sub = Uuid::new_v4().to_string();
        let payload = forged::good_payload(&sub, NOW);
        let public = &ring.signer().public()[..];
        let tokens = [
            forged::sign(public, r#"{"alg":"HS256","typ":"JWT"}"#, &payload),
            forged::sign(public, r#"{"alg":"HS256","kid":"a"}"#, &payload),
            format!(
                "{}.{}.",
                forged::b64(r#"{"alg":"none"}"#),
                forged::b64(&payload)
            ),
            forged::sign(SECRET.as_bytes(), r#"{"alg":"RS256","kid":"a"}"#, &payload),
            forged::sign(SECRET.as_bytes(), r#"{"alg":"EdDSA","kid":"a"}"#, &payload),
        ];
        for token in tokens {
            assert_eq!(
                block_on(decode(&keys(&ring), &token, NOW)),
                Err(InvalidToken),
                "{token}"
            );
        }
    }

    #[test]
    fn a_remembered_token_is_that_token_only_and_that_ring_only() {
        let ring = KeyRing::parse(RING).unwrap();
        let token = block_on(issue(&keys(&ring), &grant(&Uuid::new_v4(), None), NOW, 10)).unwrap();
        assert!(block_on(decode(&keys(&ring), &token, NOW)).is_ok());
        assert!(ring.verified_before(&token));
        // Its signature on other claims: a miss, checked, refused.
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = forged::b64(&forged::good_payload(&Uuid::new_v4().to_string(), NOW));
        parts[1] = &other;
        assert_eq!(
            block_on(decode(&keys(&ring), &parts.join("."), NOW)),
            Err(InvalidToken)
        );
        // Expiry is checked on every use.
        assert_eq!(
            block_on(decode(&keys(&ring), &token, NOW + 601)),
            Err(InvalidToken)
        );
        // The same setting parsed again (a new ring) remembers nothing.
        let again = KeyRing::parse(RING).unwrap();
        assert!(!again.verified_before(&token));
    }

    #[test]
    fn an_unknown_kid_is_refused() {
        let ring = KeyRing::parse(RING).unwrap();
        let token = block_on(issue(&keys(&ring), &grant(&Uuid::new_v4(), None), NOW, 10)).unwrap();
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[0] = forged::b64(r#"{"alg":"EdDSA","kid":"b","typ":"JWT"}"#);
        assert_eq!(
            block_on(decode(&keys(&ring), &parts.join("."), NOW)),
            Err(InvalidToken)
        );
    }

    #[test]
    fn a_token_without_a_version_is_version_0() {
        let sub = Uuid::new_v4();
        let token = forged::control(SECRET.as_bytes(), &sub.to_string(), NOW);
        let claims = block_on(decode(&keys(&hs256_only()), &token, NOW)).unwrap();
        assert_eq!((claims.token_version, claims.session_id), (0, None));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let ring = hs256_only();
        let token = block_on(issue(&keys(&ring), &grant(&Uuid::new_v4(), None), NOW, 1)).unwrap();
        assert_eq!(
            block_on(decode(&keys(&ring), &token, NOW + 61)),
            Err(InvalidToken)
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let ring = hs256_only();
        let other = Keys {
            secret: "other",
            ..keys(&ring)
        };
        let token = block_on(issue(&other, &grant(&Uuid::new_v4(), None), NOW, 60)).unwrap();
        assert_eq!(
            block_on(decode(&keys(&ring), &token, NOW)),
            Err(InvalidToken)
        );
    }

    #[test]
    fn a_signature_of_any_other_length_is_refused_not_a_panic() {
        let ring = KeyRing::parse(RING).unwrap();
        let hs = forged::control(SECRET.as_bytes(), &Uuid::new_v4().to_string(), NOW);
        let ed = block_on(issue(&keys(&ring), &grant(&Uuid::new_v4(), None), NOW, 10)).unwrap();
        for (control, right) in [(hs, HS256_SIGNATURE_LEN), (ed, ED25519_SIGNATURE_LEN)] {
            let signed = &control[..control.rfind('.').unwrap()];
            for len in (0..=80).filter(|&n| n != right) {
                let signature = Base64UrlUnpadded::encode_string(&vec![7u8; len]);
                let token = format!("{signed}.{signature}");
                assert_eq!(
                    block_on(decode(&keys(&ring), &token, NOW)),
                    Err(InvalidToken),
                    "{len} bytes"
                );
            }
        }
    }

    #[test]
    fn forged_tokens_are_refused() {
        let ring = hs256_only();
        let sub = Uuid::new_v4().to_string();
        let control = forged::control(SECRET.as_bytes(), &sub, NOW);
        assert!(
            block_on(decode(&keys(&ring), &control, NOW)).is_ok(),
            "the control must pass"
        );
        for (what, token) in forged::corpus(SECRET.as_bytes(), &sub, NOW) {
            assert_eq!(
                block_on(decode(&keys(&ring), &token, NOW)),
                Err(InvalidToken),
                "{what}"
            );
        }
    }
}
