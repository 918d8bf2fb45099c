//! The cold start's replay ([`Log::open_with_replay`], [`Log::open_read_only_with_replay`]) hands
//! over the rows a scan reads whole, borrowed, and skips the rows it skips — through the real
//! log on a real SQLite file, damaged behind the store's back.

use std::sync::{Arc, Mutex};

use acta_events::{AppendRequest, CivilDate, EventRow, Log, LogOptions, NewEvent, StoredEvent};
use serde_json::json;

fn log_of_eight() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let clock: acta_events::Clock = Arc::new(|| "2026-11-28T12:00:00.123Z".parse().unwrap());
    let log = Log::open(
        &db,
        LogOptions {
            clock,
            on_commit: None,
            bulk: false,
        },
    )
    .unwrap();
    let today: CivilDate = "2026-11-28".parse().unwrap();
    let mut bodies = vec![
        json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
                                 "data": {"title": "P", "kind": "plan", "period": {"from_year": 2011, "to_year": 2015}}}),
    ];
    for n in 1..8 {
        bodies.push(
            json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-02-10",
                           "data": {"fiscal_year": 2012, "source": "local", "amount": n},
                           "evidence": {"document": "Báo cáo", "locator": null}}),
        );
    }
    for body in bodies {
        let event = NewEvent::parse(&body, "", today).unwrap();
        log.append_blocking(AppendRequest {
            events: vec![event],
            actor: "test".into(),
            is_batch: false,
        })
        .unwrap();
    }
    drop(log);
    (dir, db)
}

/// The rows each way of replaying hands over: (seq, what the row says).
/// Edits rows behind the store's back, as a damaged file would hold them.
fn damage(db: &std::path::Path, updates: &str) {
    let connection = rusqlite::Connection::open(db).unwrap();
    connection
        .execute_batch(&format!("DROP TRIGGER events_are_never_updated; {updates}"))
        .unwrap();
}

fn replayed(db: &std::path::Path) -> (Vec<StoredEvent>, Vec<(u64, String)>) {
    let whole = Arc::new(Mutex::new(Vec::new()));
    let fed = Arc::clone(&whole);
    let hook: acta_events::store::CommitHook =
        Arc::new(move |events| fed.lock().unwrap().extend_from_slice(events));
    Log::open_read_only(db, Some(hook)).unwrap();
    let mut rows = Vec::new();
    let mut keep = |row: &EventRow<'_>| {
        rows.push((
            row.header.seq,
            format!(
                "{} {} {} {} {} {}",
                row.header.id,
                row.header.event_type,
                row.header.plan,
                row.header.occurred_on,
                row.header.recorded_at,
                row.data
            ),
        ))
    };
    Log::open_read_only_with_replay(db, &mut keep).unwrap();
    let whole = std::mem::take(&mut *whole.lock().unwrap());
    (whole, rows)
}

fn described(event: &StoredEvent) -> (u64, String) {
    (
        event.seq,
        format!(
            "{} {} {} {} {} {}",
            event.id,
            event.event_type,
            event.plan,
            event.occurred_on,
            event.recorded_at,
            acta_events::jcs::canonical_json(&event.data).unwrap()
        ),
    )
}

#[test]
fn a_row_replayed_borrowed_says_what_the_stored_event_says() {
    let (_dir, db) = log_of_eight();
    let (whole, rows) = replayed(&db);
    assert_eq!(whole.len(), 8);
    assert_eq!(rows, whole.iter().map(described).collect::<Vec<_>>());
}

#[test]
fn damaged_rows_are_skipped_as_a_scan_skips_them() {
    let (_dir, db) = log_of_eight();
    damage(
        &db,
        "UPDATE events SET occurred_on = '2020-02-30' WHERE seq = 2;
             UPDATE events SET evidence = '{\"document\": ' WHERE seq = 3;
             UPDATE events SET date_precision = 'week' WHERE seq = 4;
             UPDATE events SET recorded_at = 'yesterday' WHERE seq = 5;
             UPDATE events SET plan = 'P' WHERE seq = 6;
             UPDATE events SET data = '{\"amount\": ' WHERE seq = 7;",
    );
    let (whole, rows) = replayed(&db);
    let seqs = |events: &[(u64, String)]| events.iter().map(|(seq, _)| *seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(&whole.iter().map(described).collect::<Vec<_>>()),
        [1, 8]
    );
    // Data that is not JSON is handed over as stored: the projections skip it (see
    // `Record::replay`), as the scan skipped its row.
    assert_eq!(seqs(&rows), [1, 7, 8]);
    assert_eq!(rows[1].1.split(' ').nth(5), Some("{\"amount\":"));
    assert_eq!(rows[0], described(&whole[0]));
    assert_eq!(rows[2], described(&whole[1]));
}

/// Evidence no `serde_json::Value` can hold (a lone surrogate, a number out of range) makes its
/// row unreadable on both paths, so the cold start skips exactly what a scan skips.
#[test]
fn evidence_no_json_value_holds_is_skipped_on_both_paths() {
    let (_dir, db) = log_of_eight();
    damage(
        &db,
        r#"UPDATE events SET evidence = '{"document": "\ud800"}' WHERE seq = 3;
             UPDATE events SET evidence = '{"document": 1e400}' WHERE seq = 4;
             UPDATE events SET evidence = '{"a": [' || replace(hex(zeroblob(200)), '00', '[') || ']}' WHERE seq = 5;"#,
    );
    let (whole, rows) = replayed(&db);
    let whole_seqs: Vec<u64> = whole.iter().map(|event| event.seq).collect();
    let row_seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(row_seqs, whole_seqs);
    assert!(!row_seqs.contains(&3) && !row_seqs.contains(&4) && !row_seqs.contains(&5));
}

/// A text column holding another type (a BLOB hash) makes its row unreadable, skipped at start
/// by both paths, not a failure of the whole open.
#[test]
fn a_column_of_the_wrong_type_is_a_damaged_row() {
    let (_dir, db) = log_of_eight();
    damage(
        &db,
        r#"UPDATE events SET data = 'not json', hash = X'FF' WHERE seq = 3;
             UPDATE events SET prev_hash = X'00' WHERE seq = 4;"#,
    );
    let (whole, rows) = replayed(&db);
    let whole_seqs: Vec<u64> = whole.iter().map(|event| event.seq).collect();
    let row_seqs: Vec<u64> = rows.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(row_seqs, whole_seqs);
    assert!(!row_seqs.contains(&3) && !row_seqs.contains(&4));
}

/// A `recorded_at` jiff can read but not hold to the millisecond is a damaged row, not a panic.
#[test]
fn an_instant_at_the_end_of_time_is_a_damaged_row() {
    let (_dir, db) = log_of_eight();
    damage(
        &db,
        "UPDATE events SET recorded_at = '9999-12-30T22:00:00.500Z' WHERE seq = 3;",
    );
    let (whole, rows) = replayed(&db);
    assert!(whole.iter().all(|event| event.seq != 3));
    assert!(rows.iter().all(|(seq, _)| *seq != 3));
}
