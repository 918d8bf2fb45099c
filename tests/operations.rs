//! What an operator sees of a running server (issue 17, point 6): refusals logged without any
//! secret, the access log behind `--access-log`, the security headers of every answer, and a
//! writer that cannot commit reported by `/healthz` and on every read.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Server, client, register};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long the server is given to write a log line after the request it is about.
const LOG_QUIET: Duration = Duration::from_millis(500);

fn create_token(server: &Server, name: &str, role: &str) -> String {
    let (status, body) = server.post("/v1/tokens", &json!({"name": name, "role": role}));
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Starts on a new database with the first admin token, logging what `rust_log` lets through.
fn start_logging(dir: &Path, extra: &[&str], rust_log: &str) -> Server {
    Server::start_logging(&dir.join("acta.db"), extra, rust_log).with_first_admin_token()
}

fn status_with_token(server: &Server, method: &str, path: &str, token: Option<&str>) -> u16 {
    server.call(method, path, token, None).0
}

#[test]
fn a_refused_token_is_logged_by_its_name_never_by_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_logging(dir.path(), &[], "acta=info");
    let revoked = create_token(&server, "phong-cu", "recorder");
    let (status, _) = server.call("DELETE", "/v1/tokens/phong-cu", Some(&server.token), None);
    assert_eq!(status, 204);
    let auditor = create_token(&server, "kiem-toan", "auditor");
    server.stderr_lines(LOG_QUIET);

    assert_eq!(
        status_with_token(&server, "GET", "/v1/head", Some(&revoked)),
        401
    );
    let unknown = format!("acta_{}", "ab".repeat(32));
    assert_eq!(
        status_with_token(&server, "GET", "/v1/head", Some(&unknown)),
        401
    );
    assert_eq!(status_with_token(&server, "GET", "/v1/head", None), 401);
    let (status, _) = server.call(
        "POST",
        "/v1/events",
        Some(&auditor),
        Some(&register("p", None)),
    );
    assert_eq!(status, 403);

    let lines = server.stderr_lines(LOG_QUIET);
    let refusals: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("request refused"))
        .collect();
    assert_eq!(refusals.len(), 4, "{lines:#?}");
    let said = |reason: &str| {
        refusals
            .iter()
            .find(|line| line.contains(reason))
            .unwrap_or_else(|| panic!("no refusal for {reason}: {refusals:#?}"))
    };
    assert!(said("revoked token").contains("token_name=\"phong-cu\""));
    assert!(said("revoked token").contains("path=\"/v1/head\""));
    assert!(!said("unknown token").contains("token_name"));
    assert!(said("no bearer token").contains("method=GET"));
    assert!(said("role may not").contains("token_name=\"kiem-toan\""));
    // The accept loop hands every request its client's address.
    for refusal in &refusals {
        assert!(refusal.contains("client=127.0.0.1:"), "{refusal}");
    }
    for secret in [&revoked, &unknown, &auditor, &server.token] {
        let hash: String = Sha256::digest(secret.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let random_part = secret.trim_start_matches("acta_");
        for line in &lines {
            assert!(
                !line.contains(random_part) && !line.contains(&hash),
                "a secret or its hash is logged: {line}"
            );
        }
    }
}

#[test]
fn the_access_log_writes_a_line_per_request_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    // Every line at info is let through: without the flag, still no access line.
    let quiet = start_logging(dir.path(), &[], "acta=info");
    quiet.head();
    let (status, _) = quiet.get("/v1/funding?as_of=2012-12-31");
    assert_eq!(status, 200);
    let lines = quiet.stderr_lines(LOG_QUIET);
    assert!(
        !lines.iter().any(|line| line.contains("acta::access")),
        "{lines:#?}"
    );
    drop(quiet);

    let dir = tempfile::tempdir().unwrap();
    // Asked for on the command line, the access log is written whatever RUST_LOG says.
    let logging = start_logging(dir.path(), &["--access-log"], "acta=warn");
    let (status, _) = logging.get("/v1/funding?as_of=2012-12-31&plan=secret-plan");
    assert_eq!(status, 404, "plan= names no registered plan");
    logging.head();
    assert_eq!(status_with_token(&logging, "GET", "/v1/head", None), 401);
    let page = client().get(logging.url("/")).send().unwrap();
    assert_eq!(page.status(), 200);
    let lines: Vec<String> = logging
        .stderr_lines(LOG_QUIET)
        .into_iter()
        .filter(|line| line.contains("acta::access"))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let funding = &lines[0];
    for part in [
        "method=GET",
        "path=\"/v1/funding\"",
        "query=\"as_of&plan\"",
        "status=404",
        "duration_ms=",
        "actor=\"admin\"",
    ] {
        assert!(funding.contains(part), "{part} missing: {funding}");
    }
    assert!(
        !funding.contains("2012-12-31") && !funding.contains("secret-plan"),
        "query values are not logged: {funding}"
    );
    assert!(lines[1].contains("path=\"/v1/head\"") && lines[1].contains("status=200"));
    assert!(lines[2].contains("status=401") && !lines[2].contains("actor="));
    assert!(lines[3].contains("path=\"/\"") && lines[3].contains("status=200"));
}

