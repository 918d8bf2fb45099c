//! `GET /v1/events/stream` over a real socket, read by a small SSE client written here (HTTP/1.1,
//! chunked, the `text/event-stream` fields): a client that is cut again and again and reconnects
//! with `Last-Event-ID` while appends go on sees every event exactly once, in `seq` order, the
//! hash chain unbroken; bad `after` and `Last-Event-ID` are `400` problem+json; an idle stream
//! carries keep-alive comments; streams are capped; a client that reads nothing is cut; and a
//! shutdown ends the streams rather than waiting for them.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Server, client, new_id};
use serde_json::{Value, json};

/// A response's body, chunked (RFC 9112 §7.1) as hyper sends a stream: read as plain bytes.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            let size = line.trim().split(';').next().unwrap_or_default();
            self.left = usize::from_str_radix(size, 16).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("chunk {line:?}"))
            })?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let wanted = buf.len().min(self.left);
        let read = self.inner.read(&mut buf[..wanted])?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= read;
        if self.left == 0 {
            let mut crlf = [0u8; 2];
            self.inner.read_exact(&mut crlf)?;
        }
        Ok(read)
    }
}

/// What a stream sends: an event, or a comment (keep-alive).
#[derive(Debug)]
enum Item {
    Event { id: u64, data: Value },
    Comment(String),
}

/// One connection to the stream.
struct Sse {
    lines: BufReader<Chunked<BufReader<TcpStream>>>,
}

/// Opens `GET /v1/events/stream{query}` with `last_event_id`: the stream, or the status and
/// body of a refusal.
fn open(server: &Server, query: &str, last_event_id: Option<&str>) -> Result<Sse, (u16, Value)> {
    open_with(server, query, last_event_id, None)
}

/// As [`open`], with the client's socket receive buffer set to `receive_buffer_bytes` before it
/// connects (the kernel's own sizing would take megabytes of a stream that is not read).
fn open_with(
    server: &Server,
    query: &str,
    last_event_id: Option<&str>,
    receive_buffer_bytes: Option<usize>,
) -> Result<Sse, (u16, Value)> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    if let Some(bytes) = receive_buffer_bytes {
        socket.set_recv_buffer_size(bytes).unwrap();
    }
    socket.connect(&server.address().into()).unwrap();
    let socket = TcpStream::from(socket);
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "GET /v1/events/stream{query} HTTP/1.1\r\nHost: acta\r\nAuthorization: Bearer {}\r\n\
         Accept: text/event-stream\r\n",
        server.token
    );
    if let Some(id) = last_event_id {
        request.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    request.push_str("\r\n");
    (&socket).write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(socket);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    if status != 200 {
        let length: usize = header("content-length").unwrap().parse().unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        assert_eq!(
            header("content-type").as_deref(),
            Some("application/problem+json")
        );
        return Err((status, serde_json::from_slice(&body).unwrap()));
    }
    assert_eq!(header("content-type").as_deref(), Some("text/event-stream"));
    assert_eq!(header("transfer-encoding").as_deref(), Some("chunked"));
    Ok(Sse {
        lines: BufReader::new(Chunked {
            inner: reader,
            left: 0,
            done: false,
        }),
    })
}

impl Sse {
    /// The next item; `None` when the stream ended.
    fn next(&mut self) -> Option<Item> {
        let (mut id, mut data, mut comment) = (None, None, None);
        loop {
            let mut line = String::new();
            if self.lines.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if let Some(text) = comment.take() {
                    return Some(Item::Comment(text));
                }
                if let (Some(id), Some(data)) = (id.take(), data.take()) {
                    return Some(Item::Event { id, data });
                }
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "" => comment = Some(value.to_owned()),
                "id" => id = Some(value.parse().unwrap()),
                "data" => data = Some(serde_json::from_str(value).unwrap()),
                "retry" => assert_eq!(value, "1000"),
                other => panic!("unknown field {other:?}"),
            }
        }
    }

    /// The next event, skipping comments.
    fn next_event(&mut self) -> Option<(u64, Value)> {
        loop {
            match self.next()? {
                Item::Event { id, data } => return Some((id, data)),
                Item::Comment(_) => {}
            }
        }
    }
}

fn training(plan: &str) -> Value {
    json!({"id": new_id(), "type": "training.held", "plan": plan, "occurred_on": "2014-06-01",
           "data": {"topic": "cleaner_production", "sessions": 1, "participants": 20}})
}

