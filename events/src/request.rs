//! Request-shaped events (CONTRACT §2 "Request shape"): what a client sends, read into a
//! validated [`NewEvent`] before anything touches the log.

use acta_messages::{Message, codes};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalogue::{EventData, EventType};
use crate::fields::{self, FieldErrors, ObjectReader, Text};
use crate::types::{CivilDate, DatePrecision, EventId, Instant, PlanKey};

/// Most events one batch may carry (`422` at `/events` beyond).
pub const BATCH_EVENTS_MAX: usize = 10_000;

/// Most bytes of one event's JSON: the body limit of `POST /v1/events`, held inside a batch too,
/// so that every event of a batch could be retried alone.
pub const EVENT_JSON_BYTES_MAX: usize = 1024 * 1024;

/// The length of `value` written as compact JSON, without writing it anywhere.
fn json_length(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value).map_or(usize::MAX, |()| counter.0)
}

/// What an act is recorded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub document: Text,
    pub locator: Option<Text>,
}

impl Evidence {
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("document".into(), self.document.as_str().into());
        let locator = self.locator.as_ref().map(Text::as_str);
        object.insert("locator".into(), locator.into());
        Value::Object(object)
    }

    /// The canonical JSON (RFC 8785) of [`Evidence::to_json`], written directly: its two keys
    /// are in canonical order.
    pub fn canonical_json(&self) -> String {
        let mut out = String::with_capacity(64);
        out.push_str("{\"document\":");
        crate::jcs::write_string(self.document.as_str(), &mut out);
        out.push_str(",\"locator\":");
        match &self.locator {
            Some(locator) => crate::jcs::write_string(locator.as_str(), &mut out),
            None => out.push_str("null"),
        }
        out.push('}');
        out
    }
}

/// One validated request-shaped event: every field checked on its own. The rules that depend on
/// what is already stored (streams, references, uniqueness) are checked when it is appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: Option<EventId>,
    pub event_type: EventType,
    pub plan: PlanKey,
    pub occurred_on: CivilDate,
    pub date_precision: DatePrecision,
    pub data: EventData,
    /// `data` exactly as sent: this is what is stored and hashed.
    pub data_json: Value,
    /// `data_json` as canonical JSON (RFC 8785): the text stored and hashed. Written here, on
    /// the thread that read the request, so the single writer thread does not.
    pub data_canonical: String,
    pub evidence: Option<Evidence>,
    pub expected_version: Option<u64>,
    /// How the event was recorded, when it is restored from an export (see
    /// [`NewEvent::parse_recorded`]); `None` for a new act.
    pub recorded: Option<Recorded>,
}

/// How a restored event was recorded: appended with these, it is stored exactly as it was — or
/// refused, if they do not fit the log it is appended to or its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub seq: u64,
    pub version: u64,
    pub recorded_at: Instant,
    pub actor: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields of the stored shape beyond the request's (`acta export` writes them).
const RECORDED_FIELDS: &[&str] = &[
    "seq",
    "id",
    "type",
    "plan",
    "version",
    "occurred_on",
    "date_precision",
    "recorded_at",
    "actor",
    "data",
    "evidence",
    "prev_hash",
    "hash",
];

const REQUEST_FIELDS: &[&str] = &[
    "id",
    "type",
    "plan",
    "occurred_on",
    "date_precision",
    "data",
    "evidence",
    "expected_version",
];

