//! Every rule of CONTRACT §2, table-driven: for each, a valid example that is stored and an
//! invalid one that is refused with its status and field pointer — through the real log on a
//! real SQLite file.

use std::sync::Arc;

use acta_events::{AppendError, AppendRequest, CivilDate, Log, LogOptions, NewEvent};
use serde_json::{Value, json};

const TODAY: &str = "2026-11-28";
const ACT: &str = "01JD00000000000000000000A1";
const CORRECTION: &str = "01JD00000000000000000000C1";
const RETRACTED: &str = "01JD00000000000000000000R1";

/// The record every case runs against.
fn setup() -> Vec<Value> {
    vec![
        json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
               "data": {"title": "P", "kind": "plan", "period": {"from_year": 2011, "to_year": 2015}}}),
        json!({"type": "plan.registered", "plan": "q", "occurred_on": "2011-12-07",
               "data": {"title": "Q", "kind": "plan", "period": {"from_year": 2011, "to_year": 2015}}}),
        json!({"type": "plan.cancelled", "plan": "q", "occurred_on": "2012-01-01", "data": {"reason": "merged"}}),
        json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
               "data": {"number": "06/QĐ-SCT", "issuer": "SCT", "title": "Giao nhiệm vụ"}}),
        json!({"id": ACT, "type": "training.held", "plan": "p", "occurred_on": "2012-03-01",
               "data": {"topic": "cleaner_production", "sessions": 1}}),
        json!({"id": CORRECTION, "type": "event.corrected", "plan": "p", "occurred_on": "2012-03-02",
               "data": {"target": ACT, "reason": "two", "data": {"topic": "cleaner_production", "sessions": 2}}}),
        json!({"id": RETRACTED, "type": "outreach.delivered", "plan": "p", "occurred_on": "2012-03-01",
               "data": {"channel": "radio", "items": 3}}),
        json!({"type": "event.retracted", "plan": "p", "occurred_on": "2012-03-03",
               "data": {"target": RETRACTED, "reason": "never aired"}}),
    ]
}

fn event(event_type: &str, plan: &str, occurred_on: &str, data: Value) -> Value {
    json!({"type": event_type, "plan": plan, "occurred_on": occurred_on, "data": data})
}

fn fresh_log() -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().unwrap();
    let clock: acta_events::Clock = Arc::new(|| "2026-11-28T12:00:00Z".parse().unwrap());
    let log = Log::open(
        dir.path().join("acta.db"),
        LogOptions {
            clock,
            on_commit: None,
            bulk: false,
        },
    )
    .unwrap();
    (dir, log)
}

/// Parses and appends one event the way the HTTP layer does; returns (status, first pointer).
fn append(log: &Log, body: &Value) -> Result<(), (u16, String)> {
    let today: CivilDate = TODAY.parse().unwrap();
    let event = NewEvent::parse(body, "", today)
        .map_err(AppendError::from_fields)
        .map_err(status_of)?;
    log.append_blocking(AppendRequest {
        events: vec![event],
        actor: "test".into(),
        is_batch: false,
    })
    .map(drop)
    .map_err(status_of)
}

fn status_of(error: AppendError) -> (u16, String) {
    match error.with_batch_pointers() {
        AppendError::UnknownFields { errors } => (400, errors[0].field.clone()),
        AppendError::Invalid { errors } => (422, errors[0].field.clone()),
        AppendError::Conflict { errors, .. } => (409, errors[0].field.clone()),
        other => panic!("unexpected {other}"),
    }
}

