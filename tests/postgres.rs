//! acta on PostgreSQL: several `acta serve` instances on one database keep one gapless chain and
//! follow each other's writes; the database itself refuses to alter the log; an instance killed
//! under load loses nothing it acknowledged. Each test makes a database of its own on the server
//! `ACTA_TEST_POSTGRES` names (see `common::postgres`); without it the tests say they were
//! skipped, except in CI, where `.ci/run` starts one.

mod common;

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Server, client, funds, register};
use serde_json::Value;

/// Two instances on the database `db`, the first having made it, both with its admin token.
fn two_instances(db: &str) -> (Server, Server) {
    let first = Server::start_new(Path::new(db), &[]);
    let mut second = Server::start_on(Path::new(db), &[]);
    second.token = first.token.clone();
    (first, second)
}

/// Waits until `done` holds, for at most `patience`; the time it took.
/// A `201`'s body without its `warnings` (the desk's note on the act, not part of it): the
/// event as stored.
fn as_stored(body: &Value) -> Value {
    let mut event = body.clone();
    if let Some(fields) = event.as_object_mut() {
        fields.remove("warnings");
    }
    event
}

fn wait_until(patience: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < patience {
        if done() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn assert_gapless_and_verified(server: &Server, events: &[Value]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event["seq"],
            index as u64 + 1,
            "seq runs 1..N without a gap"
        );
        if index > 0 {
            assert_eq!(
                event["prev_hash"],
                events[index - 1]["hash"],
                "one linear chain"
            );
        }
    }
    let (status, report) = server.get("/v1/verify");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checked"], events.len(), "{report}");
}

#[test]
fn two_instances_write_one_gapless_chain_and_each_follows_the_other() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let (first, second) = two_instances(&db);
    const WRITERS_EACH: usize = 16;
    const APPENDS_EACH: i64 = 10;
    let acknowledged = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for writer in 0..2 * WRITERS_EACH {
            // Alternating: even writers through the first instance, odd through the second.
            let server = match writer % 2 {
                0 => &first,
                _ => &second,
            };
            let acknowledged = &acknowledged;
            scope.spawn(move || {
                let plan = format!("ke-hoach-{writer}");
                let (status, body) = server.post("/v1/events", &register(&plan, None));
                assert_eq!(status, 201, "{body}");
                acknowledged.lock().unwrap().push(body);
                for append in 0..APPENDS_EACH {
                    let amount = 1_000_000 * (writer as i64 + 1) + append;
                    let allocation = funds("funds.allocated", &plan, 2013, amount);
                    let (status, body) = server.post("/v1/events", &allocation);
                    assert_eq!(status, 201, "{body}");
                    acknowledged.lock().unwrap().push(body);
                }
            });
        }
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    let total = 2 * WRITERS_EACH * (APPENDS_EACH as usize + 1);
    assert_eq!(acknowledged.len(), total);

    let events = first.all_events();
    assert_eq!(
        events.len(),
        total,
        "every acknowledged event is stored, nothing else"
    );
    assert_gapless_and_verified(&first, &events);
    assert_gapless_and_verified(&second, &second.all_events());
    for body in &acknowledged {
        let seq = body["seq"].as_u64().unwrap() as usize;
        assert_eq!(
            &events[seq - 1],
            &as_stored(body),
            "a 201 answers what is stored"
        );
    }

    // Each instance's projections take in the other's writes.
    let expected_allocated: i64 = (0..2 * WRITERS_EACH as i64)
        .map(|writer| {
            (0..APPENDS_EACH)
                .map(|append| 1_000_000 * (writer + 1) + append)
                .sum::<i64>()
        })
        .sum();
    for path in ["/v1/funding", "/v1/summaries/yearly", "/v1/plans"] {
        let agreed = wait_until(Duration::from_secs(10), || {
            first.get(path) == second.get(path)
        });
        assert!(agreed.is_some(), "{path}: both instances answer alike");
    }
    let (_, funding) = second.get("/v1/funding");
    let allocated: i64 = funding["by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|source| source["allocated"].as_i64().unwrap())
        .sum();
    assert_eq!(allocated, expected_allocated, "{funding}");
}

