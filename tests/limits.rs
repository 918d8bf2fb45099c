//! Slow, many and non-reading clients (DESIGN.md, "What bounds memory under load?"): the real
//! binary over real sockets, with short timeouts set by its flags so that each test is quick.
//! Every loop here is bounded in count and in time, and every socket goes to 127.0.0.1.
//!
//! The tests open up to 2,100 sockets at once, and the server as many: both need an open-file
//! limit above that (`ulimit -n`; CI runs as root with 20,000). [`needs_open_files`] checks it
//! and says so instead of failing obscurely.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Server, acta, funds, register};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over a socket
// ---------------------------------------------------------------------------------------------

/// A request's head; with `body_length`, a JSON body of that many bytes follows.
fn request_head(method: &str, path: &str, token: &str, body_length: Option<usize>) -> String {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n");
    if let Some(length) = body_length {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {length}\r\n"
        ));
    }
    head.push_str("\r\n");
    head
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

/// A client that reads nothing, with a 4 KiB receive buffer: what the server sends it beyond
/// that stays on the server's side.
fn connect_non_reader(address: SocketAddr) -> TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    socket.connect(&address.into()).expect("the server accepts");
    socket.into()
}

/// An answer read whole.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// A `status` problem+json with `type` and, for 429 and 503, a `Retry-After`.
    fn assert_problem(&self, status: u16, problem_type: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        common::assert_problem_shape(status, &body);
        assert_eq!(body["type"], problem_type, "{body}");
        if status == 429 || status == 503 {
            let retry_after: u64 = self
                .header("retry-after")
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("{status} without Retry-After: {self:?}"));
            assert!(retry_after >= 1);
        }
    }
}

/// Reads one answer (head, then `Content-Length` bytes of body).
fn read_answer(stream: &mut TcpStream) -> io::Result<Answer> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("closed after {} bytes", received.len()),
            ));
        }
        received.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = received[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("body closed after {} of {length} bytes", body.len()),
            ));
        }
        body.extend_from_slice(&buffer[..read]);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Sends a request on a new connection and reads its answer.
fn exchange(address: SocketAddr, head: &str, body: &[u8]) -> Answer {
    let mut stream = connect(address);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_answer(&mut stream).expect("an answer")
}

/// The status the server has sent on `stream` by `deadline`, seen without reading it (the
/// client stays a non-reader); `None` if nothing came or the connection closed.
fn peek_status(stream: &TcpStream, deadline: Instant) -> Option<u16> {
    let mut line = [0u8; 12];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.peek(&mut line) {
            Ok(12) => return std::str::from_utf8(&line[9..12]).ok()?.parse().ok(),
            Ok(0) | Err(_) => return None,
            Ok(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Whether the server has closed `stream` by `deadline`: a read comes to its end, or to a
/// reset. Whatever was sent before is read and dropped.
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                ) =>
            {
                return true;
            }
            Err(_) => return false,
        }
    }
}

/// Fails clearly when this process may not open `files` sockets.
fn needs_open_files(files: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line["Max open files".len()..].split_whitespace().next())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(soft) = soft {
        assert!(
            soft >= files,
            "this test opens about {files} sockets but the open-file limit is {soft}: run it \
             after `ulimit -n {files}` (or more)"
        );
    }
}

/// A new auditor token named `name`, made with the server's admin token.
fn auditor(server: &Server, name: &str) -> String {
    let (status, made) = server.post("/v1/tokens", &json!({"name": name, "role": "auditor"}));
    assert_eq!(status, 201, "{made}");
    made["token"].as_str().unwrap().to_owned()
}