/// (rule, valid example, invalid example, status, pointer)
fn table() -> Vec<(&'static str, Value, Value, u16, &'static str)> {
    let funds = |fiscal_year: i64, amount: Value| {
        event(
            "funds.allocated",
            "p",
            "2012-12-31",
            json!({"fiscal_year": fiscal_year, "source": "local", "amount": amount}),
        )
    };
    let with_top = |mut body: Value, key: &str, value: Value| {
        body[key] = value;
        body
    };
    let good = funds(2012, json!(90_000_000));
    vec![
        (
            "id is a ULID",
            with_top(good.clone(), "id", json!("01JD0000000000000000000009")),
            with_top(good.clone(), "id", json!("01JD")),
            422,
            "/id",
        ),
        (
            "type is known",
            good.clone(),
            with_top(good.clone(), "type", json!("funds.lost")),
            422,
            "/type",
        ),
        (
            "plan key",
            good.clone(),
            with_top(good.clone(), "plan", json!("P!")),
            422,
            "/plan",
        ),
        (
            "occurred_on is YYYY-MM-DD",
            good.clone(),
            with_top(good.clone(), "occurred_on", json!("2012-12-31T00:00:00Z")),
            422,
            "/occurred_on",
        ),
        (
            "years 1900..=2200",
            with_top(good.clone(), "occurred_on", json!("1900-01-01")),
            with_top(good.clone(), "occurred_on", json!("1899-12-31")),
            422,
            "/occurred_on",
        ),
        (
            "no date after tomorrow",
            with_top(good.clone(), "occurred_on", json!("2026-11-29")),
            with_top(good.clone(), "occurred_on", json!("2026-11-30")),
            422,
            "/occurred_on",
        ),
        (
            "date_precision",
            with_top(good.clone(), "date_precision", json!("month")),
            with_top(good.clone(), "date_precision", json!("quarter")),
            422,
            "/date_precision",
        ),
        (
            "evidence needs a document",
            with_top(
                good.clone(),
                "evidence",
                json!({"document": "Báo cáo", "locator": "mục 4"}),
            ),
            with_top(good.clone(), "evidence", json!({"locator": "mục 4"})),
            422,
            "/evidence/document",
        ),
        (
            "evidence texts 1..=500",
            with_top(good.clone(), "evidence", json!({"document": "d"})),
            with_top(good.clone(), "evidence", json!({"document": " "})),
            422,
            "/evidence/document",
        ),
        (
            "unknown top-level field",
            good.clone(),
            with_top(good.clone(), "note", json!("x")),
            400,
            "/note",
        ),
        (
            "unknown data field",
            good.clone(),
            event(
                "funds.allocated",
                "p",
                "2012-12-31",
                json!({"fiscal_year": 2012, "source": "local", "amount": 1, "vat": 1}),
            ),
            400,
            "/data/vat",
        ),
        (
            "data is required",
            event("plan.submitted", "p", "2012-12-31", json!({})),
            json!({"type": "plan.submitted", "plan": "p", "occurred_on": "2012-12-31"}),
            422,
            "/data",
        ),
        (
            "expected_version matches",
            with_top(good.clone(), "expected_version", json!(6)),
            with_top(good.clone(), "expected_version", json!(5)),
            409,
            "/expected_version",
        ),
        // §2.1
        (
            "first event is plan.registered",
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "project", "period": {"from_year": 2012, "to_year": 2012}}),
            ),
            event(
                "training.held",
                "r",
                "2012-01-01",
                json!({"topic": "t", "sessions": 1}),
            ),
            422,
            "/plan",
        ),
        (
            "registered once",
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "plan", "period": {"from_year": 2012, "to_year": 2013}}),
            ),
            event(
                "plan.registered",
                "p",
                "2012-01-01",
                json!({"title": "P", "kind": "plan", "period": {"from_year": 2012, "to_year": 2013}}),
            ),
            409,
            "/plan",
        ),
        (
            "period runs forward",
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "plan", "period": {"from_year": 2012, "to_year": 2012}}),
            ),
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "plan", "period": {"from_year": 2013, "to_year": 2012}}),
            ),
            422,
            "/data/period/to_year",
        ),
        (
            "plan kind",
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "annual_plan", "period": {"from_year": 2012, "to_year": 2012}}),
            ),
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "wish", "period": {"from_year": 2012, "to_year": 2012}}),
            ),
            422,
            "/data/kind",
        ),
        (
            "parent is registered",
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "plan", "parent": "p", "period": {"from_year": 2012, "to_year": 2012}}),
            ),
            event(
                "plan.registered",
                "r",
                "2012-01-01",
                json!({"title": "R", "kind": "plan", "parent": "zz", "period": {"from_year": 2012, "to_year": 2012}}),
            ),
            422,
            "/data/parent",
        ),
        (
            "lifecycle not dated before the last",
            event("plan.submitted", "p", "2011-12-07", json!({})),
            event("plan.submitted", "p", "2011-12-06", json!({})),
            422,
            "/occurred_on",
        ),
        (
            "approval needs a decision",
            event(
                "plan.approved",
                "p",
                "2012-01-01",
                json!({"decision": "3269/QĐ-UBND"}),
            ),
            event("plan.approved", "p", "2012-01-01", json!({})),
            422,
            "/data/decision",
        ),
        (
            "valid transitions only",
            event("plan.approved", "p", "2012-01-01", json!({"decision": "1"})),
            event("plan.completed", "p", "2012-01-01", json!({})),
            409,
            "/type",
        ),
        (
            "cancelled is final",
            event("plan.cancelled", "p", "2012-01-01", json!({"reason": "r"})),
            event("plan.approved", "q", "2012-01-01", json!({"decision": "1"})),
            409,
            "/type",
        ),
        (
            "cancellation needs a reason",
            event("plan.cancelled", "p", "2012-01-01", json!({"reason": "r"})),
            event("plan.cancelled", "p", "2012-01-01", json!({})),
            422,
            "/data/reason",
        ),
        // §2.2
        (
            "decision number unique per issuer and year",
            event(
                "decision.issued",
                "p",
                "2013-02-10",
                json!({"number": "06/QĐ-SCT", "issuer": "SCT", "title": "t"}),
            ),
            event(
                "decision.issued",
                "q",
                "2012-12-31",
                json!({"number": "06/QĐ-SCT", "issuer": "SCT", "title": "t"}),
            ),
            409,
            "/data/number",
        ),
        (
            "decision kind",
            event(
                "decision.issued",
                "p",
                "2012-02-10",
                json!({"number": "1", "issuer": "SCT", "title": "t", "kind": "directive", "basis": ["1419/QĐ-TTg"]}),
            ),
            event(
                "decision.issued",
                "p",
                "2012-02-10",
                json!({"number": "1", "issuer": "SCT", "title": "t", "kind": "memo"}),
            ),
            422,
            "/data/kind",
        ),
        (
            "unit needs a name",
            event(
                "unit.established",
                "p",
                "2012-02-16",
                json!({"name": "Phòng SXSH", "decision": "04/QĐ-TVCN"}),
            ),
            event(
                "unit.established",
                "p",
                "2012-02-16",
                json!({"decision": "04/QĐ-TVCN"}),
            ),
            422,
            "/data/name",
        ),
        (
            "staff count ≥ 1",
            event(
                "staff.assigned",
                "p",
                "2012-12-31",
                json!({"unit": "Phòng SXSH", "count": 4}),
            ),
            event(
                "staff.assigned",
                "p",
                "2012-12-31",
                json!({"unit": "Phòng SXSH", "count": 0}),
            ),
            422,
            "/data/count",
        ),
        (
            "training sessions ≥ 1",
            event(
                "training.held",
                "p",
                "2012-12-31",
                json!({"topic": "t", "sessions": 1, "participants": 0, "approximate": true}),
            ),
            event(
                "training.held",
                "p",
                "2012-12-31",
                json!({"topic": "t", "sessions": 0}),
            ),
            422,
            "/data/sessions",
        ),
        (
            "participants_by_group counts",
            event(
                "training.held",
                "p",
                "2012-12-31",
                json!({"topic": "t", "sessions": 1, "participants_by_group": {"a": 1}}),
            ),
            event(
                "training.held",
                "p",
                "2012-12-31",
                json!({"topic": "t", "sessions": 1, "participants_by_group": {"a": -1}}),
            ),
            422,
            "/data/participants_by_group/a",
        ),
        (
            "approximate is a boolean",
            event(
                "training.held",
                "p",
                "2012-12-31",
                json!({"topic": "t", "sessions": 1, "approximate": false}),
            ),
            event(
                "training.held",
                "p",
                "2012-12-31",
                json!({"topic": "t", "sessions": 1, "approximate": "yes"}),
            ),
            422,
            "/data/approximate",
        ),
        (
            "outreach channel",
            event(
                "outreach.delivered",
                "p",
                "2012-12-31",
                json!({"channel": "tv", "items": 6}),
            ),
            event(
                "outreach.delivered",
                "p",
                "2012-12-31",
                json!({"channel": "pigeon", "items": 6}),
            ),
            422,
            "/data/channel",
        ),
        (
            "outreach items ≥ 1",
            event(
                "outreach.delivered",
                "p",
                "2012-12-31",
                json!({"channel": "banner", "items": 440}),
            ),
            event(
                "outreach.delivered",
                "p",
                "2012-12-31",
                json!({"channel": "banner", "items": 0}),
            ),
            422,
            "/data/items",
        ),
        (
            "assessment kind",
            event(
                "assessment.completed",
                "p",
                "2012-12-31",
                json!({"kind": "rapid", "enterprises": 3}),
            ),
            event(
                "assessment.completed",
                "p",
                "2012-12-31",
                json!({"kind": "quick", "enterprises": 3}),
            ),
            422,
            "/data/kind",
        ),
        (
            "progress indicator key",
            event(
                "progress.reported",
                "p",
                "2012-12-31",
                json!({"indicator": "enterprises.applying_cp", "quantity": 0}),
            ),
            event(
                "progress.reported",
                "p",
                "2012-12-31",
                json!({"indicator": "Enterprises", "quantity": 1}),
            ),
            422,
            "/data/indicator",
        ),
        (
            "target year",
            event(
                "target.set",
                "p",
                "2012-12-31",
                json!({"indicator": "training.sessions", "year": 2015, "quantity": 2, "unit": "lớp"}),
            ),
            event(
                "target.set",
                "p",
                "2012-12-31",
                json!({"indicator": "training.sessions", "year": 15, "quantity": 2}),
            ),
            422,
            "/data/year",
        ),
        (
            "fiscal_year inside the period",
            funds(2015, json!(1)),
            funds(2016, json!(1)),
            422,
            "/data/fiscal_year",
        ),
        (
            "funding source",
            funds(2012, json!(1)),
            event(
                "funds.planned",
                "p",
                "2012-12-31",
                json!({"fiscal_year": 2012, "source": "bank", "amount": 1}),
            ),
            422,
            "/data/source",
        ),
        (
            "amount is a positive integer",
            funds(2012, json!(9_007_199_254_740_991u64)),
            funds(2012, json!(12.5)),
            422,
            "/data/amount",
        ),
        (
            "amount ≤ 2^53 − 1",
            funds(2012, json!(1)),
            funds(2012, json!(9_007_199_254_740_992u64)),
            422,
            "/data/amount",
        ),
        (
            "total metric and words",
            event(
                "total.reported",
                "p",
                "2015-05-17",
                json!({"metric": "funding.budget", "amount": 1_276_000_000, "amount_in_words": "Một tỷ", "from_year": 2011, "to_year": 2015}),
            ),
            event(
                "total.reported",
                "p",
                "2015-05-17",
                json!({"metric": "funding budget", "amount": 1}),
            ),
            422,
            "/data/metric",
        ),
        (
            "text 1..=500 characters",
            event(
                "decision.issued",
                "p",
                "2012-02-10",
                json!({"number": "1", "issuer": "SCT", "title": "ệ".repeat(500)}),
            ),
            event(
                "decision.issued",
                "p",
                "2012-02-10",
                json!({"number": "1", "issuer": "SCT", "title": "ệ".repeat(501)}),
            ),
            422,
            "/data/title",
        ),
        // §2.3
        (
            "a correction carries data or a date",
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "occurred_on": "2012-03-05"}),
            ),
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r"}),
            ),
            422,
            "/data",
        ),
        (
            "a correction's target exists",
            event(
                "event.retracted",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r"}),
            ),
            event(
                "event.retracted",
                "p",
                "2012-04-01",
                json!({"target": "01JD00000000000000000000ZZ", "reason": "r"}),
            ),
            422,
            "/data/target",
        ),
        (
            "a correction belongs to its target's plan",
            event(
                "event.retracted",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r"}),
            ),
            event(
                "event.retracted",
                "q",
                "2012-04-01",
                json!({"target": ACT, "reason": "r"}),
            ),
            422,
            "/plan",
        ),
        (
            "a correction does not target a correction",
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "data": {"topic": "t", "sessions": 3}}),
            ),
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": CORRECTION, "reason": "r", "occurred_on": "2012-03-05"}),
            ),
            422,
            "/data/target",
        ),
        (
            "a retracted event stays retracted",
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "occurred_on": "2012-03-09"}),
            ),
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": RETRACTED, "reason": "r", "occurred_on": "2012-03-09"}),
            ),
            409,
            "/data/target",
        ),
        (
            "replacement data is valid for the target's type",
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "data": {"topic": "t", "sessions": 3}}),
            ),
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "data": {"topic": "t", "sessions": 3, "colour": 1}}),
            ),
            400,
            "/data/data/colour",
        ),
        (
            "a correction's date is not in the future",
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "occurred_on": "2026-11-29"}),
            ),
            event(
                "event.corrected",
                "p",
                "2012-04-01",
                json!({"target": ACT, "reason": "r", "occurred_on": "2026-12-30"}),
            ),
            422,
            "/data/occurred_on",
        ),
    ]
}

