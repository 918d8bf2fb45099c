//! The projections as CSV tables (`?format=csv`, `Accept: text/csv`), read back by Python's
//! `csv` module to the same figures as the JSON answers; and `406` for every path without a
//! table, before anything is written.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{Server, client};
use serde_json::{Value, json};

/// Python's `csv.DictReader` over `table` (opened as Excel's UTF-8 with a byte-order mark), as
/// a JSON array of rows: each row an object of its header's names. `None` when python3 is
/// missing outside CI.
fn read_with_python(table: &[u8]) -> Option<Vec<BTreeMap<String, String>>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("table.csv");
    std::fs::write(&path, table).unwrap();
    let script = "import csv, json, sys\n\
                  with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:\n\
                  \x20   print(json.dumps(list(csv.DictReader(f)), ensure_ascii=False))\n";
    let output = match Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 is needed under CI: {error}"
            );
            eprintln!("python3 is not on PATH: skipping ({error})");
            return None;
        }
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("python printed JSON"))
}

/// The table at `path` (which carries `format=csv`), its content type checked.
fn table(server: &Server, path: &str) -> Vec<u8> {
    let response = client()
        .get(server.url(path))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8; header=present"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"acta-"),
    );
    response.bytes().unwrap().to_vec()
}

fn integer(row: &BTreeMap<String, String>, column: &str) -> i128 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} is not an integer: {row:?}"))
}

/// `value` as the cell the table writes: `null` empty, a text guarded against spreadsheet
/// formulas, anything else as JSON writes it.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            format!("'{text}")
        }
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn check_funding(server: &Server, query: &str) -> bool {
    let (_, json) = server.get(&format!("/v1/funding?{query}"));
    let Some(rows) = read_with_python(&table(server, &format!("/v1/funding?format=csv&{query}")))
    else {
        return false;
    };
    let mut by_year: BTreeMap<(i128, String), [i128; 5]> = BTreeMap::new();
    let figures = ["planned", "allocated", "disbursed", "budget", "unspent"];
    for row in &rows {
        let sums = by_year
            .entry((integer(row, "fiscal_year"), row["source"].clone()))
            .or_default();
        for (sum, figure) in sums.iter_mut().zip(figures) {
            *sum += integer(row, figure);
        }
    }
    let expected: BTreeMap<(i128, String), [i128; 5]> = json["by_year"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                (
                    i128::from(row["fiscal_year"].as_i64().unwrap()),
                    row["source"].as_str().unwrap().to_owned(),
                ),
                figures.map(|figure| i128::from(row[figure].as_i64().unwrap())),
            )
        })
        .collect();
    assert_eq!(
        by_year, expected,
        "funding?{query}: one row per plan, year, source"
    );
    true
}

#[test]
fn python_reads_every_table_back_to_the_figures_of_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_new(&dir.path().join("acta.db"), &["--demo"]);
    // A plan whose texts need quoting, and one a spreadsheet would run as a formula.
    let mut plan = common::register("csv-quoting", None);
    plan["data"]["title"] = json!("Kế hoạch \"SXSH\", Đồng Nai;\nphần 2");
    plan["data"]["issuer"] = json!("=HYPERLINK(\"x\")");
    let (status, stored) = server.post("/v1/events", &plan);
    assert_eq!(status, 201, "{stored}");
    let (status, _) = server.post(
        "/v1/events",
        &common::funds("funds.disbursed", "csv-quoting", 2012, 5_000),
    );
    assert_eq!(status, 201);

    for query in [
        "",
        "as_of=2013-12-31",
        "plan=dn-sxsh",
        "known_at=2000-01-01",
    ] {
        if !check_funding(&server, query) {
            return;
        }
    }

    let (_, yearly) = server.get("/v1/summaries/yearly");
    let rows = read_with_python(&table(&server, "/v1/summaries/yearly?format=csv")).unwrap();
    let years = yearly["years"].as_array().unwrap();
    assert_eq!(rows.len(), years.len(), "one row per year");
    for (row, year) in rows.iter().zip(years) {
        let count = |key: &str| year[key].as_array().unwrap().len() as i128;
        let figure = |pointer: &str| i128::from(year.pointer(pointer).unwrap().as_i64().unwrap());
        assert_eq!(integer(row, "year"), figure("/year"));
        assert_eq!(integer(row, "decisions"), count("decisions"));
        assert_eq!(
            integer(row, "units_established"),
            count("units_established")
        );
        let approved: Vec<&str> = year["plans_approved"]
            .as_array()
            .unwrap()
            .iter()
            .map(|plan| plan.as_str().unwrap())
            .collect();
        assert_eq!(row["plans_approved"], approved.join(" "));
        for (column, pointer) in [
            ("training_events", "/training/events"),
            ("training_sessions", "/training/sessions"),
            ("training_participants", "/training/participants"),
            ("assessment_enterprises", "/assessments/enterprises"),
            ("staff_assigned", "/staff_assigned"),
            ("funding_planned", "/funding/planned"),
            ("funding_allocated", "/funding/allocated"),
            ("funding_disbursed", "/funding/disbursed"),
        ] {
            assert_eq!(integer(row, column), figure(pointer), "{column}");
        }
        for channel in [
            "radio", "tv", "bulletin", "booklet", "banner", "website", "workshop", "other",
        ] {
            let items = year["outreach"][channel].as_i64().unwrap_or(0);
            assert_eq!(integer(row, &format!("outreach_{channel}")), items.into());
        }
    }

    let (_, reconciliation) = server.get("/v1/reconciliation");
    let findings = reconciliation["findings"].as_array().unwrap();
    assert!(
        findings.len() >= 3,
        "the demo and the disbursement have findings"
    );
    let rows = read_with_python(&table(&server, "/v1/reconciliation?format=csv")).unwrap();
    assert_eq!(rows.len(), findings.len(), "one row per finding");
    for (row, finding) in rows.iter().zip(findings) {
        for column in [
            "kind",
            "severity",
            "plan",
            "year",
            "indicator",
            "expected",
            "actual",
            "difference",
            "event",
            "message",
        ] {
            assert_eq!(row[column], cell(&finding[column]), "{column} of {finding}");
        }
    }

    let (_, plans) = server.get("/v1/plans");
    let rows = read_with_python(&table(&server, "/v1/plans?format=csv")).unwrap();
    let plans = plans["plans"].as_array().unwrap();
    assert_eq!(rows.len(), plans.len(), "one row per plan");
    for (row, plan) in rows.iter().zip(plans) {
        for (column, pointer) in [
            ("plan", "/plan"),
            ("title", "/title"),
            ("code", "/code"),
            ("issuer", "/issuer"),
            ("kind", "/kind"),
            ("parent", "/parent"),
            ("from_year", "/period/from_year"),
            ("to_year", "/period/to_year"),
            ("status", "/status"),
            ("status_since", "/status_since"),
            ("version", "/version"),
        ] {
            let value = plan.pointer(pointer).unwrap();
            assert_eq!(row[column], cell(value), "{column} of {}", plan["plan"]);
        }
        let approval = &plan["approval"];
        let from_approval = |key: &str| approval.get(key).map_or(String::new(), cell);
        assert_eq!(row["approval_decision"], from_approval("decision"));
        assert_eq!(row["approved_by"], from_approval("approved_by"));
        assert_eq!(row["approved_on"], from_approval("on"));
    }
    let quoted = rows
        .iter()
        .find(|row| row["plan"] == "csv-quoting")
        .unwrap();
    assert_eq!(quoted["title"], "Kế hoạch \"SXSH\", Đồng Nai;\nphần 2");
    assert_eq!(quoted["issuer"], "'=HYPERLINK(\"x\")", "guarded as text");
    let one = read_with_python(&table(&server, "/v1/plans/dn-sxsh?format=csv")).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["plan"], "dn-sxsh");
}