/// A plan with one disbursement, appended through the ordinary client.
fn record_a_plan(server: &Server, plan: &str) {
    let (status, body) = server.post("/v1/events", &register(plan, None));
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post("/v1/events", &funds("funds.disbursed", plan, 2014, 5000));
    assert_eq!(status, 201, "{body}");
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ---------------------------------------------------------------------------------------------
// A record large enough that its time-travel yearly summary is a large answer
// ---------------------------------------------------------------------------------------------

/// Events in the generated record: its yearly summary `?as_of=2024-12-31&known_at=…` is about
/// 210 KB, and a debug build renders it in tens of milliseconds.
const RECORD_EVENTS: &str = "30000";

/// The time-travel query the non-readers ask.
const YEARLY_THEN: &str = "/v1/summaries/yearly?as_of=2024-12-31&known_at=2030-01-01";

/// A copy of a database holding the generated record (generated and imported once for this
/// test binary), in its own directory: each test's server writes its own.
fn big_record() -> (tempfile::TempDir, PathBuf) {
    static RECORD: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, original) = RECORD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let workload = dir.path().join("workload.jsonl");
        let db = dir.path().join("record.db");
        let generated = acta(&[
            "bench",
            "--write-workload",
            workload.to_str().unwrap(),
            "--events",
            RECORD_EVENTS,
        ]);
        assert!(generated.status.success(), "{generated:?}");
        let imported = acta(&[
            "import",
            "--db",
            db.to_str().unwrap(),
            workload.to_str().unwrap(),
        ]);
        assert!(imported.status.success(), "{imported:?}");
        (dir, db)
    });
    let copy = tempfile::tempdir().unwrap();
    let db = copy.path().join("acta.db");
    for suffix in ["", "-wal"] {
        let from = PathBuf::from(format!("{}{suffix}", original.display()));
        if from.exists() {
            std::fs::copy(&from, format!("{}{suffix}", db.display())).unwrap();
        }
    }
    (copy, db)
}

/// Starts on a copy of the big record with `extra` flags.
fn start_on_big_record(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let (dir, db) = big_record();
    let server = Server::start_new(&db, extra);
    (server, dir)
}

/// Sends the time-travel request on a non-reading connection.
fn ask_and_never_read(address: SocketAddr, token: &str) -> TcpStream {
    let mut stream = connect_non_reader(address);
    stream
        .write_all(request_head("GET", YEARLY_THEN, token, None).as_bytes())
        .unwrap();
    stream
}

/// As [`ask_and_never_read`], asking again (for at most 10 s) while the token's heavy reads are
/// all held (`429`); the connection answered `200`, and when it was asked.
fn ask_and_never_read_once_admitted(address: SocketAddr, token: &str) -> (TcpStream, Instant) {
    let patience = Instant::now() + Duration::from_secs(10);
    loop {
        let stream = ask_and_never_read(address, token);
        let asked = Instant::now();
        match peek_status(&stream, asked + Duration::from_secs(60)) {
            Some(200) => return (stream, asked),
            Some(429) if Instant::now() < patience => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => panic!("a heavy read of an idle token answered {other:?}"),
        }
    }
}

fn size_of_yearly_then(server: &Server, token: &str) -> usize {
    let answer = exchange(
        server.address(),
        &request_head("GET", YEARLY_THEN, token, None),
        b"",
    );
    assert_eq!(answer.status, 200);
    answer.body.len()
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("acta.db")
}

// ---------------------------------------------------------------------------------------------
// (a) Clients that send nothing, or a body one byte at a time
// ---------------------------------------------------------------------------------------------

const SILENT_CLIENTS: usize = 1000;
const TRICKLING_CLIENTS: usize = 50;
/// Declared length of each trickled body: more than it can send before it is cut off.
const TRICKLED_BODY_BYTES: usize = 600;

