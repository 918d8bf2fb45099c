//! Plan status (CONTRACT §3.1): lifecycle, approval, history, and targets against actuals.

use std::collections::{BTreeMap, HashMap};

use acta_events::catalogue::{Period, PlanKind};
use acta_events::{CivilDate, EventId, EventType, PlanKey, PlanStatus};
use serde::Serialize;

use crate::aggregate::{Aggregate, ListKind, TargetCandidate, TargetKey, saturating_u64};
use crate::compact::{LifecycleDetails, LifecycleEvent, PlanIndex};
use crate::fold;
use crate::plans::PlanSet;
use crate::query::{Query, Visibility};
use crate::record::Record;

/// One plan's status, `GET /v1/plans/{plan}`. Fields in byte order of their names, as every
/// answer's keys (see `Funding`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanStatusView {
    /// From the latest visible `plan.approved`; `null` until the plan is approved, and kept
    /// after it is completed or cancelled.
    pub approval: Option<Approval>,
    pub code: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// Every (indicator, year) with a target or an actual in this plan alone, ordered by
    /// indicator then year.
    pub indicators: Vec<IndicatorRow>,
    pub issuer: Option<String>,
    pub kind: PlanKind,
    pub parent: Option<PlanKey>,
    pub period: Period,
    pub plan: PlanKey,
    pub status: PlanStatus,
    /// The date of the latest visible lifecycle event.
    pub status_since: CivilDate,
    pub title: String,
    /// How many events of the plan's stream (lifecycle, acts, corrections) were recorded by
    /// `known_at`. It is a system-time count, like the `version` of stored events, so `as_of`
    /// does not change it: it stays usable as `expected_version`.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub approved_by: Option<String>,
    pub decision: String,
    pub on: CivilDate,
}

/// One lifecycle event: the status it led to, its date and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub event: EventId,
    pub on: CivilDate,
    pub status: PlanStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorRow {
    /// `0` where nothing was done.
    pub actual: u64,
    pub indicator: String,
    pub target: Option<u64>,
    pub year: i16,
}

impl Record {
    /// Every plan registered as of the query's time axes, in registration order (the order of
    /// their `plan.registered` in the log), within `query.plan`'s subtree when it is given.
    pub fn plans(&self, query: &Query) -> Vec<PlanStatusView> {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let aggregate = fold::aggregate(self, visibility, &plans, &[ListKind::Targets]);
        let mut targets_by_plan: HashMap<PlanIndex, Vec<(TargetKey, TargetCandidate)>> =
            HashMap::new();
        for (key, target) in aggregate.winning_targets(|plan| plans.contains(plan)) {
            targets_by_plan
                .entry(key.0)
                .or_default()
                .push((key, target));
        }
        plans
            .members
            .iter()
            .filter_map(|&plan| {
                let targets = targets_by_plan.remove(&plan).unwrap_or_default();
                self.status_of(plan, visibility, &aggregate, &targets)
            })
            .collect()
    }

    /// One plan's status, or `None` when it is not registered as of the query's time axes
    /// (`404`). `query.plan` is not used.
    pub fn plan(&self, plan: &PlanKey, query: &Query) -> Option<PlanStatusView> {
        let plan = self.plan_index_of(plan)?;
        let visibility = self.visibility(query);
        let only_this_plan = self.single(plan);
        let aggregate = fold::aggregate(self, visibility, &only_this_plan, &[ListKind::Targets]);
        let targets = aggregate.winning_targets(|candidate| candidate == plan);
        self.status_of(plan, visibility, &aggregate, &targets)
    }

    fn single(&self, plan: PlanIndex) -> PlanSet {
        PlanSet::only(plan, self.plans.len())
    }

    /// The plan's status, or `None` when it is not registered at these time axes.
    fn status_of(
        &self,
        plan: PlanIndex,
        visibility: Visibility,
        aggregate: &Aggregate,
        targets: &[(TargetKey, TargetCandidate)],
    ) -> Option<PlanStatusView> {
        let entry = self.plan_at(plan);
        let mut lifecycle = self.visible_lifecycle(plan, visibility);
        let (registration, registered) = lifecycle.next()?;
        let LifecycleDetails::Registered {
            title,
            code,
            issuer,
            period,
        } = registered
        else {
            return None;
        };
        let walked = walk_lifecycle(registration, lifecycle);
        Some(PlanStatusView {
            plan: entry.key.clone(),
            title: title.clone(),
            code: code.clone(),
            issuer: issuer.clone(),
            kind: entry.kind,
            parent: entry.parent.map(|parent| self.plan_at(parent).key.clone()),
            period: *period,
            status: walked.status,
            status_since: walked.since,
            approval: walked.approval,
            history: walked.history,
            indicators: self.indicator_rows(plan, aggregate, targets),
            version: entry.stream_version(visibility.known_ms),
        })
    }

