//! Input that two careful readers could read differently is refused (issue 17, point 5):
//! a key sent twice, invisible format characters in a text, look-alike decision numbers, and
//! error answers that would echo a huge input back. Each refusal names its field and leaves
//! the log as it was.

mod common;

use common::{Server, acta, event, fields, funds, register};
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

// See: issue 17 point 5 — a zero-width space made a second copy of a decision look new.
#[test]
fn format_characters_are_refused_in_every_text_naming_the_field_and_character() {
    let server = server_with_plan();
    let (status, registered) = server.get("/v1/events?type=plan.registered");
    assert_eq!(status, 200);
    let registration_id = registered["events"][0]["id"].as_str().unwrap().to_owned();
    let decision = |number: &str, issuer: &str| {
        json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
               "data": {"number": number, "issuer": issuer, "title": "Giao nhiệm vụ"}})
    };
    let training = |groups: Value| {
        json!({"type": "training.held", "plan": "p", "occurred_on": "2012-03-01",
               "data": {"topic": "cleaner_production", "sessions": 1, "participants_by_group": groups}})
    };
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "a zero-width space in a plan's title",
            json!({"type": "plan.registered", "plan": "q", "occurred_on": "2011-12-07",
                   "data": {"title": "Kế hoạch\u{200B}", "kind": "plan",
                            "period": {"from_year": 2011, "to_year": 2015}}}),
            "/data/title",
            "U+200B, an invisible format character, at character 9",
        ),
        (
            "a byte-order mark in a decision number",
            decision("\u{FEFF}3269/QĐ-UBND", "UBND tỉnh Đồng Nai"),
            "/data/number",
            "U+FEFF",
        ),
        (
            "a soft hyphen in an issuer",
            decision("3269/QĐ-UBND", "UBND tỉnh Đồng\u{AD}Nai"),
            "/data/issuer",
            "U+00AD",
        ),
        (
            "a right-to-left override in evidence",
            json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                   "data": {"fiscal_year": 2012, "source": "local", "amount": 1},
                   "evidence": {"document": "Báo cáo \u{202E}5102", "locator": "mục 4"}}),
            "/evidence/document",
            "U+202E",
        ),
        (
            "a word joiner in a basis entry",
            json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
                   "data": {"number": "1/QĐ", "issuer": "X", "title": "T",
                            "basis": ["1419/QĐ-TTg", "2\u{2060}/QĐ"]}}),
            "/data/basis/1",
            "U+2060",
        ),
        (
            "a zero-width joiner in a name of participants_by_group",
            training(json!({"Nông\u{200D}dân": 10})),
            "/data/participants_by_group/Nông\u{200D}dân",
            "this name contains U+200D",
        ),
        (
            "a left-to-right isolate in a correction's replacement data",
            json!({"type": "event.corrected", "plan": "p", "occurred_on": "2012-01-01",
                   "data": {"target": registration_id, "reason": "title",
                            "data": {"title": "\u{2066}Kế hoạch", "kind": "plan",
                                     "period": {"from_year": 2011, "to_year": 2015}}}}),
            "/data/data/title",
            "U+2066",
        ),
    ];
    for (name, body, field, said) in cases {
        let problem = refused(&server, "/v1/events", &body.to_string(), 422, field);
        assert_eq!(problem["type"], "urn:acta:problem:unprocessable", "{name}");
        let message = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|error| error["field"] == field)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(said), "{name}: {message}");
    }
    // Inside a batch the pointer starts at the event.
    let good = decision("5/QĐ", "X");
    let bad = decision("6/QĐ", "X\u{200E}");
    refused(
        &server,
        "/v1/events/batch",
        &json!({"events": [good, bad]}).to_string(),
        422,
        "/events/1/data/issuer",
    );
}

#[test]
fn texts_are_still_stored_exactly_as_sent() {
    let server = server_with_plan();
    // Surrounding white space, a decomposed "ệ" (e, combining circumflex, combining dot below)
    // and a no-break space are not format characters: they are stored byte for byte.
    let title = "  Ke\u{302}\u{323} hoa\u{323}ch\u{A0}2012\t";
    let (status, stored) = server.post(
        "/v1/events",
        &json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
                "data": {"number": " 7/QĐ ", "issuer": "X", "title": title}}),
    );
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["data"]["title"], title);
    assert_eq!(stored["data"]["number"], " 7/QĐ ");
}

/// A `decision.issued` request of plan `p`.
fn decision_of(number: &str, issuer: &str, occurred_on: &str) -> Value {
    let data = json!({"number": number, "issuer": issuer, "title": "Ban hành kế hoạch"});
    event("decision.issued", "p", occurred_on, data)
}

