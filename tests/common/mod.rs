//! Shared by the end-to-end tests: the real `acta` binary on a real socket and a real database
//! file in a temporary directory (zero2prod's `spawn_app`) — or, with
//! `ACTA_TEST_BACKEND=postgres`, a new database of its own on the PostgreSQL server
//! `ACTA_TEST_POSTGRES` names: one suite, two back ends (see [`new_database`]).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

pub const BINARY: &str = env!("CARGO_BIN_EXE_acta");

/// A running `acta serve`.
pub struct Server {
    child: Child,
    pub base: String,
    pub db: PathBuf,
    pub stderr: std::sync::Mutex<mpsc::Receiver<String>>,
    /// What the server printed on stderr before it listened.
    pub startup: Vec<String>,
    /// The token every request of [`Server::get`] and [`Server::post`] carries.
    pub token: String,
    /// What the server printed on stdout (the first admin token, on a new database).
    pub stdout: std::sync::Mutex<mpsc::Receiver<String>>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts on a new database in a temporary directory, signed in with the admin token the
    /// first start prints.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts on a new SQLite file in a temporary directory whatever the back end of the run: for
    /// tests of the file itself (edited, locked, a second writer).
    pub fn start_sqlite() -> Server {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut server = Server::start_new(&dir.path().join("acta.db"), &[]);
        server._dir = Some(dir);
        server
    }

    /// Starts with `extra` flags on a new database (see [`new_database`]), signed in with the
    /// admin token the first start prints.
    pub fn start_with(extra: &[&str]) -> Server {
        let (dir, db) = new_database();
        let mut server = Server::start_new(&db, extra);
        server._dir = dir;
        server
    }

    /// Starts on a new database at `db` (kept by the caller) and takes the first admin token.
    pub fn start_new(db: &Path, extra: &[&str]) -> Server {
        Server::start_on(db, extra).with_first_admin_token()
    }

