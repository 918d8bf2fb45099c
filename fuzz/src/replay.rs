//! The cold start end to end, in memory: a log of stored events folded into the projections
//! twice — as a running server folds each commit ([`Record::apply`], the event's `data` a JSON
//! value) and as the cold start folds each stored row ([`Record::replay`], the `data` text read
//! by the borrowed reader where it vouches) — must answer every query alike.
//!
//! Depends on `acta-events`, `acta-projections` and `serde_json` only:
//! `projections/tests/fuzz_regressions.rs` includes this file (`#[path]`).

use acta_events::{
    CivilDate, DatePrecision, EventId, EventRow, EventType, GENESIS_HASH, Instant, PlanKey,
    StoredEvent,
};
use acta_projections::{Query, Record};
use serde_json::Value;

/// The plan every fuzzed event belongs to, registered by the log's first event.
const PLAN: &str = "p";

/// The id of the event at `seq`: the fuzzer finds it to aim a correction at an event.
pub fn event_id(seq: u64) -> EventId {
    format!("01KBKQ1C3W5X0P8ZJ7M2N{:05}", seq % 100_000)
        .parse()
        .expect("an event id")
}

/// The log the input describes, after a `plan.registered` of [`PLAN`]: one event a line, the
/// line's first byte naming its type (of [`EventType::ALL`]), its second its date (a day of
/// 2009–2016), the rest its stored `data` text. A line whose text is not JSON cannot be a
/// stored event and is left out.
pub fn log_of(bytes: &[u8]) -> Vec<(StoredEvent, String)> {
    let registered = r#"{"kind":"plan","period":{"from_year":2009,"to_year":2015},"title":"t"}"#;
    let mut lines = vec![(EventType::PlanRegistered, 0u8, registered.to_owned())];
    for line in bytes.split(|&byte| byte == b'\n') {
        let [kind, day, text @ ..] = line else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(text) else {
            continue;
        };
        let event_type = EventType::ALL[usize::from(*kind) % EventType::ALL.len()];
        lines.push((event_type, *day, text.to_owned()));
    }
    let first_day = CivilDate::new(2009, 1, 1).expect("a date").jiff();
    let first_recorded: Instant = "2026-01-01T00:00:00Z".parse().expect("an instant");
    let mut log = Vec::new();
    for (event_type, day, text) in lines {
        let Ok(data) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let seq = log.len() as u64 + 1;
        let occurred_on = first_day
            .checked_add(jiff::Span::new().days(i64::from(day) * 11))
            .expect("a date within 2009–2016");
        let recorded_at = Instant::from_timestamp(
            first_recorded.timestamp() + jiff::Span::new().hours(i64::try_from(seq).unwrap()),
        );
        let event = StoredEvent {
            seq,
            id: event_id(seq),
            event_type,
            plan: PLAN.parse::<PlanKey>().expect("a plan key"),
            version: seq,
            occurred_on: occurred_on.into(),
            date_precision: DatePrecision::default(),
            recorded_at,
            actor: "fuzz".to_owned(),
            data,
            evidence: None,
            prev_hash: GENESIS_HASH.to_owned(),
            hash: GENESIS_HASH.to_owned(),
        };
        log.push((event, text));
    }
    log
}

/// Folds the log both ways and asserts that every query answers alike.
pub fn replay_agrees(bytes: &[u8]) {
    let log = log_of(bytes);
    let mut applied = Record::with_checkpoint_every(4);
    let mut replayed = Record::with_checkpoint_every(4);
    for (event, text) in &log {
        applied.apply(event);
        replayed.replay(&EventRow {
            header: event.header(),
            data: text,
        });
    }
    let today = CivilDate::new(2026, 12, 4).expect("a date");
    let queries = [
        (None, None),
        (Some(CivilDate::new(2012, 6, 30).expect("a date")), None),
        (
            None,
            log.get(log.len() / 2).map(|(event, _)| event.recorded_at),
        ),
    ];
    for (as_of, known_at) in queries {
        let query = Query {
            as_of,
            known_at,
            plan: None,
            today,
        };
        let answers = |record: &Record| {
            [
                json(&record.plans(&query)),
                json(&record.funding(&query)),
                json(&record.yearly(&query)),
                json(&record.reconciliation(&query)),
            ]
        };
        let (applied, replayed) = (answers(&applied), answers(&replayed));
        for (applied, replayed) in applied.iter().zip(&replayed) {
            assert_eq!(
                applied, replayed,
                "applied and replayed answer otherwise ({as_of:?}, {known_at:?})"
            );
        }
    }
}

fn json<T: serde::Serialize>(answer: &T) -> Value {
    serde_json::to_value(answer).expect("answers serialise")
}
