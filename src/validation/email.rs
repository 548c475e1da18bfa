//! Email addresses, checked and normalized as the origin does (pydantic's
//! `EmailStr`, which calls python-email-validator with deliverability checks off).
//!
//! The reasons are the library's own sentences, so a 422 reads the same as the
//! origin's: `value is not a valid email address: <reason>`. The normalized form
//! keeps the local part and lower-cases the domain. Internationalized domains are
//! lower-cased but not IDNA-encoded.

use super::runtime::{lower, nfc};

/// pydantic refuses longer input before parsing it.
const MAX_INPUT_LENGTH: usize = 2048;
const EMAIL_MAX_LENGTH: usize = 254;
const DOMAIN_MAX_LENGTH: usize = 253;
const LOCAL_PART_MAX_LENGTH: usize = 64;
const DNS_LABEL_LENGTH_LIMIT: usize = 63;
/// RFC 2142 mailbox names, which the library lower-cases.
const CASE_INSENSITIVE_MAILBOX_NAMES: &[&str] = &[
    "info",
    "marketing",
    "sales",
    "support",
    "abuse",
    "noc",
    "security",
    "postmaster",
    "hostmaster",
    "usenet",
    "news",
    "webmaster",
    "www",
    "uucp",
    "ftp",
];
const SPECIAL_USE_DOMAIN_NAMES: &[&str] =
    &["arpa", "invalid", "local", "localhost", "onion", "test"];

