//! The command line and the README as a newcomer meets them (issue 19, point 8), over the real
//! binary: `--db` help that is true per command, a failed import that leaves no database,
//! export ending quietly on a closed pipe, `acta token list` and `revoke`, a busy port said
//! before anything is loaded, and the README's examples and token line as the binary behaves.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BINARY, Server, acta};
use serde_json::Value;
use sha2::{Digest, Sha256};

const README: &str = include_str!("../README.md");
const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/demo/dong-nai-2009-2015.jsonl"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The files in `dir`, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn import_demo(db: &str) {
    let imported = acta(&["import", "--db", db, DEMO]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
}

// See: issue 19, point 8 — "`--db` help says 'created if missing' on report, export, verify
// (they rightly refuse)".
#[test]
fn db_help_says_per_command_whether_a_missing_database_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("khong-co.db");
    let missing = missing.to_str().unwrap();
    let reading: [&[&str]; 6] = [
        &["report"],
        &["export"],
        &["verify"],
        &["token", "list"],
        &["token", "create", "--name", "a", "--role", "auditor"],
        &["token", "revoke", "a"],
    ];
    for command in reading {
        let help = acta(&[command, &["--help"]].concat());
        let help = text(&help.stdout);
        assert!(!help.contains("created if missing"), "{command:?}: {help}");
        assert!(help.contains("it must exist"), "{command:?}: {help}");
        let run = acta(&[command, &["--db", missing]].concat());
        assert!(
            !run.status.success(),
            "{command:?} ran on a missing database"
        );
        assert!(
            text(&run.stderr).contains("does not exist"),
            "{command:?}: {}",
            text(&run.stderr)
        );
        assert!(
            files_in(dir.path()).is_empty(),
            "{command:?} created a file"
        );
    }
    for command in ["serve", "import"] {
        let help = text(&acta(&[command, "--help"]).stdout);
        assert!(help.contains("created if missing"), "{command}: {help}");
    }
}

// See: issue 19, point 8 — "a failed import of a missing file does create an empty database".
#[test]
fn a_failed_import_creates_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("moi.db");
    let db = db.to_str().unwrap();
    let refused_by_reading = dir.path().join("sai.jsonl");
    std::fs::write(&refused_by_reading, "{\"type\": \"no.such\"}\n").unwrap();
    // Read and checked alone, but refused by the log: the plan is not registered.
    let refused_by_log = dir.path().join("chua-dang-ky.jsonl");
    std::fs::write(
        &refused_by_log,
        r#"{"type":"funds.disbursed","plan":"nobody","occurred_on":"2014-12-31","data":{"fiscal_year":2014,"source":"local","amount":5}}"#,
    )
    .unwrap();
    let inputs = ["chua-dang-ky.jsonl", "sai.jsonl"];
    let missing = dir.path().join("khong-co.jsonl");
    for input in [&missing, &refused_by_reading, &refused_by_log] {
        let run = acta(&["import", "--db", db, input.to_str().unwrap()]);
        assert!(!run.status.success(), "{}", input.display());
        assert_eq!(files_in(dir.path()), inputs, "{}", text(&run.stderr));
    }
    let stdin = Command::new(BINARY)
        .args(["import", "--db", db, "-"])
        .stdin(std::fs::File::open(&refused_by_reading).unwrap())
        .output()
        .unwrap();
    assert!(!stdin.status.success());
    assert_eq!(files_in(dir.path()), inputs);

    // A database that was there stays, with what it held.
    import_demo(db);
    let before = common::export(Path::new(db));
    let run = acta(&["import", "--db", db, refused_by_log.to_str().unwrap()]);
    assert!(!run.status.success());
    assert_eq!(common::export(Path::new(db)), before);
}

