//! The hash chain, checked from outside: an independent canonical-JSON implementation
//! recomputes every hash of `acta export`; an edit behind the store's back is caught by
//! `acta verify` and `GET /v1/verify`, naming the edited `seq`.

mod common;

use std::time::Duration;

use common::{Server, acta, export, funds, register};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// RFC 8785 canonical JSON, written here from the RFC rather than shared with the store, so
/// that a mistake in one is caught by the other.
fn jcs(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|key| key.encode_utf16().collect::<Vec<u16>>());
            let members: Vec<String> = keys
                .iter()
                .map(|key| format!("{}:{}", jcs_string(key), jcs(&map[*key])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(jcs).collect::<Vec<_>>().join(",")),
        Value::String(text) => jcs_string(text),
        Value::Number(number) => {
            assert!(!number.is_f64(), "stored events hold integers only");
            number.to_string()
        }
        other => other.to_string(),
    }
}

fn jcs_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A small record with text that exercises escaping and non-ASCII keys.
fn record_some_acts(server: &Server) {
    let mut events = vec![register("dn-sxsh-2015", None)];
    events.push(json!({"type": "training.held", "plan": "dn-sxsh-2015", "occurred_on": "2012-03-01",
        "data": {"topic": "cleaner_production", "sessions": 1, "participants": 160,
                 "participants_by_group": {"Các Sở, ngành, địa phương": 41, "Ngành \"hóa chất\"\t\\": 36, "😀": 1, "\u{ff61}": 2}},
        "evidence": {"document": "Báo cáo\nSXSH", "locator": "mục 3.1"}}));
    for year in 2011..=2014 {
        events.push(funds(
            "funds.allocated",
            "dn-sxsh-2015",
            year,
            90_000_000 + year,
        ));
        events.push(funds(
            "funds.disbursed",
            "dn-sxsh-2015",
            year,
            90_000_000 + year,
        ));
    }
    for event in events {
        let (status, body) = server.post("/v1/events", &event);
        assert_eq!(status, 201, "{body}");
    }
}

#[test]
fn every_exported_hash_recomputes_independently() {
    let server = Server::start();
    record_some_acts(&server);
    let events = export(&server.db);
    assert_eq!(events.len(), 10);
    let mut previous = "0".repeat(64);
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], index as u64 + 1);
        assert_eq!(event["prev_hash"], previous.as_str());
        let mut body = event.as_object().unwrap().clone();
        let stored_hash = body.remove("hash").unwrap();
        body.remove("prev_hash");
        let recomputed = sha256_hex(format!("{previous}{}", jcs(&Value::Object(body))).as_bytes());
        assert_eq!(stored_hash, recomputed.as_str(), "seq {}", index + 1);
        previous = recomputed;
    }
    assert_eq!(server.head()["hash"], previous.as_str());
    // The stored shape carries exactly the contract's keys.
    let keys: Vec<&String> = events[1].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "actor",
            "data",
            "date_precision",
            "evidence",
            "hash",
            "id",
            "occurred_on",
            "plan",
            "prev_hash",
            "recorded_at",
            "seq",
            "type",
            "version"
        ]
    );
}

#[test]
fn an_edit_behind_the_stores_back_is_named_by_seq() {
    let mut server = Server::start_sqlite();
    record_some_acts(&server);
    let (status, report) = server.get("/v1/verify");
    assert_eq!((status, &report["ok"]), (200, &json!(true)));
    assert_eq!(report["checked"], 10);
    let db = server.db.clone();
    let token = server.token.clone();
    server.kill();

    let connection = rusqlite::Connection::open(&db).unwrap();
    let refused = connection.execute("UPDATE events SET data = '{}' WHERE seq = 4", []);
    assert!(refused.is_err(), "the trigger refuses updates");
    connection
        .execute_batch(
            "DROP TRIGGER events_are_never_updated;
             UPDATE events SET data = replace(data, '90002012', '99002012') WHERE seq = 5;",
        )
        .unwrap();
    assert_eq!(connection.changes(), 1);
    drop(connection);

    let output = acta(&["verify", "--db", db.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("seq 5"), "{said}");

    // The server still starts, warns, and reports the same damage.
    let mut server = Server::start_on(&db, &[]);
    server.token = token.clone();
    let (status, report) = server.get("/v1/verify");
    assert_eq!(status, 200);
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_bad_seq"], 5);
    assert!(
        report["problem"].as_str().unwrap().contains("hash"),
        "{report}"
    );
    assert_eq!(report["head"]["seq"], 10);
    // The chain is checked once the server listens: the warning follows.
    assert!(
        server.says_within("broken at seq 5", Duration::from_secs(30)),
        "serve warns about the broken chain"
    );
}
