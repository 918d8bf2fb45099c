//! How the writer behaves when the storage fails under it or a row was damaged behind its back,
//! and the hash it writes against independent recipes. Regression tests from a review of the
//! writer without per-request savepoints.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use acta_events::store::{AppendOutcome, CommitHook, EventFilter, Reply};
use acta_events::{
    AppendError, AppendRequest, CivilDate, Clock, Log, LogOptions, NewEvent, StoredEvent,
};
use serde_json::{Value, json};

const TODAY: &str = "2026-11-28";

fn request(body: Value, actor: &str) -> AppendRequest {
    let event = NewEvent::parse(&body, "", TODAY.parse::<CivilDate>().unwrap()).unwrap();
    AppendRequest {
        events: vec![event],
        actor: actor.into(),
        is_batch: false,
    }
}

fn registration() -> Value {
    json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
           "data": {"title": "P", "kind": "plan", "period": {"from_year": 2011, "to_year": 2015}}})
}

fn training(sessions: i64) -> Value {
    json!({"type": "training.held", "plan": "p", "occurred_on": "2013-05-01",
           "data": {"topic": "cleaner_production", "sessions": sessions}})
}

fn clock() -> Clock {
    Arc::new(|| "2026-11-28T12:00:00.123Z".parse().unwrap())
}

fn options(on_commit: Option<CommitHook>) -> LogOptions {
    LogOptions {
        clock: clock(),
        on_commit,
        bulk: false,
    }
}

fn open(path: &std::path::Path, on_commit: Option<CommitHook>) -> Log {
    Log::open(path, options(on_commit)).unwrap()
}

/// Opens `path` again once the previous writer (dropped by the caller) has let go of it.
fn reopen(path: &std::path::Path) -> Result<Log, acta_events::StoreError> {
    loop {
        match Log::open(path, options(None)) {
            Err(acta_events::StoreError::Locked { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            other => return other,
        }
    }
}

/// An error that rolls the whole transaction back (as an I/O error or an interrupt does;
/// simulated with `RAISE(ROLLBACK)`) in a request without a savepoint, inside a group of
/// several: the whole group fails, nothing of it is stored, and the chain has no gap.
#[test]
fn a_transaction_rolled_back_under_the_writer_fails_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acta.db");
    // The commit hook holds the writer after a first request, so that the next three queue up
    // and are taken as one group.
    let hold = Arc::new(AtomicBool::new(false));
    let (entered, wait_entered) = mpsc::channel::<()>();
    let (release, wait_release) = mpsc::channel::<()>();
    let (entered, wait_release) = (Mutex::new(entered), Mutex::new(wait_release));
    let hooked: Arc<Mutex<Vec<u64>>> = Arc::default();
    let hook: CommitHook = {
        let (hold, hooked) = (hold.clone(), hooked.clone());
        Arc::new(move |events: &[StoredEvent]| {
            hooked.lock().unwrap().extend(events.iter().map(|e| e.seq));
            if hold.swap(false, Ordering::SeqCst) {
                entered.lock().unwrap().send(()).unwrap();
                wait_release.lock().unwrap().recv().unwrap();
            }
        })
    };
    let log = open(&path, Some(hook));
    log.append_blocking(request(registration(), "test"))
        .unwrap();
    let side = rusqlite::Connection::open(&path).unwrap();
    side.execute_batch(
        "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.actor = 'boom' \
         BEGIN SELECT RAISE(ROLLBACK, 'simulated I/O error'); END;",
    )
    .unwrap();

    hold.store(true, Ordering::SeqCst);
    let (replies, answers) = mpsc::channel::<(char, Result<usize, String>)>();
    let reply = |name: char| -> Reply {
        let replies = replies.clone();
        Box::new(move |result: Result<AppendOutcome, AppendError>| {
            let result = result.map(|o| o.stored_new).map_err(|e| e.to_string());
            let _ = replies.send((name, result));
        })
    };
    log.append_with(request(training(1), "test"), reply('X'));
    wait_entered.recv().unwrap();
    log.append_with(request(training(2), "test"), reply('A'));
    log.append_with(request(training(3), "boom"), reply('B'));
    log.append_with(request(training(4), "test"), reply('C'));
    release.send(()).unwrap();
    let mut answers: Vec<_> = (0..4).map(|_| answers.recv().unwrap()).collect();
    answers.sort_by_key(|(name, _)| *name);
    let stored: Vec<i64> = side
        .prepare(
            "SELECT json_extract(data, '$.sessions') FROM events \
             WHERE type = 'training.held' ORDER BY seq",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored, [1], "only X, committed before the group, is stored");
    for (name, answer) in &answers {
        match name {
            'X' => assert_eq!(answer, &Ok(1)),
            _ => assert!(answer.is_err(), "{name} answered {answer:?}"),
        }
    }
    assert_eq!(*hooked.lock().unwrap(), [1, 2]);
    assert!(log.verify(&mut |_| {}).unwrap().ok());
    // The writer goes on from the right head.
    side.execute_batch("DROP TRIGGER boom").unwrap();
    log.append_blocking(request(training(5), "test")).unwrap();
    assert!(log.verify(&mut |_| {}).unwrap().ok());
}

/// A damaged row whose id sorts above every other hides nothing: every id is looked up, and an
/// idempotent repeat is still answered as one.
#[test]
fn an_unreadable_newest_id_keeps_idempotency() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acta.db");
    let id = "01JD0000000000000000000001";
    let mut repeated = training(1);
    repeated["id"] = json!(id);
    {
        let log = open(&path, None);
        log.append_blocking(request(registration(), "test"))
            .unwrap();
        log.append_blocking(request(repeated.clone(), "test"))
            .unwrap();
        let side = rusqlite::Connection::open(&path).unwrap();
        side.execute(
            "INSERT INTO events (seq, id, type, plan, version, occurred_on, date_precision, \
             recorded_at, actor, data, evidence, prev_hash, hash) VALUES (3, 'damaged', \
             'training.held', 'zz', 1, '2013-05-01', 'day', '2026-11-28T12:00:00.000Z', 'x', \
             '{}', NULL, 'x', 'x')",
            [],
        )
        .unwrap();
    }
    let log = reopen(&path).unwrap();
    let outcome = log.append_blocking(request(repeated, "test")).unwrap();
    assert_eq!(outcome.stored_new, 0, "an idempotent repeat");
}

