//! What an act's data says that a [`Record`](crate::Record) keeps ([`ActFacts`]), read either
//! from a checked [`EventData`] or, at the cold start, straight from the stored text of `data`.
//!
//! The cold start reads every stored event, and most are acts. Reading their `data` into a
//! `serde_json::Value` and then field by field into an `EventData` costs a map, a string per key
//! and per text, and their frees; [`ActFacts::read`] instead decodes the stored text with serde
//! into borrowed fields and keeps only what the record reads. It accepts only data that
//! [`EventData::parse`] accepts, checked by the same rules (unknown fields, texts, integer
//! ranges, years, amounts, names of kinds), and reads the same facts from it; anything else —
//! another type of event, a string with escapes, a duplicated key, a map not in canonical order,
//! anything refused — it leaves to `EventData::parse`, whose answer then stands.

use std::marker::PhantomData;
use std::str::FromStr;

use acta_events::catalogue::{AssessmentKind, Channel, DecisionKind, Source};
use acta_events::fields::COLLECTION_ENTRIES_MAX;
use acta_events::types::JSON_SAFE_INTEGER_MAX;
use acta_events::{Amount, EventData, EventType, IndicatorKey, Text};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::compact::FundsKind;

/// What an act's data says that the record reads, borrowed from where it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActFacts<'a> {
    Decision {
        number: &'a str,
        issuer: &'a str,
        title: &'a str,
    },
    Unit {
        name: &'a str,
    },
    Staff {
        count: u64,
    },
    Training {
        topic: &'a str,
        sessions: u64,
        participants: Option<u64>,
        /// The sum of `participants_by_group` (saturating), when the groups are given.
        group_sum: Option<u64>,
    },
    Outreach {
        channel: Channel,
        items: u64,
    },
    Assessment {
        enterprises: u64,
    },
    Progress {
        indicator: &'a str,
        quantity: u64,
    },
    Target {
        indicator: &'a str,
        year: i16,
        quantity: u64,
    },
    Funds {
        kind: FundsKind,
        fiscal_year: i16,
        source: Source,
        amount: u64,
    },
    Total {
        metric: &'a str,
        amount: u64,
        amount_in_words: Option<&'a str>,
        from_year: Option<i16>,
        to_year: Option<i16>,
    },
}

