//! What bounds the memory that readers hold: a global budget of answer bytes not yet written to
//! their sockets, and a cap on each token's heavy reads in flight (DESIGN.md, "What bounds memory
//! under load?").
//!
//! Both are held from the moment an answer exists until its connection has written its last
//! byte, or is gone: a heavy read's permit lives in the answer's body, which the accept loop
//! (`serve.rs`) keeps until then, with the answer's bytes of the budget. The middleware here
//! refuses heavy reads before they run.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use acta_events::Caller;

use super::problem::ApiError;

/// Bytes of answers held for clients at once, by default (`serve --answer-budget-mib`).
pub const ANSWER_BUDGET_MIB_DEFAULT: usize = 256;
/// Heavy reads one token may have in flight at once, by default
/// (`serve --heavy-reads-per-token`).
pub const HEAVY_READS_PER_TOKEN_DEFAULT: usize = 8;
/// Answers up to this size are counted in the budget but never refused by it: together they are
/// bounded by the requests in flight (512 × 64 KiB = 32 MiB at the defaults), and refusing them
/// would turn away a client's small reads (the head, one event) because others hold large ones.
pub const ANSWER_BYTES_ALWAYS_ADMITTED: usize = 64 * 1024;

/// The limits on readers, shared by every request.
pub struct ReadLimits {
    pub answers: Arc<AnswerBudget>,
    pub heavy: Arc<HeavyReads>,
    /// The size of the last answer of each heavy route, by its index in [`HEAVY_ROUTES`].
    last_sizes: [AtomicUsize; HEAVY_ROUTES.len()],
}

impl ReadLimits {
    pub fn new(answer_budget_bytes: usize, heavy_reads_per_token: usize) -> ReadLimits {
        ReadLimits {
            answers: Arc::new(AnswerBudget::new(answer_budget_bytes)),
            heavy: Arc::new(HeavyReads::new(heavy_reads_per_token)),
            last_sizes: Default::default(),
        }
    }
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits::new(
            ANSWER_BUDGET_MIB_DEFAULT << 20,
            HEAVY_READS_PER_TOKEN_DEFAULT,
        )
    }
}

/// Bytes of rendered answers that exist and are not yet written, against a maximum.
pub struct AnswerBudget {
    bytes_max: usize,
    bytes_used: AtomicUsize,
}

/// Bytes of the budget held by one answer; given back when dropped.
pub struct Reservation {
    budget: Arc<AnswerBudget>,
    bytes: usize,
}

impl AnswerBudget {
    pub fn new(bytes_max: usize) -> AnswerBudget {
        AnswerBudget {
            bytes_max,
            bytes_used: AtomicUsize::new(0),
        }
    }

    /// Reserves `bytes` if they fit. An answer larger than the whole budget is admitted when
    /// nothing else is held, so that no answer is refused for ever.
    pub fn reserve(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        self.bytes_used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                let fits = used
                    .checked_add(bytes)
                    .is_some_and(|total| total <= self.bytes_max);
                (fits || used == 0).then(|| used.saturating_add(bytes))
            })
            .ok()?;
        Some(Reservation {
            budget: Arc::clone(self),
            bytes,
        })
    }

    /// Counts `bytes` whether or not they fit: for answers that must be sent (the answer to an
    /// append that is already committed) or are too small to refuse.
    pub fn reserve_anyway(self: &Arc<Self>, bytes: usize) -> Reservation {
        self.bytes_used.fetch_add(bytes, Ordering::AcqRel);
        Reservation {
            budget: Arc::clone(self),
            bytes,
        }
    }

    /// Reserves an answer's bytes as the accept loop does: a read's answer if it fits, or if it
    /// is at most [`ANSWER_BYTES_ALWAYS_ADMITTED`]; any other answer (to an append, whose event
    /// is committed) whatever the budget.
    pub fn admit(self: &Arc<Self>, bytes: usize, is_read: bool) -> Option<Reservation> {
        if !is_read || bytes <= ANSWER_BYTES_ALWAYS_ADMITTED {
            Some(self.reserve_anyway(bytes))
        } else {
            self.reserve(bytes)
        }
    }

    /// Whether an answer of `bytes` would be reserved now: a heavy read whose last answer of
    /// its kind would not is refused before it is computed.
    pub fn would_fit(&self, bytes: usize) -> bool {
        let used = self.bytes_used.load(Ordering::Acquire);
        used == 0
            || used
                .checked_add(bytes)
                .is_some_and(|total| total <= self.bytes_max)
    }

    pub fn bytes_used(&self) -> usize {
        self.bytes_used.load(Ordering::Acquire)
    }

    pub fn bytes_max(&self) -> usize {
        self.bytes_max
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget
            .bytes_used
            .fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// Heavy reads in flight, by token name.
pub struct HeavyReads {
    per_token_max: usize,
    in_flight: Mutex<HashMap<String, usize>>,
}

/// One heavy read of one token; given back when dropped.
pub struct HeavyRead {
    reads: Arc<HeavyReads>,
    token: String,
}

impl HeavyReads {
    pub fn new(per_token_max: usize) -> HeavyReads {
        HeavyReads {
            per_token_max,
            in_flight: Mutex::default(),
        }
    }

    /// Starts a heavy read for `token` if it has fewer than the maximum in flight.
    pub fn start(self: &Arc<Self>, token: &str) -> Option<HeavyRead> {
        let mut in_flight = self.lock();
        let count = in_flight.entry(token.to_owned()).or_insert(0);
        if *count >= self.per_token_max {
            return None;
        }
        *count += 1;
        Some(HeavyRead {
            reads: Arc::clone(self),
            token: token.to_owned(),
        })
    }

    /// Heavy reads of `token` in flight now.
    pub fn in_flight(&self, token: &str) -> usize {
        self.lock().get(token).copied().unwrap_or(0)
    }

    pub fn per_token_max(&self) -> usize {
        self.per_token_max
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for HeavyRead {
    fn drop(&mut self) {
        let mut in_flight = self.reads.lock();
        // The entry goes with its last read, so the map holds only tokens reading now.
        if let Some(count) = in_flight.get_mut(&self.token) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.token);
            }
        }
    }
}

