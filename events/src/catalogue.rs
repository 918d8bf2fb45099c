//! The event catalogue of CONTRACT §2.1–§2.3 as typed Rust.
//!
//! [`EventData::parse`] turns the `data` object of an event into its typed form, reporting every
//! problem with its JSON Pointer. Unknown fields are refused (the same as serde's
//! `deny_unknown_fields`, but listed all at once).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use crate::fields::{
    self, FieldErrors, ObjectReader, Text, amount, boolean, count_map, event_id, indicator,
    integer_at_least, parsed, plan_key, text, text_list, year,
};
use crate::types::{Amount, CivilDate, EventId, IndicatorKey, PlanKey};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "must be one of {}, got {}",
                        [$($text),+].map(|t| format!("\"{t}\"")).join(", "),
                        $crate::fields::quoted(text)
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Every event type of the contract.
    EventType {
        PlanRegistered => "plan.registered",
        PlanSubmitted => "plan.submitted",
        PlanApproved => "plan.approved",
        PlanCompleted => "plan.completed",
        PlanCancelled => "plan.cancelled",
        DecisionIssued => "decision.issued",
        UnitEstablished => "unit.established",
        StaffAssigned => "staff.assigned",
        TrainingHeld => "training.held",
        OutreachDelivered => "outreach.delivered",
        AssessmentCompleted => "assessment.completed",
        ProgressReported => "progress.reported",
        TargetSet => "target.set",
        FundsPlanned => "funds.planned",
        FundsAllocated => "funds.allocated",
        FundsDisbursed => "funds.disbursed",
        TotalReported => "total.reported",
        EventCorrected => "event.corrected",
        EventRetracted => "event.retracted",
    }
);

impl EventType {
    /// Events that move a plan through its lifecycle (§2.1).
    pub fn is_lifecycle(self) -> bool {
        matches!(
            self,
            EventType::PlanRegistered
                | EventType::PlanSubmitted
                | EventType::PlanApproved
                | EventType::PlanCompleted
                | EventType::PlanCancelled
        )
    }

    /// Corrections and retractions (§2.3): not acts, and never themselves corrected.
    pub fn is_correction(self) -> bool {
        matches!(self, EventType::EventCorrected | EventType::EventRetracted)
    }
}

string_enum!(PlanKind {
    Strategy => "strategy",
    Programme => "programme",
    Plan => "plan",
    AnnualPlan => "annual_plan",
    Project => "project",
});

