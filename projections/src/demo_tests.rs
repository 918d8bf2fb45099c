//! The Đồng Nai 2009–2015 demo data set must produce the figures of `data/demo/EXPECTED.md`.

use std::collections::HashMap;

use acta_events::{DatePrecision, EventType, Instant, StoredEvent};
use serde_json::{Value, json};

use crate::testing::{
    as_of, assert_answers_keys_in_order, date, instant, known_at, now, plan_key, record_of,
    to_json, within,
};
use crate::{FindingKind, Query, Record, Severity, vnd};

const DEMO: &str = include_str!("../../data/demo/dong-nai-2009-2015.jsonl");

/// Every line as the store would keep it: `seq` = line number, one version per plan stream, all
/// recorded a second apart from 2026-11-28T20:00:00Z.
fn demo_events() -> Vec<StoredEvent> {
    let base_ms = "2026-11-28T20:00:00Z"
        .parse::<Instant>()
        .unwrap()
        .as_millisecond();
    let mut versions: HashMap<String, u64> = HashMap::new();
    DEMO.lines()
        .enumerate()
        .map(|(index, line)| {
            let request: Value = serde_json::from_str(line).expect("a JSON line");
            let plan = request["plan"].as_str().unwrap().to_owned();
            let version = versions.entry(plan.clone()).or_insert(0);
            *version += 1;
            let seq = index as u64 + 1;
            StoredEvent {
                seq,
                id: request["id"].as_str().unwrap().parse().unwrap(),
                event_type: request["type"]
                    .as_str()
                    .unwrap()
                    .parse::<EventType>()
                    .unwrap(),
                plan: plan_key(&plan),
                version: *version,
                occurred_on: date(request["occurred_on"].as_str().unwrap()),
                date_precision: request["date_precision"]
                    .as_str()
                    .map_or(DatePrecision::Day, |p| p.parse().unwrap()),
                recorded_at: Instant::from_timestamp(
                    jiff::Timestamp::from_millisecond(base_ms + 1000 * seq as i64).unwrap(),
                ),
                actor: "demo".to_owned(),
                data: request["data"].clone(),
                evidence: Some(request["evidence"].clone()),
                prev_hash: String::new(),
                hash: String::new(),
            }
        })
        .collect()
}

fn demo() -> Record {
    let events = demo_events();
    assert_eq!(events.len(), 52);
    let record = record_of(&events);
    // Every line parses: nothing was skipped.
    let versions: u64 = record.plans(&now()).iter().map(|plan| plan.version).sum();
    assert_eq!(versions, 52);
    record
}

fn line_id(line: u32) -> String {
    format!("019NFJQ400DN20092015{line:06}")
}

fn funding_row(fiscal_year: i16, source: &str, planned: u64, allocated: u64) -> Value {
    // Every allocation of the demo was spent in full (report line 83).
    json!({"fiscal_year": fiscal_year, "source": source, "planned": planned,
           "allocated": allocated, "disbursed": allocated,
           "budget": if allocated > 0 { allocated } else { planned }, "unspent": 0})
}

#[test]
fn funding_of_the_whole_record_and_at_the_reports_date() {
    let record = demo();
    for query in [
        now(),
        as_of("2015-05-17"),
        within("dn-sxsh"),
        within("vn-sxsh-2020"),
    ] {
        let funding = to_json(&record.funding(&query));
        assert_eq!(
            funding,
            json!({
                "currency": "VND",
                "by_year": [
                    funding_row(2011, "central", 0, 90_000_000),
                    funding_row(2013, "local", 0, 79_000_000),
                    funding_row(2014, "local", 0, 587_000_000),
                    funding_row(2015, "local", 520_000_000, 0),
                ],
                "by_source": [
                    {"source": "central", "planned": 0, "allocated": 90_000_000,
                     "disbursed": 90_000_000, "budget": 90_000_000, "unspent": 0},
                    {"source": "local", "planned": 520_000_000, "allocated": 666_000_000,
                     "disbursed": 666_000_000, "budget": 1_186_000_000_u64, "unspent": 0},
                ],
                "totals": {"planned": 520_000_000, "allocated": 756_000_000,
                           "disbursed": 756_000_000, "budget": 1_276_000_000_u64, "unspent": 0},
                "budget_in_words": "Một tỷ hai trăm bảy mươi sáu triệu đồng",
            }),
            "{query:?}"
        );
    }
}