/// The headers every answer carries, and those that differ between the page and the API.
fn assert_security_headers(response: &reqwest::blocking::Response, context: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{context}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        header("content-security-policy").contains("frame-ancestors 'none'"),
        "{context}"
    );
    assert_eq!(header("x-frame-options"), "DENY", "{context}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{context}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{context}");
    assert!(
        response.headers().get("cache-control").is_some(),
        "{context}"
    );
}

#[test]
fn every_answer_carries_the_security_headers() {
    let server = Server::start();
    let page = client().get(server.url("/")).send().unwrap();
    assert_eq!(page.status(), 200);
    assert_security_headers(&page, "the page");
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let script = client().get(server.url("/app.js")).send().unwrap();
    assert_security_headers(&script, "a file of the page");

    let calls = [
        ("/v1/head", Some(server.token.as_str()), 200),
        ("/v1/no-such-path", Some(server.token.as_str()), 404),
        ("/v1/head", None, 401),
        ("/no-such-file.js", None, 404),
        ("/healthz", None, 200),
    ];
    for (path, token, status) in calls {
        let mut request = client().get(server.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().unwrap();
        let context = format!("GET {path}");
        assert_eq!(response.status(), status, "{context}");
        assert_security_headers(&response, &context);
        assert_eq!(
            response.headers()["content-security-policy"],
            "default-src 'none'; frame-ancestors 'none'",
            "{context}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{context}");
        assert!(
            response.headers().get("acta-warning").is_none(),
            "{context}"
        );
    }
}

/// Overwrites the header of the first page of `index` in the closed database `db`: the file
/// then fails SQLite's `quick_check`, while the events themselves still read.
fn damage_index_page(db: &Path, index: &str) {
    let (page_size, root_page) = {
        let connection = rusqlite::Connection::open(db).unwrap();
        // Everything into the main file, so that the page overwritten is the one SQLite reads.
        connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let page_size: u64 = connection
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        let root_page: u64 = connection
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [index],
                |row| row.get(0),
            )
            .unwrap();
        (page_size, root_page)
    };
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    file.seek(SeekFrom::Start((root_page - 1) * page_size))
        .unwrap();
    file.write_all(&[0xEE; 16]).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn a_damaged_file_refuses_appends_warns_every_read_and_fails_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut server = Server::start_new(&db, &[]);
    let (status, _) = server.post("/v1/events", &register("dn-sxsh-2015", None));
    assert_eq!(status, 201);
    let token = server.token.clone();
    assert!(server.terminate(Duration::from_secs(30)).is_some());
    damage_index_page(&db, "events_by_target");

    let mut server = Server::start_on(&db, &[]);
    server.token = token;
    assert!(
        server
            .startup
            .iter()
            .any(|line| line.contains("is damaged")),
        "serve warns: {:?}",
        server.startup
    );

    let (status, problem) = server.post("/v1/events", &register("dn-2", None));
    assert_eq!(status, 503, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("damaged"),
        "{problem}"
    );

    let response = client()
        .get(server.url("/v1/events"))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let warning = response.headers()["acta-warning"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(warning.contains("appends refused"), "{warning}");
    let page: serde_json::Value = response.json().unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);

    let health = client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(health.status(), 503);
    assert_eq!(health.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = health.json().unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("damaged"),
        "{problem}"
    );

    let (status, report) = server.get("/v1/verify");
    assert_eq!(status, 200);
    assert_eq!(report["first_bad_seq"], serde_json::Value::Null, "{report}");
    common::assert_reports_damage(&report);
}

#[test]
fn healthz_reports_a_commit_that_failed_until_one_succeeds() {
    let server = Server::start_sqlite();
    let (status, _) = server.post("/v1/events", &register("dn-sxsh-2015", None));
    assert_eq!(status, 201);
    let health = client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().unwrap(), "ok\n");

    // Another connection holds the database's write lock past the writer's busy timeout.
    let blocker = rusqlite::Connection::open(&server.db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (status, problem) = server.post("/v1/events", &register("dn-2", None));
    assert_eq!(status, 503, "{problem}");
    let health = client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(health.status(), 503);
    let problem: serde_json::Value = health.json().unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("last commit failed") && detail.contains("locked"),
        "{problem}"
    );
    // A failing writer is not a refusing one: reads carry no warning.
    let response = client()
        .get(server.url("/v1/head"))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert!(response.headers().get("acta-warning").is_none());

    blocker.execute_batch("ROLLBACK").unwrap();
    let (status, body) = server.post("/v1/events", &register("dn-2", None));
    assert_eq!(status, 201, "{body}");
    let health = client().get(server.url("/healthz")).send().unwrap();
    assert_eq!(health.status(), 200);
}
