//! Starts the worker once per test binary and gives tests an HTTP client.
//!
//! The built worker runs in workerd through Miniflare's API
//! (`scripts/lib/serve.mjs`, the one server of every test and measurement),
//! which stops it and removes its state once its [`TestApp`] is dropped or
//! this test process ends (normally, on a panic, or killed): its stdin is a
//! pipe from here, so no worker outlives its tests. Each worker gets ports the
//! system picks as it binds them, and a fresh `--persist-to` folder with the
//! migrations applied. The same process seeds and reads D1 for the tests
//! ([`d1`]), through the same D1 object the worker uses: no second process
//! ever opens the SQLite file. Requests go through the typed client
//! ([`client`]).

use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use uuid::Uuid;

// The client covers every operation, whether or not a test calls it yet.
#[allow(dead_code)]
mod client;
mod fixtures;
mod mail;
mod model;
pub use client::*;
pub use fixtures::*;
pub use mail::{mail_catcher, sink};
pub use model::*;

pub const SUPERUSER_EMAIL: &str = "admin@example.com";
pub const SUPERUSER_PASSWORD: &str = "first-superuser-pw";
pub const SECRET_KEY: &str = "integration-test-secret-key";
/// Low work factor so hundreds of logins stay fast; the default is measured by `make bench`.
pub const TEST_ITERATIONS: u32 = 1000;
/// The key the test worker sends to the e-mail sink, and the links' host.
pub const EMAIL_API_KEY: &str = "test-email-api-key";
pub const FRONTEND_HOST: &str = "https://app.example.com";
/// The one origin the test worker allows through CORS.
pub const CORS_ORIGIN: &str = "https://app.example.com";

pub struct TestApp {
    pub base_url: String,
    pub log_path: PathBuf,
    /// The control door (a second worker beside this one: D1, R2, cron, log).
    control: String,
    /// This process's end of the server's stdin, and the server: when the pipe
    /// closes (this value dropped, [`TestApp::stop`], or the process gone), the
    /// server stops its worker and exits.
    server: std::sync::Mutex<Option<(std::process::ChildStdin, std::process::Child)>>,
}

static APP: OnceLock<TestApp> = OnceLock::new();

/// Whether to keep the workers' D1 and logs (and the mail catcher's messages)
/// for a look afterwards: `KEEP_TEST_STATE=1`.
pub fn keep_state() -> bool {
    std::env::var_os("KEEP_TEST_STATE").is_some()
}

pub fn project_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn app() -> &'static TestApp {
    APP.get_or_init(spawn_app)
}

fn spawn_app() -> TestApp {
    let vars = [
        format!("SECRET_KEY={SECRET_KEY}"),
        "ENVIRONMENT=local".to_string(),
        format!("FIRST_SUPERUSER={SUPERUSER_EMAIL}"),
        format!("FIRST_SUPERUSER_PASSWORD={SUPERUSER_PASSWORD}"),
        format!("PASSWORD_HASH_ITERATIONS={TEST_ITERATIONS}"),
        format!("BACKEND_CORS_ORIGINS={CORS_ORIGIN}"),
        // E-mail goes to the local stand-in for the provider, and retries at once.
        "EMAIL_PROVIDER=http".to_string(),
        format!("EMAIL_API_URL={}", sink().url),
        format!("EMAIL_API_KEY={EMAIL_API_KEY}"),
        "EMAIL_MAX_ATTEMPTS=3".to_string(),
        "EMAIL_RETRY_DELAY_SECONDS=0".to_string(),
        format!("FRONTEND_HOST={FRONTEND_HOST}"),
        // Every statement to the log, for the query-plan test (`query_plans.rs`).
        "SQL_TRACE=on".to_string(),
        // EdDSA tokens from the development ring, as `make dev` signs them.
        format!("SIGNING_KEYS={}", dev_signing_keys()),
    ];
    // `make test-api` keeps the shared worker's log where its last stage reads
    // it whole (tests/logs): every request and statement of the run.
    let app = match std::env::var_os("API_TEST_LOG") {
        Some(log) => {
            std::fs::write(&log, "").unwrap();
            spawn_logging_to(&new_state_dir(), Path::new(&log), &vars, 404, true)
        }
        None => spawn_worker(&vars, 404),
    };
    // The test harness never drops a static: this process stops the shared
    // worker as it exits, and waits until the worker has written its log to the end.
    extern "C" {
        fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
    }
    extern "C" fn stop_shared_app() {
        if let Some(app) = APP.get() {
            app.stop();
        }
    }
    // SAFETY: registers a plain function with the C library's exit handlers.
    assert_eq!(unsafe { atexit(stop_shared_app) }, 0);
    // The isolate's first routed request pays the first-superuser check (counted
    // in Server-Timing): pay it here, so no test's count depends on running first.
    let warm = ureq::get(&format!("{}{}", app.base_url, paths::health_check())).call();
    assert!(warm.is_ok(), "the shared worker did not answer: {warm:?}");
    app.d1(BENCH_DATA_SET);
    app
}