impl NewEvent {
    /// Reads one request-shaped event found at `pointer` (`""` for a single event,
    /// `/events/3` in a batch). `today` is the server's date in UTC: an act may be dated at
    /// most one day after it.
    pub fn parse(body: &Value, pointer: &str, today: CivilDate) -> Result<NewEvent, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(mut r) = ObjectReader::new(body, pointer, REQUEST_FIELDS, &mut errors) else {
            return Err(errors);
        };
        let latest_date = today.tomorrow();
        let not_in_future = |date: CivilDate| {
            if date > latest_date {
                Err(Message::new(codes::DATE_IN_FUTURE)
                    .text("date", date.to_string())
                    .text("latest", latest_date.to_string()))
            } else {
                Ok(date)
            }
        };
        let id = r.optional("id", fields::event_id);
        let event_type = r.required("type", fields::parsed::<EventType>);
        let plan = r.required("plan", fields::plan_key);
        let occurred_on = r.required("occurred_on", |v| fields::date(v).and_then(not_in_future));
        let date_precision = r
            .optional("date_precision", fields::parsed::<DatePrecision>)
            .unwrap_or_default();
        let evidence = match r.raw("evidence") {
            None | Some(Value::Null) => None,
            Some(value) => {
                let evidence_pointer = r.pointer_of("evidence");
                read_evidence(value, &evidence_pointer, r.errors())
            }
        };
        let expected_version = r.optional("expected_version", fields::integer_at_least(0));
        let data_pointer = r.pointer_of("data");
        let data_json = r.raw("data").cloned();
        let data = match (&data_json, event_type) {
            (None, _) => {
                r.errors().invalid(&data_pointer, codes::DATA_REQUIRED);
                None
            }
            (Some(data_json), Some(event_type)) => {
                match EventData::parse(event_type, data_json, &data_pointer) {
                    Ok(data) => Some(data),
                    Err(data_errors) => {
                        r.errors().extend(data_errors);
                        None
                    }
                }
            }
            // The type is unknown, so its fields cannot be; still refuse a `data` that is no
            // object at all.
            (Some(data_json), None) => {
                if !data_json.is_object() {
                    r.errors().invalid(
                        &data_pointer,
                        Message::new(codes::NOT_A_JSON_OBJECT).got(data_json),
                    );
                }
                None
            }
        };
        if let Some(EventData::EventCorrected(correction)) = &data
            && let Some(date) = correction.occurred_on
            && let Err(message) = not_in_future(date)
        {
            r.errors()
                .invalid(format!("{data_pointer}/occurred_on"), message);
        }
        fields::refuse_format_characters(body, pointer, r.errors());
        // Only a `data` the catalogue accepted (which refuses floats) is written canonically.
        let accepted = data_json.as_ref().filter(|_| data.is_some());
        let data_canonical = match accepted.map(crate::jcs::canonical_json) {
            Some(Err(float)) => {
                r.errors().invalid(
                    &data_pointer,
                    Message::new(codes::FLOAT_IN_DATA).text("value", float.0),
                );
                None
            }
            canonical => canonical.and_then(Result::ok),
        };
        match (
            event_type,
            plan,
            occurred_on,
            data,
            data_json,
            data_canonical,
        ) {
            (
                Some(event_type),
                Some(plan),
                Some(occurred_on),
                Some(data),
                Some(data_json),
                Some(data_canonical),
            ) if errors.is_empty() => Ok(NewEvent {
                id,
                event_type,
                plan,
                occurred_on,
                date_precision,
                data,
                data_json,
                data_canonical,
                evidence,
                expected_version,
                recorded: None,
            }),
            _ => Err(errors),
        }
    }

    /// Reads one event in the stored shape, as `acta export` writes it: its act as
    /// [`NewEvent::parse`] reads a request (every check again), and how it was recorded. Every
    /// field of the stored shape is required (`evidence` may be null), `id` among them.
    pub fn parse_recorded(body: &Value, today: CivilDate) -> Result<NewEvent, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(mut r) = ObjectReader::new(body, "", RECORDED_FIELDS, &mut errors) else {
            return Err(errors);
        };
        let hash = |value: &Value| {
            let text = fields::string(value)?;
            match text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                true => Ok(text.to_owned()),
                false => Err(Message::new(codes::HASH_FORMAT)),
            }
        };
        let seq = r.required("seq", fields::integer_at_least(1));
        let version = r.required("version", fields::integer_at_least(1));
        let recorded_at = r.required("recorded_at", fields::parsed::<Instant>);
        let actor = r.required("actor", |value| fields::string(value).map(str::to_owned));
        let prev_hash = r.required("prev_hash", hash);
        let hash = r.required("hash", hash);
        if !r.has("id") {
            r.errors().invalid("/id", codes::RESTORED_NEEDS_ID);
        }
        let Value::Object(object) = body else {
            unreachable!("ObjectReader accepted an object")
        };
        let request: Map<String, Value> = object
            .iter()
            .filter(|(key, _)| REQUEST_FIELDS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let event = NewEvent::parse(&Value::Object(request), "", today);
        let event = match event {
            Ok(event) => Some(event),
            Err(request_errors) => {
                errors.extend(request_errors);
                None
            }
        };
        match (event, seq, version, recorded_at, actor, prev_hash, hash) {
            (
                Some(mut event),
                Some(seq),
                Some(version),
                Some(recorded_at),
                Some(actor),
                Some(prev_hash),
                Some(hash),
            ) if errors.is_empty() => {
                event.recorded = Some(Recorded {
                    seq,
                    version,
                    recorded_at,
                    actor,
                    prev_hash,
                    hash,
                });
                Ok(event)
            }
            _ => Err(errors),
        }
    }

    /// Reads a batch body `{"events": [...]}`: 1..=10,000 events, each checked; errors name
    /// `/events/<i>/…`.
    pub fn parse_batch(body: &Value, today: CivilDate) -> Result<Vec<NewEvent>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let Some(mut r) = ObjectReader::new(body, "", &["events"], &mut errors) else {
            return Err(errors);
        };
        let checked = r.required("events", |value| match value {
            Value::Array(items) if items.is_empty() => Err(Message::new(codes::BATCH_EMPTY)),
            Value::Array(items) if items.len() > BATCH_EVENTS_MAX => {
                Err(Message::new(codes::BATCH_TOO_LARGE)
                    .int("maximum", BATCH_EVENTS_MAX as u64)
                    .int("count", items.len() as u64))
            }
            Value::Array(_) => Ok(()),
            other => Err(Message::new(codes::NOT_AN_ARRAY_OF_EVENTS).got(other)),
        });
        let items = match (checked, r.raw("events")) {
            (Some(()), Some(Value::Array(items))) => items.as_slice(),
            _ => &[],
        };
        let mut parsed = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if json_length(item) > EVENT_JSON_BYTES_MAX {
                errors.invalid(
                    format!("/events/{index}"),
                    Message::new(codes::EVENT_TOO_LARGE)
                        .int("maximum", EVENT_JSON_BYTES_MAX as u64),
                );
                continue;
            }
            match NewEvent::parse(item, &format!("/events/{index}"), today) {
                Ok(event) => parsed.push(event),
                Err(event_errors) => errors.extend(event_errors),
            }
        }
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }

    /// The parts of the event that an idempotent repeat must match, as one JSON object.
    pub fn content(&self) -> Value {
        content_json(
            self.event_type,
            &self.plan,
            self.occurred_on,
            self.date_precision,
            &self.data_json,
            self.evidence.as_ref().map(Evidence::to_json),
        )
    }
}

