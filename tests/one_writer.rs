//! One writer per database file, whatever name it is reached by, and no fresh record made out of
//! a bad restore: the real binary, real files, real links.
//!
//! See: issue 17 — through a hard link `acta import` ran beside `acta serve`, each with its own
//! WAL, and after a checkpoint 19,997 acknowledged events were gone; through a symbolic link the
//! import succeeded and every later append of the server was `500`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BINARY, Server, acta, funds, register};

/// `acta import --db <db>` of `lines`; returns (success, stderr).
fn import(db: &Path, lines: &str) -> (bool, String) {
    let mut child = Command::new(BINARY)
        .args(["import", "--db"])
        .arg(db)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("acta import starts");
    // A refused import exits before it reads: a broken pipe here is that, not a failure.
    let _ = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(lines.as_bytes());
    let output = child.wait_with_output().expect("acta import ends");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn appends_to(server: &Server, plan: &str, count: usize) {
    for i in 0..count {
        let (status, body) = server.post(
            "/v1/events",
            &funds("funds.planned", plan, 2011 + (i % 5) as i64, 1 + i as i64),
        );
        assert_eq!(status, 201, "{body}");
    }
}

/// What `acta verify` says of `db`; panics unless the chain is intact and the file sound.
fn assert_verifies(db: &Path, events: u64) {
    let output = acta(&["verify", "--json", "--db", db.to_str().unwrap()]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("verify --json prints JSON");
    assert!(output.status.success(), "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checked"], events, "{report}");
    assert_eq!(report["integrity"]["ok"], true, "{report}");
}

#[test]
fn a_second_writer_through_a_symbolic_or_hard_link_is_refused_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &[]);
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    appends_to(&server, "p", 20);

    let symlink = dir.path().join("other-name.db");
    std::os::unix::fs::symlink(&db, &symlink).unwrap();
    let line = format!("{}\n", funds("funds.planned", "p", 2012, 7));

    // Through the symbolic link: the lock is the file's, so the import is refused and names
    // the running server.
    let (ok, stderr) = import(&symlink, &line);
    assert!(!ok, "an import through a symlink ran beside the server");
    assert!(
        stderr.contains("is being written by") && stderr.contains("serve"),
        "the refusal names the running writer: {stderr}"
    );
    // So is a second server.
    let second = Command::new(BINARY)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&symlink)
        .output()
        .unwrap();
    assert!(!second.status.success(), "a second server started");
    assert!(String::from_utf8_lossy(&second.stderr).contains("is being written by"));

    // A hard link: refused for writing and for reading, with the reason, while the server runs.
    let hard = dir.path().join("hard.db");
    std::fs::hard_link(&db, &hard).unwrap();
    let (ok, stderr) = import(&hard, &line);
    assert!(!ok, "an import through a hard link ran beside the server");
    assert!(stderr.contains("2 hard links"), "{stderr}");
    let export = acta(&["export", "--db", hard.to_str().unwrap()]);
    assert!(!export.status.success(), "export read through a hard link");
    assert!(String::from_utf8_lossy(&export.stderr).contains("hard links"));

    // The server went on serving through all of it: appends succeed and the chain holds.
    appends_to(&server, "p", 5);
    assert_eq!(server.head()["seq"], 26);
    let (status, report) = server.get("/v1/verify");
    assert_eq!(status, 200);
    assert_eq!(report["ok"], true, "{report}");

    // The hard link removed, everything acknowledged is there.
    std::fs::remove_file(&hard).unwrap();
    drop(server);
    assert_verifies(&db, 26);
    // And the lock is gone with the server: an import through the symlink now runs.
    let (ok, stderr) = import(&symlink, &line);
    assert!(ok, "{stderr}");
    assert_verifies(&db, 27);
}

#[test]
fn a_served_database_with_two_names_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    drop(Server::start_new(&db, &[]));
    std::fs::hard_link(&db, dir.path().join("copy.db")).unwrap();
    let output = Command::new(BINARY)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 hard links"), "{stderr}");
}

#[test]
fn an_empty_or_foreign_file_is_never_made_a_fresh_record() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("restored.db");
    std::fs::write(&empty, b"").unwrap();
    let notes = dir.path().join("notes.db");
    std::fs::write(
        &notes,
        "not a database at all, but long enough to have a header",
    )
    .unwrap();
    let other_program = dir.path().join("other.db");
    rusqlite::Connection::open(&other_program)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
        .unwrap();
    for (path, expected) in [
        (&empty, "is empty"),
        (&notes, "not an SQLite database"),
        (&other_program, "not a record of acta's"),
    ] {
        let before = std::fs::read(path).unwrap();
        let output = Command::new(BINARY)
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(path)
            .output()
            .unwrap();
        assert!(!output.status.success(), "serve started on {path:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{path:?}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "no admin token is made for {path:?}"
        );
        assert!(
            std::fs::read(path).unwrap() == before,
            "{path:?} was changed"
        );
        let (ok, stderr) = import(path, "");
        assert!(!ok && stderr.contains(expected), "{path:?}: {stderr}");
    }
    // A mistyped path is an error for every command that only reads, and creates nothing.
    let missing = dir.path().join("acta-typo.db");
    for command in [
        &["verify", "--db"][..],
        &["export", "--db"],
        &["report", "--db"],
        &[
            "token", "create", "--name", "x", "--role", "auditor", "--db",
        ],
    ] {
        let mut args = command.to_vec();
        args.push(missing.to_str().unwrap());
        let output = acta(&args);
        assert!(!output.status.success(), "{command:?} succeeded");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("does not exist"),
            "{command:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!missing.exists(), "{command:?} created the file");
    }
}

#[test]
fn a_new_database_and_its_side_files_are_for_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &[]);
    assert!(
        server
            .startup
            .iter()
            .any(|line| line.contains("created a new, empty record")),
        "a first start says it made a new record: {:?}",
        server.startup
    );
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let path = common::side(&db, suffix);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|error| panic!("{path:?}: {error}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{path:?} is readable by others: {mode:o}");
    }
}
