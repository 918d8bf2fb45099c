//! The stream rules of CONTRACT §2: whether an event may be appended, given what is stored, and
//! what appending it changes. Plain functions over [`Stored`], a small view of the log that each
//! back end implements, so that every back end decides alike and the rules are tested without a
//! database (the tests at the end of this file).
//!
//! The rules decide; the back end then writes what they decided ([`Effects`]) and the stored
//! event itself, in its own transaction.

use crate::catalogue::{EventData, EventType, Period, PlanStatus};
use crate::error::{AppendError, StoreError};
use crate::fields::{comparable_form, quoted};
use acta_messages::{Message, codes};

/// How decision numbers compare, said in every refusal of a taken one.
use crate::request::{NewEvent, content_json};
use crate::stored::StoredEvent;
use crate::types::{CivilDate, EventId, PlanKey};

/// What the rules need to know of a plan's stream, kept by the writer so that most events are
/// checked without reading the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStream {
    /// Events in the stream so far.
    pub version: u64,
    pub status: PlanStatus,
    /// The date of the latest lifecycle event: none may be dated before it.
    pub last_lifecycle_on: CivilDate,
    /// The plan's period, as registered or as corrected since.
    pub period: Period,
}

/// Why a lifecycle event does not fit its plan's stream (§2.1).
pub enum LifecycleRefusal {
    /// Dated before the plan's latest lifecycle event (`422`).
    DatedBefore(CivilDate),
    /// Not a transition from the plan's status (`409`).
    NotAllowed(PlanStatus),
}

impl PlanStream {
    /// A stream just registered on `occurred_on`: the one rule of what registration means, used
    /// both when appending and when loading the writer's state.
    pub fn registered(occurred_on: CivilDate, period: Period) -> PlanStream {
        PlanStream {
            version: 0,
            status: PlanStatus::Draft,
            last_lifecycle_on: occurred_on,
            period,
        }
    }

    /// Moves the stream through the lifecycle event `event_type` dated `occurred_on`.
    pub fn advance(
        &mut self,
        event_type: EventType,
        occurred_on: CivilDate,
    ) -> Result<(), LifecycleRefusal> {
        if occurred_on < self.last_lifecycle_on {
            return Err(LifecycleRefusal::DatedBefore(self.last_lifecycle_on));
        }
        self.status = self
            .status
            .after(event_type)
            .ok_or(LifecycleRefusal::NotAllowed(self.status))?;
        self.last_lifecycle_on = occurred_on;
        Ok(())
    }
}

/// A decision number as the uniqueness rule compares it (§2.2): issuer and number in their
/// comparable forms (trimmed, inner white space collapsed, NFC), and the calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecisionKey {
    pub issuer: String,
    pub number: String,
    pub year: i64,
}

impl DecisionKey {
    pub fn of(issuer: &str, number: &str, year: i16) -> DecisionKey {
        DecisionKey {
            issuer: comparable_form(issuer),
            number: comparable_form(number),
            year: i64::from(year),
        }
    }
}

/// What the rules read of the log beyond the streams. Each back end implements it over what it
/// stores (SQLite: the events table and the decision-number index).
pub trait Stored {
    /// The stream of `plan`, if registered.
    fn stream(&self, plan: &PlanKey) -> Option<&PlanStream>;
    /// The stored event with `id`, if any.
    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError>;
    /// Whether a retraction of event `id` is stored.
    fn is_retracted(&self, id: EventId) -> Result<bool, StoreError>;
    /// The decision that holds `key`, if any.
    fn decision_holder(&self, key: &DecisionKey) -> Result<Option<EventId>, StoreError>;
    /// The key that decision `id` holds, if it holds one (a retracted decision holds none).
    fn decision_key_of(&self, id: EventId) -> Result<Option<DecisionKey>, StoreError>;
}

/// What the rules decided for one event.
#[derive(Debug)]
pub enum Verdict {
    /// The same event was stored before with this `id` (an idempotent repeat): answer with it,
    /// store nothing.
    Repeat(StoredEvent),
    /// Append it, with these effects.
    Append(Effects),
}