/// The routes of heavy reads: reads computed for the request whose work and answer grow with the
/// record — a page of the log, the chain's verification, and every projection (plan status, the
/// list of plans, funding, the yearly summary, reconciliation) asked with `as_of` or `known_at`.
/// A projection of "now" is not heavy: it is rendered once per commit and then served from the
/// live cache, its bytes shared by every reader (it is still counted in the answer budget). A
/// single event, the head, `whoami`, tokens, the page and appends are not heavy either (appends
/// have their own limits). `/v1/plans/` stands for every `/v1/plans/{plan}`.
pub const HEAVY_ROUTES: [&str; 7] = [
    "/v1/events",
    "/v1/verify",
    "/v1/plans",
    "/v1/plans/",
    "/v1/funding",
    "/v1/summaries/yearly",
    "/v1/reconciliation",
];

/// The index in [`HEAVY_ROUTES`] of a request that is a heavy read.
pub fn heavy_route(method: &Method, uri: &Uri) -> Option<usize> {
    if *method != Method::GET && *method != Method::HEAD {
        return None;
    }
    let path = uri.path();
    let route = match path.strip_prefix("/v1/plans/") {
        Some(plan) if !plan.is_empty() && !plan.contains('/') => "/v1/plans/",
        Some(_) => return None,
        None => path,
    };
    let index = HEAVY_ROUTES.iter().position(|heavy| *heavy == route)?;
    if matches!(route, "/v1/events" | "/v1/verify") {
        return Some(index);
    }
    // Names as the handlers read them, percent-decoded; a query that does not parse is refused
    // by the handler before any work.
    let travels = Query::<Vec<(String, String)>>::try_from_uri(uri).is_ok_and(|Query(pairs)| {
        pairs
            .iter()
            .any(|(name, _)| name == "as_of" || name == "known_at")
    });
    travels.then_some(index)
}

/// Refuses a heavy read before it runs when its token has as many in flight as it may (`429`),
/// or when the last answer of its kind would not fit in the answer budget (`503`: computing it
/// only to refuse it would cost as much as answering); else holds one of the token's heavy
/// reads until its answer is written. Runs after the token middleware, which names the caller.
pub async fn limit_heavy_reads(
    State(limits): State<Arc<ReadLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(route) = heavy_route(request.method(), request.uri()) else {
        return next.run(request).await;
    };
    let Some(caller) = request.extensions().get::<Caller>() else {
        return next.run(request).await;
    };
    let Some(read) = limits.heavy.start(&caller.name) else {
        return ApiError::TooManyRequests(format!(
            "this token already has {} heavy reads (time travel, pages of the log, \
             verification) in flight; retry when one is answered",
            limits.heavy.per_token_max()
        ))
        .into_response();
    };
    let last_size = &limits.last_sizes[route];
    if !limits.answers.would_fit(last_size.load(Ordering::Relaxed)) {
        return answers_budget_spent(&limits.answers).into_response();
    }
    let response = next.run(request).await;
    if response.status().is_success()
        && let Some(bytes) = response.body().size_hint().exact()
    {
        last_size.store(
            usize::try_from(bytes).unwrap_or(usize::MAX),
            Ordering::Relaxed,
        );
    }
    response.map(|body| Body::new(Holding::new(body, read)))
}

/// The `503` of a read refused because the answer budget is spent.
pub fn answers_budget_spent(budget: &AnswerBudget) -> ApiError {
    ApiError::Busy(format!(
        "the server holds {} MiB of answers that clients have not read yet, its limit; retry \
         shortly",
        budget.bytes_max() >> 20
    ))
}

/// A body that keeps `held` until it is dropped (the accept loop keeps an answer's body until
/// its last byte is written, or its connection is gone).
pub struct Holding<B, T> {
    inner: B,
    _held: T,
}

impl<B, T> Holding<B, T> {
    pub fn new(inner: B, held: T) -> Self {
        Holding { inner, _held: held }
    }
}

