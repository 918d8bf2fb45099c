//! A small builder of stored events for tests: no SQLite, no hashes, a clock the test controls.

use std::collections::HashMap;

use acta_events::{CivilDate, DatePrecision, EventId, EventType, Instant, PlanKey, StoredEvent};
use serde_json::{Value, json};

use crate::{Query, Record};

/// The id of the `n`-th event a test builds: a canonical ULID.
pub(crate) fn id(n: u64) -> EventId {
    format!("01JD{n:022}").parse().expect("a canonical ULID")
}

pub(crate) fn date(text: &str) -> CivilDate {
    text.parse().expect("a valid date")
}

pub(crate) fn instant(text: &str) -> Instant {
    text.parse().expect("a valid instant")
}

pub(crate) fn plan_key(text: &str) -> PlanKey {
    text.parse().expect("a valid plan key")
}

/// Today in every test: long after every act.
pub(crate) const TODAY: &str = "2026-11-28";

pub(crate) fn now() -> Query {
    Query::now(date(TODAY))
}

pub(crate) fn as_of(day: &str) -> Query {
    Query {
        as_of: Some(date(day)),
        ..now()
    }
}

pub(crate) fn known_at(at: &str) -> Query {
    Query {
        known_at: Some(instant(at)),
        ..now()
    }
}

pub(crate) fn within(plan: &str) -> Query {
    Query {
        plan: Some(plan_key(plan)),
        ..now()
    }
}

/// Builds a log as the store would: `seq` 1, 2, 3, …, a version per plan stream, and a
/// `recorded_at` one second after the previous event unless the test sets it with [`at`].
///
/// [`at`]: LogBuilder::at
#[derive(Debug)]
pub(crate) struct LogBuilder {
    events: Vec<StoredEvent>,
    clock_ms: i64,
    versions: HashMap<String, u64>,
    /// The plan of every event so far, for corrections (which belong to their target's plan).
    plan_of: HashMap<EventId, String>,
}

impl Default for LogBuilder {
    fn default() -> Self {
        LogBuilder {
            events: Vec::new(),
            clock_ms: instant("2026-01-01T00:00:00Z").as_millisecond(),
            versions: HashMap::new(),
            plan_of: HashMap::new(),
        }
    }
}

impl LogBuilder {
    /// The next event is recorded at `at` (and later ones one second apart from there).
    pub(crate) fn at(&mut self, at: &str) -> &mut Self {
        self.clock_ms = instant(at).as_millisecond() - 1000;
        self
    }

    pub(crate) fn event(
        &mut self,
        event_type: &str,
        plan: &str,
        occurred_on: &str,
        data: Value,
    ) -> EventId {
        let seq = self.events.len() as u64 + 1;
        let event_id = id(seq);
        let version = self.versions.entry(plan.to_owned()).or_insert(0);
        *version += 1;
        self.clock_ms += 1000;
        self.plan_of.insert(event_id, plan.to_owned());
        self.events.push(StoredEvent {
            seq,
            id: event_id,
            event_type: event_type.parse::<EventType>().expect("a known type"),
            plan: plan_key(plan),
            version: *version,
            occurred_on: date(occurred_on),
            date_precision: DatePrecision::Day,
            recorded_at: Instant::from_timestamp(
                jiff::Timestamp::from_millisecond(self.clock_ms).expect("in range"),
            ),
            actor: "test".to_owned(),
            data,
            evidence: None,
            prev_hash: String::new(),
            hash: String::new(),
        });
        event_id
    }

    pub(crate) fn register(&mut self, plan: &str, parent: Option<&str>, on: &str) -> EventId {
        let mut data = json!({
            "title": format!("Plan {plan}"), "kind": "plan",
            "period": {"from_year": 2009, "to_year": 2020},
        });
        if let Some(parent) = parent {
            data["parent"] = json!(parent);
        }
        self.event("plan.registered", plan, on, data)
    }

    pub(crate) fn approve(&mut self, plan: &str, on: &str) -> EventId {
        self.event(
            "plan.approved",
            plan,
            on,
            json!({"decision": format!("1/QĐ-{plan}")}),
        )
    }

