//! An act's `data` read straight from its stored text ([`BorrowedData`]), for the cold start.
//!
//! The cold start reads every stored event, and most are acts. Reading their `data` into a
//! `serde_json::Value` and then field by field into an [`EventData`] costs a map, a string per
//! key and per text, and their frees; [`BorrowedData::read`] instead decodes the stored text
//! with serde into values borrowed from it. It goes by the fields table (`table.rs`): it knows
//! every field the parser knows and checks each by its kind with the same rules (unknown
//! fields, texts, integer ranges, years, amounts, names of kinds), so it accepts only data that
//! [`EventData::parse`] accepts, and reads the same values from it. Anything else — another
//! type of event, a string with escapes, a duplicated key, a map not in canonical order,
//! anything refused — it leaves to `EventData::parse`, whose answer then stands.
//!
//! [`EventData`]: super::EventData
//! [`EventData::parse`]: super::EventData::parse

use std::marker::PhantomData;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::names::EventType;
use super::table::{DATA_FIELDS_MAX, Field, FieldAt, FieldKind, Presence, table};
use crate::fields::{COLLECTION_ENTRIES_MAX, Text};
use crate::types::{Amount, IndicatorKey, JSON_SAFE_INTEGER_MAX, YEAR_MAX, YEAR_MIN};

/// One field's value, borrowed from the stored text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Borrowed<'a> {
    /// A text, an indicator key or one of a set of names, as stored.
    Text(&'a str),
    /// An integer or an amount of đồng.
    Integer(u64),
    Year(i16),
    Boolean(bool),
    /// An array of texts, checked: how many it holds.
    TextList(usize),
    /// An object of names to counts, checked: the sum of its counts, saturating.
    CountSum(u64),
}

/// The checked `data` of an act, each field borrowed from its stored text.
#[derive(Debug, Clone, Copy)]
pub struct BorrowedData<'a> {
    event_type: EventType,
    fields: &'static [Field],
    /// Each field's value, in the order of `fields`; `None` where it is absent.
    values: Values<'a>,
}

type Values<'a> = [Option<Borrowed<'a>>; DATA_FIELDS_MAX];

impl<'a> BorrowedData<'a> {
    /// The stored `data` text of an event of type `event_type`, read and checked without an
    /// intermediate JSON value, or `None` when this reader does not vouch for it (see the
    /// module's documentation): the caller then reads the text in full.
    pub fn read(event_type: EventType, data: &'a str) -> Option<BorrowedData<'a>> {
        if !is_read_borrowed(event_type) {
            return None;
        }
        let fields = table(event_type).fields;
        let mut deserializer = serde_json::Deserializer::from_str(data);
        let values = (&mut deserializer)
            .deserialize_map(Entries {
                fields,
                text: PhantomData,
            })
            .ok()?;
        deserializer.end().ok()?;
        Some(BorrowedData {
            event_type,
            fields,
            values,
        })
    }

    pub fn event_type(&self) -> EventType {
        self.event_type
    }

    /// The value of `field`, `None` when it is absent. `field` must be one of this data's
    /// event type (or of one with the same table: the three funding types).
    pub fn get(&self, field: FieldAt) -> Option<Borrowed<'a>> {
        debug_assert_eq!(
            table(field.event_type).fields,
            self.fields,
            "{} has no such field",
            self.event_type
        );
        self.values[field.index]
    }

    /// A text, indicator key or name field.
    pub fn text(&self, field: FieldAt) -> Option<&'a str> {
        match self.get(field)? {
            Borrowed::Text(text) => Some(text),
            _ => None,
        }
    }

    /// A name field, parsed.
    pub fn named<T: FromStr>(&self, field: FieldAt) -> Option<T> {
        self.text(field)?.parse().ok()
    }

    /// An integer or amount field.
    pub fn integer(&self, field: FieldAt) -> Option<u64> {
        match self.get(field)? {
            Borrowed::Integer(integer) => Some(integer),
            _ => None,
        }
    }

    pub fn year(&self, field: FieldAt) -> Option<i16> {
        match self.get(field)? {
            Borrowed::Year(year) => Some(year),
            _ => None,
        }
    }

    /// The sum of a field of names to counts.
    pub fn count_sum(&self, field: FieldAt) -> Option<u64> {
        match self.get(field)? {
            Borrowed::CountSum(sum) => Some(sum),
            _ => None,
        }
    }
}