/// The development ring of `.dev.vars.example` (`SIGNING_KEYS`): `dev-a`
/// signs, `dev-b` only verifies.
pub fn dev_signing_keys() -> String {
    let example = std::fs::read_to_string(project_dir().join(".dev.vars.example")).unwrap();
    let line = example
        .lines()
        .find_map(|l| l.strip_prefix("SIGNING_KEYS="))
        .expect(".dev.vars.example sets SIGNING_KEYS");
    line.trim_matches('\'').to_string()
}

/// A token for `user_id` signed as the service signs: by the first key of
/// `ring` (`SIGNING_KEYS`' JSON), or HS256 under `secret` when `ring` is empty,
/// naming `issuer`, issued at `iat` for `ttl_minutes`.
pub fn signed_token(
    ring: &str,
    secret: &str,
    issuer: &str,
    user_id: &str,
    iat: i64,
    ttl_minutes: i64,
) -> String {
    use users_orgs_api::auth::jwt;
    use users_orgs_api::keyring::{ed25519::block_on, KeyRing};
    let ring = if ring.is_empty() {
        KeyRing::empty()
    } else {
        KeyRing::parse(ring).unwrap()
    };
    let keys = jwt::Keys {
        secret,
        ring: &ring,
        accept_hs256: true,
        issuer,
    };
    let id = user_id.parse().unwrap();
    let grant = jwt::Grant {
        user_id: &id,
        token_version: 0,
        session_id: None,
        org: None,
    };
    block_on(jwt::issue(&keys, &grant, iat, ttl_minutes)).unwrap()
}

/// The `make bench` data set under every test: 1,000 users and 50
/// organizations (each with its owner and one other member), all older than
/// anything a test creates. With it, a statement that walks a table reads
/// a thousand rows, where the rows-read budgets allow a few dozen.
const BENCH_DATA_SET: &str = "
with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
insert into users (id, email, email_key, hashed_password, full_name, name_key,
                   password_changed_at, created_at, updated_at)
select printf('00000000-0000-4000-8000-%012d', i), printf('bulk%d@example.com', i),
       printf('bulk%d@example.com', i), 'no-login', printf('Bulk User %d', i),
       printf('bulk user %d', i), 0, '2000-01-01T00:00:00.000000Z', '2000-01-01T00:00:00.000000Z'
from n;
with recursive n(i) as (select 1 union all select i + 1 from n where i < 50)
insert into organizations (id, name, name_key, owner_id, created_at, updated_at)
select printf('10000000-0000-4000-8000-%012d', i), printf('Bulk Org %d', i), printf('bulk org %d', i),
       printf('00000000-0000-4000-8000-%012d', i), '2000-01-01T00:00:00.000000Z', '2000-01-01T00:00:00.000000Z'
