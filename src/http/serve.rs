//! The server's own accept loop: HTTP/1.1 connections served by hyper with the router of
//! [`super::app`], and the limits that keep slow, many and non-reading clients from holding the
//! server (DESIGN.md, "Why does acta run its own accept loop?"):
//!
//! - at most `connections_max` connections; beyond it a connection is answered `503` and
//!   closed (or closed at once, when even the refusals are too many);
//! - a request's head must arrive within `header_timeout` (hyper's header read timeout, which
//!   runs from when the server starts waiting for a request);
//! - a connection with nothing to do — no request being answered, no answer being written, no
//!   byte received or sent — for `idle_timeout` is closed;
//! - a request body must come at `body_bytes_per_sec_min` after a grace of `body_timeout`;
//!   slower is `408` and the connection is closed;
//! - an answer that makes no progress into its socket for `write_timeout` drops the connection
//!   (with a reset, so the kernel frees what it held of the answer too), and with it the
//!   answer's memory; `send_buffer_bytes` bounds what the kernel takes of an answer;
//! - at most `requests_in_flight_max` requests are handled at once, from their head until their
//!   answer is written; beyond it `503` at once, never a queue;
//! - each answer's bytes are reserved in the [`AnswerBudget`] until they are written; a read
//!   whose answer does not fit is `503`;
//! - on the shutdown signal the listener closes, idle connections close, requests in progress
//!   get `shutdown_grace` to finish, and then the rest are dropped.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response};
use axum::response::IntoResponse;
use hyper::body::{Body as HttpBody, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use super::limits::{AnswerBudget, answers_budget_spent};
use super::pacing::{Activity, Answering, BodyPace, Held, Paced, TimedBody, Watched};
pub use super::pacing::{BodyTimedOut, find_body_timeout};
use super::problem::ApiError;

/// Seconds a request's head may take, counted from when the server waits for it.
pub const HEADER_TIMEOUT_SECS_DEFAULT: u64 = 10;
/// Seconds a connection may do nothing before it is closed.
pub const IDLE_TIMEOUT_SECS_DEFAULT: u64 = 5;
/// Seconds a request body is given beyond what its size needs at the minimum rate.
pub const BODY_TIMEOUT_SECS_DEFAULT: u64 = 10;
/// The slowest a request body may come, once its grace is spent: 8 KiB/s is a 16 MiB batch in
/// 34 minutes, and a body sent one byte at a time is cut off after the grace.
pub const BODY_BYTES_PER_SEC_MIN_DEFAULT: u64 = 8 * 1024;
/// Seconds an answer may make no progress into its socket before the connection is dropped.
pub const WRITE_TIMEOUT_SECS_DEFAULT: u64 = 30;
/// KiB of each connection's kernel send buffer: what the kernel takes of an answer before its
/// client reads it (Linux doubles it for its bookkeeping). Left to the kernel, it grows to
/// `net.ipv4.tcp_wmem`'s maximum (4 MiB by default), and 2,000 clients that read nothing held
/// 1.5 GiB of kernel memory (DESIGN.md). 128 KiB still moves 2.5 MB/s at 50 ms of round trip.
pub const SEND_BUFFER_KIB_DEFAULT: usize = 128;
/// Connections open at once.
pub const CONNECTIONS_MAX_DEFAULT: usize = 2048;
/// Requests handled at once, from their head until their answer is written.
pub const REQUESTS_IN_FLIGHT_MAX_DEFAULT: usize = 512;
/// Seconds requests in progress are given to finish after the shutdown signal.
pub const SHUTDOWN_GRACE_SECS_DEFAULT: u64 = 10;

/// The most hyper buffers of a request: a request head larger than this is refused (`431`), as
/// Node.js does by default.
pub const CONNECTION_BUFFER_BYTES_MAX: usize = 16 * 1024;
/// Connections beyond the maximum that are answered `503` at once; beyond these they are closed
/// without an answer.
pub const REFUSED_CONNECTIONS_MAX: usize = 64;
/// How long a refused connection is given to send its head and read its `503`.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the loop waits after an error accepting (most often: no file descriptor left).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Files the process needs beyond one per connection (the database, its WAL, readers, logs).
const FILES_RESERVED: u64 = 64;

/// Connections the kernel completes before the loop accepts them. Beyond it, a client's
/// connection attempt is dropped and retried a second later; tokio's own `bind` leaves 128.
pub const LISTEN_BACKLOG: u32 = 1024;

/// Listens on `addr` with a backlog of [`LISTEN_BACKLOG`] (the kernel caps it at
/// `net.core.somaxconn`).
pub fn bind(addr: std::net::SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted server may listen at once on its port.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The limits of [`serve`]; `acta serve` takes each from a flag.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_timeout: Duration,
    pub body_bytes_per_sec_min: u64,
    pub write_timeout: Duration,
    /// Each connection's kernel send buffer; `None` leaves it to the kernel's own sizing (up
    /// to `net.ipv4.tcp_wmem`'s maximum, 4 MiB by default on Linux).
    pub send_buffer_bytes: Option<usize>,
    pub connections_max: usize,
    pub requests_in_flight_max: usize,
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(HEADER_TIMEOUT_SECS_DEFAULT),
            idle_timeout: Duration::from_secs(IDLE_TIMEOUT_SECS_DEFAULT),
            body_timeout: Duration::from_secs(BODY_TIMEOUT_SECS_DEFAULT),
            body_bytes_per_sec_min: BODY_BYTES_PER_SEC_MIN_DEFAULT,
            write_timeout: Duration::from_secs(WRITE_TIMEOUT_SECS_DEFAULT),
            send_buffer_bytes: Some(SEND_BUFFER_KIB_DEFAULT * 1024),
            connections_max: CONNECTIONS_MAX_DEFAULT,
            requests_in_flight_max: REQUESTS_IN_FLIGHT_MAX_DEFAULT,
            shutdown_grace: Duration::from_secs(SHUTDOWN_GRACE_SECS_DEFAULT),
        }
    }
}

