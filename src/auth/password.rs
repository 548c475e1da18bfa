//! Password hashing: PBKDF2-HMAC-SHA256 with a random 16-byte salt, stored as a
//! self-describing PHC string, `$pbkdf2-sha256$i=<rounds>,l=32$<salt>$<hash>`
//! (unpadded standard base64), so the work factor can change without a migration:
//! a hash made with weaker parameters (fewer rounds, a shorter salt or hash)
//! verifies, then is replaced at the next login. A stronger one is kept as it is:
//! lowering `PASSWORD_HASH_ITERATIONS` never weakens stored hashes.
//! Comparison is constant-time; an unknown email is checked against a dummy hash
//! of the same cost.

use crate::config::MAX_PASSWORD_ITERATIONS;
use crate::secrets::{base64_unpadded, base64_unpadded_decode};
use hmac::{Hmac, Mac};
use sha2::digest::generic_array::GenericArray;
use sha2::{compress256, Digest, Sha256};
use subtle::ConstantTimeEq;

const ALGORITHM: &str = "pbkdf2-sha256";
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// A stored hash, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashParseError {
    Format,
    Algorithm,
    Parameters,
    /// More rounds than we will spend CPU on: a crafted row must not buy unbounded work.
    Iterations,
    Encoding,
}

impl PasswordHash {
    pub fn parse(stored: &str) -> Result<PasswordHash, HashParseError> {
        let mut parts = stored.split('$');
        let (Some(""), Some(alg), Some(params), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(HashParseError::Format);
        };
        if alg != ALGORITHM {
            return Err(HashParseError::Algorithm);
        }
        let mut iterations = None;
        let mut length = None;
        for pair in params.split(',') {
            match pair.split_once('=') {
                Some(("i", v)) => iterations = v.parse::<u32>().ok(),
                Some(("l", v)) => length = v.parse::<usize>().ok(),
                _ => return Err(HashParseError::Parameters),
            }
        }
        let (Some(iterations), Some(length)) = (iterations, length) else {
            return Err(HashParseError::Parameters);
        };
        if !(1..=MAX_PASSWORD_ITERATIONS).contains(&iterations) {
            return Err(HashParseError::Iterations);
        }
        let salt = base64_unpadded_decode(salt).ok_or(HashParseError::Encoding)?;
        let hash = base64_unpadded_decode(hash).ok_or(HashParseError::Encoding)?;
        if hash.len() != length || hash.is_empty() || salt.is_empty() {
            return Err(HashParseError::Parameters);
        }
        Ok(PasswordHash {
            iterations,
            salt,
            hash,
        })
    }

    pub fn encode(&self) -> String {
        format!(
            "${ALGORITHM}$i={},l={}${}${}",
            self.iterations,
            self.hash.len(),
            base64_unpadded(&self.salt),
            base64_unpadded(&self.hash)
        )
    }
}

/// PBKDF2-HMAC-SHA256 of `password` into `out` (RFC 8018).
///
/// The first HMAC of each block comes from the `hmac` crate; the other
/// `iterations - 1` (the whole cost of a login) run on `sha2`'s compression
/// function directly: HMAC's inner and outer states are computed once, and each
/// round is two single-block compressions with fixed padding. This is what
/// `pbkdf2::pbkdf2_hmac` computes (a test compares them), without cloning and
/// finalizing two hasher states per round, which in wasm cost as much as the
/// hashing itself.
pub fn derive(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    let Ok(mac) = Hmac::<Sha256>::new_from_slice(password) else {
        // Unreachable (HMAC takes keys of any length), but never a panic.
        return pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out);
    };
    let (inner, outer) = hmac_states(password);
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let mut first = mac.clone();
        first.update(salt);
        first.update(&(i as u32 + 1).to_be_bytes());
        // U and T as SHA-256 state words: each round moves 32 bytes into
        // the block twice and XORs 8 words, with no byte loops.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&first.finalize().into_bytes());
        let mut t = [0u32; 8];
        for (t, b) in t.iter_mut().zip(block.chunks_exact(4)) {
            *t = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        }
        // One 64-byte block holds a 32-byte message after a 64-byte key block:
        // the message, 0x80, zeros, and the bit length 96 * 8 = 768.
        block[32] = 0x80;
        block[62] = 0x03;
        for _ in 1..iterations {
            let mut state = inner;
            compress256(
                &mut state,
                core::slice::from_ref(GenericArray::from_slice(&block)),
            );
            words_to_bytes(&state, &mut block);
            let mut state = outer;
            compress256(
                &mut state,
                core::slice::from_ref(GenericArray::from_slice(&block)),
            );
            words_to_bytes(&state, &mut block);
            for (t, u) in t.iter_mut().zip(state) {
                *t ^= u;
            }
        }
        let mut t_bytes = [0u8; 64];
        words_to_bytes(&t, &mut t_bytes);
        chunk.copy_from_slice(&t_bytes[..chunk.len()]);
    }
}

