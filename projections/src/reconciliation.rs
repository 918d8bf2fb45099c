//! Reconciliation (CONTRACT §3.4): where the record disagrees with itself.

use acta_events::{EventId, PlanKey};
use acta_messages::{Message, codes};
use serde::Serialize;

use crate::aggregate::{Aggregate, ListKind};
use crate::cells::IndicatorCellKey;
use crate::compact::{
    CellIndex, FundingMetric, Metric, Payload, PlanIndex, TotalClaim, WordsReading,
};
use crate::fold;
use crate::funding::FundingSums;
use crate::plans::PlanSet;
use crate::query::{Query, Visibility};
use crate::record::Record;

/// `GET /v1/reconciliation`. Fields in byte order of their names, as every answer's keys (see
/// `Funding`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    /// Errors first, then warnings; within a severity by kind (in the order of the contract's
    /// table: total_mismatch, words_mismatch, words_unreadable, breakdown_mismatch, overspend,
    /// disbursed_without_allocation, target_missed), then plan key, year (`null` first),
    /// indicator, and event id.
    pub findings: Vec<Finding>,
    /// True when no finding has severity `error`.
    pub ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    TotalMismatch,
    WordsMismatch,
    WordsUnreadable,
    BreakdownMismatch,
    Overspend,
    DisbursedWithoutAllocation,
    TargetMissed,
}

impl FindingKind {
    pub fn severity(self) -> Severity {
        match self {
            FindingKind::WordsUnreadable | FindingKind::TargetMissed => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// Errors sort before warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One disagreement. Figures are exact integers (`i128`: a sum over many events, or a number
/// read from words, can pass `i64`); `difference` = `actual − expected`. Fields in byte order
/// of their names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `null` for `words_unreadable`.
    pub actual: Option<i128>,
    /// What the finding says, as a code and parameters (`code`, `params`); the text is rendered
    /// at the edge, in the language the reader asks for, and added there as `message`.
    #[serde(rename = "code", serialize_with = "code_of")]
    pub message: Message,
    /// `null` for `words_unreadable`.
    pub difference: Option<i128>,
    /// The event the finding is about: the `total.reported` (total and words findings), the
    /// `training.held` (breakdown), the latest visible disbursement of the (plan, fiscal year,
    /// source) by `occurred_on` then `seq` (overspend, disbursed without allocation), or the
    /// `target.set` in force (target missed).
    pub event: EventId,
    pub expected: i128,
    /// The indicator of a missed target, or the metric of a total; `null` otherwise. Not in the
    /// contract's example; clients ignore keys they do not know.
    pub indicator: Option<String>,
    pub kind: FindingKind,
    /// The same message, serialized as its `params` (the field above gives its `code`).
    #[serde(rename = "params", serialize_with = "params_of")]
    pub params: Message,
    pub plan: PlanKey,
    pub severity: Severity,
    /// The training's year (breakdown), the fiscal year (overspend, disbursed without
    /// allocation), the target's year (target missed); `null` for total and words findings,
    /// whose claim may cover a range of years.
    pub year: Option<i16>,
}

fn code_of<S: serde::Serializer>(message: &Message, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(message.code())
}

fn params_of<S: serde::Serializer>(message: &Message, serializer: S) -> Result<S::Ok, S::Error> {
    message.params_json().serialize(serializer)
}

impl Finding {
    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.severity,
            self.kind,
            self.plan.as_str(),
            self.year,
            self.indicator.as_deref(),
            self.event,
        )
    }
}

struct FindingDraft {
    kind: FindingKind,
    event: EventId,
    plan: PlanIndex,
    year: Option<i16>,
    indicator: Option<String>,
    expected: i128,
    actual: Option<i128>,
    message: Message,
}