    /// Every (indicator, year) of the plan with a visible actual or a target in force, ordered
    /// by indicator then year.
    fn indicator_rows(
        &self,
        plan: PlanIndex,
        aggregate: &Aggregate,
        targets: &[(TargetKey, TargetCandidate)],
    ) -> Vec<IndicatorRow> {
        let mut rows: BTreeMap<(&str, i16), (Option<u64>, u64)> = BTreeMap::new();
        for &cell in &self.plan_at(plan).cells.indicators {
            let (actual, acts) = aggregate.indicator_of(cell);
            if acts > 0 {
                let key = self.tables.cells.indicators.key(cell);
                rows.entry((self.tables.indicators.name(key.indicator), key.year))
                    .or_default()
                    .1 = saturating_u64(actual);
            }
        }
        for ((_, indicator, year), target) in targets {
            rows.entry((self.tables.indicators.name(*indicator), *year))
                .or_default()
                .0 = Some(target.quantity);
        }
        rows.into_iter()
            .map(|((indicator, year), (target, actual))| IndicatorRow {
                indicator: indicator.to_owned(),
                year,
                target,
                actual,
            })
            .collect()
    }
}

/// Where a plan's visible lifecycle led.
struct Walked {
    status: PlanStatus,
    /// The date of the latest visible lifecycle event.
    since: CivilDate,
    approval: Option<Approval>,
    history: Vec<HistoryEntry>,
}

