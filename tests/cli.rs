//! The command line: `import` (idempotent, naming a bad line, committing nothing of it),
//! `export` and `verify`.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BINARY, acta, export, funds, new_id, register};
use serde_json::{Value, json};

fn jsonl(events: &[Value]) -> String {
    events.iter().map(|event| format!("{event}\n")).collect()
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
    assert_eq!(export(Path::new(db)).len(), 6);

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
    assert_eq!(export(Path::new(db)).len(), 8);

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
    assert_eq!(export(Path::new(db)).len(), 9);

    let verified = acta(&["verify", "--db", db]);
    assert!(verified.status.success());
    assert!(String::from_utf8_lossy(&verified.stdout).contains("chain intact: 9 events"));
}

/// An import of several batches (10,000 events each), with the bad line in a later batch while
/// the one before it is still being committed: everything before the bad line is stored,
/// nothing of it or after — for a line the log refuses and for one that is not JSON.
#[test]
fn a_bad_line_in_a_later_batch_stops_the_import_there() {
    let dir = tempfile::tempdir().unwrap();
    let good: Vec<Value> = std::iter::once(register("p", None))
        .chain((1..21_000).map(|n| funds("funds.allocated", "p", 2011 + n % 5, n)))
        .collect();
    for (bad_line, bad) in [
        (20_005, jsonl(&[funds("funds.allocated", "p", 2020, 1)])),
        (12_345, "{not json\n".to_owned()),
    ] {
        let db = dir.path().join(format!("acta-{bad_line}.db"));
        let db = db.to_str().unwrap();
        let file = dir.path().join(format!("events-{bad_line}.jsonl"));
        let mut text = jsonl(&good[..bad_line - 1]);
        text.push_str(&bad);
        text.push_str(&jsonl(&good[bad_line - 1..]));
        std::fs::write(&file, text).unwrap();
        let failed = acta(&["import", "--db", db, file.to_str().unwrap()]);
        assert_eq!(failed.status.code(), Some(1));
        let said = String::from_utf8_lossy(&failed.stderr);
        assert!(said.contains(&format!("line {bad_line}:")), "{said}");
        assert!(
            said.contains(&format!("{} events stored before it", bad_line - 1)),
            "{said}"
        );
        assert_eq!(export(Path::new(db)).len(), bad_line - 1);
    }
}
