//! The command line: `import` (idempotent, naming a bad line, committing nothing of it),
//! `export` and `verify`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{BINARY, acta, funds, new_id, register};
use serde_json::{Value, json};

fn jsonl(events: &[Value]) -> String {
    events.iter().map(|event| format!("{event}\n")).collect()
}

fn exported(db: &str) -> Vec<Value> {
    let output = acta(&["export", "--db", db]);
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn import_is_idempotent_and_names_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let db = db.to_str().unwrap();
    let mut events = vec![register("p", None)];
    events.extend((2011..=2015).map(|year| funds("funds.allocated", "p", year, 1_000 * year)));
    for event in &mut events {
        event["id"] = json!(new_id());
    }
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, jsonl(&events)).unwrap();

    let first = acta(&["import", "--db", db, file.to_str().unwrap()]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("imported 6 new events"));
    let again = acta(&["import", "--db", db, file.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("imported 0 new events"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(exported(db).len(), 6);

    // Line 3 of this file is bad: lines 1–2 are stored, nothing of 3 or after.
    let more = [
        funds("funds.disbursed", "p", 2012, 5),
        funds("funds.disbursed", "p", 2013, 5),
        funds("funds.disbursed", "p", 2020, 5),
        funds("funds.disbursed", "p", 2014, 5),
    ];
    let bad_file = dir.path().join("bad.jsonl");
    std::fs::write(&bad_file, jsonl(&more)).unwrap();
    let failed = acta(&["import", "--db", db, bad_file.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(1));
    let said = String::from_utf8_lossy(&failed.stderr);
    assert!(
        said.contains("line 3") && said.contains("/data/fiscal_year"),
        "{said}"
    );
    assert_eq!(exported(db).len(), 8);

    // A line that is not JSON, from stdin.
    let mut child = Command::new(BINARY)
        .args(["import", "--db", db, "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n{{oops\n", funds("funds.planned", "p", 2015, 9)).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 2: not JSON"));
    assert_eq!(exported(db).len(), 9);

    let verified = acta(&["verify", "--db", db]);
    assert!(verified.status.success());
    assert!(String::from_utf8_lossy(&verified.stdout).contains("chain intact: 9 events"));
}
