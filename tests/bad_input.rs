//! Bad input gets a clear error and changes nothing: each case asserts the status, the
//! problem+json shape, the offending field's JSON Pointer, and that the log's head is unchanged.

mod common;

use common::{Server, event, fields, funds, new_id, register};
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    /// A pointer the problem must name (`None`: the problem lists no field, e.g. 413 or 415).
    field: Option<&'static str>,
}

fn case(name: &'static str, body: Value, status: u16, field: &'static str) -> Case {
    Case {
        name,
        path: "/v1/events",
        content_type: Some("application/json"),
        body: body.to_string().into_bytes(),
        status,
        field: Some(field),
    }
}

fn act(plan: &str, data: Value) -> Value {
    event("training.held", plan, "2012-03-01", data)
}

#[test]
fn bad_input_is_refused_with_its_field_named_and_changes_nothing() {
    let server = Server::start();
    // The record the cases run against: plan p (2011–2015, approved), plan q (cancelled), a
    // decision, an act, a correction of it, and a retracted act.
    let setup = [
        register("p", None),
        json!({"type": "plan.approved", "plan": "p", "occurred_on": "2011-12-07", "data": {"decision": "3269/QĐ-UBND"}}),
        register("q", None),
        json!({"type": "plan.cancelled", "plan": "q", "occurred_on": "2012-01-01", "data": {"reason": "merged"}}),
        json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
               "data": {"number": "06/QĐ-SCT", "issuer": "Sở Công Thương", "title": "Giao nhiệm vụ"}}),
    ];
    for event in &setup {
        let (status, body) = server.post("/v1/events", event);
        assert_eq!(status, 201, "{body}");
    }
    let act_id = new_id();
    let mut training = act("p", json!({"topic": "cleaner_production", "sessions": 1}));
    training["id"] = json!(act_id);
    assert_eq!(server.post("/v1/events", &training).0, 201);
    let correction_id = new_id();
    let correction = json!({"id": correction_id, "type": "event.corrected", "plan": "p", "occurred_on": "2012-03-02",
                            "data": {"target": act_id, "reason": "two sessions", "data": {"topic": "cleaner_production", "sessions": 2}}});
    assert_eq!(server.post("/v1/events", &correction).0, 201);
    let retracted_id = new_id();
    let mut retracted = act("p", json!({"topic": "energy_efficiency", "sessions": 1}));
    retracted["id"] = json!(retracted_id);
    assert_eq!(server.post("/v1/events", &retracted).0, 201);
    let retraction = json!({"type": "event.retracted", "plan": "p", "occurred_on": "2012-03-03",
                            "data": {"target": retracted_id, "reason": "never held"}});
    assert_eq!(server.post("/v1/events", &retraction).0, 201);

    let tomorrow_plus_one = jiff::Zoned::now()
        .date()
        .tomorrow()
        .unwrap()
        .tomorrow()
        .unwrap()
        .tomorrow()
        .unwrap();
    // Sets (or adds) the field at `pointer`.
    let with = |mut event: Value, pointer: &str, value: Value| {
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        event.pointer_mut(parent).unwrap()[name] = value;
        event
    };
    let good_funds = funds("funds.allocated", "p", 2012, 90_000_000);
    let huge_title = json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
                            "data": {"number": "1/X", "issuer": "X", "title": "a".repeat(501)}});
    let batch_of = |count: usize| json!({"events": vec![good_funds.clone(); count]});

    let cases = vec![
        Case { name: "malformed JSON", path: "/v1/events", content_type: Some("application/json"), body: b"{\"type\": ".to_vec(), status: 400, field: Some("") },
        Case { name: "wrong content type", path: "/v1/events", content_type: Some("text/plain"), body: good_funds.to_string().into_bytes(), status: 415, field: None },
        Case { name: "no content type", path: "/v1/events", content_type: None, body: good_funds.to_string().into_bytes(), status: 415, field: None },
        Case { name: "body over 1 MiB", path: "/v1/events", content_type: Some("application/json"),
               body: format!("{{\"pad\": \"{}\"}}", "x".repeat(1024 * 1024)).into_bytes(), status: 413, field: None },
        Case { name: "nested deeper than 64", path: "/v1/events", content_type: Some("application/json"),
               body: format!("{}{}", "[".repeat(65), "]".repeat(65)).into_bytes(), status: 400, field: Some("") },
        case("an array as the body", json!([good_funds]), 422, ""),
        case("null as the body", Value::Null, 422, ""),
        case("unknown type", with(good_funds.clone(), "/type", json!("funds.stolen")), 422, "/type"),
        case("unknown top-level field", with(good_funds.clone(), "/colour", json!("red")), 400, "/colour"),
        case("unknown data field", with(good_funds.clone(), "/data/colour", json!("red")), 400, "/data/colour"),
        case("unknown evidence field", with(good_funds.clone(), "/evidence", json!({"document": "d", "page": 3})), 400, "/evidence/page"),
        // A bad value inside a map or a list is named at its own pointer, not at its container.
        case("a negative count in a map", act("p", json!({"topic": "t", "sessions": 1, "participants_by_group": {"nông dân": 3, "doanh nghiệp": -1}})),
             422, "/data/participants_by_group/doanh nghiệp"),
        case("a count of the wrong type in a map", act("p", json!({"topic": "t", "sessions": 1, "participants_by_group": {"a/b": "nhiều"}})),
             422, "/data/participants_by_group/a~1b"),
        case("a number among a decision's basis", json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-02-10",
             "data": {"number": "07/QĐ-SCT", "issuer": "Sở Công Thương", "title": "T", "basis": ["1419/QĐ-TTg", 3269]}}),
             422, "/data/basis/1"),
        case("missing field", json!({"type": "funds.allocated", "plan": "p", "occurred_on": "2012-12-31",
                                     "data": {"fiscal_year": 2012, "source": "local"}}), 422, "/data/amount"),
        case("missing data", json!({"type": "plan.completed", "plan": "p", "occurred_on": "2012-12-31"}), 422, "/data"),
        case("a float amount", with(good_funds.clone(), "/data/amount", json!(90000000.0)), 422, "/data/amount"),
        case("a string amount", with(good_funds.clone(), "/data/amount", json!("90000000")), 422, "/data/amount"),
        case("a negative amount", with(good_funds.clone(), "/data/amount", json!(-1)), 422, "/data/amount"),
        case("a zero amount", with(good_funds.clone(), "/data/amount", json!(0)), 422, "/data/amount"),
        case("amount 2^53", with(good_funds.clone(), "/data/amount", json!(9_007_199_254_740_992u64)), 422, "/data/amount"),
        case("year 0014", with(good_funds.clone(), "/occurred_on", json!("0014-05-30")), 422, "/occurred_on"),
        case("30 February", with(good_funds.clone(), "/occurred_on", json!("2014-02-30")), 422, "/occurred_on"),
        case("a Vietnamese date", with(good_funds.clone(), "/occurred_on", json!("07/12/2011")), 422, "/occurred_on"),
        case("a future date", with(good_funds.clone(), "/occurred_on", json!(tomorrow_plus_one.to_string())), 422, "/occurred_on"),
        case("a bad ULID", with(good_funds.clone(), "/id", json!("not-a-ulid")), 422, "/id"),
        case("a bad plan key", with(good_funds.clone(), "/plan", json!("Kế hoạch")), 422, "/plan"),
        case("a bad date precision", with(good_funds.clone(), "/date_precision", json!("week")), 422, "/date_precision"),
        case("a 501-character title", huge_title, 422, "/data/title"),
        case("a control character", with(good_funds.clone(), "/data/document", json!("a\u{7}b")), 422, "/data/document"),
        case("a bad indicator key", json!({"type": "target.set", "plan": "p", "occurred_on": "2012-01-01",
                                           "data": {"indicator": "Training", "year": 2015, "quantity": 2}}), 422, "/data/indicator"),
        case("sessions 0", act("p", json!({"topic": "t", "sessions": 0})), 422, "/data/sessions"),
        Case { name: "an empty batch", path: "/v1/events/batch", content_type: Some("application/json"),
               body: json!({"events": []}).to_string().into_bytes(), status: 422, field: Some("/events") },
        Case { name: "a batch of 10,001", path: "/v1/events/batch", content_type: Some("application/json"),
               body: batch_of(10_001).to_string().into_bytes(), status: 422, field: Some("/events") },
        Case { name: "a bad event inside a batch", path: "/v1/events/batch", content_type: Some("application/json"),
               body: json!({"events": [good_funds.clone(), with(good_funds.clone(), "/data/amount", json!(1.5))]}).to_string().into_bytes(),
               status: 422, field: Some("/events/1/data/amount") },
        Case { name: "a batch whose later event breaks a stream rule", path: "/v1/events/batch", content_type: Some("application/json"),
               body: json!({"events": [good_funds.clone(), with(good_funds.clone(), "/data/fiscal_year", json!(2030))]}).to_string().into_bytes(),
               status: 422, field: Some("/events/1/data/fiscal_year") },
        case("a lifecycle event dated before the plan's last one",
             json!({"type": "plan.completed", "plan": "p", "occurred_on": "2011-01-01", "data": {}}), 422, "/occurred_on"),
        case("an approval of a cancelled plan",
             json!({"type": "plan.approved", "plan": "q", "occurred_on": "2013-01-01", "data": {"decision": "1/QĐ"}}), 409, "/type"),
        case("registering a plan twice", register("p", None), 409, "/plan"),
        case("a parent that does not exist", register("child", Some("nope")), 422, "/data/parent"),
        case("a duplicate decision number",
             json!({"type": "decision.issued", "plan": "p", "occurred_on": "2012-06-01",
                    "data": {"number": "06/QĐ-SCT", "issuer": "Sở Công Thương", "title": "Lần nữa"}}), 409, "/data/number"),
        case("fiscal_year outside the period", with(good_funds.clone(), "/data/fiscal_year", json!(2016)), 422, "/data/fiscal_year"),
        case("a correction of a correction",
             json!({"type": "event.corrected", "plan": "p", "occurred_on": "2012-03-04",
                    "data": {"target": correction_id, "reason": "again", "occurred_on": "2012-03-05"}}), 422, "/data/target"),
        case("a retraction of a retracted event",
             json!({"type": "event.retracted", "plan": "p", "occurred_on": "2012-03-04",
                    "data": {"target": retracted_id, "reason": "again"}}), 409, "/data/target"),
        case("a correction whose target does not exist",
             json!({"type": "event.retracted", "plan": "p", "occurred_on": "2012-03-04",
                    "data": {"target": new_id(), "reason": "?"}}), 422, "/data/target"),
        case("a correction in another plan than its target's",
             json!({"type": "event.retracted", "plan": "q", "occurred_on": "2012-03-04",
                    "data": {"target": act_id, "reason": "?"}}), 422, "/plan"),
        case("a correction whose data is invalid for its target's type",
             json!({"type": "event.corrected", "plan": "p", "occurred_on": "2012-03-04",
                    "data": {"target": act_id, "reason": "?", "data": {"topic": "t", "sessions": -2}}}), 422, "/data/data/sessions"),
        case("an act for an unregistered plan", act("nobody", json!({"topic": "t", "sessions": 1})), 422, "/plan"),
        case("a stale expected_version", with(good_funds.clone(), "/expected_version", json!(1)), 409, "/expected_version"),
    ];
    assert!(cases.len() >= 30);

    for case in cases {
        let before = server.head();
        let (status, problem) = server.post_raw(case.path, case.content_type, case.body);
        assert_eq!(status, case.status, "{}: {problem}", case.name);
        if let Some(field) = case.field {
            assert!(
                fields(&problem).iter().any(|f| f == field),
                "{}: expected field {field:?} in {problem}",
                case.name
            );
        }
        assert_eq!(server.head(), before, "{}: the log changed", case.name);
    }
}

#[test]
fn query_parameters_are_checked() {
    let server = Server::start();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=-1", "after"),
        ("type=plan.deleted", "type"),
        ("plan=Bad", "plan"),
        ("colour=red", "colour"),
    ] {
        let (status, problem) = server.get(&format!("/v1/events?{query}"));
        assert_eq!(status, 422, "{query}: {problem}");
        assert_eq!(fields(&problem), [field], "{query}");
    }
    assert_eq!(server.get("/v1/events?plan=unknown").0, 404);
    assert_eq!(server.get("/v1/events/01JD0000000000000000000000").0, 404);
    assert_eq!(server.get("/v1/events/not-an-id").0, 404);
    assert_eq!(server.get("/v1/nothing").0, 404);
}