    /// Takes the admin token a first start prints on stdout, as [`Server::token`].
    pub fn with_first_admin_token(mut self) -> Server {
        self.token = self
            .stdout
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(60))
            .expect("a new database prints its first admin token");
        self
    }

    /// Starts on an existing database at `db` (a file, or a `postgres://` URL as a path); set
    /// [`Server::token`] before making requests.
    pub fn start_on(db: &Path, extra: &[&str]) -> Server {
        Server::start_logging(db, extra, "acta=warn")
    }

    /// As [`Server::start_on`], logging what `rust_log` (the `RUST_LOG` filter) lets through.
    pub fn start_logging(db: &Path, extra: &[&str], rust_log: &str) -> Server {
        Server::start_in(db, extra, rust_log, &[])
    }

    /// As [`Server::start_logging`], with `env` set in the server's environment (e.g. a
    /// fault-injecting `LD_PRELOAD`).
    pub fn start_in(
        db: &Path,
        extra: &[&str],
        rust_log: &str,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_LOG", rust_log)
            .envs(env.iter().copied())
            .spawn()
            .expect("acta starts");
        let (stdout_sender, stdout_lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if stdout_sender.send(line).is_err() {
                    break;
                }
            }
        });
        let (lines_sender, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines_sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let base = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("acta did not say where it listens; it said: {seen:?}"));
            if let Some(address) = line.split(" on http://").nth(1) {
                break format!("http://{}", address.trim());
            }
            seen.push(line);
        };
        Server {
            child,
            base,
            db: db.to_owned(),
            stderr: std::sync::Mutex::new(lines),
            startup: seen,
            token: String::new(),
            stdout: std::sync::Mutex::new(stdout_lines),
            _dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let response = client()
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .expect("GET answers");
        read(response)
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = client()
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .expect("POST answers");
        read(response)
    }

    /// POSTs raw bytes with a chosen content type.
    pub fn post_raw(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, Value) {
        let mut request = client()
            .post(self.url(path))
            .bearer_auth(&self.token)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        read(request.send().expect("POST answers"))
    }

    pub fn head(&self) -> Value {
        let (status, head) = self.get("/v1/head");
        assert_eq!(status, 200);
        head
    }

    /// Sends `method path` with `token` (or none) and a JSON body (or none); an error must be
    /// problem+json.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        read(self.request(method, path, token, body))
    }

    /// As [`Server::call`], with what came back as it came, unchecked.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let response = self.request(method, path, token, body);
        let status = response.status().as_u16();
        let content_type = content_type(&response);
        let text = response.text().expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            content_type,
            body,
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::blocking::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client().request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send().expect("the server answers")
    }

    /// Every stored event, page after page of `GET /v1/events`.
    pub fn all_events(&self) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let path = format!("/v1/events?after={after}&limit=1000");
            let (status, page) = self.get(&path);
            assert_eq!(status, 200, "GET {path}: {page}");
            events.extend(page["events"].as_array().unwrap().iter().cloned());
            match page["next_after"].as_u64() {
                Some(next) => after = next,
                None => return events,
            }
        }
    }

    /// `127.0.0.1:port`, for raw sockets.
    pub fn address(&self) -> std::net::SocketAddr {
        self.base
            .trim_start_matches("http://")
            .parse()
            .expect("the server listens on an IP address and port")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now and at its peak (`VmRSS`, `VmHWM`), in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Sends SIGTERM (as `kill` does) and waits up to `timeout` for the process to exit: its
    /// status, or `None` if it is still running.
    pub fn terminate_with_status(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server prints a line on stderr containing `needle` within `patience`
    /// (looking at the lines since it listened, or since the last look).
    pub fn says_within(&self, needle: &str, patience: Duration) -> bool {
        let lines = self.stderr.lock().unwrap();
        let deadline = std::time::Instant::now() + patience;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// The lines the server printed on stderr since it listened (or since the last call), waiting
    /// up to `quiet` for each next one.
    pub fn stderr_lines(&self, quiet: Duration) -> Vec<String> {
        let lines = self.stderr.lock().unwrap();
        std::iter::from_fn(|| lines.recv_timeout(quiet).ok()).collect()
    }

    /// Sends SIGTERM and waits up to `patience` for the process to exit; returns how long it
    /// took, or `None` if it had not exited by then (it is then killed).
    pub fn terminate(&mut self, patience: Duration) -> Option<Duration> {
        let sent = std::time::Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        while sent.elapsed() < patience {
            if self
                .child
                .try_wait()
                .expect("the child can be waited for")
                .is_some()
            {
                return Some(sent.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        None
    }

    /// Kills the process at once (SIGKILL): no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A new, empty database for one test, as `--db` takes it: a file in a new temporary directory
/// (returned, to keep it alive), or with `ACTA_TEST_BACKEND=postgres` a new PostgreSQL database.
pub fn new_database() -> (Option<tempfile::TempDir>, PathBuf) {
    if std::env::var("ACTA_TEST_BACKEND").as_deref() == Ok("postgres") {
        let url = postgres_database().expect("ACTA_TEST_BACKEND=postgres needs ACTA_TEST_POSTGRES");
        return (None, PathBuf::from(url));
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("acta.db");
    (Some(dir), db)
}

/// The PostgreSQL server the tests may use (`ACTA_TEST_POSTGRES`, a `postgres://` URL that
/// may create databases; `.ci/postgres start` makes one). Without it a test that needs it says
/// it was skipped and returns early — but not in CI, where it must be set.
pub fn postgres() -> Option<String> {
    match std::env::var("ACTA_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!(
                "CI=true but ACTA_TEST_POSTGRES is not set: .ci/run starts PostgreSQL and sets it"
            )
        }
        _ => {
            eprintln!(
                "SKIPPED: no PostgreSQL (set ACTA_TEST_POSTGRES=postgres://…, e.g. from \
                 `.ci/postgres start /tmp/acta-pg`)"
            );
            None
        }
    }
}

/// A new, empty PostgreSQL database of its own for one test, if there is a server.
pub fn postgres_database() -> Option<String> {
    let server = postgres()?;
    let name = format!("acta_test_{}", new_id().to_lowercase());
    Some(
        acta_events::store::postgres::create_database(&server, &name)
            .unwrap_or_else(|error| panic!("cannot create a test database: {error}")),
    )
}

/// A client that asks for English (`Accept-Language: en`): the tests written before the
/// messages had a Vietnamese text match the English one. Tests of the languages themselves
/// send their own header ([`client_in`]).
pub fn client() -> reqwest::blocking::Client {
    client_in(Some("en"))
}

/// A client that sends `Accept-Language: <language>`, or no such header at all.
pub fn client_in(language: Option<&str>) -> reqwest::blocking::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(language) = language {
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            language.parse().expect("a header value"),
        );
    }
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(headers)
        .build()
        .expect("HTTP client")
}

/// What came back, unchecked ([`Server::send`]).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

fn content_type(response: &reqwest::blocking::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn read(response: reqwest::blocking::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let text = response.text().expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "error {status} without problem+json: {body}"
        );
        assert_problem_shape(status, &body);
    }
    (status, body)
}

/// Every error is RFC 9457 problem+json with the contract's keys.
pub fn assert_problem_shape(status: u16, body: &Value) {
    for key in ["type", "title", "detail"] {
        assert!(body[key].is_string(), "problem without {key}: {body}");
    }
    assert_eq!(body["status"], status, "{body}");
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("problem without errors: {body}"));
    for error in errors {
        assert!(
            error["field"].is_string()
                && error["message"].is_string()
                && error["code"].is_string()
                && error["params"].is_object(),
            "{body}"
        );
    }
}

/// The JSON Pointers a problem names.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the binary with `args` and returns its output.
pub fn acta(args: &[&str]) -> Output {
    Command::new(BINARY).args(args).output().expect("acta runs")
}

/// A request-shaped event of type `kind`.
pub fn event(kind: &str, plan: &str, occurred_on: &str, data: Value) -> Value {
    json!({"type": kind, "plan": plan, "occurred_on": occurred_on, "data": data})
}

/// A `plan.registered` request for `plan`, 2011–2015.
pub fn register(plan: &str, parent: Option<&str>) -> Value {
    let mut data = json!({"title": format!("Kế hoạch {plan}"), "kind": "plan",
                          "period": {"from_year": 2011, "to_year": 2015}});
    if let Some(parent) = parent {
        data["parent"] = json!(parent);
    }
    event("plan.registered", plan, "2011-12-07", data)
}

/// A funding request.
pub fn funds(kind: &str, plan: &str, fiscal_year: i64, amount: i64) -> Value {
    let data = json!({"fiscal_year": fiscal_year, "source": "local", "amount": amount});
    let mut request = event(kind, plan, &format!("{fiscal_year}-12-31"), data);
    request["date_precision"] = json!("year");
    request
}

/// Every event of `db`, as `acta export` writes them.
pub fn export(db: &Path) -> Vec<Value> {
    let output = acta(&["export", "--db", db.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A fresh ULID for a client-chosen id.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// `<db><suffix>`: one of the files SQLite and acta keep beside a database.
pub fn side(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Asserts that a verification report says the database file is damaged: not ok, with what
/// SQLite found and a problem that names the damage.
pub fn assert_reports_damage(report: &Value) {
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["integrity"]["ok"], false, "{report}");
    let problems = report["integrity"]["problems"]
        .as_array()
        .expect("problems");
    assert!(!problems.is_empty(), "{report}");
    assert!(
        report["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("damaged"),
        "{report}"
    );
}
