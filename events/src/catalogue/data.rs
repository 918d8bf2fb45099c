//! The typed `data` of each event type ([`EventData`]), as [`EventData::parse`] reads it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::names::{AssessmentKind, Channel, DecisionKind, PlanKind, Source};
use crate::fields::Text;
use crate::types::{Amount, CivilDate, EventId, IndicatorKey, PlanKey};

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
