//! The pure modules compiled to wasm32 and run in Node (wasm-bindgen-test-runner):
//! what must behave the same inside the worker as natively.
#![cfg(target_arch = "wasm32")]

use users_orgs_api::auth::{jwt, password};
use users_orgs_api::keyring::KeyRing;
use users_orgs_api::mfa::totp;

#[path = "support/totp_vectors.rs"]
mod totp_vectors;
use users_orgs_api::validation::email::Email;
use users_orgs_api::validation::json::{parse_body, JsonBody};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn pbkdf2_sha256_matches_the_rfc_7914_vector_in_wasm() {
    let mut out = [0u8; 64];
    password::derive(b"Password", b"NaCl", 80_000, &mut out);
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

#[wasm_bindgen_test]
fn hashes_made_in_wasm_use_random_salts_and_verify() {
    let a = password::hash_password("correct horse", 1000).unwrap();
    let b = password::hash_password("correct horse", 1000).unwrap();
    assert_ne!(a, b);
    assert_eq!(
        password::verify("correct horse", &a, 1000),
        password::Verified::Yes { rehash: false }
    );
    assert_eq!(
        password::verify("wrong horse", &a, 1000),
        password::Verified::No
    );
}

#[wasm_bindgen_test]
fn a_known_hash_string_verifies_in_wasm() {
    // A 4-byte salt is weaker than ours: it verifies, and asks to be replaced.
    let s = "$pbkdf2-sha256$i=4096,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o";
    assert_eq!(
        password::verify("password", s, 4096),
        password::Verified::Yes { rehash: true }
    );
    assert!(password::PasswordHash::parse("$pbkdf2-sha256$i=x,l=32$a$b").is_err());
}

/// RFC 8037 A.1's key pair, as a ring of one.
const RING: &str = r#"[{"kty":"OKP","crv":"Ed25519","kid":"a","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]"#;

fn keys<'a>(secret: &'a str, ring: &'a KeyRing) -> jwt::Keys<'a> {
    jwt::Keys {
        secret,
        ring,
        accept_hs256: false,
        issuer: "users-orgs-api",
    }
}

#[wasm_bindgen_test]
async fn tokens_round_trip_in_wasm() {
    let id = uuid::Uuid::new_v4();
    let grant = jwt::Grant {
        user_id: &id,
        token_version: 0,
        session_id: None,
        org: None,
    };
    // HS256 (no ring), then EdDSA (WebCrypto's Ed25519: Node's here, workerd's in the worker).
    for ring in [KeyRing::empty(), KeyRing::parse(RING).unwrap()] {
        ring.prepare().await.unwrap();
        let token = jwt::issue(&keys("secret", &ring), &grant, 1_800_000_000, 60)
            .await
            .unwrap();
        let claims = jwt::decode(&keys("secret", &ring), &token, 1_800_000_010)
            .await
            .unwrap();
        assert_eq!(claims.user_id, id);
        assert_eq!(claims.expires_at, 1_800_003_600);
        let expired = jwt::decode(&keys("secret", &ring), &token, 1_800_003_601).await;
        assert!(expired.is_err());
        let other = KeyRing::empty();
        let foreign = jwt::decode(&keys("other", &other), &token, 1_800_000_010).await;
        assert!(foreign.is_err());
    }
}

#[wasm_bindgen_test]
async fn the_rfc_8037_signature_is_made_and_verified_by_webcrypto() {
    // RFC 8037 A.4: A.1's key signs "Example of Ed25519 signing" (Ed25519 is
    // deterministic: the same bytes from any correct implementation).
    use base64ct::{Base64UrlUnpadded, Encoding};
    let ring = KeyRing::parse(RING).unwrap();
    let signed = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    let signature = Base64UrlUnpadded::decode_vec(
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
    )
    .unwrap();
    let key = ring.signer();
    assert_eq!(key.sign(signed).await.unwrap()[..], signature[..]);
    assert!(key.verify(signed, &signature).await);
    assert!(!key.verify(b"another message", &signature).await);
    // A key whose x is another key's is refused when the ring is prepared.
    let other_x = Base64UrlUnpadded::encode_string(&[9u8; 32]);
    let wrong = RING.replace("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", &other_x);
    let err = KeyRing::parse(&wrong).unwrap().prepare().await.unwrap_err();
    assert!(err.contains("x is not the public key of d"), "{err}");
}

#[wasm_bindgen_test]
fn email_and_json_errors_read_the_same_in_wasm() {
    assert_eq!(
        Email::parse("A@Example.COM").unwrap().as_str(),
        "A@example.com"
    );
    assert_eq!(
        Email::parse("nope").unwrap_err(),
        "An email address must have an @-sign."
    );
    assert_eq!(
        parse_body(br#"{"email": }"#),
        JsonBody::Invalid {
            message: "Expecting value",
            offset: 10
        }
    );
}

#[wasm_bindgen_test]
fn emails_are_nfc_normalized_in_wasm() {
    // decomposed ü (u + combining diaeresis) and the composed one are one address
    let decomposed = Email::parse("Jürgen@bu\u{308}cher.de").unwrap();
    let composed = Email::parse("Jürgen@bücher.de").unwrap();
    assert_eq!(decomposed.as_str(), "Jürgen@bücher.de");
    assert_eq!(decomposed.key(), composed.key());
}

#[wasm_bindgen_test]
fn the_runtime_lower_cases_as_rust_does() {
    use users_orgs_api::validation::runtime::lower;
    for text in [
        "ADMIN@EXAMPLE.COM",
        "Jürgen@BÜCHER.de",
        "ὈΔΥΣΣΕΎΣ", // final sigma: ς at the end of a word, σ inside
        "ΣΑΣ ΣΑΣ.",
        "İstanbul",      // İ: i and a combining dot above
        "ẞ and ǅ and Ⅻ", // capital sharp s, a titlecase digraph, a Roman numeral
        "ＡＢＣ",        // fullwidth
        "𐐀𐐁",            // Deseret, outside the BMP
        "already lower, 123 !?",
        "",
    ] {
        assert_eq!(lower(text), text.to_lowercase(), "{text}");
    }
}

#[wasm_bindgen_test]
fn the_runtime_reads_a_urls_host_as_the_url_crate_does() {
    use users_orgs_api::validation::runtime::url_host;
    for url in [
        "https://hooks.example.com/in",
        "https://HOOKS.Example.COM:8443/a?b#c",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://0177.0.0.1/",
        "https://127.0.0.1./",
        "https://0/",
        "https://localhost./",
        "https://%6c%6fcalhost/",
        "https://\u{ff4c}ocalhost/", // fullwidth l
        "https://b\u{fc}cher.example/",
        "https://localhost\\.example.com/",
        "https://[0:0:0:0:0:0:0:1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[FE80::1]/",
        "https://exa<mple.com/",
        "https://[::1/",
        "https://999.1.1.1/",
    ] {
        let theirs = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        assert_eq!(url_host(url), theirs, "{url}");
    }
}

#[wasm_bindgen_test]
fn the_runtime_reads_decimals_as_rust_does() {
    use users_orgs_api::validation::runtime::to_f64;
    for text in [
        "0",
        "-0",
        "+1",
        "2.5",
        "2.",
        ".5",
        "1E+5",
        "1.5e-3",
        "007.50",
        "123456789012345678901234567890",
        "0.1000000000000000055511151231257827", // the double nearest 0.1, rounded
        "2.2250738585072011e-308",              // a subnormal's edge
        "1.7976931348623157e308",
        "9007199254740993", // 2^53 + 1: ties to even
        "1e-400",
        "1e400",
    ] {
        let ours = to_f64(text);
        let rust: f64 = text.parse().unwrap();
        assert_eq!(ours.to_bits(), rust.to_bits(), "{text}");
    }
}

#[wasm_bindgen_test]
fn totp_matches_the_rfc_6238_vectors_in_wasm() {
    let seed = totp_vectors::SEED;
    for (time, expected) in totp_vectors::VECTORS {
        let code = format!("{:08}", totp::hotp(seed, totp::step_at(time) as u64, 8));
        assert_eq!(code, expected, "T = {time}");
    }
    let step = totp::step_at(1111111111);
    let code = totp::code(seed, step - 1);
    assert_eq!(totp::matching_step(seed, &code, step, None), Some(step - 1));
    assert_eq!(totp::matching_step(seed, &code, step, Some(step - 1)), None);
    assert_eq!(totp::encode_secret(b"foobar"), "MZXW6YTBOI");
}