impl Record {
    /// Findings about the plans of `query.plan`'s subtree (every plan without it).
    pub fn reconciliation(&self, query: &Query) -> Reconciliation {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let aggregate = fold::aggregate(self, visibility, &plans, &ListKind::ALL);
        let mut drafts = Vec::new();
        self.check_totals(&aggregate, &plans, &mut drafts);
        self.check_breakdowns(&aggregate, &plans, &mut drafts);
        self.check_disbursements(&aggregate, &plans, visibility, &mut drafts);
        let year_ended_before = query.as_of.unwrap_or(query.today).year();
        self.check_targets(&aggregate, &plans, year_ended_before, &mut drafts);

        let mut findings: Vec<Finding> = drafts
            .into_iter()
            .map(|draft| Finding {
                kind: draft.kind,
                severity: draft.kind.severity(),
                event: draft.event,
                plan: self.plan_at(draft.plan).key.clone(),
                year: draft.year,
                indicator: draft.indicator,
                expected: draft.expected,
                actual: draft.actual,
                difference: draft.actual.map(|actual| actual - draft.expected),
                params: draft.message.clone(),
                message: draft.message,
            })
            .collect();
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Reconciliation {
            ok: findings
                .iter()
                .all(|finding| finding.severity != Severity::Error),
            findings,
        }
    }

    fn check_totals(&self, aggregate: &Aggregate, plans: &PlanSet, drafts: &mut Vec<FindingDraft>) {
        for reference in aggregate.totals.iter() {
            if !plans.contains(reference.plan) {
                continue;
            }
            let Payload::Total { claim } = self.state(reference).payload else {
                continue;
            };
            let claim = &self.tables.claims[claim as usize];
            let event = self.identity(reference).id;
            let plan_key = &self.plan_at(reference.plan).key;
            let is_money = matches!(claim.metric, Metric::Funding(_));
            let claimed = |code| describe_claim(code, claim, plan_key);
            let amount = i128::from(claim.amount);
            match claim.words {
                WordsReading::Absent => {}
                WordsReading::Reads(words) if i128::from(words) == amount => {}
                WordsReading::Reads(words) => {
                    let words = i128::from(words);
                    drafts.push(FindingDraft {
                        kind: FindingKind::WordsMismatch,
                        event,
                        plan: reference.plan,
                        year: None,
                        indicator: Some(claim.metric_name.clone()),
                        expected: amount,
                        actual: Some(words),
                        message: show(
                            claimed(codes::FINDING_WORDS_MISMATCH),
                            is_money,
                            "words",
                            words,
                        )
                        .and(is_money, "amount", amount)
                        .and(is_money, "difference", words - amount)
                        .0,
                    });
                }
                WordsReading::Unreadable => drafts.push(FindingDraft {
                    kind: FindingKind::WordsUnreadable,
                    event,
                    plan: reference.plan,
                    year: None,
                    indicator: Some(claim.metric_name.clone()),
                    expected: amount,
                    actual: None,
                    message: show(
                        claimed(codes::FINDING_WORDS_UNREADABLE),
                        is_money,
                        "amount",
                        amount,
                    )
                    .0,
                }),
            }
            let computed = self.claimed_metric(aggregate, claim, reference.plan);
            if computed != amount {
                drafts.push(FindingDraft {
                    kind: FindingKind::TotalMismatch,
                    event,
                    plan: reference.plan,
                    year: None,
                    indicator: Some(claim.metric_name.clone()),
                    expected: amount,
                    actual: Some(computed),
                    message: show(
                        claimed(codes::FINDING_TOTAL_MISMATCH),
                        is_money,
                        "reported",
                        amount,
                    )
                    .and(is_money, "computed", computed)
                    .and(is_money, "difference", computed - amount)
                    .0,
                });
            }
        }
    }

