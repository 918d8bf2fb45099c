//! Regression tests, each named after what broke, with where it was found.

mod common;

use common::{Server, acta, new_id, register};
use serde_json::json;

fn decision(id: &str, number: &str, on: &str) -> serde_json::Value {
    json!({"id": id, "type": "decision.issued", "plan": "p", "occurred_on": on,
           "data": {"number": number, "issuer": "UBND", "title": "Quyết định"}})
}

// See: review of 2026-11-28 — a second process writing the same database (an `acta import`
// beside `acta serve`) made every later append of the server fail with a false 409.
#[test]
fn a_second_writer_is_refused_and_the_server_goes_on() {
    let server = Server::start_sqlite();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("more.jsonl");
    std::fs::write(&file, format!("{}\n", register("q", None))).unwrap();
    let output = acta(&[
        "import",
        "--db",
        server.db.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    // The refusal names the writer (the lock's side file says who holds it).
    assert!(said.contains("is being written by acta serve"), "{said}");
    let (status, body) = server.post("/v1/events", &register("r", None));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["seq"], 2);
}

// See: review of 2026-11-28 — one unreadable row (an impossible date written behind the store's
// back) kept `serve`, `verify` and `export` from starting at all.
#[test]
fn a_damaged_row_is_reported_not_fatal() {
    let mut server = Server::start_sqlite();
    for plan in ["a", "b", "c"] {
        assert_eq!(server.post("/v1/events", &register(plan, None)).0, 201);
    }
    let (db, token) = (server.db.clone(), server.token.clone());
    server.kill();
    let connection = rusqlite::Connection::open(&db).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER events_are_never_updated;
             UPDATE events SET occurred_on = '2020-02-30' WHERE seq = 2;",
        )
        .unwrap();
    drop(connection);
    let db_text = db.to_str().unwrap();
    let verified = acta(&["verify", "--db", db_text]);
    assert_eq!(verified.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("BROKEN at seq 2"));
    let exported = acta(&["export", "--db", db_text]);
    assert_eq!(exported.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&exported.stdout).lines().count(),
        1,
        "the rows before it are written"
    );
    let mut server = Server::start_on(&db, &[]);
    server.token = token;
    let (_, report) = server.get("/v1/verify");
    assert_eq!(report["first_bad_seq"], 2);
    assert_eq!(server.post("/v1/events", &register("d", None)).0, 201);
}

// See: review of 2026-11-28 — `acta verify --db typo.db` created an empty database and reported
// it intact.
#[test]
fn reading_a_missing_database_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    for command in ["verify", "export", "report"] {
        let output = acta(&[command, "--db", missing.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("does not exist"),
            "{command}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// See: review of 2026-11-28 — a retracted decision kept its number taken, and a correction could
// give a decision a number already recorded.
#[test]
fn decision_numbers_follow_corrections_and_retractions() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let (first, second) = (new_id(), new_id());
    assert_eq!(
        server
            .post("/v1/events", &decision(&first, "1/QĐ", "2012-03-01"))
            .0,
        201
    );
    assert_eq!(
        server
            .post("/v1/events", &decision(&second, "2/QĐ", "2012-04-01"))
            .0,
        201
    );
    let correct_to = |number: &str| {
        json!({"type": "event.corrected", "plan": "p", "occurred_on": "2012-05-01",
               "data": {"target": second, "reason": "typo",
                        "data": {"number": number, "issuer": "UBND", "title": "Quyết định"}}})
    };
    let (status, problem) = server.post("/v1/events", &correct_to("1/QĐ"));
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "/data/data/number");
    assert_eq!(server.post("/v1/events", &correct_to("3/QĐ")).0, 201);
    // 2/QĐ is free again; 3/QĐ is taken.
    assert_eq!(
        server
            .post("/v1/events", &decision(&new_id(), "2/QĐ", "2012-06-01"))
            .0,
        201
    );
    assert_eq!(
        server
            .post("/v1/events", &decision(&new_id(), "3/QĐ", "2012-06-01"))
            .0,
        409
    );
    let retraction = json!({"type": "event.retracted", "plan": "p", "occurred_on": "2012-07-01",
                            "data": {"target": first, "reason": "never issued"}});
    assert_eq!(server.post("/v1/events", &retraction).0, 201);
    assert_eq!(
        server
            .post("/v1/events", &decision(&new_id(), "1/QĐ", "2012-08-01"))
            .0,
        201
    );
}

// See: review of 2026-11-28 — `after` above 2^63 wrapped to a negative number and paged from seq 1.
#[test]
fn a_huge_after_pages_past_the_end() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let (status, page) = server.get("/v1/events?after=18446744073709551615");
    assert_eq!(status, 200);
    assert_eq!(page["events"], json!([]));
}

// See: review of 2026-11-28 — an event of 1.5 MB was accepted inside a batch, though it could
// never be retried alone (413 above 1 MiB).
#[test]
fn an_event_inside_a_batch_is_bounded_like_a_single_one() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let basis: Vec<String> = (0..1000).map(|_| "ệ".repeat(500)).collect();
    let huge = json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-01-01",
                      "data": {"number": "1", "issuer": "UBND", "title": "t", "basis": basis}});
    let (status, problem) = server.post("/v1/events/batch", &json!({"events": [huge]}));
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "/events/0");
    assert_eq!(server.head()["seq"], 1);
}

// See: review of 2026-11-28 — `"locator": null`, as the stored shape writes it, was refused when
// a client sent stored evidence back.
#[test]
fn stored_evidence_can_be_sent_back() {
    let server = Server::start();
    let mut event = register("p", None);
    event["evidence"] = json!({"document": "Báo cáo", "locator": null});
    let (status, stored) = server.post("/v1/events", &event);
    assert_eq!(status, 201, "{stored}");
    assert_eq!(
        stored["evidence"],
        json!({"document": "Báo cáo", "locator": null})
    );
}

// See: issue 17 work, 2026-12-03 — `serve` opened its tokens through a check that opened and
// closed the database file, which dropped the server's POSIX locks on it (SQLite's included). An
// `acta token create` beside it then took itself for the file's last user, checkpointed and
// deleted the write-ahead log the server went on appending to: later appends were answered
// `201`, seen by no other process, and lost when the server was killed.
#[test]
fn an_append_after_a_token_made_beside_the_server_is_durable_and_seen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut server = Server::start_new(&db, &[]);
    let output = acta(&[
        "token",
        "create",
        "--db",
        db.to_str().unwrap(),
        "--name",
        "phong-sxsh",
        "--role",
        "recorder",
    ]);
    assert!(output.status.success(), "{output:?}");
    let (status, body) = server.post("/v1/events", &register("p", None));
    assert_eq!(status, 201, "{body}");
    let (status, _) = server.post(
        "/v1/tokens",
        &json!({"name": "kiem-toan", "role": "auditor"}),
    );
    assert_eq!(status, 201);

    // Another process sees both at once, and both outlive a kill.
    let exported = acta(&["export", "--db", db.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&exported.stdout).lines().count(), 1);
    let token = server.token.clone();
    server.kill();
    let mut server = Server::start_on(&db, &[]);
    server.token = token;
    assert_eq!(server.head()["seq"], 1);
    let duplicate = acta(&[
        "token",
        "create",
        "--db",
        db.to_str().unwrap(),
        "--name",
        "kiem-toan",
        "--role",
        "auditor",
    ]);
    assert!(
        !duplicate.status.success(),
        "the token made over HTTP was lost"
    );
}
