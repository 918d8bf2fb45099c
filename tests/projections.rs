//! The read side over a real socket (CONTRACT §3, §3.1–§3.4): plan status, funding, the yearly
//! summary and reconciliation, each asked with `as_of`, `known_at`, both and neither, on small
//! records built through `POST /v1/events`. Instants for `known_at` are taken from the
//! `recorded_at` of the server's own answers, with a pause wherever two must differ.

mod common;

use std::time::Duration;

use common::{Server, event, fields, register};
use serde_json::{Value, json};

const PARENT: &str = "vn-sxsh";
const CHILD: &str = "dn-sxsh";

// ----- Helpers -----

/// A funding request with a chosen source and date.
fn money(
    kind: &str,
    plan: &str,
    occurred_on: &str,
    fiscal_year: i64,
    source: &str,
    amount: i64,
) -> Value {
    event(
        &format!("funds.{kind}"),
        plan,
        occurred_on,
        json!({"fiscal_year": fiscal_year, "source": source, "amount": amount}),
    )
}

/// Appends one event and returns it as stored; anything but `201` fails the test.
fn append(server: &Server, request: &Value) -> Value {
    let (status, stored) = server.post("/v1/events", request);
    assert_eq!(status, 201, "appending {request}: {stored}");
    stored
}

/// The id of a stored event.
fn id(stored: &Value) -> String {
    stored["id"]
        .as_str()
        .expect("a stored event has an id")
        .to_owned()
}

/// The `recorded_at` of a stored event.
fn recorded_at(stored: &Value) -> String {
    stored["recorded_at"]
        .as_str()
        .expect("a stored event has a recorded_at")
        .to_owned()
}