    /// The metric a total claims, over the claim's plan and the plans below it, within the
    /// claim's years (fiscal years for funding, years of `occurred_on` for indicators).
    fn claimed_metric(&self, aggregate: &Aggregate, claim: &TotalClaim, plan: PlanIndex) -> i128 {
        let scope = PlanSet::subtree(&self.plans, plan);
        let mut sum = 0i128;
        for &plan in &scope.members {
            let entry = self.plan_at(plan);
            match claim.metric {
                Metric::Funding(metric) => {
                    for &cell in &entry.cells.funding {
                        if !claim.covers(self.tables.cells.funding.key(cell).fiscal_year) {
                            continue;
                        }
                        let sums = FundingSums::of_cell(aggregate.funding_of(cell));
                        sum += match metric {
                            FundingMetric::Planned => sums.planned,
                            FundingMetric::Allocated => sums.allocated,
                            FundingMetric::Disbursed => sums.disbursed,
                            FundingMetric::Budget => sums.budget,
                        };
                    }
                }
                Metric::Indicator(indicator) => {
                    for &cell in &entry.cells.indicators {
                        let key = self.tables.cells.indicators.key(cell);
                        if key.indicator == indicator && claim.covers(key.year) {
                            sum += aggregate.indicator_of(cell).0;
                        }
                    }
                }
            }
        }
        sum
    }

    fn check_breakdowns(
        &self,
        aggregate: &Aggregate,
        plans: &PlanSet,
        drafts: &mut Vec<FindingDraft>,
    ) {
        for reference in aggregate.breakdown_mismatches.iter() {
            if !plans.contains(reference.plan) {
                continue;
            }
            let state = self.state(reference);
            let Payload::Training {
                participants,
                group_sum,
                ..
            } = state.payload
            else {
                continue;
            };
            let (Some(participants), Some(group_sum)) = (participants.get(), group_sum.get())
            else {
                continue;
            };
            let (participants, group_sum) = (i128::from(participants), i128::from(group_sum));
            drafts.push(FindingDraft {
                kind: FindingKind::BreakdownMismatch,
                event: self.identity(reference).id,
                plan: reference.plan,
                year: Some(state.year),
                indicator: None,
                expected: participants,
                actual: Some(group_sum),
                message: {
                    let date = state.day.to_civil();
                    Message::new(codes::FINDING_BREAKDOWN_MISMATCH)
                        .date("date", date.year(), date.jiff().month(), date.jiff().day())
                        .text("plan", self.plan_at(reference.plan).key.as_str())
                        .int("participants", participants)
                        .int("group_sum", group_sum)
                        .int("difference", group_sum - participants)
                },
            });
        }
    }

    fn check_disbursements(
        &self,
        aggregate: &Aggregate,
        plans: &PlanSet,
        visibility: Visibility,
        drafts: &mut Vec<FindingDraft>,
    ) {
        for &plan in &plans.members {
            for &cell in &self.plan_at(plan).cells.funding {
                let sums = FundingSums::of_cell(aggregate.funding_of(cell));
                if sums.disbursed <= sums.allocated {
                    continue;
                }
                let Some(event) = self.latest_disbursement(cell, visibility) else {
                    continue;
                };
                let key = self.tables.cells.funding.key(cell);
                let plan_key = &self.plan_at(plan).key;
                let about = |code| {
                    Message::new(code)
                        .text("plan", plan_key.as_str())
                        .word("source", key.source.as_str(), codes::SOURCE)
                        .int("fiscal_year", key.fiscal_year)
                        .money("disbursed", sums.disbursed)
                };
                let (kind, message) = if sums.allocated == 0 {
                    (
                        FindingKind::DisbursedWithoutAllocation,
                        about(codes::FINDING_DISBURSED_WITHOUT_ALLOCATION),
                    )
                } else {
                    (
                        FindingKind::Overspend,
                        about(codes::FINDING_OVERSPEND)
                            .money("allocated", sums.allocated)
                            .money("overspent", sums.disbursed - sums.allocated),
                    )
                };
                drafts.push(FindingDraft {
                    kind,
                    event,
                    plan,
                    year: Some(key.fiscal_year),
                    indicator: None,
                    expected: sums.allocated,
                    actual: Some(sums.disbursed),
                    message,
                });
            }
        }
    }

