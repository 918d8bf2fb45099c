//! The year-by-year summary (CONTRACT §3.3).

use std::collections::BTreeMap;
use std::ops::Range;

use acta_events::catalogue::Channel;
use acta_events::{EventType, PlanKey};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::aggregate::{ListKind, Listed, YearTotals, saturating_u64};
use crate::compact::{Day, Payload, PlanIndex};
use crate::fold;
use crate::funding::FundingSums;
use crate::plans::PlanSet;
use crate::query::Query;
use crate::record::Record;

/// `GET /v1/summaries/yearly`. Its text (decisions, unit names, plan keys, topics) is borrowed
/// from the [`Record`]: the summary of a whole record lists tens of thousands of decisions, and
/// copying each string was a good part of its cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearlySummary<'r> {
    /// Ascending. A year appears when a visible act occurred in it (any act of §2.2, targets and
    /// reported totals included), when visible funding belongs to it (by fiscal year), or when a
    /// plan of the subtree was approved in it (approvals are lifecycle events, not acts, but
    /// `plans_approved` lists them, so their year is shown). Registrations, submissions,
    /// completions, cancellations, corrections and retractions make no year appear.
    pub years: Vec<YearSummary<'r>>,
}

/// Fields in byte order of their names, as every answer's keys (see `Funding`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearSummary<'r> {
    pub assessments: AssessmentSummary,
    /// By `issued_on`, then `seq`.
    pub decisions: Vec<DecisionSummary<'r>>,
    /// Funding whose fiscal year is this year.
    pub funding: YearFunding,
    pub outreach: OutreachItems,
    /// Keys of the plans approved that year, by approval date, then `seq`.
    pub plans_approved: Vec<&'r PlanKey>,
    pub staff_assigned: u64,
    pub training: TrainingSummary<'r>,
    /// Names of the units established that year, by date, then `seq`.
    pub units_established: Vec<&'r str>,
    pub year: i16,
}

/// A decision as the summary lists it: `issued_on`, `issuer`, `number` and `title`, rendered
/// once when the decision was recorded (`decisions.rs`) and written out as it is.
#[derive(Debug, Clone, Copy)]
pub struct DecisionSummary<'r>(&'r RawValue);

impl DecisionSummary<'_> {
    /// The decision's JSON object.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for DecisionSummary<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

impl Eq for DecisionSummary<'_> {}

impl Serialize for DecisionSummary<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingSummary<'r> {
    /// Per topic, ordered by topic.
    pub by_topic: BTreeMap<&'r str, TopicFigures>,
    /// How many `training.held` acts.
    pub events: u64,
    /// The sum of the counts that were given; a training without `participants` adds nothing.
    pub participants: u64,
    pub sessions: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TopicFigures {
    pub participants: u64,
    pub sessions: u64,
}

/// Items per outreach channel, in the catalogue's order of channels (radio, tv, bulletin,
/// booklet, banner, website, workshop, other); only channels that have items. Serialised as a
/// JSON object keyed by channel, keys in byte order like every answer's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutreachItems(pub Vec<(Channel, u64)>);

impl Serialize for OutreachItems {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items: Vec<(&str, u64)> = self
            .0
            .iter()
            .map(|(channel, items)| (channel.as_str(), *items))
            .collect();
        items.sort_unstable_by_key(|(channel, _)| *channel);
        let mut map = serializer.serialize_map(Some(items.len()))?;
        for (channel, items) in &items {
            map.serialize_entry(channel, items)?;
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
    pub allocated: u64,
    pub disbursed: u64,
    pub planned: u64,
}

/// Everything gathered for one year before it is narrowed for the answer.
#[derive(Default)]
struct YearBuilder<'r> {
    totals: YearTotals,
    /// By topic name, borrowed from the record.
    topics: BTreeMap<&'r str, [i128; 2]>,
    /// The year's decisions in the list of all, which is in the summary's order.
    decisions: Range<usize>,
    /// (approved on, `seq`) and the plan.
    approvals: Vec<((Day, u64), PlanIndex)>,
    /// The year's units in the list of all.
    units: Range<usize>,
    funding: FundingSums,
}

impl Record {
    /// The yearly summary over the plans of `query.plan`'s subtree (every plan without it).
    pub fn yearly(&self, query: &Query) -> YearlySummary<'_> {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let aggregate = fold::aggregate(self, visibility, &plans, &[ListKind::Yearly]);
        let mut years: BTreeMap<i16, YearBuilder> = BTreeMap::new();