impl<'a> ActFacts<'a> {
    /// The facts of checked data; `None` for data that is not an act's (lifecycle, corrections).
    pub(crate) fn of(data: &'a EventData) -> Option<ActFacts<'a>> {
        Some(match data {
            EventData::DecisionIssued(decision) => ActFacts::Decision {
                number: decision.number.as_str(),
                issuer: decision.issuer.as_str(),
                title: decision.title.as_str(),
            },
            EventData::UnitEstablished(unit) => ActFacts::Unit {
                name: unit.name.as_str(),
            },
            EventData::StaffAssigned(staff) => ActFacts::Staff { count: staff.count },
            EventData::TrainingHeld(training) => ActFacts::Training {
                topic: training.topic.as_str(),
                sessions: training.sessions,
                participants: training.participants,
                group_sum: training
                    .participants_by_group
                    .as_ref()
                    .map(|groups| groups.values().fold(0u64, |sum, n| sum.saturating_add(*n))),
            },
            EventData::OutreachDelivered(outreach) => ActFacts::Outreach {
                channel: outreach.channel,
                items: outreach.items,
            },
            EventData::AssessmentCompleted(assessment) => ActFacts::Assessment {
                enterprises: assessment.enterprises,
            },
            EventData::ProgressReported(progress) => ActFacts::Progress {
                indicator: progress.indicator.as_str(),
                quantity: progress.quantity,
            },
            EventData::TargetSet(target) => ActFacts::Target {
                indicator: target.indicator.as_str(),
                year: target.year,
                quantity: target.quantity,
            },
            EventData::FundsPlanned(funds)
            | EventData::FundsAllocated(funds)
            | EventData::FundsDisbursed(funds) => ActFacts::Funds {
                kind: match data {
                    EventData::FundsPlanned(_) => FundsKind::Planned,
                    EventData::FundsAllocated(_) => FundsKind::Allocated,
                    _ => FundsKind::Disbursed,
                },
                fiscal_year: funds.fiscal_year,
                source: funds.source,
                amount: funds.amount.dong(),
            },
            EventData::TotalReported(total) => ActFacts::Total {
                metric: total.metric.as_str(),
                amount: total.amount.dong(),
                amount_in_words: total.amount_in_words.as_ref().map(Text::as_str),
                from_year: total.from_year,
                to_year: total.to_year,
            },
            EventData::PlanRegistered(_)
            | EventData::PlanSubmitted(_)
            | EventData::PlanApproved(_)
            | EventData::PlanCompleted(_)
            | EventData::PlanCancelled(_)
            | EventData::EventCorrected(_)
            | EventData::EventRetracted(_) => return None,
        })
    }

    /// The facts of the stored `data` text of an act of type `event_type`, read without an
    /// intermediate JSON value, or `None` when this reader does not vouch for them (see the
    /// module's documentation): the caller then reads the text in full.
    pub(crate) fn read(event_type: EventType, data: &'a str) -> Option<ActFacts<'a>> {
        // A struct also reads from a JSON array; `data` must be an object.
        if !data.trim_start().starts_with('{') {
            return None;
        }
        Some(match event_type {
            EventType::DecisionIssued => {
                let decision: Decision<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Decision {
                    number: decision.number.0,
                    issuer: decision.issuer.0,
                    title: decision.title.0,
                }
            }
            EventType::StaffAssigned => {
                let staff: Staff<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Staff {
                    count: staff.count.0,
                }
            }
            EventType::TrainingHeld => {
                let training: Training<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Training {
                    topic: training.topic.0,
                    sessions: training.sessions.0,
                    participants: training.participants.0.map(|count| count.0),
                    group_sum: training.participants_by_group.0.map(|groups| groups.0),
                }
            }
            EventType::OutreachDelivered => {
                let outreach: Outreach<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Outreach {
                    channel: outreach.channel.0,
                    items: outreach.items.0,
                }
            }
            EventType::AssessmentCompleted => {
                let assessment: Assessment = serde_json::from_str(data).ok()?;
                ActFacts::Assessment {
                    enterprises: assessment.enterprises.0,
                }
            }
            EventType::ProgressReported => {
                let progress: Progress<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Progress {
                    indicator: progress.indicator.0,
                    quantity: progress.quantity.0,
                }
            }
            EventType::TargetSet => {
                let target: Target<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Target {
                    indicator: target.indicator.0,
                    year: target.year.0,
                    quantity: target.quantity.0,
                }
            }
            EventType::FundsPlanned | EventType::FundsAllocated | EventType::FundsDisbursed => {
                let funds: Funds<'_> = serde_json::from_str(data).ok()?;
                ActFacts::Funds {
                    kind: match event_type {
                        EventType::FundsPlanned => FundsKind::Planned,
                        EventType::FundsAllocated => FundsKind::Allocated,
                        _ => FundsKind::Disbursed,
                    },
                    fiscal_year: funds.fiscal_year.0,
                    source: funds.source.0,
                    amount: funds.amount.0,
                }
            }
            // Rare: read in full.
            _ => return None,
        })
    }
}

// The data of each act type this reader vouches for: every field `EventData::parse` knows, the
// optional ones defaulting to absent, and no other (the field lists of `catalogue.rs`).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision<'a> {
    #[serde(borrow)]
    number: Checked<'a>,
    #[serde(borrow)]
    issuer: Checked<'a>,
    #[serde(borrow)]
    title: Checked<'a>,
    #[serde(default)]
    #[allow(dead_code, reason = "checked, not kept")]
    kind: Optional<Named<DecisionKind>>,
    #[serde(default)]
    #[allow(dead_code, reason = "checked, not kept")]
    basis: Optional<TextList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Staff<'a> {
    #[serde(borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    unit: Checked<'a>,
    count: Count<1>,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    role: Optional<Checked<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Training<'a> {
    #[serde(borrow)]
    topic: Checked<'a>,
    sessions: Count<1>,
    #[serde(default)]
    participants: Optional<Count<0>>,
    #[serde(default)]
    participants_by_group: Optional<GroupSum>,
    #[serde(default)]
    #[allow(dead_code, reason = "checked, not kept")]
    organisations: Optional<Count<0>>,
    #[serde(default)]
    #[allow(dead_code, reason = "checked, not kept")]
    approximate: Optional<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outreach<'a> {
    channel: Named<Channel>,
    items: Count<1>,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    note: Optional<Checked<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assessment {
    #[allow(dead_code, reason = "checked, not kept")]
    kind: Named<AssessmentKind>,
    enterprises: Count<1>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Progress<'a> {
    #[serde(borrow)]
    indicator: Indicator<'a>,
    quantity: Count<0>,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    note: Optional<Checked<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target<'a> {
    #[serde(borrow)]
    indicator: Indicator<'a>,
    year: Year,
    quantity: Count<0>,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    unit: Optional<Checked<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Funds<'a> {
    fiscal_year: Year,
    source: Named<Source>,
    amount: Money,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    budget_line: Optional<Checked<'a>>,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "checked, not kept")]
    document: Optional<Checked<'a>>,
}

// Each field type checks what the matching reader of `acta_events::fields` checks.

/// A field that may be absent but, present, must be valid: unlike `Option`, `null` is refused.
struct Optional<T>(Option<T>);

impl<T> Default for Optional<T> {
    fn default() -> Self {
        Optional(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Optional<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|value| Optional(Some(value)))
    }
}

/// A text field (`fields::text`), borrowed: a string with escapes is not read here.
struct Checked<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for Checked<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'a str>::deserialize(deserializer)?;
        Text::check(text).map_err(de::Error::custom)?;
        Ok(Checked(text))
    }
}