/// An email address that passed validation, in normalized form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks and normalizes `input` (NFC, trimmed, domain lower-cased); the
    /// error is the reason, worded as the origin words it. The one normalizer of
    /// email addresses: signup, create, update and login all use it.
    pub fn parse(input: &str) -> Result<Email, String> {
        if input.chars().count() > MAX_INPUT_LENGTH {
            return Err(format!(
                "Length must not exceed {MAX_INPUT_LENGTH} characters"
            ));
        }
        let text = nfc(input);
        let text = text.trim();
        let Some((local, domain)) = text.split_once('@') else {
            return Err("An email address must have an @-sign.".into());
        };
        let local = validate_local_part(local)?;
        if domain.is_empty() {
            return Err("There must be something after the @-sign.".into());
        }
        let domain = validate_domain(domain)?;
        let normalized = format!("{local}@{domain}");
        let len = normalized.len();
        if len > EMAIL_MAX_LENGTH {
            let chars = normalized.chars().count();
            let diff = len - EMAIL_MAX_LENGTH;
            return Err(if chars == len {
                format!("The email address is too long {}.", too_many(diff))
            } else {
                format!(
                    "The email address is too long ({diff} byte{} too many).",
                    plural(diff)
                )
            });
        }
        Ok(Email(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address folded for comparison (all of Unicode, not only ASCII): two
    /// addresses with the same key are one account.
    pub fn key(&self) -> String {
        lower(&self.0)
    }
}

fn plural(n: usize) -> &'static str {
    if n > 1 {
        "s"
    } else {
        ""
    }
}

fn too_many(diff: usize) -> String {
    format!("({diff} character{} too many)", plural(diff))
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_!#$%&'*+-/=?^`{|}~".contains(c) || c as u32 >= 0x80
}

/// How python-email-validator shows a character in a message.
fn display_char(c: char) -> String {
    match c {
        '\\' => "\"\\\"".to_string(),
        '\'' => "\"'\"".to_string(),
        ' ' => "SPACE".to_string(),
        c if c.is_control() => format!("U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

fn bad_chars_message(prefix: &str, bad: impl Iterator<Item = char>) -> String {
    let mut shown: Vec<String> = bad.map(display_char).collect();
    shown.sort();
    shown.dedup();
    format!("{prefix}{}.", shown.join(", "))
}

fn check_dots(
    label: &str,
    start_descr: &str,
    end_descr: &str,
    hostname: bool,
) -> Result<(), String> {
    if label.ends_with('.') {
        return Err(end_descr.replace("{}", "period"));
    }
    if label.starts_with('.') {
        return Err(start_descr.replace("{}", "period"));
    }
    if label.contains("..") {
        return Err("An email address cannot have two periods in a row.".into());
    }
    if hostname {
        if label.ends_with('-') {
            return Err(end_descr.replace("{}", "hyphen"));
        }
        if label.starts_with('-') {
            return Err(start_descr.replace("{}", "hyphen"));
        }
        if label.contains(".-") || label.contains("-.") {
            return Err(
                "An email address cannot have a period and a hyphen next to each other.".into(),
            );
        }
    }
    Ok(())
}

fn validate_local_part(local: &str) -> Result<String, String> {
    if local.is_empty() {
        return Err("There must be something before the @-sign.".into());
    }
    let chars = local.chars().count();
    if chars > LOCAL_PART_MAX_LENGTH {
        return Err(format!(
            "The email address is too long before the @-sign {}.",
            too_many(chars - LOCAL_PART_MAX_LENGTH)
        ));
    }
    let bad: Vec<char> = local
        .chars()
        .filter(|&c| c != '.' && !is_atext(c))
        .collect();
    if !bad.is_empty() {
        return Err(bad_chars_message(
            "The email address contains invalid characters before the @-sign: ",
            bad.into_iter(),
        ));
    }
    check_dots(
        local,
        "An email address cannot start with a {}.",
        "An email address cannot have a {} immediately before the @-sign.",
        false,
    )?;
    if CASE_INSENSITIVE_MAILBOX_NAMES.contains(&local.to_ascii_lowercase().as_str()) {
        return Ok(local.to_ascii_lowercase());
    }
    Ok(local.to_string())
}

fn validate_domain(domain: &str) -> Result<String, String> {
    let chars = domain.chars().count();
    if chars > DOMAIN_MAX_LENGTH {
        return Err(format!(
            "The email address is too long after the @-sign {}.",
            too_many(chars - DOMAIN_MAX_LENGTH)
        ));
    }
    let bad: Vec<char> = domain
        .chars()
        .filter(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c as u32 >= 0x80))
        .collect();
    if !bad.is_empty() {
        return Err(bad_chars_message(
            "The part after the @-sign contains invalid characters: ",
            bad.into_iter(),
        ));
    }
    let domain = lower(domain);
    check_dots(
        &domain,
        "An email address cannot have a {} immediately after the @-sign.",
        "An email address cannot end with a {}.",
        true,
    )?;
    for label in domain.split('.') {
        let b = label.as_bytes();
        if b.len() >= 4 && &b[2..4] == b"--" && !label.starts_with("xn") {
            return Err("An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode.".into());
        }
        if label.len() > DNS_LABEL_LENGTH_LIMIT {
            return Err(format!(
                "After the @-sign, periods cannot be separated by so many characters {}.",
                too_many(label.len() - DNS_LABEL_LENGTH_LIMIT)
            ));
        }
    }
    if !domain.contains('.') {
        return Err("The part after the @-sign is not valid. It should have a period.".into());
    }
    if !domain
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphabetic() || c as u32 >= 0x80)
    {
        return Err(
            "The part after the @-sign is not valid. It is not within a valid top-level domain."
                .into(),
        );
    }
    for special in SPECIAL_USE_DOMAIN_NAMES {
        if domain == *special || domain.ends_with(&format!(".{special}")) {
            return Err("The part after the @-sign is a special-use or reserved name that cannot be used with email.".into());
        }
    }
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> String {
        Email::parse(s).unwrap_err()
    }

    #[test]
    fn a_valid_address_keeps_its_local_part_and_lowercases_its_domain() {
        assert_eq!(
            Email::parse(" Foo.Bar@Example.COM ").unwrap().as_str(),
            "Foo.Bar@example.com"
        );
    }

    #[test]
    fn addresses_without_an_at_sign_are_rejected() {
        assert_eq!(
            reason("plainaddress"),
            "An email address must have an @-sign."
        );
    }

    #[test]
    fn addresses_without_a_local_part_are_rejected() {
        assert_eq!(
            reason("@example.com"),
            "There must be something before the @-sign."
        );
    }

    #[test]
    fn addresses_without_a_domain_are_rejected() {
        assert_eq!(reason("user@"), "There must be something after the @-sign.");
    }

    #[test]
    fn domains_without_a_period_are_rejected() {
        assert_eq!(
            reason("user@localhost2"),
            "The part after the @-sign is not valid. It should have a period."
        );
    }

    #[test]
    fn bad_characters_are_listed_sorted() {
        assert_eq!(
            reason("us er,x@example.com"),
            "The email address contains invalid characters before the @-sign: ',', SPACE."
        );
        assert_eq!(
            reason("a@b@example.com"),
            "The part after the @-sign contains invalid characters: '@'."
        );
    }

    #[test]
    fn periods_in_the_wrong_place_are_rejected() {
        assert_eq!(
            reason(".a@example.com"),
            "An email address cannot start with a period."
        );
        assert_eq!(
            reason("a.@example.com"),
            "An email address cannot have a period immediately before the @-sign."
        );
        assert_eq!(
            reason("a..b@example.com"),
            "An email address cannot have two periods in a row."
        );
        assert_eq!(
            reason("a@example.com."),
            "An email address cannot end with a period."
        );
        assert_eq!(
            reason("a@.example.com"),
            "An email address cannot have a period immediately after the @-sign."
        );
    }

    #[test]
    fn special_use_domains_are_rejected() {
        assert_eq!(
            reason("a@foo.localhost"),
            "The part after the @-sign is a special-use or reserved name that cannot be used with email."
        );
    }

    #[test]
    fn overlong_addresses_are_rejected_with_the_excess() {
        // The local part's own limit (64) is checked first, as email-validator does.
        let label = "b".repeat(63);
        let long = format!("{}@{label}.{label}.{label}.com", "a".repeat(60));
        assert_eq!(
            reason(&long),
            "The email address is too long (2 characters too many)."
        );
    }

    #[test]
    fn a_local_part_over_64_characters_is_refused() {
        assert_eq!(
            reason(&format!("{}@example.com", "a".repeat(66))),
            "The email address is too long before the @-sign (2 characters too many)."
        );
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
    }

    #[test]
    fn a_long_multibyte_domain_is_measured_in_characters_without_underflow() {
        // 157 characters but 307 bytes after the @-sign: no subtraction of the
        // character count from the byte limit (it underflowed), one clear reason
        let label = "ü".repeat(30);
        let domain = format!("{label}.{label}.{label}.{label}.{label}.de");
        assert_eq!(
            reason(&format!("a@{domain}")),
            "The email address is too long (55 bytes too many)."
        );
    }

    #[test]
    fn the_key_folds_unicode_case() {
        let a = Email::parse("Élodie@BÜCHER.de").unwrap();
        let b = Email::parse("élodie@bücher.de").unwrap();
        assert_eq!(a.as_str(), "Élodie@bücher.de");
        assert_eq!(a.key(), b.key());
    }
}