/// What appending an event changes besides the event's own row.
#[derive(Debug, PartialEq, Eq)]
pub struct Effects {
    /// The `version` the event takes in its plan's stream.
    pub version: u64,
    /// The stream after the event (its `version` included).
    pub stream: PlanStream,
    /// Changes to the decision-number index, in order.
    pub decisions: Vec<DecisionChange>,
}

/// A change to the decision-number index.
#[derive(Debug, PartialEq, Eq)]
pub enum DecisionChange {
    /// The decision `EventId` no longer holds a number (retracted, or about to take another).
    Free(EventId),
    /// A decision takes the key: the event being appended, or the target of its correction.
    Take(DecisionKey, Holder),
}

/// Which decision takes a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Holder {
    /// The event being appended (its id is assigned after the rules decide).
    ThisEvent,
    /// An event already stored (the target of a correction).
    Stored(EventId),
}

/// Decides whether `event` may be appended after what `stored` holds (CONTRACT §2.1–§2.3).
/// An idempotent repeat is recognised before any other check.
pub fn decide(stored: &impl Stored, event: &NewEvent) -> Result<Verdict, AppendError> {
    if let Some(repeat) = repeat_of(stored, event)? {
        return Ok(Verdict::Repeat(repeat));
    }
    let stream = check_stream(stored, event)?;
    let version_before = stream.as_ref().map_or(0, |stream| stream.version);
    check_expected_version(event, version_before)?;
    let mut next = stream.clone();
    let mut decisions = Vec::new();
    match &event.data {
        EventData::PlanRegistered(registered) => {
            next = Some(PlanStream::registered(event.occurred_on, registered.period));
        }
        _ if event.event_type.is_lifecycle() => {
            let stream = next.as_mut().expect("checked registered above");
            check_lifecycle(stream, event)?;
        }
        EventData::DecisionIssued(decision) => {
            let key = DecisionKey::of(
                decision.issuer.as_str(),
                decision.number.as_str(),
                event.occurred_on.year(),
            );
            if stored.decision_holder(&key).map_err(storage)?.is_some() {
                return Err(AppendError::conflict(
                    "/data/number",
                    Message::new(codes::DECISION_TAKEN)
                        .text("number", quoted(decision.number.as_str()))
                        .text("issuer", quoted(decision.issuer.as_str()))
                        .int("year", event.occurred_on.year()),
                ));
            }
            decisions.push(DecisionChange::Take(key, Holder::ThisEvent));
        }
        EventData::EventCorrected(_) | EventData::EventRetracted(_) => {
            let stream = next.as_mut().expect("checked registered above");
            let correction = check_correction(stored, event, stream.period)?;
            if let Some(period) = correction.period {
                stream.period = period;
            }
            decisions = correction.decisions;
        }
        data => {
            let period = next.as_ref().expect("checked registered above").period;
            check_fiscal_year(data, period, "/data/fiscal_year")?;
        }
    }
    let mut stream = next.expect("registered or registering");
    stream.version = version_before + 1;
    Ok(Verdict::Append(Effects {
        version: version_before + 1,
        stream,
        decisions,
    }))
}

/// The stored event this one repeats, if its `id` is taken by the same content; `409` if taken
/// by other content.
fn repeat_of(stored: &impl Stored, event: &NewEvent) -> Result<Option<StoredEvent>, AppendError> {
    let Some(id) = event.id else {
        return Ok(None);
    };
    let Some(earlier) = stored.event(id).map_err(storage)? else {
        return Ok(None);
    };
    let earlier_content = content_json(
        earlier.event_type,
        &earlier.plan,
        earlier.occurred_on,
        earlier.date_precision,
        &earlier.data,
        earlier.evidence.clone(),
    );
    if earlier_content == event.content() {
        return Ok(Some(earlier));
    }
    Err(AppendError::conflict(
        "/id",
        Message::new(codes::ID_TAKEN)
            .text("id", id.to_string())
            .int("seq", earlier.seq),
    ))
}