from n;
insert into organization_members (organization_id, user_id, joined_at, role)
select id, owner_id, created_at, 'owner' from organizations where id like '10000000-%';
insert into organization_members (organization_id, user_id, joined_at, role)
select id, printf('00000000-0000-4000-8000-%012d', 100 + rowid), created_at, 'member'
from organizations where id like '10000000-%';
";

/// Starts a worker with these `NAME=VALUE` vars on a fresh local D1 and waits until an
/// unknown path answers `ready_status` (404 when its settings are sound, 500 when
/// not; a probe that touches no D1, so the worker's first real request is the
/// test's) and its D1 door answers. It stops, and its state is removed, when the
/// returned [`TestApp`] is dropped or this process ends.
pub fn spawn_worker(vars: &[String], ready_status: u16) -> TestApp {
    let state_dir = new_state_dir();
    spawn_worker_in(&state_dir, vars, ready_status, true)
}

/// A fresh folder for a worker's D1 and log.
pub fn new_state_dir() -> PathBuf {
    let state_dir =
        std::env::temp_dir().join(format!("users-orgs-api-test-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&state_dir).unwrap();
    state_dir
}

/// [`spawn_worker`] on the D1 in `state_dir`, which a worker stopped before
/// ([`TestApp::stop`]) may have left: a restart. `remove` says whether the
/// folder goes when this worker stops.
pub fn spawn_worker_in(
    state_dir: &Path,
    vars: &[String],
    ready_status: u16,
    remove: bool,
) -> TestApp {
    let log_path = state_dir.join("worker.log");
    spawn_logging_to(state_dir, &log_path, vars, ready_status, remove)
}

/// [`spawn_worker_in`], with the worker's log at `log_path`.
fn spawn_logging_to(
    state_dir: &Path,
    log_path: &Path,
    vars: &[String],
    ready_status: u16,
    remove: bool,
) -> TestApp {
    let dir = project_dir();
    let wrangler = dir.join("node_modules/.bin/wrangler");
    assert!(
        wrangler.exists(),
        "run `make test` (or scripts/bootstrap.sh) first: {wrangler:?} is missing"
    );
    // serve.mjs applies the migrations, then serves on ports (0) the system
    // picks as the sockets bind, so workers started in parallel never race for
    // a port probed free beforehand. It writes its URLs as one line to its
    // stdout once both listen (or closes it empty if it fails first), and stops
    // the worker (removing the state with --remove-state) when its stdin, a
    // pipe [`TestApp`] holds, closes: this value dropped, or this process gone.
    let remove = remove && !keep_state();
    if !remove && keep_state() {
        eprintln!("test state kept in {}", state_dir.display());
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap();
    let mut command = Command::new("node");
    command
        .arg("scripts/lib/serve.mjs")
        .args(["--migrate", "--port", "0", "--control-port", "0"])
        .arg("--state")
        .arg(state_dir)
        .arg("--log")
        .arg(log_path);
    if remove {
        command.arg("--remove-state");
    }
    let mut child = command
        .args(vars)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // Node's own last words, if it fails, beside the worker's.
        .stderr(log)
        .spawn()
        .unwrap();
    // Dropped on a panic below: the server stops then.
    let stdin = child.stdin.take().unwrap();
    // A server that fails before it is ready keeps its state, log included
    // (serve.mjs): read here, then removed as its stop would have.
    let fail = |why: &str| -> ! {
        let log = std::fs::read_to_string(log_path)
            .unwrap_or_else(|e| format!("(no log at {}: {e})", log_path.display()));
        if remove {
            let _ = std::fs::remove_dir_all(state_dir);
        }
        panic!("the worker {why}; it said:\n{log}");
    };
    // The ready line, or nothing if the server stopped first.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let _ = tx.send(line);
    });
    let Ok(line) = rx.recv_timeout(Duration::from_secs(120)) else {
        fail("was not ready within 120 s");
    };
    let Ok(ready) = serde_json::from_str::<Value>(&line) else {
        let status = child
            .wait()
            .map_or_else(|e| e.to_string(), |s| s.to_string());
        fail(&format!("stopped before it was ready ({status})"));
    };
    let app = TestApp {
        base_url: ready["url"].as_str().unwrap().to_string(),
        control: ready["control"].as_str().unwrap().to_string(),
        log_path: log_path.to_path_buf(),
        server: std::sync::Mutex::new(Some((stdin, child))),
    };
    // Both sockets listen now. An unknown path touches no D1, so the worker's
    // first real request is the test's.
    let answered = match ureq::get(&format!("{}{}/ready-probe", app.base_url, paths::API))
        .timeout(Duration::from_secs(30))
        .call()
    {
        Ok(resp) => Ok(resp.status()),
        Err(ureq::Error::Status(code, _)) => Ok(code),
        Err(e) => Err(e.to_string()),
    };
    if answered != Ok(ready_status) {
        fail(&format!(
            "answered the probe with {answered:?}, not {ready_status}"
        ));
    }
    if let Err(e) = ureq::post(&format!("{}/d1", app.control))
        .timeout(Duration::from_secs(30))
        .send_string("select 1")
    {
        fail(&format!("D1 door did not answer ({e})"));
    }
    app
}

/// A worker of its own for one test: local development, the test key and the
/// tests' work factor, and `more` vars (`NAME=VALUE`) on top; 404 when ready.
pub fn spawn_local_worker(more: &[&str]) -> TestApp {
    let mut vars = vec![
        format!("SECRET_KEY={SECRET_KEY}"),
        "ENVIRONMENT=local".to_string(),
        format!("PASSWORD_HASH_ITERATIONS={TEST_ITERATIONS}"),
    ];
    vars.extend(more.iter().map(|v| v.to_string()));
    spawn_worker(&vars, 404)
}

impl TestApp {
    /// Stops the worker and waits until it has (its D1 closed, its log
    /// written to the end): another may start on the same folder then.
    pub fn stop(&self) {
        let server = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((stdin, mut process)) = server {
            drop(stdin);
            let _ = process.wait();
        }
    }

    /// A verified user made through this worker's local-only private route
    /// (password `password123`), and an access token of theirs.
    pub fn verified_user_token(&self, email: &str) -> String {
        let user = json!({"email": email, "password": "password123", "full_name": "Local", "is_verified": true});
        let _: Value = self.private_create_user(&user, 200);
        let token: Token = self.login_access_token(email, "password123", 200);
        token.access_token
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Asserts the status (showing the body if it differs) and hands the response on.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status, status, "response: {}", self.text);
        self
    }
    /// Asserts 200 and returns the JSON body.
    #[track_caller]
    pub fn ok(self) -> Value {
        self.expect(200).json()
    }
    /// Asserts status and the exact JSON body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: Value) {
        assert_eq!(
            (self.status, self.json()),
            (status, body),
            "response: {}",
            self.text
        );
    }
    #[track_caller]
    pub fn assert_detail(&self, status: u16, detail: &str) {
        self.assert(status, json!({ "detail": detail }));
    }
}