/// SHA-256's initial state.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// HMAC-SHA256's states after absorbing the key XOR ipad and XOR opad.
fn hmac_states(key: &[u8]) -> ([u32; 8], [u32; 8]) {
    let mut padded = [0u8; 64];
    if key.len() > 64 {
        padded[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let state_for = |pad: u8| {
        let block: [u8; 64] = core::array::from_fn(|i| padded[i] ^ pad);
        let mut state = IV;
        compress256(
            &mut state,
            core::slice::from_ref(GenericArray::from_slice(&block)),
        );
        state
    };
    (state_for(0x36), state_for(0x5c))
}

/// The first 32 bytes of `block`, big-endian from `words`.
#[inline(always)]
fn words_to_bytes(words: &[u32; 8], block: &mut [u8; 64]) {
    for (i, w) in words.iter().enumerate() {
        let [a, b, c, d] = w.to_be_bytes();
        block[4 * i] = a;
        block[4 * i + 1] = b;
        block[4 * i + 2] = c;
        block[4 * i + 3] = d;
    }
}

/// Hashes with a fresh random salt.
pub fn hash_password(password: &str, iterations: u32) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt)?;
    Ok(hash_with_salt(password, &salt, iterations))
}

pub fn hash_with_salt(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut hash = vec![0u8; HASH_LEN];
    derive(password.as_bytes(), salt, iterations, &mut hash);
    PasswordHash {
        iterations,
        salt: salt.to_vec(),
        hash,
    }
    .encode()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    /// The password matches; `rehash` when the stored parameters are weaker than today's.
    Yes {
        rehash: bool,
    },
}

/// Checks `password` against a stored hash. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str, iterations_now: u32) -> Verified {
    let Ok(parsed) = PasswordHash::parse(stored) else {
        dummy_verify(password, iterations_now);
        return Verified::No;
    };
    let mut candidate = vec![0u8; parsed.hash.len()];
    derive(
        password.as_bytes(),
        &parsed.salt,
        parsed.iterations,
        &mut candidate,
    );
    if bool::from(candidate.ct_eq(&parsed.hash)) {
        let rehash = parsed.iterations < iterations_now
            || parsed.salt.len() < SALT_LEN
            || parsed.hash.len() < HASH_LEN;
        Verified::Yes { rehash }
    } else {
        Verified::No
    }
}

/// Spends what a real verification spends, for emails that have no account.
pub fn dummy_verify(password: &str, iterations: u32) {
    let mut out = [0u8; HASH_LEN];
    derive(
        password.as_bytes(),
        b"users-orgs-dummy-salt",
        iterations,
        &mut out,
    );
    std::hint::black_box(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pbkdf2_sha256_matches_the_rfc_7914_vectors() {
        let mut out = [0u8; 64];
        derive(b"passwd", b"salt", 1, &mut out);
        assert_eq!(hex(&out), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
        derive(b"Password", b"NaCl", 80_000, &mut out);
        assert_eq!(hex(&out), "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
    }

    #[test]
    fn the_fast_loop_computes_what_the_pbkdf2_crate_computes() {
        for password in [&b""[..], b"pw", &[7u8; 64], &[9u8; 65], &[1u8; 200]] {
            for salt in [&b""[..], b"salt", &[3u8; 100]] {
                for iterations in [1, 2, 3, 1000] {
                    for len in [20, 32, 64, 70] {
                        let mut ours = vec![0u8; len];
                        let mut theirs = vec![0u8; len];
                        derive(password, salt, iterations, &mut ours);
                        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut theirs);
                        assert_eq!(
                            ours,
                            theirs,
                            "pw {} salt {} c {iterations} len {len}",
                            password.len(),
                            salt.len()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_hash_string_describes_its_parameters() {
        let s = hash_with_salt("password", b"salt", 4096);
        assert_eq!(
            s,
            "$pbkdf2-sha256$i=4096,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o"
        );
        let parsed = PasswordHash::parse(&s).unwrap();
        assert_eq!(parsed.iterations, 4096);
        assert_eq!(
            hex(&parsed.hash),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
        assert_eq!(parsed.encode(), s);
    }

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let s = hash_password("correct horse", 2000).unwrap();
        assert_eq!(
            verify("correct horse", &s, 2000),
            Verified::Yes { rehash: false }
        );
        assert_eq!(verify("correct horsf", &s, 2000), Verified::No);
    }

    #[test]
    fn salts_are_random() {
        assert_ne!(
            hash_password("same", 1000).unwrap(),
            hash_password("same", 1000).unwrap()
        );
    }

    #[test]
    fn a_hash_with_fewer_rounds_asks_to_be_rehashed() {
        let s = hash_password("pw", 1000).unwrap();
        assert_eq!(verify("pw", &s, 2000), Verified::Yes { rehash: true });
    }

    #[test]
    fn a_hash_with_more_rounds_is_kept() {
        let s = hash_password("pw", 2000).unwrap();
        assert_eq!(verify("pw", &s, 1000), Verified::Yes { rehash: false });
    }

    #[test]
    fn malformed_hash_strings_are_errors_not_panics() {
        for bad in [
            "",
            "$",
            "plain",
            "$pbkdf2-sha256$i=1000,l=32$c2FsdA",
            "$pbkdf2-sha1$i=1000,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
            "$pbkdf2-sha256$i=abc,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
            "$pbkdf2-sha256$i=1000$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
            "$pbkdf2-sha256$i=1000,l=32$!!!$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
            "$pbkdf2-sha256$i=1000,l=16$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
            "$pbkdf2-sha256$i=0,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o",
            "$pbkdf2-sha256$i=1000,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o$extra",
        ] {
            assert!(PasswordHash::parse(bad).is_err(), "{bad:?}");
            assert_eq!(verify("password", bad, 1000), Verified::No);
        }
    }

    #[test]
    fn a_crafted_hash_cannot_buy_unbounded_work() {
        let s =
            "$pbkdf2-sha256$i=4000000000,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o";
        assert_eq!(PasswordHash::parse(s), Err(HashParseError::Iterations));
    }
}