/// A plan's first event registers it, and only that one (§2.1); a parent must be registered.
/// Returns the plan's stream as it is before the event.
fn check_stream(stored: &impl Stored, event: &NewEvent) -> Result<Option<PlanStream>, AppendError> {
    let stream = stored.stream(&event.plan).cloned();
    match (&event.data, &stream) {
        (EventData::PlanRegistered(_), Some(_)) => Err(AppendError::conflict(
            "/plan",
            Message::new(codes::PLAN_REGISTERED_ALREADY).text("plan", event.plan.as_str()),
        )),
        (EventData::PlanRegistered(registered), None) => match &registered.parent {
            Some(parent) if stored.stream(parent).is_none() => Err(AppendError::invalid(
                "/data/parent",
                Message::new(codes::PLAN_NOT_REGISTERED).text("plan", parent.as_str()),
            )),
            _ => Ok(None),
        },
        (_, None) => Err(AppendError::invalid(
            "/plan",
            Message::new(codes::PLAN_NOT_REGISTERED_FIRST).text("plan", event.plan.as_str()),
        )),
        (_, Some(_)) => Ok(stream),
    }
}

/// `expected_version`, when given, is the number of events the stream holds (`409`).
fn check_expected_version(event: &NewEvent, version_before: u64) -> Result<(), AppendError> {
    match event.expected_version {
        Some(expected) if expected != version_before => Err(AppendError::conflict(
            "/expected_version",
            Message::new(codes::VERSION_MISMATCH)
                .int("expected", expected)
                .text("plan", event.plan.as_str())
                .int("current", version_before),
        )),
        _ => Ok(()),
    }
}

/// A lifecycle event moves its plan's status by an allowed transition and is not dated before
/// the latest one (§2.1).
fn check_lifecycle(stream: &mut PlanStream, event: &NewEvent) -> Result<(), AppendError> {
    match stream.advance(event.event_type, event.occurred_on) {
        Ok(()) => Ok(()),
        Err(LifecycleRefusal::DatedBefore(latest)) => Err(AppendError::invalid(
            "/occurred_on",
            Message::new(codes::LIFECYCLE_DATED_BEFORE)
                .text("plan", event.plan.as_str())
                .text("latest", latest.to_string()),
        )),
        Err(LifecycleRefusal::NotAllowed(status)) => Err(AppendError::conflict(
            "/type",
            Message::new(codes::LIFECYCLE_NOT_ALLOWED)
                .text("plan", event.plan.as_str())
                .text("status", status.to_string())
                .text("event_type", event.event_type.to_string()),
        )),
    }
}

/// An act's `fiscal_year` lies within its plan's period (§2.2).
pub fn check_fiscal_year(
    data: &EventData,
    period: Period,
    pointer: &str,
) -> Result<(), AppendError> {
    match data.fiscal_year() {
        Some(year) if !period.contains(year) => Err(AppendError::invalid(
            pointer,
            Message::new(codes::FISCAL_YEAR_OUTSIDE)
                .int("year", year)
                .int("from_year", period.from_year)
                .int("to_year", period.to_year),
        )),
        _ => Ok(()),
    }
}

/// What a correction or retraction changes besides its own row.
struct CorrectionEffects {
    /// The plan's new period, when a registration's correction changes it.
    period: Option<Period>,
    decisions: Vec<DecisionChange>,
}

