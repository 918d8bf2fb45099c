//! Vietnamese and English by request (issue 19, point 3): the same refusal in either language
//! with the same codes, parameters and pointers; findings likewise; `acta report --lang`.

mod common;

use common::{Server, acta, client_in, event, funds, register};
use serde_json::{Value, json};

/// Sends `body` to `POST /v1/events` with `Accept-Language: language` (or none).
fn post_in(server: &Server, language: Option<&str>, body: &Value) -> (u16, String, Value) {
    let response = client_in(language)
        .post(server.url("/v1/events"))
        .bearer_auth(&server.token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .expect("POST answers");
    let status = response.status().as_u16();
    let language = response
        .headers()
        .get("content-language")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, language, response.json().expect("JSON"))
}

fn get_in(server: &Server, language: Option<&str>, path: &str) -> Value {
    let response = client_in(language)
        .get(server.url(path))
        .bearer_auth(&server.token)
        .send()
        .expect("GET answers");
    assert_eq!(response.status().as_u16(), 200);
    response.json().expect("JSON")
}

/// (field, code, params) of each entry of `errors`.
fn coded(problem: &Value) -> Vec<(String, String, Value)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| {
            (
                error["field"].as_str().unwrap().to_owned(),
                error["code"].as_str().unwrap().to_owned(),
                error["params"].clone(),
            )
        })
        .collect()
}

fn messages(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["message"].as_str().unwrap())
        .collect()
}

#[test]
fn the_same_bad_request_is_answered_in_vietnamese_and_in_english_with_the_same_codes() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let head = server.head();
    let bad = json!({"type": "funds.disbursed", "plan": "p", "occurred_on": "07/12/2011",
                     "data": {"fiscal_year": 2014, "source": "tỉnh", "amount": "587.000.000"}});
    let (status_default, language_default, default) = post_in(&server, None, &bad);
    let (status_vi, language_vi, vi) = post_in(&server, Some("vi-VN,vi;q=0.9"), &bad);
    let (status_en, language_en, en) = post_in(&server, Some("en-GB,en;q=0.8"), &bad);
    assert_eq!((status_default, status_vi, status_en), (422, 422, 422));
    assert_eq!(
        (
            language_default.as_str(),
            language_vi.as_str(),
            language_en.as_str()
        ),
        ("vi", "vi", "en")
    );
    // Vietnamese when nothing is asked.
    assert_eq!(default, vi);
    // The same fields, codes and parameters in either language.
    assert_eq!(coded(&vi), coded(&en));
    assert_eq!(
        coded(&en),
        [
            (
                "/occurred_on".to_owned(),
                "date-format-hint".to_owned(),
                json!({"hint": "2011-12-07", "value": "\"07/12/2011\""})
            ),
            (
                "/data/source".to_owned(),
                "not-one-of".to_owned(),
                json!({"expected": "\"central\", \"local\", \"other\"", "value": "\"tỉnh\""})
            ),
            (
                "/data/amount".to_owned(),
                "amount-not-integer".to_owned(),
                json!({"got": "string"})
            ),
        ]
    );
    assert_eq!(
        messages(&vi),
        [
            "ngày phải viết theo dạng YYYY-MM-DD: hãy viết 2011-12-07 thay cho \"07/12/2011\"",
            "phải là một trong các giá trị \"central\", \"local\", \"other\", nhưng nhận được \
             \"tỉnh\"",
            "phải là số tiền nguyên tính bằng đồng, nhưng nhận được một chuỗi ký tự",
        ]
    );
    assert_eq!(
        messages(&en),
        [
            "dates are written YYYY-MM-DD: write 2011-12-07, not \"07/12/2011\"",
            "must be one of \"central\", \"local\", \"other\", got \"tỉnh\"",
            "must be an integer number of đồng, got a string",
        ]
    );
    assert_eq!(
        vi["detail"],
        "/occurred_on: ngày phải viết theo dạng YYYY-MM-DD: hãy viết 2011-12-07 thay cho \
         \"07/12/2011\" (và 2 lỗi khác)"
    );
    assert_eq!(
        en["detail"],
        "/occurred_on: dates are written YYYY-MM-DD: write 2011-12-07, not \"07/12/2011\" \
         (and 2 more problems)"
    );
    // Refused in every language: nothing was stored.
    assert_eq!(server.head(), head);
}

#[test]
fn refusals_by_the_stored_record_and_of_query_parameters_are_in_the_language_asked() {
    let server = Server::start();
    let act = event(
        "outreach.delivered",
        "khong-co",
        "2015-03-01",
        json!({"channel": "radio", "items": 3}),
    );
    let (status, _, vi) = post_in(&server, Some("vi"), &act);
    let (_, _, en) = post_in(&server, Some("en"), &act);
    assert_eq!(status, 422);
    assert_eq!(coded(&vi), coded(&en));
    assert_eq!(coded(&vi)[0].1, "plan-not-registered-first");
    assert_eq!(
        messages(&vi),
        [
            "kế hoạch khong-co chưa được đăng ký: sự kiện đầu tiên của một kế hoạch phải là \
          plan.registered"
        ]
    );
    assert_eq!(
        messages(&en),
        ["plan khong-co is not registered: a plan's first event must be plan.registered"]
    );
    // A bad query parameter, and a body that is not JSON.
    let response = client_in(None)
        .get(server.url("/v1/funding?as_of=31/12/2012"))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let problem: Value = response.json().unwrap();
    assert_eq!(problem["errors"][0]["field"], "as_of");
    assert_eq!(problem["errors"][0]["code"], "date-format-hint");
    assert_eq!(problem["detail"], "tham số truy vấn as_of không hợp lệ");
    let response = client_in(Some("en"))
        .post(server.url("/v1/events"))
        .bearer_auth(&server.token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let problem: Value = response.json().unwrap();
    assert_eq!(problem["errors"][0]["code"], "json-syntax");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("the body is not valid JSON")
    );
}

