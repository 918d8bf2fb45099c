//! What an act's data says that a [`Record`](crate::Record) keeps ([`ActFacts`]), taken either
//! from a checked [`EventData`] or, at the cold start, from [`BorrowedData`], the data read
//! straight from its stored text by `acta-events`, which alone says what valid data is.

use acta_events::catalogue::{BorrowedData, Channel, FieldAt, Source};
use acta_events::{EventData, EventType, Text};

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

/// The field `$name` of `$event_type`, found in the catalogue's table at compile time.
macro_rules! field {
    ($event_type:ident, $name:literal) => {
        const { FieldAt::of(EventType::$event_type, $name) }
    };
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
    /// intermediate JSON value ([`BorrowedData::read`]), or `None` when that reader does not
    /// vouch for them: the caller then reads the text in full.
    pub(crate) fn read(event_type: EventType, data: &'a str) -> Option<ActFacts<'a>> {
        let data = BorrowedData::read(event_type, data)?;
        Some(match event_type {
            EventType::DecisionIssued => ActFacts::Decision {
                number: data.text(field!(DecisionIssued, "number"))?,
                issuer: data.text(field!(DecisionIssued, "issuer"))?,
                title: data.text(field!(DecisionIssued, "title"))?,
            },
            EventType::StaffAssigned => ActFacts::Staff {
                count: data.integer(field!(StaffAssigned, "count"))?,
            },
            EventType::TrainingHeld => ActFacts::Training {
                topic: data.text(field!(TrainingHeld, "topic"))?,
                sessions: data.integer(field!(TrainingHeld, "sessions"))?,
                participants: data.integer(field!(TrainingHeld, "participants")),
                group_sum: data.count_sum(field!(TrainingHeld, "participants_by_group")),
            },
            EventType::OutreachDelivered => ActFacts::Outreach {
                channel: data.named::<Channel>(field!(OutreachDelivered, "channel"))?,
                items: data.integer(field!(OutreachDelivered, "items"))?,
            },
            EventType::AssessmentCompleted => ActFacts::Assessment {
                enterprises: data.integer(field!(AssessmentCompleted, "enterprises"))?,
            },
            EventType::ProgressReported => ActFacts::Progress {
                indicator: data.text(field!(ProgressReported, "indicator"))?,
                quantity: data.integer(field!(ProgressReported, "quantity"))?,
            },
            EventType::TargetSet => ActFacts::Target {
                indicator: data.text(field!(TargetSet, "indicator"))?,
                year: data.year(field!(TargetSet, "year"))?,
                quantity: data.integer(field!(TargetSet, "quantity"))?,
            },
            EventType::FundsPlanned | EventType::FundsAllocated | EventType::FundsDisbursed => {
                ActFacts::Funds {
                    kind: match event_type {
                        EventType::FundsPlanned => FundsKind::Planned,
                        EventType::FundsAllocated => FundsKind::Allocated,
                        _ => FundsKind::Disbursed,
                    },
                    // The three funding types share one table.
                    fiscal_year: data.year(field!(FundsPlanned, "fiscal_year"))?,
                    source: data.named::<Source>(field!(FundsPlanned, "source"))?,
                    amount: data.integer(field!(FundsPlanned, "amount"))?,
                }
            }
            // Read in full.
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The facts read from stored text are those of the checked data, for every type of act
    /// the borrowed reader reads (`acta-events` tests that it reads what the parser reads).
    #[test]
    fn the_facts_of_stored_text_are_the_facts_of_checked_data() {
        let acts = [
            (
                "decision.issued",
                json!({"issuer": "Sở", "number": "1/QĐ", "title": "t"}),
            ),
            ("staff.assigned", json!({"count": 3, "unit": "Phòng"})),
            (
                "training.held",
                json!({"participants": 40, "participants_by_group": {"a": 15, "b": 25},
                       "sessions": 2, "topic": "cleaner_production"}),
            ),
            ("training.held", json!({"sessions": 1, "topic": "t"})),
            (
                "outreach.delivered",
                json!({"channel": "radio", "items": 500}),
            ),
            (
                "assessment.completed",
                json!({"enterprises": 8, "kind": "rapid"}),
            ),
            (
                "progress.reported",
                json!({"indicator": "enterprises.certified", "quantity": 0}),
            ),
            (
                "target.set",
                json!({"indicator": "training.sessions", "quantity": 10, "year": 2015}),
            ),
            (
                "funds.planned",
                json!({"amount": 1, "fiscal_year": 2011, "source": "central"}),
            ),
            (
                "funds.allocated",
                json!({"amount": 2, "fiscal_year": 2012, "source": "local"}),
            ),
            (
                "funds.disbursed",
                json!({"amount": 3, "fiscal_year": 2013, "source": "other"}),
            ),
        ];
        for (event_type, data) in acts {
            let event_type: EventType = event_type.parse().unwrap();
            let text = data.to_string();
            let parsed = EventData::parse(event_type, &data, "/data").unwrap();
            let read = ActFacts::read(event_type, &text);
            assert!(read.is_some(), "{text}");
            assert_eq!(read, ActFacts::of(&parsed), "{text}");
        }
        let unit = json!({"name": "u"}).to_string();
        assert_eq!(ActFacts::read(EventType::UnitEstablished, &unit), None);
    }
}
