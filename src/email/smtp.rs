//! SMTP over a Workers TCP socket (`connect()`): the dialogue of RFC 5321 with
//! STARTTLS (`SMTP_TLS`) or TLS from the start (`SMTP_SSL`), AUTH PLAIN when a
//! user is set, and a MIME message with a text and an HTML part.

use super::outbox::OutboxRow;
use crate::config::{EmailConfig, SmtpConfig};
use base64ct::{Base64, Encoding};
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

/// `=?UTF-8?B?...?=` for a header with non-ASCII text (RFC 2047).
fn header_text(s: &str) -> String {
    if s.is_ascii() {
        s.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", Base64::encode_string(s.as_bytes()))
    }
}

/// Base64 in lines of 76 characters.
fn base64_lines(s: &str) -> String {
    let encoded = Base64::encode_string(s.as_bytes());
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The message as sent after DATA (dot-stuffing needs none: every body line is base64).
pub(crate) fn message(cfg: &EmailConfig, row: &OutboxRow, html: &str, text: &str) -> String {
    let boundary = format!("=_{}", row.id);
    let domain = cfg.from_email.rsplit('@').next().unwrap_or("localhost");
    format!(
        "From: {name} <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{id}@{domain}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n\
         --{boundary}--\r\n",
        name = header_text(&cfg.from_name),
        from = cfg.from_email,
        to = row.recipient,
        subject = header_text(&row.subject),
        id = row.id,
        text = base64_lines(text),
        html = base64_lines(html),
    )
}

pub(crate) async fn send(
    cfg: &EmailConfig,
    smtp: &SmtpConfig,
    row: &OutboxRow,
    html: &str,
    text: &str,
) -> Result<(), String> {
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
        let token = Base64::encode_string(format!("\0{user}\0{password}").as_bytes());
        s.command(&format!("AUTH PLAIN {token}"), &["235"], "AUTH")
            .await?;
    }
    s.command(
        &format!("MAIL FROM:<{}>", cfg.from_email),
        &["250"],
        "MAIL FROM",
    )
    .await?;
    s.command(
        &format!("RCPT TO:<{}>", row.recipient),
        &["250", "251"],
        "RCPT TO",
    )
    .await?;
    s.command("DATA", &["354"], "DATA").await?;
    let data = format!("{}.\r\n", message(cfg, row, html, text));
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