#[test]
fn funding_totals_at_the_end_of_each_year() {
    let record = demo();
    for (day, allocated) in [
        ("2009-12-31", 0),
        ("2010-12-31", 0),
        ("2011-12-31", 90_000_000),
        ("2012-12-31", 90_000_000),
        ("2013-12-31", 169_000_000),
        ("2014-12-31", 756_000_000),
    ] {
        let funding = record.funding(&as_of(day));
        assert_eq!(funding.totals.planned, 0, "{day}");
        assert_eq!(funding.totals.allocated, allocated, "{day}");
        assert_eq!(funding.totals.disbursed, allocated, "{day}");
        assert_eq!(funding.totals.budget, allocated, "{day}");
        assert_eq!(funding.totals.unspent, 0, "{day}");
        assert_eq!(vnd::read_words(&funding.budget_in_words), Some(allocated));
        assert_eq!(funding.by_year.is_empty(), allocated == 0, "{day}");
    }
}

#[test]
fn reconciliation_has_exactly_the_two_errors_of_the_report() {
    let record = demo();
    for (query, warnings) in [(now(), 9), (as_of("2015-05-17"), 1)] {
        let reconciliation = record.reconciliation(&query);
        assert!(!reconciliation.ok);
        let errors: Vec<_> = reconciliation
            .findings
            .iter()
            .filter(|finding| finding.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 2, "{:#?}", reconciliation.findings);
        let words = errors
            .iter()
            .find(|finding| finding.kind == FindingKind::WordsMismatch)
            .expect("a words_mismatch");
        assert_eq!(words.event.to_string(), line_id(52));
        assert_eq!(words.plan.as_str(), "dn-sxsh");
        assert_eq!(
            (words.expected, words.actual, words.difference),
            (1_276_000_000, Some(1_198_085_000), Some(-77_915_000))
        );
        let breakdown = errors
            .iter()
            .find(|finding| finding.kind == FindingKind::BreakdownMismatch)
            .expect("a breakdown_mismatch");
        assert_eq!(breakdown.event.to_string(), line_id(5));
        assert_eq!(breakdown.plan.as_str(), "dn-sxsh");
        assert_eq!(breakdown.year, Some(2010));
        assert_eq!(
            (breakdown.expected, breakdown.actual, breakdown.difference),
            (160, Some(156), Some(-4))
        );
        let missed: Vec<_> = reconciliation
            .findings
            .iter()
            .filter(|finding| finding.kind == FindingKind::TargetMissed)
            .collect();
        assert_eq!(missed.len(), warnings);
        assert_eq!(reconciliation.findings.len(), 2 + warnings);
        let banner = missed
            .iter()
            .find(|finding| finding.plan.as_str() == "dn-kh-2014")
            .expect("the 2014 banners");
        assert_eq!(banner.indicator.as_deref(), Some("outreach.banner"));
        assert_eq!(
            (banner.year, banner.expected, banner.actual),
            (Some(2014), 440, Some(0))
        );
        assert!(
            words.message.to_string().contains("1.198.085.000 ₫")
                && words.message.to_string().contains("1.276.000.000 ₫"),
            "{}",
            words.message
        );
    }
}

#[test]
fn reconciliation_before_the_report_and_within_a_plan() {
    let record = demo();
    assert!(record.reconciliation(&as_of("2009-12-31")).ok);
    let at_2014 = record.reconciliation(&as_of("2014-12-31"));
    let kinds: Vec<_> = at_2014.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FindingKind::BreakdownMismatch]);
    let only_2015 = record.reconciliation(&within("dn-kh-2015"));
    assert!(only_2015.ok);
    assert_eq!(only_2015.findings.len(), 8);
    assert_eq!(
        record.reconciliation(&within("dn-sxsh")),
        record.reconciliation(&now())
    );
}

#[test]
fn plan_statuses_through_the_years() {
    let record = demo();
    let statuses = |query: &Query| -> Vec<(String, String)> {
        record
            .plans(query)
            .iter()
            .map(|plan| (plan.plan.to_string(), plan.status.to_string()))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect()
    };
    assert_eq!(
        statuses(&as_of("2010-12-31")),
        pairs(&[("vn-sxsh-2020", "approved"), ("dn-sxsh", "draft")])
    );
    let everything = pairs(&[
        ("vn-sxsh-2020", "approved"),
        ("dn-sxsh", "draft"),
        ("dn-sxsh-2015", "approved"),
        ("dn-kh-2013", "approved"),
        ("dn-kh-2014", "approved"),
        ("dn-kh-2015", "submitted"),
    ]);
    assert_eq!(statuses(&as_of("2015-05-17")), everything);
    assert_eq!(statuses(&now()), everything);
    let versions: Vec<u64> = record.plans(&now()).iter().map(|p| p.version).collect();
    assert_eq!(versions, [3, 7, 10, 8, 13, 11]);
    assert!(
        record
            .plan(&plan_key("dn-kh-2014"), &as_of("2013-12-31"))
            .is_none()
    );

    let plan = to_json(&record.plan(&plan_key("dn-kh-2014"), &now()).unwrap());
    assert_eq!(
        plan["approval"],
        json!({"decision": "4646/KH-UBND",
        "approved_by": "UBND tỉnh Đồng Nai", "on": "2014-05-30"})
    );
    assert_eq!(
        plan["history"],
        json!([
            {"status": "draft", "on": "2014-05-30", "event": line_id(28)},
            {"status": "approved", "on": "2014-05-30", "event": line_id(29)},
        ])
    );
    let rows: Vec<(String, i64, Value, u64)> = plan["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["indicator"].as_str().unwrap().to_owned(),
                row["year"].as_i64().unwrap(),
                row["target"].clone(),
                row["actual"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("assessment.enterprises".into(), 2014, Value::Null, 5),
            ("outreach.banner".into(), 2014, json!(440), 0),
            ("outreach.booklet".into(), 2014, Value::Null, 2000),
            ("outreach.bulletin".into(), 2014, Value::Null, 4),
            ("outreach.radio".into(), 2014, Value::Null, 4),
            ("outreach.tv".into(), 2014, Value::Null, 6),
            ("outreach.website".into(), 2014, Value::Null, 1),
            ("outreach.workshop".into(), 2014, Value::Null, 2),
        ]
    );
    let dn_sxsh = record.plan(&plan_key("dn-sxsh"), &now()).unwrap();
    assert_eq!(dn_sxsh.indicators.len(), 4);
    assert!(dn_sxsh.approval.is_none());
    assert_eq!(dn_sxsh.code, None);
}

