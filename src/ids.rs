//! Ids: UUIDs stored lower-case and hyphenated, whatever form the client sent.

use uuid::Uuid;

/// The stored (and answered) form of an id.
pub(crate) fn id_text(id: &Uuid) -> String {
    id.hyphenated().to_string()
}

/// Bytes as lower-case hex (digests, signatures, stored token hashes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh random id, in its stored form.
pub(crate) fn new_id() -> String {
    id_text(&Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stored_lower_case_and_hyphenated() {
        let id = Uuid::parse_str("0B5E7A2C8F7B4C559C105B0E2E8D3A11").unwrap();
        assert_eq!(id_text(&id), "0b5e7a2c-8f7b-4c55-9c10-5b0e2e8d3a11");
        assert_eq!(new_id().len(), 36);
    }
}
