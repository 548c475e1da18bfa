//! The upload URL's signature: HMAC-SHA256 over the media id, the declared
//! size and type and the expiry, with a key derived from `SECRET_KEY` (so the
//! token key itself never signs anything else). Checked in constant time.

use crate::secrets::{DerivedKey, Purpose};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What an upload URL grants: one PUT of `size` bytes of `content_type` to
/// media `id`, until `expires` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant<'a> {
    pub(crate) id: &'a str,
    pub(crate) size: u64,
    pub(crate) content_type: &'a str,
    pub(crate) expires: i64,
}

fn mac(secret: &str, grant: &Grant<'_>) -> Hmac<Sha256> {
    let mut mac = DerivedKey::derive(secret, Purpose::UploadUrl).mac();
    let message = format!(
        "{}\n{}\n{}\n{}",
        grant.id, grant.size, grant.content_type, grant.expires
    );
    mac.update(message.as_bytes());
    mac
}

/// The signature of `grant`, lower-case hex.
pub(crate) fn sign(secret: &str, grant: &Grant<'_>) -> String {
    crate::ids::hex(&mac(secret, grant).finalize().into_bytes())
}

/// Whether `signature` is `grant`'s and the grant has not expired at `now`.
pub(crate) fn verify(secret: &str, grant: &Grant<'_>, signature: &str, now: i64) -> bool {
    let Some(bytes) = unhex(signature) else {
        return false;
    };
    // the comparison is constant-time; the expiry is no secret
    mac(secret, grant).verify_slice(&bytes).is_ok() && now < grant.expires
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRANT: Grant<'static> = Grant {
        id: "0b5c8f0e-6a1e-4d1f-9d2f-3f1c0f1e2d3c",
        size: 1234,
        content_type: "image/png",
        expires: 2_000,
    };

    #[test]
    fn a_signature_holds_for_its_grant_until_it_expires() {
        let s = sign("secret", &GRANT);
        assert_eq!(s.len(), 64);
        assert!(verify("secret", &GRANT, &s, 1_999));
        assert!(!verify("secret", &GRANT, &s, 2_000));
        assert!(!verify("other secret", &GRANT, &s, 1_000));
    }

    #[test]
    fn every_part_of_the_grant_is_signed() {
        let s = sign("secret", &GRANT);
        let changed = [
            Grant {
                id: "another",
                ..GRANT
            },
            Grant {
                size: 1235,
                ..GRANT
            },
            Grant {
                content_type: "image/gif",
                ..GRANT
            },
            Grant {
                expires: 3_000,
                ..GRANT
            },
        ];
        for g in changed {
            assert!(!verify("secret", &g, &s, 1_000), "{g:?}");
        }
        for bad in ["", "zz", &s[..63], &format!("{s}0"), &s.to_uppercase()] {
            let ok = verify("secret", &GRANT, bad, 1_000);
            // hex is read in either case: upper case is the same signature
            assert_eq!(ok, bad.eq_ignore_ascii_case(&s), "{bad}");
        }
    }
}
