//! Concurrency and crashes against the real binary: concurrent clients get a gap-free `seq`, a
//! gap-free `version` per plan and an intact chain; a process killed mid-stream keeps every
//! event it answered `201` for, nothing half-written, and goes on appending.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use common::{Server, acta, client, funds, register};
use serde_json::{Value, json};

fn assert_gap_free(events: &[Value]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], index as u64 + 1, "seq runs 1..N");
    }
    let mut versions: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for event in events {
        versions
            .entry(event["plan"].as_str().unwrap().to_owned())
            .or_default()
            .push(event["version"].as_u64().unwrap());
    }
    for (plan, versions) in versions {
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, expected, "plan {plan}'s versions run 1..n");
    }
}

const CLIENTS: usize = 16;
const APPENDS_PER_CLIENT: usize = 200;

#[test]
fn sixteen_clients_appending_at_once_leave_no_gap() {
    let server = Server::start();
    let plans: Vec<String> = (0..4).map(|i| format!("plan-{i}")).collect();
    for plan in &plans {
        assert_eq!(server.post("/v1/events", &register(plan, None)).0, 201);
    }
    std::thread::scope(|scope| {
        for client_index in 0..CLIENTS {
            let server = &server;
            let plan = plans[client_index % plans.len()].clone();
            scope.spawn(move || {
                for i in 0..APPENDS_PER_CLIENT {
                    let event = funds("funds.planned", &plan, 2011 + (i % 5) as i64, 1 + i as i64);
                    let (status, body) = server.post("/v1/events", &event);
                    assert_eq!(status, 201, "{body}");
                }
            });
        }
    });
    let events = server.all_events();
    assert_eq!(events.len(), plans.len() + CLIENTS * APPENDS_PER_CLIENT);
    assert_gap_free(&events);
    let ids: BTreeSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "no duplicate");
    let recorded: Vec<&str> = events
        .iter()
        .map(|e| e["recorded_at"].as_str().unwrap())
        .collect();
    assert!(
        recorded.windows(2).all(|pair| pair[0] <= pair[1]),
        "recorded_at never decreases"
    );
    let (_, report) = server.get("/v1/verify");
    assert_eq!(report["ok"], true, "{report}");
}

#[test]
fn a_process_killed_mid_stream_keeps_every_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let mut server = Server::start_new(&db, &[]);
    let token = server.token.clone();
    assert_eq!(server.post("/v1/events", &register("p", None)).0, 201);
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let url = server.url("/v1/events");
            let token = token.clone();
            let acknowledged = Arc::clone(&acknowledged);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let client = client();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && i < 5_000 {
                    i += 1;
                    let id = ulid::Ulid::new().to_string();
                    let mut event = funds("funds.planned", "p", 2011 + (i % 5), 1000 * writer + i);
                    event["id"] = json!(id);
                    let sent = client
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(event.to_string())
                        .send();
                    match sent {
                        Ok(response) if response.status().as_u16() == 201 => {
                            acknowledged.lock().unwrap().push(id)
                        }
                        Ok(response) => panic!("unexpected {}", response.status()),
                        Err(_) => break, // the server died under us
                    }
                }
            })
        })
        .collect();
    // Let the stream run, then kill the server while requests are in flight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 300 {
        assert!(std::time::Instant::now() < deadline, "the writers stalled");
        assert!(
            !writers.iter().all(|writer| writer.is_finished()),
            "every writer stopped early"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let output = acta(&["verify", "--db", db.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let mut server = Server::start_on(&db, &[]);
    server.token = token.clone();
    let events = server.all_events();
    assert_gap_free(&events);
    let stored: BTreeSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for id in &acknowledged {
        assert!(
            stored.contains(id.as_str()),
            "event {id} got a 201 but is gone"
        );
    }
    // Nothing is half-there: every stored event reads back whole.
    for event in &events {
        assert!(event["data"].is_object() && event["hash"].as_str().unwrap().len() == 64);
    }
    // Appending goes on from where the log stands.
    let (status, next) = server.post("/v1/events", &funds("funds.planned", "p", 2015, 7));
    assert_eq!(status, 201);
    assert_eq!(next["seq"], events.len() as u64 + 1);
    let (_, report) = server.get("/v1/verify");
    assert_eq!(report["ok"], true);
}
