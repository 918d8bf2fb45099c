//! The names of the catalogue: every event type, plan kind and status, and the fixed sets of
//! names its data may carry, each parsed from and written as its contract name.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The contract's name of each of [`Self::ALL`], in the same order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = acta_messages::Message;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(acta_messages::Message::new(acta_messages::codes::NOT_ONE_OF)
                        .text(
                            "expected",
                            [$($text),+].map(|t| format!("\"{t}\"")).join(", "),
                        )
                        .text("value", $crate::fields::quoted(text))),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
