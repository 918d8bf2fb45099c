//! The end-to-end proof that acta reproduces a real report and catches its errors.
//!
//! The report is "Tình hình thực hiện Chiến lược sản xuất sạch hơn trong công nghiệp trên địa bàn
//! tỉnh Đồng Nai giai đoạn 2009 - 2015" (Sở Công Thương Đồng Nai, 17/05/2015), kept in
//! `/work/shared/seed/dong-nai-cleaner-production-2009-2015.txt`; its acts are the request-shaped
//! events of `data/demo/dong-nai-2009-2015.jsonl` (mapped sentence by sentence in
//! `docs/demo.md`). Every test here starts the real binary on an empty database, loads the data
//! set through the HTTP API, and reads back what the report states, year by year. "report N" in a
//! comment is line N of the report's text file; "L N" is line N of the data set. The figures are
//! those of `data/demo/EXPECTED.md`, checked against the report.

mod common;

use std::collections::BTreeMap;

use common::{Server, acta};
use serde_json::{Value, json};

/// The data set, read at compile time, exactly as `serve --demo` embeds it.
const DATA_SET: &str = include_str!("../data/demo/dong-nai-2009-2015.jsonl");

/// The dates the record is replayed at: the end of each year, the report's date (report 5:
/// "Đăng lúc: Chủ nhật - 17/05/2015"), and no date at all.
const DATES: [Option<&str>; 8] = [
    Some("2009-12-31"),
    Some("2010-12-31"),
    Some("2011-12-31"),
    Some("2012-12-31"),
    Some("2013-12-31"),
    Some("2014-12-31"),
    Some("2015-05-17"),
    None,
];

/// The report's date.
const REPORT_DATE: &str = "2015-05-17";

fn data_set() -> Vec<Value> {
    DATA_SET
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("every line of the data set is JSON"))
        .collect()
}

/// The id of line `line` of the data set (docs/demo.md §1: the line number in six digits).
fn id(line: usize) -> String {
    format!("019NFJQ400DN20092015{line:06}")
}

/// `path` with `as_of` (if any) and further query parameters.
fn query(path: &str, as_of: Option<&str>, more: &[(&str, &str)]) -> String {
    let mut parameters: Vec<String> = as_of
        .map(|date| format!("as_of={date}"))
        .into_iter()
        .collect();
    parameters.extend(more.iter().map(|(key, value)| format!("{key}={value}")));
    if parameters.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parameters.join("&"))
    }
}

/// Whether something the report dates `from` is visible at `as_of`.
fn visible(from: &str, as_of: Option<&str>) -> bool {
    as_of.is_none_or(|date| date >= from)
}

fn label(as_of: Option<&str>) -> &str {
    as_of.unwrap_or("(no as_of)")
}

fn get_ok(server: &Server, path: &str) -> Value {
    let (status, body) = server.get(path);
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Loads the whole data set in one `POST /v1/events/batch` and returns the stored events.
fn load_batch(server: &Server) -> Vec<Value> {
    let events = data_set();
    let (status, body) = server.post("/v1/events/batch", &json!({ "events": events }));
    assert_eq!(status, 201, "the data set is accepted as one batch: {body}");
    let stored = body["events"].as_array().expect("stored events").clone();
    assert_eq!(stored.len(), events.len());
    for (index, event) in stored.iter().enumerate() {
        assert_eq!(event["seq"], index + 1);
        assert_eq!(event["id"], id(index + 1));
        assert_eq!(event["actor"], "admin");
    }
    stored
}

/// Every key of `expected` is in `actual` with the same value (recursively; arrays
/// element-wise and of the same length). Keys beyond the contract's are allowed.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected
            .iter()
            .all(|(key, value)| actual.get(key).is_some_and(|found| contains(found, value))),
        (Value::Array(actual), Value::Array(expected)) => {
            actual.len() == expected.len()
                && actual
                    .iter()
                    .zip(expected)
                    .all(|(found, value)| contains(found, value))
        }
        _ => actual == expected,
    }
}

fn assert_contains(actual: &Value, expected: &Value, context: &str) {
    assert!(
        contains(actual, expected),
        "{context}:\nexpected (at least) {expected:#}\nfound {actual:#}"
    );
}

/// Reads Vietnamese number words ("Một tỷ, một trăm chín mươi tám triệu, không trăm tám mươi
/// lăm ngàn đồng") as the test's own check of what the words say; `None` for an unknown word.
fn read_vietnamese(words: &str) -> Option<u64> {
    let lowered = words.to_lowercase().replace([',', '.'], " ");
    let (mut total, mut group, mut last) = (0u64, 0u64, 0u64);
    for word in lowered.split_whitespace() {
        let digit = match word {
            "không" => Some(0),
            "một" | "mốt" => Some(1),
            "hai" => Some(2),
            "ba" => Some(3),
            "bốn" | "tư" => Some(4),
            "năm" | "lăm" | "nhăm" => Some(5),
            "sáu" => Some(6),
            "bảy" => Some(7),
            "tám" => Some(8),
            "chín" => Some(9),
            _ => None,
        };
        if let Some(digit) = digit {
            group += digit;
            last = digit;
            continue;
        }
        match word {
            "mười" => group += 10,
            "mươi" => group += last * 9,
            "trăm" => group += last * 99,
            "nghìn" | "ngàn" => (total, group) = (total + group * 1_000, 0),
            "triệu" => (total, group) = (total + group * 1_000_000, 0),
            "tỷ" | "tỉ" => (total, group) = (total + group * 1_000_000_000, 0),
            "linh" | "lẻ" | "đồng" | "chẵn" => {}
            _ => return None,
        }
        last = 0;
    }
    Some(total + group)
}

