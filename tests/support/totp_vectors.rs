//! RFC 6238 appendix B, the SHA-1 rows: the seed (the ASCII of
//! "12345678901234567890"), and each time's 8-digit code. Shared by the native
//! unit tests (`src/mfa/totp.rs`) and the wasm tests (`tests/wasm.rs`).

pub const SEED: &[u8] = b"12345678901234567890";

pub const VECTORS: [(i64, &str); 6] = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
];