/// What every connection shares.
struct Shared {
    router: Router,
    options: ServeOptions,
    http: http1::Builder,
    in_flight: Arc<Semaphore>,
    answers: Arc<AnswerBudget>,
}

/// Serves `router` (the API, `super::app`) on `listener` until `shutdown` completes, then closes
/// gracefully within `options.shutdown_grace`. `answers` is the budget every answer's bytes are
/// held in until written (the one the router's heavy reads consult).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    answers: Arc<AnswerBudget>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    if let Some(warning) = open_files_warning(options.connections_max, open_files_soft_limit()) {
        eprintln!("acta: WARNING: {warning}");
    }
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(CONNECTION_BUFFER_BYTES_MAX);
    let shared = Arc::new(Shared {
        answers,
        router,
        in_flight: Arc::new(Semaphore::new(options.requests_in_flight_max)),
        http,
        options: options.clone(),
    });
    let connections = Arc::new(Semaphore::new(options.connections_max));
    let refusals = Arc::new(Semaphore::new(REFUSED_CONNECTIONS_MAX));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                tracing::warn!(%error, "cannot accept a connection; pausing");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        // Answers are written whole by hyper; Nagle's algorithm would only hold back their
        // last segment until the client acknowledges the one before.
        let _ = stream.set_nodelay(true);
        if let Some(bytes) = options.send_buffer_bytes
            && let Err(error) = socket2::SockRef::from(&stream).set_send_buffer_size(bytes)
        {
            tracing::warn!(%error, "cannot set a connection's send buffer");
        }
        match Arc::clone(&connections).try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(connection(
                    stream,
                    peer,
                    Arc::clone(&shared),
                    stopping.clone(),
                    permit,
                ));
            }
            Err(_) => refuse_connection(stream, &refusals, options.connections_max),
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(options.connections_max).unwrap_or(u32::MAX);
    let closed = tokio::time::timeout(options.shutdown_grace, connections.acquire_many(all)).await;
    if closed.is_err() {
        let open = options.connections_max - connections.available_permits();
        eprintln!(
            "acta: {open} connections still busy after {} s; closing them",
            options.shutdown_grace.as_secs()
        );
    }
    Ok(())
}

