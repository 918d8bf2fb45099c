//! The `replay` fuzz target's check (`fuzz/src/replay.rs`, run by `.ci/fuzz`) in the ordinary
//! test suite: the demo as one log, the seeds, and every input the fuzzer found
//! (`fuzz/regressions/replay/`), folded as commits and as the cold start must answer alike.

#[path = "../../fuzz/src/replay.rs"]
mod replay;

use std::path::Path;

use acta_events::EventType;
use serde_json::Value;

const DEMO: &str = include_str!("../../data/demo/dong-nai-2009-2015.jsonl");

/// The demo's events as the target reads a log: per line, its type's byte (never a line feed),
/// its day's, and its data as the store writes it.
fn demo_log() -> Vec<u8> {
    let first_day = jiff::civil::date(2009, 1, 1);
    let lines: Vec<Vec<u8>> = DEMO
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            let event_type: EventType = event["type"].as_str().unwrap().parse().unwrap();
            let index = EventType::ALL
                .iter()
                .position(|t| *t == event_type)
                .unwrap();
            let date: jiff::civil::Date = event["occurred_on"].as_str().unwrap().parse().unwrap();
            let days = (date - first_day).get_days();
            let day = u8::try_from((days / 11).clamp(0, 255)).unwrap();
            let mut line = vec![
                u8::try_from(index + 2 * EventType::ALL.len()).unwrap(),
                if day == b'\n' { day + 1 } else { day },
            ];
            line.extend(
                acta_events::jcs::canonical_json(&event["data"])
                    .unwrap()
                    .bytes(),
            );
            line
        })
        .collect();
    lines.join(&b'\n')
}

#[test]
fn the_demo_folded_as_commits_and_as_the_cold_start_answers_alike() {
    let log = demo_log();
    let events = replay::log_of(&log);
    assert_eq!(
        events.len(),
        1 + DEMO.lines().filter(|l| !l.trim().is_empty()).count()
    );
    assert_eq!(events[3].0.id, replay::event_id(4));
    replay::replay_agrees(&log);
    // Not an empty agreement: the demo's money is there, moved onto one plan.
    let mut record = acta_projections::Record::default();
    events.iter().for_each(|(event, _)| record.apply(event));
    let now = acta_projections::Query {
        as_of: None,
        known_at: None,
        plan: None,
        today: acta_events::CivilDate::new(2026, 12, 4).unwrap(),
    };
    let totals = record.funding(&now).totals;
    assert!(totals.allocated > 0 && totals.disbursed > 0, "{totals:?}");
}

#[test]
fn the_seeds_and_every_log_the_fuzzer_found_fold_alike() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for folder in ["seeds/replay", "regressions/replay"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            eprintln!("{}", path.display());
            replay::replay_agrees(&std::fs::read(&path).unwrap());
            count += 1;
        }
    }
    assert!(count >= 1, "the seeds are there");
}
