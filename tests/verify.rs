//! `GET /v1/verify` on a large log, against the real binary: callers that hang up cost nothing
//! once they are gone, the log's other reads go on meanwhile, and SIGTERM does not wait for a
//! verification (issue 17, point 3).

mod common;

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, acta, client};
use serde_json::{Value, json};

/// Events imported before the server starts: this keeps a debug build's test within a minute.
/// The issue measured 300,000 with the release binary: `ACTA_VERIFY_IMPORTED=300000 cargo test
/// --release --test verify -- --nocapture` (docs/DESIGN.md has the figures).
const IMPORTED_DEFAULT: usize = 50_000;
/// Events appended over HTTP after the start, in batches: what the verification triggered by
/// the hung-up callers has to check.
const APPENDED: usize = 20_000;
/// One more batch, appended before SIGTERM, so that a verification runs when it comes.
const APPENDED_BEFORE_STOP: usize = 10_000;
const HUNG_UP_CALLERS: usize = 600;
/// When the callers hang up: soon enough that the verification they started still runs when
/// the log's other reads are timed.
const HANG_UP_AFTER: Duration = Duration::from_millis(200);

/// Writes the bench's workload of `count` events and splits it: the first `imported` lines to
/// one file, the rest returned as request bodies.
fn workload(dir: &Path, count: usize, imported: usize) -> (std::path::PathBuf, Vec<Value>) {
    let whole = dir.join("workload.jsonl");
    let output = acta(&[
        "bench",
        "--write-workload",
        whole.to_str().unwrap(),
        "--events",
        &count.to_string(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let lines = BufReader::new(std::fs::File::open(&whole).unwrap()).lines();
    let first = dir.join("first.jsonl");
    let mut first_file = BufWriter::new(std::fs::File::create(&first).unwrap());
    let mut rest = Vec::new();
    for (index, line) in lines.enumerate() {
        let line = line.unwrap();
        if index < imported {
            writeln!(first_file, "{line}").unwrap();
        } else {
            rest.push(serde_json::from_str(&line).unwrap());
        }
    }
    first_file.flush().unwrap();
    (first, rest)
}

fn append_in_batches(server: &Server, events: &[Value]) {
    for batch in events.chunks(acta_events::BATCH_EVENTS_MAX) {
        let (status, body) = server.post("/v1/events/batch", &json!({ "events": batch }));
        assert_eq!(status, 201, "{body}");
    }
}

/// Asks for `path` and says how long the answer took.
fn timed_get(server: &Server, path: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = server.get(path);
    (status, body, started.elapsed())
}

#[test]
fn hung_up_verifications_leave_the_log_readable_and_shutdown_prompt() {
    let imported = std::env::var("ACTA_VERIFY_IMPORTED")
        .map(|text| {
            text.parse()
                .expect("ACTA_VERIFY_IMPORTED is a number of events")
        })
        .unwrap_or(IMPORTED_DEFAULT);
    let dir = tempfile::tempdir().unwrap();
    let (first, rest) = workload(
        dir.path(),
        imported + APPENDED + APPENDED_BEFORE_STOP,
        imported,
    );
    let db = dir.path().join("acta.db");
    let output = acta(&[
        "import",
        "--db",
        db.to_str().unwrap(),
        first.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let mut server =
        Server::start_logging(&db, &[], "acta::verifier=info,acta=warn").with_first_admin_token();
    // The head moves past the verification serve ran at start: the next one has the new
    // events to check.
    append_in_batches(&server, &rest[..APPENDED]);
    let total = (imported + APPENDED) as u64;

    // Every caller asks, then hangs up.
    let request = format!(
        "GET /v1/verify HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
        server.address(),
        server.token
    );
    // Meanwhile, the head is read again and again: its slowest answer is kept.
    let polling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let poller = {
        let (url, token, polling) = (
            server.url("/v1/head"),
            server.token.clone(),
            polling.clone(),
        );
        std::thread::spawn(move || {
            let mut slowest = Duration::ZERO;
            let mut answers = 0;
            while polling.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let status = client()
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .unwrap()
                    .status();
                assert_eq!(status, 200);
                slowest = slowest.max(started.elapsed());
                answers += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            (slowest, answers)
        })
    };
    let asked = Instant::now();
    let mut callers = Vec::with_capacity(HUNG_UP_CALLERS);
    for _ in 0..HUNG_UP_CALLERS {
        let mut stream = TcpStream::connect(server.address()).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        callers.push(stream);
    }
    let connected = asked.elapsed();
    std::thread::sleep(HANG_UP_AFTER.saturating_sub(connected));
    drop(callers);

    let (status, head, head_took) = timed_get(&server, "/v1/head");
    assert_eq!((status, head["seq"].as_u64()), (200, Some(total)), "{head}");
    let (status, _, page_took) = timed_get(&server, "/v1/events?limit=100");
    assert_eq!(status, 200);
    let (status, report, verify_took) = timed_get(&server, "/v1/verify");
    polling.store(false, std::sync::atomic::Ordering::Relaxed);
    let (slowest_head, heads) = poller.join().unwrap();
    eprintln!(
        "{HUNG_UP_CALLERS} callers asked within {connected:?} and hung up; meanwhile the slowest \
         of {heads} /v1/head took {slowest_head:?}; then on {total} events: /v1/head \
         {head_took:?}, /v1/events {page_took:?}, a genuine /v1/verify {verify_took:?}"
    );
    // Generous bounds for a loaded machine: each answered in milliseconds when measured.
    assert!(slowest_head < Duration::from_secs(5), "{slowest_head:?}");
    assert!(head_took < Duration::from_secs(5), "{head_took:?}");
    assert!(page_took < Duration::from_secs(5), "{page_took:?}");
    assert_eq!(status, 200);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checked"], total, "{report}");
    assert_eq!(report["head"]["hash"], head["hash"], "{report}");

    // A verification is running when SIGTERM comes: its caller is told the service is going,
    // and the process exits without waiting for the verification to end.
    append_in_batches(&server, &rest[APPENDED..]);
    let url = server.url("/v1/verify");
    let token = server.token.clone();
    let waiting = std::thread::spawn(move || {
        client()
            .get(url)
            .bearer_auth(token)
            .send()
            .map(|response| response.status().as_u16())
    });
    std::thread::sleep(Duration::from_millis(300));
    let exited = server.terminate(Duration::from_secs(30));
    eprintln!("SIGTERM during a verification: exited after {exited:?}");
    for line in server.stderr_lines(Duration::from_millis(100)) {
        eprintln!("acta said: {line}");
    }
    let exit_took = exited.expect("acta exits on SIGTERM");
    assert!(exit_took < Duration::from_secs(5), "{exit_took:?}");
    match waiting.join().unwrap() {
        Ok(status) => assert_eq!(status, 503, "the waiting caller is told the service stops"),
        Err(error) => eprintln!("the waiting caller's connection closed: {error}"),
    }
}
