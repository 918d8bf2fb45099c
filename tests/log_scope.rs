//! `GET /v1/events?as_of&known_at&q` over the real server: the log at a point in time, as the
//! projections read it (corrections that move a date move the act; a correction is listed with
//! its target), and searched by document number and by words of a title, without case and
//! diacritics. `after` and `limit` page through a scoped log as through the whole one.

mod common;

use std::collections::BTreeSet;

use common::{Server, event, new_id, register};
use serde_json::{Value, json};

/// Every page of `path` (which has a `?`), followed by `next_after`.
fn all_pages(server: &Server, path: &str, limit: u32) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = 0u64;
    loop {
        let (status, page) = server.get(&format!("{path}&after={after}&limit={limit}"));
        assert_eq!(status, 200, "{page}");
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_after"].as_u64() {
            Some(next) => after = next,
            None => return events,
        }
    }
}

fn seqs(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|event| event["seq"].as_u64().unwrap())
        .collect()
}

fn demo() -> Server {
    Server::start_with(&["--demo"])
}

#[test]
fn the_log_as_of_a_date_lists_exactly_what_took_effect_by_then() {
    let server = demo();
    let everything = all_pages(&server, "/v1/events?", 1000);
    assert_eq!(everything.len(), 52, "the demo record");
    for as_of in ["2009-12-31", "2011-12-07", "2012-12-31", "2015-12-31"] {
        let expected: Vec<u64> = everything
            .iter()
            .filter(|event| event["occurred_on"].as_str().unwrap() <= as_of)
            .map(|event| event["seq"].as_u64().unwrap())
            .collect();
        let listed = all_pages(&server, &format!("/v1/events?as_of={as_of}"), 1000);
        assert_eq!(seqs(&listed), expected, "as_of={as_of}");
        // Paged two at a time, the same events.
        let paged = all_pages(&server, &format!("/v1/events?as_of={as_of}"), 2);
        assert_eq!(seqs(&paged), expected, "as_of={as_of}, two a page");
    }
    // At the end of 2012 no decision of 2013–2015 is listed, and those of 2011 are.
    let (_, page) = server.get("/v1/events?as_of=2012-12-31&type=decision.issued&limit=1000");
    let years: BTreeSet<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| &event["occurred_on"].as_str().unwrap()[..4])
        .collect();
    assert!(years.contains("2011"), "{years:?}");
    assert!(years.iter().all(|year| *year <= "2012"), "{years:?}");
    let (_, all_decisions) = server.get("/v1/events?type=decision.issued&limit=1000");
    assert!(
        all_decisions["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["occurred_on"].as_str().unwrap() >= "2013"),
        "the demo has later decisions, which the date leaves out"
    );
}

#[test]
fn known_at_lists_what_was_recorded_by_then_and_a_correction_moves_its_act() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let training = event(
        "training.held",
        "p",
        "2014-06-05",
        json!({"topic": "cleaner_production", "sessions": 1}),
    );
    let (status, act) = server.post("/v1/events", &training);
    assert_eq!(status, 201, "{act}");
    let before_correction = act["recorded_at"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let correction = event(
        "event.corrected",
        "p",
        "2026-01-02",
        json!({"target": act["id"], "reason": "held in 2012", "occurred_on": "2012-06-05"}),
    );
    let (status, corrected) = server.post("/v1/events", &correction);
    assert_eq!(status, 201, "{corrected}");

    // Known before the correction, the act is of 2014: not there at the end of 2012.
    let (_, page) = server.get(&format!(
        "/v1/events?as_of=2012-12-31&known_at={before_correction}"
    ));
    assert_eq!(seqs(page["events"].as_array().unwrap()), vec![1], "{page}");
    let (_, page) = server.get(&format!(
        "/v1/events?as_of=2014-12-31&known_at={before_correction}"
    ));
    assert_eq!(
        seqs(page["events"].as_array().unwrap()),
        vec![1, 2],
        "{page}"
    );
    // Known now, the correction moved it to 2012, and the correction is listed with it.
    let (_, page) = server.get("/v1/events?as_of=2012-12-31");
    assert_eq!(
        seqs(page["events"].as_array().unwrap()),
        vec![1, 2, 3],
        "{page}"
    );
    let (_, page) = server.get("/v1/events?as_of=2011-12-31");
    assert_eq!(seqs(page["events"].as_array().unwrap()), vec![1], "{page}");
    // known_at alone: what was recorded by then, whatever its date.
    let (_, page) = server.get(&format!("/v1/events?known_at={before_correction}"));
    assert_eq!(
        seqs(page["events"].as_array().unwrap()),
        vec![1, 2],
        "{page}"
    );
    let (_, page) = server.get("/v1/events?known_at=2000-01-01");
    assert_eq!(page["events"], json!([]), "{page}");
    assert_eq!(page["next_after"], Value::Null);
}

