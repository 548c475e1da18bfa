//! What a limit counts by: HMACs of the limited thing under a key derived
//! from `SECRET_KEY` (D1 alone does not tell whose address a key counts), and
//! client addresses grouped as one client holds them.

use crate::secrets::{DerivedKey, Purpose};
use std::net::Ipv6Addr;

/// The stored key of `kind` for `value`: 64 hex characters, whatever the value.
pub(crate) fn key(secret_key: &str, kind: &str, value: &str) -> String {
    DerivedKey::derive(secret_key, Purpose::RateLimitKey)
        .mac_hex(&[kind.as_bytes(), value.as_bytes()])
}

/// The group a client address counts in: an IPv4 address as it is, an IPv6
/// address by its /64 (one subscriber usually holds a whole /64), its four
/// groups written in full (`2001:db8:0:0::/64`: only ever the input of a key,
/// so no need for the standard compressed form's code).
pub(crate) fn address_group(ip: &str) -> String {
    match ip.parse::<Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fixed_length_keyed_digests() {
        let k = key("s", "login-email", &"a".repeat(10_000));
        assert_eq!(k.len(), 64);
        assert_ne!(
            key("s", "login-email", "a@x.io"),
            key("s", "login-ip", "a@x.io")
        );
        assert_ne!(
            key("s", "login-ip", "a@x.io"),
            key("t", "login-ip", "a@x.io")
        );
        let bare = crate::ids::hex(&<sha2::Sha256 as sha2::Digest>::digest(b"login-ip:a@x.io"));
        assert_ne!(key("s", "login-ip", "a@x.io"), bare);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(address_group("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_group("2001:db8::1"), "2001:db8:0:0::/64");
        assert_eq!(
            address_group("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            address_group("2001:db8:1:2::")
        );
        assert_ne!(
            address_group("2001:db8:1:3::1"),
            address_group("2001:db8:1:2::1")
        );
        assert_eq!(address_group("198.51.100.7"), "198.51.100.7");
        assert_eq!(address_group("::ffff:198.51.100.7"), "198.51.100.7");
    }
}