/// Long enough that the next append gets a later millisecond than the last one.
fn pause() {
    std::thread::sleep(Duration::from_millis(25));
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode(value: &str) -> String {
    let mut encoded = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `path?name=value&…`, values percent-encoded.
fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// GETs `path` with `params` and expects `200`.
fn read(server: &Server, path: &str, params: &[(&str, &str)]) -> Value {
    let url = with_query(path, params);
    let (status, body) = server.get(&url);
    assert_eq!(status, 200, "GET {url}: {body}");
    body
}

/// Every key in `keys` is present in `object` (answers may carry more).
fn assert_keys(object: &Value, keys: &[&str], what: &str) {
    let map = object
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {object}"));
    for key in keys {
        assert!(map.contains_key(*key), "{what} lacks {key:?}: {object}");
    }
}

const STATUS_KEYS: &[&str] = &[
    "plan",
    "title",
    "code",
    "issuer",
    "kind",
    "parent",
    "period",
    "status",
    "status_since",
    "approval",
    "history",
    "indicators",
    "version",
];
const FIGURE_KEYS: &[&str] = &["planned", "allocated", "disbursed", "budget", "unspent"];
const YEAR_KEYS: &[&str] = &[
    "year",
    "decisions",
    "plans_approved",
    "training",
    "outreach",
    "assessments",
    "staff_assigned",
    "units_established",
    "funding",
];
const FINDING_KEYS: &[&str] = &[
    "kind",
    "severity",
    "event",
    "plan",
    "year",
    "expected",
    "actual",
    "difference",
    "message",
];

/// The parameters for an optional `as_of` and an optional `known_at`.
fn axes<'a>(as_of: Option<&'a str>, known_at: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut params = Vec::new();
    if let Some(as_of) = as_of {
        params.push(("as_of", as_of));
    }
    if let Some(known_at) = known_at {
        params.push(("known_at", known_at));
    }
    params
}

/// Checks the keys of a plan status (§3.1), its nested objects and its ordering rule.
fn assert_status_shape(status: &Value) {
    assert_keys(status, STATUS_KEYS, "a plan status");
    assert_keys(
        &status["period"],
        &["from_year", "to_year"],
        "a plan's period",
    );
    if !status["approval"].is_null() {
        assert_keys(
            &status["approval"],
            &["decision", "approved_by", "on"],
            "an approval",
        );
    }
    for entry in status["history"].as_array().expect("history is an array") {
        assert_keys(entry, &["status", "on", "event"], "a history entry");
    }
    let rows = status["indicators"].as_array().expect("indicators array");
    for row in rows {
        assert_keys(
            row,
            &["indicator", "year", "target", "actual"],
            "an indicator row",
        );
    }
    let order: Vec<(String, i64)> = rows
        .iter()
        .map(|row| {
            (
                row["indicator"].as_str().unwrap().to_owned(),
                row["year"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "indicators by indicator then year: {status}");
}

/// Checks the keys and ordering rules of a funding answer (§3.2).
fn assert_funding_shape(funding: &Value) {
    assert_keys(
        funding,
        &[
            "currency",
            "by_year",
            "by_source",
            "totals",
            "budget_in_words",
        ],
        "funding",
    );
    assert_eq!(funding["currency"], "VND");
    let source_rank = |source: &Value| match source.as_str().unwrap() {
        "central" => 0,
        "local" => 1,
        "other" => 2,
        other => panic!("unknown source {other}"),
    };
    let by_year = funding["by_year"].as_array().expect("by_year array");
    for row in by_year {
        assert_keys(row, &["fiscal_year", "source"], "a by_year row");
        assert_keys(row, FIGURE_KEYS, "a by_year row");
    }
    let order: Vec<(i64, i32)> = by_year
        .iter()
        .map(|row| {
            (
                row["fiscal_year"].as_i64().unwrap(),
                source_rank(&row["source"]),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "by_year by fiscal year then source");
    let by_source = funding["by_source"].as_array().expect("by_source array");
    for row in by_source {
        assert_keys(row, &["source"], "a by_source row");
        assert_keys(row, FIGURE_KEYS, "a by_source row");
    }
    let order: Vec<i32> = by_source
        .iter()
        .map(|row| source_rank(&row["source"]))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "by_source by source");
    assert_keys(&funding["totals"], FIGURE_KEYS, "totals");
    let words = funding["budget_in_words"].as_str().expect("words");
    assert!(words.ends_with("đồng"), "{words}");
}

/// Checks the keys and ordering rule of a yearly summary (§3.3).
fn assert_yearly_shape(yearly: &Value) {
    assert_keys(yearly, &["years"], "the yearly summary");
    let years = yearly["years"].as_array().expect("years array");
    for year in years {
        assert_keys(year, YEAR_KEYS, "a year");
        assert_keys(
            &year["training"],
            &["events", "sessions", "participants", "by_topic"],
            "a year's training",
        );
        assert_keys(
            &year["assessments"],
            &["enterprises"],
            "a year's assessments",
        );
        assert_keys(
            &year["funding"],
            &["planned", "allocated", "disbursed"],
            "a year's funding",
        );
        assert!(year["outreach"].is_object());
        for decision in year["decisions"].as_array().unwrap() {
            assert_keys(
                decision,
                &["number", "issuer", "title", "issued_on"],
                "a decision",
            );
        }
    }
    let numbers: Vec<i64> = years.iter().map(|y| y["year"].as_i64().unwrap()).collect();
    assert!(
        numbers.windows(2).all(|pair| pair[0] < pair[1]),
        "years ascending and distinct: {numbers:?}"
    );
}

/// Checks the keys of a reconciliation (§3.4), that errors come first, and that `ok` follows.
fn assert_reconciliation_shape(answer: &Value) {
    assert_keys(answer, &["ok", "findings"], "reconciliation");
    let findings = answer["findings"].as_array().expect("findings array");
    for finding in findings {
        assert_keys(finding, FINDING_KEYS, "a finding");
        let severity = finding["severity"].as_str().unwrap();
        assert!(severity == "error" || severity == "warning", "{finding}");
        if let (Some(expected), Some(actual)) =
            (finding["expected"].as_i64(), finding["actual"].as_i64())
        {
            assert_eq!(finding["difference"], actual - expected, "{finding}");
        }
    }
    let any_error = findings.iter().any(|f| f["severity"] == "error");
    assert_eq!(
        answer["ok"], !any_error,
        "ok is false exactly when an error: {answer}"
    );
}

/// The contract's figures of a finding, without the message and extra keys.
fn finding_core(finding: &Value) -> Value {
    json!({
        "kind": finding["kind"], "severity": finding["severity"], "event": finding["event"],
        "plan": finding["plan"], "year": finding["year"], "expected": finding["expected"],
        "actual": finding["actual"], "difference": finding["difference"],
    })
}

fn cores(answer: &Value) -> Vec<Value> {
    answer["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(finding_core)
        .collect()
}

fn core(
    kind: &str,
    severity: &str,
    event: &str,
    plan: &str,
    year: Value,
    expected: i64,
    actual: i64,
) -> Value {
    json!({"kind": kind, "severity": severity, "event": event, "plan": plan, "year": year,
           "expected": expected, "actual": actual, "difference": actual - expected})
}

fn figures(planned: i64, allocated: i64, disbursed: i64, budget: i64) -> Value {
    json!({"planned": planned, "allocated": allocated, "disbursed": disbursed,
           "budget": budget, "unspent": allocated - disbursed})
}

fn year_row(fiscal_year: i64, source: &str, figures: Value) -> Value {
    let mut row = json!({"fiscal_year": fiscal_year, "source": source});
    row.as_object_mut()
        .unwrap()
        .extend(figures.as_object().unwrap().clone());
    row
}

fn source_row(source: &str, figures: Value) -> Value {
    let mut row = json!({"source": source});
    row.as_object_mut()
        .unwrap()
        .extend(figures.as_object().unwrap().clone());
    row
}

/// A year of the summary with nothing in it but what `changes` sets.
fn empty_year(year: i64, changes: Value) -> Value {
    let mut summary = json!({
        "year": year, "decisions": [], "plans_approved": [],
        "training": {"events": 0, "sessions": 0, "participants": 0, "by_topic": {}},
        "outreach": {}, "assessments": {"enterprises": 0}, "staff_assigned": 0,
        "units_established": [], "funding": {"planned": 0, "allocated": 0, "disbursed": 0},
    });
    for (key, value) in changes.as_object().unwrap() {
        summary[key] = value.clone();
    }
    summary
}

fn funding_in(year: i64, planned: i64, allocated: i64, disbursed: i64) -> (i64, Value) {
    (
        year,
        json!({"planned": planned, "allocated": allocated, "disbursed": disbursed}),
    )
}

// ----- The small record -----

/// What the small record's tests need to know about it.
struct Small {
    server: Server,
    /// After the parent's lifecycle, before the child is registered.
    t0: String,
    /// After phase 1 (the last event of phase 1 was recorded at exactly this instant).
    t1: String,
    parent_registered: String,
    parent_submitted: String,
    parent_approved: String,
    child_registered: String,
    child_approved: String,
    child_target: String,
    parent_target: String,
    orphan_disbursement: String,
}

/// A parent plan and a child plan with lifecycle events, acts in 2012–2014, funding of three
/// sources in three fiscal years, targets and a `total.reported`, in two phases recorded at
/// distinct instants. Phase 1 ends at `t1`; phase 2 holds acts dated both before and after
/// 2012-12-31, and phase 1 holds acts dated after it, so that `as_of=2012-12-31`,
/// `known_at=t1`, both and neither all give different answers.
fn small_record() -> Small {
    let server = Server::start();
    let post = |request: Value| append(&server, &request);

    // Phase 0: the parent and its lifecycle.
    let parent_registered = id(&post(event(
        "plan.registered",
        PARENT,
        "2011-12-07",
        json!({"title": "Chiến lược SXSH", "code": "1419/QĐ-TTg", "issuer": "Thủ tướng Chính phủ",
               "kind": "strategy", "period": {"from_year": 2011, "to_year": 2015}}),
    )));
    let parent_submitted = id(&post(event(
        "plan.submitted",
        PARENT,
        "2011-12-20",
        json!({"to": "Bộ Công Thương"}),
    )));
    let approved = post(event(
        "plan.approved",
        PARENT,
        "2012-01-10",
        json!({"decision": "1419/QĐ-TTg", "approved_by": "Thủ tướng Chính phủ"}),
    ));
    let parent_approved = id(&approved);
    let t0 = recorded_at(&approved);
    pause();

    // Phase 1.
    let child_registered = id(&post(event(
        "plan.registered",
        CHILD,
        "2012-02-01",
        json!({"title": "Kế hoạch SXSH Đồng Nai", "kind": "plan", "parent": PARENT,
               "period": {"from_year": 2012, "to_year": 2015}}),
    )));
    post(event(
        "decision.issued",
        PARENT,
        "2012-03-05",
        json!({"number": "12/QĐ-BCT", "issuer": "Bộ Công Thương", "title": "Hướng dẫn SXSH"}),
    ));
    post(event(
        "progress.reported",
        PARENT,
        "2012-03-05",
        json!({"indicator": "policy.documents", "quantity": 1}),
    ));
    post(event(
        "training.held",
        CHILD,
        "2012-05-10",
        json!({"topic": "cleaner_production", "sessions": 2, "participants": 150}),
    ));
    post(money(
        "planned",
        PARENT,
        "2012-01-15",
        2012,
        "central",
        100_000_000,
    ));
    post(money(
        "allocated",
        PARENT,
        "2012-02-15",
        2012,
        "central",
        90_000_000,
    ));
    // Allocated in December 2012 for fiscal year 2013.
    post(money(
        "allocated",
        CHILD,
        "2012-12-20",
        2013,
        "local",
        300_000_000,
    ));
    post(money(
        "planned",
        CHILD,
        "2013-01-15",
        2013,
        "local",
        200_000_000,
    ));
    let child_target = id(&post(event(
        "target.set",
        CHILD,
        "2012-12-20",
        json!({"indicator": "training.sessions", "year": 2013, "quantity": 10}),
    )));
    let last_of_phase_1 = post(event(
        "outreach.delivered",
        CHILD,
        "2013-04-01",
        json!({"channel": "radio", "items": 3}),
    ));
    let t1 = recorded_at(&last_of_phase_1);
    pause();

    // Phase 2.
    let mut disbursed = money(
        "disbursed",
        PARENT,
        "2012-12-31",
        2012,
        "central",
        90_000_000,
    );
    disbursed["date_precision"] = json!("year");
    post(disbursed);
    let child_approved = id(&post(event(
        "plan.approved",
        CHILD,
        "2013-04-10",
        json!({"decision": "55/QĐ-UBND"}),
    )));
    post(event(
        "training.held",
        CHILD,
        "2013-09-15",
        json!({"topic": "energy_efficiency", "sessions": 3, "participants": 260}),
    ));
    post(event(
        "training.held",
        CHILD,
        "2013-10-01",
        json!({"topic": "cleaner_production", "sessions": 1}),
    ));
    post(event(
        "outreach.delivered",
        CHILD,
        "2013-06-01",
        json!({"channel": "banner", "items": 220}),
    ));
    post(money(
        "disbursed",
        CHILD,
        "2013-08-01",
        2013,
        "local",
        250_000_000,
    ));
    post(event(
        "staff.assigned",
        CHILD,
        "2013-03-01",
        json!({"unit": "Phòng Kỹ thuật", "count": 2}),
    ));
    post(event(
        "unit.established",
        CHILD,
        "2012-08-01",
        json!({"name": "Tổ SXSH"}),
    ));
    post(event(
        "assessment.completed",
        CHILD,
        "2014-05-01",
        json!({"kind": "rapid", "enterprises": 4}),
    ));
    let parent_target = id(&post(event(
        "target.set",
        PARENT,
        "2013-01-01",
        json!({"indicator": "policy.documents", "year": 2015, "quantity": 3}),
    )));
    post(event(
        "total.reported",
        PARENT,
        "2014-12-31",
        json!({"metric": "funding.disbursed", "amount": 340_000_000,
               "amount_in_words": "Ba trăm bốn mươi triệu đồng",
               "from_year": 2012, "to_year": 2013}),
    ));
    let orphan_disbursement = id(&post(money(
        "disbursed",
        CHILD,
        "2014-03-01",
        2014,
        "other",
        5_000_000,
    )));

    Small {
        server,
        t0,
        t1,
        parent_registered,
        parent_submitted,
        parent_approved,
        child_registered,
        child_approved,
        child_target,
        parent_target,
        orphan_disbursement,
    }
}

impl Small {
    fn history(&self, entries: &[(&str, &str, &str)]) -> Value {
        Value::Array(
            entries
                .iter()
                .map(|(status, on, event)| json!({"status": status, "on": on, "event": event}))
                .collect(),
        )
    }

    /// The parent's status: approved since 2012-01-10 whenever it is visible at all.
    fn parent_status(&self, indicators: Value, version: u64) -> Value {
        json!({
            "plan": PARENT, "title": "Chiến lược SXSH", "code": "1419/QĐ-TTg",
            "issuer": "Thủ tướng Chính phủ", "kind": "strategy", "parent": null,
            "period": {"from_year": 2011, "to_year": 2015},
            "status": "approved", "status_since": "2012-01-10",
            "approval": {"decision": "1419/QĐ-TTg", "approved_by": "Thủ tướng Chính phủ",
                         "on": "2012-01-10"},
            "history": self.history(&[
                ("draft", "2011-12-07", self.parent_registered.as_str()),
                ("submitted", "2011-12-20", self.parent_submitted.as_str()),
                ("approved", "2012-01-10", self.parent_approved.as_str()),
            ]),
            "indicators": indicators,
            "version": version,
        })
    }

    fn child_status(&self, approved: bool, indicators: Value, version: u64) -> Value {
        let mut history = vec![("draft", "2012-02-01", self.child_registered.as_str())];
        if approved {
            history.push(("approved", "2013-04-10", self.child_approved.as_str()));
        }
        json!({
            "plan": CHILD, "title": "Kế hoạch SXSH Đồng Nai", "code": null, "issuer": null,
            "kind": "plan", "parent": PARENT, "period": {"from_year": 2012, "to_year": 2015},
            "status": if approved { "approved" } else { "draft" },
            "status_since": if approved { "2013-04-10" } else { "2012-02-01" },
            "approval": if approved {
                json!({"decision": "55/QĐ-UBND", "approved_by": null, "on": "2013-04-10"})
            } else {
                Value::Null
            },
            "history": self.history(&history),
            "indicators": indicators,
            "version": version,
        })
    }

    /// The four ways of asking: neither, `as_of` only, `known_at` only, both.
    fn four(&self, as_of: &'static str) -> [(&'static str, Vec<(&'static str, String)>); 4] {
        [
            ("neither", vec![]),
            ("as_of", vec![("as_of", as_of.to_owned())]),
            ("known_at", vec![("known_at", self.t1.clone())]),
            (
                "both",
                vec![("as_of", as_of.to_owned()), ("known_at", self.t1.clone())],
            ),
        ]
    }

    fn read(&self, path: &str, params: &[(&'static str, String)]) -> Value {
        let params: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        read(&self.server, path, &params)
    }
}

fn row(indicator: &str, year: i64, target: Option<i64>, actual: i64) -> Value {
    json!({"indicator": indicator, "year": year, "target": target, "actual": actual})
}

// ----- Every endpoint, four ways -----

#[test]
fn plan_status_answers_as_of_known_at_both_and_neither() {
    let small = small_record();
    let parent_indicators_all = json!([
        row("policy.documents", 2012, None, 1),
        row("policy.documents", 2015, Some(3), 0),
    ]);
    let parent_indicators_2012 = json!([row("policy.documents", 2012, None, 1)]);
    let expected_parent = [
        small.parent_status(parent_indicators_all, 10),
        // as_of: the 2015 target was set on 2013-01-01; version ignores as_of.
        small.parent_status(parent_indicators_2012.clone(), 10),
        // known_at t1: the disbursement, target and total of phase 2 are not yet recorded.
        small.parent_status(parent_indicators_2012.clone(), 7),
        small.parent_status(parent_indicators_2012, 7),
    ];
    let expected_child = [
        small.child_status(
            true,
            json!([
                row("assessment.enterprises", 2014, None, 4),
                row("outreach.banner", 2013, None, 220),
                row("outreach.radio", 2013, None, 3),
                row("staff.assigned", 2013, None, 2),
                row("training.participants", 2012, None, 150),
                row("training.participants", 2013, None, 260),
                row("training.sessions", 2012, None, 2),
                row("training.sessions", 2013, Some(10), 4),
            ]),
            15,
        ),
        small.child_status(
            false,
            json!([
                row("training.participants", 2012, None, 150),
                row("training.sessions", 2012, None, 2),
                row("training.sessions", 2013, Some(10), 0),
            ]),
            15,
        ),
        small.child_status(
            false,
            json!([
                row("outreach.radio", 2013, None, 3),
                row("training.participants", 2012, None, 150),
                row("training.sessions", 2012, None, 2),
                row("training.sessions", 2013, Some(10), 0),
            ]),
            6,
        ),
        small.child_status(
            false,
            json!([
                row("training.participants", 2012, None, 150),
                row("training.sessions", 2012, None, 2),
                row("training.sessions", 2013, Some(10), 0),
            ]),
            6,
        ),
    ];
    for (index, (name, params)) in small.four("2012-12-31").iter().enumerate() {
        let parent = small.read(&format!("/v1/plans/{PARENT}"), params);
        assert_status_shape(&parent);
        assert_eq!(parent, expected_parent[index], "parent, {name}");
        let child = small.read(&format!("/v1/plans/{CHILD}"), params);
        assert_status_shape(&child);
        assert_eq!(child, expected_child[index], "child, {name}");
        // The list holds the same statuses, in registration order.
        let list = small.read("/v1/plans", params);
        assert_keys(&list, &["plans"], "the plan list");
        assert_eq!(
            list["plans"],
            json!([expected_parent[index], expected_child[index]]),
            "list, {name}"
        );
    }

    // Before it was submitted, the parent was a draft with no approval.
    let draft = small.read(
        &format!("/v1/plans/{PARENT}"),
        &[("as_of", "2011-12-19".to_owned())],
    );
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["status_since"], "2011-12-07");
    assert_eq!(draft["approval"], Value::Null);
    assert_eq!(draft["history"].as_array().unwrap().len(), 1);
    let submitted = small.read(
        &format!("/v1/plans/{PARENT}"),
        &[("as_of", "2011-12-31".to_owned())],
    );
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["status_since"], "2011-12-20");
    assert_eq!(submitted["approval"], Value::Null);
}

#[test]
fn a_plan_not_registered_at_that_time_is_404_and_absent_from_the_list() {
    let small = small_record();
    let server = &small.server;
    // as_of before the child's registration (2012-02-01).
    let as_of = [("as_of", "2012-01-31")];
    let (status, problem) = server.get(&with_query(&format!("/v1/plans/{CHILD}"), &as_of));
    assert_eq!(status, 404, "{problem}");
    let plans = read(server, "/v1/plans", &as_of);
    assert_eq!(plans["plans"].as_array().unwrap().len(), 1, "{plans}");
    assert_eq!(plans["plans"][0]["plan"], PARENT);
    // known_at before the child's registration was recorded.
    let known_at = [("known_at", small.t0.as_str())];
    let (status, problem) = server.get(&with_query(&format!("/v1/plans/{CHILD}"), &known_at));
    assert_eq!(status, 404, "{problem}");
    let plans = read(server, "/v1/plans", &known_at);
    assert_eq!(plans["plans"].as_array().unwrap().len(), 1, "{plans}");
    assert_eq!(plans["plans"][0]["version"], 3, "{plans}");
    // Before anything at all: no plans, and the parent is 404 too.
    let before = [("as_of", "2011-12-06")];
    assert_eq!(read(server, "/v1/plans", &before), json!({"plans": []}));
    assert_eq!(
        server
            .get(&with_query(&format!("/v1/plans/{PARENT}"), &before))
            .0,
        404
    );
    // The day of registration counts.
    let on_the_day = [("as_of", "2012-02-01")];
    assert_eq!(
        server
            .get(&with_query(&format!("/v1/plans/{CHILD}"), &on_the_day))
            .0,
        200
    );
    // A plan never registered, with or without parameters; a path segment that is no plan key.
    for path in [
        "/v1/plans/khong-co",
        "/v1/plans/khong-co?as_of=2015-01-01",
        "/v1/plans/Bad%20Key",
    ] {
        let (status, problem) = server.get(path);
        assert_eq!(status, 404, "{path}: {problem}");
    }
}

#[test]
fn funding_answers_as_of_known_at_both_and_neither() {
    let small = small_record();
    let m = 1_000_000;
    let answer = |rows: Vec<(i64, &str, Value)>, totals: Value, words: &str| {
        json!({
            "currency": "VND",
            "by_year": rows.iter().map(|(y, s, f)| year_row(*y, s, f.clone())).collect::<Vec<_>>(),
            "by_source": rows.iter().map(|(_, s, f)| source_row(s, f.clone())).collect::<Vec<_>>(),
            "totals": totals,
            "budget_in_words": words,
        })
    };
    let words = "Ba trăm chín mươi triệu đồng";
    let expected = [
        answer(
            vec![
                (2012, "central", figures(100 * m, 90 * m, 90 * m, 90 * m)),
                (2013, "local", figures(200 * m, 300 * m, 250 * m, 300 * m)),
                (2014, "other", figures(0, 0, 5 * m, 0)),
            ],
            figures(300 * m, 390 * m, 345 * m, 390 * m),
            words,
        ),
        // as_of 2012-12-31: the 2013 planning and the 2013 and 2014 disbursements are later.
        answer(
            vec![
                (2012, "central", figures(100 * m, 90 * m, 90 * m, 90 * m)),
                (2013, "local", figures(0, 300 * m, 0, 300 * m)),
            ],
            figures(100 * m, 390 * m, 90 * m, 390 * m),
            words,
        ),
        // known_at t1: nothing disbursed yet.
        answer(
            vec![
                (2012, "central", figures(100 * m, 90 * m, 0, 90 * m)),
                (2013, "local", figures(200 * m, 300 * m, 0, 300 * m)),
            ],
            figures(300 * m, 390 * m, 0, 390 * m),
            words,
        ),
        answer(
            vec![
                (2012, "central", figures(100 * m, 90 * m, 0, 90 * m)),
                (2013, "local", figures(0, 300 * m, 0, 300 * m)),
            ],
            figures(100 * m, 390 * m, 0, 390 * m),
            words,
        ),
    ];
    for (index, (name, params)) in small.four("2012-12-31").iter().enumerate() {
        let funding = small.read("/v1/funding", params);
        assert_funding_shape(&funding);
        assert_eq!(funding, expected[index], "{name}");
    }
    // Before any funding: empty lists, zero totals, "Không đồng".
    let nothing = small.read("/v1/funding", &[("as_of", "2011-12-31".to_owned())]);
    assert_funding_shape(&nothing);
    assert_eq!(nothing["by_year"], json!([]));
    assert_eq!(nothing["by_source"], json!([]));
    assert_eq!(nothing["totals"], figures(0, 0, 0, 0));
}

#[test]
fn the_yearly_summary_answers_as_of_known_at_both_and_neither() {
    let small = small_record();
    let m = 1_000_000;
    let year_2012 = |funding: (i64, Value), units: Value| {
        empty_year(
            funding.0,
            json!({
                "decisions": [{"number": "12/QĐ-BCT", "issuer": "Bộ Công Thương",
                               "title": "Hướng dẫn SXSH", "issued_on": "2012-03-05"}],
                "plans_approved": [PARENT],
                "training": {"events": 1, "sessions": 2, "participants": 150,
                             "by_topic": {"cleaner_production": {"sessions": 2, "participants": 150}}},
                "units_established": units,
                "funding": funding.1,
            }),
        )
    };
    let expected = [
        json!({"years": [
            year_2012(funding_in(2012, 100 * m, 90 * m, 90 * m), json!(["Tổ SXSH"])),
            empty_year(2013, json!({
                "plans_approved": [CHILD],
                "training": {"events": 2, "sessions": 4, "participants": 260, "by_topic": {
                    "cleaner_production": {"sessions": 1, "participants": 0},
                    "energy_efficiency": {"sessions": 3, "participants": 260}}},
                "outreach": {"radio": 3, "banner": 220},
                "staff_assigned": 2,
                "funding": funding_in(2013, 200 * m, 300 * m, 250 * m).1,
            })),
            empty_year(2014, json!({
                "assessments": {"enterprises": 4},
                "funding": funding_in(2014, 0, 0, 5 * m).1,
            })),
        ]}),
        // as_of 2012-12-31: 2013 appears only for the funding of fiscal year 2013 allocated in
        // December 2012; the unit dated 2012 but recorded in phase 2 counts.
        json!({"years": [
            year_2012(funding_in(2012, 100 * m, 90 * m, 90 * m), json!(["Tổ SXSH"])),
            empty_year(2013, json!({"funding": funding_in(2013, 0, 300 * m, 0).1})),
        ]}),
        // known_at t1.
        json!({"years": [
            year_2012(funding_in(2012, 100 * m, 90 * m, 0), json!([])),
            empty_year(2013, json!({
                "outreach": {"radio": 3},
                "funding": funding_in(2013, 200 * m, 300 * m, 0).1,
            })),
        ]}),
        json!({"years": [
            year_2012(funding_in(2012, 100 * m, 90 * m, 0), json!([])),
            empty_year(2013, json!({"funding": funding_in(2013, 0, 300 * m, 0).1})),
        ]}),
    ];
    for (index, (name, params)) in small.four("2012-12-31").iter().enumerate() {
        let yearly = small.read("/v1/summaries/yearly", params);
        assert_yearly_shape(&yearly);
        assert_eq!(yearly, expected[index], "{name}");
    }
    // Registration and submission alone make no year appear.
    let early = small.read(
        "/v1/summaries/yearly",
        &[("as_of", "2011-12-31".to_owned())],
    );
    assert_eq!(early, json!({"years": []}));
}

#[test]
fn reconciliation_answers_as_of_known_at_both_and_neither() {
    let small = small_record();
    let m = 1_000_000;
    let child_target_missed = |actual| {
        core(
            "target_missed",
            "warning",
            &small.child_target,
            CHILD,
            json!(2013),
            10,
            actual,
        )
    };
    let expected = [
        (
            false,
            vec![
                core(
                    "disbursed_without_allocation",
                    "error",
                    &small.orphan_disbursement,
                    CHILD,
                    json!(2014),
                    0,
                    5 * m,
                ),
                child_target_missed(4),
                core(
                    "target_missed",
                    "warning",
                    &small.parent_target,
                    PARENT,
                    json!(2015),
                    3,
                    0,
                ),
            ],
        ),
        // as_of 2014-01-01: 2013 has ended, 2015 has not; the 2014 disbursement is later.
        (true, vec![child_target_missed(4)]),
        // known_at t1: the target is known, none of its sessions are.
        (true, vec![child_target_missed(0)]),
        (true, vec![child_target_missed(0)]),
    ];
    for (index, (name, params)) in small.four("2014-01-01").iter().enumerate() {
        let answer = small.read("/v1/reconciliation", params);
        assert_reconciliation_shape(&answer);
        assert_eq!(answer["ok"], expected[index].0, "{name}: {answer}");
        assert_eq!(cores(&answer), expected[index].1, "{name}: {answer}");
    }
    // 31 December of the target's year must be before as_of.
    for (as_of, findings) in [("2012-12-31", 0), ("2013-12-31", 0), ("2014-01-01", 1)] {
        let answer = small.read("/v1/reconciliation", &[("as_of", as_of.to_owned())]);
        assert_eq!(
            answer["findings"].as_array().unwrap().len(),
            findings,
            "as_of {as_of}: {answer}"
        );
        assert_eq!(answer["ok"], true);
    }
}

// ----- Corrections and retractions -----

#[test]
fn a_corrected_disbursement_reads_as_typed_before_the_correction_and_as_corrected_after() {
    let server = Server::start();
    let m = 1_000_000;
    append(&server, &register("dn-kh", None));
    append(
        &server,
        &money("allocated", "dn-kh", "2014-01-10", 2014, "local", 600 * m),
    );
    let mut typed = money("disbursed", "dn-kh", "2014-12-31", 2014, "local", 578 * m);
    typed["date_precision"] = json!("year");
    let wrong = append(&server, &typed);
    let before = recorded_at(&wrong);
    pause();
    let correction = append(
        &server,
        &event(
            "event.corrected",
            "dn-kh",
            "2026-11-01",
            json!({"target": id(&wrong), "reason": "587.000.000 gõ nhầm thành 578.000.000",
                   "data": {"fiscal_year": 2014, "source": "local", "amount": 587_000_000}}),
        ),
    );
    let corrected_at = recorded_at(&correction);
    assert!(corrected_at > before, "{corrected_at} after {before}");
    pause();
    // Something later, so that known_at = corrected_at is a real cut of the log, not "now".
    append(
        &server,
        &money("planned", "dn-kh", "2015-01-05", 2015, "central", m),
    );

    let disbursed = |params: &[(&str, &str)]| {
        read(&server, "/v1/funding", params)["totals"]["disbursed"].clone()
    };
    let year_2014 = |params: &[(&str, &str)]| {
        let yearly = read(&server, "/v1/summaries/yearly", params);
        yearly["years"]
            .as_array()
            .unwrap()
            .iter()
            .find(|y| y["year"] == 2014)
            .map(|y| y["funding"]["disbursed"].clone())
            .unwrap_or(Value::Null)
    };
    for as_of in [None, Some("2014-12-31"), Some("2015-06-30")] {
        let old = axes(as_of, Some(&before));
        assert_eq!(disbursed(&old), 578 * m, "as_of {as_of:?}, before");
        assert_eq!(year_2014(&old), 578 * m, "as_of {as_of:?}, before");
        for params in [axes(as_of, Some(&corrected_at)), axes(as_of, None)] {
            assert_eq!(disbursed(&params), 587 * m, "{params:?}");
            assert_eq!(year_2014(&params), 587 * m, "{params:?}");
        }
    }
    // Before the act's own date, neither figure counts.
    for known_at in [&before, &corrected_at] {
        let params = [("as_of", "2014-12-30"), ("known_at", known_at.as_str())];
        assert_eq!(disbursed(&params), 0, "{params:?}");
    }
    // The correction is not an act: no year 2026 appears, and no new funding row.
    let yearly = read(&server, "/v1/summaries/yearly", &[]);
    let years: Vec<&Value> = yearly["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| &y["year"])
        .collect();
    assert_eq!(years, [2014, 2015], "{yearly}");
    let funding = read(&server, "/v1/funding", &[]);
    assert_eq!(
        funding["by_year"][0],
        year_row(2014, "local", figures(0, 600 * m, 587 * m, 600 * m))
    );
    // It does count in the plan's version.
    let status = read(&server, "/v1/plans/dn-kh", &[]);
    assert_eq!(status["version"], 5);
    let status = read(&server, "/v1/plans/dn-kh", &[("known_at", &before)]);
    assert_eq!(status["version"], 3);

    // A second correction: the latest recorded wins, each from its own recorded_at.
    pause();
    let second = append(
        &server,
        &event(
            "event.corrected",
            "dn-kh",
            "2026-11-02",
            json!({"target": id(&wrong), "reason": "thêm phí",
                   "data": {"fiscal_year": 2014, "source": "local", "amount": 588_000_000}}),
        ),
    );
    assert_eq!(disbursed(&[("known_at", &before)]), 578 * m);
    assert_eq!(disbursed(&[("known_at", &corrected_at)]), 587 * m);
    assert_eq!(disbursed(&[("known_at", &recorded_at(&second))]), 588 * m);
    assert_eq!(disbursed(&[]), 588 * m);
}

#[test]
fn a_correction_that_moves_the_date_moves_the_act_for_as_of_and_for_its_year() {
    let server = Server::start();
    append(&server, &register("dn-kh", None));
    let training = append(
        &server,
        &event(
            "training.held",
            "dn-kh",
            "2013-11-20",
            json!({"topic": "cleaner_production", "sessions": 2, "participants": 40}),
        ),
    );
    let before = recorded_at(&training);
    pause();
    let correction = append(
        &server,
        &event(
            "event.corrected",
            "dn-kh",
            "2026-11-01",
            json!({"target": id(&training), "reason": "tổ chức tháng 2/2014",
                   "occurred_on": "2014-02-10"}),
        ),
    );
    let after = recorded_at(&correction);
    pause();
    // A decision re-dated into the next year, and retitled, by one correction.
    let decision = append(
        &server,
        &event(
            "decision.issued",
            "dn-kh",
            "2013-12-20",
            json!({"number": "77/QĐ-UBND", "issuer": "UBND tỉnh", "title": "Dự thảo"}),
        ),
    );
    let decision_before = recorded_at(&decision);
    pause();
    append(
        &server,
        &event(
            "event.corrected",
            "dn-kh",
            "2026-11-01",
            json!({"target": id(&decision), "reason": "ký ngày 05/01/2014",
                   "occurred_on": "2014-01-05",
                   "data": {"number": "77/QĐ-UBND", "issuer": "UBND tỉnh", "title": "Kế hoạch"}}),
        ),
    );
    pause();
    append(
        &server,
        &event(
            "outreach.delivered",
            "dn-kh",
            "2015-03-01",
            json!({"channel": "tv", "items": 1}),
        ),
    );

    let training_years = |params: &[(&str, &str)]| -> Vec<(i64, i64)> {
        read(&server, "/v1/summaries/yearly", params)["years"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|y| y["training"]["events"] != 0)
            .map(|y| {
                (
                    y["year"].as_i64().unwrap(),
                    y["training"]["sessions"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let sessions_rows = |params: &[(&str, &str)]| -> Vec<Value> {
        read(&server, "/v1/plans/dn-kh", params)["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["indicator"] == "training.sessions")
            .cloned()
            .collect()
    };
    // Known before the correction: it happened in 2013.
    for as_of in ["2013-12-31", "2014-12-31"] {
        let params = [("as_of", as_of), ("known_at", before.as_str())];
        assert_eq!(training_years(&params), [(2013, 2)], "{params:?}");
        assert_eq!(
            sessions_rows(&params),
            [row("training.sessions", 2013, None, 2)]
        );
    }
    // Known after it (or now): it happened on 2014-02-10.
    for known_at in [Some(after.as_str()), None] {
        let with = |as_of: &'static str| {
            let mut params = vec![("as_of", as_of)];
            if let Some(known_at) = known_at {
                params.push(("known_at", known_at));
            }
            params
        };
        assert!(
            training_years(&with("2013-12-31")).is_empty(),
            "{known_at:?}"
        );
        assert!(
            sessions_rows(&with("2013-12-31")).is_empty(),
            "{known_at:?}"
        );
        assert!(
            training_years(&with("2014-02-09")).is_empty(),
            "{known_at:?}"
        );
        assert_eq!(
            training_years(&with("2014-02-10")),
            [(2014, 2)],
            "{known_at:?}"
        );
        assert_eq!(
            sessions_rows(&with("2014-12-31")),
            [row("training.sessions", 2014, None, 2)]
        );
    }
    assert_eq!(training_years(&[]), [(2014, 2)]);
    let decisions = |params: &[(&str, &str)]| -> Vec<(i64, Value)> {
        read(&server, "/v1/summaries/yearly", params)["years"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|y| {
                y["decisions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| (y["year"].as_i64().unwrap(), d.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let decision = |year: i64, title: &str, issued_on: &str| {
        (
            year,
            json!({"number": "77/QĐ-UBND", "issuer": "UBND tỉnh", "title": title,
                   "issued_on": issued_on}),
        )
    };
    assert_eq!(
        decisions(&[("known_at", &decision_before)]),
        [decision(2013, "Dự thảo", "2013-12-20")]
    );
    assert_eq!(
        decisions(&[("known_at", &decision_before), ("as_of", "2013-12-31")]),
        [decision(2013, "Dự thảo", "2013-12-20")]
    );
    assert_eq!(decisions(&[]), [decision(2014, "Kế hoạch", "2014-01-05")]);
    assert!(decisions(&[("as_of", "2014-01-04")]).is_empty());
    // Year 2013 has nothing left in it and is gone from the summary.
    let years: Vec<i64> = read(&server, "/v1/summaries/yearly", &[])["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2014, 2015]);
}

#[test]
fn a_retracted_act_counts_before_the_retraction_is_recorded_and_not_after() {
    let server = Server::start();
    let m = 1_000_000;
    append(&server, &register("dn-kh", None));
    append(
        &server,
        &money("allocated", "dn-kh", "2013-02-01", 2013, "local", 100 * m),
    );
    append(
        &server,
        &money("disbursed", "dn-kh", "2013-05-01", 2013, "local", 80 * m),
    );
    let double = append(
        &server,
        &money("disbursed", "dn-kh", "2013-06-01", 2013, "local", 80 * m),
    );
    let outreach = append(
        &server,
        &event(
            "outreach.delivered",
            "dn-kh",
            "2014-05-01",
            json!({"channel": "radio", "items": 5}),
        ),
    );
    let before = recorded_at(&outreach);
    pause();
    let retract = |target: &Value, occurred_on: &str| {
        append(
            &server,
            &event(
                "event.retracted",
                "dn-kh",
                occurred_on,
                json!({"target": id(target), "reason": "ghi trùng"}),
            ),
        )
    };
    retract(&double, "2026-11-01");
    let after = recorded_at(&retract(&outreach, "2026-11-01"));
    pause();
    append(
        &server,
        &money("planned", "dn-kh", "2015-01-05", 2015, "central", m),
    );

    for as_of in [None, Some("2014-12-31")] {
        // Before: both disbursements count (an overspend) and the outreach makes 2014 a year.
        let old = axes(as_of, Some(&before));
        let funding = read(&server, "/v1/funding", &old);
        assert_eq!(funding["totals"]["disbursed"], 160 * m, "{as_of:?}");
        let reconciliation = read(&server, "/v1/reconciliation", &old);
        assert_reconciliation_shape(&reconciliation);
        assert_eq!(
            cores(&reconciliation),
            [core(
                "overspend",
                "error",
                &id(&double),
                "dn-kh",
                json!(2013),
                100 * m,
                160 * m
            )],
            "{as_of:?}"
        );
        assert_eq!(reconciliation["ok"], false);
        let yearly = read(&server, "/v1/summaries/yearly", &old);
        let year_2014 = yearly["years"]
            .as_array()
            .unwrap()
            .iter()
            .find(|y| y["year"] == 2014)
            .cloned();
        assert_eq!(
            year_2014,
            Some(empty_year(2014, json!({"outreach": {"radio": 5}})))
        );
        let status = read(&server, "/v1/plans/dn-kh", &old);
        assert_eq!(
            status["indicators"],
            json!([row("outreach.radio", 2014, None, 5)])
        );
        // After (or now): neither counts, and 2014 has nothing in it.
        for params in [axes(as_of, Some(&after)), axes(as_of, None)] {
            let funding = read(&server, "/v1/funding", &params);
            assert_eq!(funding["totals"]["disbursed"], 80 * m, "{params:?}");
            assert_eq!(funding["totals"]["unspent"], 20 * m, "{params:?}");
            let reconciliation = read(&server, "/v1/reconciliation", &params);
            assert_eq!(
                reconciliation,
                json!({"ok": true, "findings": []}),
                "{params:?}"
            );
            let yearly = read(&server, "/v1/summaries/yearly", &params);
            assert!(
                yearly["years"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|y| y["year"] != 2014),
                "{params:?}: {yearly}"
            );
            let status = read(&server, "/v1/plans/dn-kh", &params);
            assert_eq!(status["indicators"], json!([]), "{params:?}");
        }
    }
}

#[test]
fn a_later_target_replaces_an_earlier_one_on_each_time_axis() {
    let server = Server::start();
    append(&server, &register("p", None));
    let target = |occurred_on: &str, quantity: i64| {
        event(
            "target.set",
            "p",
            occurred_on,
            json!({"indicator": "assessment.enterprises", "year": 2014, "quantity": quantity}),
        )
    };
    let first = append(&server, &target("2013-01-10", 5));
    pause();
    let second = append(&server, &target("2013-06-10", 8));
    let second_known = recorded_at(&second);
    pause();
    append(
        &server,
        &event(
            "event.corrected",
            "p",
            "2026-11-01",
            json!({"target": id(&second), "reason": "điều chỉnh",
                   "data": {"indicator": "assessment.enterprises", "year": 2014, "quantity": 9}}),
        ),
    );
    pause();
    append(
        &server,
        &event(
            "assessment.completed",
            "p",
            "2014-03-01",
            json!({"kind": "detailed", "enterprises": 6}),
        ),
    );
    let in_force = |params: &[(&str, &str)]| {
        let status = read(&server, "/v1/plans/p", params);
        assert_status_shape(&status);
        status["indicators"].clone()
    };
    let rows = |target: i64, actual: i64| {
        json!([row("assessment.enterprises", 2014, Some(target), actual)])
    };
    assert_eq!(in_force(&[]), rows(9, 6));
    assert_eq!(in_force(&[("as_of", "2013-03-01")]), rows(5, 0));
    assert_eq!(in_force(&[("known_at", &recorded_at(&first))]), rows(5, 0));
    assert_eq!(in_force(&[("known_at", &second_known)]), rows(8, 0));
    assert_eq!(
        in_force(&[("known_at", &second_known), ("as_of", "2013-03-01")]),
        rows(5, 0)
    );
    // The target in force is the one a missed target names.
    let findings = read(&server, "/v1/reconciliation", &[]);
    assert_eq!(
        cores(&findings),
        [core(
            "target_missed",
            "warning",
            &id(&second),
            "p",
            json!(2014),
            9,
            6
        )]
    );
    let findings = read(
        &server,
        "/v1/reconciliation",
        &[("known_at", &second_known)],
    );
    assert_eq!(
        cores(&findings),
        [core(
            "target_missed",
            "warning",
            &id(&second),
            "p",
            json!(2014),
            8,
            0
        )]
    );
}

// ----- plan= -----

#[test]
fn plan_restricts_funding_yearly_and_reconciliation_to_its_subtree() {
    let server = Server::start();
    let m = 1_000_000;
    // r ─┬─ a ── a1
    //    └─ b
    append(&server, &register("r", None));
    append(&server, &register("a", Some("r")));
    append(&server, &register("a1", Some("a")));
    append(&server, &register("b", Some("r")));
    // One disbursement without allocation per plan, distinct amounts and years, and in 2014
    // three sources recorded out of order.
    let mut orphan = std::collections::HashMap::new();
    for (plan, year, amount) in [
        ("r", 2011, m),
        ("a", 2012, 2 * m),
        ("a1", 2013, 4 * m),
        ("b", 2014, 8 * m),
    ] {
        let stored = append(
            &server,
            &money(
                "disbursed",
                plan,
                &format!("{year}-06-01"),
                year,
                "local",
                amount,
            ),
        );
        orphan.insert(plan, id(&stored));
    }
    for source in ["other", "central", "local"] {
        append(
            &server,
            &money("planned", "a1", "2014-01-01", 2014, source, 10 * m),
        );
    }
    for plan in ["r", "a", "a1", "b"] {
        append(
            &server,
            &event(
                "training.held",
                plan,
                "2015-03-01",
                json!({"topic": format!("topic_{}", plan.replace('1', "a")), "sessions": 1}),
            ),
        );
    }
    // A total over a's subtree: 2 + 4 = 6 million disbursed, claimed as 6.
    append(
        &server,
        &event(
            "total.reported",
            "a",
            "2015-12-31",
            json!({"metric": "funding.disbursed", "amount": 6 * m}),
        ),
    );

    let disbursed = |plan: &str| read(&server, "/v1/funding", &[("plan", plan)]);
    assert_eq!(disbursed("r")["totals"]["disbursed"], 15 * m);
    assert_eq!(disbursed("a")["totals"]["disbursed"], 6 * m);
    assert_eq!(disbursed("a1")["totals"]["disbursed"], 4 * m);
    assert_eq!(disbursed("b")["totals"]["disbursed"], 8 * m);
    assert_eq!(read(&server, "/v1/funding", &[]), disbursed("r"));
    let a1 = disbursed("a1");
    assert_funding_shape(&a1);
    assert_eq!(
        a1["by_year"],
        json!([
            year_row(2013, "local", figures(0, 0, 4 * m, 0)),
            year_row(2014, "central", figures(10 * m, 0, 0, 10 * m)),
            year_row(2014, "local", figures(10 * m, 0, 0, 10 * m)),
            year_row(2014, "other", figures(10 * m, 0, 0, 10 * m)),
        ])
    );
    assert_eq!(
        a1["by_source"],
        json!([
            source_row("central", figures(10 * m, 0, 0, 10 * m)),
            source_row("local", figures(10 * m, 0, 4 * m, 10 * m)),
            source_row("other", figures(10 * m, 0, 0, 10 * m)),
        ])
    );
    assert_eq!(a1["totals"], figures(30 * m, 0, 4 * m, 30 * m));
    assert_eq!(a1["budget_in_words"], "Ba mươi triệu đồng");

    let years = |plan: &str| -> Vec<i64> {
        read(&server, "/v1/summaries/yearly", &[("plan", plan)])["years"]
            .as_array()
            .unwrap()
            .iter()
            .map(|y| y["year"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(years("r"), [2011, 2012, 2013, 2014, 2015]);
    assert_eq!(years("a"), [2012, 2013, 2014, 2015]);
    assert_eq!(years("a1"), [2013, 2014, 2015]);
    assert_eq!(years("b"), [2014, 2015]);
    let topics = |plan: &str| -> Vec<String> {
        let yearly = read(&server, "/v1/summaries/yearly", &[("plan", plan)]);
        let year_2015 = yearly["years"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(year_2015["year"], 2015);
        year_2015["training"]["by_topic"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(topics("r"), ["topic_a", "topic_aa", "topic_b", "topic_r"]);
    assert_eq!(topics("a"), ["topic_a", "topic_aa"]);
    assert_eq!(topics("b"), ["topic_b"]);

    let findings = |plan: &str| -> Vec<(String, String)> {
        let answer = read(&server, "/v1/reconciliation", &[("plan", plan)]);
        assert_reconciliation_shape(&answer);
        assert_eq!(answer["ok"], false);
        answer["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["kind"], "disbursed_without_allocation", "{f}");
                (
                    f["plan"].as_str().unwrap().to_owned(),
                    f["event"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair = |plan: &str| (plan.to_owned(), orphan[plan].clone());
    // Ordered by plan key; the total over a's subtree agrees, so it makes no finding.
    assert_eq!(findings("r"), [pair("a"), pair("a1"), pair("b"), pair("r")]);
    assert_eq!(findings("a"), [pair("a"), pair("a1")]);
    assert_eq!(findings("a1"), [pair("a1")]);
    assert_eq!(findings("b"), [pair("b")]);

    // plan= combines with the time axes.
    let early = read(
        &server,
        "/v1/funding",
        &[("plan", "a"), ("as_of", "2012-12-31")],
    );
    assert_eq!(early["totals"]["disbursed"], 2 * m);

    // An unknown plan is 404 on every endpoint that takes plan=.
    for path in ["/v1/funding", "/v1/summaries/yearly", "/v1/reconciliation"] {
        let url = with_query(path, &[("plan", "khong-co")]);
        let (status, problem) = server.get(&url);
        assert_eq!(status, 404, "{url}: {problem}");
        let url = with_query(path, &[("plan", "khong-co"), ("as_of", "2014-01-01")]);
        assert_eq!(server.get(&url).0, 404, "{url}");
    }
}

// ----- Bad parameters -----

#[test]
fn bad_query_parameters_are_422_naming_the_parameter() {
    let server = Server::start();
    append(&server, &register("p", None));
    let endpoints = [
        "/v1/plans",
        "/v1/plans/p",
        "/v1/funding",
        "/v1/summaries/yearly",
        "/v1/reconciliation",
    ];
    let cases: &[(&str, &str, &str)] = &[
        ("as_of", "07/12/2011", "as_of"),
        ("as_of", "2014-02-30", "as_of"),
        ("as_of", "2014-13-01", "as_of"),
        ("as_of", "2014-1-01", "as_of"),
        ("as_of", "1899-12-31", "as_of"),
        ("as_of", "2201-01-01", "as_of"),
        ("as_of", "", "as_of"),
        ("known_at", "yesterday", "known_at"),
        ("known_at", "2026-13-01T00:00:00Z", "known_at"),
        ("known_at", "", "known_at"),
        ("asof", "2014-01-01", "asof"),
        ("knownAt", "2014-01-01T00:00:00Z", "knownAt"),
    ];
    for path in endpoints {
        for (name, value, field) in cases {
            let url = with_query(path, &[(name, value)]);
            let (status, problem) = server.get(&url);
            assert_eq!(status, 422, "{url}: {problem}");
            assert_eq!(fields(&problem), [*field], "{url}: {problem}");
        }
        // A parameter given twice.
        let url = format!("{path}?as_of=2014-01-01&as_of=2015-01-01");
        let (status, problem) = server.get(&url);
        assert_eq!(status, 422, "{url}: {problem}");
        assert_eq!(fields(&problem), ["as_of"], "{url}");
    }
    // The Vietnamese way of writing a date gets a hint of the ISO one.
    let (_, problem) = server.get("/v1/funding?as_of=07%2F12%2F2011");
    assert!(
        problem.to_string().contains("2011-12-07"),
        "a hint to write 2011-12-07: {problem}"
    );
    // A plan key that breaks the key rule is a bad parameter, not an unknown plan.
    for path in ["/v1/funding", "/v1/summaries/yearly", "/v1/reconciliation"] {
        for bad in ["Bad Key", "-p", "p_q", ""] {
            let url = with_query(path, &[("plan", bad)]);
            let (status, problem) = server.get(&url);
            assert_eq!(status, 422, "{url}: {problem}");
            assert_eq!(fields(&problem), ["plan"], "{url}: {problem}");
        }
    }
    // The contract lists only as_of and known_at for the plan paths: plan= is refused there,
    // even with a valid, registered key.
    for path in ["/v1/plans", "/v1/plans/p"] {
        let url = with_query(path, &[("plan", "p")]);
        let (status, problem) = server.get(&url);
        assert_eq!(status, 422, "{url}: {problem}");
        assert_eq!(fields(&problem), ["plan"], "{url}: {problem}");
    }
    // Good parameters of every accepted spelling still work: a bare date as known_at (the end
    // of that day), an instant with an offset, and an instant with more than milliseconds.
    for known_at in [
        "2026-01-01",
        "2026-01-01T07:00:00+07:00",
        "2026-01-01T00:00:00.123456Z",
    ] {
        read(&server, "/v1/funding", &[("known_at", known_at)]);
    }
    // The ends of the contract's range of years are good dates.
    // (p was registered in 2011, so as of 1900 it is 404, not 422.)
    for path in endpoints {
        read(&server, path, &[("as_of", "2200-12-31")]);
        let (status, problem) = server.get(&format!("{path}?as_of=1900-01-01"));
        let expected = if path == "/v1/plans/p" { 404 } else { 200 };
        assert_eq!(status, expected, "{path}: {problem}");
    }
    // Every role may read every projection.
    for role in ["auditor", "recorder"] {
        let name = format!("doc-{role}");
        let (status, created) = server.post("/v1/tokens", &json!({"name": name, "role": role}));
        assert_eq!(status, 201, "{created}");
        let token = created["token"].as_str().unwrap();
        for path in endpoints {
            let (status, body) = server.call("GET", path, Some(token), None);
            assert_eq!(status, 200, "{role} {path}: {body}");
        }
    }
    // Without a token, the parameters are not even looked at.
    let (status, _) = server.call("GET", "/v1/funding?as_of=bad", None, None);
    assert_eq!(status, 401);
}

// ----- Read-your-writes -----

#[test]
fn an_answer_right_after_a_201_includes_the_event() {
    let server = Server::start();
    let m = 1_000_000;
    append(&server, &register("p", None));
    append(&server, &register("c", Some("p")));
    let mut total = 0;
    for round in 1..=20i64 {
        let plan = if round % 2 == 0 { "p" } else { "c" };
        let stored = append(
            &server,
            &money("allocated", plan, "2013-03-01", 2013, "central", round * m),
        );
        total += round * m;
        // Now, and as known at the 201's own recorded_at (an event recorded at known_at
        // counts).
        let funding = read(&server, "/v1/funding", &[]);
        assert_eq!(funding["totals"]["allocated"], total, "round {round}");
        let at = recorded_at(&stored);
        let funding = read(&server, "/v1/funding", &[("known_at", &at)]);
        assert_eq!(funding["totals"]["allocated"], total, "round {round}");
        let yearly = read(&server, "/v1/summaries/yearly", &[("plan", "p")]);
        assert_eq!(yearly["years"][0]["funding"]["allocated"], total);
        let status = read(&server, &format!("/v1/plans/{plan}"), &[]);
        assert_eq!(status["version"], 1 + (round + 1) / 2, "round {round}");
    }
    let approved = append(
        &server,
        &event(
            "plan.approved",
            "c",
            "2013-04-01",
            json!({"decision": "1/QĐ"}),
        ),
    );
    let status = read(&server, "/v1/plans/c", &[]);
    assert_eq!(status["status"], "approved");
    assert_eq!(status["history"][1]["event"], id(&approved));
    let plans = read(&server, "/v1/plans", &[]);
    assert_eq!(plans["plans"][1]["status"], "approved");
    // A batch is visible as a whole right after its 201.
    let (status, batch) = server.post(
        "/v1/events/batch",
        &json!({"events": [
            register("n", Some("c")),
            money("disbursed", "n", "2014-01-01", 2014, "other", 7 * m),
        ]}),
    );
    assert_eq!(status, 201, "{batch}");
    let reconciliation = read(&server, "/v1/reconciliation", &[]);
    assert_eq!(reconciliation["ok"], false);
    assert_eq!(
        reconciliation["findings"][0]["event"],
        batch["events"][1]["id"]
    );
    assert_eq!(read(&server, "/v1/plans/n", &[])["version"], 2);
}

// ----- Reconciliation -----

#[test]
fn reconciliation_finds_mismatched_totals_overspending_orphan_disbursements_and_missed_targets() {
    let server = Server::start();
    let m = 1_000_000;
    append(&server, &register("rc", None));
    append(&server, &register("rc-a", Some("rc")));
    append(
        &server,
        &money("allocated", "rc", "2014-01-05", 2014, "central", 1_000 * m),
    );
    let claim = append(
        &server,
        &event(
            "total.reported",
            "rc",
            "2015-12-31",
            json!({"metric": "funding.allocated", "amount": 1_276_000_000,
                   "amount_in_words": "Một tỷ hai trăm bảy mươi sáu triệu đồng",
                   "from_year": 2011, "to_year": 2015,
                   "document": "Báo cáo tổng kết"}),
        ),
    );
    let claim_known = recorded_at(&claim);
    pause();
    append(
        &server,
        &money(
            "allocated",
            "rc-a",
            "2014-01-10",
            2014,
            "local",
            198_085_000,
        ),
    );
    append(
        &server,
        &money("disbursed", "rc-a", "2014-06-01", 2014, "local", 150 * m),
    );
    let last_disbursement = append(
        &server,
        &money("disbursed", "rc-a", "2014-09-01", 2014, "local", 50 * m),
    );
    let orphan = append(
        &server,
        &money("disbursed", "rc", "2013-06-01", 2013, "other", 10 * m),
    );
    // The disbursed total agrees (150 + 50 + 10), but its words read 212 million.
    let words_claim = append(
        &server,
        &event(
            "total.reported",
            "rc",
            "2015-12-31",
            json!({"metric": "funding.disbursed", "amount": 210 * m,
                   "amount_in_words": "Hai trăm mười hai triệu đồng"}),
        ),
    );
    // A target missed in 2012, one met in 2013, and one for 2014 with nothing done.
    let missed = append(
        &server,
        &event(
            "target.set",
            "rc",
            "2012-01-01",
            json!({"indicator": "training.sessions", "year": 2012, "quantity": 5}),
        ),
    );
    append(
        &server,
        &event(
            "training.held",
            "rc",
            "2012-04-01",
            json!({"topic": "cleaner_production", "sessions": 2}),
        ),
    );
    append(
        &server,
        &event(
            "target.set",
            "rc",
            "2013-01-01",
            json!({"indicator": "training.sessions", "year": 2013, "quantity": 1}),
        ),
    );
    append(
        &server,
        &event(
            "training.held",
            "rc",
            "2013-04-01",
            json!({"topic": "cleaner_production", "sessions": 1}),
        ),
    );
    let later = append(
        &server,
        &event(
            "target.set",
            "rc",
            "2014-01-01",
            json!({"indicator": "assessment.enterprises", "year": 2014, "quantity": 10}),
        ),
    );

    let answer = read(&server, "/v1/reconciliation", &[]);
    assert_reconciliation_shape(&answer);
    assert_eq!(answer["ok"], false);
    assert_eq!(
        cores(&answer),
        [
            core(
                "total_mismatch",
                "error",
                &id(&claim),
                "rc",
                Value::Null,
                1_276_000_000,
                1_198_085_000
            ),
            core(
                "words_mismatch",
                "error",
                &id(&words_claim),
                "rc",
                Value::Null,
                210 * m,
                212 * m
            ),
            core(
                "overspend",
                "error",
                &id(&last_disbursement),
                "rc-a",
                json!(2014),
                198_085_000,
                200 * m
            ),
            core(
                "disbursed_without_allocation",
                "error",
                &id(&orphan),
                "rc",
                json!(2013),
                0,
                10 * m
            ),
            core(
                "target_missed",
                "warning",
                &id(&missed),
                "rc",
                json!(2012),
                5,
                2
            ),
            core(
                "target_missed",
                "warning",
                &id(&later),
                "rc",
                json!(2014),
                10,
                0
            ),
        ],
        "{answer}"
    );
    assert_eq!(answer["findings"][0]["difference"], -77_915_000);
    for finding in answer["findings"].as_array().unwrap() {
        assert!(
            !finding["message"].as_str().unwrap().is_empty(),
            "{finding}"
        );
    }

    // Known when only the first allocation was recorded: the claim computes 1.000.000.000.
    let early = read(&server, "/v1/reconciliation", &[("known_at", &claim_known)]);
    assert_eq!(
        cores(&early),
        [core(
            "total_mismatch",
            "error",
            &id(&claim),
            "rc",
            Value::Null,
            1_276_000_000,
            1_000 * m
        )]
    );
    assert_eq!(early["ok"], false);

    // plan=rc-a: only rc-a's overspend.
    let child = read(&server, "/v1/reconciliation", &[("plan", "rc-a")]);
    assert_eq!(
        child["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].clone())
            .collect::<Vec<_>>(),
        ["overspend"]
    );
    assert_eq!(child["ok"], false);

    // as_of 2013-01-01: only the missed 2012 target, a warning, so ok.
    let warnings = read(&server, "/v1/reconciliation", &[("as_of", "2013-01-01")]);
    assert_reconciliation_shape(&warnings);
    assert_eq!(
        cores(&warnings),
        [core(
            "target_missed",
            "warning",
            &id(&missed),
            "rc",
            json!(2012),
            5,
            2
        )]
    );
    assert_eq!(warnings["ok"], true);
    // as_of 2014-12-31: 2014 has not ended; as_of 2015-01-01: it has.
    let missed_2014 = |as_of: &str| {
        read(&server, "/v1/reconciliation", &[("as_of", as_of)])["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["event"] == id(&later))
    };
    assert!(!missed_2014("2014-12-31"));
    assert!(missed_2014("2015-01-01"));

    // Funding agrees with what reconciliation computed.
    let funding = read(&server, "/v1/funding", &[]);
    assert_eq!(funding["totals"]["allocated"], 1_198_085_000);
    assert_eq!(funding["totals"]["disbursed"], 210 * m);
    assert_eq!(
        funding["budget_in_words"],
        "Một tỷ một trăm chín mươi tám triệu không trăm tám mươi lăm nghìn đồng"
    );
}

// See: issue 19, point 2 — `587.000.000` typed into the page was sent as a string and refused.
#[test]
fn amounts_typed_the_vietnamese_way_are_read_in_figures_and_words() {
    let server = Server::start();
    for typed in [
        "587000000",
        "587.000.000",
        "587%20000%20000",
        "n%C4%83m%20tr%C4%83m%20t%C3%A1m%20m%C6%B0%C6%A1i%20b%E1%BA%A3y%20tri%E1%BB%87u%20%C4%91%E1%BB%93ng",
    ] {
        let (status, body) = server.get(&format!("/v1/amounts?text={typed}"));
        assert_eq!(status, 200, "{typed}: {body}");
        assert_eq!(
            body,
            json!({"amount": 587_000_000, "figures": "587.000.000 ₫",
                   "words": "Năm trăm tám mươi bảy triệu đồng"}),
            "{typed}"
        );
    }
    for refused in ["58.70.000", "12.5", "-3", "abc", "9007199254740992"] {
        let (status, body) = server.get(&format!("/v1/amounts?text={refused}"));
        assert_eq!(status, 422, "{refused}: {body}");
        assert_eq!(body["errors"][0]["field"], "text", "{refused}: {body}");
    }
    let (status, body) = server.get("/v1/amounts");
    assert_eq!(status, 422, "no text: {body}");
    let (status, _) = server.get(&format!("/v1/amounts?text={}", "1".repeat(401)));
    assert_eq!(status, 422, "a text longer than AMOUNT_TEXT_CHARS_MAX");
}