impl<B: HttpBody + Unpin, T: Unpin> HttpBody for Holding<B, T> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_admits_up_to_its_maximum_and_not_a_byte_more() {
        let budget = Arc::new(AnswerBudget::new(1000));
        let first = budget.reserve(600).expect("fits");
        assert!(budget.would_fit(400) && !budget.would_fit(401));
        let second = budget.reserve(400).expect("fits exactly");
        assert!(!budget.would_fit(1));
        assert!(budget.reserve(1).is_none());
        drop(second);
        assert!(budget.would_fit(400));
        assert!(budget.reserve(401).is_none());
        let third = budget.reserve(400).expect("fits again");
        drop((first, third));
        assert_eq!(budget.bytes_used(), 0);
    }

    #[test]
    fn an_answer_larger_than_the_budget_is_admitted_only_alone() {
        let budget = Arc::new(AnswerBudget::new(1000));
        assert!(budget.would_fit(5000));
        let alone = budget.reserve(5000).expect("nothing else is held");
        assert!(budget.reserve(1).is_none());
        drop(alone);
        let small = budget.reserve(1).expect("fits");
        assert!(budget.reserve(5000).is_none());
        drop(small);
    }

    #[test]
    fn reservations_that_must_be_sent_count_beyond_the_budget() {
        let budget = Arc::new(AnswerBudget::new(1000));
        let forced = budget.reserve_anyway(1500);
        assert_eq!(budget.bytes_used(), 1500);
        assert!(!budget.would_fit(0));
        assert!(budget.reserve(1).is_none());
        drop(forced);
        assert_eq!(budget.bytes_used(), 0);
    }

    #[test]
    fn small_answers_and_answers_to_appends_are_admitted_whatever_the_budget() {
        let budget = Arc::new(AnswerBudget::new(ANSWER_BYTES_ALWAYS_ADMITTED * 2));
        let held = budget
            .admit(ANSWER_BYTES_ALWAYS_ADMITTED * 2, true)
            .expect("fits");
        let small = budget.admit(ANSWER_BYTES_ALWAYS_ADMITTED, true);
        assert!(small.is_some(), "an answer of the edge size is admitted");
        assert!(
            budget
                .admit(ANSWER_BYTES_ALWAYS_ADMITTED + 1, true)
                .is_none()
        );
        let appended = budget.admit(ANSWER_BYTES_ALWAYS_ADMITTED + 1, false);
        assert!(appended.is_some(), "an append's answer is sent");
        assert_eq!(budget.bytes_used(), ANSWER_BYTES_ALWAYS_ADMITTED * 4 + 1);
        drop((held, small, appended));
        assert_eq!(budget.bytes_used(), 0);
    }

    #[test]
    fn a_token_may_have_its_maximum_of_heavy_reads_and_others_are_not_affected() {
        let reads = Arc::new(HeavyReads::new(2));
        let one = reads.start("kiem-toan").expect("first");
        let two = reads.start("kiem-toan").expect("second, the maximum");
        assert!(reads.start("kiem-toan").is_none());
        let other = reads
            .start("phong-sxsh")
            .expect("another token has its own count");
        drop(one);
        let three = reads.start("kiem-toan").expect("room again");
        drop((two, three, other));
        assert_eq!(reads.in_flight("kiem-toan"), 0);
        assert!(reads.lock().is_empty(), "no entry is kept for idle tokens");
    }

    #[test]
    fn heavy_reads_are_time_travel_pages_and_verification() {
        let route = |method: &Method, uri: &str| {
            heavy_route(method, &uri.parse().unwrap()).map(|index| HEAVY_ROUTES[index])
        };
        for (uri, expected) in [
            ("/v1/events", "/v1/events"),
            ("/v1/events?after=10", "/v1/events"),
            ("/v1/verify", "/v1/verify"),
            ("/v1/plans?as_of=2012-12-31", "/v1/plans"),
            ("/v1/plans/dn-sxsh-2015?known_at=2013-06-30", "/v1/plans/"),
            ("/v1/funding?as_of=2013-12-31&plan=dn", "/v1/funding"),
            (
                "/v1/summaries/yearly?known_at=2030-01-01",
                "/v1/summaries/yearly",
            ),
            (
                "/v1/reconciliation?as%5Fof=2015-12-31",
                "/v1/reconciliation",
            ),
        ] {
            assert_eq!(route(&Method::GET, uri), Some(expected), "{uri}");
        }
        for uri in [
            "/v1/funding",
            "/v1/funding?plan=dn-sxsh-2015",
            "/v1/summaries/yearly",
            "/v1/plans",
            "/v1/plans/dn-sxsh-2015",
            "/v1/head",
            "/v1/events/01JD0000000000000000000000",
            "/v1/whoami",
            "/v1/tokens",
            "/v1/plans/?as_of=2012-12-31",
            "/v1/plans/a/b?as_of=2012-12-31",
            "/",
            "/healthz",
        ] {
            assert_eq!(route(&Method::GET, uri), None, "{uri}");
        }
        assert_eq!(route(&Method::POST, "/v1/events"), None);
    }
}
