//! [`Record`]: every applied event in compact form, indexed for the queries, with the live
//! aggregate for "now".

use std::collections::HashMap;

use acta_events::catalogue::EventCorrected;
use acta_events::{
    EventData, EventHeader, EventId, EventRow, EventType, Instant, PlanKey, StoredEvent,
};

use crate::act_tables::ActTables;
use crate::aggregate::Aggregate;
use crate::checkpoint::Checkpoints;
use crate::compact::{
    Act, ActIdentity, ActState, ActStateRef, Day, FundsKind, LifecycleDetails, LifecycleEvent,
    Payload, PlanIndex, Revision, dense_index,
};
use crate::decode::ActFacts;
use crate::plans::{Plan, PlanSet};
use crate::query::{Query, Visibility};

/// The in-memory projection state: built by [`Record::apply`], one stored event at a time in
/// `seq` order, and asked through [`Record::plans`], [`Record::plan`], [`Record::funding`],
/// [`Record::yearly`] and [`Record::reconciliation`].
///
/// Applying is O(1) amortised (a few hash-map look-ups and pushes). A query without `as_of`
/// and `known_at` reads the live aggregate, whose size is the number of distinct
/// (plan, year, …) cells rather than the number of events; a query that travels in time starts
/// from a checkpoint of the live sums and folds only the acts of `as_of`'s year and those
/// recorded since (`fold.rs`), or, for a few plans, folds their compact acts in one linear
/// pass. `Record` holds no locks and no interior mutability, so it is `Send + Sync` and queries
/// take `&self`.
#[derive(Debug, Default)]
pub struct Record {
    pub(crate) plans: Vec<Plan>,
    plan_index: HashMap<PlanKey, PlanIndex>,
    events: HashMap<EventId, EventRef>,
    /// What every act's compact state points into: cells, names, decisions, claims.
    pub(crate) tables: ActTables,
    /// Per funding cell, every version of a disbursement ever charged to it, so that a finding
    /// about the cell can name its latest visible disbursement without a scan of the log.
    pub(crate) disbursements: Vec<Vec<ActStateRef>>,
    /// Every act, at its latest version, summed: the answer to "now".
    live: Aggregate,
    last_recorded_ms: Option<i64>,
    /// Copies of the live sums every so many events, for time travel (`checkpoint.rs`).
    pub(crate) checkpoints: Checkpoints,
}

#[derive(Debug, Clone, Copy)]
enum EventRef {
    Act { plan: PlanIndex, act: u32 },
    Lifecycle { plan: PlanIndex, index: u32 },
}

