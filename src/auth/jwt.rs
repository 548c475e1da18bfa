//! Access tokens: HS256 JWTs signed with `SECRET_KEY`, claims `sub` (user id),
//! `iat` and `exp` in whole seconds. Only HS256 is accepted (jwt-compact checks
//! the header's `alg` against the validator's), the clock is passed in, so tests
//! and the worker (which reads JavaScript's clock) decide what "now" is.

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Tokens claiming to be issued further than this in the future are refused.
const MAX_CLOCK_SKEW_SECS: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
struct Subject {
    sub: String,
}

/// The claims of a token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: Uuid,
    pub issued_at: i64,
    pub expires_at: i64,
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Signs a token for `user_id`, valid for `ttl_minutes` from `now_secs`.
pub fn issue(
    secret: &str,
    user_id: &Uuid,
    now_secs: i64,
    ttl_minutes: i64,
) -> Result<String, String> {
    let options = TimeOptions::new(Duration::zero(), move || at(now_secs));
    let claims = Claims::new(Subject {
        sub: user_id.hyphenated().to_string(),
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

/// Checks signature, algorithm, expiry and claims.
pub fn decode(secret: &str, token: &str, now_secs: i64) -> Result<TokenClaims, InvalidToken> {
    let untrusted = UntrustedToken::new(token).map_err(|_| InvalidToken)?;
    let key = Hs256Key::new(secret.as_bytes());
    let token = Hs256
        .validator::<Subject>(&key)
        .validate(&untrusted)
        .map_err(|_| InvalidToken)?;
    let claims = token.claims();
    let options = TimeOptions::new(Duration::zero(), move || at(now_secs));
    claims
        .validate_expiration(&options)
        .map_err(|_| InvalidToken)?;
    let issued_at = claims.issued_at.ok_or(InvalidToken)?.timestamp();
    let expires_at = claims.expiration.ok_or(InvalidToken)?.timestamp();
    if issued_at > now_secs + MAX_CLOCK_SKEW_SECS {
        return Err(InvalidToken);
    }
    let user_id = Uuid::parse_str(&claims.custom.sub).map_err(|_| InvalidToken)?;
    Ok(TokenClaims {
        user_id,
        issued_at,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};

    const SECRET: &str = "test-secret";
    const NOW: i64 = 1_800_000_000;

    fn b64(s: &str) -> String {
        Base64UrlUnpadded::encode_string(s.as_bytes())
    }

    fn hs256(secret: &[u8], header: &str, payload: &str) -> String {
        use hmac::{Hmac, Mac};
        let signing_input = format!("{}.{}", b64(header), b64(payload));
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(signing_input.as_bytes());
        let sig = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    #[test]
    fn an_issued_token_decodes_to_its_claims() {
        let id = Uuid::new_v4();
        let token = issue(SECRET, &id, NOW, 60).unwrap();
        assert_eq!(
            decode(SECRET, &token, NOW + 10),
            Ok(TokenClaims {
                user_id: id,
                issued_at: NOW,
                expires_at: NOW + 3600
            })
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = issue(SECRET, &Uuid::new_v4(), NOW, 1).unwrap();
        assert_eq!(decode(SECRET, &token, NOW + 61), Err(InvalidToken));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let token = issue("other", &Uuid::new_v4(), NOW, 60).unwrap();
        assert_eq!(decode(SECRET, &token, NOW), Err(InvalidToken));
    }

    #[test]
    fn forged_tokens_are_refused() {
        let sub = Uuid::new_v4();
        let payload = format!(r#"{{"sub":"{sub}","iat":{NOW},"exp":{}}}"#, NOW + 60);
        let none = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&payload)
        );
        let hs512 = hs256(SECRET.as_bytes(), r#"{"alg":"HS512"}"#, &payload);
        let rs256 = hs256(SECRET.as_bytes(), r#"{"alg":"RS256"}"#, &payload);
        let empty_key = hs256(b"", r#"{"alg":"HS256"}"#, &payload);
        let exp_string = hs256(
            SECRET.as_bytes(),
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"sub":"{sub}","iat":{NOW},"exp":"{}"}}"#, NOW + 60),
        );
        let no_sub = hs256(
            SECRET.as_bytes(),
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW + 60),
        );
        let bad_sub = hs256(
            SECRET.as_bytes(),
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"sub":"admin","iat":{NOW},"exp":{}}}"#, NOW + 60),
        );
        let no_exp = hs256(
            SECRET.as_bytes(),
            r#"{"alg":"HS256"}"#,
            &format!(r#"{{"sub":"{sub}","iat":{NOW}}}"#),
        );
        let future_iat = hs256(
            SECRET.as_bytes(),
            r#"{"alg":"HS256"}"#,
            &format!(
                r#"{{"sub":"{sub}","iat":{},"exp":{}}}"#,
                NOW + 3600,
                NOW + 7200
            ),
        );
        let good = hs256(SECRET.as_bytes(), r#"{"alg":"HS256"}"#, &payload);
        assert!(
            decode(SECRET, &good, NOW).is_ok(),
            "the control token must pass"
        );
        let truncated = &good[..good.len() - 3];
        for forged in [
            none.as_str(),
            &hs512,
            &rs256,
            &empty_key,
            &exp_string,
            &no_sub,
            &bad_sub,
            &no_exp,
            &future_iat,
            truncated,
            "garbage",
            "",
            "a.b.c",
        ] {
            assert_eq!(decode(SECRET, forged, NOW), Err(InvalidToken), "{forged}");
        }
    }
}