/// The types read here: the acts a busy log is made of, each field checked alone. The rest
/// are rare — lifecycle events, units, corrections, and totals, which also have a rule across
/// fields (`from_year` not after `to_year`) — and are read in full.
fn is_read_borrowed(event_type: EventType) -> bool {
    use EventType as T;
    matches!(
        event_type,
        T::DecisionIssued
            | T::StaffAssigned
            | T::TrainingHeld
            | T::OutreachDelivered
            | T::AssessmentCompleted
            | T::ProgressReported
            | T::TargetSet
            | T::FundsPlanned
            | T::FundsAllocated
            | T::FundsDisbursed
    )
}

/// The fields of one `data` object, each read by its kind in the table: no unknown field, none
/// twice, none required missing.
struct Entries<'de> {
    fields: &'static [Field],
    text: PhantomData<&'de str>,
}

impl<'de> Visitor<'de> for Entries<'de> {
    type Value = Values<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an object of the event type's fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Values<'de>, A::Error> {
        let mut values: Values<'de> = [None; DATA_FIELDS_MAX];
        // A key with escapes is no borrowed `&str`: left to the full reader.
        while let Some(name) = entries.next_key::<&'de str>()? {
            let Some(index) = self.fields.iter().position(|field| field.name == name) else {
                return Err(de::Error::custom("unknown field"));
            };
            if values[index].is_some() {
                return Err(de::Error::custom("a field given twice"));
            }
            let kind = self.fields[index].kind;
            values[index] = Some(entries.next_value_seed(ValueOf {
                kind,
                text: PhantomData,
            })?);
        }
        let missing = self
            .fields
            .iter()
            .zip(&values)
            .any(|(field, value)| field.presence == Presence::Required && value.is_none());
        if missing {
            return Err(de::Error::custom("a required field is missing"));
        }
        Ok(values)
    }
}

/// One field's value, checked as the reader of `crate::fields` its kind names checks it.
struct ValueOf<'de> {
    kind: FieldKind,
    text: PhantomData<&'de str>,
}

impl<'de> DeserializeSeed<'de> for ValueOf<'de> {
    type Value = Borrowed<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Borrowed<'de>, D::Error> {
        Ok(match self.kind {
            FieldKind::Text => Borrowed::Text(CheckedText::deserialize(deserializer)?.0),
            FieldKind::Indicator => {
                let text = <&'de str>::deserialize(deserializer)?;
                if !IndicatorKey::is_valid(text) {
                    return Err(de::Error::custom("not an indicator key"));
                }
                Borrowed::Text(text)
            }
            FieldKind::Named(names) => {
                let text = <&'de str>::deserialize(deserializer)?;
                if !names.contains(&text) {
                    return Err(de::Error::custom("not one of the names"));
                }
                Borrowed::Text(text)
            }
            // serde_json reads a float, a negative or a string as no `u64`.
            FieldKind::Integer { minimum } => {
                Borrowed::Integer(integer_at_least(minimum, u64::deserialize(deserializer)?)?)
            }
            FieldKind::Year => {
                let year = i64::deserialize(deserializer)?;
                let year = i16::try_from(year)
                    .ok()
                    .filter(|year| (YEAR_MIN..=YEAR_MAX).contains(year))
                    .ok_or_else(|| de::Error::custom("not a year of the contract"))?;
                Borrowed::Year(year)
            }
            FieldKind::Amount => {
                let dong = u64::deserialize(deserializer)?;
                Amount::new(dong).map_err(de::Error::custom)?;
                Borrowed::Integer(dong)
            }
            FieldKind::Boolean => Borrowed::Boolean(bool::deserialize(deserializer)?),
            FieldKind::TextList => Borrowed::TextList(deserializer.deserialize_seq(Texts)?),
            FieldKind::CountMap => {
                Borrowed::CountSum(deserializer.deserialize_map(Counts(PhantomData))?)
            }
            FieldKind::PlanKey
            | FieldKind::EventId
            | FieldKind::Date
            | FieldKind::Period
            | FieldKind::Object => return Err(de::Error::custom("not read borrowed")),
        })
    }
}

