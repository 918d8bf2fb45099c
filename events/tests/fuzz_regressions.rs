//! The fuzz targets' checks (`fuzz/src/checks.rs`, run by `.ci/fuzz`) in the ordinary test
//! suite: over the seeds the fuzzer starts from, the demo's events, and every input the fuzzer
//! found that crashed or read wrongly (`fuzz/regressions/<target>/`, each kept with its fix).

#[path = "../../fuzz/src/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

use acta_events::{EventType, NewEvent};
use serde_json::Value;

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz");
const DEMO: &str = include_str!("../../data/demo/dong-nai-2009-2015.jsonl");

/// The files of `fuzz/<folder>/<target>/`, none if it has none.
fn inputs(folder: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(FUZZ).join(folder).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn run(target: &str, check: fn(&[u8])) -> usize {
    let mut count = 0;
    for folder in ["seeds", "regressions"] {
        for (path, bytes) in inputs(folder, target) {
            eprintln!("{}", path.display());
            check(&bytes);
            count += 1;
        }
    }
    count
}

#[test]
fn the_request_seeds_and_every_request_found_read_rightly() {
    assert!(run("request", checks::request_body) >= 8);
}

#[test]
fn the_stored_data_seeds_and_every_stored_text_found_read_rightly() {
    assert!(run("stored_data", checks::stored_data_bytes) >= 2);
}

#[test]
fn every_export_line_found_reads_rightly() {
    run("recorded", checks::recorded_line);
}

/// The demo's events pass every check as requests; the cold start's borrowed reader vouches
/// for the data of most of them (so that the agreement it is checked for is not empty), and
/// their stored shape passes the import's checks.
#[test]
fn the_demo_reads_rightly_every_way() {
    let mut vouched = 0;
    let mut events = 0;
    for line in DEMO.lines().filter(|line| !line.trim().is_empty()) {
        checks::request_body(line.as_bytes());
        let body: Value = serde_json::from_str(line).unwrap();
        let event = NewEvent::parse(&body, "", checks::today()).expect("a demo event");
        checks::accepted_event(&event);
        vouched += usize::from(checks::stored_data(event.event_type, &event.data_canonical));
        events += 1;
        let mut stored = body.clone();
        for (key, value) in [
            ("seq", serde_json::json!(events)),
            ("version", serde_json::json!(1)),
            ("recorded_at", serde_json::json!("2026-12-04T01:02:03.456Z")),
            ("actor", serde_json::json!("demo")),
            ("prev_hash", serde_json::json!("0".repeat(64))),
            ("hash", serde_json::json!("a".repeat(64))),
            (
                "date_precision",
                body.get("date_precision").cloned().unwrap_or("day".into()),
            ),
            (
                "evidence",
                body.get("evidence").cloned().unwrap_or(Value::Null),
            ),
        ] {
            stored[key] = value;
        }
        checks::recorded_line(stored.to_string().as_bytes());
    }
    assert!(events >= 50, "{events}");
    assert!(vouched * 2 > events, "vouched for {vouched} of {events}");
    // A stored text of every type, the byte before it naming the type as the target reads it.
    for (index, event_type) in EventType::ALL.iter().enumerate() {
        let mut bytes = vec![u8::try_from(index).unwrap()];
        bytes.extend_from_slice(b"{}");
        checks::stored_data_bytes(&bytes);
        assert!(!checks::stored_data(*event_type, "{\"x\":1}"));
    }
}
