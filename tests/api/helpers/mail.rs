//! A stand-in for the e-mail provider (outside our system): a small local HTTP
//! server that takes the worker's JSON POSTs and records them. Recipients whose
//! local part starts `fail2-` are refused (500) twice, then accepted; `failall-`
//! always. One sink serves the test process.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One POST the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub authorization: String,
    pub idempotency_key: String,
    /// What the sink answered.
    pub status: u16,
}

impl Received {
    /// The first link of the text body.
    pub fn link(&self) -> String {
        let start = self.text.find("https://").expect("a link in the e-mail");
        let rest = &self.text[start..];
        rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())].to_string()
    }

    /// The `token` query value of the link.
    pub fn token(&self) -> String {
        let link = self.link();
        let query = link.split_once("token=").expect("a token in the link").1;
        query
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=")
    }
}

pub struct Sink {
    pub url: String,
    received: Mutex<Vec<Received>>,
    arrived: Condvar,
}

pub fn sink() -> &'static Sink {
    static SINK: OnceLock<&'static Sink> = OnceLock::new();
    SINK.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sink: &'static Sink = Box::leak(Box::new(Sink {
            url: format!("http://{}/send", listener.local_addr().unwrap()),
            received: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
        }));
        std::thread::spawn(move || {
            let mut refused: HashMap<String, u32> = HashMap::new();
            for stream in listener.incoming().flatten() {
                if let Some(r) = sink.serve(stream, &mut refused) {
                    sink.received.lock().unwrap().push(r);
                    sink.arrived.notify_all();
                }
            }
        });
        sink
    })
}

impl Sink {
    fn serve(&self, stream: TcpStream, refused: &mut HashMap<String, u32>) -> Option<Received> {
        let mut reader = BufReader::new(stream.try_clone().ok()?);
        let mut headers = HashMap::new();
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        loop {
            line.clear();
            reader.read_line(&mut line).ok()?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let length: usize = headers.get("content-length")?.parse().ok()?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        let json: Value = serde_json::from_slice(&body).ok()?;
        let to = json["to"][0].as_str().unwrap_or_default().to_string();
        let count = refused.entry(to.clone()).or_default();
        let status = if to.starts_with("failall-") || (to.starts_with("fail2-") && *count < 2) {
            *count += 1;
            500
        } else {
            200
        };
        let reason = if status == 200 {
            "OK"
        } else {
            "Internal Server Error"
        };
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 {status} {reason}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        );
        let text = |k: &str| json[k].as_str().unwrap_or_default().to_string();
        Some(Received {
            to,
            subject: text("subject"),
            text: text("text"),
            html: text("html"),
            authorization: headers.get("authorization").cloned().unwrap_or_default(),
            idempotency_key: headers.get("idempotency-key").cloned().unwrap_or_default(),
            status,
        })
    }

    /// Every POST for `to` so far.
    pub fn for_recipient(&self, to: &str) -> Vec<Received> {
        let all = self.received.lock().unwrap();
        all.iter().filter(|r| r.to == to).cloned().collect()
    }

    /// Waits (up to 30 s: delivery is asynchronous, through the queue) until
    /// `to` got `count` POSTs, and returns them.
    pub fn wait_for(&self, to: &str, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut all = self.received.lock().unwrap();
        loop {
            let got: Vec<Received> = all.iter().filter(|r| r.to == to).cloned().collect();
            if got.len() >= count {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{to} got {} e-mails of {count}: {got:?}",
                got.len()
            );
            all = self.arrived.wait_timeout(all, left).unwrap().0;
        }
    }

    /// The first accepted e-mail of `to` whose subject contains `subject` (waiting for it).
    pub fn delivered(&self, to: &str, subject: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut all = self.received.lock().unwrap();
        loop {
            let found = all
                .iter()
                .find(|r| r.to == to && r.status == 200 && r.subject.contains(subject));
            if let Some(found) = found {
                return found.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no accepted {subject:?} e-mail for {to}");
            all = self.arrived.wait_timeout(all, left).unwrap().0;
        }
    }
}

/// A local SMTP server (aiosmtpd, `scripts/mail_catcher.sh`) storing what it
/// receives under its Maildir; stopped when the tests exit.
pub struct MailCatcher {
    pub port: u16,
    pub maildir: std::path::PathBuf,
    /// This process's end of the catcher's stdin: when it closes (this value
    /// dropped, or the process gone), the catcher removes its Maildir and stops.
    _stop: std::process::ChildStdin,
}

pub fn mail_catcher() -> MailCatcher {
    use std::os::unix::process::CommandExt;
    let maildir =
        std::env::temp_dir().join(format!("users-orgs-mail-{}", uuid::Uuid::new_v4().simple()));
    // Port 0: the system chooses as it binds, and the catcher says which once it
    // listens (the first run installs it: up to a minute).
    #[allow(clippy::zombie_processes)]
    let mut child = std::process::Command::new("scripts/mail_catcher.sh")
        .arg("0")
        .arg(&maildir)
        .current_dir(super::project_dir())
        .process_group(0)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stop = child.stdin.take().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the mail catcher did not start: {line:?}"));
    MailCatcher {
        port,
        maildir,
        _stop: stop,
    }
}

impl MailCatcher {
    /// The one message that arrived, as raw text. The catcher stores it before
    /// it accepts it, so once the worker logs the message sent, it is here.
    pub fn message(&self) -> String {
        let files: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(files.len(), 1, "messages caught: {files:?}");
        std::fs::read_to_string(&files[0]).unwrap()
    }
}
