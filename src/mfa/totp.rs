//! RFC 6238 TOTP as authenticator apps compute it: HMAC-SHA1 (RFC 4226's
//! dynamic truncation), 6 digits, 30-second steps from the Unix epoch, and the
//! secret in RFC 4648 base32. Pure functions: the same in wasm and natively
//! (`tests/wasm.rs` runs the RFC's vectors in both).

use base32ct::{Base32UpperUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds a code lives.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Steps either side of the current one whose codes are accepted (clock drift).
pub const WINDOW: i64 = 1;

/// The step `unix` seconds fall in.
pub fn step_at(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECONDS)
}

/// RFC 4226's HOTP value of `counter`, `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 10u32.pow(digits)
}

/// The 6-digit code of `step`, zero-padded.
pub fn code(secret: &[u8], step: i64) -> String {
    format!("{:06}", hotp(secret, step as u64, DIGITS))
}

/// Whether `code` looks like a TOTP code (6 ASCII digits) rather than a
/// recovery code.
pub fn is_totp_code(code: &str) -> bool {
    code.len() == DIGITS as usize && code.bytes().all(|c| c.is_ascii_digit())
}

/// The step within [`WINDOW`] of `now_step` whose code is `code`, if it is
/// later than `last_step` (the last one accepted: an earlier code, or the same
/// one again, is a replay). Every candidate is compared in constant time.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now_step: i64,
    last_step: Option<i64>,
) -> Option<i64> {
    let mut found = None;
    for step in now_step - WINDOW..=now_step + WINDOW {
        let same: bool = self::code(secret, step)
            .as_bytes()
            .ct_eq(code.as_bytes())
            .into();
        if same && found.is_none() && last_step.is_none_or(|last| step > last) {
            found = Some(step);
        }
    }
    found
}

/// A secret's base32 form, as authenticator apps take it (no padding: 20 bytes
/// are 32 characters).
pub fn encode_secret(secret: &[u8]) -> String {
    base32(secret, false)
}

/// RFC 4648 base32 without padding, in upper case (`lower`: lower case), with
/// no branch or table lookup on the bits: what base32ct does, in the few lines
/// encoding needs (its generic encoder was 2.8 KB of the upload).
pub fn base32(bytes: &[u8], lower: bool) -> String {
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let case = if lower { 0x20 } else { 0 };
    let mut push = |v: u8| {
        // 0xff for 26..=31 (the digits 2 to 7), 0 for 0..=25 (the letters).
        let digit = (25u8.wrapping_sub(v) >> 7).wrapping_neg();
        out.push(char::from(
            v + b'A' - (digit & (b'A' + 26 - b'2')) + (!digit & case),
        ));
    };
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            push(((buffer >> bits) & 31) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        push(((buffer << (5 - bits)) & 31) as u8);
    }
    out
}

/// The bytes of a base32 secret (either case, padded or not).
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let upper = text.trim_end_matches('=').to_ascii_uppercase();
    Base32UpperUnpadded::decode_vec(&upper).ok()
}

/// RFC 6238's vectors, shared with the wasm tests.
#[cfg(test)]
#[path = "../../tests/support/totp_vectors.rs"]
mod vectors;

#[cfg(test)]
mod tests {
    use super::*;

    use super::vectors::{SEED as RFC_SEED, VECTORS as RFC_VECTORS};

    #[test]
    fn the_rfc_6238_vectors_come_out() {
        for (time, expected) in RFC_VECTORS {
            let got = format!("{:08}", hotp(RFC_SEED, step_at(time) as u64, 8));
            assert_eq!(got, expected, "T = {time}");
        }
    }

    #[test]
    fn the_rfc_4226_vectors_come_out() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SEED, counter as u64, 6), value);
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_once() {
        let s = 1_000;
        assert_eq!(
            matching_step(RFC_SEED, &code(RFC_SEED, s - 1), s, None),
            Some(s - 1)
        );
        assert_eq!(
            matching_step(RFC_SEED, &code(RFC_SEED, s + 1), s, None),
            Some(s + 1)
        );
        assert_eq!(
            matching_step(RFC_SEED, &code(RFC_SEED, s - 2), s, None),
            None
        );
        assert_eq!(
            matching_step(RFC_SEED, &code(RFC_SEED, s + 2), s, None),
            None
        );
        assert_eq!(
            matching_step(RFC_SEED, &code(RFC_SEED, s), s, Some(s)),
            None
        );
        assert_eq!(
            matching_step(RFC_SEED, &code(RFC_SEED, s), s, Some(s - 1)),
            Some(s)
        );
    }

    #[test]
    fn secrets_read_back_from_base32() {
        let secret = [7u8; SECRET_BYTES];
        let text = encode_secret(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(decode_secret(&text).unwrap(), secret);
        assert_eq!(decode_secret(&text.to_lowercase()).unwrap(), secret);
        // RFC 4648's own vector.
        assert_eq!(encode_secret(b"foobar"), "MZXW6YTBOI");
        assert!(is_totp_code("012345") && !is_totp_code("01234") && !is_totp_code("abcde-fghij"));
    }

    #[test]
    fn base32_is_rfc_4648s_in_either_case() {
        use base32ct::{Base32Unpadded, Base32UpperUnpadded};
        for n in 0..41u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(151) ^ 0x5a).collect();
            assert_eq!(
                base32(&bytes, false),
                Base32UpperUnpadded::encode_string(&bytes)
            );
            assert_eq!(base32(&bytes, true), Base32Unpadded::encode_string(&bytes));
        }
    }
}