/// Runs `f(0)`, ..., `f(n - 1)` on `n` threads released together by one
/// barrier, and answers their results in order.
pub fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (start, f) = (&start, &f);
                s.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// A request builder over ureq that never turns 4xx/5xx into errors.
pub struct Req {
    inner: ureq::Request,
}

/// A client address no other request of this test process uses: drawn from a
/// counter (in 100.64.0.0/10), not at random, so two tests never share an
/// address by chance and the per-address limits count only what a test sends
/// from one address on purpose.
pub fn unique_ip() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "100.{}.{}.{}",
        64 + ((n >> 16) & 63),
        (n >> 8) & 255,
        n & 255
    )
}

/// A request from a client of its own: each gets a `CF-Connecting-IP` of its
/// own ([`unique_ip`]; set the header again to choose one).
pub fn request(method: &str, path: &str) -> Req {
    app().request(method, path)
}

impl TestApp {
    /// A request to this worker (see [`request`]).
    pub fn request(&self, method: &str, path: &str) -> Req {
        let url = format!("{}{}", self.base_url, path);
        Req {
            inner: ureq::request(method, &url)
                .timeout(Duration::from_secs(60))
                .set("CF-Connecting-IP", &unique_ip()),
        }
    }

    /// A POST of `body` to the control door's `path` (see `scripts/lib/serve.mjs`).
    fn door(&self, path: &str, body: &str) -> ureq::Response {
        ureq::post(&format!("{}{path}", self.control))
            .timeout(Duration::from_secs(60))
            .send_string(body)
            .unwrap_or_else(|e| panic!("{path} failed: {e}: {body}"))
    }

