//! Idempotency by `id`: a repeat is answered as first stored and stores nothing; the same id
//! with other content is a conflict; a retried batch stores only what is new.

mod common;

use common::{Server, funds, new_id, register};
use serde_json::json;

#[test]
fn the_same_id_twice_stores_one_event() {
    let server = Server::start();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let mut event = funds("funds.allocated", "p", 2012, 90_000_000);
    event["id"] = json!(new_id());
    event["evidence"] = json!({"document": "Báo cáo", "locator": "mục 4"});
    let (first_status, first) = server.post("/v1/events", &event);
    assert_eq!(first_status, 201);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let (second_status, second) = server.post("/v1/events", &event);
    assert_eq!(second_status, 200);
    assert_eq!(
        second, first,
        "answered as first stored, same seq and recorded_at"
    );
    assert_eq!(server.head()["seq"], 2);

    // A repeat is recognised before expected_version is checked.
    let mut versioned = funds("funds.allocated", "p", 2013, 1);
    versioned["id"] = json!(new_id());
    versioned["expected_version"] = json!(2);
    assert_eq!(server.post("/v1/events", &versioned).0, 201);
    assert_eq!(server.post("/v1/events", &versioned).0, 200);

    // Same id, other content.
    let mut changed = event.clone();
    changed["data"]["amount"] = json!(91_000_000);
    let (status, problem) = server.post("/v1/events", &changed);
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "/id");
    let mut other_evidence = event.clone();
    other_evidence["evidence"]["locator"] = json!("mục 5");
    assert_eq!(server.post("/v1/events", &other_evidence).0, 409);
    assert_eq!(server.head()["seq"], 3);
}

#[test]
fn a_retried_batch_stores_nothing_twice() {
    let server = Server::start();
    let mut events = vec![register("p", None)];
    for year in 2011..=2015 {
        events.push(funds("funds.planned", "p", year, 100 * year));
    }
    for event in &mut events {
        event["id"] = json!(new_id());
    }
    let (status, first) = server.post("/v1/events/batch", &json!({"events": events[..4]}));
    assert_eq!(status, 201, "{first}");
    // The retry carries the first four again and two new ones.
    let (status, second) = server.post("/v1/events/batch", &json!({"events": events}));
    assert_eq!(status, 201);
    assert_eq!(
        second["events"].as_array().unwrap()[..4],
        first["events"].as_array().unwrap()[..]
    );
    assert_eq!(server.head()["seq"], 6);
    // Nothing new at all: 200.
    let (status, third) = server.post("/v1/events/batch", &json!({"events": events}));
    assert_eq!(status, 200);
    assert_eq!(third, second);
    assert_eq!(server.head()["seq"], 6);
    // Versions run 1..n in the plan's stream.
    let (_, page) = server.get("/v1/events?plan=p");
    let versions: Vec<u64> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_batch_is_all_or_nothing_and_may_register_then_act() {
    let server = Server::start();
    let batch = json!({"events": [register("p", None), funds("funds.planned", "p", 2012, 5),
                                  funds("funds.planned", "p", 2020, 5)]});
    let (status, problem) = server.post("/v1/events/batch", &batch);
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "/events/2/data/fiscal_year");
    assert_eq!(
        server.head()["seq"],
        0,
        "nothing of a refused batch is stored"
    );
    let batch = json!({"events": [register("p", None), funds("funds.planned", "p", 2012, 5)]});
    assert_eq!(server.post("/v1/events/batch", &batch).0, 201);
    assert_eq!(server.head()["seq"], 2);
}

#[test]
fn pages_follow_seq_and_say_where_to_go_on() {
    let server = Server::start();
    let mut events = vec![register("p", None)];
    events.extend((0..4).map(|i| funds("funds.planned", "p", 2011 + i, 10)));
    assert_eq!(
        server
            .post("/v1/events/batch", &json!({"events": events}))
            .0,
        201
    );
    let (_, page) = server.get("/v1/events?limit=2");
    assert_eq!(page["next_after"], 2);
    let (_, page) = server.get("/v1/events?after=2&limit=2");
    assert_eq!(page["events"][0]["seq"], 3);
    assert_eq!(page["next_after"], 4);
    let (_, page) = server.get("/v1/events?after=4&limit=2");
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_after"], serde_json::Value::Null);
    let (_, page) = server.get("/v1/events?type=plan.registered");
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let id = page["events"][0]["id"].as_str().unwrap().to_owned();
    let (status, one) = server.get(&format!("/v1/events/{id}"));
    assert_eq!((status, &one), (200, &page["events"][0]));
}