/// An indicator key (`fields::indicator`).
struct Indicator<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for Indicator<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'a str>::deserialize(deserializer)?;
        if !IndicatorKey::is_valid(text) {
            return Err(de::Error::custom("not an indicator key"));
        }
        Ok(Indicator(text))
    }
}

/// One of a fixed set of names (`fields::parsed`).
struct Named<T>(T);

impl<'de, T: FromStr<Err = String>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <&'de str>::deserialize(deserializer)?;
        text.parse().map(Named).map_err(de::Error::custom)
    }
}

/// An integer within `MIN..=2^53 − 1` (`fields::integer_at_least`). serde_json reads a float,
/// a negative or a string as no `u64`.
struct Count<const MIN: u64>(u64);

impl<'de, const MIN: u64> Deserialize<'de> for Count<MIN> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let count = u64::deserialize(deserializer)?;
        if !(MIN..=JSON_SAFE_INTEGER_MAX).contains(&count) {
            return Err(de::Error::custom("out of range"));
        }
        Ok(Count(count))
    }
}

/// A year within the contract's range (`fields::year`).
struct Year(i16);

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let year = i64::deserialize(deserializer)?;
        i16::try_from(year)
            .ok()
            .filter(|year| {
                (acta_events::types::YEAR_MIN..=acta_events::types::YEAR_MAX).contains(year)
            })
            .map(Year)
            .ok_or_else(|| de::Error::custom("not a year of the contract"))
    }
}

/// An amount of đồng (`fields::amount`).
struct Money(u64);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let dong = u64::deserialize(deserializer)?;
        Amount::new(dong)
            .map(|amount| Money(amount.dong()))
            .map_err(de::Error::custom)
    }
}

/// An array of at most `COLLECTION_ENTRIES_MAX` texts (`fields::text_list`), checked, not kept.
struct TextList;

impl<'de> Deserialize<'de> for TextList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Texts;

        impl<'de> Visitor<'de> for Texts {
            type Value = TextList;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an array of texts")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<TextList, A::Error> {
                let mut count = 0;
                while items.next_element::<Checked<'de>>()?.is_some() {
                    count += 1;
                    if count > COLLECTION_ENTRIES_MAX {
                        return Err(de::Error::custom("too many entries"));
                    }
                }
                Ok(TextList)
            }
        }

        deserializer.deserialize_seq(Texts)
    }
}

/// The sum of a map of names to counts (`fields::count_map`), saturating as the record sums
/// it. Its names must come in strictly increasing order, as the store's canonical JSON writes
/// them: a name given twice (which a JSON value would keep once) is left to the full reader.
struct GroupSum(u64);