/// The content that identifies a request for idempotency: type, plan, occurred_on,
/// date_precision, data and evidence.
pub fn content_json(
    event_type: EventType,
    plan: &PlanKey,
    occurred_on: CivilDate,
    date_precision: DatePrecision,
    data: &Value,
    evidence: Option<Value>,
) -> Value {
    let mut content = Map::new();
    content.insert("type".into(), event_type.as_str().into());
    content.insert("plan".into(), plan.as_str().into());
    content.insert("occurred_on".into(), occurred_on.to_string().into());
    content.insert("date_precision".into(), date_precision.as_str().into());
    content.insert("data".into(), data.clone());
    content.insert("evidence".into(), evidence.unwrap_or(Value::Null));
    Value::Object(content)
}

fn read_evidence(value: &Value, pointer: &str, errors: &mut FieldErrors) -> Option<Evidence> {
    let mut evidence = ObjectReader::new(value, pointer, &["document", "locator"], errors)?;
    let document = evidence.required("document", fields::text);
    // `"locator": null` is how the stored shape writes "not given": accept it back.
    let locator = match evidence.raw("locator") {
        Some(Value::Null) => None,
        _ => evidence.optional("locator", fields::text),
    };
    Some(Evidence {
        document: document?,
        locator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> CivilDate {
        "2026-11-28".parse().unwrap()
    }

    #[test]
    fn evidence_is_written_canonically_without_a_detour() {
        for evidence in [
            Evidence {
                document: "Báo cáo \"số 1\"".parse().unwrap(),
                locator: Some("mục 4\tdòng 2".parse().unwrap()),
            },
            Evidence {
                document: "Báo cáo".parse().unwrap(),
                locator: None,
            },
        ] {
            let general = crate::jcs::canonical_json(&serde_json::to_value(&evidence).unwrap());
            assert_eq!(evidence.canonical_json(), general.unwrap());
            assert_eq!(evidence.to_json(), serde_json::to_value(&evidence).unwrap());
        }
    }

    #[test]
    fn a_full_request_reads() {
        let body = json!({
            "id": "01JD0000000000000000000000", "type": "funds.disbursed", "plan": "dn-kh-2014",
            "occurred_on": "2014-12-31", "date_precision": "year",
            "data": {"fiscal_year": 2014, "source": "local", "amount": 587000000},
            "evidence": {"document": "Báo cáo", "locator": "mục 4"}, "expected_version": 7
        });
        let event = NewEvent::parse(&body, "", today()).unwrap();
        assert_eq!(event.event_type, EventType::FundsDisbursed);
        assert_eq!(event.date_precision, DatePrecision::Year);
        assert_eq!(event.expected_version, Some(7));
        assert_eq!(event.data.fiscal_year(), Some(2014));
    }

    #[test]
    fn tomorrow_is_accepted_the_day_after_is_not() {
        let body = |date: &str| json!({"type": "plan.completed", "plan": "p", "occurred_on": date, "data": {}});
        assert!(NewEvent::parse(&body("2026-11-29"), "", today()).is_ok());
        let errors = NewEvent::parse(&body("2026-11-30"), "", today()).unwrap_err();
        assert_eq!(errors.invalid[0].field, "/occurred_on");
    }

    #[test]
    fn every_problem_is_listed() {
        let body = json!({"type": "funds.planned", "plan": "Bad Key", "occurred_on": "07/12/2011",
                          "data": {"fiscal_year": 2011, "source": "bank", "amount": 1.5, "colour": 1}});
        let errors = NewEvent::parse(&body, "", today()).unwrap_err();
        let unknown: Vec<_> = errors.unknown.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(unknown, ["/data/colour"]);
        let invalid: Vec<_> = errors.invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            invalid,
            ["/plan", "/occurred_on", "/data/source", "/data/amount"]
        );
    }

    #[test]
    fn a_format_character_is_refused_in_a_request_but_a_stored_one_still_reads() {
        let data = json!({"title": "Kế hoạch\u{200B}", "kind": "plan",
                          "period": {"from_year": 2011, "to_year": 2015}});
        let body = json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
                          "data": data});
        let errors = NewEvent::parse(&body, "/events/4", today()).unwrap_err();
        let fields: Vec<_> = errors.invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/events/4/data/title"]);
        // An event recorded before the rule is read back (at every start) as it was stored.
        assert!(EventData::parse(EventType::PlanRegistered, &data, "/data").is_ok());
    }

    #[test]
    fn batch_limits() {
        let empty = NewEvent::parse_batch(&json!({"events": []}), today()).unwrap_err();
        assert_eq!(empty.invalid[0].field, "/events");
        let event =
            json!({"type": "plan.completed", "plan": "p", "occurred_on": "2020-01-01", "data": {}});
        let too_many = json!({"events": vec![event.clone(); BATCH_EVENTS_MAX + 1]});
        assert_eq!(
            NewEvent::parse_batch(&too_many, today())
                .unwrap_err()
                .invalid[0]
                .field,
            "/events"
        );
        let just_enough = json!({"events": vec![event; BATCH_EVENTS_MAX]});
        assert_eq!(
            NewEvent::parse_batch(&just_enough, today()).unwrap().len(),
            BATCH_EVENTS_MAX
        );
    }
}
