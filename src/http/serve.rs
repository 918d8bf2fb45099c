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

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, Request, Response};
use axum::response::IntoResponse;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep, sleep_until};
use tower::ServiceExt;

use super::limits::{AnswerBudget, Reservation, answers_budget_spent};
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
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity), &shared.options));
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

/// What a connection has been doing, shared by its socket and its requests.
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last byte received or sent, or the last answer ended.
    last_ms: AtomicU64,
    /// Requests between their head and the end of their answer's body.
    answering: AtomicUsize,
    /// Bytes written to the socket so far.
    bytes_written: AtomicU64,
    /// What `bytes_written` will be when the last answer handed to hyper has been written (but
    /// its head, which only hyper measures).
    answers_end: AtomicU64,
    /// What answers whose bodies hyper has taken still hold, each with the `bytes_written` at
    /// which its last byte is written, in order.
    until_written: Mutex<VecDeque<(u64, UntilWritten)>>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
            bytes_written: AtomicU64::new(0),
            answers_end: AtomicU64::new(0),
            until_written: Mutex::default(),
        }
    }

    /// Where an answer of `length` bytes that hyper begins to take now ends, in bytes written:
    /// after everything written so far and every answer taken before it (a client may send
    /// its next request before reading an answer).
    fn answer_starts(&self, length: u64) -> u64 {
        let start = self
            .bytes_written
            .load(Ordering::Acquire)
            .max(self.answers_end.load(Ordering::Acquire));
        let end = start.saturating_add(length);
        self.answers_end.store(end, Ordering::Release);
        end
    }

    /// Keeps `held` until the connection has written `end` bytes, or is gone.
    fn hold_until_written(&self, end: u64, held: UntilWritten) {
        if self.bytes_written.load(Ordering::Acquire) >= end {
            return;
        }
        self.lock_until_written().push_back((end, held));
    }

    /// Counts `bytes` written, and releases what answers written by now held.
    fn wrote(&self, bytes: usize) {
        let written = self
            .bytes_written
            .fetch_add(bytes as u64, Ordering::AcqRel)
            .saturating_add(bytes as u64);
        let mut until_written = self.lock_until_written();
        while until_written
            .front()
            .is_some_and(|(end, _)| *end <= written)
        {
            until_written.pop_front();
        }
    }

    fn lock_until_written(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, UntilWritten)>> {
        self.until_written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(elapsed, Ordering::Release);
    }

    fn last(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_ms.load(Ordering::Acquire))
    }

    fn answering(&self) -> bool {
        self.answering.load(Ordering::Acquire) > 0
    }
}

/// One request being answered on its connection, until its answer's body is dropped.
struct Answering(Arc<Activity>);

impl Answering {
    fn start(activity: Arc<Activity>) -> Answering {
        activity.answering.fetch_add(1, Ordering::AcqRel);
        Answering(activity)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        // The connection is idle from now, not from its last byte.
        self.0.touch();
        self.0.answering.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's socket, watched: a read that waits while the connection has nothing to do
/// fails after the idle timeout; a write that makes no progress fails after the write timeout.
/// hyper then closes the connection and drops what it held.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    idle_timeout: Duration,
    write_timeout: Duration,
    idle_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
    /// When the pending write must have made progress; `None` while writes go through.
    write_deadline: Option<Instant>,
}

impl Watched {
    fn new(stream: TcpStream, activity: Arc<Activity>, options: &ServeOptions) -> Watched {
        Watched {
            stream,
            activity,
            idle_timeout: options.idle_timeout,
            write_timeout: options.write_timeout,
            idle_timer: None,
            write_timer: None,
            write_deadline: None,
        }
    }

    /// A read is waiting: fails once the connection has had nothing to do for the idle timeout.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.activity.answering() || self.write_deadline.is_some() {
            return Poll::Pending;
        }
        let deadline = self.activity.last() + self.idle_timeout;
        ready!(poll_timer(&mut self.idle_timer, deadline, cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("idle for {} s", self.idle_timeout.as_secs()),
        )))
    }

    /// After a write: progress clears the deadline; a write that waits starts it, and fails
    /// once it has passed.
    fn after_write(
        &mut self,
        written: Poll<io::Result<usize>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        if let Poll::Ready(written) = written {
            self.write_deadline = None;
            if let Ok(bytes) = written
                && bytes > 0
            {
                self.activity.touch();
                self.activity.wrote(bytes);
            }
            return Poll::Ready(written);
        }
        let deadline = *self
            .write_deadline
            .get_or_insert_with(|| Instant::now() + self.write_timeout);
        ready!(poll_timer(&mut self.write_timer, deadline, cx));
        // Closed with a reset, the socket's unsent bytes are freed at once; closed gracefully,
        // the kernel would keep them while it probes a client that reads nothing.
        let _ = self.stream.set_zero_linger();
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the client read nothing of its answer for {} s",
                self.write_timeout.as_secs()
            ),
        )))
    }
}