/// Errors of one connection that arrived and left before it was accepted.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it closes, fails, times out, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched::new(
        stream,
        Arc::clone(&activity),
        shared.options.idle_timeout,
        shared.options.write_timeout,
    ));
    let service = {
        let shared = Arc::clone(&shared);
        service_fn(move |mut request: Request<Incoming>| {
            // The client's address, for the logs of refused requests (as axum's own server
            // hands it over).
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            answer(Arc::clone(&shared), request, Arc::clone(&activity))
        })
    };
    let mut served = pin!(shared.http.serve_connection(io, service));
    let stop = async {
        // A closed channel means the loop is gone: stop as well.
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let ended = tokio::select! {
        ended = served.as_mut() => ended,
        () = stop => {
            // An idle connection closes now; one answering finishes that answer first.
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%error, "connection ended");
    }
}

/// Answers one request: refuses it at once beyond the requests in flight, else hands it to the
/// router with a timed body, and reserves its answer's bytes until they are written.
async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
    activity: Arc<Activity>,
) -> Result<Response<Paced>, Infallible> {
    let answering = Answering::start(activity);
    let Ok(in_flight) = Arc::clone(&shared.in_flight).try_acquire_owned() else {
        let busy = ApiError::Busy(format!(
            "the server is handling {} requests, its limit; retry shortly",
            shared.options.requests_in_flight_max
        ));
        let held = Held::new(answering, None, None);
        return Ok(paced(busy.into_response(), held, true));
    };
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    let writes_body = *request.method() != Method::HEAD;
    let pace = BodyPace {
        grace: shared.options.body_timeout,
        bytes_per_sec_min: shared.options.body_bytes_per_sec_min,
    };
    let request = request.map(|body| TimedBody::new(body, pace));
    let Ok(response) = shared.router.clone().oneshot(request).await;
    let reservation = match response.body().size_hint().exact() {
        None => None,
        Some(bytes) => {
            let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
            match shared.answers.admit(bytes, is_read) {
                Some(reservation) => Some(reservation),
                None => {
                    drop(response);
                    let busy = answers_budget_spent(&shared.answers).into_response();
                    let held = Held::new(answering, Some(in_flight), None);
                    return Ok(paced(busy, held, true));
                }
            }
        }
    };
    let held = Held::new(answering, Some(in_flight), reservation);
    Ok(paced(response, held, writes_body))
}

fn paced(response: Response<Body>, held: Held, writes_body: bool) -> Response<Paced> {
    response.map(|body| Paced::new(body, held, writes_body))
}

/// Answers a connection beyond the maximum with `503` and closes it, unless too many are being
/// refused already: then it is closed at once.
fn refuse_connection(stream: TcpStream, refusals: &Arc<Semaphore>, connections_max: usize) {
    let Ok(permit) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let mut http = http1::Builder::new();
        http.keep_alive(false)
            .timer(TokioTimer::new())
            .header_read_timeout(REFUSAL_TIMEOUT)
            .max_buf_size(CONNECTION_BUFFER_BYTES_MAX);
        let service = service_fn(move |_request: Request<Incoming>| async move {
            let busy = ApiError::Busy(format!(
                "the server has {connections_max} connections open, its limit; retry shortly"
            ));
            Ok::<_, Infallible>(busy.into_response())
        });
        let refused = http.serve_connection(TokioIo::new(stream), service);
        let _ = tokio::time::timeout(REFUSAL_TIMEOUT, refused).await;
    });
}