#[test]
fn accept_text_csv_is_the_same_table_and_json_stays_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_new(&dir.path().join("acta.db"), &["--demo"]);
    let by_query = table(&server, "/v1/funding?format=csv&as_of=2014-12-31");
    let accepted = client()
        .get(server.url("/v1/funding?as_of=2014-12-31"))
        .bearer_auth(&server.token)
        .header("accept", "application/json;q=0.5, text/csv")
        .send()
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(accepted.bytes().unwrap().to_vec(), by_query);
    for accept in ["*/*", "application/json, text/csv", "text/html,*/*;q=0.8"] {
        let response = client()
            .get(server.url("/v1/summaries/yearly"))
            .bearer_auth(&server.token)
            .header("accept", accept)
            .send()
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/json");
    }
    let forced = client()
        .get(server.url("/v1/funding?format=json"))
        .bearer_auth(&server.token)
        .header("accept", "text/csv")
        .send()
        .unwrap();
    assert_eq!(forced.headers()["content-type"], "application/json");
    let (status, problem) = server.get("/v1/funding?format=xlsx");
    assert_eq!(status, 422);
    assert_eq!(common::fields(&problem), ["format"]);
}

#[test]
fn a_path_without_a_table_asked_for_csv_is_406_and_writes_nothing() {
    let server = Server::start();
    let head = server.head();
    let asked = |method: reqwest::Method, path: &str, accept: Option<&str>| {
        let mut request = client()
            .request(method, server.url(path))
            .bearer_auth(&server.token);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request
            .header("content-type", "application/json")
            .body(common::register("p", None).to_string())
            .send()
            .unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body: Value = response.json().unwrap();
        (status, body)
    };
    for (method, path, accept) in [
        (reqwest::Method::GET, "/v1/head", Some("text/csv")),
        (reqwest::Method::GET, "/v1/events?format=csv", None),
        (reqwest::Method::GET, "/v1/verify", Some("text/*")),
        (reqwest::Method::POST, "/v1/events", Some("text/csv")),
        (reqwest::Method::POST, "/v1/events?format=csv", None),
        (reqwest::Method::POST, "/v1/events/batch", Some("text/csv")),
    ] {
        let (status, problem) = asked(method.clone(), path, accept);
        assert_eq!(status, 406, "{method} {path}: {problem}");
        common::assert_problem_shape(status, &problem);
        assert_eq!(problem["type"], "urn:acta:problem:not-acceptable");
        assert!(
            problem["detail"].as_str().unwrap().contains("/v1/funding"),
            "{problem}"
        );
    }
    assert_eq!(server.head(), head, "nothing was written");
    // The token is checked first.
    let response = client()
        .get(server.url("/v1/head"))
        .header("accept", "text/csv")
        .send()
        .unwrap();
    assert_eq!(response.status(), 401);
}