/// The rules of CONTRACT §2.3 (and the narrowing in docs/API.md: lifecycle events are not
/// retracted or re-dated).
fn check_correction(
    stored: &impl Stored,
    event: &NewEvent,
    period: Period,
) -> Result<CorrectionEffects, AppendError> {
    let (target_id, replacement, new_date) = match &event.data {
        EventData::EventCorrected(correction) => (
            correction.target,
            correction.data.as_ref(),
            correction.occurred_on,
        ),
        EventData::EventRetracted(retraction) => (retraction.target, None, None),
        _ => unreachable!("only corrections are checked here"),
    };
    let target = check_target(stored, event, target_id, new_date.is_some())?;
    let data = replacement
        .map(|replacement| EventData::parse(target.event_type, replacement, "/data/data"))
        .transpose()
        .map_err(AppendError::from_fields)?;
    let decisions = match target.event_type {
        EventType::DecisionIssued => {
            reindex_decision(stored, target_id, event.event_type, data.as_ref(), new_date)?
        }
        _ => Vec::new(),
    };
    let Some(data) = data else {
        return Ok(CorrectionEffects {
            period: None,
            decisions,
        });
    };
    let period = match (
        &data,
        EventData::parse(target.event_type, &target.data, "/data"),
    ) {
        (EventData::PlanRegistered(new), Ok(EventData::PlanRegistered(old))) => {
            if new.parent != old.parent || new.kind != old.kind {
                return Err(AppendError::invalid(
                    "/data/data",
                    codes::CORRECTION_CHANGES_PLAN,
                ));
            }
            Some(new.period)
        }
        (data, _) => {
            check_fiscal_year(data, period, "/data/data/fiscal_year")?;
            None
        }
    };
    Ok(CorrectionEffects { period, decisions })
}

/// The target of a correction exists, is no correction itself, belongs to the correction's
/// plan and is not retracted; a lifecycle event is neither retracted nor re-dated.
fn check_target(
    stored: &impl Stored,
    event: &NewEvent,
    target_id: EventId,
    redates: bool,
) -> Result<StoredEvent, AppendError> {
    let Some(target) = stored.event(target_id).map_err(storage)? else {
        return Err(AppendError::invalid(
            "/data/target",
            Message::new(codes::TARGET_MISSING).text("target", target_id.to_string()),
        ));
    };
    if target.event_type.is_correction() {
        return Err(AppendError::invalid(
            "/data/target",
            Message::new(codes::TARGET_IS_CORRECTION)
                .text("target", target_id.to_string())
                .text("event_type", target.event_type.to_string()),
        ));
    }
    if target.plan != event.plan {
        return Err(AppendError::invalid(
            "/plan",
            Message::new(codes::TARGET_OTHER_PLAN)
                .text("target", target_id.to_string())
                .text("plan", target.plan.as_str()),
        ));
    }
    if stored.is_retracted(target_id).map_err(storage)? {
        return Err(AppendError::conflict(
            "/data/target",
            Message::new(codes::TARGET_RETRACTED).text("target", target_id.to_string()),
        ));
    }
    if target.event_type.is_lifecycle() {
        // A plan's lifecycle moves forward by new lifecycle events; letting a correction move or
        // erase one would silently rewrite the order the rules were checked in.
        if event.event_type == EventType::EventRetracted {
            return Err(AppendError::invalid(
                "/data/target",
                Message::new(codes::LIFECYCLE_NOT_RETRACTED)
                    .text("target", target_id.to_string())
                    .text("event_type", target.event_type.to_string()),
            ));
        }
        if redates {
            return Err(AppendError::invalid(
                "/data/occurred_on",
                codes::LIFECYCLE_NOT_REDATED,
            ));
        }
    }
    Ok(target)
}

/// Keeps the decision-number index true to the record as corrected: a retracted decision frees
/// its number; a corrected one takes its new (issuer, number, year), `409` if another holds it.
fn reindex_decision(
    stored: &impl Stored,
    target: EventId,
    kind: EventType,
    replacement: Option<&EventData>,
    new_date: Option<CivilDate>,
) -> Result<Vec<DecisionChange>, AppendError> {
    let Some(held) = stored.decision_key_of(target).map_err(storage)? else {
        return Ok(Vec::new());
    };
    let mut changes = vec![DecisionChange::Free(target)];
    if kind != EventType::EventCorrected {
        return Ok(changes);
    }
    let mut key = held;
    if let Some(EventData::DecisionIssued(decision)) = replacement {
        let year = i16::try_from(key.year).expect("a stored year fits");
        key = DecisionKey::of(decision.issuer.as_str(), decision.number.as_str(), year);
    }
    if let Some(date) = new_date {
        key.year = i64::from(date.year());
    }
    match stored.decision_holder(&key).map_err(storage)? {
        Some(holder) if holder != target => Err(AppendError::conflict(
            "/data/data/number",
            Message::new(codes::DECISION_TAKEN)
                .text("number", quoted(&key.number))
                .text("issuer", quoted(&key.issuer))
                .int("year", key.year),
        )),
        _ => {
            changes.push(DecisionChange::Take(key, Holder::Stored(target)));
            Ok(changes)
        }
    }
}

