//! Webhooks (extensions W): endpoints that receive the events of one
//! organization (or, for superusers, every event), signed the Standard
//! Webhooks way and delivered by the `WEBHOOK_QUEUE` consumer.
//!
//! An event's deliveries are written in the event's own batch
//! (`events::repo::fan_out`), handed to the queue once it commits, sent by
//! [`delivery::consume`] and handed over again by the scheduled run when a
//! message was lost ([`delivery::requeue`]).

pub(crate) mod delivery;
pub(crate) mod models;
pub(crate) mod repo;
pub(crate) mod routes;

use crate::error::{ApiError, ApiResult};
use crate::http::sealed::SealingKey;
use crate::secrets::{hmac, Purpose};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::Mac;

/// Most endpoints per organization (and global ones).
pub(crate) const MAX_ENDPOINTS: i64 = 20;
pub(crate) const TOO_MANY: &str = "Too many webhook endpoints";
pub(crate) const NOT_FOUND: &str = "Webhook endpoint not found";
pub(crate) const DELIVERY_NOT_FOUND: &str = "Webhook delivery not found";
/// What a secret starts with (Standard Webhooks).
const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: as shown (`whsec_` and base64 of 32 random bytes)
/// and as sealed (the bytes in base64url, which the worker decodes elsewhere
/// too: no second decoder in the upload).
pub(crate) fn new_secret() -> ApiResult<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("getrandom: {e}")))?;
    let shown = format!("{SECRET_PREFIX}{}", crate::secrets::base64(&bytes));
    Ok((shown, Base64UrlUnpadded::encode_string(&bytes)))
}

/// The key that seals endpoint secrets in D1 (one derivation of `SECRET_KEY`).
pub(crate) fn sealing_key(secret_key: &str) -> SealingKey {
    SealingKey::for_purpose(secret_key, Purpose::WebhookSecret)
}

/// `webhook-signature`: `v1,` and base64 of HMAC-SHA256 over
/// `{id}.{timestamp}.{body}`, keyed with the secret's bytes (as sealed: base64url).
pub(crate) fn signature(sealed_key: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = Base64UrlUnpadded::decode_vec(sealed_key).ok()?;
    let mut mac = hmac(&key);
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        crate::secrets::base64(&mac.finalize().into_bytes())
    ))
}

/// Why an endpoint URL is refused (the 422's type, message and context), if it is.
pub(crate) fn url_problem(url: &str, local: bool) -> Option<(&'static str, String)> {
    const MAX_LEN: usize = 2083;
    if url.chars().count() > MAX_LEN {
        return Some(("url_too_long", format!("{MAX_LEN}")));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(("url_parsing", "relative URL without a base".into()));
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        // A port (digits after the last colon, outside an IPv6 literal's brackets).
        Some((host, port)) if !port.contains(']') => {
            if port.parse::<u16>().is_err() {
                return Some(("url_parsing", "invalid port number".into()));
            }
            host
        }
        _ => authority,
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) || authority.contains('@') {
        return Some(("url_parsing", "invalid character or credentials".into()));
    }
    if host.is_empty() {
        return Some(("url_parsing", "empty host".into()));
    }
    if scheme != "https" && !(local && scheme == "http") {
        return Some(("url_scheme", String::new()));
    }
    // The host as `fetch` will read it: `https://2130706433/`, `https://0x7f.1/`
    // and `https://localhost./` are all this machine.
    let Some(host) = crate::validation::runtime::url_host(url) else {
        return Some(("url_parsing", "invalid host".into()));
    };
    if !local && is_internal(&host) {
        return Some(("value_error", String::new()));
    }
    None
}

