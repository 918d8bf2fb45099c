//! Funding (CONTRACT §3.2): planned, allocated and disbursed money per (plan, fiscal year,
//! source), and the budget that follows from them, added up by year, by source and in total.

use std::collections::BTreeMap;

use acta_events::PlanKey;
use acta_events::catalogue::Source;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::aggregate::{Aggregate, saturating_i64, saturating_u64};
use crate::fold;
use crate::plans::PlanSet;
use crate::query::Query;
use crate::record::Record;
use crate::vnd;

/// `GET /v1/funding`.
///
/// Every answer's keys are in byte order, and answers are serialised directly (not through a
/// `serde_json::Value`), so the fields of every answer type are declared in that order;
/// `testing::assert_answers_keys_in_order` (run by the demo and property tests) fails if one is
/// not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Funding {
    /// `totals.budget` spelled in Vietnamese (`Không đồng` for nothing).
    pub budget_in_words: String,
    /// Ordered central, local, other; only sources with visible funding appear.
    pub by_source: Vec<FundingBySource>,
    /// Ordered by fiscal year, then source (central, local, other). Only (year, source) pairs
    /// with visible funding appear.
    pub by_year: Vec<FundingByYear>,
    /// Always `"VND"` in v1.
    pub currency: &'static str,
    pub totals: FundingFigures,
}

/// Serialised as one object: `fiscal_year` and `source` among the figures, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingByYear {
    pub fiscal_year: i16,
    pub source: Source,
    pub figures: FundingFigures,
}

/// One (plan, fiscal year, source) cell: a row of the funding table (`text/csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingByPlan {
    pub plan: PlanKey,
    pub fiscal_year: i16,
    pub source: Source,
    pub figures: FundingFigures,
}

/// Serialised as one object: `source` among the figures, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingBySource {
    pub source: Source,
    pub figures: FundingFigures,
}

/// Money in whole đồng. `budget` is summed per (plan, fiscal year, source): there it is the
/// allocated amount if anything was allocated, else the planned one. `unspent` is
/// `allocated − disbursed` and is negative when more was spent than allocated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FundingFigures {
    pub allocated: u64,
    pub budget: u64,
    pub disbursed: u64,
    pub planned: u64,
    pub unspent: i64,
}

impl FundingFigures {
    /// The figures with `fiscal_year` (if any) and `source` among them, keys in byte order:
    /// allocated, budget, disbursed, fiscal_year, planned, source, unspent.
    fn serialize_with<S: Serializer>(
        &self,
        fiscal_year: Option<i16>,
        source: Source,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let fields = 6 + usize::from(fiscal_year.is_some());
        let mut map = serializer.serialize_map(Some(fields))?;
        map.serialize_entry("allocated", &self.allocated)?;
        map.serialize_entry("budget", &self.budget)?;
        map.serialize_entry("disbursed", &self.disbursed)?;
        if let Some(fiscal_year) = fiscal_year {
            map.serialize_entry("fiscal_year", &fiscal_year)?;
        }
        map.serialize_entry("planned", &self.planned)?;
        map.serialize_entry("source", &source)?;
        map.serialize_entry("unspent", &self.unspent)?;
        map.end()
    }
}

impl Serialize for FundingByYear {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.figures
            .serialize_with(Some(self.fiscal_year), self.source, serializer)
    }
}

impl Serialize for FundingBySource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.figures.serialize_with(None, self.source, serializer)
    }
}

/// Exact sums, before they are narrowed for the answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FundingSums {
    pub(crate) planned: i128,
    pub(crate) allocated: i128,
    pub(crate) disbursed: i128,
    pub(crate) budget: i128,
}

impl FundingSums {
    /// The sums of one (plan, fiscal year, source) cell: planned, allocated, disbursed.
    pub(crate) fn of_cell([planned, allocated, disbursed]: [i128; 3]) -> FundingSums {
        FundingSums {
            planned,
            allocated,
            disbursed,
            budget: if allocated > 0 { allocated } else { planned },
        }
    }