/// Polls `timer`, set to `deadline` (made or moved as needed).
fn poll_timer(
    timer: &mut Option<Pin<Box<Sleep>>>,
    deadline: Instant,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let timer = timer.get_or_insert_with(|| Box::pin(sleep_until(deadline)));
    if timer.deadline() != deadline {
        timer.as_mut().reset(deadline);
    }
    timer.as_mut().poll(cx)
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_idle(cx),
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.after_write(written, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.after_write(written, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// How fast a request body must come.
#[derive(Clone, Copy, Debug)]
struct BodyPace {
    grace: Duration,
    bytes_per_sec_min: u64,
}

impl BodyPace {
    /// When a body that began to be read at `started` and has brought `received` bytes must
    /// have brought more: the grace, plus the time its bytes so far need at the minimum rate.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        let earned_ms = received.saturating_mul(1000) / self.bytes_per_sec_min.max(1);
        started + self.grace + Duration::from_millis(earned_ms)
    }
}

/// A request body that came slower than its [`BodyPace`]: the extractors answer `408`.
#[derive(Debug, thiserror::Error)]
#[error(
    "the body came slower than {bytes_per_sec_min} bytes a second after a grace of {grace_secs} s"
)]
pub struct BodyTimedOut {
    bytes_per_sec_min: u64,
    grace_secs: u64,
}

/// The [`BodyTimedOut`] that `error` is, or was caused by, if any.
pub fn find_body_timeout<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a BodyTimedOut> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(timed_out) = error.downcast_ref::<BodyTimedOut>() {
            return Some(timed_out);
        }
        cause = error.source();
    }
    None
}

/// A request body held to its [`BodyPace`], timed from when the handler first reads it (a
/// request that waits for its turn is not charged for the wait).
struct TimedBody {
    inner: Incoming,
    pace: BodyPace,
    started: Option<Instant>,
    received: u64,
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    fn new(inner: Incoming, pace: BodyPace) -> TimedBody {
        TimedBody {
            inner,
            pace,
            started: None,
            received: 0,
            timer: None,
        }
    }

    fn timed_out(&self) -> BodyTimedOut {
        BodyTimedOut {
            bytes_per_sec_min: self.pace.bytes_per_sec_min,
            grace_secs: self.pace.grace.as_secs(),
        }
    }
}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let started = *this.started.get_or_insert_with(Instant::now);
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.len() as u64);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = this.pace.deadline(started, this.received);
                ready!(poll_timer(&mut this.timer, deadline, cx));
                Poll::Ready(Some(Err(this.timed_out().into())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What an answer holds until it is written: its place among the requests in flight, its bytes
/// of the budget, and its body (which holds the token's heavy read, if it is one).
struct UntilWritten {
    _body: Option<Body>,
    _reservation: Option<Reservation>,
    _in_flight: Option<OwnedSemaphorePermit>,
}

/// What an answer holds: released when its last byte has been written to the socket, or when
/// its connection is gone.
struct Held {
    reservation: Option<Reservation>,
    in_flight: Option<OwnedSemaphorePermit>,
    /// The connection's note that it is answering: released when hyper has taken the body.
    answering: Answering,
}

impl Held {
    fn new(
        answering: Answering,
        in_flight: Option<OwnedSemaphorePermit>,
        reservation: Option<Reservation>,
    ) -> Held {
        Held {
            reservation,
            in_flight,
            answering,
        }
    }
}

/// An answer's body, which keeps what the answer holds until hyper has written its last byte:
/// hyper takes a body's frames as soon as its buffer has room — a whole answer at once — and
/// drops the body while the bytes still wait to be written for a client that does not read.
/// So when hyper has taken all of it, what it holds goes to its connection, which releases it
/// once it has written as many bytes as the answer has (counted from where the answer starts;
/// its head, which only hyper measures, makes that a few hundred bytes early).
pub struct Paced {
    inner: Option<Body>,
    /// The answer's length, when its body says it exactly.
    length: Option<u64>,
    /// Where the answer ends in bytes written, from hyper's first look at its body.
    end: Option<u64>,
    finished: bool,
    held: Option<Held>,
}

impl Paced {
    /// The answer is released when its body's length has been written, or at once when hyper
    /// writes no body (`writes_body` false: the answer to `HEAD`).
    fn new(inner: Body, held: Held, writes_body: bool) -> Paced {
        Paced {
            length: if writes_body {
                inner.size_hint().exact()
            } else {
                Some(0)
            },
            inner: Some(inner),
            end: None,
            finished: false,
            held: Some(held),
        }
    }
}

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.end.is_none()
            && let (Some(length), Some(held)) = (this.length, &this.held)
        {
            this.end = Some(held.answering.0.answer_starts(length));
        }
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let frame = ready!(Pin::new(inner).poll_frame(cx));
        if frame.is_none() || this.inner.as_ref().is_some_and(HttpBody::is_end_stream) {
            this.finished = true;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Paced {
    fn drop(&mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        let Held {
            reservation,
            in_flight,
            answering,
        } = held;
        let until_written = UntilWritten {
            _body: self.inner.take(),
            _reservation: reservation,
            _in_flight: in_flight,
        };
        // Taken whole: held until written. Dropped before (the connection failed or closed):
        // released now, with what hyper held of it.
        if self.finished
            && let Some(end) = self.end
        {
            answering.0.hold_until_written(end, until_written);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
