//! How the accept loop ([`super::serve`]) paces each connection: what it has been doing
//! ([`Activity`], for the idle timeout), its socket counting the bytes written ([`Watched`], for
//! the write timeout and for knowing an answer is written), request bodies that must come at a
//! minimum rate ([`TimedBody`]), and answers that hold their budget and place until their last
//! byte is written ([`Paced`]).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep, sleep_until};

use super::limits::Reservation;

/// What a connection has been doing, shared by its socket and its requests.
pub(super) struct Activity {
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
    pub(super) fn new() -> Activity {
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
    pub(super) fn answer_starts(&self, length: u64) -> u64 {
        let start = self
            .bytes_written
            .load(Ordering::Acquire)
            .max(self.answers_end.load(Ordering::Acquire));
        let end = start.saturating_add(length);
        self.answers_end.store(end, Ordering::Release);
        end
    }

    /// Keeps `held` until the connection has written `end` bytes, or is gone.
    pub(super) fn hold_until_written(&self, end: u64, held: UntilWritten) {
        if self.bytes_written.load(Ordering::Acquire) >= end {
            return;
        }
        self.lock_until_written().push_back((end, held));
    }

    /// Counts `bytes` written, and releases what answers written by now held.
    pub(super) fn wrote(&self, bytes: usize) {
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

    pub(super) fn lock_until_written(
        &self,
    ) -> std::sync::MutexGuard<'_, VecDeque<(u64, UntilWritten)>> {
        self.until_written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn touch(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(elapsed, Ordering::Release);
    }

    pub(super) fn last(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_ms.load(Ordering::Acquire))
    }

    pub(super) fn answering(&self) -> bool {
        self.answering.load(Ordering::Acquire) > 0
    }
}

/// One request being answered on its connection, until its answer's body is dropped.
pub(super) struct Answering(Arc<Activity>);

impl Answering {
    pub(super) fn start(activity: Arc<Activity>) -> Answering {
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
pub(super) struct Watched {
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
    pub(super) fn new(
        stream: TcpStream,
        activity: Arc<Activity>,
        idle_timeout: Duration,
        write_timeout: Duration,
    ) -> Watched {
        Watched {
            stream,
            activity,
            idle_timeout,
            write_timeout,
            idle_timer: None,
            write_timer: None,
            write_deadline: None,
        }
    }

    /// A read is waiting: fails once the connection has had nothing to do for the idle timeout.
    pub(super) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
    pub(super) fn after_write(
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
pub(super) fn poll_timer(
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
pub(super) struct BodyPace {
    pub(super) grace: Duration,
    pub(super) bytes_per_sec_min: u64,
}

impl BodyPace {
    /// When a body that began to be read at `started` and has brought `received` bytes must
    /// have brought more: the grace, plus the time its bytes so far need at the minimum rate.
    pub(super) fn deadline(&self, started: Instant, received: u64) -> Instant {
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
    pub(super) bytes_per_sec_min: u64,
    pub(super) grace_secs: u64,
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
pub(super) struct TimedBody {
    inner: Incoming,
    pace: BodyPace,
    started: Option<Instant>,
    received: u64,
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    pub(super) fn new(inner: Incoming, pace: BodyPace) -> TimedBody {
        TimedBody {
            inner,
            pace,
            started: None,
            received: 0,
            timer: None,
        }
    }

    pub(super) fn timed_out(&self) -> BodyTimedOut {
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
pub(super) struct UntilWritten {
    _body: Option<Body>,
    _reservation: Option<Reservation>,
    _in_flight: Option<OwnedSemaphorePermit>,
}

/// What an answer holds: released when its last byte has been written to the socket, or when
/// its connection is gone.
pub(super) struct Held {
    reservation: Option<Reservation>,
    in_flight: Option<OwnedSemaphorePermit>,
    /// The connection's note that it is answering: released when hyper has taken the body.
    answering: Answering,
}

impl Held {
    pub(super) fn new(
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
    pub(super) fn new(inner: Body, held: Held, writes_body: bool) -> Paced {
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