    pub(crate) fn add(&mut self, other: FundingSums) {
        self.planned += other.planned;
        self.allocated += other.allocated;
        self.disbursed += other.disbursed;
        self.budget += other.budget;
    }

    pub(crate) fn is_empty(&self) -> bool {
        *self == FundingSums::default()
    }

    pub(crate) fn figures(self) -> FundingFigures {
        FundingFigures {
            planned: saturating_u64(self.planned),
            allocated: saturating_u64(self.allocated),
            disbursed: saturating_u64(self.disbursed),
            budget: saturating_u64(self.budget),
            unspent: saturating_i64(self.allocated - self.disbursed),
        }
    }
}

impl Record {
    /// Funding over the plans of `query.plan`'s subtree (every plan without it).
    pub fn funding(&self, query: &Query) -> Funding {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let aggregate = fold::aggregate(self, visibility, &plans, &[]);
        let by_year = self.funding_by_year_and_source(&aggregate, &plans);
        let mut by_source: BTreeMap<Source, FundingSums> = BTreeMap::new();
        let mut totals = FundingSums::default();
        for (&(_, source), &sums) in &by_year {
            by_source.entry(source).or_default().add(sums);
            totals.add(sums);
        }
        Funding {
            currency: "VND",
            by_year: by_year
                .into_iter()
                .map(|((fiscal_year, source), sums)| FundingByYear {
                    fiscal_year,
                    source,
                    figures: sums.figures(),
                })
                .collect(),
            by_source: by_source
                .into_iter()
                .map(|(source, sums)| FundingBySource {
                    source,
                    figures: sums.figures(),
                })
                .collect(),
            totals: totals.figures(),
            budget_in_words: vnd::spell(saturating_u64(totals.budget)),
        }
    }

    /// Funding per (plan, fiscal year, source) cell over `query.plan`'s subtree: the rows that
    /// `by_year` adds up, ordered by fiscal year, source, then plan key. Cells with nothing
    /// visible are left out.
    pub fn funding_by_plan(&self, query: &Query) -> Vec<FundingByPlan> {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let aggregate = fold::aggregate(self, visibility, &plans, &[]);
        let mut rows = Vec::new();
        for &plan in &plans.members {
            let entry = self.plan_at(plan);
            for &cell in &entry.cells.funding {
                let sums = FundingSums::of_cell(aggregate.funding_of(cell));
                if sums.is_empty() {
                    continue;
                }
                let key = self.tables.cells.funding.key(cell);
                rows.push(FundingByPlan {
                    plan: entry.key.clone(),
                    fiscal_year: key.fiscal_year,
                    source: key.source,
                    figures: sums.figures(),
                });
            }
        }
        rows.sort_by(|a, b| {
            (a.fiscal_year, a.source, a.plan.as_str()).cmp(&(
                b.fiscal_year,
                b.source,
                b.plan.as_str(),
            ))
        });
        rows
    }