/// A damaged row whose id is not even text does not keep the writer from starting.
#[test]
fn a_blob_id_does_not_stop_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acta.db");
    {
        let log = open(&path, None);
        log.append_blocking(request(registration(), "test"))
            .unwrap();
        let side = rusqlite::Connection::open(&path).unwrap();
        side.execute(
            "INSERT INTO events (seq, id, type, plan, version, occurred_on, date_precision, \
             recorded_at, actor, data, evidence, prev_hash, hash) VALUES (2, X'01', \
             'training.held', 'p', 2, '2013-05-01', 'day', '2026-11-28T12:00:00.000Z', 'x', \
             '{}', NULL, 'x', 'x')",
            [],
        )
        .unwrap();
    }
    assert!(reopen(&path).is_ok());
}

/// The hash the writer stores equals both the general recipe and an independent one, for
/// awkward actors, keys beyond U+E000, escapes and evidence with and without a locator.
#[test]
fn the_writer_hashes_by_the_contract_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&dir.path().join("acta.db"), None);
    let actor = "ph\u{f2}ng \"sxsh\"\\\u{1}\u{7f}\t\u{2028}";
    let bodies = [
        json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
               "data": {"title": "P \u{1f600}", "kind": "plan", "period": {"from_year": 2011, "to_year": 2015}}}),
        json!({"type": "training.held", "plan": "p", "occurred_on": "2013-05-01",
               "data": {"topic": "t", "sessions": 2, "participants": 9,
                        "participants_by_group": {"\u{1f600}": 1, "\u{ff61}": 2, "b": 3, "\u{e000}": 4,
                                                  "\u{d7ff}": 5, "é": 6, "A\"\\": 7, "\u{10ffff}x": 8}},
               "evidence": {"document": "B\u{e1}o c\u{e1}o \"1\"\\", "locator": "m\u{1ee5}c\t4"}}),
        json!({"type": "training.held", "plan": "p", "occurred_on": "2013-05-01",
               "data": {"topic": "\u{ffff}\u{10000}", "sessions": 9007199254740991i64, "participants": 0},
               "evidence": {"document": "x"}}),
    ];
    for body in &bodies {
        log.append_blocking(request(body.clone(), actor)).unwrap();
    }
    let events = log
        .events(&EventFilter {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), bodies.len());
    // Canonical JSON written independently: every object sorted by UTF-16 code units here.
    fn canonical(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                let members: Vec<String> = entries
                    .iter()
                    .map(|(key, item)| {
                        format!(
                            "{}:{}",
                            serde_json::to_string(key).unwrap(),
                            canonical(item)
                        )
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(canonical).collect();
                format!("[{}]", items.join(","))
            }
            other => serde_json::to_string(other).unwrap(),
        }
    }
    for event in &events {
        let general =
            acta_events::stored::chain_hash(&event.prev_hash, &event.hashed_body()).unwrap();
        assert_eq!(event.hash, general, "seq {}", event.seq);
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(event.prev_hash.as_bytes());
        hasher.update(canonical(&event.hashed_body()).as_bytes());
        let independent: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(event.hash, independent, "seq {}", event.seq);
    }
    assert!(log.verify(&mut |_| {}).unwrap().ok());
}