#[test]
fn a_201_from_one_instance_is_read_from_the_other_within_the_follow_bound() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let (first, second) = two_instances(&db);
    let (status, body) = first.post("/v1/events", &register("theo-doi", None));
    assert_eq!(status, 201, "{body}");
    let mut delays = Vec::new();
    for append in 1..=20 {
        let (status, body) = first.post(
            "/v1/events",
            &funds("funds.allocated", "theo-doi", 2014, append),
        );
        assert_eq!(status, 201, "{body}");
        let seq = body["seq"].as_u64().unwrap();
        let seen = wait_until(Duration::from_secs(10), || {
            let (_, plan) = second.get("/v1/plans/theo-doi");
            plan["version"].as_u64() == Some(seq)
        });
        delays.push(seen.expect("the other instance follows within 10 s"));
    }
    delays.sort();
    eprintln!(
        "follow delay over 20 appends: median {:?}, max {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
}

#[test]
fn the_database_itself_refuses_to_change_the_log() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let server = Server::start_new(Path::new(&db), &[]);
    for body in [
        register("bat-bien", None),
        funds("funds.allocated", "bat-bien", 2012, 5),
    ] {
        let (status, answer) = server.post("/v1/events", &body);
        assert_eq!(status, 201, "{answer}");
    }
    let mut admin = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    for statement in [
        "UPDATE events SET actor = 'someone else'",
        "DELETE FROM events WHERE seq = 2",
        "TRUNCATE events",
        "UPDATE acta_head SET seq = 1",
        "DELETE FROM acta_head",
    ] {
        let refused = admin.batch_execute(statement);
        let error = refused.expect_err(statement);
        let message = error.as_db_error().map(|db| db.message().to_owned());
        assert!(
            message.as_deref().is_some_and(|message| {
                message.contains("append-only") || message.contains("only advances")
            }),
            "{statement}: {message:?}"
        );
    }
    let events = server.all_events();
    assert_eq!(events.len(), 2);
    assert_gapless_and_verified(&server, &events);
}