    /// Runs the worker's scheduled handler once, as its Cron Trigger would.
    pub fn scheduled(&self) {
        self.scheduled_as("");
    }

    /// [`App::scheduled`] given `cron` (its log line names it; empty: the
    /// trigger's own).
    pub fn scheduled_as(&self, cron: &str) {
        let outcome: Value = self.door("/scheduled", cron).into_json().unwrap();
        assert_eq!(outcome["outcome"], "ok", "{outcome}");
    }

    /// The keys of the local R2 objects under `prefix` (binding `MEDIA`).
    pub fn r2_keys(&self, prefix: &str) -> Vec<String> {
        self.door("/r2", prefix).into_json().unwrap()
    }

    /// The first line this worker printed that contains `needle`, once it is
    /// printed: the log is written after the answer, by another process, so
    /// the door waits for the line (up to 30 s, then 404) rather than the test.
    pub fn log_line(&self, needle: &str) -> String {
        self.door("/log", needle).into_string().unwrap()
    }

    /// The query plan (`EXPLAIN QUERY PLAN` rows) of each `{sql, args}`, bound
    /// to its values, from the D1 this worker uses (for tests/logs).
    #[allow(dead_code)]
    pub fn explain(&self, statements: &[Value]) -> Vec<Value> {
        let body = Value::Array(statements.to_vec()).to_string();
        self.door("/explain", &body).into_json().unwrap()
    }

    /// Runs SQL (one or more statements, as one D1 batch) through the process
    /// that serves this worker, and returns the rows every statement produced.
    pub fn d1(&self, sql: &str) -> Vec<Value> {
        self.door("/d1", sql)
            .into_json::<Vec<Value>>()
            .unwrap_or_else(|e| panic!("d1 answered no JSON: {e}"))
    }
}

/// `s` as a query-string value: every byte but unreserved ASCII percent-encoded.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn get(path: &str) -> Req {
    request("GET", path)
}
pub fn post(path: &str) -> Req {
    request("POST", path)
}
pub fn patch(path: &str) -> Req {
    request("PATCH", path)
}
pub fn put(path: &str) -> Req {
    request("PUT", path)
}
pub fn delete(path: &str) -> Req {
    request("DELETE", path)
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.set(name, value);
        self
    }
    pub fn token(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }
    pub fn send(self) -> Resp {
        finish(self.inner.call())
    }
    pub fn json(self, body: &Value) -> Resp {
        self.raw("application/json", body.to_string().as_bytes())
    }
    pub fn raw(self, content_type: &str, bytes: &[u8]) -> Resp {
        finish(
            self.inner
                .set("Content-Type", content_type)
                .send_bytes(bytes),
        )
    }
    pub fn form(self, pairs: &[(&str, &str)]) -> Resp {
        finish(self.inner.send_form(pairs))
    }
}