#[test]
fn every_rule_has_a_valid_and_an_invalid_example() {
    let rules = table();
    assert!(rules.len() >= 45);
    for (rule, valid, invalid, status, pointer) in rules {
        let (_dir, log) = fresh_log();
        for (index, body) in setup().iter().enumerate() {
            append(&log, body).unwrap_or_else(|error| panic!("setup event {index}: {error:?}"));
        }
        let head = log.head().unwrap();
        assert_eq!(
            append(&log, &invalid),
            Err((status, pointer.to_owned())),
            "{rule}: invalid example"
        );
        assert_eq!(
            log.head().unwrap(),
            head,
            "{rule}: a refused event changed the log"
        );
        append(&log, &valid)
            .unwrap_or_else(|error| panic!("{rule}: valid example refused: {error:?}"));
        assert_eq!(log.head().unwrap().seq, head.seq + 1, "{rule}");
    }
}

fn append_batch(log: &Log, bodies: &[Value]) -> Result<usize, (u16, String)> {
    let today: CivilDate = TODAY.parse().unwrap();
    let events = bodies
        .iter()
        .map(|body| NewEvent::parse(body, "", today))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppendError::from_fields)
        .map_err(status_of)?;
    log.append_blocking(AppendRequest {
        events,
        actor: "test".into(),
        is_batch: true,
    })
    .map(|outcome| outcome.stored_new)
    .map_err(status_of)
}

