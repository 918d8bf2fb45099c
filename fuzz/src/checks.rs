//! The properties the fuzz targets check: each function takes the input's bytes, reads them the
//! way acta does, and panics when acta crashes or reads them wrongly — when two readers that
//! must agree disagree, or when what was accepted does not read back as itself.
//!
//! This file depends on `acta-events` and `serde_json` only: `events/tests/fuzz_regressions.rs`
//! includes it (`#[path]`) to replay every input the fuzzer found in the ordinary test suite.

use acta_events::catalogue::{Borrowed, BorrowedData, FieldAt};
use acta_events::request::EVENT_JSON_BYTES_MAX;
use acta_events::{
    CivilDate, EventData, EventId, EventType, FieldError, FieldErrors, GENESIS_HASH, Instant,
    NewEvent, Recorded, StoredEvent, jcs, json,
};
use serde_json::{Map, Value};

/// The server's date the fuzzed requests are read on: fixed, so that a run repeats.
pub fn today() -> CivilDate {
    "2026-12-04".parse().expect("a date")
}

/// A body of `POST /v1/events` (and of `POST /v1/events/batch`), read as the handlers read it.
///
/// - `json::parse` builds exactly the value `serde_json::from_slice` builds, when it accepts;
/// - one event alone and the same event as a batch of one are accepted or refused alike, the
///   batch's errors being the single event's under `/events/0`;
/// - every accepted event passes [`accepted_event`].
pub fn request_body(bytes: &[u8]) {
    let Ok(body) = json::parse(bytes) else {
        return;
    };
    let plain: Value = serde_json::from_slice(bytes).expect("json::parse accepted it");
    assert_eq!(
        plain, body,
        "json::parse and serde_json read the bytes differently"
    );

    let single = NewEvent::parse(&body, "", today());
    if bytes.len() < EVENT_JSON_BYTES_MAX {
        let batch = serde_json::json!({ "events": [body.clone()] });
        match (&single, NewEvent::parse_batch(&batch, today())) {
            (Ok(event), Ok(events)) => assert_eq!(std::slice::from_ref(event), events),
            (Err(errors), Err(batch_errors)) => {
                assert_eq!(under(errors, "/events/0"), batch_errors)
            }
            (single, batch) => panic!("alone: {single:?}\nin a batch of one: {batch:?}"),
        }
    }
    if let Ok(event) = &single {
        accepted_event(event);
    }
    if let Ok(events) = NewEvent::parse_batch(&body, today()) {
        events.iter().for_each(accepted_event);
    }
}

/// One line of an export, as `acta import` reads it: when accepted, it passes
/// [`accepted_event`], and the stored shape written back from it reads as the same event.
pub fn recorded_line(bytes: &[u8]) {
    let Ok(line) = json::parse(bytes) else {
        return;
    };
    let Ok(event) = NewEvent::parse_recorded(&line, today()) else {
        return;
    };
    accepted_event(&event);
    let recorded = event
        .recorded
        .clone()
        .expect("a restored event says how it was recorded");
    let stored = stored_shape(&event, recorded);
    assert_eq!(
        read_back(&stored),
        event,
        "the export line does not read back"
    );
}

/// The `data` text of a stored event as the cold start reads it: the first byte picks the
/// event type (of [`EventType::ALL`]), the rest is the text.
pub fn stored_data_bytes(bytes: &[u8]) {
    let Some((&first, rest)) = bytes.split_first() else {
        return;
    };
    let event_type = EventType::ALL[usize::from(first) % EVENT_TYPES];
    if let Ok(text) = std::str::from_utf8(rest) {
        stored_data(event_type, text);
    }
}

const EVENT_TYPES: usize = EventType::ALL.len();

/// Reads stored `data` text both ways the cold start may: the borrowed reader
/// ([`BorrowedData::read`]) must vouch only for text the full reader (`serde_json` and
/// [`EventData::parse`]) accepts, and read every field as the full reader does. Returns whether
/// it vouched.
pub fn stored_data(event_type: EventType, text: &str) -> bool {
    let Some(read) = BorrowedData::read(event_type, text) else {
        return false;
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => panic!("the borrowed reader read {text:?}, which is not JSON: {error}"),
    };
    let parsed = match EventData::parse(event_type, &value, "/data") {
        Ok(parsed) => parsed,
        Err(errors) => panic!("the borrowed reader read {text:?}, refused in full: {errors:?}"),
    };
    let parsed = serde_json::to_value(&parsed).expect("data serialises");
    let (Value::Object(sent), Value::Object(parsed)) = (&value, &parsed) else {
        panic!("accepted data that is no object: {text:?}")
    };
    for name in sent.keys().chain(parsed.keys()) {
        let full = &parsed[name];
        let at = FieldAt::of(event_type, name);
        match read.get(at) {
            None => assert!(sent.get(name).is_none(), "{name} not read from {text:?}"),
            Some(Borrowed::Text(value)) => assert_eq!(full, value, "{name} of {text:?}"),
            Some(Borrowed::Integer(value)) => assert_eq!(full, value, "{name} of {text:?}"),
            Some(Borrowed::Year(value)) => assert_eq!(full, value, "{name} of {text:?}"),
            Some(Borrowed::Boolean(value)) => assert_eq!(full, value, "{name} of {text:?}"),
            Some(Borrowed::TextList(count)) => {
                assert_eq!(
                    full.as_array().map(Vec::len),
                    Some(count),
                    "{name} of {text:?}"
                )
            }
            Some(Borrowed::CountSum(sum)) => {
                let counts = full.as_object().expect("a map of counts");
                let full_sum = counts.values().fold(0u64, |sum, count| {
                    sum.saturating_add(count.as_u64().expect("a count"))
                });
                assert_eq!(full_sum, sum, "{name} of {text:?}");
            }
        }
    }
    true
}

