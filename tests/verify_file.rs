//! Verification that sees the file, not only the chain: the real binary on damaged files and on
//! copies taken the wrong way.
//!
//! See: issue 17 — a damaged index page (`PRAGMA quick_check`: "invalid page number") still got
//! `ok: true` from `acta verify`, and the server started and appended into the damaged file.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use common::{Server, acta, funds, register};

fn verify(db: &Path, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["verify", "--db", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = acta(&args);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// A record of `count` events, written by a server that has stopped (so that its WAL was
/// checkpointed into the file); returns its admin token.
fn record(db: &Path, count: usize) -> String {
    let server = Server::start_new(db, &[]);
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let batch: Vec<_> = (1..count)
        .map(|i| funds("funds.planned", "p", 2011 + (i % 5) as i64, i as i64))
        .collect();
    let (status, body) = server.post("/v1/events/batch", &serde_json::json!({"events": batch}));
    assert_eq!(status, 201, "{body}");
    server.token.clone()
}

/// Overwrites the first page of the index `index` with bytes that are no B-tree page.
fn damage_index(db: &Path, index: &str) {
    let (root, page_size): (u64, u64) = {
        let connection = rusqlite::Connection::open(db).unwrap();
        let root = connection
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
                [index],
                |row| row.get(0),
            )
            .unwrap();
        let page_size = connection
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        connection
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        (root, page_size)
    };
    let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    file.seek(SeekFrom::Start((root - 1) * page_size)).unwrap();
    file.write_all(&vec![0x5a; page_size as usize]).unwrap();
}

#[test]
fn a_damaged_index_page_fails_verify_and_the_server_refuses_appends() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let token = record(&db, 2_000);
    let (ok, said) = verify(&db, &[]);
    assert!(ok, "{said}");
    damage_index(&db, "events_by_type");

    let (ok, said) = verify(&db, &[]);
    assert!(!ok, "verify passed a damaged file: {said}");
    assert!(said.contains("file DAMAGED (quick_check)"), "{said}");
    let (ok, said) = verify(&db, &["--full"]);
    assert!(
        !ok && said.contains("file DAMAGED (integrity_check)"),
        "{said}"
    );
    let json = acta(&["verify", "--json", "--db", db.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    common::assert_reports_damage(&report);

    // The server starts (reads go on) but stores nothing into the damaged file.
    let mut server = Server::start_on(&db, &[]);
    assert!(
        server
            .startup
            .iter()
            .any(|line| line.contains("is damaged")),
        "{:?}",
        server.startup
    );
    server.token = token;
    let before = server.head();
    let (status, body) = server.post("/v1/events", &funds("funds.planned", "p", 2012, 9));
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("damaged"),
        "{body}"
    );
    assert_eq!(server.head(), before, "nothing was stored");
    let (status, _) = server.get("/v1/plans/p");
    assert_eq!(status, 200, "reads go on");
}

#[test]
fn a_copy_taken_without_its_wal_is_behind_the_head_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &[]);
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    // A copy of a record still wholly in its WAL holds nothing, and says why.
    let empty_copy = dir.path().join("empty-copy.db");
    std::fs::copy(&db, &empty_copy).unwrap();
    let (ok, said) = verify(&empty_copy, &[]);
    assert!(!ok && said.contains("without its -wal file"), "{said}");
    // A first part reaches the file (a checkpoint, as SQLite makes on its own), the rest stays
    // in the WAL.
    for i in 0..10 {
        assert_eq!(
            server
                .post("/v1/events", &funds("funds.planned", "p", 2012, 1 + i))
                .0,
            201
        );
    }
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
        .unwrap();
    for i in 0..30 {
        let (status, body) = server.post("/v1/events", &funds("funds.planned", "p", 2012, 1 + i));
        assert_eq!(status, 201, "{body}");
    }
    let head = server.head();
    let expected = format!(
        "{}:{}",
        head["seq"].as_u64().unwrap(),
        head["hash"].as_str().unwrap()
    );
    // `cp` of the live file: the newest events are in acta.db-wal, which the copy lacks.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let (ok, said) = verify(&copy, &["--expect-head", &expected]);
    assert!(!ok, "a copy without its WAL passed: {said}");
    assert!(said.contains("BEHIND the expected head"), "{said}");

    // The live database reaches it; a wrong hash at that seq diverges; bad input is refused.
    let (ok, said) = verify(&db, &["--expect-head", &expected]);
    assert!(ok && said.contains("expected head reached"), "{said}");
    let wrong = format!("{}:{}", head["seq"], "0".repeat(64));
    let (ok, said) = verify(&db, &["--expect-head", &wrong]);
    assert!(!ok && said.contains("DIVERGES"), "{said}");
    for bad in ["31", "x:abc", "0:abc", "1:ABC"] {
        let (ok, said) = verify(&db, &["--expect-head", bad]);
        assert!(!ok && said.contains("--expect-head"), "{bad}: {said}");
    }
    // A backup taken the right way reaches it.
    let backup = dir.path().join("backup.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
        .unwrap();
    let (ok, said) = verify(&backup, &["--expect-head", &expected]);
    assert!(ok, "{said}");
}