impl<'de> Deserialize<'de> for GroupSum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Groups<'de>(PhantomData<&'de ()>);

        impl<'de> Visitor<'de> for Groups<'de> {
            type Value = GroupSum;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an object of names to integers")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<GroupSum, A::Error> {
                let mut sum = 0u64;
                let mut count = 0;
                let mut previous: Option<&'de str> = None;
                while let Some(Checked(name)) = entries.next_key::<Checked<'de>>()? {
                    if previous.is_some_and(|previous| previous >= name) {
                        return Err(de::Error::custom("names out of canonical order"));
                    }
                    previous = Some(name);
                    count += 1;
                    if count > COLLECTION_ENTRIES_MAX {
                        return Err(de::Error::custom("too many entries"));
                    }
                    let Count(value) = entries.next_value::<Count<0>>()?;
                    sum = sum.saturating_add(value);
                }
                Ok(GroupSum(sum))
            }
        }

        deserializer.deserialize_map(Groups(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use acta_events::jcs::canonical_json;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// The fields a fast reader's struct accepts, as serde names them when it refuses another:
    /// "unknown field `x`, expected one of `a`, `b`" (or "expected `a` or `b`").
    fn fields_of<T: Deserialize<'static>>() -> Vec<String> {
        let refusal = match serde_json::from_str::<T>(r#"{"_no_such_field_": 0}"#) {
            Ok(_) => panic!("a reader accepted an unknown field"),
            Err(error) => error.to_string(),
        };
        let expected = refusal
            .split("expected ")
            .nth(1)
            .unwrap_or_else(|| panic!("no field list in {refusal:?}"));
        let mut fields: Vec<String> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        fields.sort();
        fields
    }

    /// A field added to the catalogue and forgotten in the fast reader would make the cold
    /// start fall back to the slow reader for every event of that type, silently (and one the
    /// fast reader knows that the catalogue does not, accept what the catalogue refuses).
    /// See: issue 18 — decode.rs restated the catalogue's field lists across the crate boundary.
    #[test]
    fn the_fast_readers_fields_are_the_catalogues() {
        let readers: [(EventType, Vec<String>); 10] = [
            (EventType::DecisionIssued, fields_of::<Decision<'static>>()),
            (EventType::StaffAssigned, fields_of::<Staff<'static>>()),
            (EventType::TrainingHeld, fields_of::<Training<'static>>()),
            (
                EventType::OutreachDelivered,
                fields_of::<Outreach<'static>>(),
            ),
            (EventType::AssessmentCompleted, fields_of::<Assessment>()),
            (
                EventType::ProgressReported,
                fields_of::<Progress<'static>>(),
            ),
            (EventType::TargetSet, fields_of::<Target<'static>>()),
            (EventType::FundsPlanned, fields_of::<Funds<'static>>()),
            (EventType::FundsAllocated, fields_of::<Funds<'static>>()),
            (EventType::FundsDisbursed, fields_of::<Funds<'static>>()),
        ];
        for (event_type, fast) in readers {
            let mut catalogue: Vec<String> = acta_events::catalogue::data_fields(event_type)
                .iter()
                .map(|field| (*field).to_owned())
                .collect();
            catalogue.sort();
            assert_eq!(
                fast, catalogue,
                "{event_type}: the fast reader and the catalogue"
            );
        }
    }

    /// Reads `text` both ways: the fast reader must refuse what the full reader refuses and,
    /// where it vouches for data, read the facts the full reader reads. Returns whether it
    /// vouched.
    fn agrees(event_type: EventType, text: &str) -> bool {
        let read = ActFacts::read(event_type, text);
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            assert_eq!(read, None, "read {text} which is not JSON");
            return false;
        };
        match (read, EventData::parse(event_type, &value, "/data")) {
            (Some(read), Ok(parsed)) => {
                assert_eq!(Some(read), ActFacts::of(&parsed), "{text}");
                true
            }
            (Some(read), Err(errors)) => {
                panic!("read {read:?} from {text}, which the full reader refuses: {errors:?}")
            }
            (None, _) => false,
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