/// A loopback, private, shared (RFC 6598), link-local or unspecified host, as
/// the URL parser writes it (see [`crate::validation::runtime::url_host`]):
/// only locally. Read byte by byte: string patterns cost the upload half a KB
/// here.
fn is_internal(host: &str) -> bool {
    let mut name = host.as_bytes();
    while let [rest @ .., b'.'] = name {
        name = rest;
    }
    if let [b'[', v6 @ ..] = name {
        // A first group of zero (`::1`, `::`, the IPv4-mapped `::ffff:7f00:1`),
        // unique local (fc00::/7) or link-local (fe80::/10): the parser
        // writes groups in lower case without leading zeros.
        let first = v6.split(|b| *b == b':').next().unwrap_or_default();
        return matches!(
            first,
            [] | [b'0'] | [b'f', b'c' | b'd', _, _] | [b'f', b'e', b'8'..=b'b', _]
        );
    }
    if !name.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return name == b"localhost" || name.ends_with(b".localhost");
    }
    // An IPv4 address, in dotted decimal: its first two numbers.
    let mut numbers = [0u32; 4];
    let mut i = 0;
    for &b in name {
        if b == b'.' {
            i = (i + 1).min(3);
        } else {
            numbers[i] = numbers[i]
                .saturating_mul(10)
                .saturating_add(u32::from(b - b'0'));
        }
    }
    let [a, b, ..] = numbers;
    matches!(a, 0 | 10 | 127)
        || (a, b) == (192, 168)
        || (a, b) == (169, 254)
        || a == 172 && (16..32).contains(&b)
        || a == 100 && (64..128).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::Base64;

    #[test]
    fn the_standard_webhooks_example_signs_as_its_libraries_do() {
        // The example of the Standard Webhooks specification's libraries,
        // its secret's bytes as the worker seals them.
        let bytes = Base64::decode_vec("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signed = signature(
            &Base64UrlUnpadded::encode_string(&bytes),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signed.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(signature("no+pe", "a", 1, ""), None);
    }

    #[test]
    fn a_new_secret_is_whsec_and_32_bytes() {
        let (shown, sealed) = new_secret().unwrap();
        let raw = Base64::decode_vec(shown.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(raw.len(), 32);
        assert_eq!(Base64UrlUnpadded::decode_vec(&sealed).unwrap(), raw);
        assert_ne!(shown, new_secret().unwrap().0);
    }

    #[test]
    fn endpoint_urls_are_https_and_public_outside_local() {
        let ok = [
            "https://hooks.example.com/in",
            "https://example.com:8443/a?b=c#d",
            "https://172.32.0.1/in",
            "https://100.128.0.1/in",
            "https://[2001:db8::1]/in",
            "https://10.0.0.1.example.com/in",
            "https://b\u{fc}cher.example/in",
        ];
        for url in ok {
            assert_eq!(url_problem(url, false), None, "{url}");
        }
        let refused = [
            ("http://hooks.example.com/in", "url_scheme"),
            ("ftp://hooks.example.com/in", "url_scheme"),
            ("hooks.example.com/in", "url_parsing"),
            ("https:///in", "url_parsing"),
            ("https://user:pw@example.com/", "url_parsing"),
            ("https://example.com:99999/", "url_parsing"),
            ("https://exa mple.com/", "url_parsing"),
            ("https://exa<mple.com/", "url_parsing"),
            ("https://[::1/", "url_parsing"),
            ("https://localhost/in", "value_error"),
            ("https://api.localhost/in", "value_error"),
            ("https://127.0.0.1:8080/in", "value_error"),
            ("https://10.1.2.3/in", "value_error"),
            ("https://172.20.0.1/in", "value_error"),
            ("https://192.168.1.1/in", "value_error"),
            ("https://169.254.169.254/latest", "value_error"),
            ("https://100.64.0.1/in", "value_error"),
            ("https://[::1]:8080/in", "value_error"),
            ("https://[fd00::1]/in", "value_error"),
            // The same hosts as the URL parser (and `fetch`) reads other spellings.
            ("https://2130706433/in", "value_error"),
            ("https://0x7f.1/in", "value_error"),
            ("https://0177.0.0.1/in", "value_error"),
            ("https://127.0.0.1./in", "value_error"),
            ("https://0/in", "value_error"),
            ("https://LocalHost./in", "value_error"),
            ("https://%6c%6fcalhost/in", "value_error"),
            ("https://\u{ff4c}ocalhost/in", "value_error"),
            ("https://localhost\\.example.com/in", "value_error"),
            ("https://[0:0:0:0:0:0:0:1]/in", "value_error"),
            ("https://[::ffff:127.0.0.1]/in", "value_error"),
            ("https://[::]/in", "value_error"),
            ("https://[febf::1]/in", "value_error"),
        ];
        for (url, kind) in refused {
            let problem = url_problem(url, false).map(|p| p.0);
            assert_eq!(problem, Some(kind), "{url}");
        }
        assert_eq!(
            url_problem(&format!("https://e.com/{}", "a".repeat(2100)), false).map(|p| p.0),
            Some("url_too_long")
        );
        // Locally, a receiver on this machine.
        assert_eq!(url_problem("http://127.0.0.1:9000/hook", true), None);
        assert_eq!(url_problem("https://localhost./hook", true), None);
        assert_eq!(
            url_problem("ftp://127.0.0.1/hook", true).map(|p| p.0),
            Some("url_scheme")
        );
    }
}