/// "UBND tỉnh Đồng Nai" in Unicode NFD: each accented letter as a base and combining marks.
const ISSUER_DECOMPOSED: &str = "UBND ti\u{309}nh \u{110}o\u{302}\u{300}ng Nai";

// See: issue 17 point 5 — four look-alike copies of 3269/QĐ-UBND were each accepted as new.
#[test]
fn look_alike_copies_of_a_decision_number_are_conflicts() {
    let server = server_with_plan();
    let original = decision_of("3269/QĐ-UBND", "UBND tỉnh Đồng Nai", "2011-12-07");
    let (status, stored) = server.post("/v1/events", &original);
    assert_eq!(status, 201, "{stored}");
    for (name, number, issuer) in [
        ("a trailing space", "3269/QĐ-UBND ", "UBND tỉnh Đồng Nai"),
        ("the issuer in NFD", "3269/QĐ-UBND", ISSUER_DECOMPOSED),
        (
            "a doubled inner space",
            "3269/QĐ-UBND",
            "UBND  tỉnh Đồng Nai",
        ),
        (
            "a no-break space",
            "3269/QĐ-UBND",
            "UBND tỉnh\u{A0}Đồng Nai",
        ),
    ] {
        let copy = decision_of(number, issuer, "2011-12-20");
        let problem = refused(
            &server,
            "/v1/events",
            &copy.to_string(),
            409,
            "/data/number",
        );
        assert_eq!(problem["type"], "urn:acta:problem:conflict", "{name}");
    }
    // The fourth copy of the issue, with a zero-width space, is not even a text.
    let hidden = decision_of("3269/QĐ\u{200B}-UBND", "UBND tỉnh Đồng Nai", "2011-12-20");
    refused(
        &server,
        "/v1/events",
        &hidden.to_string(),
        422,
        "/data/number",
    );
    // Case is kept: a different letter case is a different number, and so is another year.
    for other in [
        decision_of("3269/Qđ-UBND", "UBND tỉnh Đồng Nai", "2011-12-20"),
        decision_of("3269/QĐ-UBND ", "UBND tỉnh Đồng Nai", "2012-01-05"),
    ] {
        let (status, stored) = server.post("/v1/events", &other);
        assert_eq!(status, 201, "{stored}");
    }
    // The stored number is the one sent, trailing space and all.
    let (_, page) = server.get("/v1/events?type=decision.issued");
    assert_eq!(page["events"][2]["data"]["number"], "3269/QĐ-UBND ");
}

#[test]
fn a_correction_to_a_look_alike_of_another_decision_is_a_conflict() {
    let server = server_with_plan();
    let first = decision_of("3269/QĐ-UBND", "UBND tỉnh Đồng Nai", "2011-12-07");
    assert_eq!(server.post("/v1/events", &first).0, 201);
    let (status, second) = server.post(
        "/v1/events",
        &decision_of("06/QĐ-SCT", "Sở Công Thương", "2011-12-08"),
    );
    assert_eq!(status, 201);
    let correction = json!({"type": "event.corrected", "plan": "p", "occurred_on": "2011-12-09",
        "data": {"target": second["id"], "reason": "số sai",
                 "data": {"number": " 3269/QĐ-UBND", "issuer": ISSUER_DECOMPOSED, "title": "t"}}});
    refused(
        &server,
        "/v1/events",
        &correction.to_string(),
        409,
        "/data/data/number",
    );
}

#[test]
fn a_database_keyed_before_normalising_is_rekeyed_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut server = Server::start_new(&db, &[]);
    let token = server.token.clone();
    let (status, body) = server.post("/v1/events", &register("p", None));
    assert_eq!(status, 201, "{body}");
    let decision = decision_of("3269/QĐ-UBND ", ISSUER_DECOMPOSED, "2011-12-07");
    assert_eq!(server.post("/v1/events", &decision).0, 201);
    server.kill();
    // Make the database what an older acta left: the index keyed by the texts as sent, and
    // schema version 2.
    {
        let connection = rusqlite::Connection::open(&db).unwrap();
        let rekeyed = connection
            .execute(
                "UPDATE decision_numbers SET issuer = ?1, number = '3269/QĐ-UBND '",
                [ISSUER_DECOMPOSED],
            )
            .unwrap();
        assert_eq!(rekeyed, 1);
        connection.pragma_update(None, "user_version", 2).unwrap();
    }
    let mut server = Server::start_on(&db, &[]);
    server.token = token;
    let copy = decision_of("3269/QĐ-UBND", "UBND tỉnh Đồng Nai", "2011-12-20");
    refused(
        &server,
        "/v1/events",
        &copy.to_string(),
        409,
        "/data/number",
    );
}