fn storage(error: StoreError) -> AppendError {
    error.into()
}

#[cfg(test)]
mod tests {
    //! Every rule of CONTRACT §2, given what is stored, when an event comes, then the verdict —
    //! with no database: [`Memory`] is the smallest [`Stored`] there is.

    use std::collections::{HashMap, HashSet};

    use serde_json::{Value, json};

    use super::*;
    use crate::types::DatePrecision;

    /// A log in memory, appended to through [`decide`] as a back end would.
    #[derive(Default)]
    struct Memory {
        streams: HashMap<PlanKey, PlanStream>,
        events: HashMap<EventId, StoredEvent>,
        retracted: HashSet<EventId>,
        decisions: HashMap<DecisionKey, EventId>,
        seq: u64,
    }

    impl Stored for Memory {
        fn stream(&self, plan: &PlanKey) -> Option<&PlanStream> {
            self.streams.get(plan)
        }
        fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
            Ok(self.events.get(&id).cloned())
        }
        fn is_retracted(&self, id: EventId) -> Result<bool, StoreError> {
            Ok(self.retracted.contains(&id))
        }
        fn decision_holder(&self, key: &DecisionKey) -> Result<Option<EventId>, StoreError> {
            Ok(self.decisions.get(key).copied())
        }
        fn decision_key_of(&self, id: EventId) -> Result<Option<DecisionKey>, StoreError> {
            Ok(self
                .decisions
                .iter()
                .find(|(_, holder)| **holder == id)
                .map(|(key, _)| key.clone()))
        }
    }

    fn parse(body: &Value) -> NewEvent {
        NewEvent::parse(body, "", "2026-11-28".parse().unwrap()).expect("a well-formed event")
    }

    impl Memory {
        /// Given: `bodies` appended in order, each one allowed.
        fn given(bodies: &[Value]) -> Memory {
            let mut memory = Memory::default();
            for body in bodies {
                memory.append(body).expect("the given events are allowed");
            }
            memory
        }

        /// When `body` comes: the rules decide, and an allowed event is applied as a back end
        /// applies it.
        fn append(&mut self, body: &Value) -> Result<StoredEvent, AppendError> {
            let event = parse(body);
            let effects = match decide(self, &event)? {
                Verdict::Repeat(stored) => return Ok(stored),
                Verdict::Append(effects) => effects,
            };
            self.seq += 1;
            let id = event
                .id
                .unwrap_or_else(|| EventId::from_ulid(ulid::Ulid::from_parts(self.seq, 1)));
            for change in effects.decisions {
                match change {
                    DecisionChange::Free(holder) => self.decisions.retain(|_, id| *id != holder),
                    DecisionChange::Take(key, Holder::ThisEvent) => {
                        assert!(self.decisions.insert(key, id).is_none());
                    }
                    DecisionChange::Take(key, Holder::Stored(target)) => {
                        assert!(self.decisions.insert(key, target).is_none());
                    }
                }
            }
            if let EventData::EventRetracted(retraction) = &event.data {
                self.retracted.insert(retraction.target);
            }
            self.streams.insert(event.plan.clone(), effects.stream);
            let stored = StoredEvent {
                seq: self.seq,
                id,
                event_type: event.event_type,
                plan: event.plan.clone(),
                version: effects.version,
                occurred_on: event.occurred_on,
                date_precision: DatePrecision::Day,
                recorded_at: "2026-11-28T12:00:00.000Z".parse().unwrap(),
                actor: "test".into(),
                data: event.data_json.clone(),
                evidence: None,
                prev_hash: String::new(),
                hash: String::new(),
            };
            self.events.insert(id, stored.clone());
            Ok(stored)
        }
    }

    const PLAN_ID: &str = "01JD0000000000000000000001";
    const DECISION_ID: &str = "01JD0000000000000000000002";
    const APPROVAL_ID: &str = "01JD0000000000000000000003";

    fn registered(plan: &str, parent: Option<&str>) -> Value {
        let mut data = json!({"title": "Kế hoạch", "kind": "plan",
                              "period": {"from_year": 2011, "to_year": 2015}});
        if let Some(parent) = parent {
            data["parent"] = json!(parent);
        }
        json!({"type": "plan.registered", "plan": plan, "occurred_on": "2011-12-07", "data": data})
    }

    fn with_id(mut body: Value, id: &str) -> Value {
        body["id"] = json!(id);
        body
    }

    fn approved(on: &str) -> Value {
        json!({"type": "plan.approved", "plan": "p", "occurred_on": on,
               "data": {"decision": "3269/QĐ-UBND"}})
    }

    fn decision(number: &str, issuer: &str, on: &str) -> Value {
        json!({"type": "decision.issued", "plan": "p", "occurred_on": on,
               "data": {"number": number, "issuer": issuer, "title": "Quyết định"}})
    }

    fn funds(fiscal_year: i64) -> Value {
        json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2013-06-30",
               "data": {"fiscal_year": fiscal_year, "source": "local", "amount": 1000}})
    }

    fn corrected(target: &str, data: Value) -> Value {
        json!({"type": "event.corrected", "plan": "p", "occurred_on": "2014-01-01",
               "data": {"target": target, "reason": "sai số", "data": data}})
    }

    fn redated(target: &str, on: &str) -> Value {
        json!({"type": "event.corrected", "plan": "p", "occurred_on": "2014-01-01",
               "data": {"target": target, "reason": "sai ngày", "occurred_on": on}})
    }

    fn retracted(target: &str) -> Value {
        json!({"type": "event.retracted", "plan": "p", "occurred_on": "2014-01-01",
               "data": {"target": target, "reason": "nhầm"}})
    }

    /// Then: refused with `status`-class error `kind` at `pointer`.
    #[track_caller]
    fn assert_refused(result: Result<StoredEvent, AppendError>, kind: &str, pointer: &str) {
        let error = result.expect_err("the event is refused");
        let (found, errors) = match &error {
            AppendError::Invalid { errors } => ("invalid", errors),
            AppendError::Conflict { errors, .. } => ("conflict", errors),
            other => panic!("expected {kind} at {pointer}, got {other:?}"),
        };
        assert_eq!(found, kind, "{error:?}");
        assert!(
            errors.iter().any(|error| error.field == pointer),
            "expected {pointer}: {errors:?}"
        );
    }

    #[test]
    fn a_plans_first_event_registers_it_and_registering_twice_is_a_conflict() {
        let mut log = Memory::default();
        assert_refused(log.append(&funds(2012)), "invalid", "/plan");
        assert_eq!(log.append(&registered("p", None)).unwrap().version, 1);
        assert_refused(log.append(&registered("p", None)), "conflict", "/plan");
        assert_eq!(log.append(&funds(2012)).unwrap().version, 2);
    }

    #[test]
    fn a_parent_must_be_registered() {
        let mut log = Memory::default();
        assert_refused(
            log.append(&registered("child", Some("p"))),
            "invalid",
            "/data/parent",
        );
        log.append(&registered("p", None)).unwrap();
        assert!(log.append(&registered("child", Some("p"))).is_ok());
    }

    #[test]
    fn expected_version_is_the_number_of_events_the_stream_holds() {
        let mut log = Memory::given(&[registered("p", None)]);
        let mut stale = funds(2012);
        stale["expected_version"] = json!(0);
        assert_refused(log.append(&stale), "conflict", "/expected_version");
        stale["expected_version"] = json!(1);
        assert_eq!(log.append(&stale).unwrap().version, 2);
    }

    #[test]
    fn a_repeat_is_recognised_before_any_other_check() {
        let mut log = Memory::given(&[registered("p", None)]);
        let mut first = with_id(funds(2012), DECISION_ID);
        first["expected_version"] = json!(1);
        let stored = log.append(&first).unwrap();
        // The same request again: answered with the first, though its expected_version is
        // stale now; the same id with other content is a conflict.
        assert_eq!(log.append(&first).unwrap(), stored);
        assert_eq!(log.seq, 2, "nothing more was stored");
        assert_refused(
            log.append(&with_id(funds(2013), DECISION_ID)),
            "conflict",
            "/id",
        );
    }

    #[test]
    fn lifecycle_events_follow_the_transitions_and_never_go_back_in_time() {
        let mut log = Memory::given(&[registered("p", None), approved("2012-01-10")]);
        // approved → approved is no transition; approved → completed is.
        assert_refused(log.append(&approved("2012-02-01")), "conflict", "/type");
        let completed = json!({"type": "plan.completed", "plan": "p",
                               "occurred_on": "2012-01-09", "data": {}});
        assert_refused(log.append(&completed), "invalid", "/occurred_on");
        let mut later = completed.clone();
        later["occurred_on"] = json!("2015-12-31");
        log.append(&later).unwrap();
        let cancelled = json!({"type": "plan.cancelled", "plan": "p", "occurred_on": "2016-01-01",
                               "data": {"reason": "x"}});
        assert_refused(log.append(&cancelled), "conflict", "/type");
    }

    #[test]
    fn a_fiscal_year_lies_within_the_plans_period() {
        let mut log = Memory::given(&[registered("p", None)]);
        assert_refused(log.append(&funds(2016)), "invalid", "/data/fiscal_year");
        assert!(log.append(&funds(2015)).is_ok());
    }

    #[test]
    fn a_decision_number_is_unique_per_issuer_and_year_in_its_comparable_form() {
        let mut log = Memory::given(&[
            registered("p", None),
            registered("q", None),
            decision("3269/QĐ-UBND", "UBND tỉnh Đồng Nai", "2011-12-07"),
        ]);
        // A trailing space, doubled inner space or NFD issuer is the same number.
        let nfd_issuer = "UBND tỉnh Đồng Nai".chars().collect::<String>();
        let nfd_issuer: String =
            unicode_normalization::UnicodeNormalization::nfd(nfd_issuer.as_str()).collect();
        for (number, issuer) in [
            ("3269/QĐ-UBND ", "UBND tỉnh Đồng Nai"),
            ("3269/QĐ-UBND", "UBND  tỉnh Đồng Nai"),
            ("3269/QĐ-UBND", nfd_issuer.as_str()),
        ] {
            assert_refused(
                log.append(&decision(number, issuer, "2011-03-01")),
                "conflict",
                "/data/number",
            );
        }
        // Whichever plan records it.
        let mut in_q = decision("3269/QĐ-UBND", "UBND tỉnh Đồng Nai", "2011-05-01");
        in_q["plan"] = json!("q");
        assert_refused(log.append(&in_q), "conflict", "/data/number");
        // Another year, another issuer: allowed.
        assert!(
            log.append(&decision(
                "3269/QĐ-UBND",
                "UBND tỉnh Đồng Nai",
                "2012-01-01"
            ))
            .is_ok()
        );
        assert!(
            log.append(&decision("3269/QĐ-UBND", "Sở Công Thương", "2011-01-01"))
                .is_ok()
        );
    }

    #[test]
    fn a_correction_targets_an_existing_act_of_its_own_plan() {
        let mut log = Memory::given(&[
            with_id(registered("p", None), PLAN_ID),
            registered("q", None),
            with_id(funds(2012), DECISION_ID),
        ]);
        assert_refused(
            log.append(&retracted("01JD00000000000000000000ZZ")),
            "invalid",
            "/data/target",
        );
        let mut elsewhere = retracted(DECISION_ID);
        elsewhere["plan"] = json!("q");
        assert_refused(log.append(&elsewhere), "invalid", "/plan");
        let correction = log.append(&corrected(DECISION_ID, funds(2013)["data"].clone()));
        let correction_id = correction.unwrap().id.to_string();
        assert_refused(
            log.append(&retracted(&correction_id)),
            "invalid",
            "/data/target",
        );
    }

    #[test]
    fn a_retracted_act_is_neither_corrected_nor_retracted_again() {
        let mut log = Memory::given(&[
            registered("p", None),
            with_id(funds(2012), DECISION_ID),
            retracted(DECISION_ID),
        ]);
        assert_refused(
            log.append(&retracted(DECISION_ID)),
            "conflict",
            "/data/target",
        );
        assert_refused(
            log.append(&corrected(DECISION_ID, funds(2013)["data"].clone())),
            "conflict",
            "/data/target",
        );
    }

    #[test]
    fn a_replacement_is_checked_as_the_targets_type_and_within_the_period() {
        let mut log = Memory::given(&[registered("p", None), with_id(funds(2012), DECISION_ID)]);
        assert_refused(
            log.append(&corrected(
                DECISION_ID,
                json!({"fiscal_year": 2012, "source": "local"}),
            )),
            "invalid",
            "/data/data/amount",
        );
        assert_refused(
            log.append(&corrected(DECISION_ID, funds(2020)["data"].clone())),
            "invalid",
            "/data/data/fiscal_year",
        );
    }

    #[test]
    fn lifecycle_events_are_corrected_in_their_data_only() {
        let mut log = Memory::given(&[
            with_id(registered("p", None), PLAN_ID),
            with_id(approved("2012-01-10"), APPROVAL_ID),
        ]);
        assert_refused(
            log.append(&retracted(APPROVAL_ID)),
            "invalid",
            "/data/target",
        );
        assert_refused(
            log.append(&redated(APPROVAL_ID, "2012-01-11")),
            "invalid",
            "/data/occurred_on",
        );
        assert!(
            log.append(&corrected(APPROVAL_ID, json!({"decision": "3270/QĐ-UBND"})))
                .is_ok()
        );
    }

    #[test]
    fn a_registrations_correction_keeps_parent_and_kind_and_moves_the_period() {
        let mut log = Memory::given(&[with_id(registered("p", None), PLAN_ID)]);
        let mut other_kind = registered("p", None)["data"].clone();
        other_kind["kind"] = json!("programme");
        assert_refused(
            log.append(&corrected(PLAN_ID, other_kind)),
            "invalid",
            "/data/data",
        );
        let mut longer = registered("p", None)["data"].clone();
        longer["period"]["to_year"] = json!(2020);
        log.append(&corrected(PLAN_ID, longer)).unwrap();
        assert_eq!(log.streams["p"].period.to_year, 2020);
        assert!(
            log.append(&funds(2019)).is_ok(),
            "the corrected period counts"
        );
    }

    #[test]
    fn a_decisions_correction_moves_its_number_and_a_retraction_frees_it() {
        let mut log = Memory::given(&[
            registered("p", None),
            with_id(decision("1/QĐ", "UBND", "2011-03-01"), DECISION_ID),
            decision("2/QĐ", "UBND", "2011-04-01"),
        ]);
        // Moving onto a number another holds is a conflict; keeping its own is not.
        let onto_taken = json!({"number": "2/QĐ", "issuer": "UBND", "title": "Quyết định"});
        assert_refused(
            log.append(&corrected(DECISION_ID, onto_taken)),
            "conflict",
            "/data/data/number",
        );
        let same = json!({"number": "1/QĐ", "issuer": "UBND", "title": "Quyết định mới"});
        log.append(&corrected(DECISION_ID, same)).unwrap();
        // Re-dated to another year, its number is free again in 2011.
        log.append(&redated(DECISION_ID, "2012-03-01")).unwrap();
        assert!(log.append(&decision("1/QĐ", "UBND", "2011-05-01")).is_ok());
        assert_refused(
            log.append(&decision("1/QĐ", "UBND", "2012-05-01")),
            "conflict",
            "/data/number",
        );
        // Retracted, it frees its number.
        log.append(&retracted(DECISION_ID)).unwrap();
        assert!(log.append(&decision("1/QĐ", "UBND", "2012-05-01")).is_ok());
    }
}