        for &plan in &plans.members {
            let entry = self.plan_at(plan);
            for &cell in &entry.cells.years {
                let totals = aggregate.year_of(cell);
                if totals.acts == 0 {
                    continue;
                }
                let year = self.tables.cells.years.key(cell).year;
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
            for &cell in &entry.cells.topics {
                let [sessions, participants] = aggregate.topic_of(cell);
                if sessions == 0 {
                    // Every training has at least one session: no sessions, no training.
                    continue;
                }
                let key = self.tables.cells.topics.key(cell);
                let topic = years
                    .entry(key.year)
                    .or_default()
                    .topics
                    .entry(self.tables.topics.name(key.topic))
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
                        .push(((event.day, event.seq), plan));
                }
            }
        }
        for (&(fiscal_year, _), &sums) in &self.funding_by_year_and_source(&aggregate, &plans) {
            years.entry(fiscal_year).or_default().funding.add(sums);
        }
        let decisions = self.listed(&aggregate.decisions, &plans, |payload| match payload {
            Payload::Decision { text } => Some(text),
            _ => None,
        });
        let units = self.listed(&aggregate.units, &plans, |payload| match payload {
            Payload::Unit { name } => Some(name),
            _ => None,
        });
        for (year, range) in ranges_by_year(&decisions) {
            years.entry(year).or_default().decisions = range;
        }
        for (year, range) in ranges_by_year(&units) {
            years.entry(year).or_default().units = range;
        }

        YearlySummary {
            years: years
                .into_iter()
                .map(|(year, builder)| builder.finish(self, year, &decisions, &units))
                .collect(),
        }
    }

    /// The versions of `listed` in `plans`, each with the index `index` reads from its payload,
    /// in the order of the summary: by year, day and `seq`.
    fn listed(
        &self,
        listed: &Listed,
        plans: &PlanSet,
        index: impl Fn(Payload) -> Option<u32>,
    ) -> Vec<ListedItem> {
        let mut items: Vec<ListedItem> = match listed.listings() {
            // A fold kept each listing's keys.
            Some(listings) => listings
                .iter()
                .filter(|listing| plans.contains(listing.reference.plan))
                .map(|listing| ListedItem {
                    year: listing.year,
                    day: listing.day,
                    seq: listing.seq,
                    index: listing.text,
                })
                .collect(),
            None => listed
                .iter()
                .filter(|reference| plans.contains(reference.plan))
                .filter_map(|reference| {
                    let state = self.state(reference);
                    Some(ListedItem {
                        year: state.year,
                        day: state.day,
                        seq: self.identity(reference).seq,
                        index: index(state.payload)?,
                    })
                })
                .collect(),
        };
        // (day, seq) is unique, and the year is the day's: an unstable sort gives the one order.
        // One u128 per item (the day, offset to be unsigned, above the seq) compares at once;
        // a whole record lists some 75,000 items.
        items.sort_unstable_by_key(|item| {
            let day = u128::from(item.day.0.wrapping_sub(i32::MIN) as u32);
            (day << 64) | u128::from(item.seq)
        });
        items
    }
}

/// Where each year's items are in `items`, which is ordered by year.
fn ranges_by_year(items: &[ListedItem]) -> impl Iterator<Item = (i16, Range<usize>)> + '_ {
    let mut start = 0;
    items.chunk_by(|a, b| a.year == b.year).map(move |group| {
        start += group.len();
        (group[0].year, start - group.len()..start)
    })
}

/// A decision or a unit, in the order the summary lists them, with the index of its text.
#[derive(Debug, Clone, Copy)]
struct ListedItem {
    year: i16,
    day: Day,
    seq: u64,
    index: u32,
}