#[test]
fn the_test_reads_vietnamese_numbers_as_the_report_writes_them() {
    // report 74: "1.276.000.000 đ (Một tỷ, một trăm chín mươi tám triệu, không trăm tám mươi
    // lăm ngàn đồng)" — the words say 1 198 085 000, not the figure.
    assert_eq!(
        read_vietnamese("Một tỷ, một trăm chín mươi tám triệu, không trăm tám mươi lăm ngàn đồng"),
        Some(1_198_085_000)
    );
    assert_eq!(
        read_vietnamese("Một tỷ hai trăm bảy mươi sáu triệu đồng"),
        Some(1_276_000_000)
    );
    assert_eq!(read_vietnamese("Chín mươi triệu đồng"), Some(90_000_000));
    assert_eq!(read_vietnamese("hai mươi mốt nghìn"), Some(21_000));
    assert_eq!(read_vietnamese("một trăm linh năm"), Some(105));
    assert_eq!(read_vietnamese("mười lăm"), Some(15));
    assert_eq!(read_vietnamese("banana"), None);
    // report 30: the six groups "41 … 36 … 17 … 32 … 18 … 12 đại biểu" add up to 156, not 160.
    assert_eq!(41 + 36 + 17 + 32 + 18 + 12, 156);
    // report 77, 79, 80, 81: 90 + 79 + 587 + 520 million is the printed total of report 74.
    assert_eq!(
        90_000_000 + 79_000_000 + 587_000_000 + 520_000_000,
        1_276_000_000u64
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Plans (report §1 "Tình hình xây dựng và phê duyệt các văn bản triển khai Chiến lược")

/// Status of each plan at each of `DATES` ("-": not registered at that date).
const STATUSES: [(&str, [&str; 8]); 6] = [
    // report 12: "Quyết định số 1419/QĐ-TTg ngày 07/09/2009 của Thủ tướng Chính phủ về việc
    // phê duyệt “Chiến lược sản xuất sạch hơn trong công nghiệp đến năm 2020”"
    ("vn-sxsh-2020", ["approved"; 8]),
    // report 3: "… trên địa bàn tỉnh Đồng Nai giai đoạn 2009 - 2015" — the province's own
    // programme, which no document in the report approves (docs/demo.md C1)
    ("dn-sxsh", ["draft"; 8]),
    // report 12: "Ngày 07/12/2011 UBND Tỉnh Đồng Nai đã ban hành Quyết định số: 3269/QĐ-UBND
    // V/v: Phê duyệt kế hoạch SXSH … đến năm 2015"
    (
        "dn-sxsh-2015",
        [
            "-", "-", "approved", "approved", "approved", "approved", "approved", "approved",
        ],
    ),
    // report 16: "Kế hoạch số: 2578/KH-UBND ngày 05/04/2013 của UBND tỉnh Đồng nai"
    (
        "dn-kh-2013",
        [
            "-", "-", "-", "-", "approved", "approved", "approved", "approved",
        ],
    ),
    // report 17: "Kế hoạch số 4646/KH-UBND ngày 30/5/014 của UBND tỉnh Đồng Nai"
    (
        "dn-kh-2014",
        ["-", "-", "-", "-", "-", "approved", "approved", "approved"],
    ),
    // report 18: "Năm 2015 Sở Công Thương đang trình UBND tỉnh Đồng Nai ban hành kế hoạch …
    // năm 2015" — submitted, awaiting approval at the report's date
    (
        "dn-kh-2015",
        ["-", "-", "-", "-", "-", "-", "submitted", "submitted"],
    ),
];

#[test]
fn the_plans_replayed_year_by_year_are_those_of_the_report() {
    let server = Server::start();
    // Loaded event by event this time: each line is one POST /v1/events.
    for (index, event) in data_set().iter().enumerate() {
        let (status, stored) = server.post("/v1/events", event);
        assert_eq!(status, 201, "L{}: {stored}", index + 1);
        assert_eq!(stored["seq"], index + 1);
        assert_eq!(stored["id"], id(index + 1));
    }
    assert_eq!(server.head()["seq"], 52);

    for (column, as_of) in DATES.iter().enumerate() {
        let listed = get_ok(&server, &query("/v1/plans", *as_of, &[]));
        let listed: BTreeMap<String, String> = listed["plans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|plan| {
                (
                    plan["plan"].as_str().unwrap().to_owned(),
                    plan["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: BTreeMap<String, String> = STATUSES
            .iter()
            .filter(|(_, statuses)| statuses[column] != "-")
            .map(|(plan, statuses)| ((*plan).to_owned(), statuses[column].to_owned()))
            .collect();
        assert_eq!(listed, expected, "GET /v1/plans at {}", label(*as_of));
        for (plan, statuses) in STATUSES {
            let (status, body) = server.get(&query(&format!("/v1/plans/{plan}"), *as_of, &[]));
            if statuses[column] == "-" {
                assert_eq!(status, 404, "{plan} is not registered at {}", label(*as_of));
            } else {
                assert_eq!(status, 200, "{plan} at {}: {body}", label(*as_of));
                assert_eq!(
                    body["status"],
                    statuses[column],
                    "{plan} at {}",
                    label(*as_of)
                );
            }
        }
    }

    // The 2015 plan at the report's date: submitted, not approved (report 18: "đang trình").
    let plan_2015 = get_ok(
        &server,
        &query("/v1/plans/dn-kh-2015", Some(REPORT_DATE), &[]),
    );
    assert_eq!(plan_2015["status"], "submitted");
    assert_eq!(plan_2015["approval"], Value::Null);

    // Details of each plan (no as_of).
    let details = [
        // report 12: "Quyết định số 1419/QĐ-TTg ngày 07/09/2009 của Thủ tướng Chính phủ"
        json!({"plan": "vn-sxsh-2020", "kind": "strategy", "parent": null,
               "period": {"from_year": 2009, "to_year": 2020}, "code": "1419/QĐ-TTg",
               "issuer": "Thủ tướng Chính phủ", "status": "approved", "status_since": "2009-09-07",
               "approval": {"decision": "1419/QĐ-TTg", "approved_by": "Thủ tướng Chính phủ", "on": "2009-09-07"},
               "history": [{"status": "draft", "on": "2009-09-07", "event": id(1)},
                           {"status": "approved", "on": "2009-09-07", "event": id(2)}],
               "indicators": [], "version": 3}),
        // report 3: "… giai đoạn 2009 - 2015"; report 10: "Thực hiện Quyết định số 1419/QĐ-TTg
        // ngày 07/09/2009" — registered on that date, never approved
        json!({"plan": "dn-sxsh", "kind": "programme", "parent": "vn-sxsh-2020",
               "period": {"from_year": 2009, "to_year": 2015}, "code": null, "issuer": null,
               "status": "draft", "status_since": "2009-09-07", "approval": null,
               "history": [{"status": "draft", "on": "2009-09-07", "event": id(4)}],
               "version": 7}),
        // report 12: "Ngày 07/12/2011 UBND Tỉnh Đồng Nai đã ban hành Quyết định số: 3269/QĐ-UBND"
        json!({"plan": "dn-sxsh-2015", "kind": "plan", "parent": "dn-sxsh",
               "period": {"from_year": 2011, "to_year": 2015}, "code": "3269/QĐ-UBND",
               "issuer": "UBND tỉnh Đồng Nai", "status": "approved", "status_since": "2011-12-07",
               "approval": {"decision": "3269/QĐ-UBND", "approved_by": "UBND tỉnh Đồng Nai", "on": "2011-12-07"},
               "history": [{"status": "draft", "on": "2011-12-07", "event": id(6)},
                           {"status": "approved", "on": "2011-12-07", "event": id(7)}],
               "version": 10}),
        // report 16: "Kế hoạch số: 2578/KH-UBND ngày 05/04/2013"
        json!({"plan": "dn-kh-2013", "kind": "annual_plan", "parent": "dn-sxsh-2015",
               "period": {"from_year": 2013, "to_year": 2013}, "code": "2578/KH-UBND",
               "issuer": "UBND tỉnh Đồng Nai", "status": "approved", "status_since": "2013-04-05",
               "approval": {"decision": "2578/KH-UBND", "approved_by": "UBND tỉnh Đồng Nai", "on": "2013-04-05"},
               "history": [{"status": "draft", "on": "2013-04-05", "event": id(20)},
                           {"status": "approved", "on": "2013-04-05", "event": id(21)}],
               "version": 8}),
        // report 17: "Kế hoạch số 4646/KH-UBND ngày 30/5/014" — read as 2014-05-30 (C10)
        json!({"plan": "dn-kh-2014", "kind": "annual_plan", "parent": "dn-sxsh-2015",
               "period": {"from_year": 2014, "to_year": 2014}, "code": "4646/KH-UBND",
               "issuer": "UBND tỉnh Đồng Nai", "status": "approved", "status_since": "2014-05-30",
               "approval": {"decision": "4646/KH-UBND", "approved_by": "UBND tỉnh Đồng Nai", "on": "2014-05-30"},
               "history": [{"status": "draft", "on": "2014-05-30", "event": id(28)},
                           {"status": "approved", "on": "2014-05-30", "event": id(29)}],
               "version": 13}),
        // report 18: "Năm 2015 Sở Công Thương đang trình UBND tỉnh Đồng Nai ban hành kế hoạch"
        json!({"plan": "dn-kh-2015", "kind": "annual_plan", "parent": "dn-sxsh-2015",
               "period": {"from_year": 2015, "to_year": 2015}, "code": null, "issuer": null,
               "status": "submitted", "status_since": "2015-05-17", "approval": null,
               "history": [{"status": "draft", "on": "2015-05-17", "event": id(41)},
                           {"status": "submitted", "on": "2015-05-17", "event": id(42)}],
               "version": 11}),
    ];
    for expected in &details {
        let plan = expected["plan"].as_str().unwrap();
        let found = get_ok(&server, &format!("/v1/plans/{plan}"));
        assert_contains(&found, expected, &format!("GET /v1/plans/{plan}"));
    }

    // Indicators of each plan alone, without as_of and at the report's date:
    // (plan, indicator, year, target, actual).
    let indicators: [(&str, &str, i64, Option<i64>, i64); 26] = [
        // report 35: "đánh giá nhanh sản xuất sạch hơn cho 03 cơ sở" (= report 70, "hỗ trợ 03
        // doanh nghiệp", the same act, C9)
        ("dn-sxsh", "assessment.enterprises", 2011, None, 3),
        // report 30: "Lớp tập huấn có 160 lượt người tham dự"
        ("dn-sxsh", "training.participants", 2010, None, 160),
        ("dn-sxsh", "training.sessions", 2010, None, 1),
        // report 34: "Tổ chức 02 lớp tập huấn … cho 73 cơ sở" (participants unknown)
        ("dn-sxsh", "training.sessions", 2011, None, 2),
        // report 40: "trên trang tạp trí của Ban Quản lý các khu công nghiệp; trên đài phát
        // thanh truyền hình Đồng Nai" (no count: 1 each, C13)
        ("dn-sxsh-2015", "outreach.bulletin", 2012, None, 1),
        ("dn-sxsh-2015", "outreach.other", 2012, None, 1),
        // report 24: "cử 03 cán bộ … biên chế 04 cán bộ chuyên trách"
        ("dn-sxsh-2015", "staff.assigned", 2012, None, 7),
        // report 44: "đài phát thanh … với số lượng 03 chương trình"
        ("dn-kh-2013", "outreach.radio", 2013, None, 3),
        // report 45: "2 lớp SXSH và 3 lớp TKNLHQ với khoảng 500 học viên"
        ("dn-kh-2013", "training.participants", 2013, None, 500),
        ("dn-kh-2013", "training.sessions", 2013, None, 5),
        // report 71: "Năm 2014 … hỗ trợ 05 doanh nghiệp … lập báo cáo đánh giá SXSH"
        ("dn-kh-2014", "assessment.enterprises", 2014, None, 5),
        // report 53: "băng rôn … Số lượng dự kiến: 440 cái" (planned, not done: C14)
        ("dn-kh-2014", "outreach.banner", 2014, Some(440), 0),
        // report 52: "Số lượng phát hành: 2.000 cuốn"
        ("dn-kh-2014", "outreach.booklet", 2014, None, 2000),
        // report 50: "phát hành 4 số trong 4 quý"
        ("dn-kh-2014", "outreach.bulletin", 2014, None, 4),
        // report 49: "Số lượng đã thực hiện: 04 chương trình / 1 năm"
        ("dn-kh-2014", "outreach.radio", 2014, None, 4),
        // report 51: "Số lượng đã thực hiện: 06 chương trình"
        ("dn-kh-2014", "outreach.tv", 2014, None, 6),
        // report 67: "Năm 2014 … xây dựng website"
        ("dn-kh-2014", "outreach.website", 2014, None, 1),
        // report 54: "Đã tổ chức được 02 đợt hội thảo tuyên truyền"
        ("dn-kh-2014", "outreach.workshop", 2014, None, 2),
        // report 63: "Dự kiến Lập báo cáo đánh giá SXSH 03 đề tài"
        ("dn-kh-2015", "assessment.enterprises", 2015, Some(3), 0),
        // report 61: "Số lượng dự kiến: 440 cái"
        ("dn-kh-2015", "outreach.banner", 2015, Some(440), 0),
        // report 60: "Số lượng dự kiến: 2.000 cuốn"
        ("dn-kh-2015", "outreach.booklet", 2015, Some(2000), 0),
        // report 59: "phát hành 4 số trong 4 quý"
        ("dn-kh-2015", "outreach.bulletin", 2015, Some(4), 0),
        // report 56: "04 chương trình / 1 năm" + report 57: "khoảng 04 chương trình … FM"
        ("dn-kh-2015", "outreach.radio", 2015, Some(8), 0),
        // report 58: "Dự kiến 04 chương trình"
        ("dn-kh-2015", "outreach.tv", 2015, Some(4), 0),
        // report 62: "Dự kiến tổ chức 02 lớp/năm, mỗi lớp khoảng 50 người"
        ("dn-kh-2015", "training.participants", 2015, Some(100), 0),
        ("dn-kh-2015", "training.sessions", 2015, Some(2), 0),
    ];
    for as_of in [Some(REPORT_DATE), None] {
        for (plan, _) in STATUSES {
            let expected: Vec<Value> = indicators
                .iter()
                .filter(|row| row.0 == plan)
                .map(|(_, indicator, year, target, actual)| {
                    json!({"indicator": indicator, "year": year, "target": target, "actual": actual})
                })
                .collect();
            let found = get_ok(&server, &query(&format!("/v1/plans/{plan}"), as_of, &[]));
            assert_contains(
                &found["indicators"],
                &Value::Array(expected),
                &format!("indicators of {plan} at {}", label(as_of)),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Funding (report §4 "Tình hình sử dụng kinh phí thực hiện Chiến lược", lines 72–83)

/// (fiscal year, source, planned, allocated, disbursed, visible from as_of).
const FUNDING_LINES: [(i64, &str, i64, i64, i64, &str); 4] = [
    // report 76–77: "Nguồn ngân sách trung ương: - Năm 2011: 90.000.000 đ"; report 83: "hằng năm
    // đã sử dụng hết nguồn kinh phí được cấp" (all spent)
    (2011, "central", 0, 90_000_000, 90_000_000, "2011-12-31"),
    // report 78–79: "Nguồn ngân sách của ngành/địa phương: - Năm 2013: 79.000.000 đ"; report 83
    (2013, "local", 0, 79_000_000, 79_000_000, "2013-12-31"),
    // report 80: "Năm 2014: 587.000.000đ – Nguồn sự nghiệp môi trường 2014"; report 83
    (2014, "local", 0, 587_000_000, 587_000_000, "2014-12-31"),
    // report 81: "Kế hoạch năm 2015: 520.000.000đ" — planned only, known at the report's date
    (2015, "local", 520_000_000, 0, 0, "2015-05-17"),
];

#[test]
fn funding_by_year_source_and_stage_is_that_of_the_report() {
    let server = Server::start();
    load_batch(&server);

    // Totals per date, written out: (planned, allocated, disbursed, budget).
    let totals: [(i64, i64, i64, i64); 8] = [
        (0, 0, 0, 0),                               // 2009: no money yet
        (0, 0, 0, 0),                               // 2010: report names no funds for 2010
        (0, 90_000_000, 90_000_000, 90_000_000),    // report 77: "Năm 2011: 90.000.000 đ"
        (0, 90_000_000, 90_000_000, 90_000_000),    // 2012: report names no funds for 2012
        (0, 169_000_000, 169_000_000, 169_000_000), // + report 79: "Năm 2013: 79.000.000 đ"
        (0, 756_000_000, 756_000_000, 756_000_000), // + report 80: "Năm 2014: 587.000.000đ"
        // report 74: "Tổng kinh phí : 1.276.000.000 đ" = 756 million spent + report 81:
        // "Kế hoạch năm 2015: 520.000.000đ"
        (520_000_000, 756_000_000, 756_000_000, 1_276_000_000),
        (520_000_000, 756_000_000, 756_000_000, 1_276_000_000),
    ];

    for (column, as_of) in DATES.iter().enumerate() {
        let funding = get_ok(&server, &query("/v1/funding", *as_of, &[]));
        let context = format!("GET /v1/funding at {}", label(*as_of));
        assert_eq!(funding["currency"], "VND", "{context}");

        // by_year: one row per funding line of the report visible at that date, in order.
        let rows: Vec<Value> = FUNDING_LINES
            .iter()
            .filter(|line| visible(line.5, *as_of))
            .map(|&(fiscal_year, source, planned, allocated, disbursed, _)| {
                let budget = if allocated > 0 { allocated } else { planned };
                json!({"fiscal_year": fiscal_year, "source": source, "planned": planned,
                       "allocated": allocated, "disbursed": disbursed, "budget": budget,
                       "unspent": allocated - disbursed})
            })
            .collect();
        assert_contains(&funding["by_year"], &Value::Array(rows), &context);

        // by_source: report 76 "Nguồn ngân sách trung ương" (central), report 78 "Nguồn ngân
        // sách của ngành/địa phương" (local), report 82 "Nguồn khác (tài trợ, vốn vay): Không"
        // (no `other` row at any date).
        let mut sources: BTreeMap<&str, [i64; 5]> = BTreeMap::new();
        for &(_, source, planned, allocated, disbursed, from) in &FUNDING_LINES {
            if visible(from, *as_of) {
                let budget = if allocated > 0 { allocated } else { planned };
                let sums = sources.entry(source).or_default();
                for (sum, amount) in sums.iter_mut().zip([
                    planned,
                    allocated,
                    disbursed,
                    budget,
                    allocated - disbursed,
                ]) {
                    *sum += amount;
                }
            }
        }
        let by_source: Vec<Value> = sources
            .iter()
            .map(
                |(source, [planned, allocated, disbursed, budget, unspent])| {
                    json!({"source": source, "planned": planned, "allocated": allocated,
                       "disbursed": disbursed, "budget": budget, "unspent": unspent})
                },
            )
            .collect();
        assert_contains(&funding["by_source"], &Value::Array(by_source), &context);
        assert!(
            funding["by_source"]
                .as_array()
                .unwrap()
                .iter()
                .all(|row| row["source"] != "other"),
            "report 82: 'Nguồn khác …: Không' — {context}"
        );

        let (planned, allocated, disbursed, budget) = totals[column];
        assert_contains(
            &funding["totals"],
            &json!({"planned": planned, "allocated": allocated, "disbursed": disbursed,
                    "budget": budget, "unspent": allocated - disbursed}),
            &context,
        );

        // The budget in words: report 74's figure spelled as it should have been.
        let words = funding["budget_in_words"]
            .as_str()
            .expect("budget_in_words");
        assert!(words.ends_with("đồng"), "{context}: {words}");
        if budget > 0 {
            assert_eq!(
                read_vietnamese(words),
                Some(budget as u64),
                "{context}: {words}"
            );
        }
    }

    // At the report's date and today, the words of the contract's own example (§3.2), which is
    // what report 74 should have printed after "1.276.000.000 đ".
    for as_of in [Some(REPORT_DATE), None] {
        let funding = get_ok(&server, &query("/v1/funding", as_of, &[]));
        assert_eq!(
            funding["budget_in_words"],
            "Một tỷ hai trăm bảy mươi sáu triệu đồng"
        );
        // report 83: "hằng năm đã sử dụng hết nguồn kinh phí được cấp" — nothing unspent.
        assert_eq!(funding["totals"]["unspent"], 0);
        // by_source at the report's date, written out: central 90 million (report 77); local
        // 79 + 587 million granted and spent, 520 million planned (report 79–81).
        assert_contains(
            &funding["by_source"],
            &json!([
                {"source": "central", "planned": 0, "allocated": 90_000_000,
                 "disbursed": 90_000_000, "budget": 90_000_000, "unspent": 0},
                {"source": "local", "planned": 520_000_000, "allocated": 666_000_000,
                 "disbursed": 666_000_000, "budget": 1_186_000_000, "unspent": 0}
            ]),
            "by_source at the report's date",
        );
    }

    // Every funding line lies in the province's programme (report 73: "kinh phí Chiến lược"),
    // so its scope and the national strategy's give the same figures as the whole record.
    let whole = get_ok(&server, "/v1/funding");
    for plan in ["dn-sxsh", "vn-sxsh-2020"] {
        assert_eq!(get_ok(&server, &format!("/v1/funding?plan={plan}")), whole);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Year by year (report §3.1–3.3, lines 26–71)

/// The summary of each year, 2009–2015, as the report states it.
fn expected_years() -> Vec<Value> {
    let nothing_trained = json!({"events": 0, "sessions": 0, "participants": 0, "by_topic": {}});
    let no_money = json!({"planned": 0, "allocated": 0, "disbursed": 0});
    vec![
        // 2009 — report 12: "Quyết định số 1419/QĐ-TTg ngày 07/09/2009 của Thủ tướng Chính phủ
        // về việc phê duyệt “Chiến lược …”"; nothing else is dated 2009 (docs/demo.md C2).
        json!({"year": 2009,
               "decisions": [{"number": "1419/QĐ-TTg", "issuer": "Thủ tướng Chính phủ",
                              "issued_on": "2009-09-07"}],
               "plans_approved": ["vn-sxsh-2020"], "training": nothing_trained,
               "outreach": {}, "assessments": {"enterprises": 0}, "staff_assigned": 0,
               "units_established": [], "funding": no_money}),
        // 2010 — report 30: "Lớp tập huấn có 160 lượt người tham dự" (one class, 160 people).
        json!({"year": 2010, "decisions": [], "plans_approved": [],
               "training": {"events": 1, "sessions": 1, "participants": 160,
                            "by_topic": {"cleaner_production": {"sessions": 1, "participants": 160}}},
               "outreach": {}, "assessments": {"enterprises": 0}, "staff_assigned": 0,
               "units_established": [], "funding": no_money}),
        // 2011 — report 12: "3269/QĐ-UBND ngày 07/12/2011"; report 34: "Tổ chức 02 lớp tập huấn
        // … cho 73 cơ sở" (people not counted); report 35: "đánh giá nhanh … cho 03 cơ sở";
        // report 77: "Năm 2011: 90.000.000 đ"; report 83: "đã sử dụng hết".
        json!({"year": 2011,
               "decisions": [{"number": "3269/QĐ-UBND", "issuer": "UBND tỉnh Đồng Nai",
                              "issued_on": "2011-12-07"}],
               "plans_approved": ["dn-sxsh-2015"],
               "training": {"events": 1, "sessions": 2, "participants": 0,
                            "by_topic": {"cleaner_production": {"sessions": 2, "participants": 0}}},
               "outreach": {}, "assessments": {"enterprises": 3}, "staff_assigned": 0,
               "units_established": [],
               "funding": {"planned": 0, "allocated": 90_000_000, "disbursed": 90_000_000}}),
        // 2012 — report 14: "Quyết định số: 06/QĐ-SCT ngày 10/02/2012"; report 23: "Quyết định
        // số: 04/QĐ-TVCN ngày 16/02/2012 về việc thành lập phòng Sản xuất sạch hơn"; report 24:
        // "cử 03 cán bộ … biên chế 04 cán bộ"; report 40: "trang tạp trí … đài phát thanh
        // truyền hình Đồng Nai".
        json!({"year": 2012,
               "decisions": [{"number": "06/QĐ-SCT", "issuer": "Sở Công Thương Đồng Nai",
                              "issued_on": "2012-02-10"},
                             {"number": "04/QĐ-TVCN", "issuer": "Trung tâm tư vấn Công nghiệp Đồng Nai",
                              "issued_on": "2012-02-16"}],
               "plans_approved": [], "training": nothing_trained,
               "outreach": {"bulletin": 1, "other": 1}, "assessments": {"enterprises": 0},
               "staff_assigned": 7,
               "units_established": ["Phòng sản xuất sạch hơn, Trung tâm tư vấn Công nghiệp Đồng Nai"],
               "funding": no_money}),
        // 2013 — report 16: "2578/KH-UBND ngày 05/04/2013"; report 44: "03 chương trình" on
        // radio; report 45: "2 lớp SXSH và 3 lớp TKNLHQ với khoảng 500 học viên" (split 200 /
        // 300, C7); report 79: "Năm 2013: 79.000.000 đ"; report 83.
        json!({"year": 2013,
               "decisions": [{"number": "2578/KH-UBND", "issuer": "UBND tỉnh Đồng Nai",
                              "issued_on": "2013-04-05"}],
               "plans_approved": ["dn-kh-2013"],
               "training": {"events": 2, "sessions": 5, "participants": 500,
                            "by_topic": {"cleaner_production": {"sessions": 2, "participants": 200},
                                         "energy_efficiency": {"sessions": 3, "participants": 300}}},
               "outreach": {"radio": 3}, "assessments": {"enterprises": 0}, "staff_assigned": 0,
               "units_established": [],
               "funding": {"planned": 0, "allocated": 79_000_000, "disbursed": 79_000_000}}),
        // 2014 — report 17: "4646/KH-UBND ngày 30/5/014"; report 49: radio "04 chương trình";
        // 50: bulletin "4 số"; 51: tv "06 chương trình"; 52: "2.000 cuốn"; 54: "02 đợt hội
        // thảo" (outreach, no training: C15); 67: website; 53: banners only "dự kiến" (none
        // delivered); 71: "hỗ trợ 05 doanh nghiệp"; 80: "Năm 2014: 587.000.000đ"; 83.
        json!({"year": 2014,
               "decisions": [{"number": "4646/KH-UBND", "issuer": "UBND tỉnh Đồng Nai",
                              "issued_on": "2014-05-30"}],
               "plans_approved": ["dn-kh-2014"], "training": nothing_trained,
               "outreach": {"radio": 4, "bulletin": 4, "tv": 6, "booklet": 2000,
                            "workshop": 2, "website": 1},
               "assessments": {"enterprises": 5}, "staff_assigned": 0, "units_established": [],
               "funding": {"planned": 0, "allocated": 587_000_000, "disbursed": 587_000_000}}),
        // 2015 — report 18: the plan is only "đang trình" (no approval); report 55–63: only
        // "dự kiến" (targets, no acts); report 81: "Kế hoạch năm 2015: 520.000.000đ".
        json!({"year": 2015, "decisions": [], "plans_approved": [], "training": nothing_trained,
               "outreach": {}, "assessments": {"enterprises": 0}, "staff_assigned": 0,
               "units_established": [],
               "funding": {"planned": 520_000_000, "allocated": 0, "disbursed": 0}}),
    ]
}

#[test]
fn the_yearly_summary_is_that_of_the_report() {
    let server = Server::start();
    load_batch(&server);
    let expected = expected_years();

    for as_of in DATES {
        let last_year: i64 = as_of.map_or(2015, |date| date[..4].parse().unwrap());
        let context = format!("GET /v1/summaries/yearly at {}", label(as_of));
        let summary = get_ok(&server, &query("/v1/summaries/yearly", as_of, &[]));
        let years = summary["years"].as_array().expect("years");
        let wanted: Vec<&Value> = expected
            .iter()
            .filter(|row| row["year"].as_i64().unwrap() <= last_year)
            .collect();
        assert_eq!(
            years
                .iter()
                .map(|row| row["year"].clone())
                .collect::<Vec<_>>(),
            wanted
                .iter()
                .map(|row| row["year"].clone())
                .collect::<Vec<_>>(),
            "{context}: one row per year 2009..={last_year}"
        );
        for (found, wanted) in years.iter().zip(wanted) {
            let year = &wanted["year"];
            assert_contains(found, wanted, &format!("{context}, year {year}"));
            // Exactly these channels and topics, no others.
            assert_eq!(found["outreach"], wanted["outreach"], "{context}, {year}");
            assert_eq!(
                found["training"]["by_topic"], wanted["training"]["by_topic"],
                "{context}, {year}"
            );
        }
    }

    // Column totals over 2009–2015: 8 sessions (report 30: 1, 34: 2, 45: 5) and 660 people
    // (160 + 500); outreach radio 7 (report 44: 3, 49: 4); assessments 8 (report 35: 3, 71: 5).
    let summary = get_ok(&server, "/v1/summaries/yearly");
    let years = summary["years"].as_array().unwrap();
    let sum = |pointer: &str| -> i64 {
        years
            .iter()
            .map(|row| row.pointer(pointer).and_then(Value::as_i64).unwrap_or(0))
            .sum()
    };
    assert_eq!(sum("/training/sessions"), 8);
    assert_eq!(sum("/training/participants"), 660);
    assert_eq!(sum("/outreach/radio"), 7);
    assert_eq!(sum("/assessments/enterprises"), 8);
    assert_eq!(sum("/staff_assigned"), 7);
}

// ---------------------------------------------------------------------------------------------
// 4. Reconciliation: the two errors of the report

/// The report's first error. report 30: "Lớp tập huấn có 160 lượt người tham dự. Trong đó: … 41
/// … 36 … 17 … 32 … 18 … 12 đại biểu" — the groups add up to 156.
fn breakdown_error() -> Value {
    json!({"kind": "breakdown_mismatch", "severity": "error", "plan": "dn-sxsh", "event": id(5),
           "expected": 160, "actual": 156, "difference": -4})
}

/// The report's second error. report 74: "Tổng kinh phí : 1.276.000.000 đ (Một tỷ, một trăm
/// chín mươi tám triệu, không trăm tám mươi lăm ngàn đồng)" — the words say 1 198 085 000.
fn words_error() -> Value {
    json!({"kind": "words_mismatch", "severity": "error", "plan": "dn-sxsh", "event": id(52),
           "expected": 1_276_000_000i64, "actual": 1_198_085_000i64, "difference": -77_915_000})
}

/// A `target_missed` warning for a target the report plans ("dự kiến") and never says was met.
fn missed(plan: &str, year: i64, indicator: &str, target: i64) -> Value {
    json!({"kind": "target_missed", "severity": "warning", "plan": plan, "year": year,
           "indicator": indicator, "expected": target, "actual": 0, "difference": -target})
}

/// Asserts that `findings` are exactly `expected`, in any order.
fn assert_findings(findings: &Value, expected: &[Value], context: &str) {
    let findings = findings.as_array().expect("findings");
    let mut unmatched: Vec<&Value> = findings.iter().collect();
    for wanted in expected {
        let position = unmatched
            .iter()
            .position(|found| contains(found, wanted))
            .unwrap_or_else(|| panic!("{context}: no finding {wanted}\nfindings: {findings:#?}"));
        unmatched.remove(position);
    }
    assert!(
        unmatched.is_empty(),
        "{context}: unexpected findings {unmatched:#?}"
    );
}

#[test]
fn reconciliation_reports_exactly_the_two_errors_of_the_report() {
    let server = Server::start();
    load_batch(&server);

    for as_of in DATES {
        let context = format!("GET /v1/reconciliation at {}", label(as_of));
        let answer = get_ok(&server, &query("/v1/reconciliation", as_of, &[]));
        let mut expected = Vec::new();
        // The 2010 training (L5) is on record from the end of 2010 (report 28–30).
        if visible("2010-12-31", as_of) {
            expected.push(breakdown_error());
        }
        // The report's total (L52) is on record from the report's date (report 5, 74).
        if visible(REPORT_DATE, as_of) {
            expected.push(words_error());
            // report 53: "băng rôn … Số lượng dự kiến: 440 cái" — 2014 is over, none hung.
            expected.push(missed("dn-kh-2014", 2014, "outreach.banner", 440));
        }
        // Without as_of (today is long after 2015) the 2015 plan's targets are missed too.
        if as_of.is_none() {
            expected.extend([
                // report 63: "Dự kiến Lập báo cáo đánh giá SXSH 03 đề tài"
                missed("dn-kh-2015", 2015, "assessment.enterprises", 3),
                // report 61: "Số lượng dự kiến: 440 cái"
                missed("dn-kh-2015", 2015, "outreach.banner", 440),
                // report 60: "Số lượng dự kiến: 2.000 cuốn"
                missed("dn-kh-2015", 2015, "outreach.booklet", 2000),
                // report 59: "phát hành 4 số trong 4 quý"
                missed("dn-kh-2015", 2015, "outreach.bulletin", 4),
                // report 56–57: "04 chương trình / 1 năm" + "khoảng 04 chương trình"
                missed("dn-kh-2015", 2015, "outreach.radio", 8),
                // report 58: "Dự kiến 04 chương trình"
                missed("dn-kh-2015", 2015, "outreach.tv", 4),
                // report 62: "02 lớp/năm, mỗi lớp khoảng 50 người"
                missed("dn-kh-2015", 2015, "training.participants", 100),
                missed("dn-kh-2015", 2015, "training.sessions", 2),
            ]);
        }
        let has_error = expected
            .iter()
            .any(|finding| finding["severity"] == "error");
        assert_eq!(answer["ok"], !has_error, "{context}: {answer:#}");
        assert_findings(&answer["findings"], &expected, &context);
    }

    // The whole record: exactly two errors, whatever else is warned about.
    let answer = get_ok(&server, "/v1/reconciliation");
    let errors: Vec<Value> = answer["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["severity"] == "error")
        .cloned()
        .collect();
    assert_findings(
        &Value::Array(errors),
        &[breakdown_error(), words_error()],
        "errors of the whole record",
    );
    assert_eq!(answer["ok"], false);
    // The total itself agrees with its lines (report 74 = 77 + 79 + 80 + 81): no
    // total_mismatch, and nothing overspent or spent without allocation (report 83).
    for finding in answer["findings"].as_array().unwrap() {
        assert!(
            ["breakdown_mismatch", "words_mismatch", "target_missed"]
                .contains(&finding["kind"].as_str().unwrap()),
            "{finding}"
        );
    }

    // The 2015 plan alone has only its unmet targets, warnings: ok.
    let plan_2015 = get_ok(&server, "/v1/reconciliation?plan=dn-kh-2015");
    assert_eq!(plan_2015["ok"], true, "{plan_2015:#}");
    let findings = plan_2015["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 8, "{plan_2015:#}");
    assert!(
        findings
            .iter()
            .all(|finding| finding["kind"] == "target_missed" && finding["plan"] == "dn-kh-2015")
    );
    // The province's programme holds both errors: its findings are the whole record's.
    for plan in ["dn-sxsh", "vn-sxsh-2020"] {
        assert_eq!(
            get_ok(&server, &format!("/v1/reconciliation?plan={plan}")),
            answer,
            "plan={plan}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Loading twice stores once

#[test]
fn posting_the_data_set_again_stores_nothing() {
    let server = Server::start();
    let first = load_batch(&server);
    let head = server.head();
    assert_eq!(head["seq"], 52);
    let (status, again) = server.post("/v1/events/batch", &json!({ "events": data_set() }));
    assert_eq!(status, 200, "a batch that stores nothing new: {again}");
    assert_eq!(
        again["events"].as_array().unwrap(),
        &first,
        "answered with the events as first stored"
    );
    assert_eq!(server.head(), head, "head unchanged");
    // One by one, too: each line is answered 200 as first stored.
    for (index, event) in data_set().iter().enumerate() {
        let (status, stored) = server.post("/v1/events", event);
        assert_eq!(status, 200, "L{}", index + 1);
        assert_eq!(stored, first[index]);
    }
    assert_eq!(server.head(), head);
    assert_eq!(server.all_events(), first);
}

#[test]
fn serve_demo_loads_the_data_set_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut first = Server::start_new(&db, &["--demo"]);
    let head = first.head();
    let events = first.all_events();
    let lines = data_set();
    assert_eq!(
        head["seq"],
        lines.len(),
        "every line of the data set is stored"
    );
    assert_eq!(events.len(), lines.len());
    for (index, (event, line)) in events.iter().zip(&lines).enumerate() {
        assert_eq!(event["seq"], index + 1);
        assert_eq!(event["id"], line["id"]);
        assert_eq!(event["type"], line["type"]);
        assert_eq!(event["data"], line["data"]);
        assert_eq!(event["actor"], "demo");
    }
    assert_eq!(head["hash"], events.last().unwrap()["hash"]);
    assert_eq!(get_ok(&first, "/v1/verify")["ok"], true);
    let token = first.token.clone();

    // The same figures as the data set posted over HTTP.
    let posted = Server::start();
    load_batch(&posted);
    for path in [
        "/v1/plans",
        "/v1/funding",
        "/v1/summaries/yearly",
        "/v1/reconciliation",
        "/v1/plans?as_of=2012-12-31",
        "/v1/funding?as_of=2015-05-17",
        "/v1/summaries/yearly?as_of=2013-12-31",
        "/v1/reconciliation?as_of=2015-05-17",
    ] {
        assert_eq!(get_ok(&first, path), get_ok(&posted, path), "{path}");
    }
    first.kill();

    // `acta import` of the same file stores nothing either (idempotent by id).
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo/dong-nai-2009-2015.jsonl"
    );
    let output = acta(&["import", "--db", db.to_str().unwrap(), file]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A second start with --demo on the same database loads nothing.
    let mut second = Server::start_on(&db, &["--demo"]);
    second.token = token;
    assert_eq!(second.head(), head, "same head after a second --demo start");
    assert_eq!(second.all_events(), events, "same events, same hashes");
    assert_eq!(get_ok(&second, "/v1/verify")["ok"], true);
}

// ---------------------------------------------------------------------------------------------
// 6. known_at: the record as it was known

#[test]
fn the_record_as_known_before_loading_is_empty() {
    let server = Server::start();
    let stored = load_batch(&server);
    let first_recorded: jiff::Timestamp =
        stored[0]["recorded_at"].as_str().unwrap().parse().unwrap();
    let just_before = first_recorded
        .checked_sub(jiff::SignedDuration::from_millis(1))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let last_recorded = stored.last().unwrap()["recorded_at"].as_str().unwrap();

    for known_at in [
        "2000-01-01",
        "2000-01-01T00:00:00.000Z",
        just_before.as_str(),
    ] {
        for as_of in [None, Some(REPORT_DATE)] {
            let more = [("known_at", known_at)];
            let context = format!("known_at={known_at}, as_of {}", label(as_of));
            let plans = get_ok(&server, &query("/v1/plans", as_of, &more));
            assert_eq!(plans["plans"], json!([]), "{context}");
            let (status, _) = server.get(&query("/v1/plans/dn-sxsh", as_of, &more));
            assert_eq!(status, 404, "{context}");
            let funding = get_ok(&server, &query("/v1/funding", as_of, &more));
            assert_eq!(funding["by_year"], json!([]), "{context}");
            assert_eq!(funding["by_source"], json!([]), "{context}");
            assert_contains(
                &funding["totals"],
                &json!({"planned": 0, "allocated": 0, "disbursed": 0, "budget": 0, "unspent": 0}),
                &context,
            );
            let summary = get_ok(&server, &query("/v1/summaries/yearly", as_of, &more));
            assert_eq!(summary["years"], json!([]), "{context}");
            let reconciliation = get_ok(&server, &query("/v1/reconciliation", as_of, &more));
            assert_eq!(reconciliation["ok"], true, "{context}");
            assert_eq!(reconciliation["findings"], json!([]), "{context}");
        }
    }

    // Known as of the load: the whole report (report 74: "Tổng kinh phí : 1.276.000.000 đ").
    let more = [("known_at", last_recorded)];
    let plans = get_ok(&server, &query("/v1/plans", None, &more));
    assert_eq!(plans["plans"].as_array().unwrap().len(), 6);
    let funding = get_ok(&server, &query("/v1/funding", None, &more));
    assert_eq!(funding["totals"]["budget"], 1_276_000_000i64);
    assert_eq!(funding, get_ok(&server, "/v1/funding"));
}