/// The status each visible lifecycle event led to, from the registration on, and the latest
/// approval's details.
fn walk_lifecycle<'r>(
    registration: &LifecycleEvent,
    later: impl Iterator<Item = (&'r LifecycleEvent, &'r LifecycleDetails)>,
) -> Walked {
    let mut status = PlanStatus::Draft;
    let mut history = vec![HistoryEntry {
        status,
        on: registration.day.to_civil(),
        event: registration.id,
    }];
    let mut approval = None;
    for (event, details) in later {
        // The store allows only valid transitions; an impossible one leaves the status.
        status = status.after(event.event_type).unwrap_or(status);
        let on = event.day.to_civil();
        history.push(HistoryEntry {
            status,
            on,
            event: event.id,
        });
        if let (
            EventType::PlanApproved,
            LifecycleDetails::Approved {
                decision,
                approved_by,
            },
        ) = (event.event_type, details)
        {
            approval = Some(Approval {
                decision: decision.clone(),
                approved_by: approved_by.clone(),
                on,
            });
        }
    }
    let since = history.last().map_or(registration.day.to_civil(), |h| h.on);
    Walked {
        status,
        since,
        approval,
        history,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{LogBuilder, as_of, known_at, now, plan_key, to_json, within};

    #[test]
    fn a_registered_plan_is_a_draft_with_the_whole_shape() {
        // Given a plan registered with every field.
        let mut log = LogBuilder::default();
        let registered = log.event(
            "plan.registered",
            "dn-sxsh-2015",
            "2011-12-07",
            json!({"title": "Kế hoạch SXSH", "code": "3269/QĐ-UBND", "issuer": "UBND tỉnh",
                   "kind": "plan", "period": {"from_year": 2011, "to_year": 2015}}),
        );
        // When its status is read,
        let status = log
            .record()
            .plan(&plan_key("dn-sxsh-2015"), &now())
            .unwrap();
        // then it is a draft with no approval, one history entry and version 1.
        assert_eq!(
            to_json(&status),
            json!({
                "plan": "dn-sxsh-2015", "title": "Kế hoạch SXSH", "code": "3269/QĐ-UBND",
                "issuer": "UBND tỉnh", "kind": "plan", "parent": null,
                "period": {"from_year": 2011, "to_year": 2015},
                "status": "draft", "status_since": "2011-12-07", "approval": null,
                "history": [{"status": "draft", "on": "2011-12-07", "event": registered.to_string()}],
                "indicators": [], "version": 1,
            })
        );
    }

    #[test]
    fn approval_shows_from_its_date_and_from_when_it_was_recorded() {
        // Given a plan registered in 2011 and approved on 2012-03-01, the approval recorded
        // at 2026-02-01.
        let mut log = LogBuilder::default();
        log.register("p", None, "2011-12-07");
        log.event("plan.submitted", "p", "2012-01-05", json!({"to": "UBND"}));
        log.at("2026-02-01T00:00:00Z");
        let approved = log.event(
            "plan.approved",
            "p",
            "2012-03-01",
            json!({"decision": "9/QĐ", "approved_by": "UBND tỉnh"}),
        );
        let record = log.record();
        let key = plan_key("p");
        // Then now it is approved since 2012-03-01, with the approval and three history rows.
        let status = record.plan(&key, &now()).unwrap();
        assert_eq!(status.status.as_str(), "approved");
        assert_eq!(status.status_since.to_string(), "2012-03-01");
        assert_eq!(
            to_json(&status.approval),
            json!({"decision": "9/QĐ", "approved_by": "UBND tỉnh", "on": "2012-03-01"})
        );
        assert_eq!(
            to_json(&status.history[2]),
            json!({"status": "approved", "on": "2012-03-01", "event": approved.to_string()})
        );
        assert_eq!(status.version, 3);
        // As of the day before the approval it was submitted; before registration it was not
        // registered at all.
        let before = record.plan(&key, &as_of("2012-02-29")).unwrap();
        assert_eq!(before.status.as_str(), "submitted");
        assert!(before.approval.is_none());
        assert_eq!(
            before.version, 3,
            "version counts the stream whatever as_of says"
        );
        assert!(record.plan(&key, &as_of("2011-12-06")).is_none());
        assert!(record.plans(&as_of("2011-12-06")).is_empty());
        // Known before the approval was recorded, it was submitted, at version 2.
        let earlier = record
            .plan(&key, &known_at("2026-01-31T00:00:00Z"))
            .unwrap();
        assert_eq!(earlier.status.as_str(), "submitted");
        assert_eq!(earlier.version, 2);
        // Known before anything was recorded, it did not exist.
        assert!(
            record
                .plan(&key, &known_at("2025-01-01T00:00:00Z"))
                .is_none()
        );
    }

    #[test]
    fn completion_and_cancellation_keep_the_approval() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2011-01-01");
        log.approve("p", "2011-02-01");
        log.event("plan.completed", "p", "2015-12-31", json!({}));
        let status = log.record().plan(&plan_key("p"), &now()).unwrap();
        assert_eq!(status.status.as_str(), "completed");
        assert_eq!(status.approval.unwrap().on.to_string(), "2011-02-01");
        assert_eq!(status.status_since.to_string(), "2015-12-31");

        let mut log = LogBuilder::default();
        log.register("q", None, "2011-01-01");
        log.event(
            "plan.cancelled",
            "q",
            "2012-01-01",
            json!({"reason": "merged"}),
        );
        let status = log.record().plan(&plan_key("q"), &now()).unwrap();
        assert_eq!(status.status.as_str(), "cancelled");
        assert!(status.approval.is_none());
    }

    #[test]
    fn a_corrected_registration_changes_title_code_issuer_and_period_from_then_on() {
        // Given a registration corrected at 2026-03-01,
        let mut log = LogBuilder::default();
        let registered = log.register("p", None, "2011-12-07");
        log.at("2026-03-01T00:00:00Z");
        log.correct(
            registered,
            "2026-03-01",
            json!({"data": {"title": "Tên đúng", "code": "3269/QĐ-UBND", "issuer": "UBND",
                            "kind": "plan", "period": {"from_year": 2011, "to_year": 2016}}}),
        );
        let record = log.record();
        // then it reads corrected now, at any as_of,
        let status = record.plan(&plan_key("p"), &as_of("2011-12-07")).unwrap();
        assert_eq!(status.title, "Tên đúng");
        assert_eq!(status.code.as_deref(), Some("3269/QĐ-UBND"));
        assert_eq!(status.issuer.as_deref(), Some("UBND"));
        assert_eq!(status.period.to_year, 2016);
        assert_eq!(
            status.version, 2,
            "the correction is part of the plan's stream"
        );
        // and as it was before the correction was recorded.
        let before = record
            .plan(&plan_key("p"), &known_at("2026-02-28T00:00:00Z"))
            .unwrap();
        assert_eq!(before.title, "Plan p");
        assert_eq!(before.code, None);
        assert_eq!(before.period.to_year, 2020);
    }

    #[test]
    fn indicators_list_targets_and_actuals_of_the_plan_alone() {
        // Given a parent and a child, acts on both, and targets on the parent.
        let mut log = LogBuilder::default();
        log.register("parent", None, "2010-01-01");
        log.register("child", Some("parent"), "2010-01-01");
        let training = json!({"topic": "cleaner_production", "sessions": 2, "participants": 40});
        log.event("training.held", "parent", "2011-05-01", training.clone());
        log.event(
            "training.held",
            "parent",
            "2011-06-01",
            json!({"topic": "energy_efficiency", "sessions": 1}),
        );
        log.event("training.held", "child", "2011-05-01", training);
        log.event(
            "outreach.delivered",
            "parent",
            "2012-01-01",
            json!({"channel": "radio", "items": 3}),
        );
        log.event(
            "staff.assigned",
            "parent",
            "2012-01-01",
            json!({"unit": "Phòng", "count": 4}),
        );
        log.event(
            "assessment.completed",
            "parent",
            "2012-01-01",
            json!({"kind": "rapid", "enterprises": 2}),
        );
        log.event(
            "progress.reported",
            "parent",
            "2012-01-01",
            json!({"indicator": "enterprises.certified", "quantity": 0}),
        );
        // Two targets for the same year: the later by occurred_on wins, though recorded first.
        log.event(
            "target.set",
            "parent",
            "2011-03-01",
            json!({"indicator": "training.sessions", "year": 2011, "quantity": 10}),
        );
        log.event(
            "target.set",
            "parent",
            "2011-01-01",
            json!({"indicator": "training.sessions", "year": 2011, "quantity": 99}),
        );
        log.event(
            "target.set",
            "parent",
            "2011-01-01",
            json!({"indicator": "outreach.tv", "year": 2013, "quantity": 5}),
        );
        let record = log.record();
        // When the parent's status is read,
        let status = to_json(&record.plan(&plan_key("parent"), &now()).unwrap());
        // then rows are ordered by indicator then year, with targets where set and the child's
        // training left out; the training without participants feeds only sessions.
        assert_eq!(
            status["indicators"],
            json!([
                {"indicator": "assessment.enterprises", "year": 2012, "target": null, "actual": 2},
                {"indicator": "enterprises.certified", "year": 2012, "target": null, "actual": 0},
                {"indicator": "outreach.radio", "year": 2012, "target": null, "actual": 3},
                {"indicator": "outreach.tv", "year": 2013, "target": 5, "actual": 0},
                {"indicator": "staff.assigned", "year": 2012, "target": null, "actual": 4},
                {"indicator": "training.participants", "year": 2011, "target": null, "actual": 40},
                {"indicator": "training.sessions", "year": 2011, "target": 10, "actual": 3},
            ])
        );
        // As of 2011-02-01 only the first-dated target (99) exists.
        let early = record
            .plan(&plan_key("parent"), &as_of("2011-02-01"))
            .unwrap();
        let sessions = early
            .indicators
            .iter()
            .find(|row| row.indicator == "training.sessions")
            .unwrap();
        assert_eq!((sessions.target, sessions.actual), (Some(99), 0));
    }

    #[test]
    fn equal_dates_let_the_later_target_win() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        for quantity in [7, 8] {
            log.event(
                "target.set",
                "p",
                "2011-01-01",
                json!({"indicator": "outreach.radio", "year": 2011, "quantity": quantity}),
            );
        }
        let status = log.record().plan(&plan_key("p"), &now()).unwrap();
        assert_eq!(status.indicators[0].target, Some(8));
    }

    #[test]
    fn plans_come_in_registration_order_and_plan_selects_a_subtree() {
        let mut log = LogBuilder::default();
        log.register("z-root", None, "2010-01-01");
        log.register("a-child", Some("z-root"), "2012-01-01");
        log.register("m-other", None, "2011-01-01");
        log.register("b-grandchild", Some("a-child"), "2013-01-01");
        let record = log.record();
        let keys = |plans: Vec<super::PlanStatusView>| -> Vec<String> {
            plans.into_iter().map(|p| p.plan.to_string()).collect()
        };
        assert_eq!(
            keys(record.plans(&now())),
            ["z-root", "a-child", "m-other", "b-grandchild"]
        );
        assert_eq!(
            keys(record.plans(&as_of("2011-06-01"))),
            ["z-root", "m-other"]
        );
        assert_eq!(
            keys(record.plans(&within("a-child"))),
            ["a-child", "b-grandchild"]
        );
        let child = record.plan(&plan_key("b-grandchild"), &now()).unwrap();
        assert_eq!(child.parent.unwrap().as_str(), "a-child");
        assert!(record.plan_known(&plan_key("m-other")));
        assert!(!record.plan_known(&plan_key("nowhere")));
        assert!(record.plans(&within("nowhere")).is_empty());
    }
}