fn finish(result: Result<ureq::Response, ureq::Error>) -> Resp {
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = resp.header(&n).unwrap_or("").to_string();
            (n, v)
        })
        .collect();
    let mut text = String::new();
    resp.into_reader()
        .take(50_000_000)
        .read_to_string(&mut text)
        .unwrap();
    Resp {
        status,
        headers,
        text,
    }
}

// ---- domain helpers ----

/// The names of a JSON object's members, in the order the body has them.
pub fn field_names(body: &Value) -> Vec<&str> {
    body.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

pub fn random_email() -> String {
    format!("user-{}@example.com", Uuid::new_v4().simple())
}

pub fn login(email: &str, password: &str) -> String {
    let token: Token = app().login_access_token(email, password, 200);
    token.access_token
}

pub fn superuser_token() -> String {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN
        .get_or_init(|| login(SUPERUSER_EMAIL, SUPERUSER_PASSWORD))
        .clone()
}

/// A user made through public signup: (id, email, password, token).
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: String,
}

pub fn signup_user() -> TestUser {
    let email = random_email();
    let password = "password123".to_string();
    let new_user = json!({"email": email, "password": password, "full_name": "Test User"});
    let user: UserPublic = app().register_user(&new_user, 200);
    let id = user.id;
    let token = login(&email, &password);
    TestUser {
        id,
        email,
        password,
        token,
    }
}

/// Sends a request whose body the worker may refuse before reading it (413 on
/// `Content-Length`): written over a raw socket, ignoring a write the closed
/// connection refuses, and the early answer read back. Status and body.
pub fn send_oversized(method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    use std::io::Write;
    let addr = app().base_url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Runs SQL against the shared test worker's D1 (see [`TestApp::d1`]).
pub fn d1(sql: &str) -> Vec<Value> {
    app().d1(sql)
}

/// Held by a test that changes the schema (a [`Trigger`]) or registers a global
/// webhook endpoint ([`global_endpoint`]) for its whole life, and shared by
/// tests that pin rows read ([`stable_schema`]): an injected trigger runs in
/// other tests' statements and reads rows of its own, and every write's event
/// reads the global endpoints to fan out to them.
static SCHEMA: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// While held, no fault trigger and no global webhook endpoint of another test
/// exists: rows read are the service's own.
pub fn stable_schema() -> std::sync::RwLockReadGuard<'static, ()> {
    SCHEMA.read().unwrap_or_else(|e| e.into_inner())
}

/// For a test that registers a global webhook endpoint (and deletes it before
/// it ends): while held, no test pins the rows a write reads.
pub fn global_endpoint() -> std::sync::RwLockWriteGuard<'static, ()> {
    SCHEMA.write().unwrap_or_else(|e| e.into_inner())
}

/// A fault injected into D1 for one test: a trigger under a fresh name,
/// dropped when the guard goes, so it never outlives its test (not even a
/// failed one). One exists at a time, and never while [`stable_schema`] is held.
pub struct Trigger {
    name: String,
    _schema: std::sync::RwLockWriteGuard<'static, ()>,
}

impl Trigger {
    /// `rest` is everything after the name: `before insert on t when .. begin .. end`.
    pub fn create(rest: &str) -> Trigger {
        let schema = SCHEMA.write().unwrap_or_else(|e| e.into_inner());
        let name = format!("fault_{}", Uuid::new_v4().simple());
        d1(&format!("create trigger {name} {rest}"));
        Trigger {
            name,
            _schema: schema,
        }
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        let sql = format!("drop trigger if exists {}", self.name);
        // While a failed assertion unwinds, a second panic would abort the run.
        if std::thread::panicking() {
            let _ = ureq::post(&format!("{}/d1", app().control)).send_string(&sql);
        } else {
            d1(&sql);
        }
    }
}

/// The exact 422 item for a missing body field.
pub fn missing(loc: Value, input: Value) -> Value {
    json!({"type": "missing", "loc": loc, "msg": "Field required", "input": input})
}