    /// The visible disbursement of a funding cell latest by `occurred_on`, then `seq`.
    fn latest_disbursement(&self, cell: CellIndex, visibility: Visibility) -> Option<EventId> {
        let candidates = self.disbursements.get(cell as usize)?;
        candidates
            .iter()
            .filter_map(|&reference| {
                let act = self.act(reference);
                if !visibility.recorded(act.recorded_ms) {
                    return None;
                }
                let (revision, state) = act.state_at(visibility.known_ms)?;
                let identity = self.identity(reference);
                (revision == reference.revision && visibility.dated(state.day))
                    .then_some(((state.day, identity.seq), identity.id))
            })
            .max_by_key(|(order, _)| *order)
            .map(|(_, id)| id)
    }

    fn check_targets(
        &self,
        aggregate: &Aggregate,
        plans: &PlanSet,
        year_ended_before: i16,
        drafts: &mut Vec<FindingDraft>,
    ) {
        for ((plan, indicator, year), target) in
            aggregate.winning_targets(|plan| plans.contains(plan))
        {
            // 31 December of the target's year is before the reference date exactly when the
            // year is before the reference date's year.
            if year >= year_ended_before {
                continue;
            }
            let actual = self
                .tables
                .cells
                .indicators
                .find(&IndicatorCellKey {
                    plan,
                    indicator,
                    year,
                })
                .map_or(0, |cell| aggregate.indicator_of(cell).0);
            let expected = i128::from(target.quantity);
            if actual >= expected {
                continue;
            }
            let name = self.tables.indicators.name(indicator);
            drafts.push(FindingDraft {
                kind: FindingKind::TargetMissed,
                event: self.identity(target.reference).id,
                plan,
                year: Some(year),
                indicator: Some(name.to_owned()),
                expected,
                actual: Some(actual),
                message: Message::new(codes::FINDING_TARGET_MISSED)
                    .text("plan", self.plan_at(plan).key.as_str())
                    .text("indicator", name)
                    .int("year", year)
                    .int("target", expected)
                    .int("actual", actual)
                    .int("short", expected - actual),
            });
        }
    }
}

/// A total or words finding's message with what the claim is: its metric, its plan and the
/// years it covers.
fn describe_claim(code: acta_messages::Code, claim: &TotalClaim, plan: &PlanKey) -> Message {
    let years = match (claim.from_year, claim.to_year) {
        (Some(from), Some(to)) if from == to => Message::new(codes::YEARS_ONE).int("year", from),
        (Some(from), Some(to)) => Message::new(codes::YEARS_RANGE)
            .int("from_year", from)
            .int("to_year", to),
        (Some(from), None) => Message::new(codes::YEARS_FROM).int("from_year", from),
        (None, Some(to)) => Message::new(codes::YEARS_UP_TO).int("to_year", to),
        (None, None) => Message::new(codes::YEARS_ALL),
    };
    Message::new(code)
        .text("metric", claim.metric_name.as_str())
        .text("plan", plan.as_str())
        .message("years", years)
}

/// A message being given figures: money in đồng for funding metrics, a plain count for
/// indicator metrics.
struct Shown(Message);

fn show(message: Message, is_money: bool, name: &'static str, amount: i128) -> Shown {
    Shown(message).and(is_money, name, amount)
}