// See: issue 19, point 8 — "no panic on a closed pipe (`report`, `export`: exit quietly)".
// `report` is tested in tests/statement.rs.
#[test]
fn export_whose_reader_has_gone_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let db = db.to_str().unwrap();
    import_demo(db);
    for format in ["jsonl", "hledger"] {
        let mut child = Command::new(BINARY)
            .args(["export", "--db", db, "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Gone before the first line: whatever the output's size, it meets a closed pipe.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        assert!(
            output.status.success(),
            "{format}: {:?} {stderr}",
            output.status
        );
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}

// See: issue 19, point 8 — "no `acta token list` or `revoke`".
#[test]
fn token_list_shows_names_roles_and_times_and_revoke_stops_a_token_on_a_running_server() {
    let server = Server::start();
    let db = server.db.to_str().unwrap().to_owned();
    let created = acta(&[
        "token",
        "create",
        "--db",
        &db,
        "--name",
        "phong-sxsh",
        "--role",
        "recorder",
    ]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let recorder = text(&created.stdout).trim().to_owned();
    assert_eq!(server.call("GET", "/v1/head", Some(&recorder), None).0, 200);

    let listed = acta(&["token", "list", "--db", &db]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let listed = text(&listed.stdout);
    let lines: Vec<Vec<&str>> = listed
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        ["NAME", "ROLE", "CREATED", "(UTC)", "REVOKED", "(UTC)"]
    );
    assert_eq!(lines.len(), 3, "{listed}");
    assert_eq!(lines[1][..2], ["admin", "admin"], "{listed}");
    assert_eq!(lines[2][..2], ["phong-sxsh", "recorder"], "{listed}");
    for line in &lines[1..] {
        assert!(line[2].parse::<jiff::Timestamp>().is_ok(), "{listed}");
        assert_eq!(line[3], "-", "not revoked: {listed}");
    }
    for token in [&server.token, &recorder] {
        let hash: String = Sha256::digest(token.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert!(!listed.contains(token.as_str()) && !listed.contains(&hash));
    }
    assert!(!listed.contains("acta_"), "{listed}");

    // Revoked beside the running server, which has the token cached: it stops within a second.
    let revoked = acta(&["token", "revoke", "--db", &db, "phong-sxsh"]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let since = Instant::now();
    while server.call("GET", "/v1/head", Some(&recorder), None).0 != 401 {
        assert!(
            since.elapsed() < Duration::from_secs(3),
            "the revoked token still works"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        server.get("/v1/head").0,
        200,
        "the admin's token still works"
    );
    let listed = text(&acta(&["token", "list", "--db", &db]).stdout);
    let revoked_line = listed.lines().find(|line| line.starts_with("phong-sxsh"));
    let revoked_at = revoked_line.unwrap().split_whitespace().nth(3).unwrap();
    assert!(revoked_at.parse::<jiff::Timestamp>().is_ok(), "{listed}");

    let again = acta(&["token", "revoke", "--db", &db, "phong-sxsh"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("acta token list"),
        "{}",
        text(&again.stderr)
    );
}

// See: issue 19, point 8 — "a busy port is found only after the demo is loaded, with no hint
// to use `--addr`".
#[test]
fn serve_on_a_busy_port_says_so_with_the_addr_hint_before_loading_anything() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let started = Instant::now();
    let output = Command::new(BINARY)
        .args(["serve", "--demo", "--addr", &addr, "--db"])
        .arg(&db)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(stderr.contains("--addr 127.0.0.1:"), "{stderr}");
    assert!(
        !stderr.contains("demo") && !stderr.contains("events loaded"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "no token was made: {}",
        text(&output.stdout)
    );
    assert!(files_in(dir.path()).is_empty(), "nothing was created");
}

// See: issue 19, point 8 — "it says the server prints `export TOKEN=…` (it prints a bare
// token)".
#[test]
fn the_first_start_prints_the_token_line_the_readme_describes() {
    assert!(
        README.contains("alone on its line (`acta_` and 64 hex\ndigits)"),
        "the README describes the token line"
    );
    let server = Server::start();
    let token = &server.token;
    let hex = token.strip_prefix("acta_").expect("acta_ first");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{token:?}"
    );
    assert_eq!(
        server.get("/v1/head").0,
        200,
        "the line is the token, nothing else"
    );
    let more = server
        .stdout
        .lock()
        .unwrap()
        .recv_timeout(Duration::from_millis(500));
    assert!(more.is_err(), "stdout holds only the token: {more:?}");
}

/// The JSON bodies of the README's `curl … -d '…'` examples.
fn readme_bodies() -> Vec<Value> {
    README
        .split("-d '")
        .skip(1)
        .map(|rest| {
            let body = &rest[..rest.find('\'').expect("a closing quote")];
            serde_json::from_str(body).unwrap_or_else(|error| panic!("{error}: {body}"))
        })
        .collect()
}

// See: issue 19, point 8 — "the README's examples omit `id` (a retry stored the same outreach
// twice) and, run after the demo as the README orders them, add a second 587,000,000
// disbursement to the demo record".
#[test]
fn the_readmes_examples_carry_ids_and_run_on_a_database_of_their_own() {
    let events: Vec<Value> = readme_bodies()
        .into_iter()
        .filter(|body| body.get("type").is_some())
        .collect();
    assert!(events.len() >= 2, "the README records acts");
    let section = README
        .split("## Record an act and read it back")
        .nth(1)
        .expect("the README's section on recording");
    let own = section
        .split("serve --db ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the section starts a server on a database of its own");
    let own = own.trim_matches('`');
    assert!(own != "acta.db" && own.ends_with(".db"), "{own}");

    // Sent as the README sends them, twice each (a retry after a lost answer): recorded once.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_new(&dir.path().join(own), &[]);
    for event in &events {
        assert!(event["id"].is_string(), "an example without an id: {event}");
        let (first, body) = server.post("/v1/events", event);
        assert_eq!(first, 201, "{body}");
        let (retry, body) = server.post("/v1/events", event);
        assert_eq!(retry, 200, "{body}");
    }
    assert_eq!(server.all_events().len(), events.len());
}