/// Events committed by another connection behind the writer's back (the lock can be got past
/// only by hand, e.g. with the sqlite3 shell): the writer sees them at its next group, hands
/// them to the projections, and chains its own events after them — no `500` for a taken seq.
/// See: issue 17 — after an import through a symbolic link every append was `500` (`UNIQUE
/// constraint failed: events.seq`) and the projections missed the imported events.
#[test]
fn events_committed_behind_the_writers_back_are_taken_in_and_chained_after() {
    let dir = tempfile::tempdir().unwrap();
    // Two logs with the same first two events (same clock, same ids): the second then gets a
    // third event, which is copied into the first one's file with raw SQL.
    let (first, second) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let with_id = |mut body: Value, id: &str| {
        body["id"] = json!(id);
        body
    };
    let shared = [
        with_id(registration(), "01JD0000000000000000000001"),
        with_id(training(1), "01JD0000000000000000000002"),
    ];
    let hooked: Arc<Mutex<Vec<u64>>> = Arc::default();
    let hook: CommitHook = {
        let hooked = hooked.clone();
        Arc::new(move |events: &[StoredEvent]| {
            hooked.lock().unwrap().extend(events.iter().map(|e| e.seq))
        })
    };
    let log = open(&first, Some(hook));
    let other = open(&second, None);
    for body in &shared {
        log.append_blocking(request(body.clone(), "a")).unwrap();
        other.append_blocking(request(body.clone(), "a")).unwrap();
    }
    let third = other.append_blocking(request(training(3), "a")).unwrap();
    drop(other);
    let raw = rusqlite::Connection::open(&first).unwrap();
    raw.execute("ATTACH DATABASE ?1 AS other", [second.to_str().unwrap()])
        .unwrap();
    raw.execute(
        "INSERT INTO main.events SELECT * FROM other.events WHERE seq = 3",
        [],
    )
    .unwrap();
    drop(raw);

    let fourth = log.append_blocking(request(training(4), "a")).unwrap();
    let stored = &fourth.events[0];
    assert_eq!(
        stored.seq, 4,
        "chained after the event stored behind its back"
    );
    assert_eq!(stored.prev_hash, third.events[0].hash);
    assert_eq!(
        *hooked.lock().unwrap(),
        vec![1, 2, 3, 4],
        "the projections miss nothing"
    );
    let report = log.verify(&mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.checked, 4);
}

/// A database whose events changed beneath the running writer (the file restored from another
/// copy while the server ran) is refused for writing, with the cause, rather than chained onto.
#[test]
fn a_database_rewritten_beneath_the_writer_is_refused_for_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acta.db");
    let log = open(&path, None);
    log.append_blocking(request(registration(), "a")).unwrap();
    log.append_blocking(request(training(1), "a")).unwrap();
    // Behind its back, the newest event goes (the delete trigger dropped first, as someone
    // with the sqlite3 shell could).
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("DROP TRIGGER events_are_never_deleted; DELETE FROM events WHERE seq = 2;")
        .unwrap();
    drop(raw);
    let refused = log.append_blocking(request(training(2), "a")).unwrap_err();
    match &refused {
        AppendError::Unavailable(cause) => {
            assert!(
                cause.contains("changed beneath the running writer"),
                "{cause}"
            )
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(
        log.writer_health().status,
        acta_events::WriterStatus::Refusing
    );
    // And it stays refused: nothing more is written into that file by this writer.
    assert!(matches!(
        log.append_blocking(request(training(3), "a")),
        Err(AppendError::Unavailable(_))
    ));
    assert_eq!(log.head().unwrap().seq, 1);
}

/// An id the server makes takes its time from the injected clock, not the machine's, and ids
/// made by one writer rise with `seq` (the lookup-free path for new ids leans on that order).
/// See: issue 18 — `Ulid::new()` in the writer read the wall clock.
#[test]
fn generated_ids_take_their_time_from_the_injected_clock_and_rise() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(&dir.path().join("acta.db"), None);
    log.append_blocking(request(registration(), "a")).unwrap();
    let clock_ms = u64::try_from(clock()().as_millisecond()).unwrap();
    let mut previous = None;
    for sessions in 1..=50 {
        let stored = log
            .append_blocking(request(training(sessions), "a"))
            .unwrap();
        let id = stored.events[0].id.ulid();
        assert_eq!(
            id.timestamp_ms(),
            clock_ms,
            "the id's time is the injected clock's"
        );
        assert!(previous < Some(id), "ids rise with seq");
        previous = Some(id);
    }
}