/// What every accepted event must satisfy:
///
/// - its stored text (`data_canonical`) is the canonical JSON of its `data`, reads back as the
///   same `data` value and as the same typed data, and the cold start's borrowed reader agrees
///   with the full one on it ([`stored_data`]);
/// - its evidence's canonical text is the canonical JSON of its evidence;
/// - sent again as a request, it reads as itself;
/// - stored and exported, the export line reads back as itself, and the two ways of hashing
///   it (from the stored text, as the writer does, and from the value, as verification does)
///   give one hash.
pub fn accepted_event(event: &NewEvent) {
    let canonical = jcs::canonical_json(&event.data_json).expect("accepted data holds no float");
    assert_eq!(
        canonical, event.data_canonical,
        "data_canonical is not canonical"
    );
    let stored_value: Value = serde_json::from_str(&event.data_canonical).expect("stored text");
    assert_eq!(
        stored_value, event.data_json,
        "the stored text reads as other data"
    );
    match EventData::parse(event.event_type, &stored_value, "/data") {
        Ok(data) => assert_eq!(
            data, event.data,
            "the stored text reads as other typed data"
        ),
        Err(errors) => panic!("the stored text {canonical} is refused: {errors:?}"),
    }
    stored_data(event.event_type, &event.data_canonical);
    if let Some(evidence) = &event.evidence {
        let canonical = jcs::canonical_json(&evidence.to_json()).expect("evidence has no float");
        assert_eq!(evidence.canonical_json(), canonical);
    }

    let mut request = Map::new();
    if let Some(id) = event.id {
        request.insert("id".into(), id.to_string().into());
    }
    request.insert("type".into(), event.event_type.as_str().into());
    request.insert("plan".into(), event.plan.as_str().into());
    request.insert("occurred_on".into(), event.occurred_on.to_string().into());
    request.insert(
        "date_precision".into(),
        event.date_precision.as_str().into(),
    );
    request.insert("data".into(), event.data_json.clone());
    if let Some(evidence) = &event.evidence {
        request.insert("evidence".into(), evidence.to_json());
    }
    if let Some(version) = event.expected_version {
        request.insert("expected_version".into(), version.into());
    }
    let text = Value::Object(request).to_string();
    let again = json::parse(text.as_bytes()).expect("a request written as JSON");
    match NewEvent::parse(&again, "", today()) {
        Ok(again) => assert_eq!(
            NewEvent {
                recorded: None,
                ..event.clone()
            },
            again,
            "sent again, {text} reads otherwise"
        ),
        Err(errors) => panic!("sent again, {text} is refused: {errors:?}"),
    }

    let recorded = Recorded {
        seq: 7,
        version: 3,
        recorded_at: "2026-12-04T01:02:03.456Z"
            .parse::<Instant>()
            .expect("an instant"),
        actor: "fuzz".to_owned(),
        prev_hash: GENESIS_HASH.to_owned(),
        hash: String::new(),
    };
    let mut stored = stored_shape(event, recorded);
    let from_value = stored.compute_hash().expect("no float");
    assert_eq!(from_value, stored.compute_hash_with(&event.data_canonical));
    stored.hash = from_value;
    let restored = read_back(&stored);
    let expected = NewEvent {
        id: Some(stored.id),
        expected_version: None,
        recorded: restored.recorded.clone(),
        ..event.clone()
    };
    assert_eq!(restored, expected, "the export line does not read back");
}

/// The stored shape of `event`, recorded as `recorded` says, its `data` read from its stored
/// text as a scan of the log reads it.
fn stored_shape(event: &NewEvent, recorded: Recorded) -> StoredEvent {
    let id = event.id.unwrap_or_else(|| {
        "01KBKQ1C3W5X0P8ZJ7M2N4R6T8"
            .parse::<EventId>()
            .expect("an event id")
    });
    StoredEvent {
        seq: recorded.seq,
        id,
        event_type: event.event_type,
        plan: event.plan.clone(),
        version: recorded.version,
        occurred_on: event.occurred_on,
        date_precision: event.date_precision,
        recorded_at: recorded.recorded_at,
        actor: recorded.actor,
        data: serde_json::from_str(&event.data_canonical).expect("stored text"),
        evidence: event.evidence.as_ref().map(|evidence| evidence.to_json()),
        prev_hash: recorded.prev_hash,
        hash: if recorded.hash.is_empty() {
            GENESIS_HASH.to_owned()
        } else {
            recorded.hash
        },
    }
}

/// `stored` written as an export line and read back by `acta import`'s reader.
fn read_back(stored: &StoredEvent) -> NewEvent {
    let line = stored.to_json().to_string();
    let value = json::parse(line.as_bytes()).expect("an export line is JSON");
    match NewEvent::parse_recorded(&value, today()) {
        Ok(event) => {
            let recorded = event.recorded.as_ref().expect("recorded");
            assert_eq!(
                (recorded.seq, recorded.version, recorded.recorded_at),
                (stored.seq, stored.version, stored.recorded_at)
            );
            assert_eq!(
                (&recorded.actor, &recorded.prev_hash, &recorded.hash),
                (&stored.actor, &stored.prev_hash, &stored.hash)
            );
            event
        }
        Err(errors) => panic!("the export line {line} is refused: {errors:?}"),
    }
}

/// `errors` of an event read alone, as a batch names them: under `prefix`.
fn under(errors: &FieldErrors, prefix: &str) -> FieldErrors {
    let moved = |list: &[FieldError]| {
        list.iter()
            .map(|error| FieldError::new(format!("{prefix}{}", error.field), error.message.clone()))
            .collect()
    };
    FieldErrors {
        unknown: moved(&errors.unknown),
        invalid: moved(&errors.invalid),
    }
}