/// The soft limit on open files of this process, from `/proc/self/limits` (Linux), if any.
fn open_files_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A warning when the process may not open as many files as it may accept connections.
fn open_files_warning(connections_max: usize, soft_limit: Option<u64>) -> Option<String> {
    let soft_limit = soft_limit?;
    let needed = (connections_max as u64).saturating_add(FILES_RESERVED);
    (needed > soft_limit).then(|| {
        format!(
            "--max-connections {connections_max} needs about {needed} open files, but this \
             process may open {soft_limit}; beyond that, connections wait in the listen queue. \
             Raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit) or lower \
             --max-connections"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[test]
    fn a_body_is_given_its_grace_plus_the_time_its_bytes_need_at_the_minimum_rate() {
        let pace = BodyPace {
            grace: Duration::from_secs(10),
            bytes_per_sec_min: 1000,
        };
        let started = Instant::now();
        assert_eq!(pace.deadline(started, 0), started + Duration::from_secs(10));
        assert_eq!(
            pace.deadline(started, 999),
            started + Duration::from_millis(10_999)
        );
        assert_eq!(
            pace.deadline(started, 5000),
            started + Duration::from_secs(15)
        );
    }

    #[test]
    fn the_open_files_warning_names_the_flag_and_the_limit() {
        assert_eq!(open_files_warning(2048, None), None);
        assert_eq!(open_files_warning(2048, Some(20_000)), None);
        let edge = usize::try_from(20_000 - FILES_RESERVED).unwrap();
        assert_eq!(open_files_warning(edge, Some(20_000)), None);
        let warning = open_files_warning(edge + 1, Some(20_000)).expect("one file too many");
        assert!(warning.contains("--max-connections"), "{warning}");
        assert!(warning.contains("20000"), "{warning}");
    }

    #[test]
    fn a_body_timeout_is_found_below_the_errors_that_wrap_it() {
        let timed_out = BodyTimedOut {
            bytes_per_sec_min: 1,
            grace_secs: 1,
        };
        let wrapped = axum::Error::new(axum::Error::new(timed_out));
        assert!(find_body_timeout(&wrapped).is_some());
        assert!(find_body_timeout(&axum::Error::new(io::Error::other("reset"))).is_none());
    }

    /// An answer of `bytes` on a new connection, with its budget.
    fn answer_of(bytes: usize) -> (Paced, Arc<Activity>, Arc<AnswerBudget>) {
        let budget = Arc::new(AnswerBudget::new(1 << 20));
        let activity = Arc::new(Activity::new());
        let held = Held::new(
            Answering::start(Arc::clone(&activity)),
            None,
            Some(budget.reserve(bytes).unwrap()),
        );
        let body = Paced::new(Body::from(vec![7u8; bytes]), held, true);
        (body, activity, budget)
    }

    #[tokio::test]
    async fn an_answer_holds_its_budget_until_its_last_byte_is_written() {
        use http_body_util::BodyExt;
        let (mut body, activity, budget) = answer_of(1000);
        assert_eq!(body.size_hint().exact(), Some(1000));
        let taken = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(taken.len(), 1000, "handed over whole, not copied in pieces");
        assert!(body.is_end_stream());
        drop(body);
        assert!(
            !activity.answering(),
            "the connection is no longer answering"
        );
        assert_eq!(
            budget.bytes_used(),
            1000,
            "hyper has it, the client does not yet"
        );
        activity.wrote(999);
        assert_eq!(budget.bytes_used(), 1000, "one byte is still to be written");
        activity.wrote(1);
        assert_eq!(budget.bytes_used(), 0);
    }

    #[tokio::test]
    async fn answers_on_one_connection_are_released_in_the_order_they_are_written() {
        use http_body_util::BodyExt;
        let activity = Arc::new(Activity::new());
        let budget = Arc::new(AnswerBudget::new(1 << 20));
        for bytes in [300, 200] {
            let held = Held::new(
                Answering::start(Arc::clone(&activity)),
                None,
                Some(budget.reserve(bytes).unwrap()),
            );
            let mut body = Paced::new(Body::from(vec![1u8; bytes]), held, true);
            while body.frame().await.is_some() {}
        }
        assert_eq!(budget.bytes_used(), 500, "neither is written");
        activity.wrote(300);
        assert_eq!(budget.bytes_used(), 200, "the first is written");
        activity.wrote(200);
        assert_eq!(budget.bytes_used(), 0);
    }

    #[tokio::test]
    async fn an_answer_dropped_before_it_was_taken_is_released_at_once() {
        use http_body_util::BodyExt;
        let (body, _activity, budget) = answer_of(1000);
        drop(body);
        assert_eq!(
            budget.bytes_used(),
            0,
            "never taken: its connection is gone"
        );
        let (mut body, activity, budget) = answer_of(1000);
        let _ = body.frame().await;
        drop(body);
        drop(activity);
        assert_eq!(budget.bytes_used(), 0, "taken, and its connection is gone");
    }
}
