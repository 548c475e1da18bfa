//! SMTP over a Workers TCP socket (`connect()`): the dialogue of RFC 5321 with
//! STARTTLS (`SMTP_TLS`) or TLS from the start (`SMTP_SSL`), AUTH PLAIN when a
//! user is set, and a MIME message with a text and an HTML part.

use super::outbox::OutboxRow;
use crate::config::{EmailConfig, SmtpConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker::{SecureTransport, Socket};

/// Reads replies line by line from a socket.
struct Session {
    socket: Socket,
    buffer: Vec<u8>,
}

impl Session {
    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buffer.drain(..end + 2).collect();
                return Ok(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            if self.buffer.len() > 64 * 1024 {
                return Err("an SMTP reply line over 64 KiB".into());
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .socket
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the SMTP server closed the connection".into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }

    /// The whole (possibly multi-line) reply, which must have code `expected`.
    async fn expect(&mut self, expected: &[&str], what: &str) -> Result<(), String> {
        loop {
            let line = self.line().await?;
            let code = line.get(..3).unwrap_or("");
            if line.as_bytes().get(3) == Some(&b'-') {
                continue; // a continuation line
            }
            return if expected.contains(&code) {
                Ok(())
            } else {
                Err(format!("{what}: {line}"))
            };
        }
    }

    async fn command(&mut self, line: &str, expected: &[&str], what: &str) -> Result<(), String> {
        self.socket
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.expect(expected, what).await
    }
}

/// Header text as RFC 2047 encoded words (`=?UTF-8?B?...?=`), all of it, ASCII
/// or not: no character of it, CR and LF included, reaches the header raw.
/// Words carry at most 45 bytes (75 characters encoded, the RFC's limit), cut
/// between characters, and are folded onto continuation lines.
fn header_text(s: &str) -> String {
    const WORD_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if i + c.len_utf8() - start > WORD_BYTES {
            words.push(&s[start..i]);
            start = i;
        }
    }
    words.push(&s[start..]);
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", crate::secrets::base64(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// An address for an SMTP command or an address header: refused if it holds a
/// character that could end the line or the angle brackets around it. Stored
/// addresses were validated, but nothing that reaches the wire trusts that.
fn address(s: &str) -> Result<&str, String> {
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | ' '))
    {
        return Err(format!("refused to send to or from the address {s:?}"));
    }
    Ok(s)
}

/// Base64 in lines of 76 characters.
fn base64_lines(s: &str) -> String {
    let encoded = crate::secrets::base64(s.as_bytes());
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The message as sent after DATA (dot-stuffing needs none: every body line is base64).
pub(crate) fn message(
    cfg: &EmailConfig,
    row: &OutboxRow,
    html: &str,
    text: &str,
) -> Result<String, String> {
    let boundary = format!("=_{}", uuid_text(&row.id)?);
    let from = address(&cfg.from_email)?;
    let domain = from.rsplit('@').next().unwrap_or("localhost");
    Ok(format!(
        "From: {name} <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{id}@{domain}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n\
         --{boundary}--\r\n",
        name = header_text(&cfg.from_name),
        to = address(&row.recipient)?,
        subject = header_text(&row.subject),
        id = row.id,
        text = base64_lines(text),
        html = base64_lines(html),
    ))
}

/// The outbox row's id, which names the MIME boundary and the Message-ID: a UUID.
fn uuid_text(id: &str) -> Result<&str, String> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(format!("an outbox id that is not a UUID: {id:?}"));
    }
    Ok(id)
}