    /// Sums per (fiscal year, source) over `plans`, each plan's budget taken per cell first.
    pub(crate) fn funding_by_year_and_source(
        &self,
        aggregate: &Aggregate,
        plans: &PlanSet,
    ) -> BTreeMap<(i16, Source), FundingSums> {
        let mut by_year: BTreeMap<(i16, Source), FundingSums> = BTreeMap::new();
        for &plan in &plans.members {
            for &cell in &self.plan_at(plan).cells.funding {
                let sums = FundingSums::of_cell(aggregate.funding_of(cell));
                if sums.is_empty() {
                    continue;
                }
                let key = self.tables.cells.funding.key(cell);
                by_year
                    .entry((key.fiscal_year, key.source))
                    .or_default()
                    .add(sums);
            }
        }
        by_year
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{LogBuilder, as_of, known_at, now, to_json, within};

    #[test]
    fn budget_is_allocated_where_anything_was_allocated_else_planned() {
        // Given, on one plan: 2011 central planned 100 and allocated 80, disbursed 90;
        // 2011 local planned 50 only; and on a child, 2010 other allocated 10.
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        log.register("c", Some("p"), "2009-01-01");
        log.funds("planned", "p", "2011-01-01", 2011, "central", 100);
        log.funds("allocated", "p", "2011-02-01", 2011, "central", 80);
        log.funds("disbursed", "p", "2011-03-01", 2011, "central", 60);
        log.funds("disbursed", "p", "2011-04-01", 2011, "central", 30);
        log.funds("planned", "p", "2011-01-01", 2011, "local", 50);
        log.funds("allocated", "c", "2010-06-01", 2010, "other", 10);
        // When funding is read,
        let funding = to_json(&log.record().funding(&now()));
        // then each row sums its (plan, year, source) cells, budget follows allocation,
        // unspent may be negative, and rows are ordered by year then source.
        assert_eq!(
            funding,
            json!({
                "currency": "VND",
                "by_year": [
                    {"fiscal_year": 2010, "source": "other", "planned": 0, "allocated": 10,
                     "disbursed": 0, "budget": 10, "unspent": 10},
                    {"fiscal_year": 2011, "source": "central", "planned": 100, "allocated": 80,
                     "disbursed": 90, "budget": 80, "unspent": -10},
                    {"fiscal_year": 2011, "source": "local", "planned": 50, "allocated": 0,
                     "disbursed": 0, "budget": 50, "unspent": 0},
                ],
                "by_source": [
                    {"source": "central", "planned": 100, "allocated": 80, "disbursed": 90,
                     "budget": 80, "unspent": -10},
                    {"source": "local", "planned": 50, "allocated": 0, "disbursed": 0,
                     "budget": 50, "unspent": 0},
                    {"source": "other", "planned": 0, "allocated": 10, "disbursed": 0,
                     "budget": 10, "unspent": 10},
                ],
                "totals": {"planned": 150, "allocated": 90, "disbursed": 90, "budget": 140,
                           "unspent": 0},
                "budget_in_words": "Một trăm bốn mươi đồng",
            })
        );
    }

    #[test]
    fn the_rows_by_plan_add_up_to_the_rows_by_year() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        log.register("c", Some("p"), "2009-01-01");
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 70);
        log.funds("planned", "c", "2011-01-01", 2011, "local", 500);
        log.funds("disbursed", "c", "2012-01-01", 2012, "central", 9);
        let record = log.record();
        for query in [now(), as_of("2011-12-31"), within("c")] {
            let rows = record.funding_by_plan(&query);
            let mut summed: std::collections::BTreeMap<_, crate::FundingFigures> =
                Default::default();
            for row in &rows {
                let sum = summed.entry((row.fiscal_year, row.source)).or_default();
                sum.planned += row.figures.planned;
                sum.allocated += row.figures.allocated;
                sum.disbursed += row.figures.disbursed;
                sum.budget += row.figures.budget;
                sum.unspent += row.figures.unspent;
            }
            let by_year: std::collections::BTreeMap<_, _> = record
                .funding(&query)
                .by_year
                .into_iter()
                .map(|row| ((row.fiscal_year, row.source), row.figures))
                .collect();
            assert_eq!(summed, by_year, "{query:?}");
        }
        let rows = record.funding_by_plan(&now());
        let keys: Vec<_> = rows
            .iter()
            .map(|row| (row.fiscal_year, row.plan.as_str()))
            .collect();
        assert_eq!(keys, [(2011, "c"), (2011, "p"), (2012, "c")]);
    }

    #[test]
    fn budget_is_taken_per_plan_before_it_is_summed() {
        // Given two plans with the same year and source: one allocated, one only planned.
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        log.register("c", Some("p"), "2009-01-01");
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 70);
        log.funds("planned", "c", "2011-01-01", 2011, "local", 500);
        // Then the year's budget is 70 + 500, not 70.
        let funding = log.record().funding(&now());
        assert_eq!(funding.by_year[0].figures.budget, 570);
        assert_eq!(funding.totals.budget, 570);
    }

    #[test]
    fn an_empty_record_has_no_rows_and_a_zero_budget() {
        let funding = to_json(&LogBuilder::default().record().funding(&now()));
        assert_eq!(
            funding,
            json!({"currency": "VND", "by_year": [], "by_source": [],
                   "totals": {"planned": 0, "allocated": 0, "disbursed": 0, "budget": 0,
                              "unspent": 0},
                   "budget_in_words": "Không đồng"})
        );
    }

    #[test]
    fn plan_selects_the_subtree_and_as_of_the_dates() {
        let mut log = LogBuilder::default();
        log.register("root", None, "2009-01-01");
        log.register("left", Some("root"), "2009-01-01");
        log.register("right", Some("root"), "2009-01-01");
        log.funds("allocated", "root", "2011-01-01", 2011, "local", 1);
        log.funds("allocated", "left", "2011-06-01", 2011, "local", 10);
        log.funds("allocated", "right", "2012-01-01", 2012, "local", 100);
        let record = log.record();
        assert_eq!(record.funding(&now()).totals.allocated, 111);
        assert_eq!(record.funding(&within("left")).totals.allocated, 10);
        assert_eq!(record.funding(&within("root")).totals.allocated, 111);
        assert_eq!(record.funding(&as_of("2011-12-31")).totals.allocated, 11);
        assert_eq!(record.funding(&as_of("2011-01-01")).totals.allocated, 1);
    }

    #[test]
    fn corrections_and_retractions_apply_from_when_they_were_recorded() {
        // Given an allocation of 100, corrected to 120 at 2026-02-01, a second allocation
        // retracted at 2026-03-01, and a third corrected twice (the latest recorded wins).
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        let first = log.funds("allocated", "p", "2011-01-01", 2011, "local", 100);
        let second = log.funds("allocated", "p", "2011-01-01", 2011, "local", 5);
        let third = log.funds("allocated", "p", "2011-01-01", 2011, "central", 1);
        let replacement = |amount: u64| json!({"data": {"fiscal_year": 2011, "source": "central", "amount": amount}});
        log.at("2026-02-01T00:00:00Z");
        log.correct(
            first,
            "2026-02-01",
            json!({"data": {"fiscal_year": 2011,
            "source": "local", "amount": 120}}),
        );
        log.at("2026-03-01T00:00:00Z");
        log.retract(second, "2026-03-01");
        log.correct(third, "2026-03-01", replacement(2));
        log.correct(third, "2026-03-01", replacement(3));
        let record = log.record();
        // Then now: 120 local and 3 central, whatever as_of says;
        let funding = record.funding(&as_of("2011-01-01"));
        assert_eq!(funding.by_source[0].figures.allocated, 3);
        assert_eq!(funding.by_source[1].figures.allocated, 120);
        // known before the first correction: 100 + 5 local, 1 central;
        let before = record.funding(&known_at("2026-01-31T00:00:00Z"));
        assert_eq!(before.by_source[0].figures.allocated, 1);
        assert_eq!(before.by_source[1].figures.allocated, 105);
        // known between them: 120 + 5 local.
        let between = record.funding(&known_at("2026-02-15T00:00:00Z"));
        assert_eq!(between.by_source[1].figures.allocated, 125);
    }

    #[test]
    fn a_correction_that_moves_occurred_on_moves_the_act_for_as_of() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        let allocation = log.funds("allocated", "p", "2011-01-01", 2011, "local", 100);
        log.correct(
            allocation,
            "2026-01-01",
            json!({"occurred_on": "2011-09-01"}),
        );
        let record = log.record();
        assert_eq!(record.funding(&as_of("2011-06-01")).totals.allocated, 0);
        assert_eq!(record.funding(&as_of("2011-09-01")).totals.allocated, 100);
        let known_before = crate::Query {
            as_of: Some(crate::testing::date("2011-06-01")),
            known_at: Some(log.events()[1].recorded_at),
            ..now()
        };
        assert_eq!(record.funding(&known_before).totals.allocated, 100);
    }
}