    pub(crate) fn funds(
        &mut self,
        kind: &str,
        plan: &str,
        on: &str,
        fiscal_year: i16,
        source: &str,
        amount: u64,
    ) -> EventId {
        self.event(
            &format!("funds.{kind}"),
            plan,
            on,
            json!({"fiscal_year": fiscal_year, "source": source, "amount": amount}),
        )
    }

    pub(crate) fn correct(&mut self, target: EventId, on: &str, correction: Value) -> EventId {
        let plan = self.plan_of[&target].clone();
        let mut data = json!({"target": target.to_string(), "reason": "typo"});
        for (key, value) in correction.as_object().expect("an object") {
            data[key] = value.clone();
        }
        self.event("event.corrected", &plan, on, data)
    }

    pub(crate) fn retract(&mut self, target: EventId, on: &str) -> EventId {
        let plan = self.plan_of[&target].clone();
        self.event(
            "event.retracted",
            &plan,
            on,
            json!({"target": target.to_string(), "reason": "recorded twice"}),
        )
    }

    /// The `recorded_at` of the last event built.
    pub(crate) fn last_recorded(&self) -> Instant {
        self.events.last().expect("an event").recorded_at
    }

    pub(crate) fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    pub(crate) fn record(&self) -> Record {
        record_of(&self.events)
    }
}

pub(crate) fn record_of(events: &[StoredEvent]) -> Record {
    let mut record = Record::default();
    for event in events {
        record.apply(event);
    }
    record
}

/// Replays `events` into `record` as the cold start does ([`Record::replay`]): each borrowed as
/// a row would be, its data as the canonical text the store writes.
pub(crate) fn replay_into(record: &mut Record, events: &[StoredEvent]) {
    for event in events {
        let data = acta_events::jcs::canonical_json(&event.data)
            .unwrap_or_else(|_| event.data.to_string());
        record.replay(&acta_events::EventRow {
            header: event.header(),
            data: &data,
        });
    }
}

/// A serialised answer, for comparisons with `json!`.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("answers serialise")
}

/// Asserts that `answer` serialises directly to the very bytes it gives through a
/// `serde_json::Value`, whose maps sort their keys: the server renders answers directly, and
/// every answer of the API has its keys in byte order. A field declared out of order, or a map
/// kept in another order, fails here.
pub(crate) fn assert_keys_in_order<T: serde::Serialize>(what: &str, answer: &T) {
    let direct = serde_json::to_vec(answer).expect("answers serialise");
    let through_value = serde_json::to_vec(&to_json(answer)).expect("answers serialise");
    assert!(
        direct == through_value,
        "{what}: keys out of order\n  direct: {}\n  sorted: {}",
        String::from_utf8_lossy(&direct),
        String::from_utf8_lossy(&through_value)
    );
}

/// [`assert_keys_in_order`] for every answer of `record` to `query`: funding, the yearly
/// summary, reconciliation, every plan's status (the list of `GET /v1/plans` and each plan
/// alone). Returns how many bytes were compared, so a caller can check that the answers were
/// not trivially small.
pub(crate) fn assert_answers_keys_in_order(record: &Record, query: &Query) -> usize {
    let what = |answer: &str| format!("{answer} for {query:?}");
    let funding = record.funding(query);
    assert_keys_in_order(&what("funding"), &funding);
    let yearly = record.yearly(query);
    assert_keys_in_order(&what("yearly"), &yearly);
    let reconciliation = record.reconciliation(query);
    assert_keys_in_order(&what("reconciliation"), &reconciliation);
    let plans = record.plans(query);
    assert_keys_in_order(&what("plans"), &plans);
    for status in &plans {
        let plan = record.plan(&status.plan, query);
        assert_keys_in_order(&what(&format!("plan {}", status.plan)), &plan);
    }
    [
        serde_json::to_vec(&funding),
        serde_json::to_vec(&yearly),
        serde_json::to_vec(&reconciliation),
        serde_json::to_vec(&plans),
    ]
    .into_iter()
    .map(|bytes| bytes.expect("answers serialise").len())
    .sum()
}