/// Long: the SMTP dialogue, one exchange after another in the order RFC 5321
/// gives it, so a reader follows the conversation down the page.
pub(crate) async fn send(
    cfg: &EmailConfig,
    smtp: &SmtpConfig,
    row: &OutboxRow,
    html: &str,
    text: &str,
) -> Result<(), String> {
    // Built (and its addresses checked) before a byte is sent.
    let data = format!("{}.\r\n", message(cfg, row, html, text)?);
    let transport = if smtp.ssl {
        SecureTransport::On
    } else if smtp.starttls {
        SecureTransport::StartTls
    } else {
        SecureTransport::Off
    };
    let socket = Socket::builder()
        .secure_transport(transport)
        .connect(smtp.host.clone(), smtp.port)
        .map_err(|e| format!("connect {}:{}: {e}", smtp.host, smtp.port))?;
    let mut s = Session {
        socket,
        buffer: Vec::new(),
    };
    s.expect(&["220"], "greeting").await?;
    s.command("EHLO users-orgs-api", &["250"], "EHLO").await?;
    if smtp.starttls && !smtp.ssl {
        s.command("STARTTLS", &["220"], "STARTTLS").await?;
        s = Session {
            socket: s.socket.start_tls(),
            buffer: Vec::new(),
        };
        s.command("EHLO users-orgs-api", &["250"], "EHLO after STARTTLS")
            .await?;
    }
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        let token = crate::secrets::base64(format!("\0{user}\0{password}").as_bytes());
        s.command(&format!("AUTH PLAIN {token}"), &["235"], "AUTH")
            .await?;
    }
    s.command(
        &format!("MAIL FROM:<{}>", address(&cfg.from_email)?),
        &["250"],
        "MAIL FROM",
    )
    .await?;
    s.command(
        &format!("RCPT TO:<{}>", address(&row.recipient)?),
        &["250", "251"],
        "RCPT TO",
    )
    .await?;
    s.command("DATA", &["354"], "DATA").await?;
    s.socket
        .write_all(data.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    s.expect(&["250"], "message").await?;
    // The message is accepted; how the goodbye goes does not matter.
    let _ = s.command("QUIT", &["221"], "QUIT").await;
    let _ = s.socket.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};

    fn decode(header: &str) -> String {
        header
            .split("\r\n ")
            .map(|w| {
                let b64 = w
                    .strip_prefix("=?UTF-8?B?")
                    .unwrap()
                    .strip_suffix("?=")
                    .unwrap();
                assert!(w.len() <= 75, "{w}");
                String::from_utf8(Base64::decode_vec(b64).unwrap()).unwrap()
            })
            .collect()
    }

    #[test]
    fn every_header_text_is_encoded_in_words_that_fold() {
        let hostile = "x\r\n.\r\nMAIL FROM:<a@evil>\r\nRCPT TO:<victim@bank>\r\nDATA\r\n";
        for text in [hostile, "plain", "", &"Ärzte ohne Grenzen 🚀 ".repeat(9)] {
            let encoded = header_text(text);
            assert!(
                !encoded.replace("\r\n ", "").contains(['\r', '\n']),
                "{encoded}"
            );
            assert_eq!(decode(&encoded), text);
        }
    }

    #[test]
    fn addresses_that_could_end_a_command_are_refused() {
        assert_eq!(address("a@example.com"), Ok("a@example.com"));
        for bad in ["a@b\r\nRCPT TO:<c@d>", "a@b>", "<a@b", "a b@c", "", "a@b\0"] {
            assert!(address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_hostile_subject_stays_inside_one_header() {
        let from = |k: &str| (k == "EMAILS_FROM_EMAIL").then(|| "info@example.com".to_string());
        let cfg = crate::config::EmailConfig::load(&from, true).unwrap();
        let row = OutboxRow {
            id: "0b6c3a52-4d7e-4d59-9a4f-6a1e2f3c4d5e".into(),
            kind: "invitation".into(),
            recipient: "to@example.com".into(),
            subject: "x\r\n.\r\nMAIL FROM:<a@evil>\r\n".into(),
            html: None,
            text_body: None,
            status: "pending".into(),
            attempts: 0,
        };
        let m = message(&cfg, &row, "<p>hi</p>", "hi").unwrap();
        assert!(!m.contains("\r\n.\r\n") && !m.contains("MAIL FROM"), "{m}");
        let bad = OutboxRow {
            recipient: "to@example.com>\r\nBcc: <x@y".into(),
            ..row
        };
        assert!(message(&cfg, &bad, "", "").is_err());
    }
}