string_enum!(
    /// A plan's status (§2.1).
    PlanStatus {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

impl PlanStatus {
    /// The status a lifecycle event leads to from `self`, or `None` when the contract does not
    /// allow that transition (`409`).
    pub fn after(self, event: EventType) -> Option<PlanStatus> {
        use PlanStatus::*;
        match (event, self) {
            (EventType::PlanSubmitted, Draft) => Some(Submitted),
            (EventType::PlanApproved, Draft | Submitted) => Some(Approved),
            (EventType::PlanCompleted, Approved) => Some(Completed),
            (EventType::PlanCancelled, Draft | Submitted | Approved) => Some(Cancelled),
            _ => None,
        }
    }
}

string_enum!(DecisionKind {
    Decision => "decision",
    Plan => "plan",
    Directive => "directive",
    Report => "report",
    Other => "other",
});

string_enum!(Channel {
    Radio => "radio",
    Tv => "tv",
    Bulletin => "bulletin",
    Booklet => "booklet",
    Banner => "banner",
    Website => "website",
    Workshop => "workshop",
    Other => "other",
});

string_enum!(AssessmentKind {
    Rapid => "rapid",
    Detailed => "detailed",
});

string_enum!(Source {
    Central => "central",
    Local => "local",
    Other => "other",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from_year: i16,
    pub to_year: i16,
}

impl Period {
    pub fn contains(self, year: i16) -> bool {
        (self.from_year..=self.to_year).contains(&year)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanRegistered {
    pub title: Text,
    pub code: Option<Text>,
    pub issuer: Option<Text>,
    pub kind: PlanKind,
    pub period: Period,
    pub parent: Option<PlanKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanSubmitted {
    pub to: Option<Text>,
    pub document: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanApproved {
    pub decision: Text,
    pub approved_by: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanCompleted {
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanCancelled {
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionIssued {
    pub number: Text,
    pub issuer: Text,
    pub title: Text,
    pub kind: DecisionKind,
    pub basis: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitEstablished {
    pub name: Text,
    pub decision: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAssigned {
    pub unit: Text,
    pub count: u64,
    pub role: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingHeld {
    pub topic: Text,
    pub sessions: u64,
    pub participants: Option<u64>,
    pub participants_by_group: Option<BTreeMap<Text, u64>>,
    pub organisations: Option<u64>,
    pub approximate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutreachDelivered {
    pub channel: Channel,
    pub items: u64,
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessmentCompleted {
    pub kind: AssessmentKind,
    pub enterprises: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressReported {
    pub indicator: IndicatorKey,
    pub quantity: u64,
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetSet {
    pub indicator: IndicatorKey,
    pub year: i16,
    pub quantity: u64,
    pub unit: Option<Text>,
}

/// The data of `funds.planned`, `funds.allocated` and `funds.disbursed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Funds {
    pub fiscal_year: i16,
    pub source: Source,
    pub amount: Amount,
    pub budget_line: Option<Text>,
    pub document: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalReported {
    /// `funding.planned|allocated|disbursed|budget` or an indicator key (§3.4).
    pub metric: IndicatorKey,
    pub amount: Amount,
    pub amount_in_words: Option<Text>,
    pub from_year: Option<i16>,
    pub to_year: Option<i16>,
    pub document: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventCorrected {
    pub target: EventId,
    pub reason: Text,
    /// The full replacement data, as sent; validated as the target's type when the correction is
    /// appended (the target's type is only known then).
    pub data: Option<Value>,
    pub occurred_on: Option<CivilDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRetracted {
    pub target: EventId,
    pub reason: Text,
}

/// The typed `data` of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    PlanRegistered(PlanRegistered),
    PlanSubmitted(PlanSubmitted),
    PlanApproved(PlanApproved),
    PlanCompleted(PlanCompleted),
    PlanCancelled(PlanCancelled),
    DecisionIssued(DecisionIssued),
    UnitEstablished(UnitEstablished),
    StaffAssigned(StaffAssigned),
    TrainingHeld(TrainingHeld),
    OutreachDelivered(OutreachDelivered),
    AssessmentCompleted(AssessmentCompleted),
    ProgressReported(ProgressReported),
    TargetSet(TargetSet),
    FundsPlanned(Funds),
    FundsAllocated(Funds),
    FundsDisbursed(Funds),
    TotalReported(TotalReported),
    EventCorrected(EventCorrected),
    EventRetracted(EventRetracted),
}

impl EventData {
    /// Reads `data` as the data of an event of type `event_type`. `pointer` is where `data` sits
    /// in the request body (`/data`, `/events/3/data`, `/data/data` for a correction's
    /// replacement data).
    pub fn parse(
        event_type: EventType,
        data: &Value,
        pointer: &str,
    ) -> Result<EventData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let parsed = parse_data(event_type, data, pointer, &mut errors);
        match parsed {
            Some(parsed) if errors.is_empty() => Ok(parsed),
            _ => {
                debug_assert!(!errors.is_empty(), "a failed parse records why");
                Err(errors)
            }
        }
    }

    /// The year this data charges funding to, for the `fiscal_year` rule.
    pub fn fiscal_year(&self) -> Option<i16> {
        match self {
            EventData::FundsPlanned(funds)
            | EventData::FundsAllocated(funds)
            | EventData::FundsDisbursed(funds) => Some(funds.fiscal_year),
            _ => None,
        }
    }
}

/// Returns `Some` only if every required field was read; problems go to `errors`.
fn parse_data(
    event_type: EventType,
    data: &Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<EventData> {
    use EventType as T;
    let mut r = ObjectReader::new(data, pointer, data_fields(event_type), errors)?;
    match event_type {
        T::PlanRegistered => read_plan_registered(&mut r),
        T::PlanSubmitted => read_plan_submitted(&mut r),
        T::PlanApproved => read_plan_approved(&mut r),
        T::PlanCompleted => read_plan_completed(&mut r),
        T::PlanCancelled => read_plan_cancelled(&mut r),
        T::DecisionIssued => read_decision_issued(&mut r),
        T::UnitEstablished => read_unit_established(&mut r),
        T::StaffAssigned => read_staff_assigned(&mut r),
        T::TrainingHeld => read_training_held(&mut r),
        T::OutreachDelivered => read_outreach_delivered(&mut r),
        T::AssessmentCompleted => read_assessment_completed(&mut r),
        T::ProgressReported => read_progress_reported(&mut r),
        T::TargetSet => read_target_set(&mut r),
        T::FundsPlanned | T::FundsAllocated | T::FundsDisbursed => read_funds(&mut r, event_type),
        T::TotalReported => read_total_reported(&mut r),
        T::EventCorrected => read_event_corrected(&mut r),
        T::EventRetracted => read_event_retracted(&mut r),
    }
}

/// The fields `data` may have for each event type: the one table of them (the fast reader of
/// stored data and the parser both go by it).
pub fn data_fields(event_type: EventType) -> &'static [&'static str] {
    use EventType as T;
    match event_type {
        T::PlanRegistered => &["title", "code", "issuer", "kind", "period", "parent"],
        T::PlanSubmitted => &["to", "document"],
        T::PlanApproved => &["decision", "approved_by"],
        T::PlanCompleted => &["note"],
        T::PlanCancelled => &["reason"],
        T::DecisionIssued => &["number", "issuer", "title", "kind", "basis"],
        T::UnitEstablished => &["name", "decision"],
        T::StaffAssigned => &["unit", "count", "role"],
        T::TrainingHeld => &[
            "topic",
            "sessions",
            "participants",
            "participants_by_group",
            "organisations",
            "approximate",
        ],
        T::OutreachDelivered => &["channel", "items", "note"],
        T::AssessmentCompleted => &["kind", "enterprises"],
        T::ProgressReported => &["indicator", "quantity", "note"],
        T::TargetSet => &["indicator", "year", "quantity", "unit"],
        T::FundsPlanned | T::FundsAllocated | T::FundsDisbursed => {
            &["fiscal_year", "source", "amount", "budget_line", "document"]
        }
        T::TotalReported => &[
            "metric",
            "amount",
            "amount_in_words",
            "from_year",
            "to_year",
            "document",
        ],
        T::EventCorrected => &["target", "reason", "data", "occurred_on"],
        T::EventRetracted => &["target", "reason"],
    }
}

/// `data` of `plan.registered`.
fn read_plan_registered(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let title = r.required("title", text);
    let code = r.optional("code", text);
    let issuer = r.optional("issuer", text);
    let kind = r.required("kind", parsed);
    let period = read_period(r);
    let parent = r.optional("parent", plan_key);
    Some(EventData::PlanRegistered(PlanRegistered {
        title: title?,
        code,
        issuer,
        kind: kind?,
        period: period?,
        parent,
    }))
}

/// `data` of `plan.submitted`.
fn read_plan_submitted(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    Some(EventData::PlanSubmitted(PlanSubmitted {
        to: r.optional("to", text),
        document: r.optional("document", text),
    }))
}

/// `data` of `plan.approved`.
fn read_plan_approved(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let decision = r.required("decision", text);
    let approved_by = r.optional("approved_by", text);
    Some(EventData::PlanApproved(PlanApproved {
        decision: decision?,
        approved_by,
    }))
}

/// `data` of `plan.completed`.
fn read_plan_completed(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    Some(EventData::PlanCompleted(PlanCompleted {
        note: r.optional("note", text),
    }))
}

/// `data` of `plan.cancelled`.
fn read_plan_cancelled(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    Some(EventData::PlanCancelled(PlanCancelled {
        reason: r.required("reason", text)?,
    }))
}

/// `data` of `decision.issued`.
fn read_decision_issued(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let number = r.required("number", text);
    let issuer = r.required("issuer", text);
    let title = r.required("title", text);
    let kind = r.optional("kind", parsed).unwrap_or(DecisionKind::Decision);
    let basis = r.optional("basis", text_list).unwrap_or_default();
    Some(EventData::DecisionIssued(DecisionIssued {
        number: number?,
        issuer: issuer?,
        title: title?,
        kind,
        basis,
    }))
}

/// `data` of `unit.established`.
fn read_unit_established(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let name = r.required("name", text);
    let decision = r.optional("decision", text);
    Some(EventData::UnitEstablished(UnitEstablished {
        name: name?,
        decision,
    }))
}

/// `data` of `staff.assigned`.
fn read_staff_assigned(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let unit = r.required("unit", text);
    let count = r.required("count", integer_at_least(1));
    let role = r.optional("role", text);
    Some(EventData::StaffAssigned(StaffAssigned {
        unit: unit?,
        count: count?,
        role,
    }))
}

/// `data` of `training.held`.
fn read_training_held(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let topic = r.required("topic", text);
    let sessions = r.required("sessions", integer_at_least(1));
    let participants = r.optional("participants", integer_at_least(0));
    let participants_by_group = r.optional("participants_by_group", count_map);
    let organisations = r.optional("organisations", integer_at_least(0));
    let approximate = r.optional("approximate", boolean).unwrap_or(false);
    Some(EventData::TrainingHeld(TrainingHeld {
        topic: topic?,
        sessions: sessions?,
        participants,
        participants_by_group,
        organisations,
        approximate,
    }))
}

/// `data` of `outreach.delivered`.
fn read_outreach_delivered(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let channel = r.required("channel", parsed);
    let items = r.required("items", integer_at_least(1));
    let note = r.optional("note", text);
    Some(EventData::OutreachDelivered(OutreachDelivered {
        channel: channel?,
        items: items?,
        note,
    }))
}

/// `data` of `assessment.completed`.
fn read_assessment_completed(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let kind = r.required("kind", parsed);
    let enterprises = r.required("enterprises", integer_at_least(1));
    Some(EventData::AssessmentCompleted(AssessmentCompleted {
        kind: kind?,
        enterprises: enterprises?,
    }))
}

/// `data` of `progress.reported`.
fn read_progress_reported(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let indicator_key = r.required("indicator", indicator);
    let quantity = r.required("quantity", integer_at_least(0));
    let note = r.optional("note", text);
    Some(EventData::ProgressReported(ProgressReported {
        indicator: indicator_key?,
        quantity: quantity?,
        note,
    }))
}

/// `data` of `target.set`.
fn read_target_set(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let indicator_key = r.required("indicator", indicator);
    let target_year = r.required("year", year);
    let quantity = r.required("quantity", integer_at_least(0));
    let unit = r.optional("unit", text);
    Some(EventData::TargetSet(TargetSet {
        indicator: indicator_key?,
        year: target_year?,
        quantity: quantity?,
        unit,
    }))
}

/// `data` of `funds.planned`, `funds.allocated`, `funds.disbursed`.
fn read_funds(r: &mut ObjectReader<'_, '_>, event_type: EventType) -> Option<EventData> {
    use EventType as T;
    let fiscal_year = r.required("fiscal_year", year);
    let source = r.required("source", parsed);
    let money = r.required("amount", amount);
    let budget_line = r.optional("budget_line", text);
    let document = r.optional("document", text);
    let funds = Funds {
        fiscal_year: fiscal_year?,
        source: source?,
        amount: money?,
        budget_line,
        document,
    };
    Some(match event_type {
        T::FundsPlanned => EventData::FundsPlanned(funds),
        T::FundsAllocated => EventData::FundsAllocated(funds),
        _ => EventData::FundsDisbursed(funds),
    })
}

/// `data` of `total.reported`.
fn read_total_reported(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let metric = r.required("metric", indicator);
    let money = r.required("amount", amount);
    let amount_in_words = r.optional("amount_in_words", text);
    let from_year = r.optional("from_year", year);
    let to_year = r.optional("to_year", year);
    let document = r.optional("document", text);
    if let (Some(from), Some(to)) = (from_year, to_year)
        && from > to
    {
        let pointer = r.pointer_of("to_year");
        r.errors()
            .invalid(pointer, format!("must not be before from_year ({from})"));
    }
    Some(EventData::TotalReported(TotalReported {
        metric: metric?,
        amount: money?,
        amount_in_words,
        from_year,
        to_year,
        document,
    }))
}

/// `data` of `event.corrected`.
fn read_event_corrected(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let target = r.required("target", event_id);
    let reason = r.required("reason", text);
    let replacement = r.optional("data", |value| match value {
        Value::Object(_) => Ok(value.clone()),
        other => Err(format!("must be an object, got {}", fields::kind_of(other))),
    });
    let occurred_on = r.optional("occurred_on", fields::date);
    if !r.has("data") && !r.has("occurred_on") {
        let pointer = r.pointer_of("").trim_end_matches('/').to_owned();
        r.errors().invalid(
            pointer,
            "a correction carries at least one of data (the full replacement data) and \
             occurred_on",
        );
    }
    Some(EventData::EventCorrected(EventCorrected {
        target: target?,
        reason: reason?,
        data: replacement,
        occurred_on,
    }))
}

/// `data` of `event.retracted`.
fn read_event_retracted(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let target = r.required("target", event_id);
    let reason = r.required("reason", text);
    Some(EventData::EventRetracted(EventRetracted {
        target: target?,
        reason: reason?,
    }))
}

fn read_period(r: &mut ObjectReader<'_, '_>) -> Option<Period> {
    let pointer = r.pointer_of("period");
    let Some(value) = r.raw("period") else {
        r.errors().invalid(pointer, "is required");
        return None;
    };
    let mut errors = FieldErrors::default();
    let period = ObjectReader::new(value, &pointer, &["from_year", "to_year"], &mut errors)
        .and_then(|mut period| {
            let from_year = period.required("from_year", year);
            let to_year = period.required("to_year", year);
            match (from_year, to_year) {
                (Some(from_year), Some(to_year)) if from_year > to_year => {
                    let to_pointer = period.pointer_of("to_year");
                    period.errors().invalid(
                        to_pointer,
                        format!("must not be before from_year ({from_year})"),
                    );
                    None
                }
                (Some(from_year), Some(to_year)) => Some(Period { from_year, to_year }),
                _ => None,
            }
        });
    r.errors().extend(errors);
    period
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_name_round_trips() {
        for event_type in EventType::ALL {
            assert_eq!(event_type.as_str().parse::<EventType>(), Ok(*event_type));
        }
        assert!("plan.deleted".parse::<EventType>().is_err());
    }

    #[test]
    fn lifecycle_transitions() {
        use PlanStatus::*;
        assert_eq!(Draft.after(EventType::PlanSubmitted), Some(Submitted));
        assert_eq!(Draft.after(EventType::PlanApproved), Some(Approved));
        assert_eq!(Submitted.after(EventType::PlanApproved), Some(Approved));
        assert_eq!(Approved.after(EventType::PlanCompleted), Some(Completed));
        assert_eq!(Approved.after(EventType::PlanCancelled), Some(Cancelled));
        assert_eq!(Cancelled.after(EventType::PlanApproved), None);
        assert_eq!(Completed.after(EventType::PlanCancelled), None);
        assert_eq!(Submitted.after(EventType::PlanSubmitted), None);
        assert_eq!(Draft.after(EventType::PlanCompleted), None);
    }

    #[test]
    fn optional_fields_take_their_defaults() {
        let data = json!({"number": "1419/QĐ-TTg", "issuer": "Thủ tướng", "title": "Chiến lược"});
        let EventData::DecisionIssued(decision) =
            EventData::parse(EventType::DecisionIssued, &data, "/data").unwrap()
        else {
            panic!("wrong variant")
        };
        assert_eq!(decision.kind, DecisionKind::Decision);
        assert!(decision.basis.is_empty());
    }

    #[test]
    fn period_must_run_forward() {
        let data =
            json!({"title": "t", "kind": "plan", "period": {"from_year": 2015, "to_year": 2011}});
        let errors = EventData::parse(EventType::PlanRegistered, &data, "/data").unwrap_err();
        assert_eq!(errors.invalid[0].field, "/data/period/to_year");
    }

    #[test]
    fn a_correction_needs_data_or_a_date() {
        let data = json!({"target": "01JD0000000000000000000000", "reason": "typo"});
        let errors = EventData::parse(EventType::EventCorrected, &data, "/data").unwrap_err();
        assert_eq!(errors.invalid[0].field, "/data");
    }
}