fn with_id(mut body: Value, id: &str) -> Value {
    body["id"] = json!(id);
    body
}

/// The writer skips the idempotency lookup for an id above every stored one; an id below the
/// newest is still looked up, stored once, and refused with other content.
#[test]
fn ids_below_the_newest_are_still_looked_up() {
    let (_dir, log) = fresh_log();
    for body in setup() {
        append(&log, &body).unwrap();
    }
    let training = |sessions: i64| {
        event(
            "training.held",
            "p",
            "2013-05-01",
            json!({"topic": "cleaner_production", "sessions": sessions}),
        )
    };
    let high = "01JD0000000000000000000ZZZ";
    let low = "01JD000000000000000000000B";
    append(&log, &with_id(training(1), high)).unwrap();
    let before = log.head().unwrap().seq;
    append(&log, &with_id(training(2), low)).unwrap();
    assert_eq!(
        log.head().unwrap().seq,
        before + 1,
        "a new low id is stored"
    );
    append(&log, &with_id(training(2), low)).unwrap();
    append(&log, &with_id(training(1), high)).unwrap();
    assert_eq!(
        log.head().unwrap().seq,
        before + 1,
        "repeats are stored once"
    );
    assert_eq!(
        append(&log, &with_id(training(3), low)),
        Err((409, "/id".to_owned()))
    );
}