#[test]
fn silent_and_trickling_clients_are_closed_while_an_ordinary_client_is_served() {
    needs_open_files(1200);
    let server = Server::start_with(&[
        "--idle-timeout-secs",
        "2",
        "--header-timeout-secs",
        "3",
        "--body-timeout-secs",
        "2",
        "--max-connections",
        "1200",
    ]);
    let address = server.address();
    let opened = Instant::now();
    let mut silent: Vec<TcpStream> = (0..SILENT_CLIENTS).map(|_| connect(address)).collect();
    let mut trickling: Vec<TcpStream> = (0..TRICKLING_CLIENTS)
        .map(|_| {
            let mut stream = connect(address);
            let head = request_head(
                "POST",
                "/v1/events",
                &server.token,
                Some(TRICKLED_BODY_BYTES),
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream
        })
        .collect();
    // One byte per client every 200 ms, for at most 8 s: 5 bytes a second, far below the
    // minimum rate. A client whose connection is gone stops.
    let writers: Vec<TcpStream> = trickling.iter().map(|s| s.try_clone().unwrap()).collect();
    let trickler = std::thread::spawn(move || {
        let mut writers: Vec<Option<TcpStream>> = writers.into_iter().map(Some).collect();
        for _ in 0..40 {
            for slot in &mut writers {
                if let Some(stream) = slot
                    && stream.write_all(b" ").is_err()
                {
                    *slot = None;
                }
            }
            if writers.iter().all(Option::is_none) {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });

    // Meanwhile, an ordinary client records and reads.
    record_a_plan(&server, "dn-sxsh-2015");
    let (status, funding) = server.get("/v1/funding?plan=dn-sxsh-2015");
    assert_eq!(status, 200, "{funding}");
    assert_eq!(funding["totals"]["disbursed"], 5000, "{funding}");
    assert_eq!(server.head()["seq"], 2);
    let served_after = opened.elapsed();

    // Silent connections are closed after the idle timeout (2 s), well within 15 s of opening.
    let deadline = opened + Duration::from_secs(15);
    let mut still_open = 0;
    for stream in &mut silent {
        if !closed_by(stream, deadline) {
            still_open += 1;
        }
    }
    assert_eq!(still_open, 0, "silent connections still open after 15 s");
    let silent_closed_after = opened.elapsed();

    // Trickled bodies are cut off after their grace: 408, or the connection closed (a reset
    // may overtake the 408 when the client is still sending).
    let mut timed_out = 0;
    for stream in &mut trickling {
        stream
            .set_read_timeout(Some(deadline.saturating_duration_since(Instant::now())))
            .unwrap();
        match read_answer(stream) {
            Ok(answer) => {
                answer.assert_problem(408, "urn:acta:problem:request-timeout");
                assert_eq!(answer.header("connection"), Some("close"));
                timed_out += 1;
            }
            Err(error) => assert!(
                closed_by(stream, deadline),
                "a trickling client was neither answered 408 nor closed: {error}"
            ),
        }
    }
    trickler.join().unwrap();
    assert!(timed_out > 0, "no trickling client heard its 408");
    eprintln!(
        "ordinary client served {:.1} s after {SILENT_CLIENTS} silent and {TRICKLING_CLIENTS} \
         trickling clients connected; every silent one closed {:.1} s after opening (idle \
         timeout 2 s); {timed_out} trickling ones heard 408, all done {:.1} s after opening",
        served_after.as_secs_f64(),
        silent_closed_after.as_secs_f64(),
        opened.elapsed().as_secs_f64()
    );
    // And the server still serves.
    assert_eq!(server.head()["seq"], 2);
}

// ---------------------------------------------------------------------------------------------
// (b) Non-reading clients asking for a large time-travel answer
// ---------------------------------------------------------------------------------------------

const NON_READERS: usize = 2000;
/// The answer budget of this test, in MiB: large beside what the connections themselves leave
/// behind, so that answers kept after they are gone would show.
const TEST_BUDGET_MIB: u64 = 48;
/// What each connection costs the server while it is open (hyper's buffers, its task and
/// timers; measured about 12 KiB with 2,000 kept-alive connections).
const CONNECTION_KIB: u64 = 16;
/// Slack for what the debug build allocates while it renders.
const RENDER_SLACK_MIB: u64 = 24;
/// After they leave, resident memory returns to within this of its baseline. The allocator
/// keeps some of what connections freed (2,000 connections that only asked `/healthz` left
/// 22 MiB; this test leaves 28–34 MiB in a debug build, measured); the answers, each its own
/// mapping, are returned (DESIGN.md). Answers kept after they are gone would add the budget.
const RETAINED_MAX_MIB: u64 = 48;

#[test]
fn non_reading_clients_hold_no_more_memory_than_the_budget() {
    needs_open_files(NON_READERS as u64 + 100);
    let budget = TEST_BUDGET_MIB.to_string();
    let (server, _dir) = start_on_big_record(&[
        // The kernel takes little of each answer, so what is not read stays in the server.
        "--send-buffer-kib",
        "16",
        // Every non-reader uses the same token: lift its cap so that the budget is what bounds.
        "--heavy-reads-per-token",
        "100000",
        "--answer-budget-mib",
        &budget,
        "--write-timeout-secs",
        "600",
    ]);
    let address = server.address();
    let token = auditor(&server, "kiem-toan");
    // Warm up: one large answer read whole, then the baseline.
    let answer_bytes = size_of_yearly_then(&server, &token);
    assert!(answer_bytes > 100_000, "the answer is {answer_bytes} bytes");
    std::thread::sleep(Duration::from_millis(500));
    let (baseline_kib, _) = server.memory_kib();

    let non_readers: Vec<TcpStream> = (0..NON_READERS)
        .map(|_| ask_and_never_read(address, &token))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let statuses: Vec<Option<u16>> = non_readers
        .iter()
        .map(|stream| peek_status(stream, deadline))
        .collect();
    let held = statuses
        .iter()
        .filter(|status| **status == Some(200))
        .count();
    let refused = statuses
        .iter()
        .filter(|status| **status == Some(503))
        .count();
    assert_eq!(held + refused, NON_READERS, "statuses: {statuses:?}");
    let budget_bytes = (TEST_BUDGET_MIB << 20) as usize;
    assert!(held >= 1, "no answer was held");
    assert!(
        held <= budget_bytes / answer_bytes + 1,
        "{held} answers of {answer_bytes} bytes held with a budget of {budget_bytes}"
    );

    // An ordinary client is still answered: the head, an append, the event it appended.
    assert_eq!(server.head()["seq"], 30000);
    let (status, stored) = server.post("/v1/events", &register("dn-sxsh-2015", None));
    assert_eq!(status, 201, "{stored}");
    let (status, _) = server.get(&format!("/v1/events/{}", stored["id"].as_str().unwrap()));
    assert_eq!(status, 200);
    // A heavy read waits for the budget: 503 with Retry-After.
    let refusal = exchange(
        address,
        &request_head("GET", YEARLY_THEN, &token, None),
        b"",
    );
    refusal.assert_problem(503, "urn:acta:problem:busy");

    let (during_kib, peak_kib) = server.memory_kib();
    let growth_kib = peak_kib.saturating_sub(baseline_kib);
    drop(non_readers);
    // They are gone: the budget comes back, and with it heavy reads.
    let back = Instant::now() + Duration::from_secs(30);
    let answered = loop {
        let answer = exchange(
            address,
            &request_head("GET", YEARLY_THEN, &token, None),
            b"",
        );
        if answer.status == 200 || Instant::now() > back {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(answered.status, 200, "heavy reads did not come back");
    std::thread::sleep(Duration::from_secs(1));
    let (after_kib, _) = server.memory_kib();
    eprintln!(
        "{NON_READERS} non-readers of a {answer_bytes}-byte answer: {held} held, {refused} \
         refused; RSS {:.0} MiB before, {:.0} MiB with them (peak {:.0}), {:.0} MiB after",
        mib(baseline_kib),
        mib(during_kib),
        mib(peak_kib),
        mib(after_kib)
    );
    // The budget, the connections and the renders. Without the limits, each non-reader would
    // hold its whole answer: 2,000 × ~210 KB, about 400 MiB.
    let growth_max_kib =
        (TEST_BUDGET_MIB << 10) + NON_READERS as u64 * CONNECTION_KIB + (RENDER_SLACK_MIB << 10);
    assert!(
        growth_kib <= growth_max_kib,
        "peak RSS grew by {:.0} MiB, more than {:.0}",
        mib(growth_kib),
        mib(growth_max_kib)
    );
    assert!(
        after_kib <= baseline_kib + (RETAINED_MAX_MIB << 10),
        "RSS stayed {:.0} MiB above its baseline after the non-readers left",
        mib(after_kib.saturating_sub(baseline_kib))
    );
}

// ---------------------------------------------------------------------------------------------
// (c) Requests beyond the requests in flight
// ---------------------------------------------------------------------------------------------

/// Starts a request whose body stalls after a few bytes: in flight until its body comes.
/// A request that was refused (a slot is given back only once its answer is written, which a
/// client may see a moment before) is sent again: at most 20 times, 100 ms apart.
fn stalled_append(address: SocketAddr, token: &str) -> TcpStream {
    for _ in 0..20 {
        let mut stream = connect(address);
        let head = request_head("POST", "/v1/events", token, Some(100));
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(b"{\"type\"").unwrap();
        if peek_status(&stream, Instant::now() + Duration::from_millis(100)).is_none() {
            stream
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            return stream;
        }
    }
    panic!("no request could be kept in flight");
}

/// Asks `/v1/head` until the answer is `status` (bounded: 50 tries, 100 ms apart).
fn head_until(address: SocketAddr, token: &str, status: u16) -> Answer {
    let mut answer = exchange(address, &request_head("GET", "/v1/head", token, None), b"");
    for _ in 0..50 {
        if answer.status == status {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        answer = exchange(address, &request_head("GET", "/v1/head", token, None), b"");
    }
    answer
}

#[test]
fn requests_beyond_those_in_flight_are_503_with_retry_after_at_once() {
    let server = Server::start_with(&[
        "--max-requests-in-flight",
        "4",
        "--body-timeout-secs",
        "120",
    ]);
    let address = server.address();
    // Three requests in flight: a fourth is the last one allowed.
    let mut stalled: Vec<TcpStream> = (0..3)
        .map(|_| stalled_append(address, &server.token))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let fourth = exchange(
        address,
        &request_head("GET", "/v1/head", &server.token, None),
        b"",
    );
    assert_eq!(fourth.status, 200, "{fourth:?}");
    // Four in flight: a fifth is refused at once.
    // The fourth's place is given back once its answer is written, a moment after the client
    // has read it: a request that comes before is refused at once. Stall one that is let in.
    let fourth_stalled = (0..50)
        .map(|_| stalled_append(address, &server.token))
        .find(|stream| peek_status(stream, Instant::now() + Duration::from_millis(200)).is_none())
        .expect("a request is let in once the fourth has been answered");
    stalled.push(fourth_stalled);
    let fifth = head_until(address, &server.token, 503);
    fifth.assert_problem(503, "urn:acta:problem:busy");
    assert!(
        fifth.json()["detail"].as_str().unwrap().contains('4'),
        "{fifth:?}"
    );
    // One of them finishes its body: there is room again.
    let mut finished = stalled.pop().unwrap();
    finished.write_all(&[b' '; 93]).unwrap();
    let answer = read_answer(&mut finished).unwrap();
    assert_eq!(answer.status, 400, "a body that is not JSON: {answer:?}");
    let again = head_until(address, &server.token, 200);
    assert_eq!(again.status, 200, "{again:?}");
}

// ---------------------------------------------------------------------------------------------
// (d) Each limit at its edge
// ---------------------------------------------------------------------------------------------

#[test]
fn connections_beyond_the_maximum_are_answered_503_and_closed() {
    let server = Server::start_with(&["--max-connections", "5", "--idle-timeout-secs", "60"]);
    let address = server.address();
    // Four idle connections: a fifth is the last one allowed, and is served.
    let mut idle: Vec<TcpStream> = (0..4).map(|_| connect(address)).collect();
    let mut fifth = connect(address);
    fifth
        .write_all(request_head("GET", "/v1/head", &server.token, None).as_bytes())
        .unwrap();
    assert_eq!(read_answer(&mut fifth).unwrap().status, 200);
    // Five open: a sixth is answered 503 and closed.
    let mut sixth = connect(address);
    sixth
        .write_all(request_head("GET", "/v1/head", &server.token, None).as_bytes())
        .unwrap();
    let refused = read_answer(&mut sixth).unwrap();
    refused.assert_problem(503, "urn:acta:problem:busy");
    assert!(closed_by(
        &mut sixth,
        Instant::now() + Duration::from_secs(5)
    ));
    // One closes: a new connection is served again.
    drop(idle.pop());
    let mut answer = None;
    for _ in 0..50 {
        let reply = exchange(
            address,
            &request_head("GET", "/v1/head", &server.token, None),
            b"",
        );
        if reply.status == 200 {
            answer = Some(reply);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answer.is_some(), "no room after a connection closed");
}

#[test]
fn a_request_head_must_arrive_within_the_header_timeout() {
    let server = Server::start_with(&["--header-timeout-secs", "3", "--idle-timeout-secs", "30"]);
    let address = server.address();
    let head = request_head("GET", "/v1/head", &server.token, None);
    // One byte every 5 ms: the head is complete in well under a second, within the timeout.
    let mut in_time = connect(address);
    // One byte every 200 ms: after 3 s the head is still incomplete.
    let mut too_slow = connect(address);
    let started = Instant::now();
    let mut slow_bytes = head.bytes();
    for (index, byte) in head.bytes().enumerate() {
        in_time.write_all(&[byte]).unwrap();
        if index % 40 == 0 {
            too_slow.write_all(&[slow_bytes.next().unwrap()]).unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the machine is too slow"
    );
    assert_eq!(read_answer(&mut in_time).unwrap().status, 200);
    // The slow one goes on sending, never idle, until it is cut off (its head would take 25 s).
    let mut cut_off = false;
    for byte in slow_bytes.take(50) {
        let pause = Instant::now() + Duration::from_millis(200);
        if too_slow.write_all(&[byte]).is_err() || closed_by(&mut too_slow, pause) {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "a head sent one byte every 200 ms was not cut off");
    assert!(started.elapsed() >= Duration::from_secs(3));
}

/// hyper's limit on a request head: `serve`'s `CONNECTION_BUFFER_BYTES_MAX`.
const HEAD_BYTES_MAX: usize = 16 * 1024;

#[test]
fn a_request_head_larger_than_the_connection_buffer_is_431() {
    let server = Server::start();
    let address = server.address();
    let with_padding = |head_bytes: usize| {
        let head = request_head("GET", "/v1/head", &server.token, None);
        let padding = head_bytes - head.len() - "X-Padding: \r\n".len();
        head.replace(
            "\r\n\r\n",
            &format!("\r\nX-Padding: {}\r\n\r\n", "a".repeat(padding)),
        )
    };
    // A head of 1 KiB under the limit is read; one over it is refused.
    let under = exchange(address, &with_padding(HEAD_BYTES_MAX - 1024), b"");
    assert_eq!(under.status, 200, "{under:?}");
    let over = exchange(address, &with_padding(HEAD_BYTES_MAX + 1), b"");
    assert_eq!(over.status, 431, "{over:?}");
}

#[test]
fn a_connection_is_closed_after_the_idle_timeout_and_not_before() {
    let server = Server::start_with(&["--idle-timeout-secs", "2", "--header-timeout-secs", "30"]);
    let address = server.address();
    let head = request_head("GET", "/v1/head", &server.token, None);
    let mut kept = connect(address);
    kept.write_all(head.as_bytes()).unwrap();
    assert_eq!(read_answer(&mut kept).unwrap().status, 200);
    // Idle for half the timeout: the connection is kept alive and serves again.
    std::thread::sleep(Duration::from_secs(1));
    kept.write_all(head.as_bytes()).unwrap();
    assert_eq!(read_answer(&mut kept).unwrap().status, 200);
    let answered = Instant::now();
    // Then idle: closed after two seconds, not before one.
    assert!(!closed_by(&mut kept, answered + Duration::from_secs(1)));
    assert!(closed_by(&mut kept, answered + Duration::from_secs(10)));
}

#[test]
fn a_body_is_cut_off_with_408_below_the_minimum_rate_and_not_above_it() {
    let server = Server::start_with(&[
        "--body-timeout-secs",
        "1",
        "--body-min-bytes-per-sec",
        "1000",
        "--idle-timeout-secs",
        "30",
    ]);
    let address = server.address();
    let event = register("dn-sxsh-2015", None).to_string();
    let padded = format!("{event}{}", " ".repeat(3000 - event.len()));
    // 3,000 bytes at about 2,000 bytes a second: allowed 1 s + 3 s, takes 1.5 s.
    let mut steady = connect(address);
    let head = request_head("POST", "/v1/events", &server.token, Some(padded.len()));
    steady.write_all(head.as_bytes()).unwrap();
    for piece in padded.as_bytes().chunks(200) {
        steady.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let stored = read_answer(&mut steady).unwrap();
    assert_eq!(stored.status, 201, "{stored:?}");
    // One byte at a time, five a second: cut off after the grace.
    let mut trickle = connect(address);
    trickle.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while sent < 20 {
        if trickle.write_all(b" ").is_err() {
            break;
        }
        sent += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    let answer = read_answer(&mut trickle).expect("the 408 before the connection closes");
    answer.assert_problem(408, "urn:acta:problem:request-timeout");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        server.head()["seq"],
        1,
        "nothing of the trickled body was stored"
    );
}

#[test]
fn a_token_may_have_its_maximum_of_heavy_reads_in_flight_and_no_more() {
    let (server, _dir) =
        start_on_big_record(&["--send-buffer-kib", "16", "--heavy-reads-per-token", "3"]);
    let address = server.address();
    let kiem_toan = auditor(&server, "kiem-toan");
    let other = auditor(&server, "thanh-tra");
    // Three held by clients that do not read: the maximum.
    let mut held: Vec<TcpStream> = (0..3)
        .map(|_| ask_and_never_read(address, &kiem_toan))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    for stream in &held {
        assert_eq!(peek_status(stream, deadline), Some(200));
    }
    // A fourth of the same token: 429.
    let fourth = exchange(
        address,
        &request_head("GET", YEARLY_THEN, &kiem_toan, None),
        b"",
    );
    fourth.assert_problem(429, "urn:acta:problem:too-many-requests");
    // Another token's heavy read, and this token's light reads, are served.
    let others = exchange(
        address,
        &request_head("GET", YEARLY_THEN, &other, None),
        b"",
    );
    assert_eq!(others.status, 200);
    let light = exchange(
        address,
        &request_head("GET", "/v1/head", &kiem_toan, None),
        b"",
    );
    assert_eq!(light.status, 200);
    // So is a projection of "now": served from the live cache, it is not a heavy read.
    let now = exchange(
        address,
        &request_head("GET", "/v1/summaries/yearly", &kiem_toan, None),
        b"",
    );
    assert_eq!(now.status, 200);
    // One of the three goes away: the token may read again.
    drop(held.pop());
    let mut again = None;
    for _ in 0..50 {
        let answer = exchange(
            address,
            &request_head("GET", YEARLY_THEN, &kiem_toan, None),
            b"",
        );
        if answer.status == 200 {
            again = Some(answer);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(again.is_some(), "the token's heavy reads did not come back");
}

#[test]
fn the_answer_budget_holds_as_many_answers_as_fit_and_writes_go_on() {
    let (server, _dir) = start_on_big_record(&[
        "--send-buffer-kib",
        "16",
        "--heavy-reads-per-token",
        "1000",
        "--answer-budget-mib",
        "1",
    ]);
    let address = server.address();
    let token = auditor(&server, "kiem-toan");
    let answer_bytes = size_of_yearly_then(&server, &token);
    let fit = (1 << 20) / answer_bytes;
    assert!(fit >= 2, "the answer is {answer_bytes} bytes");
    // As many as fit are held; the next is refused.
    let deadline = Instant::now() + Duration::from_secs(60);
    let held: Vec<TcpStream> = (0..fit)
        .map(|_| {
            let stream = ask_and_never_read(address, &token);
            assert_eq!(peek_status(&stream, deadline), Some(200));
            stream
        })
        .collect();
    let over = exchange(
        address,
        &request_head("GET", YEARLY_THEN, &token, None),
        b"",
    );
    over.assert_problem(503, "urn:acta:problem:busy");
    // Appends and small reads go on.
    record_a_plan(&server, "dn-sxsh-2015");
    assert_eq!(server.head()["seq"], 30002);
    drop(held);
    let mut again = None;
    for _ in 0..50 {
        let answer = exchange(
            address,
            &request_head("GET", YEARLY_THEN, &token, None),
            b"",
        );
        if answer.status == 200 {
            again = Some(answer);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(again.is_some(), "the budget did not come back");
}

#[test]
fn an_answer_not_read_for_the_write_timeout_is_dropped_and_its_budget_freed() {
    let (server, _dir) = start_on_big_record(&[
        "--send-buffer-kib",
        "16",
        "--answer-budget-mib",
        "1",
        "--heavy-reads-per-token",
        "1",
        "--write-timeout-secs",
        "2",
    ]);
    let address = server.address();
    let token = auditor(&server, "kiem-toan");
    let answer_bytes = size_of_yearly_then(&server, &token);
    // The read just made holds the token's one heavy read until the server has written all of
    // it, which may be a moment after this client has it all: until then the next is 429.
    let (mut stuck, asked) = ask_and_never_read_once_admitted(address, &token);
    // The token's one heavy read is held: another is refused for now.
    let refused = exchange(
        address,
        &request_head("GET", YEARLY_THEN, &token, None),
        b"",
    );
    refused.assert_problem(429, "urn:acta:problem:too-many-requests");
    // After the write timeout the connection is reset, and the client has less than the answer.
    std::thread::sleep(Duration::from_secs(3));
    let mut received = Vec::new();
    stuck
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let ended = stuck.read_to_end(&mut received);
    assert!(
        received.len() < answer_bytes,
        "the whole answer came: {} bytes",
        received.len()
    );
    assert!(ended.is_err() || received.len() < answer_bytes);
    let again = exchange(
        address,
        &request_head("GET", YEARLY_THEN, &token, None),
        b"",
    );
    assert_eq!(
        again.status, 200,
        "the dropped answer still holds its place"
    );
    assert!(asked.elapsed() >= Duration::from_secs(2));
}

#[test]
fn shutdown_is_prompt_with_many_idle_and_slow_connections() {
    needs_open_files(1100);
    let mut server = Server::start_with(&[
        "--shutdown-grace-secs",
        "2",
        "--idle-timeout-secs",
        "600",
        "--header-timeout-secs",
        "600",
        "--body-timeout-secs",
        "600",
    ]);
    let address = server.address();
    let _idle: Vec<TcpStream> = (0..1000).map(|_| connect(address)).collect();
    let _stalled: Vec<TcpStream> = (0..10)
        .map(|_| stalled_append(address, &server.token))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let status = server
        .terminate_with_status(Duration::from_secs(20))
        .expect("the server exits within 20 s of SIGTERM");
    assert!(status.success(), "{status:?}");
    eprintln!("shut down in {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_bad_limit_is_refused_naming_its_flag() {
    for (flag, value) in [
        ("--max-connections", "0"),
        ("--max-requests-in-flight", "many"),
        ("--header-timeout-secs", "0"),
        ("--write-timeout-secs", "4000"),
        ("--answer-budget-mib", "0"),
        ("--heavy-reads-per-token", "0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = db_path(dir.path());
        let output = acta(&["serve", "--db", db.to_str().unwrap(), flag, value]);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
        assert!(
            !db.exists(),
            "a refused command line created {}",
            db.display()
        );
    }
}
