//! The year-by-year summary (CONTRACT §3.3).

use std::collections::BTreeMap;

use acta_events::catalogue::Channel;
use acta_events::{CivilDate, EventType, PlanKey};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::aggregate::{ListKind, YearTotals};
use crate::compact::{Day, Payload};
use crate::funding::FundingSums;
use crate::query::Query;
use crate::record::Record;
use crate::saturating_u64;

/// `GET /v1/summaries/yearly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearlySummary {
    /// Ascending. A year appears when a visible act occurred in it (any act of §2.2, targets and
    /// reported totals included), when visible funding belongs to it (by fiscal year), or when a
    /// plan of the subtree was approved in it (approvals are lifecycle events, not acts, but
    /// `plans_approved` lists them, so their year is shown). Registrations, submissions,
    /// completions, cancellations, corrections and retractions make no year appear.
    pub years: Vec<YearSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearSummary {
    pub year: i16,
    /// By `issued_on`, then `seq`.
    pub decisions: Vec<DecisionSummary>,
    /// Keys of the plans approved that year, by approval date, then `seq`.
    pub plans_approved: Vec<PlanKey>,
    pub training: TrainingSummary,
    pub outreach: OutreachItems,
    pub assessments: AssessmentSummary,
    pub staff_assigned: u64,
    /// Names of the units established that year, by date, then `seq`.
    pub units_established: Vec<String>,
    /// Funding whose fiscal year is this year.
    pub funding: YearFunding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionSummary {
    pub number: String,
    pub issuer: String,
    pub title: String,
    pub issued_on: CivilDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingSummary {
    /// How many `training.held` acts.
    pub events: u64,
    pub sessions: u64,
    /// The sum of the counts that were given; a training without `participants` adds nothing.
    pub participants: u64,
    /// Per topic, ordered by topic.
    pub by_topic: BTreeMap<String, TopicFigures>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TopicFigures {
    pub sessions: u64,
    pub participants: u64,
}

/// Items per outreach channel: a JSON object with a key for each channel that has items, in the
/// catalogue's order of channels (radio, tv, bulletin, booklet, banner, website, workshop,
/// other).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutreachItems(pub Vec<(Channel, u64)>);

impl Serialize for OutreachItems {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (channel, items) in &self.0 {
            map.serialize_entry(channel.as_str(), items)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AssessmentSummary {
    pub enterprises: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct YearFunding {
    pub planned: u64,
    pub allocated: u64,
    pub disbursed: u64,
}

/// Everything gathered for one year before it is narrowed for the answer.
#[derive(Default)]
struct YearBuilder<'a> {
    totals: YearTotals,
    /// By topic name, borrowed from the record until the answer is built.
    topics: BTreeMap<&'a str, [i128; 2]>,
    decisions: Vec<((Day, u64), DecisionSummary)>,
    approvals: Vec<((Day, u64), PlanKey)>,
    units: Vec<((Day, u64), String)>,
    funding: FundingSums,
}

impl Record {
    /// The yearly summary over the plans of `query.plan`'s subtree (every plan without it).
    pub fn yearly(&self, query: &Query) -> YearlySummary {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let aggregate = self.aggregate(visibility, &plans, &[ListKind::Yearly]);
        let mut years: BTreeMap<i16, YearBuilder> = BTreeMap::new();

        for &plan in &plans.members {
            let entry = self.plan_at(plan);
            for &cell in &entry.year_cells {
                let totals = aggregate.year_of(cell);
                if totals.acts == 0 {
                    continue;
                }
                let year = self.year_cells.key(cell).year;
                let builder = &mut years.entry(year).or_default().totals;
                builder.acts += totals.acts;
                builder.training_events += totals.training_events;
                builder.training_sessions += totals.training_sessions;
                builder.training_participants += totals.training_participants;
                builder.staff_assigned += totals.staff_assigned;
                builder.assessment_enterprises += totals.assessment_enterprises;
                for (sum, items) in builder.outreach_items.iter_mut().zip(totals.outreach_items) {
                    *sum += items;
                }
            }
            for &cell in &entry.topic_cells {
                let [sessions, participants] = aggregate.topic_of(cell);
                if sessions == 0 {
                    // Every training has at least one session: no sessions, no training.
                    continue;
                }
                let key = self.topic_cells.key(cell);
                let topic = years
                    .entry(key.year)
                    .or_default()
                    .topics
                    .entry(self.topics.name(key.topic))
                    .or_default();
                topic[0] += sessions;
                topic[1] += participants;
            }
            for (event, _) in self.visible_lifecycle(plan, visibility) {
                if event.event_type == EventType::PlanApproved {
                    let on = event.day.to_civil();
                    years
                        .entry(on.year())
                        .or_default()
                        .approvals
                        .push(((event.day, event.seq), entry.key.clone()));
                }
            }
        }
        for (&(fiscal_year, _), &sums) in &self.funding_by_year_and_source(&aggregate, &plans) {
            years.entry(fiscal_year).or_default().funding.add(sums);
        }
        for reference in aggregate.decisions.iter() {
            if !plans.contains(reference.plan) {
                continue;
            }
            let version = self.version(reference);
            if let Payload::Decision { text } = version.payload {
                let text = &self.decision_texts[text as usize];
                years.entry(version.year).or_default().decisions.push((
                    (version.day, self.identity(reference).seq),
                    DecisionSummary {
                        number: text.number.clone(),
                        issuer: text.issuer.clone(),
                        title: text.title.clone(),
                        issued_on: version.day.to_civil(),
                    },
                ));
            }
        }
        for reference in aggregate.units.iter() {
            if !plans.contains(reference.plan) {
                continue;
            }
            let version = self.version(reference);
            if let Payload::Unit { name } = version.payload {
                years.entry(version.year).or_default().units.push((
                    (version.day, self.identity(reference).seq),
                    self.unit_names[name as usize].clone(),
                ));
            }
        }

        YearlySummary {
            years: years
                .into_iter()
                .map(|(year, builder)| builder.finish(year))
                .collect(),
        }
    }
}

impl YearBuilder<'_> {
    fn finish(mut self, year: i16) -> YearSummary {
        self.decisions.sort_by_key(|(order, _)| *order);
        self.approvals.sort_by_key(|(order, _)| *order);
        self.units.sort_by_key(|(order, _)| *order);
        let totals = self.totals;
        YearSummary {
            year,
            decisions: self.decisions.into_iter().map(|(_, d)| d).collect(),
            plans_approved: self.approvals.into_iter().map(|(_, p)| p).collect(),
            training: TrainingSummary {
                events: saturating_u64(i128::from(totals.training_events)),
                sessions: saturating_u64(totals.training_sessions),
                participants: saturating_u64(totals.training_participants),
                by_topic: self
                    .topics
                    .into_iter()
                    .map(|(topic, [sessions, participants])| {
                        (
                            topic.to_owned(),
                            TopicFigures {
                                sessions: saturating_u64(sessions),
                                participants: saturating_u64(participants),
                            },
                        )
                    })
                    .collect(),
            },
            outreach: OutreachItems(
                Channel::ALL
                    .iter()
                    .zip(totals.outreach_items)
                    .filter(|(_, items)| *items > 0)
                    .map(|(channel, items)| (*channel, saturating_u64(items)))
                    .collect(),
            ),
            assessments: AssessmentSummary {
                enterprises: saturating_u64(totals.assessment_enterprises),
            },
            staff_assigned: saturating_u64(totals.staff_assigned),
            units_established: self.units.into_iter().map(|(_, u)| u).collect(),
            funding: YearFunding {
                planned: saturating_u64(self.funding.planned),
                allocated: saturating_u64(self.funding.allocated),
                disbursed: saturating_u64(self.funding.disbursed),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{LogBuilder, as_of, now, to_json, within};

    #[test]
    fn a_year_with_every_kind_of_act_has_the_whole_shape() {
        // Given one plan with every kind of act in 2016 and funding for fiscal year 2016.
        let mut log = LogBuilder::default();
        log.register("example-2016", None, "2016-01-10");
        log.approve("example-2016", "2016-04-05");
        log.event(
            "decision.issued",
            "example-2016",
            "2016-04-05",
            json!({"number": "123/QĐ-UBND", "issuer": "UBND", "title": "Phê duyệt"}),
        );
        log.event(
            "training.held",
            "example-2016",
            "2016-05-01",
            json!({"topic": "energy_efficiency", "sessions": 3, "participants": 260}),
        );
        log.event(
            "training.held",
            "example-2016",
            "2016-06-01",
            json!({"topic": "cleaner_production", "sessions": 2, "participants": 150}),
        );
        log.event(
            "training.held",
            "example-2016",
            "2016-07-01",
            json!({"topic": "cleaner_production", "sessions": 1}),
        );
        log.event(
            "outreach.delivered",
            "example-2016",
            "2016-08-01",
            json!({"channel": "banner", "items": 220}),
        );
        log.event(
            "outreach.delivered",
            "example-2016",
            "2016-08-01",
            json!({"channel": "radio", "items": 3}),
        );
        log.event(
            "assessment.completed",
            "example-2016",
            "2016-09-01",
            json!({"kind": "detailed", "enterprises": 4}),
        );
        log.event(
            "staff.assigned",
            "example-2016",
            "2016-09-01",
            json!({"unit": "Phòng", "count": 2}),
        );
        log.event(
            "staff.assigned",
            "example-2016",
            "2016-09-02",
            json!({"unit": "Phòng", "count": 3}),
        );
        log.event(
            "unit.established",
            "example-2016",
            "2016-02-01",
            json!({"name": "Phòng SXSH"}),
        );
        log.funds(
            "allocated",
            "example-2016",
            "2016-03-01",
            2016,
            "local",
            300_000_000,
        );
        log.funds(
            "disbursed",
            "example-2016",
            "2016-12-01",
            2016,
            "local",
            250_000_000,
        );
        // When the yearly summary is read,
        let yearly = log.record().yearly(&now());
        // then 2016 holds it all, with outreach in the catalogue's channel order.
        assert_eq!(
            to_json(&yearly),
            json!({"years": [{
                "year": 2016,
                "decisions": [{"number": "123/QĐ-UBND", "issuer": "UBND", "title": "Phê duyệt",
                               "issued_on": "2016-04-05"}],
                "plans_approved": ["example-2016"],
                "training": {"events": 3, "sessions": 6, "participants": 410,
                             "by_topic": {"cleaner_production": {"sessions": 3, "participants": 150},
                                          "energy_efficiency": {"sessions": 3, "participants": 260}}},
                "outreach": {"radio": 3, "banner": 220},
                "assessments": {"enterprises": 4},
                "staff_assigned": 5,
                "units_established": ["Phòng SXSH"],
                "funding": {"planned": 0, "allocated": 300_000_000, "disbursed": 250_000_000},
            }]})
        );
        let outreach = serde_json::to_string(&yearly.years[0].outreach).unwrap();
        assert_eq!(outreach, r#"{"radio":3,"banner":220}"#);
    }

    #[test]
    fn years_appear_for_acts_funding_and_approvals_but_not_for_registration() {
        // Given a plan registered in 2010, approved in 2011, a target set in 2013 and funding
        // for fiscal year 2015 recorded in 2014,
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        log.approve("p", "2011-01-01");
        log.event(
            "target.set",
            "p",
            "2013-01-01",
            json!({"indicator": "outreach.radio", "year": 2016, "quantity": 2}),
        );
        log.funds("planned", "p", "2014-06-01", 2015, "central", 9);
        let record = log.record();
        let years = |query| -> Vec<i16> {
            record
                .yearly(&query)
                .years
                .iter()
                .map(|year| year.year)
                .collect()
        };
        // then the years are 2011 (approval), 2013 (target), 2014 (the funding act), 2015
        // (its fiscal year); 2010 had only the registration.
        assert_eq!(years(now()), [2011, 2013, 2014, 2015]);
        assert_eq!(years(as_of("2013-12-31")), [2011, 2013]);
        assert_eq!(years(as_of("2010-12-31")), Vec::<i16>::new());
        let summary = record.yearly(&now());
        assert_eq!(summary.years[3].funding.planned, 9);
        assert_eq!(summary.years[2].funding.planned, 0);
    }

    #[test]
    fn corrections_move_acts_between_years_and_count_toward_none() {
        // Given a training in 2012 moved to 2013 by a correction recorded in 2014,
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        let training = log.event(
            "training.held",
            "p",
            "2012-05-01",
            json!({"topic": "cleaner_production", "sessions": 2}),
        );
        log.correct(training, "2014-01-01", json!({"occurred_on": "2013-05-01"}));
        let summary = log.record().yearly(&now());
        // then only 2013 appears (the correction's own date, 2014, counts for nothing).
        assert_eq!(summary.years.len(), 1);
        assert_eq!(summary.years[0].year, 2013);
        assert_eq!(summary.years[0].training.sessions, 2);
    }

    #[test]
    fn plan_limits_the_summary_to_the_subtree() {
        let mut log = LogBuilder::default();
        log.register("root", None, "2010-01-01");
        log.register("child", Some("root"), "2010-01-01");
        log.approve("root", "2011-01-01");
        log.event(
            "staff.assigned",
            "child",
            "2012-01-01",
            json!({"unit": "U", "count": 1}),
        );
        let record = log.record();
        let child: Vec<i16> = record
            .yearly(&within("child"))
            .years
            .iter()
            .map(|y| y.year)
            .collect();
        assert_eq!(child, [2012]);
        assert_eq!(record.yearly(&within("root")).years.len(), 2);
    }
}
