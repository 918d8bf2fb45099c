//! The one table of the fields each event type's `data` may carry: its name, whether it must
//! be there, and what kind of value it holds. The parser ([`EventData::parse`]) refuses any
//! other field by it, and the borrowed reader of stored data (`borrowed.rs`) reads and checks
//! every field by it, so a field is added in one place; a test in `borrowed.rs` fails if the
//! parser reads a field otherwise than its kind says.
//!
//! [`EventData::parse`]: super::EventData::parse

use super::names::{AssessmentKind, Channel, DecisionKind, EventType, PlanKind, Source};

/// One field of an event type's `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub presence: Presence,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    /// May be absent; present, it must be valid (`null` is not "absent").
    Optional,
}

/// What a field holds, as the readers of `crate::fields` check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A text (`fields::text`).
    Text,
    /// An indicator key (`fields::indicator`).
    Indicator,
    /// An integer within `minimum..=2^53 − 1` (`fields::integer_at_least`).
    Integer { minimum: u64 },
    /// A year of the contract (`fields::year`).
    Year,
    /// An amount of đồng (`fields::amount`).
    Amount,
    /// `true` or `false` (`fields::boolean`).
    Boolean,
    /// One of a fixed set of names (`fields::parsed`).
    Named(&'static [&'static str]),
    /// An array of texts (`fields::text_list`).
    TextList,
    /// An object of names to counts (`fields::count_map`).
    CountMap,
    /// A plan key (`fields::plan_key`).
    PlanKey,
    /// An event id (`fields::event_id`).
    EventId,
    /// A civil date (`fields::date`).
    Date,
    /// `from_year` and `to_year`, the first not after the second.
    Period,
    /// Any JSON object (a correction's replacement data).
    Object,
}

/// Most fields of any event type's `data`.
pub const DATA_FIELDS_MAX: usize = 6;

/// An event type's fields, their names also as a list of their own (what `ObjectReader`
/// expects), both written by [`fields!`] from one list.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub names: &'static [&'static str],
    pub fields: &'static [Field],
}

/// `fields![Required name: FieldKind::Text, Optional other: …]`: a [`Table`].
macro_rules! fields {
    ($($presence:ident $name:ident: $kind:expr),+ $(,)?) => {{
        const TABLE: Table = Table {
            names: &[$(stringify!($name)),+],
            fields: &[$(Field {
                name: stringify!($name),
                presence: Presence::$presence,
                kind: $kind,
            }),+],
        };
        TABLE
    }};
}

/// The fields `data` may have for each event type.
pub const fn table(event_type: EventType) -> Table {
    use EventType as T;
    use FieldKind::*;
    match event_type {
        T::PlanRegistered => fields![
            Required title: Text,
            Optional code: Text,
            Optional issuer: Text,
            Required kind: Named(PlanKind::NAMES),
            Required period: Period,
            Optional parent: PlanKey,
        ],
        T::PlanSubmitted => fields![Optional to: Text, Optional document: Text],
        T::PlanApproved => fields![Required decision: Text, Optional approved_by: Text],
        T::PlanCompleted => fields![Optional note: Text],
        T::PlanCancelled => fields![Required reason: Text],
        T::DecisionIssued => fields![
            Required number: Text,
            Required issuer: Text,
            Required title: Text,
            Optional kind: Named(DecisionKind::NAMES),
            Optional basis: TextList,
        ],
        T::UnitEstablished => fields![Required name: Text, Optional decision: Text],
        T::StaffAssigned => fields![
            Required unit: Text,
            Required count: Integer { minimum: 1 },
            Optional role: Text,
        ],
        T::TrainingHeld => fields![
            Required topic: Text,
            Required sessions: Integer { minimum: 1 },
            Optional participants: Integer { minimum: 0 },
            Optional participants_by_group: CountMap,
            Optional organisations: Integer { minimum: 0 },
            Optional approximate: Boolean,
        ],
        T::OutreachDelivered => fields![
            Required channel: Named(Channel::NAMES),
            Required items: Integer { minimum: 1 },
            Optional note: Text,
        ],
        T::AssessmentCompleted => fields![
            Required kind: Named(AssessmentKind::NAMES),
            Required enterprises: Integer { minimum: 1 },
        ],
        T::ProgressReported => fields![
            Required indicator: Indicator,
            Required quantity: Integer { minimum: 0 },
            Optional note: Text,
        ],
        T::TargetSet => fields![
            Required indicator: Indicator,
            Required year: Year,
            Required quantity: Integer { minimum: 0 },
            Optional unit: Text,
        ],
        T::FundsPlanned | T::FundsAllocated | T::FundsDisbursed => fields![
            Required fiscal_year: Year,
            Required source: Named(Source::NAMES),
            Required amount: Amount,
            Optional budget_line: Text,
            Optional document: Text,
        ],
        T::TotalReported => fields![
            Required metric: Indicator,
            Required amount: Amount,
            Optional amount_in_words: Text,
            Optional from_year: Year,
            Optional to_year: Year,
            Optional document: Text,
        ],
        T::EventCorrected => fields![
            Required target: EventId,
            Required reason: Text,
            Optional data: Object,
            Optional occurred_on: Date,
        ],
        T::EventRetracted => fields![Required target: EventId, Required reason: Text],
    }
}

/// A field of an event type's data, found in the table by its name when the program is
/// compiled (`const { FieldAt::of(EventType::StaffAssigned, "count") }`), so that reading it
/// is an index, and a name the table does not hold fails the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAt {
    pub(super) event_type: EventType,
    pub(super) index: usize,
}

impl FieldAt {
    /// The field `name` of `event_type`; panics (at compile time, in a `const`) if it has
    /// none of that name.
    pub const fn of(event_type: EventType, name: &str) -> FieldAt {
        let fields = table(event_type).fields;
        let mut index = 0;
        while index < fields.len() {
            if same_name(fields[index].name, name) {
                return FieldAt { event_type, index };
            }
            index += 1;
        }
        panic!("the event type has no field of that name")
    }
}

const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// The names of the fields `data` may have for `event_type`.
pub fn data_fields(event_type: EventType) -> &'static [&'static str] {
    table(event_type).names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_fits_and_names_each_field_once() {
        for &event_type in EventType::ALL {
            let Table { names, fields } = table(event_type);
            assert!(fields.len() <= DATA_FIELDS_MAX, "{event_type}");
            assert_eq!(names.len(), fields.len(), "{event_type}");
            for (index, field) in fields.iter().enumerate() {
                assert_eq!(names[index], field.name, "{event_type}");
                assert!(!names[..index].contains(&field.name), "{event_type}");
            }
        }
    }
}