/// A batch refused at its second event, alone in its transaction, leaves nothing behind: not
/// its first event, and not the decision number that event took.
#[test]
fn a_refused_batch_leaves_nothing_behind() {
    let (_dir, log) = fresh_log();
    for body in setup() {
        append(&log, &body).unwrap();
    }
    let head = log.head().unwrap();
    let decision = event(
        "decision.issued",
        "p",
        "2013-01-10",
        json!({"number": "01/QĐ-UBND", "issuer": "UBND", "title": "Kế hoạch"}),
    );
    let not_registered = event("plan.completed", "nowhere", "2013-01-11", json!({}));
    assert_eq!(
        append_batch(&log, &[decision.clone(), not_registered]),
        Err((422, "/events/1/plan".to_owned()))
    );
    assert_eq!(log.head().unwrap(), head);
    assert_eq!(append_batch(&log, &[decision]), Ok(1));
}

/// Many clients at once, so that requests share group commits: refused batches, refused
/// duplicate decisions and accepted single events side by side. Every refusal leaves nothing,
/// every acceptance is stored, and the chain holds.
#[test]
fn refusals_inside_a_group_commit_leave_nothing() {
    let (_dir, log) = fresh_log();
    for body in setup() {
        append(&log, &body).unwrap();
    }
    let start = log.head().unwrap().seq;
    let accepted = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for client in 0..8 {
            let (log, accepted) = (&log, &accepted);
            scope.spawn(move || {
                for round in 0..40 {
                    let decision = |number: String| {
                        event(
                            "decision.issued",
                            "p",
                            "2014-03-01",
                            json!({"number": number, "issuer": "UBND", "title": "t"}),
                        )
                    };
                    // A batch whose second event is refused: its first must not be stored.
                    let refused = append_batch(
                        log,
                        &[
                            decision(format!("batch-{client}-{round}")),
                            event("plan.completed", "nowhere", "2014-03-02", json!({})),
                        ],
                    );
                    assert!(refused.is_err());
                    // A decision number every client tries: only one of them gets it.
                    if append(log, &decision(format!("shared-{round}"))).is_ok() {
                        accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    append(log, &decision(format!("own-{client}-{round}"))).unwrap();
                    accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let accepted = accepted.into_inner();
    assert_eq!(accepted, 40 + 8 * 40, "each shared number is taken once");
    assert_eq!(log.head().unwrap().seq, start + accepted);
    // The numbers of refused batches are free: each can be taken now.
    for client in 0..8 {
        let number = format!("batch-{client}-0");
        let body = event(
            "decision.issued",
            "p",
            "2014-03-01",
            json!({"number": number, "issuer": "UBND", "title": "t"}),
        );
        append(&log, &body).unwrap();
    }
    assert!(log.verify(&mut |_| {}).unwrap().ok());
}