/// An event's data as read: a JSON value still to be checked, or an act's facts already read.
enum Data<'a> {
    Json(&'a serde_json::Value),
    Act(ActFacts<'a>),
}

impl Record {
    /// An empty record that keeps a checkpoint for time travel every `every` events (the
    /// default is `checkpoint::DEFAULT_CHECKPOINT_EVERY`). Tests use small distances so that
    /// short logs cross several checkpoints.
    pub fn with_checkpoint_every(every: usize) -> Record {
        Record {
            checkpoints: Checkpoints::every(every),
            ..Record::default()
        }
    }

    /// Folds one stored event into the record. Events must come in `seq` order, as stored.
    ///
    /// A stored event has passed every check of `acta-events`, so it always parses and always
    /// refers to what exists; should one not (a bug elsewhere), it is skipped rather than
    /// allowed to take the service down.
    pub fn apply(&mut self, event: &StoredEvent) {
        self.apply_read(&event.header(), Data::Json(&event.data));
    }

    /// Folds one stored event as the cold start reads it ([`Log::open_with_replay`]): the same
    /// fold as [`Record::apply`] of the whole [`StoredEvent`], with an act's `data` read
    /// straight from its stored text ([`BorrowedData`]) into what the record keeps
    /// (`decode.rs`). An event whose
    /// `data` is not JSON is skipped whole, as a scan of the log skips its row.
    ///
    /// [`Log::open_with_replay`]: acta_events::Log::open_with_replay
    /// [`BorrowedData`]: acta_events::catalogue::BorrowedData
    pub fn replay(&mut self, event: &EventRow<'_>) {
        let header = &event.header;
        if let Some(facts) = ActFacts::read(header.event_type, event.data) {
            return self.apply_read(header, Data::Act(facts));
        }
        let Ok(data) = serde_json::from_str::<serde_json::Value>(event.data) else {
            return;
        };
        self.apply_read(header, Data::Json(&data));
    }

    /// [`Record::apply`] and [`Record::replay`]: one fold, whichever way the data was read.
    fn apply_read(&mut self, event: &EventHeader<'_>, data: Data<'_>) {
        let recorded_ms = self.note_recorded_at(event.recorded_at);
        // Every stored event of a known plan is part of its stream, and so of its version,
        // even one this record cannot read.
        let plan = self.plan_index.get(event.plan).copied();
        if let Some(plan) = plan
            && event.event_type != EventType::PlanRegistered
        {
            self.plans[plan as usize]
                .stream_recorded_ms
                .push(recorded_ms);
        }
        let parsed;
        let facts = match data {
            Data::Act(facts) => facts,
            Data::Json(value) => {
                let Ok(data) = EventData::parse(event.event_type, value, "/data") else {
                    return;
                };
                parsed = data;
                match ActFacts::of(&parsed) {
                    Some(facts) => facts,
                    None => return self.apply_not_act(event, recorded_ms, plan, &parsed),
                }
            }
        };
        if let Some(plan) = plan {
            self.push_act(plan, event, recorded_ms, &facts);
        }
    }

    /// Takes a checkpoint if one is due before an event recorded at `recorded_at`; returns the
    /// millisecond the event counts as recorded at.
    fn note_recorded_at(&mut self, recorded_at: Instant) -> i64 {
        let recorded_ms = recorded_at.as_millisecond();
        // `recorded_at` never decreases along `seq`; taking the maximum keeps "known at t is a
        // prefix" true even if a clock stepped back.
        let recorded_ms = self
            .last_recorded_ms
            .map_or(recorded_ms, |last| last.max(recorded_ms));
        self.checkpoints
            .before_event(&self.live, self.last_recorded_ms, recorded_ms);
        self.last_recorded_ms = Some(recorded_ms);
        recorded_ms
    }

    /// A registration, a lifecycle event, a correction or a retraction. Only a registration
    /// may name a plan not registered yet; anything else of one is skipped.
    fn apply_not_act(
        &mut self,
        event: &EventHeader<'_>,
        recorded_ms: i64,
        plan: Option<PlanIndex>,
        data: &EventData,
    ) {
        if let EventData::PlanRegistered(registered) = data {
            self.register_plan(event, recorded_ms, registered);
            return;
        }
        let Some(plan) = plan else {
            return;
        };
        match data {
            EventData::PlanSubmitted(_)
            | EventData::PlanApproved(_)
            | EventData::PlanCompleted(_)
            | EventData::PlanCancelled(_) => {
                self.push_lifecycle(plan, event, recorded_ms, lifecycle_details(data));
            }
            EventData::EventCorrected(correction) => self.correct(recorded_ms, correction),
            EventData::EventRetracted(retraction) => {
                // Lifecycle events cannot be retracted (the store refuses it).
                if let Some(&EventRef::Act { plan, act }) = self.events.get(&retraction.target) {
                    self.revise_act(plan, act, recorded_ms, None);
                }
            }
            // Registrations are applied above, acts by `push_act`.
            _ => {}
        }
    }

    /// A new act of `plan`: kept, indexed, and added to the live aggregate.
    fn push_act(
        &mut self,
        plan: PlanIndex,
        event: &EventHeader<'_>,
        recorded_ms: i64,
        facts: &ActFacts<'_>,
    ) {
        let state = self.state_of(plan, Day::from_civil(event.occurred_on), facts);
        let entry = &mut self.plans[plan as usize];
        let act = dense_index(entry.acts.len());
        entry.acts.push(Act {
            recorded_ms,
            original: state,
            revisions: None,
        });
        entry.act_identities.push(ActIdentity {
            id: event.id,
            seq: event.seq,
            event_type: event.event_type,
        });
        entry.index_state(act, &state, &[]);
        self.events.insert(event.id, EventRef::Act { plan, act });
        let reference = ActStateRef {
            plan,
            act,
            revision: 0,
        };
        self.note_disbursement(reference, &state);
        self.live_add(reference, &state, 1);
    }

    /// Whether `plan` was ever registered (for the `404` of an unknown `plan=`).
    pub fn plan_known(&self, plan: &PlanKey) -> bool {
        self.plan_index.contains_key(plan)
    }

    fn register_plan(
        &mut self,
        event: &EventHeader<'_>,
        recorded_ms: i64,
        registered: &acta_events::catalogue::PlanRegistered,
    ) {
        if self.plan_index.contains_key(event.plan) {
            return;
        }
        // A stored event's plan is a valid key (the store checks it when it reads the row).
        let Ok(key) = event.plan.parse::<PlanKey>() else {
            return;
        };
        let plan = dense_index(self.plans.len());
        let parent = registered
            .parent
            .as_ref()
            .and_then(|parent| self.plan_index.get(parent).copied());
        if let Some(parent) = parent {
            self.plans[parent as usize].children.push(plan);
        }
        self.plans.push(Plan::registered(
            key.clone(),
            registered.kind,
            parent,
            recorded_ms,
        ));
        self.plan_index.insert(key, plan);
        let details = registered_details(registered);
        self.push_lifecycle(plan, event, recorded_ms, details);
    }

    fn push_lifecycle(
        &mut self,
        plan: PlanIndex,
        event: &EventHeader<'_>,
        recorded_ms: i64,
        details: LifecycleDetails,
    ) {
        let lifecycle = &mut self.plans[plan as usize].lifecycle;
        let index = dense_index(lifecycle.len());
        lifecycle.push(LifecycleEvent {
            id: event.id,
            seq: event.seq,
            recorded_ms,
            day: Day::from_civil(event.occurred_on),
            event_type: event.event_type,
            original: details,
            revisions: Vec::new(),
        });
        self.events
            .insert(event.id, EventRef::Lifecycle { plan, index });
    }

    /// A correction of an act, or of a lifecycle event's details.
    fn correct(&mut self, recorded_ms: i64, correction: &EventCorrected) {
        let Some(&target) = self.events.get(&correction.target) else {
            return;
        };
        match target {
            EventRef::Act { plan, act } => self.correct_act(
                plan,
                act,
                recorded_ms,
                correction.data.as_ref(),
                correction.occurred_on.map(Day::from_civil),
            ),
            EventRef::Lifecycle { plan, index } => {
                self.correct_lifecycle(plan, index, recorded_ms, correction.data.as_ref())
            }
        }
    }

    fn correct_lifecycle(
        &mut self,
        plan: PlanIndex,
        index: u32,
        recorded_ms: i64,
        replacement: Option<&serde_json::Value>,
    ) {
        // Lifecycle events cannot be re-dated (the store refuses it), so only new data counts.
        let Some(replacement) = replacement else {
            return;
        };
        let lifecycle = &mut self.plans[plan as usize].lifecycle[index as usize];
        let Ok(data) = EventData::parse(lifecycle.event_type, replacement, "/data/data") else {
            return;
        };
        let details = match &data {
            EventData::PlanRegistered(registered) => registered_details(registered),
            other => lifecycle_details(other),
        };
        lifecycle.revisions.push((recorded_ms, details));
    }

    fn correct_act(
        &mut self,
        plan: PlanIndex,
        act: u32,
        recorded_ms: i64,
        replacement: Option<&serde_json::Value>,
        occurred_on: Option<Day>,
    ) {
        let entry = &self.plans[plan as usize];
        let target = &entry.acts[act as usize];
        let event_type = entry.act_identities[act as usize].event_type;
        // A retracted act cannot be corrected (the store refuses it).
        let Some(&current) = target.current() else {
            return;
        };
        // A correction replaces what it carries; what it does not carry stays as the target
        // read when the correction was recorded (so a date moved by an earlier correction stays
        // moved when a later one fixes only the data).
        let day = occurred_on.unwrap_or(current.day);
        let state = match replacement {
            Some(replacement) => {
                let Ok(data) = EventData::parse(event_type, replacement, "/data/data") else {
                    return;
                };
                let Some(facts) = ActFacts::of(&data) else {
                    return;
                };
                self.state_of(plan, day, &facts)
            }
            None => self.moved(plan, &current, day),
        };
        self.revise_act(plan, act, recorded_ms, Some(state));
    }

    /// Records a correction (`Some`) or retraction (`None`) of an act and updates the live
    /// aggregate: the state read so far is taken out, the new one put in.
    fn revise_act(&mut self, plan: PlanIndex, act: u32, recorded_ms: i64, state: Option<ActState>) {
        let entry = &mut self.plans[plan as usize];
        let target = &mut entry.acts[act as usize];
        let Some((revision, &current)) = target.state_at(None) else {
            return;
        };
        if let Some(state) = &state {
            let earlier: Vec<ActState> = std::iter::once(target.original)
                .chain(
                    target
                        .revisions()
                        .iter()
                        .filter_map(|revision| revision.state),
                )
                .collect();
            entry.index_state(act, state, &earlier);
        }
        let target = &mut entry.acts[act as usize];
        let revisions = target.revisions.get_or_insert_with(Box::default);
        revisions.push(Revision { recorded_ms, state });
        let new_revision = dense_index(revisions.len());
        self.checkpoints.note_revision(recorded_ms, plan, act);
        let old = ActStateRef {
            plan,
            act,
            revision,
        };
        self.live_add(old, &current, -1);
        if let Some(state) = state {
            let new = ActStateRef {
                plan,
                act,
                revision: new_revision,
            };
            self.note_disbursement(new, &state);
            self.live_add(new, &state, 1);
        }
    }

    /// Adds an act's state to (or takes it out of) the live aggregate and the live funding sums by
    /// year that checkpoints copy.
    fn live_add(&mut self, reference: ActStateRef, state: &ActState, sign: i128) {
        let seq = self.identity(reference).seq;
        self.live.add(reference, state, seq, sign);
        self.checkpoints.note_live(state, sign);
    }

    fn note_disbursement(&mut self, reference: ActStateRef, state: &ActState) {
        if let Payload::Funds {
            kind: FundsKind::Disbursed,
            funding_cell,
            ..
        } = state.payload
        {
            let cell = funding_cell as usize;
            if self.disbursements.len() <= cell {
                self.disbursements.resize_with(cell + 1, Vec::new);
            }
            self.disbursements[cell].push(reference);
        }
    }

    /// The compact state of an act of `plan`, with its cells resolved.
    fn state_of(&mut self, plan: PlanIndex, day: Day, facts: &ActFacts<'_>) -> ActState {
        let cells = &mut self.plans[plan as usize].cells;
        self.tables.of_plan(plan, cells).state_of(day, facts)
    }

    /// The same act at another date: cells that depend on the year are resolved anew.
    fn moved(&mut self, plan: PlanIndex, state: &ActState, day: Day) -> ActState {
        let cells = &mut self.plans[plan as usize].cells;
        self.tables.of_plan(plan, cells).moved(state, day)
    }

    // ----- Reading -----

    pub(crate) fn plan_index_of(&self, plan: &PlanKey) -> Option<PlanIndex> {
        self.plan_index.get(plan).copied()
    }

    pub(crate) fn plan_at(&self, plan: PlanIndex) -> &Plan {
        &self.plans[plan as usize]
    }

    /// The query's time axes in compact form. A `known_at` at or after the last recorded event
    /// means "now", which the live aggregate answers without a fold.
    pub(crate) fn visibility(&self, query: &Query) -> Visibility {
        let known_ms = query
            .known_at
            .map(|instant| instant.as_millisecond())
            .filter(|&known_ms| self.last_recorded_ms.is_some_and(|last| known_ms < last));
        Visibility {
            as_of: query.as_of.map(Day::from_civil),
            known_ms,
        }
    }

    /// `root` and every plan below it by `parent`; every plan when `root` is `None`; no plan
    /// when `root` is unknown.
    pub(crate) fn plan_set(&self, root: Option<&PlanKey>) -> PlanSet {
        let Some(root) = root else {
            return PlanSet::all(self.plans.len());
        };
        match self.plan_index_of(root) {
            Some(root) => PlanSet::subtree(&self.plans, root),
            None => PlanSet::none(self.plans.len()),
        }
    }

    /// Every act, at its latest version, summed: the answer to "now".
    pub(crate) fn live(&self) -> &Aggregate {
        &self.live
    }

    pub(crate) fn act(&self, reference: ActStateRef) -> &Act {
        &self.plans[reference.plan as usize].acts[reference.act as usize]
    }

    pub(crate) fn identity(&self, reference: ActStateRef) -> ActIdentity {
        self.plans[reference.plan as usize].act_identities[reference.act as usize]
    }

    /// The state a reference names. References come from an aggregate, which only lists
    /// states that exist.
    pub(crate) fn state(&self, reference: ActStateRef) -> &ActState {
        self.act(reference)
            .state(reference.revision)
            .expect("aggregates list only states that exist")
    }

    /// The visible lifecycle events of a plan, in `seq` order, with their details as known.
    pub(crate) fn visible_lifecycle(
        &self,
        plan: PlanIndex,
        visibility: Visibility,
    ) -> impl Iterator<Item = (&LifecycleEvent, &LifecycleDetails)> {
        self.plans[plan as usize]
            .lifecycle
            .iter()
            .take_while(move |event| visibility.recorded(event.recorded_ms))
            .filter(move |event| visibility.dated(event.day))
            .map(move |event| (event, event.details_at(visibility.known_ms)))
    }
}

fn registered_details(registered: &acta_events::catalogue::PlanRegistered) -> LifecycleDetails {
    LifecycleDetails::Registered {
        title: registered.title.as_str().to_owned(),
        code: registered
            .code
            .as_ref()
            .map(|code| code.as_str().to_owned()),
        issuer: registered
            .issuer
            .as_ref()
            .map(|issuer| issuer.as_str().to_owned()),
        period: registered.period,
    }
}

fn lifecycle_details(data: &EventData) -> LifecycleDetails {
    match data {
        EventData::PlanApproved(approved) => LifecycleDetails::Approved {
            decision: approved.decision.as_str().to_owned(),
            approved_by: approved
                .approved_by
                .as_ref()
                .map(|approved_by| approved_by.as_str().to_owned()),
        },
        _ => LifecycleDetails::Other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Record;
    use crate::testing::{LogBuilder, as_of, now, plan_key};

    #[test]
    fn a_record_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Record>();
    }

    #[test]
    fn events_that_do_not_parse_or_have_no_plan_are_skipped() {
        // Given a valid log, an event with bad data and an act of an unregistered plan,
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 10);
        log.event("funds.allocated", "p", "2011-01-01", json!({"amount": 1.5}));
        log.funds("allocated", "nobody", "2011-01-01", 2011, "local", 99);
        // when applied, then nothing panics and only the valid act counts (though the unread
        // event is still part of the plan's stream).
        let record = log.record();
        assert_eq!(record.funding(&now()).totals.allocated, 10);
        assert_eq!(record.plan(&plan_key("p"), &now()).unwrap().version, 3);
        assert!(!record.plan_known(&plan_key("nobody")));
    }

    #[test]
    fn the_cold_start_skips_data_that_is_not_json_and_keeps_what_does_not_parse() {
        // Given a plan, an allocation whose data is not JSON (a row edited behind the store's
        // back), one whose JSON is not valid data, and a valid one,
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 10);
        log.event("funds.allocated", "p", "2011-01-01", json!({"amount": 1.5}));
        log.funds("allocated", "p", "2011-01-01", 2011, "local", 7);
        let mut record = Record::default();
        for (index, event) in log.events().iter().enumerate() {
            let data = if index == 1 {
                "{\"amount\": 10".to_owned()
            } else {
                event.data.to_string()
            };
            record.replay(&acta_events::EventRow {
                header: event.header(),
                data: &data,
            });
        }
        // when replayed, then the unreadable row is not there at all (as a scan skips it),
        // while the data that does not parse still counts in the plan's stream, as applied.
        assert_eq!(record.funding(&now()).totals.allocated, 7);
        assert_eq!(record.plan(&plan_key("p"), &now()).unwrap().version, 3);
    }

    #[test]
    fn a_later_correction_of_the_data_keeps_a_date_moved_earlier() {
        // Given an allocation moved to 2012 and then corrected in amount only,
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        let allocation = log.funds("allocated", "p", "2011-01-01", 2011, "local", 10);
        log.correct(
            allocation,
            "2026-01-01",
            json!({"occurred_on": "2012-01-01"}),
        );
        log.correct(
            allocation,
            "2026-01-01",
            json!({"data": {"fiscal_year": 2011, "source": "local", "amount": 20}}),
        );
        let record = log.record();
        // then the latest correction's amount counts, at the date the first one set.
        assert_eq!(record.funding(&as_of("2011-12-31")).totals.allocated, 0);
        assert_eq!(record.funding(&as_of("2012-01-01")).totals.allocated, 20);
    }

    #[test]
    fn a_corrected_approval_shows_its_new_details() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        let approval = log.approve("p", "2011-01-01");
        log.correct(
            approval,
            "2026-01-01",
            json!({"data": {"decision": "2/QĐ", "approved_by": "UBND"}}),
        );
        let status = log.record().plan(&plan_key("p"), &now()).unwrap();
        let approval = status.approval.unwrap();
        assert_eq!(approval.decision, "2/QĐ");
        assert_eq!(approval.approved_by.as_deref(), Some("UBND"));
    }

    #[test]
    fn a_retracted_act_counts_nowhere_and_is_not_corrected_later() {
        let mut log = LogBuilder::default();
        log.register("p", None, "2010-01-01");
        let training = log.event(
            "training.held",
            "p",
            "2011-05-01",
            json!({"topic": "t", "sessions": 2, "participants": 5}),
        );
        log.retract(training, "2026-01-01");
        // The store refuses this; the record ignores it rather than revive the act.
        log.correct(training, "2026-01-01", json!({"occurred_on": "2011-06-01"}));
        let record = log.record();
        assert!(record.yearly(&now()).years.is_empty());
        assert!(
            record
                .plan(&plan_key("p"), &now())
                .unwrap()
                .indicators
                .is_empty()
        );
    }
}