fn integer_at_least<E: de::Error>(minimum: u64, integer: u64) -> Result<u64, E> {
    if !(minimum..=JSON_SAFE_INTEGER_MAX).contains(&integer) {
        return Err(E::custom("out of range"));
    }
    Ok(integer)
}

/// A text (`fields::text`), borrowed: a string with escapes is not read here.
struct CheckedText<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for CheckedText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'a str>::deserialize(deserializer)?;
        Text::check(text).map_err(de::Error::custom)?;
        Ok(CheckedText(text))
    }
}

/// An array of at most `COLLECTION_ENTRIES_MAX` texts (`fields::text_list`): how many.
struct Texts;

impl<'de> Visitor<'de> for Texts {
    type Value = usize;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an array of texts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while items.next_element::<CheckedText<'de>>()?.is_some() {
            count += 1;
            if count > COLLECTION_ENTRIES_MAX {
                return Err(de::Error::custom("too many entries"));
            }
        }
        Ok(count)
    }
}

/// The sum of a map of names to counts (`fields::count_map`), saturating. Its names must come
/// in strictly increasing order, as the store's canonical JSON writes them: a name given twice
/// (which a JSON value would keep once) is left to the full reader.
struct Counts<'de>(PhantomData<&'de str>);

impl<'de> Visitor<'de> for Counts<'de> {
    type Value = u64;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an object of names to integers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<u64, A::Error> {
        let mut sum = 0u64;
        let mut count = 0;
        let mut previous: Option<&'de str> = None;
        while let Some(CheckedText(name)) = entries.next_key::<CheckedText<'de>>()? {
            if previous.is_some_and(|previous| previous >= name) {
                return Err(de::Error::custom("names out of canonical order"));
            }
            previous = Some(name);
            count += 1;
            if count > COLLECTION_ENTRIES_MAX {
                return Err(de::Error::custom("too many entries"));
            }
            let value = integer_at_least(0, entries.next_value::<u64>()?)?;
            sum = sum.saturating_add(value);
        }
        Ok(sum)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::catalogue::data::EventData;
    use crate::jcs::canonical_json;

    /// A value of `kind` that its reader of `crate::fields` accepts, and one it refuses.
    fn valid_and_invalid(kind: FieldKind) -> (Value, Value) {
        match kind {
            FieldKind::Text => (json!("x"), json!(" ")),
            FieldKind::Indicator => (json!("training.sessions"), json!("Training")),
            FieldKind::Integer { minimum: 0 } => (json!(0), json!(-1)),
            FieldKind::Integer { minimum } => (json!(minimum), json!(minimum - 1)),
            FieldKind::Year => (json!(2011), json!(1899)),
            FieldKind::Amount => (json!(1), json!(0)),
            FieldKind::Boolean => (json!(true), json!(1)),
            FieldKind::Named(names) => (json!(names[0]), json!("no such name")),
            FieldKind::TextList => (json!(["x"]), json!([""])),
            FieldKind::CountMap => (json!({"a": 1}), json!({"a": -1})),
            other => unreachable!("{other:?} is in no type read borrowed"),
        }
    }

    /// A field added to the table must be read by the parser as its kind says (or the fast
    /// reader would vouch for what the parser refuses, or read it otherwise), and the fast
    /// reader reads every field of the table by its kind. For each type it reads, and each
    /// field: present and valid, both readers accept it and read the same; present and
    /// invalid, or missing when required, or unknown, both refuse.
    /// See: issue 18 — decode.rs restated the catalogue's field lists across the crate boundary.
    #[test]
    fn the_fast_readers_fields_are_the_catalogues() {
        let read = EventType::ALL.iter().filter(|t| is_read_borrowed(**t));
        for &event_type in read {
            let fields = table(event_type).fields;
            let required: serde_json::Map<String, Value> = fields
                .iter()
                .filter(|field| field.presence == Presence::Required)
                .map(|field| (field.name.to_owned(), valid_and_invalid(field.kind).0))
                .collect();
            let refused = |data: &serde_json::Map<String, Value>| {
                let text = canonical(&Value::Object(data.clone()));
                let value = Value::Object(data.clone());
                assert!(
                    EventData::parse(event_type, &value, "/data").is_err(),
                    "{event_type}: the parser accepts {text}"
                );
                assert!(
                    !agrees(event_type, &text),
                    "{event_type}: vouched for {text}"
                );
            };
            let text = canonical(&Value::Object(required.clone()));
            assert!(agrees(event_type, &text), "{event_type}: {text}");
            for field in fields {
                let (valid, invalid) = valid_and_invalid(field.kind);
                let mut data = required.clone();
                data.insert(field.name.to_owned(), valid);
                let text = canonical(&Value::Object(data.clone()));
                assert!(agrees(event_type, &text), "{event_type}: {text}");
                data.insert(field.name.to_owned(), invalid);
                refused(&data);
                if field.presence == Presence::Required {
                    let mut without = required.clone();
                    without.remove(field.name);
                    refused(&without);
                }
            }
            let mut unknown = required.clone();
            unknown.insert("_no_such_field_".to_owned(), json!(0));
            refused(&unknown);
        }
    }

    /// Reads `text` both ways: the fast reader must refuse what the full reader refuses and,
    /// where it vouches for data, read the values the full reader reads. Returns whether it
    /// vouched.
    fn agrees(event_type: EventType, text: &str) -> bool {
        let read = BorrowedData::read(event_type, text);
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            assert!(read.is_none(), "read {text} which is not JSON");
            return false;
        };
        match (read, EventData::parse(event_type, &value, "/data")) {
            (Some(read), Ok(parsed)) => {
                assert_reads_the_same(&read, &value, &parsed, text);
                true
            }
            (Some(read), Err(errors)) => {
                panic!("read {read:?} from {text}, which the full reader refuses: {errors:?}")
            }
            (None, _) => false,
        }
    }

    /// Every field the fast reader read is the full reader's, and a field it did not read
    /// was not there.
    fn assert_reads_the_same(
        read: &BorrowedData<'_>,
        sent: &Value,
        parsed: &EventData,
        text: &str,
    ) {
        let parsed = serde_json::to_value(parsed).unwrap();
        for field in table(read.event_type()).fields {
            let full = &parsed[field.name];
            match read.get(FieldAt::of(read.event_type(), field.name)) {
                None => assert!(sent.get(field.name).is_none(), "{}: {text}", field.name),
                Some(Borrowed::Text(value)) => assert_eq!(full, value, "{text}"),
                Some(Borrowed::Integer(value)) => assert_eq!(full, value, "{text}"),
                Some(Borrowed::Year(value)) => assert_eq!(full, value, "{text}"),
                Some(Borrowed::Boolean(value)) => assert_eq!(full, value, "{text}"),
                Some(Borrowed::TextList(count)) => {
                    assert_eq!(full.as_array().map(Vec::len), Some(count), "{text}")
                }
                Some(Borrowed::CountSum(sum)) => {
                    let counts = full.as_object().expect("a map of counts");
                    let full_sum = counts.values().fold(0u64, |sum, count| {
                        sum.saturating_add(count.as_u64().unwrap())
                    });
                    assert_eq!(full_sum, sum, "{text}");
                }
            }
        }
    }

    /// As the store writes it.
    fn canonical(data: &Value) -> String {
        canonical_json(data).unwrap_or_else(|_| data.to_string())
    }

    /// Valid data of every act type the fast reader reads, with and without optional fields.
    fn examples() -> Vec<(&'static str, Value)> {
        vec![
            (
                "decision.issued",
                json!({"number": "1/QĐ", "issuer": "Sở Công Thương", "title": "Giao nhiệm vụ",
                       "kind": "plan", "basis": ["Luật", "Nghị định"]}),
            ),
            (
                "staff.assigned",
                json!({"unit": "Phòng SXSH", "count": 3, "role": "cán bộ"}),
            ),
            (
                "training.held",
                json!({"topic": "cleaner_production", "sessions": 2, "participants": 40,
                       "participants_by_group": {"Nhóm 0": 15, "Nhóm 1": 25, "nữ": 9_007_199_254_740_991u64},
                       "organisations": 0, "approximate": true}),
            ),
            ("training.held", json!({"topic": "t", "sessions": 1})),
            (
                "outreach.delivered",
                json!({"channel": "radio", "items": 500, "note": "phát sóng"}),
            ),
            (
                "assessment.completed",
                json!({"kind": "detailed", "enterprises": 8}),
            ),
            (
                "progress.reported",
                json!({"indicator": "enterprises.certified", "quantity": 0, "note": "n"}),
            ),
            (
                "target.set",
                json!({"indicator": "training.sessions", "year": 2200, "quantity": 10, "unit": "lớp"}),
            ),
            (
                "funds.planned",
                json!({"fiscal_year": 1900, "source": "central", "amount": 1}),
            ),
            (
                "funds.allocated",
                json!({"fiscal_year": 2011, "source": "local", "amount": 9_007_199_254_740_991u64,
                       "budget_line": "dòng 1", "document": "QĐ"}),
            ),
            (
                "funds.disbursed",
                json!({"fiscal_year": 2011, "source": "other", "amount": 1_000_000}),
            ),
        ]
    }

    #[test]
    fn the_acts_of_a_busy_log_are_read_straight_from_their_text() {
        for (event_type, data) in examples() {
            let text = canonical(&data);
            assert!(agrees(event_type.parse().unwrap(), &text), "{text}");
        }
    }

    #[test]
    fn data_the_full_reader_refuses_or_reads_otherwise_is_left_to_it() {
        let cases = [
            (
                "assessment.completed",
                r#"{"enterprises":1,"kind":"rapid","x":1}"#,
            ),
            ("assessment.completed", r#"{"enterprises":1}"#),
            (
                "assessment.completed",
                r#"{"enterprises":0,"kind":"rapid"}"#,
            ),
            (
                "assessment.completed",
                r#"{"enterprises":1.0,"kind":"rapid"}"#,
            ),
            (
                "assessment.completed",
                r#"{"enterprises":-1,"kind":"rapid"}"#,
            ),
            (
                "assessment.completed",
                r#"{"enterprises":"1","kind":"rapid"}"#,
            ),
            (
                "assessment.completed",
                r#"{"enterprises":1,"kind":"quick"}"#,
            ),
            (
                "assessment.completed",
                r#"{"enterprises":1,"enterprises":2,"kind":"rapid"}"#,
            ),
            ("assessment.completed", r#"[1,"rapid"]"#),
            (
                "assessment.completed",
                r#"{"enterprises":1,"kind":"rapid"} x"#,
            ),
            ("assessment.completed", "not json"),
            (
                "outreach.delivered",
                r#"{"channel":"radio","items":1,"note":null}"#,
            ),
            (
                "outreach.delivered",
                r#"{"channel":"radio","items":9007199254740992}"#,
            ),
            (
                "outreach.delivered",
                r#"{"channel":"radio","items":1,"note":"  "}"#,
            ),
            (
                "outreach.delivered",
                r#"{"channel":"radio","items":1,"note":"a\u0007"}"#,
            ),
            ("training.held", r#"{"sessions":1,"topic":"a\"b"}"#),
            ("training.held", r#"{"sessions":1,"topic":"a\nb"}"#),
            (
                "training.held",
                r#"{"participants_by_group":{"b":1,"a":2},"sessions":1,"topic":"t"}"#,
            ),
            (
                "training.held",
                r#"{"participants_by_group":{"a":1,"a":2},"sessions":1,"topic":"t"}"#,
            ),
            (
                "training.held",
                r#"{"participants_by_group":{"a":-1},"sessions":1,"topic":"t"}"#,
            ),
            (
                "training.held",
                r#"{"participants_by_group":[],"sessions":1,"topic":"t"}"#,
            ),
            (
                "training.held",
                r#"{"approximate":1,"sessions":1,"topic":"t"}"#,
            ),
            (
                "training.held",
                r#"{"organisations":null,"sessions":1,"topic":"t"}"#,
            ),
            (
                "target.set",
                r#"{"indicator":"Training","quantity":1,"year":2011}"#,
            ),
            (
                "target.set",
                r#"{"indicator":"t","quantity":1,"year":1899}"#,
            ),
            (
                "target.set",
                r#"{"indicator":"t","quantity":1,"year":2011.0}"#,
            ),
            (
                "funds.planned",
                r#"{"amount":0,"fiscal_year":2011,"source":"local"}"#,
            ),
            (
                "funds.planned",
                r#"{"amount":1,"fiscal_year":2011,"source":"state"}"#,
            ),
            (
                "funds.planned",
                r#"{"amount":1e6,"fiscal_year":2011,"source":"local"}"#,
            ),
            (
                "decision.issued",
                r#"{"basis":"x","issuer":"i","number":"n","title":"t"}"#,
            ),
            (
                "decision.issued",
                r#"{"basis":[""],"issuer":"i","number":"n","title":"t"}"#,
            ),
            (
                "decision.issued",
                r#"{"issuer":"i","kind":null,"number":"n","title":"t"}"#,
            ),
            ("unit.established", r#"{"name":"u"}"#),
            ("plan.submitted", r#"{}"#),
        ];
        for (event_type, text) in cases {
            assert!(
                !agrees(event_type.parse().unwrap(), text),
                "vouched for {text}"
            );
        }
        let many: serde_json::Map<String, Value> = (0..=COLLECTION_ENTRIES_MAX)
            .map(|n| (format!("{n:05}"), json!(1)))
            .collect();
        let text = canonical(&json!({"topic": "t", "sessions": 1, "participants_by_group": many}));
        assert!(!agrees(EventType::TrainingHeld, &text));
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop::sample::select(vec![
            json!(null),
            json!(-1),
            json!(0),
            json!(1),
            json!(2011),
            json!(1899),
            json!(9_007_199_254_740_991u64),
            json!(9_007_199_254_740_992u64),
            json!(1.5),
            json!(true),
            json!(""),
            json!(" "),
            json!("x"),
            json!("radio"),
            json!("rapid"),
            json!("central"),
            json!("training.sessions"),
            json!({}),
            json!({"a": 1}),
            json!({"a": 1, "b": 2}),
            json!({"a": "x"}),
            json!(["x"]),
            json!([]),
        ])
    }

    proptest! {
        /// Whatever the data, the fast reader never reads what the full reader refuses, and
        /// reads what it reads: valid examples with fields changed, removed or added.
        #[test]
        fn the_fast_reader_agrees_with_the_full_one(
            example in 0usize..11,
            changes in prop::collection::vec((0usize..3, 0usize..8, any_value()), 0..3),
        ) {
            let (event_type, data) = examples().swap_remove(example);
            let Value::Object(mut data) = data else { unreachable!("examples are objects") };
            for (change, field, value) in changes {
                let names: Vec<String> = data.keys().cloned().collect();
                match change {
                    0 if !names.is_empty() => {
                        data.insert(names[field % names.len()].clone(), value);
                    }
                    1 if !names.is_empty() => {
                        data.remove(&names[field % names.len()]);
                    }
                    _ => {
                        data.insert("extra".to_owned(), value);
                    }
                }
            }
            agrees(event_type.parse().unwrap(), &canonical(&Value::Object(data)));
        }
    }
}
