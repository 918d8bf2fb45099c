//! `acta report`'s dated statement (issue 19, point 4): the header of the text, the one
//! self-contained HTML file of `--format html`, and a closed pipe that ends the report quietly.
//! The same HTML is `GET /v1/statement`'s; the page prints it (web/tests, step 10), and
//! `.ci/browser-tests` prints this file to PDF with Chromium and reads it back with pdftotext.

mod common;

use std::process::{Command, Stdio};

use common::{BINARY, Server, acta, client_in};
use serde_json::Value;

/// A database holding the Đồng Nai demo, loaded by `acta import`.
fn demo_database(dir: &std::path::Path) -> String {
    let db = dir.join("acta.db").to_str().unwrap().to_owned();
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo/dong-nai-2009-2015.jsonl"
    );
    let imported = acta(&["import", "--db", &db, demo]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    db
}

fn head_of(db: &str) -> (u64, String) {
    let verified = acta(&["verify", "--db", db, "--json"]);
    let answer: Value = serde_json::from_slice(&verified.stdout).expect("verify --json");
    (
        answer["head"]["seq"].as_u64().unwrap(),
        answer["head"]["hash"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn the_html_statement_names_the_dates_the_head_and_the_totals_in_figures_and_words() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_database(dir.path());
    let (seq, hash) = head_of(&db);
    let file = dir.path().join("statement.html");
    let written = acta(&[
        "report",
        "--db",
        &db,
        "--as-of",
        "2013-12-31",
        "--known-at",
        "2100-01-01T00:00:00Z",
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    assert!(written.stdout.is_empty(), "-o writes nothing to stdout");
    let html = std::fs::read_to_string(&file).unwrap();
    for expected in [
        "<!doctype html>",
        "<html lang=\"vi\">",
        "<style>",
        &format!("seq <span data-field=\"head-seq\">{seq}</span>"),
        &hash,
        "31/12/2013",
        "01/01/2100 00:00:00 UTC",
        "Chiến lược sản xuất sạch hơn trong công nghiệp đến năm 2020",
        // 2011 central 90 M + 2013 local 79 M allocated by the end of 2013.
        "169.000.000 ₫",
        "Một trăm sáu mươi chín triệu đồng",
        "1. Tình trạng kế hoạch",
        "4. Đối chiếu",
    ] {
        assert!(html.contains(expected), "the statement holds {expected:?}");
    }
    for absent in [
        "<script", "<button", "<input", "<link", "src=", "http://", "https://",
    ] {
        assert!(
            !html.contains(absent),
            "self-contained and without controls: {absent:?}"
        );
    }

    // The whole record: every finding of the demo, the grand total in words.
    let whole = acta(&["report", "--db", &db, "--format", "html"]);
    let html = String::from_utf8(whole.stdout).unwrap();
    assert!(html.contains("1.276.000.000 ₫"));
    assert!(html.contains("Một tỷ hai trăm bảy mươi sáu triệu đồng"));
    assert!(html.contains("words_mismatch") && html.contains("breakdown_mismatch"));
    assert!(html.contains("mọi ngày (không giới hạn ngày)"));
}

#[test]
fn the_text_report_opens_with_the_same_header() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_database(dir.path());
    let (seq, hash) = head_of(&db);
    let text = acta(&["report", "--db", &db, "--as-of", "2013-12-31"]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    let header: Vec<&str> = text.lines().take(7).collect();
    assert_eq!(header[0], "BÁO CÁO TẠI MỘT THỜI ĐIỂM (DATED STATEMENT)");
    assert!(
        header[1].starts_with("  Chương trình (Programme): Chiến lược"),
        "{header:?}"
    );
    assert_eq!(header[2], "  Tình trạng tại ngày (As of): 31/12/2013");
    assert_eq!(
        header[3],
        "  Theo hồ sơ ghi nhận lúc (As known at): hiện tại (toàn bộ hồ sơ)"
    );
    assert_eq!(
        header[4],
        format!("  Đầu chuỗi băm (Chain head): seq {seq}, hash {hash}")
    );
    assert!(header[5].starts_with("  Lập lúc (Produced at): ") && header[5].ends_with(" UTC"));
    assert!(
        text.contains("\n1. Tình trạng kế hoạch\n"),
        "the tables follow, in Vietnamese"
    );
}

// See: issue 19, point 8 — `acta report --json | head -1` panicked (exit 101).
#[test]
fn a_report_whose_reader_has_gone_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_database(dir.path());
    for format in ["json", "text", "html"] {
        let mut child = Command::new(BINARY)
            .args(["report", "--db", &db, "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes before the report is written (`head -1` goes after one line; here
        // the whole report meets a closed pipe, whatever its size).
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert!(
            output.status.success(),
            "{format}: {:?} {stderr}",
            output.status
        );
    }
}

#[test]
fn get_statement_answers_the_same_document_for_the_page() {
    let server = Server::start();
    let (status, head) = server.get("/v1/head");
    assert_eq!(status, 200);
    // As the page asks for it in Vietnamese (the test client asks for English by default).
    let response = client_in(Some("vi"))
        .get(server.url("/v1/statement?as_of=2013-12-31"))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().unwrap();
    assert!(
        html.contains("<article class=\"statement\""),
        "the article the page prints"
    );
    assert!(html.contains("31/12/2013"));
    assert!(
        html.contains(head["hash"].as_str().unwrap()),
        "the head's hash"
    );
    let (status, problem) = server.get("/v1/statement?as_of=31/12/2013");
    assert_eq!(status, 422, "{problem}");
    let (status, problem) = server.get("/v1/statement?plan=nowhere");
    assert_eq!(status, 404, "{problem}");
}