/// The length of `problem` as the server wrote it (compact JSON, as serde_json writes it).
fn length(problem: &Value) -> usize {
    problem.to_string().len()
}

// See: issue 17 point 5 — a 65 KB query value came back whole in the 422, a 900 KB field name
// as a 1.8 MB answer, a batch of bad types as 17 MB.
#[test]
fn error_answers_quote_a_short_prefix_of_what_was_sent() {
    let server = server_with_plan();
    // Within the 16 KiB a request head may be (a longer one is 431, by the accept loop).
    let long = "x".repeat(12_000);
    for path in [
        format!("/v1/funding?as_of={long}"),
        format!("/v1/plans?known_at={long}"),
        format!("/v1/events?after={long}"),
        format!("/v1/events?type={long}"),
        format!("/v1/events?{long}=1"),
    ] {
        let before = server.head();
        let (status, problem) = server.get(&path);
        assert_eq!(status, 422, "{problem}");
        assert!(length(&problem) < 2048, "{path:.40}: {problem}");
        let said = problem.to_string();
        assert!(
            said.contains(&format!("\"{}…", "x".repeat(64))),
            "{path:.40}: {said}"
        );
        assert_eq!(server.head(), before);
    }
    // A path that quotes its parameter.
    let (status, problem) = server.get(&format!("/v1/events/{}", "0".repeat(12_000)));
    assert_eq!(status, 404);
    assert!(length(&problem) < 2048, "{problem}");
    // A query of 65 KB is refused before it is read: 431, nothing echoed.
    let refused_head = common::client()
        .get(server.url(&format!("/v1/funding?as_of={}", "x".repeat(65_000))))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(refused_head.status().as_u16(), 431);
    assert!(refused_head.text().unwrap().len() < 2048);

    // A field name of 900 KB is named by a cut pointer.
    let name = "n".repeat(900_000);
    let body = json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                      "data": {"fiscal_year": 2012, "source": "local", "amount": 1, name.clone(): 1}});
    let cut_pointer = format!("/data/{}…", "n".repeat(64));
    let problem = refused(&server, "/v1/events", &body.to_string(), 400, &cut_pointer);
    assert!(length(&problem) < 2048, "{problem}");
    // So is a duplicate of one (of 400 KB: twice that is within the 1 MiB a body may be).
    let key = format!("\"{}\": 1", &name[..400_000]);
    let twice = format!(r#"{{"data": {{{key}, {key}}}}}"#);
    let problem = refused(&server, "/v1/events", &twice, 400, &cut_pointer);
    assert!(length(&problem) < 2048, "{problem}");
    // And a text of 1 MB (white space around a word) with a format character at its end, by
    // its position alone.
    let text = format!("{}a\u{200B}", " ".repeat(1_000_000));
    let body = json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                      "data": {"fiscal_year": 2012, "source": "local", "amount": 1, "document": text}});
    let problem = refused(
        &server,
        "/v1/events",
        &body.to_string(),
        422,
        "/data/document",
    );
    assert!(length(&problem) < 2048, "{problem}");
    assert!(problem.to_string().contains("at character 1000002"));
}

#[test]
fn a_batch_of_10000_bad_events_answers_a_bounded_body() {
    let server = server_with_plan();
    let event = json!({"type": format!("funds.{}", "stolen".repeat(200)), "plan": "p",
                       "occurred_on": "2012-12-31", "data": {}});
    let batch = json!({"events": vec![event; 10_000]}).to_string();
    let problem = refused(&server, "/v1/events/batch", &batch, 422, "/events/0/type");
    assert!(length(&problem) <= 64 * 1024, "{} bytes", length(&problem));
    // Each entry carries its code and parameters beside its message (the list of the 19 event
    // types twice, some 1,100 bytes): 64 KiB holds some 58 of them, and detail says so.
    let listed = problem["errors"].as_array().unwrap().len();
    assert!((50..100).contains(&listed), "{listed}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.ends_with(&format!(
            "(and 9999 more problems); errors lists the first {listed} of 10000 problems"
        )),
        "{detail}"
    );
    // Unknown fields, 10,000 events of them: a 400, as bounded.
    let event = json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                       "data": {"fiscal_year": 2012, "source": "local", "amount": 1},
                       "colour": "red", "size": "large"});
    let batch = json!({"events": vec![event; 10_000]}).to_string();
    let problem = refused(&server, "/v1/events/batch", &batch, 400, "/events/0/colour");
    assert!(length(&problem) <= 64 * 1024, "{} bytes", length(&problem));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .ends_with("errors lists the first 100 of 20000 problems"),
        "{}",
        problem["detail"]
    );
}