#[test]
fn a_search_finds_document_numbers_and_title_words_without_case_or_diacritics() {
    let server = demo();
    let found = |q: &str| -> Vec<Value> {
        let path = format!("/v1/events?q={}&limit=1000", urlencode(q));
        let (status, page) = server.get(&path);
        assert_eq!(status, 200, "{q}: {page}");
        page["events"].as_array().unwrap().clone()
    };
    let by_number = found("3269");
    assert!(
        by_number
            .iter()
            .any(|e| e["type"] == "decision.issued" && e["data"]["number"] == "3269/QĐ-UBND"),
        "{by_number:?}"
    );
    assert!(by_number.iter().all(|e| e.to_string().contains("3269")));
    // Words of a title, typed without diacritics or in capitals, find the same events.
    let plain = found("ke hoach san xuat sach hon");
    assert!(!plain.is_empty());
    assert!(plain.iter().any(|e| {
        e["data"]["title"]
            .as_str()
            .is_some_and(|title| title.contains("sản xuất sạch hơn"))
    }));
    assert_eq!(seqs(&found("KẾ HOẠCH SẢN XUẤT SẠCH HƠN")), seqs(&plain));
    assert_eq!(seqs(&found("Kế hoạch sản xuất sạch hơn")), seqs(&plain));
    // Every word must occur.
    assert_eq!(found("3269 khong-co-dau-ca"), Vec::<Value>::new());
    // With a date: the search within what took effect by then.
    let (_, page) = server.get("/v1/events?q=QD-UBND&as_of=2011-12-31&limit=1000");
    for event in page["events"].as_array().unwrap() {
        assert!(event["occurred_on"].as_str().unwrap() <= "2011-12-31");
    }
    assert!(!page["events"].as_array().unwrap().is_empty());
    // Paged one at a time, the same events.
    let paged = all_pages(&server, "/v1/events?q=3269", 1);
    assert_eq!(seqs(&paged), seqs(&by_number));
}

#[test]
fn a_bad_point_in_time_or_search_is_422_naming_the_parameter() {
    let server = demo();
    let head = server.head();
    let long = "x".repeat(501);
    let many = "a ".repeat(17);
    for (query, field) in [
        ("as_of=31/12/2012", "as_of"),
        ("as_of=2012-13-01", "as_of"),
        ("known_at=yesterday", "known_at"),
        ("q=%20%20", "q"),
        (&format!("q={long}") as &str, "q"),
        (&format!("q={}", urlencode(&many)), "q"),
    ] {
        let (status, problem) = server.get(&format!("/v1/events?{query}"));
        assert_eq!(status, 422, "{query}: {problem}");
        assert_eq!(common::fields(&problem), vec![field], "{query}: {problem}");
    }
    assert_eq!(server.head(), head, "nothing was written");
    // 500 characters is a search.
    let (status, page) = server.get(&format!("/v1/events?q={}", "x".repeat(500)));
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"], json!([]));
    // An id of our own is no part of any text: a search for it finds nothing.
    let (_, page) = server.get(&format!("/v1/events?q={}", new_id()));
    assert_eq!(page["events"], json!([]));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[test]
fn a_scoped_page_looks_through_at_most_its_limit_of_events_and_says_where_to_go_on() {
    const SCANNED_MAX: u64 = acta_events::store::scoped_reads::SCOPED_SCANNED_EVENTS_MAX;
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let outreach = |note: &str| {
        event(
            "outreach.delivered",
            "p",
            "2013-05-01",
            json!({"channel": "radio", "items": 1, "note": note}),
        )
    };
    // seq 2..=10000: ordinary notes; seq 10001, the one the search is for.
    let batch: Vec<Value> = (2..=SCANNED_MAX)
        .map(|i| outreach(&format!("buổi phát thanh {i}")))
        .collect();
    let (status, body) = server.post("/v1/events/batch", &json!({ "events": batch }));
    assert_eq!(status, 201, "{body}");
    let (status, last) = server.post("/v1/events", &outreach("Chương trình đặc biệt"));
    assert_eq!(status, 201, "{last}");
    assert_eq!(last["seq"], SCANNED_MAX + 1);

    // The first page reads 10,000 rows, finds nothing, and says where to go on.
    let (status, page) = server.get("/v1/events?q=dac%20biet&limit=10");
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["next_after"], SCANNED_MAX);
    // The next page finds it, and is the last.
    let (_, page) = server.get(&format!(
        "/v1/events?q=dac%20biet&limit=10&after={SCANNED_MAX}"
    ));
    assert_eq!(
        seqs(page["events"].as_array().unwrap()),
        vec![SCANNED_MAX + 1]
    );
    assert_eq!(page["next_after"], Value::Null);
    // A full page of a search ends at its last event, as any page does.
    let (_, page) = server.get("/v1/events?q=phat%20thanh&limit=5");
    assert_eq!(
        seqs(page["events"].as_array().unwrap()),
        vec![2, 3, 4, 5, 6]
    );
    assert_eq!(page["next_after"], 6);
    // A date that keeps only the first event: the first page looks through 10,000 events and
    // says where to go on; the next, through the rest, ends the log.
    let (_, page) = server.get("/v1/events?as_of=2012-12-31");
    assert_eq!(seqs(page["events"].as_array().unwrap()), vec![1]);
    assert_eq!(page["next_after"], SCANNED_MAX);
    let (_, page) = server.get(&format!("/v1/events?as_of=2012-12-31&after={SCANNED_MAX}"));
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["next_after"], Value::Null);
    // A full page at a date ends at its last event, as any page does.
    let (_, page) = server.get("/v1/events?as_of=2013-12-31&limit=3");
    assert_eq!(seqs(page["events"].as_array().unwrap()), vec![1, 2, 3]);
    assert_eq!(page["next_after"], 3);
    // Followed to the end, every page of a search together is what it finds.
    assert_eq!(
        all_pages(&server, "/v1/events?q=dac%20biet", 1000).len(),
        1,
        "one event, over two pages"
    );
}