impl<'r> YearBuilder<'r> {
    fn finish(
        mut self,
        record: &'r Record,
        year: i16,
        decisions: &[ListedItem],
        units: &[ListedItem],
    ) -> YearSummary<'r> {
        // (day, seq) is unique: an unstable sort gives the one order.
        self.approvals.sort_unstable_by_key(|(order, _)| *order);
        let totals = self.totals;
        YearSummary {
            assessments: AssessmentSummary {
                enterprises: saturating_u64(totals.assessment_enterprises),
            },
            decisions: decisions[self.decisions]
                .iter()
                .map(|item| DecisionSummary(record.tables.decisions.get(item.index)))
                .collect(),
            funding: YearFunding {
                allocated: saturating_u64(self.funding.allocated),
                disbursed: saturating_u64(self.funding.disbursed),
                planned: saturating_u64(self.funding.planned),
            },
            outreach: OutreachItems(
                Channel::ALL
                    .iter()
                    .zip(totals.outreach_items)
                    .filter(|(_, items)| *items > 0)
                    .map(|(channel, items)| (*channel, saturating_u64(items)))
                    .collect(),
            ),
            plans_approved: self
                .approvals
                .iter()
                .map(|&(_, plan)| &record.plan_at(plan).key)
                .collect(),
            staff_assigned: saturating_u64(totals.staff_assigned),
            training: TrainingSummary {
                by_topic: self
                    .topics
                    .into_iter()
                    .map(|(topic, [sessions, participants])| {
                        (
                            topic,
                            TopicFigures {
                                participants: saturating_u64(participants),
                                sessions: saturating_u64(sessions),
                            },
                        )
                    })
                    .collect(),
                events: saturating_u64(i128::from(totals.training_events)),
                participants: saturating_u64(totals.training_participants),
                sessions: saturating_u64(totals.training_sessions),
            },
            units_established: units[self.units]
                .iter()
                .map(|item| record.tables.unit_names.get(item.index))
                .collect(),
            year,
        }
    }
}

#[cfg(test)]
mod tests {
    use acta_events::catalogue::Channel;
    use serde_json::json;

    use crate::Query;
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
        let record = log.record();
        let yearly = record.yearly(&now());
        // then 2016 holds it all; outreach is kept in the catalogue's channel order and
        // serialised with its keys in byte order.
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
        assert_eq!(
            yearly.years[0].outreach.0,
            [(Channel::Radio, 3), (Channel::Banner, 220)]
        );
        let outreach = serde_json::to_string(&yearly.years[0].outreach).unwrap();
        assert_eq!(outreach, r#"{"banner":220,"radio":3}"#);
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
        let record = log.record();
        let summary = record.yearly(&now());
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

    /// A decision moved to another date by a correction is listed in its new year with its new
    /// date (its JSON is rendered once per version, so the move must render it again), and a
    /// correction of its number is listed with the new number.
    #[test]
    fn a_corrected_decision_is_listed_as_corrected() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2011-01-01");
        let decision = log.event(
            "decision.issued",
            "p",
            "2012-02-10",
            json!({"number": "06/QĐ-SCT", "issuer": "SCT", "title": "Giao nhiệm vụ"}),
        );
        let as_first_recorded = log.last_recorded();
        log.correct(decision, "2013-03-02", json!({"occurred_on": "2013-03-01"}));
        let moved = to_json(&log.record().yearly(&now()));
        assert_eq!(
            moved["years"],
            json!([{"year": 2013, "decisions": [{"issued_on": "2013-03-01", "issuer": "SCT",
                    "number": "06/QĐ-SCT", "title": "Giao nhiệm vụ"}],
                    "plans_approved": [], "units_established": [], "staff_assigned": 0,
                    "training": {"events": 0, "sessions": 0, "participants": 0, "by_topic": {}},
                    "outreach": {}, "assessments": {"enterprises": 0},
                    "funding": {"planned": 0, "allocated": 0, "disbursed": 0}}])
        );
        log.correct(
            decision,
            "2013-03-03",
            json!({"data": {"number": "07/QĐ-SCT", "issuer": "SCT", "title": "Giao nhiệm vụ"}}),
        );
        let renumbered = to_json(&log.record().yearly(&now()));
        assert_eq!(
            renumbered["years"][0]["decisions"],
            json!([{"issued_on": "2013-03-01", "issuer": "SCT", "number": "07/QĐ-SCT",
                    "title": "Giao nhiệm vụ"}])
        );
        // Before the first correction was known, it stood where it was recorded.
        let known_then = Query {
            known_at: Some(as_first_recorded),
            ..now()
        };
        let before = to_json(&log.record().yearly(&known_then));
        assert_eq!(
            before["years"][0]["decisions"][0]["issued_on"],
            json!("2012-02-10")
        );
    }
}
