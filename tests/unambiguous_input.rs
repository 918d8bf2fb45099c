//! Input that two careful readers could read differently is refused (issue 17, point 5):
//! a key sent twice, invisible format characters in a text, look-alike decision numbers, and
//! error answers that would echo a huge input back. Each refusal names its field and leaves
//! the log as it was.

mod common;

use common::{Server, acta, fields, funds, register};
use serde_json::{Value, json};

/// Posts `body` (raw JSON text) to `path`, checks the status and the field named, checks that
/// the log did not change, and returns the problem.
fn refused(server: &Server, path: &str, body: &str, status: u16, field: &str) -> Value {
    let before = server.head();
    let (got, problem) = server.post_raw(path, Some("application/json"), body.as_bytes().to_vec());
    assert_eq!(got, status, "{body:.200}: {problem}");
    assert!(
        fields(&problem).iter().any(|f| f == field),
        "expected field {field:?} in {problem}"
    );
    assert_eq!(server.head(), before, "{body:.200}: the log changed");
    problem
}

/// A server with plan `p` (2011–2015) registered.
fn server_with_plan() -> Server {
    let server = Server::start();
    let (status, body) = server.post("/v1/events", &register("p", None));
    assert_eq!(status, 201, "{body}");
    server
}

const FUNDS_WITH_TWO_AMOUNTS: &str = r#"{"type": "funds.allocated", "plan": "p",
    "occurred_on": "2012-12-31", "data": {"fiscal_year": 2012, "source": "local",
    "amount": 1, "amount": 999}}"#;

// See: issue 17 point 5 — `{"amount":1,"amount":999}` was stored as 999.
#[test]
fn a_key_sent_twice_is_refused_with_the_pointer_of_its_second_occurrence() {
    let server = server_with_plan();
    let problem = refused(
        &server,
        "/v1/events",
        FUNDS_WITH_TWO_AMOUNTS,
        400,
        "/data/amount",
    );
    assert_eq!(problem["type"], "urn:acta:problem:bad-request");
    refused(
        &server,
        "/v1/events",
        r#"{"type": "funds.allocated", "type": "funds.disbursed", "plan": "p",
            "occurred_on": "2012-12-31", "data": {"fiscal_year": 2012, "source": "local", "amount": 1}}"#,
        400,
        "/type",
    );
    refused(
        &server,
        "/v1/events",
        r#"{"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
            "data": {"fiscal_year": 2012, "source": "local", "amount": 1},
            "evidence": {"document": "a", "document": "b"}}"#,
        400,
        "/evidence/document",
    );
    let good = funds("funds.allocated", "p", 2012, 1).to_string();
    let batch =
        format!(r#"{{"events": [{good}, {good}, {good}, {FUNDS_WITH_TWO_AMOUNTS}, {good}]}}"#);
    refused(
        &server,
        "/v1/events/batch",
        &batch,
        400,
        "/events/3/data/amount",
    );
    // The same bodies without the second key are stored.
    let single = FUNDS_WITH_TWO_AMOUNTS.replace(r#", "amount": 999"#, "");
    let (status, stored) =
        server.post_raw("/v1/events", Some("application/json"), single.into_bytes());
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["data"]["amount"], 1);
}

#[test]
fn acta_import_refuses_a_key_sent_twice_naming_the_line_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let file = dir.path().join("events.jsonl");
    let lines = [
        register("p", None).to_string(),
        funds("funds.allocated", "p", 2012, 1).to_string(),
        FUNDS_WITH_TWO_AMOUNTS.replace('\n', " "),
        funds("funds.allocated", "p", 2013, 1).to_string(),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let output = acta(&[
        "import",
        "--db",
        db.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("line 3: /data/amount: this key appears twice"),
        "{said}"
    );
    let exported = acta(&["export", "--db", db.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&exported.stdout).lines().count(), 2);
}

#[test]
fn nesting_deeper_than_64_levels_is_still_refused() {
    let server = server_with_plan();
    let deep = |levels: usize| {
        format!(
            r#"{{"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                "data": {{"fiscal_year": 2012, "source": "local", "amount": 1, "x": {}1{}}}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        )
    };
    // The body and `data` are two levels, so 62 arrays make 64.
    let problem = refused(&server, "/v1/events", &deep(63), 400, "");
    assert!(
        problem["detail"].as_str().unwrap().contains("64"),
        "{problem}"
    );
    // At 64 levels the body is read, and then refused for its unknown field.
    refused(&server, "/v1/events", &deep(62), 400, "/data/x");
}

#[test]
fn serde_jsons_raw_value_marker_is_an_unknown_field_like_any_other() {
    let server = server_with_plan();
    refused(
        &server,
        "/v1/events",
        &json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                "data": {"$serde_json::private::RawValue": "{\"amount\": 1}"}})
        .to_string(),
        400,
        "/data/$serde_json::private::RawValue",
    );
}
