//! A small, strict `multipart/form-data` reader (RFC 7578), for the login form a
//! browser's `FormData` sends. It reads what FastAPI's OAuth2 form reads: text
//! fields by name. A file part (one with a `filename`) is reported as such, so the
//! caller can refuse it where a text field is expected, as FastAPI does.
//!
//! No crate: the ones that fit are built on async runtimes the worker does not
//! have, and this needs 150 lines. Everything it does not understand is an error
//! (the caller answers 400, as FastAPI does for a body it cannot parse).

/// One part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) name: String,
    /// `Some` for a file upload.
    pub(crate) filename: Option<String>,
    pub(crate) value: Vec<u8>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// The boundary of a `multipart/form-data` content type, if it is one.
pub(crate) fn boundary(content_type: &str) -> Option<Result<String, Malformed>> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let value = params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string());
    Some(match value {
        Some(b) if (1..=70).contains(&b.len()) && b.bytes().all(|c| (32..127).contains(&c)) => {
            Ok(b)
        }
        _ => Err(Malformed("missing or invalid boundary")),
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Every part of `body`, in order.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, Malformed> {
    let delimiter = format!("--{boundary}").into_bytes();
    // The first delimiter may follow a preamble; later ones follow a CRLF.
    let mut at = find(body, &delimiter, 0).ok_or(Malformed("no boundary in the body"))?;
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    let mut parts = Vec::new();
    loop {
        let after = at + delimiter.len();
        let rest = &body[after..];
        if rest.starts_with(b"--") {
            return Ok(parts); // the closing delimiter; the epilogue is ignored
        }
        if !rest.starts_with(b"\r\n") {
            return Err(Malformed("a boundary not followed by CRLF"));
        }
        let headers_start = after + 2;
        let headers_end = find(body, b"\r\n\r\n", headers_start)
            .ok_or(Malformed("a part without a blank line"))?;
        let content_start = headers_end + 4;
        let end =
            find(body, &next_delimiter, content_start).ok_or(Malformed("an unterminated part"))?;
        let headers = std::str::from_utf8(&body[headers_start..headers_end])
            .map_err(|_| Malformed("part headers that are not UTF-8"))?;
        let (name, filename) = disposition(headers)?;
        parts.push(Part {
            name,
            filename,
            value: body[content_start..end].to_vec(),
        });
        at = end + 2;
    }
}

/// The `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(headers: &str) -> Result<(String, Option<String>), Malformed> {
    let value = headers
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
        .map(|(_, v)| v.trim())
        .ok_or(Malformed("a part without Content-Disposition"))?;
    let (kind, params) = value.split_once(';').unwrap_or((value, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(Malformed("a part that is not form-data"));
    }
    let mut name = None;
    let mut filename = None;
    let mut rest = params;
    while let Some((key, tail)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(';')
            .trim()
            .to_ascii_lowercase();
        let (val, tail) = param_value(tail.trim_start())?;
        match key.as_str() {
            "name" => name = Some(val),
            "filename" => filename = Some(val),
            _ => {}
        }
        rest = tail;
    }
    Ok((name.ok_or(Malformed("a part without a name"))?, filename))
}

/// A quoted string (with `\"` and `\\` escapes, as browsers and curl write them)
/// or a token, and what follows it.
fn param_value(s: &str) -> Result<(String, &str), Malformed> {
    if let Some(quoted) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                '"' => return Ok((out, &quoted[i + 1..])),
                c => out.push(c),
            }
        }
        Err(Malformed("an unterminated quoted parameter"))
    } else {
        let end = s.find(';').unwrap_or(s.len());
        Ok((s[..end].trim().to_string(), &s[end..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes Chromium's `FormData` sends for a login form.
    fn browser_body(boundary: &str) -> Vec<u8> {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nadmin@example.com\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\np@ss\r\nw;rd\r\n\
             --{boundary}--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_browser_form_reads_back_field_by_field() {
        let b = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
        let ct = format!("multipart/form-data; boundary={b}");
        let boundary = boundary(&ct).unwrap().unwrap();
        let parts = parse(&browser_body(b), &boundary).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].value.as_slice()),
            ("username", &b"admin@example.com"[..])
        );
        assert_eq!(parts[1].value, b"p@ss\r\nw;rd");
    }

    #[test]
    fn quoted_boundaries_names_and_files_are_understood() {
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"")
                .unwrap()
                .unwrap(),
            "a b"
        );
        let body = b"preamble\r\n--x\r\nContent-Disposition: form-data; name=\"we\\\"ird\"; filename=\"f.txt\"\r\n\
                     Content-Type: text/plain\r\n\r\nhello\r\n--x--epilogue";
        let parts = parse(body, "x").unwrap();
        assert_eq!(parts[0].name, "we\"ird");
        assert_eq!(parts[0].filename.as_deref(), Some("f.txt"));
        assert_eq!(parts[0].value, b"hello");
    }

    #[test]
    fn other_content_types_are_not_multipart() {
        assert!(boundary("application/x-www-form-urlencoded").is_none());
        assert!(boundary("multipart/form-data").unwrap().is_err());
        assert!(
            boundary(&format!("multipart/form-data; boundary={}", "b".repeat(71)))
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_never_a_panic() {
        let body = browser_body("zz");
        for cut in 0..body.len() {
            let _ = parse(&body[..cut], "zz");
        }
        for i in 0..body.len() {
            for byte in [b'\r', b'\n', b'-', b'"', b'\\', 0xff] {
                let mut corrupt = body.clone();
                corrupt[i] = byte;
                let _ = parse(&corrupt, "zz");
            }
        }
        assert!(parse(b"", "zz").is_err());
        assert!(parse(b"--zz\r\nno blank line", "zz").is_err());
        assert!(parse(
            b"--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--",
            "zz"
        )
        .is_err());
        assert!(parse(
            b"--zz\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--zz--",
            "zz"
        )
        .is_err());
    }
}