#[test]
fn yearly_summary_of_the_demo() {
    let record = demo();
    let yearly = to_json(&record.yearly(&now()));
    let years: Vec<i64> = yearly["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|year| year["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2009, 2010, 2011, 2012, 2013, 2014, 2015]);
    assert_eq!(record.yearly(&as_of("2015-05-17")), record.yearly(&now()));
    let at_2012 = record.yearly(&as_of("2012-12-31"));
    assert_eq!(at_2012.years.len(), 4);
    assert_eq!(at_2012.years[..], record.yearly(&now()).years[..4]);

    let year = |y: usize| yearly["years"][y - 2009].clone();
    assert_eq!(year(2009)["plans_approved"], json!(["vn-sxsh-2020"]));
    assert_eq!(
        year(2010)["training"],
        json!({"events": 1, "sessions": 1, "participants": 160,
        "by_topic": {"cleaner_production": {"sessions": 1, "participants": 160}}})
    );
    assert_eq!(year(2011)["training"]["participants"], json!(0));
    assert_eq!(year(2011)["assessments"], json!({"enterprises": 3}));
    assert_eq!(
        year(2011)["funding"],
        json!({"planned": 0, "allocated": 90_000_000,
        "disbursed": 90_000_000})
    );
    assert_eq!(year(2012)["staff_assigned"], json!(7));
    assert_eq!(year(2012)["outreach"], json!({"bulletin": 1, "other": 1}));
    assert_eq!(
        year(2012)["units_established"],
        json!(["Phòng sản xuất sạch hơn, Trung tâm tư vấn Công nghiệp Đồng Nai"])
    );
    let numbers: Vec<String> = year(2012)["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers, ["06/QĐ-SCT", "04/QĐ-TVCN"]);
    assert_eq!(
        year(2013)["training"]["by_topic"],
        json!({
        "cleaner_production": {"sessions": 2, "participants": 200},
        "energy_efficiency": {"sessions": 3, "participants": 300}})
    );
    // The answer itself writes its keys in byte order, as the server sends them.
    let outreach_2014 = serde_json::to_string(&record.yearly(&now()).years[5].outreach).unwrap();
    assert_eq!(
        outreach_2014,
        r#"{"booklet":2000,"bulletin":4,"radio":4,"tv":6,"website":1,"workshop":2}"#
    );
    assert_eq!(
        year(2015)["funding"],
        json!({"planned": 520_000_000, "allocated": 0,
        "disbursed": 0})
    );
    assert_eq!(year(2015)["training"]["events"], json!(0));
}

#[test]
fn every_answer_of_the_demo_writes_its_keys_in_order() {
    // For every query shape (now, as_of, known_at, both, a plan's subtree, the subtree with
    // both), every answer serialised directly is byte for byte what it gives through a
    // `serde_json::Value`, which sorts keys.
    let record = demo();
    let mid_log = instant("2026-11-28T20:00:30Z");
    let both = Query {
        as_of: Some(date("2012-12-31")),
        known_at: Some(mid_log),
        ..now()
    };
    let queries = [
        now(),
        as_of("2012-12-31"),
        known_at("2026-11-28T20:00:30Z"),
        both.clone(),
        within("dn-sxsh-2015"),
        Query {
            plan: Some(plan_key("dn-sxsh-2015")),
            ..both
        },
    ];
    for query in &queries {
        let bytes = assert_answers_keys_in_order(&record, query);
        assert!(bytes > 1_000, "{bytes} bytes for {query:?}");
    }
}