#[test]
fn a_finding_is_told_in_both_languages_with_one_code() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    assert_eq!(
        server
            .post(
                "/v1/events",
                &funds("funds.disbursed", "p", 2014, 587_000_000)
            )
            .0,
        201
    );
    let vi = get_in(&server, None, "/v1/reconciliation");
    let en = get_in(&server, Some("en"), "/v1/reconciliation");
    let strip = |answer: &Value| {
        let mut answer = answer.clone();
        for finding in answer["findings"].as_array_mut().unwrap() {
            finding.as_object_mut().unwrap().remove("message");
        }
        answer
    };
    assert_eq!(strip(&vi), strip(&en));
    let finding = &vi["findings"][0];
    assert_eq!(finding["kind"], "disbursed_without_allocation");
    assert_eq!(finding["code"], "finding-disbursed_without_allocation");
    assert_eq!(
        finding["params"],
        json!({"plan": "p", "source": "local", "fiscal_year": 2014, "disbursed": 587000000})
    );
    assert_eq!(
        finding["message"],
        "Kế hoạch p đã giải ngân 587.000.000 ₫ từ ngân sách địa phương cho năm ngân sách 2014, \
         trong khi chưa có khoản phân bổ nào."
    );
    assert_eq!(
        en["findings"][0]["message"],
        "Plan p disbursed 587.000.000 ₫ of local funds for fiscal year 2014, where nothing was \
         allocated."
    );
    // A cached answer in one language is not served for the other.
    assert_eq!(get_in(&server, None, "/v1/reconciliation"), vi);
    assert_eq!(get_in(&server, Some("en"), "/v1/reconciliation"), en);

    // acta report --lang renders the same finding in the language asked, Vietnamese by default.
    let db = server.db.to_str().unwrap().to_owned();
    let report = |extra: &[&str]| {
        let mut args = vec!["report", "--db", db.as_str()];
        args.extend_from_slice(extra);
        let output = acta(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(report(&[]).contains("trong khi chưa có khoản phân bổ nào"));
    assert!(report(&["--lang", "vi"]).contains("trong khi chưa có khoản phân bổ nào"));
    let english = report(&["--lang", "en"]);
    assert!(english.contains("where nothing was allocated"), "{english}");
    let json: Value = serde_json::from_str(&report(&["--lang", "en", "--json"])).unwrap();
    assert_eq!(
        json["reconciliation"]["findings"][0]["message"],
        en["findings"][0]["message"]
    );
    let html = report(&["--lang", "en", "--format", "html"]);
    assert!(html.contains("where nothing was allocated"));
    let refused = acta(&["report", "--db", &db, "--lang", "fr"]);
    assert!(!refused.status.success());
}

#[test]
fn the_api_reference_lists_every_message_code() {
    let document: Value =
        serde_json::from_str(include_str!("../docs/openapi.json")).expect("openapi.json");
    let listed: Vec<&str> = document["components"]["schemas"]["MessageCode"]["enum"]
        .as_array()
        .expect("MessageCode's enum")
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    // The labels of the report and the statement (`st-…`) are no message of the API.
    let api_codes: Vec<_> = acta_messages::codes::ALL
        .iter()
        .filter(|code| !code.id.starts_with("st-"))
        .collect();
    let codes: Vec<&str> = api_codes.iter().map(|code| code.id).collect();
    assert_eq!(listed, codes);
    let reference = include_str!("../docs/API.md");
    for code in api_codes {
        assert!(
            reference.contains(&format!("`{}`", code.id)),
            "docs/API.md does not list {}",
            code.id
        );
    }
}

#[test]
fn the_statement_and_the_text_report_are_in_the_language_asked() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let statement = |language: Option<&str>| {
        let response = client_in(language)
            .get(server.url("/v1/statement?as_of=2015-12-31"))
            .bearer_auth(&server.token)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.text().unwrap()
    };
    let vietnamese = statement(None);
    assert!(vietnamese.contains("<html lang=\"vi\">"));
    assert!(
        vietnamese.contains("Tình trạng tại ngày <span lang=\"en\" class=\"en\">(As of)</span>")
    );
    assert!(vietnamese.contains("<dd>31/12/2015</dd>"));
    assert!(vietnamese.contains("Không có phát hiện nào."));
    let english = statement(Some("en"));
    assert!(english.contains("<html lang=\"en\">"));
    assert!(
        english.contains("<dt>As of</dt><dd>2015-12-31</dd>"),
        "{english}"
    );
    assert!(english.contains("No findings."));
    assert!(!english.contains("Tình trạng tại ngày"));

    let db = server.db.to_str().unwrap().to_owned();
    let text = |lang: &str| {
        let output = acta(&[
            "report",
            "--db",
            &db,
            "--lang",
            lang,
            "--as-of",
            "2015-12-31",
        ]);
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let vi = text("vi");
    assert!(vi.starts_with("BÁO CÁO TẠI MỘT THỜI ĐIỂM (DATED STATEMENT)\n"));
    assert!(vi.contains("  Tình trạng tại ngày (As of): 31/12/2015\n"));
    assert!(vi.contains("\n1. Tình trạng kế hoạch\n"));
    let en = text("en");
    assert!(en.starts_with("DATED STATEMENT\n"), "{en}");
    assert!(en.contains("  As of: 2015-12-31\n"));
    assert!(en.contains("\n1. Plan status\n"));
    assert!(!en.contains("Tình trạng"));
}