impl Shown {
    fn and(self, is_money: bool, name: &'static str, amount: i128) -> Shown {
        Shown(if is_money {
            self.0.money(name, amount)
        } else {
            self.0.int(name, amount)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{FindingKind, Reconciliation};
    use crate::Query;
    use crate::testing::{LogBuilder, as_of, date, now, to_json, within};

    fn kinds(reconciliation: &Reconciliation) -> Vec<FindingKind> {
        reconciliation.findings.iter().map(|f| f.kind).collect()
    }

    fn total(amount: u64, words: Option<&str>) -> serde_json::Value {
        let mut data = json!({"metric": "funding.budget", "amount": amount,
                              "from_year": 2011, "to_year": 2012});
        if let Some(words) = words {
            data["amount_in_words"] = json!(words);
        }
        data
    }

    /// A programme with a child plan, funded in 2010, 2011 and 2012.
    fn funded() -> LogBuilder {
        let mut log = LogBuilder::default();
        log.register("prog", None, "2009-01-01");
        log.register("child", Some("prog"), "2009-01-01");
        log.funds("allocated", "prog", "2010-01-01", 2010, "local", 1_000);
        log.funds("allocated", "prog", "2011-01-01", 2011, "local", 2_000);
        log.funds("planned", "child", "2012-01-01", 2012, "central", 3_000);
        log
    }

    #[test]
    fn a_total_that_matches_its_scope_is_fine() {
        let mut log = funded();
        log.event(
            "total.reported",
            "prog",
            "2013-01-01",
            total(5_000, Some("Năm nghìn đồng")),
        );
        let reconciliation = log.record().reconciliation(&now());
        assert!(reconciliation.ok);
        assert!(reconciliation.findings.is_empty());
    }

    #[test]
    fn total_mismatch_when_the_reported_amount_differs_from_the_computed_metric() {
        // Given a claim of 6 000 for 2011–2012 over prog and below (which hold 5 000),
        let mut log = funded();
        let claim = log.event("total.reported", "prog", "2013-01-01", total(6_000, None));
        // when reconciled,
        let reconciliation = log.record().reconciliation(&now());
        // then one total_mismatch: expected the reported figure, actual the computed one.
        assert!(!reconciliation.ok);
        assert_eq!(
            to_json(&reconciliation),
            json!({"ok": false, "findings": [{
                "kind": "total_mismatch", "severity": "error", "event": claim.to_string(),
                "plan": "prog", "year": null, "indicator": "funding.budget",
                "expected": 6_000, "actual": 5_000, "difference": -1_000,
                "code": "finding-total_mismatch",
                "params": {"metric": "funding.budget", "plan": "prog",
                           "years": {"code": "years-range",
                                     "params": {"from_year": 2011, "to_year": 2012}},
                           "reported": 6_000, "computed": 5_000, "difference": -1_000},
            }]})
        );
        assert_eq!(
            reconciliation.findings[0].message.to_string(),
            "The total of funding.budget reported on plan prog for 2011–2012 is 6.000 ₫, but \
             the record gives 5.000 ₫ (difference -1.000 ₫)."
        );
        assert_eq!(
            reconciliation.findings[0]
                .message
                .render(acta_messages::Lang::Vi),
            "Tổng funding.budget báo cáo cho kế hoạch prog giai đoạn 2011–2012 là 6.000 ₫, nhưng \
             số liệu ghi nhận là 5.000 ₫ (chênh lệch -1.000 ₫)."
        );
    }

    #[test]
    fn a_total_on_a_child_covers_only_the_child_and_each_metric_is_its_own() {
        let mut log = funded();
        // The child alone holds 3 000 planned and nothing allocated.
        log.event(
            "total.reported",
            "child",
            "2013-01-01",
            json!({"metric": "funding.planned", "amount": 3_000}),
        );
        log.event(
            "total.reported",
            "child",
            "2013-01-01",
            json!({"metric": "funding.allocated", "amount": 1}),
        );
        // Without years, prog's allocations add up to 3 000.
        log.event(
            "total.reported",
            "prog",
            "2013-01-01",
            json!({"metric": "funding.allocated", "amount": 3_000}),
        );
        log.event(
            "total.reported",
            "prog",
            "2013-01-01",
            json!({"metric": "funding.disbursed", "amount": 3_000, "from_year": 2011}),
        );
        let reconciliation = log.record().reconciliation(&now());
        let mismatches: Vec<_> = reconciliation
            .findings
            .iter()
            .map(|f| (f.plan.to_string(), f.indicator.clone().unwrap(), f.actual))
            .collect();
        assert_eq!(
            mismatches,
            [
                ("child".to_owned(), "funding.allocated".to_owned(), Some(0)),
                ("prog".to_owned(), "funding.disbursed".to_owned(), Some(0)),
            ]
        );
    }

    #[test]
    fn a_total_of_an_indicator_sums_its_actuals_by_year() {
        let mut log = funded();
        log.event(
            "training.held",
            "child",
            "2011-03-01",
            json!({"topic": "cleaner_production", "sessions": 1, "participants": 30}),
        );
        log.event(
            "training.held",
            "prog",
            "2012-03-01",
            json!({"topic": "cleaner_production", "sessions": 1, "participants": 20}),
        );
        log.event(
            "progress.reported",
            "prog",
            "2014-03-01",
            json!({"indicator": "training.participants", "quantity": 1000}),
        );
        let claim = log.event(
            "total.reported",
            "prog",
            "2015-01-01",
            json!({"metric": "training.participants", "amount": 60, "to_year": 2013}),
        );
        let reconciliation = log.record().reconciliation(&now());
        assert_eq!(kinds(&reconciliation), [FindingKind::TotalMismatch]);
        let finding = &reconciliation.findings[0];
        assert_eq!(finding.event, claim);
        assert_eq!((finding.expected, finding.actual), (60, Some(50)));
        assert!(
            finding
                .message
                .to_string()
                .contains("is 60, but the record gives 50"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn words_mismatch_when_the_words_read_as_another_number() {
        let mut log = funded();
        let claim = log.event(
            "total.reported",
            "prog",
            "2013-01-01",
            total(5_000, Some("Bốn nghìn đồng chẵn")),
        );
        let reconciliation = log.record().reconciliation(&now());
        assert_eq!(kinds(&reconciliation), [FindingKind::WordsMismatch]);
        let finding = &reconciliation.findings[0];
        assert_eq!(finding.event, claim);
        assert_eq!(
            (finding.expected, finding.actual, finding.difference),
            (5_000, Some(4_000), Some(-1_000))
        );
        assert_eq!(
            finding.message.to_string(),
            "The amount in words of the total of funding.budget reported on plan prog for \
             2011–2012 reads as 4.000 ₫, not 5.000 ₫ (difference -1.000 ₫)."
        );
    }

    #[test]
    fn words_unreadable_is_a_warning() {
        let mut log = funded();
        log.event(
            "total.reported",
            "prog",
            "2013-01-01",
            total(5_000, Some("năm nghìn rưỡi")),
        );
        let reconciliation = log.record().reconciliation(&now());
        assert!(
            reconciliation.ok,
            "a warning does not make the record wrong"
        );
        let finding = to_json(&reconciliation.findings[0]);
        assert_eq!(finding["kind"], "words_unreadable");
        assert_eq!(finding["severity"], "warning");
        assert_eq!(finding["expected"], 5_000);
        assert_eq!(finding["actual"], json!(null));
        assert_eq!(finding["difference"], json!(null));
    }

    #[test]
    fn breakdown_mismatch_when_groups_do_not_add_up_to_participants() {
        // Given a training of 160 whose groups add up to 156, one whose groups agree, and one
        // with groups but no participants,
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        let wrong = log.event(
            "training.held",
            "p",
            "2010-12-31",
            json!({"topic": "cleaner_production", "sessions": 1, "participants": 160,
                   "participants_by_group": {"a": 100, "b": 56}}),
        );
        log.event(
            "training.held",
            "p",
            "2011-12-31",
            json!({"topic": "cleaner_production", "sessions": 1, "participants": 10,
                   "participants_by_group": {"a": 4, "b": 6}}),
        );
        log.event(
            "training.held",
            "p",
            "2012-12-31",
            json!({"topic": "cleaner_production", "sessions": 1,
                   "participants_by_group": {"a": 4}}),
        );
        // then one breakdown_mismatch, dated in the training's year.
        let reconciliation = log.record().reconciliation(&now());
        assert_eq!(kinds(&reconciliation), [FindingKind::BreakdownMismatch]);
        let finding = &reconciliation.findings[0];
        assert_eq!(finding.event, wrong);
        assert_eq!(finding.year, Some(2010));
        assert_eq!(
            (finding.expected, finding.actual, finding.difference),
            (160, Some(156), Some(-4))
        );
        assert_eq!(
            finding.message.to_string(),
            "The training of 2010-12-31 on plan p states 160 participants, but its groups add \
             up to 156 (difference -4)."
        );
    }

    #[test]
    fn correcting_the_participants_clears_the_breakdown_mismatch() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        let training = log.event(
            "training.held",
            "p",
            "2010-12-31",
            json!({"topic": "t", "sessions": 1, "participants": 160,
                   "participants_by_group": {"a": 156}}),
        );
        let before = log.last_recorded();
        log.correct(
            training,
            "2026-05-01",
            json!({"data": {"topic": "t", "sessions": 1,
            "participants": 156, "participants_by_group": {"a": 156}}}),
        );
        let record = log.record();
        assert!(record.reconciliation(&now()).ok);
        let then = Query {
            known_at: Some(before),
            ..now()
        };
        assert!(!record.reconciliation(&then).ok);
    }

    #[test]
    fn overspend_names_the_latest_disbursement() {
        // Given 100 allocated and 70 + 50 disbursed, the 50 dated last,
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 100);
        let last = log.funds("disbursed", "p", "2011-12-01", 2011, "local", 50);
        log.funds("disbursed", "p", "2011-06-01", 2011, "local", 70);
        let reconciliation = log.record().reconciliation(&now());
        // then one overspend of 20 about the disbursement of 2011-12-01.
        assert_eq!(kinds(&reconciliation), [FindingKind::Overspend]);
        let finding = &reconciliation.findings[0];
        assert_eq!(finding.event, last);
        assert_eq!(finding.year, Some(2011));
        assert_eq!(
            (finding.expected, finding.actual, finding.difference),
            (100, Some(120), Some(20))
        );
        assert_eq!(
            finding.message.to_string(),
            "Plan p disbursed 120 ₫ of local funds for fiscal year 2011, more than the 100 ₫ \
             allocated (overspent by 20 ₫)."
        );
        // As of 2011-11-30 only 70 was disbursed: no finding.
        assert!(
            log.record()
                .reconciliation(&as_of("2011-11-30"))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn disbursed_without_allocation_even_when_planned() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        log.funds("planned", "p", "2011-01-01", 2011, "central", 100);
        let spent = log.funds("disbursed", "p", "2011-06-01", 2011, "central", 40);
        // Allocated to another source does not count.
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 100);
        let reconciliation = log.record().reconciliation(&now());
        assert_eq!(
            kinds(&reconciliation),
            [FindingKind::DisbursedWithoutAllocation]
        );
        let finding = &reconciliation.findings[0];
        assert_eq!(finding.event, spent);
        assert_eq!(
            (finding.expected, finding.actual, finding.difference),
            (0, Some(40), Some(40))
        );
        assert_eq!(
            finding.message.to_string(),
            "Plan p disbursed 40 ₫ of central funds for fiscal year 2011, where nothing was \
             allocated."
        );
    }

    #[test]
    fn target_missed_once_the_year_has_ended() {
        // Given a target of 4 radio items for 2014 and 3 delivered,
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        let target = log.event(
            "target.set",
            "p",
            "2014-01-01",
            json!({"indicator": "outreach.radio", "year": 2014, "quantity": 4}),
        );
        log.event(
            "outreach.delivered",
            "p",
            "2014-06-01",
            json!({"channel": "radio", "items": 3}),
        );
        log.event(
            "target.set",
            "p",
            "2014-01-01",
            json!({"indicator": "outreach.tv", "year": 2014, "quantity": 0}),
        );
        let record = log.record();
        // then no warning while 2014 runs or on its last day,
        assert!(
            record
                .reconciliation(&as_of("2014-12-31"))
                .findings
                .is_empty()
        );
        let today_in_2014 = Query {
            today: date("2014-12-31"),
            ..now()
        };
        assert!(record.reconciliation(&today_in_2014).findings.is_empty());
        // and one warning from 2015-01-01 on, with or without as_of.
        for query in [as_of("2015-01-01"), now()] {
            let reconciliation = record.reconciliation(&query);
            assert!(reconciliation.ok);
            assert_eq!(kinds(&reconciliation), [FindingKind::TargetMissed]);
            assert_eq!(
                to_json(&reconciliation.findings[0]),
                json!({"kind": "target_missed", "severity": "warning",
                       "event": target.to_string(), "plan": "p", "year": 2014,
                       "indicator": "outreach.radio", "expected": 4, "actual": 3,
                       "difference": -1, "code": "finding-target_missed",
                       "params": {"plan": "p", "indicator": "outreach.radio", "year": 2014,
                                  "target": 4, "actual": 3, "short": 1}})
            );
            assert_eq!(
                reconciliation.findings[0].message.to_string(),
                "Plan p reached 3 of its 2014 target of 4 for outreach.radio (short by 1)."
            );
        }
        // Reaching the target clears it.
        log.event(
            "outreach.delivered",
            "p",
            "2014-12-01",
            json!({"channel": "radio", "items": 1}),
        );
        assert!(log.record().reconciliation(&now()).findings.is_empty());
    }

    #[test]
    fn findings_come_errors_first_and_plan_keeps_to_the_subtree() {
        let mut log = LogBuilder::default();
        log.register("b-root", None, "2009-01-01");
        log.register("a-child", Some("b-root"), "2009-01-01");
        log.event(
            "target.set",
            "a-child",
            "2010-01-01",
            json!({"indicator": "outreach.tv", "year": 2010, "quantity": 1}),
        );
        log.funds("disbursed", "b-root", "2011-01-01", 2011, "local", 5);
        log.funds("allocated", "a-child", "2011-01-01", 2011, "local", 1);
        log.funds("disbursed", "a-child", "2011-01-01", 2011, "local", 5);
        let record = log.record();
        let everything = record.reconciliation(&now());
        assert_eq!(
            kinds(&everything),
            [
                FindingKind::Overspend,
                FindingKind::DisbursedWithoutAllocation,
                FindingKind::TargetMissed,
            ]
        );
        let child = record.reconciliation(&within("a-child"));
        assert_eq!(
            kinds(&child),
            [FindingKind::Overspend, FindingKind::TargetMissed]
        );
        assert!(child.findings.iter().all(|f| f.plan.as_str() == "a-child"));
    }

    /// A figure beyond u64 (thousands of acts near 2^53 đồng each) is rendered exactly, as
    /// the server renders answers, rather than failing to render.
    #[test]
    fn a_difference_beyond_u64_renders_exactly() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2012-01-01");
        for _ in 0..2100 {
            log.funds(
                "planned",
                "p",
                "2012-02-01",
                2012,
                "local",
                9_007_199_254_740_991,
            );
        }
        log.event(
            "total.reported",
            "p",
            "2013-01-01",
            json!({"metric": "funding.planned", "amount": 1}),
        );
        let answer = log.record().reconciliation(&now());
        let text = String::from_utf8(serde_json::to_vec(&answer).unwrap()).unwrap();
        let planned = 2100_i128 * 9_007_199_254_740_991;
        assert!(text.contains(&planned.to_string()), "{text}");
        assert!(text.contains(&(planned - 1).to_string()), "{text}");
    }
}
