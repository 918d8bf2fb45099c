//! Verification that goes on from an earlier report ([`Log::verify_from`]) says what a whole
//! check says, reads only the events after the report, and can be stopped and resumed — through
//! the real log on a real SQLite file.

use std::ops::ControlFlow;
use std::sync::Arc;

use acta_events::store::VERIFY_PROGRESS_EVERY;
use acta_events::{AppendRequest, CivilDate, Log, LogOptions, NewEvent, VerifyReport};
use serde_json::json;

fn open(db: &std::path::Path) -> Log {
    let clock: acta_events::Clock = Arc::new(|| "2026-11-28T12:00:00.123Z".parse().unwrap());
    Log::open(
        db,
        LogOptions {
            clock,
            on_commit: None,
            bulk: true,
        },
    )
    .unwrap()
}

fn allocation(amount: u64) -> NewEvent {
    let body = json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-02-10",
                      "data": {"fiscal_year": 2012, "source": "local", "amount": amount}});
    NewEvent::parse(&body, "", today()).unwrap()
}

fn today() -> CivilDate {
    "2026-11-28".parse().unwrap()
}

fn append(log: &Log, events: Vec<NewEvent>) {
    log.append_blocking(AppendRequest {
        events,
        actor: "test".into(),
        is_batch: true,
    })
    .unwrap();
}

/// A log of one plan and `allocations` allocations.
fn log_with(allocations: u64) -> (tempfile::TempDir, std::path::PathBuf, Log) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let log = open(&db);
    let register = json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
                          "data": {"title": "P", "kind": "plan",
                                   "period": {"from_year": 2011, "to_year": 2015}}});
    let mut events = vec![NewEvent::parse(&register, "", today()).unwrap()];
    events.extend((1..=allocations).map(allocation));
    append(&log, events);
    (dir, db, log)
}

fn whole(log: &Log) -> VerifyReport {
    log.verify_from(&VerifyReport::nothing_checked(), &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap()
}

fn go_on(log: &Log, previous: &VerifyReport) -> (VerifyReport, Vec<u64>) {
    let mut told = Vec::new();
    let report = log
        .verify_from(previous, &mut |checked| {
            told.push(checked);
            ControlFlow::Continue(())
        })
        .unwrap();
    (report, told)
}

#[test]
fn going_on_from_a_report_says_what_a_whole_check_says() {
    let (_dir, _db, log) = log_with(7);
    let first = whole(&log);
    assert!(first.ok(), "{first:?}");
    assert_eq!((first.checked, first.head_seq), (8, 8));
    assert_eq!(first.head_hash, log.head().unwrap().hash);

    append(&log, (8..=12).map(allocation).collect());
    let (extended, _) = go_on(&log, &first);
    assert_eq!(extended, whole(&log));
    assert_eq!((extended.checked, extended.head_seq), (13, 13));

    // Nothing appended since: nothing to read, the same report.
    let (again, told) = go_on(&log, &extended);
    assert_eq!(again, extended);
    assert_eq!(told, [13]);
}

#[test]
fn a_report_that_found_a_bad_seq_stays_bad() {
    let (_dir, db, log) = log_with(7);
    let editor = rusqlite::Connection::open(&db).unwrap();
    let original: String = editor
        .query_row("SELECT data FROM events WHERE seq = 3", [], |row| {
            row.get(0)
        })
        .unwrap();
    editor
        .execute_batch(
            "DROP TRIGGER events_are_never_updated;
             UPDATE events SET data = replace(data, '\"amount\":2', '\"amount\":9') WHERE seq = 3;",
        )
        .unwrap();
    let damaged = whole(&log);
    assert_eq!(damaged.first_bad_seq, Some(3), "{damaged:?}");

    // Put the row back: a whole check finds the chain intact again, but the report that found
    // seq 3 bad goes on counting, not checking.
    editor
        .execute("UPDATE events SET data = ?1 WHERE seq = 3", [&original])
        .unwrap();
    append(&log, (8..=9).map(allocation).collect());
    assert!(whole(&log).ok());
    let (extended, _) = go_on(&log, &damaged);
    assert_eq!(extended.first_bad_seq, Some(3));
    assert_eq!(extended.problem, damaged.problem);
    assert_eq!((extended.checked, extended.head_seq), (10, 10));
    assert_eq!(extended.head_hash, log.head().unwrap().hash);
}

#[test]
fn a_report_of_another_log_starts_over() {
    let (_dir, _db, log) = log_with(7);
    let elsewhere = VerifyReport {
        checked: 5,
        head_seq: 5,
        head_hash: "f".repeat(64),
        first_bad_seq: Some(2),
        problem: Some("from another file".into()),
        ..VerifyReport::nothing_checked()
    };
    let (report, _) = go_on(&log, &elsewhere);
    assert_eq!(report, whole(&log));
    assert!(report.ok());
}

#[test]
fn a_check_stopped_early_covers_a_prefix_and_goes_on_to_the_same_answer() {
    let total = VERIFY_PROGRESS_EVERY + 5;
    let (_dir, _db, log) = log_with(total - 1);
    let stopped = log
        .verify_from(&VerifyReport::nothing_checked(), &mut |_| {
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(
        (stopped.checked, stopped.head_seq, stopped.first_bad_seq),
        (VERIFY_PROGRESS_EVERY, VERIFY_PROGRESS_EVERY, None)
    );
    let (finished, told) = go_on(&log, &stopped);
    assert_eq!(told, [total]);
    assert_eq!(finished, whole(&log));
    assert_eq!(finished.checked, total);
}

#[test]
fn verify_with_names_the_file_check_it_ran() {
    let (_dir, _db, log) = log_with(3);
    let quick = log.verify(&mut |_| {}).unwrap();
    assert!(quick.ok() && !quick.integrity.full);
    let full = log.verify_with(true, &mut |_| {}).unwrap();
    assert!(full.ok() && full.integrity.full);
    assert_eq!(
        VerifyReport {
            integrity: Default::default(),
            ..quick
        },
        whole(&log)
    );
}