#[test]
fn an_instance_killed_under_load_loses_nothing_it_acknowledged() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let (mut first, second) = two_instances(&db);
    let (status, body) = first.post("/v1/events", &register("chiu-tai", None));
    assert_eq!(status, 201, "{body}");
    let acknowledged = Mutex::new(Vec::new());
    let base = first.base.clone();
    let token = first.token.clone();
    std::thread::scope(|scope| {
        for writer in 0..8 {
            let (acknowledged, base, token) = (&acknowledged, &base, &token);
            scope.spawn(move || {
                for append in 0.. {
                    let body = funds(
                        "funds.disbursed",
                        "chiu-tai",
                        2015,
                        writer * 10_000 + append,
                    );
                    let sent = client()
                        .post(format!("{base}/v1/events"))
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body(body.to_string())
                        .send();
                    match sent {
                        Ok(response) if response.status() == 201 => {
                            let stored: Value = response.json().unwrap();
                            acknowledged.lock().unwrap().push(stored);
                        }
                        // The instance is gone: what it had not answered may or may not be
                        // stored, but nothing it answered 201 may be lost.
                        _ => return,
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1500));
        first.kill();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        !acknowledged.is_empty(),
        "the writers got answers before the kill"
    );

    // The other instance goes on: it accepts appends and serves every acknowledged event.
    let (status, body) = second.post("/v1/events", &funds("funds.disbursed", "chiu-tai", 2015, 1));
    assert_eq!(status, 201, "{body}");
    let events = second.all_events();
    assert_gapless_and_verified(&second, &events);
    for stored in &acknowledged {
        let seq = stored["seq"].as_u64().unwrap() as usize;
        assert_eq!(
            &events[seq - 1],
            &as_stored(stored),
            "an acknowledged event is kept as answered"
        );
    }
    eprintln!(
        "{} appends acknowledged before SIGKILL; {} events stored",
        acknowledged.len(),
        events.len()
    );
}

#[test]
fn bad_input_on_postgres_changes_nothing_and_a_repeat_is_idempotent() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let server = Server::start_new(Path::new(&db), &[]);
    let (status, body) = server.post("/v1/events", &register("mot-lan", None));
    assert_eq!(status, 201, "{body}");
    let head = server.head();
    for (bad, expected) in [
        (register("mot-lan", None), 409),
        (funds("funds.allocated", "khong-co", 2013, 5), 422),
        (funds("funds.allocated", "mot-lan", 2030, 5), 422),
    ] {
        let (status, problem) = server.post("/v1/events", &bad);
        assert_eq!(status, expected, "{problem}");
        assert_eq!(server.head(), head, "a refusal stores nothing");
    }
    let mut repeat = funds("funds.allocated", "mot-lan", 2013, 7);
    repeat["id"] = common::new_id().into();
    let (status, stored) = server.post("/v1/events", &repeat);
    assert_eq!(status, 201, "{stored}");
    let (status, again) = server.post("/v1/events", &repeat);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, stored, "the repeat answers the stored event");
    assert_eq!(server.all_events().len(), 2);
}

#[test]
fn refused_requests_in_one_group_leave_no_row_and_the_rest_commit() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let server = Server::start_new(Path::new(&db), &[]);
    let (status, body) = server.post("/v1/events", &register("quyet-dinh", None));
    assert_eq!(status, 201, "{body}");
    // Sent at once, so that they share groups: funds (no savepoint), decisions whose numbers
    // are unique, and decisions that all take one number (each but the first refused after
    // the savepoint of its request).
    let answers = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for client in 0..24 {
            let (server, answers) = (&server, &answers);
            scope.spawn(move || {
                let body = match client % 3 {
                    0 => funds("funds.allocated", "quyet-dinh", 2013, client + 1),
                    1 => serde_json::json!({"type": "decision.issued", "plan": "quyet-dinh",
                        "occurred_on": "2013-03-01", "data": {"number": format!("{client}/QĐ-UBND"),
                        "issuer": "UBND tỉnh", "title": "Quyết định"}}),
                    _ => serde_json::json!({"type": "decision.issued", "plan": "quyet-dinh",
                        "occurred_on": "2013-03-01", "data": {"number": "999/QĐ-UBND",
                        "issuer": "UBND tỉnh", "title": "Quyết định trùng số"}}),
                };
                let answer = server.post("/v1/events", &body);
                answers.lock().unwrap().push((client % 3, answer));
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    let created = |kind: i64| {
        answers
            .iter()
            .filter(|(k, (status, _))| *k == kind && *status == 201)
            .count()
    };
    assert_eq!(created(0), 8, "every allocation is stored");
    assert_eq!(
        created(1),
        8,
        "every decision with a number of its own is stored"
    );
    assert_eq!(created(2), 1, "one number, one decision");
    for (_, (status, body)) in answers.iter().filter(|(kind, _)| *kind == 2) {
        assert!(*status == 201 || *status == 409, "{status} {body}");
    }
    let events = server.all_events();
    assert_eq!(
        events.len(),
        1 + 8 + 8 + 1,
        "nothing of a refused request is stored"
    );
    assert_gapless_and_verified(&server, &events);
}

/// A log longer than one read statement (50,000 rows) is read whole, in order, by every reader
/// that reads it all: the start of `serve` (its replay and the Merkle tree), `verify` and
/// `export`. At 5,000,000 events one statement outlived the statement timeout.
#[test]
fn a_log_longer_than_one_read_statement_is_read_whole() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.jsonl");
    let events = 120_000;
    let written = common::acta(&[
        "bench",
        "--events",
        &events.to_string(),
        "--write-workload",
        record.to_str().unwrap(),
    ]);
    assert!(written.status.success(), "{written:?}");
    let imported = common::acta(&["import", "--db", &db, record.to_str().unwrap()]);
    assert!(imported.status.success(), "{imported:?}");

    let verified = common::acta(&["verify", "--db", &db, "--json"]);
    assert!(verified.status.success(), "{verified:?}");
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["checked"], events, "{report}");
    assert_eq!(report["ok"], true, "{report}");

    let exported = common::acta(&["export", "--db", &db]);
    assert!(exported.status.success());
    let seqs: Vec<u64> = exported
        .stdout
        .split(|&byte| byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice::<Value>(line).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        seqs,
        (1..=events).collect::<Vec<u64>>(),
        "every event, in order"
    );

    let server = Server::start_new(Path::new(&db), &[]);
    assert_eq!(server.head()["seq"], events);
    // The tree is built after the server listens: `503 busy` until then.
    let built = wait_until(Duration::from_secs(120), || {
        let reply = server.send("GET", "/v1/checkpoint", Some(&server.token), None);
        assert!([200, 503].contains(&reply.status), "{:?}", reply.body);
        reply.status == 200
    });
    assert!(built.is_some(), "the Merkle tree is built");
    let (status, proof) = server.get(&format!("/v1/proof/inclusion?seq={events}&size={events}"));
    assert_eq!(status, 200, "the tree holds the last event: {proof}");
}