#[test]
fn a_client_cut_again_and_again_sees_every_event_once_while_appends_go_on() {
    let server = Server::start();
    let (status, _) = server.post("/v1/events", &common::register("p", None));
    assert_eq!(status, 201);
    // Appends, single and in batches (a commit of many events), while the client reads.
    let appender = {
        let base = server.base.clone();
        let token = server.token.clone();
        std::thread::spawn(move || {
            let http = client();
            for round in 0..60 {
                let (path, body) = if round % 5 == 4 {
                    let events: Vec<Value> = (0..25).map(|_| training("p")).collect();
                    ("/v1/events/batch", json!({ "events": events }))
                } else {
                    ("/v1/events", training("p"))
                };
                let response = http
                    .post(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .unwrap();
                assert_eq!(response.status(), 201);
                std::thread::sleep(Duration::from_millis(3));
            }
        })
    };
    let total = 1 + 48 + 12 * 25;
    let mut seen: Vec<u64> = Vec::new();
    let mut last_hash = acta_events::GENESIS_HASH.to_owned();
    let mut connections = 0;
    let mut cut_after = 7;
    let started = Instant::now();
    loop {
        // Like a browser's EventSource: the same URL every time, the last id added on reconnect.
        let last = seen.last().map(u64::to_string);
        let mut stream = open(&server, "?after=0", last.as_deref()).unwrap();
        connections += 1;
        let mut on_this_connection = 0;
        while on_this_connection < cut_after.min(total - seen.len()) {
            let (id, event) = stream.next_event().expect("the stream goes on");
            assert_eq!(event["seq"], id, "id is the seq");
            assert_eq!(
                id,
                seen.len() as u64 + 1,
                "in seq order, none missed or twice"
            );
            assert_eq!(
                event["prev_hash"],
                last_hash.as_str(),
                "the chain is unbroken"
            );
            last_hash = event["hash"].as_str().unwrap().to_owned();
            seen.push(id);
            on_this_connection += 1;
        }
        drop(stream);
        cut_after = cut_after % 23 + 5;
        if seen.len() == total {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "too slow");
    }
    appender.join().unwrap();
    assert_eq!(server.head()["seq"], total as u64, "every event was seen");
    assert!(connections > 10, "{connections} connections");
}

#[test]
fn bad_after_and_last_event_id_are_400_and_unknown_parameters_422() {
    let server = Server::start();
    let (status, _) = server.post("/v1/events", &common::register("p", None));
    assert_eq!(status, 201);
    let head = server.head();
    for (query, last_event_id, field) in [
        ("?after=x", None, "after"),
        ("?after=-1", None, "after"),
        ("?after=1.0", None, "after"),
        ("?after=", None, "after"),
        ("?after=2", None, "after"),
        ("?after=18446744073709551616", None, "after"),
        ("", Some("two"), "Last-Event-ID"),
        ("?after=0", Some("5"), "Last-Event-ID"),
    ] {
        let Err((status, problem)) = open(&server, query, last_event_id) else {
            panic!("{query} {last_event_id:?} was streamed");
        };
        assert_eq!(status, 400, "{query}: {problem}");
        common::assert_problem_shape(status, &problem);
        assert_eq!(problem["type"], "urn:acta:problem:bad-request");
        assert_eq!(common::fields(&problem), [field], "{problem}");
    }
    let Err((status, problem)) = open(&server, "?since=1", None) else {
        panic!("an unknown parameter was streamed");
    };
    assert_eq!(status, 422, "{problem}");
    // The head itself is a valid place to start: nothing yet, then what comes.
    let mut stream = open(&server, "?after=1", None).unwrap();
    let (status, stored) = server.post("/v1/events", &training("p"));
    assert_eq!(status, 201);
    let (id, event) = stream.next_event().unwrap();
    assert_eq!(id, 2);
    assert_eq!(event, stored, "the data is the stored event");
    assert_eq!(head["seq"], 1);
}

#[test]
fn an_idle_stream_carries_keep_alive_comments() {
    let server = Server::start();
    let mut stream = open(&server, "", None).unwrap();
    let started = Instant::now();
    match stream.next() {
        Some(Item::Comment(text)) => assert_eq!(text, "keep-alive"),
        other => panic!("expected a keep-alive comment, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn streams_beyond_the_cap_are_503_and_a_closed_one_gives_its_place_back() {
    let server = Server::start();
    let mut streams: Vec<Sse> = (0..acta::feed::EVENT_STREAMS_MAX)
        .map(|_| open(&server, "", None).unwrap())
        .collect();
    let Err((status, problem)) = open(&server, "", None) else {
        panic!("a stream beyond the cap was opened");
    };
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "urn:acta:problem:busy");
    drop(streams.pop());
    // The server sees a client gone when it next writes to it: a commit makes it write.
    let (status, _) = server.post("/v1/events", &common::register("p", None));
    assert_eq!(status, 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    while open(&server, "", None).is_err() {
        assert!(Instant::now() < deadline, "the place never came back");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_client_that_reads_nothing_is_cut_and_reconnects_where_it_stood() {
    let server = Server::start_with(&["--write-timeout-secs", "1", "--send-buffer-kib", "16"]);
    let (status, _) = server.post("/v1/events", &common::register("p", None));
    assert_eq!(status, 201);
    let mut reading = open_with(&server, "", None, Some(16 * 1024)).unwrap();
    let (id, _) = reading.next_event().unwrap();
    assert_eq!(id, 1);
    // About 4 MB of events, more than the socket buffers of both ends hold.
    let long = "Tập huấn sản xuất sạch hơn ".repeat(18);
    for _ in 0..8 {
        let events: Vec<Value> = (0..1000)
            .map(|_| {
                let mut event = training("p");
                event["data"]["topic"] = json!(long.clone());
                event
            })
            .collect();
        let (status, body) = server.post("/v1/events/batch", &json!({ "events": events }));
        assert_eq!(status, 201, "{body}");
    }
    std::thread::sleep(Duration::from_secs(4));
    let mut read = 1;
    while let Some((id, _)) = reading.next_event() {
        assert_eq!(id, read + 1);
        read = id;
    }
    assert!(read < 8001, "the client was cut, after {read} events");
    // Reconnecting where it stood, it gets the rest.
    let mut again = open(&server, "", Some(&read.to_string())).unwrap();
    for expected in read + 1..=8001 {
        assert_eq!(again.next_event().unwrap().0, expected);
    }
}

#[test]
fn a_shutdown_ends_the_streams_at_once() {
    let mut server = Server::start();
    let mut stream = open(&server, "", None).unwrap();
    let took = server
        .terminate(Duration::from_secs(8))
        .expect("the server exits while a stream is open");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(stream.next_event().is_none(), "the stream ended");
}
