//! `GET /v1/verify` for every caller at once: one verification at a time, on a thread of its
//! own, whose answer every caller that asked while it ran shares.
//!
//! A verification reads and hashes the log, and SQLite's `quick_check` reads the whole file:
//! seconds to minutes on a large record. Run once per request on tokio's blocking pool, callers
//! that had hung up long ago still held its threads, and the log's own reads (`/v1/head`,
//! `/v1/events`) queued behind them. Here a caller only waits on a channel: when it goes, nothing
//! is cancelled and nothing more is started, and the threads of the blocking pool stay free.
//!
//! What a verification found is kept for the next one (docs/DESIGN.md, "What does a
//! verification keep?"): the chain's report, which the next check goes on from
//! ([`Log::verify_from`]), reading only the events appended since; and the file check, which is
//! run again only when the head has moved or [`FILE_CHECK_KEPT_MAX`] has passed. The chain is
//! checked again from the start once [`CHAIN_RECHECK_AFTER`] has passed.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use acta_events::{Integrity, Log, VerifyReport};

/// How long the file check (`PRAGMA quick_check`) of one head is given again without running it.
pub const FILE_CHECK_KEPT_MAX: Duration = Duration::from_secs(60 * 60);

/// How long the chain is only extended before it is checked again from its first event.
pub const CHAIN_RECHECK_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Why no report came.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    /// The server is shutting down: the verification was stopped.
    #[error("the service is shutting down")]
    ShuttingDown,
    /// The log could not be read (the cause is for the log, not the client).
    #[error("{0}")]
    Failed(String),
}

/// The handle every request shares (in [`crate::http::AppState`]). Dropping the last one stops
/// the thread.
pub struct Verifier {
    shared: Arc<Shared>,
}

struct Shared {
    rounds: Mutex<Rounds>,
    /// Wakes the thread when a round is asked for, or when it must stop.
    wake: Condvar,
    /// Read by the chain check at each progress report.
    stop: AtomicBool,
    answers: watch::Sender<Published>,
}

#[derive(Default)]
struct Rounds {
    /// The number of the latest round asked for.
    latest: u64,
    /// Whether that round is asked for or running (not yet answered).
    busy: bool,
    stopped: bool,
}

/// The latest answer, with the round it answers.
#[derive(Clone)]
struct Published {
    round: u64,
    answer: Answer,
}

#[derive(Clone)]
enum Answer {
    None,
    Report(Arc<VerifyReport>),
    Failed(String),
    ShuttingDown,
}

impl Verifier {
    /// Starts the verification thread over `log`. `checked`, a verification the caller just ran
    /// (`serve` runs one before it listens), is kept as if this thread had run it.
    pub fn start(log: Log, checked: Option<VerifyReport>) -> std::io::Result<Verifier> {
        let (answers, _) = watch::channel(Published {
            round: 0,
            answer: Answer::None,
        });
        let shared = Arc::new(Shared {
            rounds: Mutex::default(),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            answers,
        });
        let mut kept = Kept::new();
        if let Some(report) = checked {
            kept.keep(report);
        }
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("acta-verifier".into())
            .spawn(move || run(&thread_shared, &log, &mut kept))?;
        Ok(Verifier { shared })
    }

    /// The report of the verification running now, or of a new one if none is: every caller
    /// that asks while one runs gets its answer. Dropping the future cancels nothing.
    pub async fn report(&self) -> Result<Arc<VerifyReport>, VerifyError> {
        // Subscribed before asking, so that no answer can be missed in between.
        let mut answers = self.shared.answers.subscribe();
        let round = {
            let mut rounds = self.shared.lock();
            if rounds.stopped {
                return Err(VerifyError::ShuttingDown);
            }
            if !rounds.busy {
                rounds.latest += 1;
                rounds.busy = true;
                self.shared.wake.notify_one();
            }
            rounds.latest
        };
        let published = answers
            .wait_for(|published| {
                published.round >= round || matches!(published.answer, Answer::ShuttingDown)
            })
            .await
            .map_err(|_| VerifyError::ShuttingDown)?
            .clone();
        match published.answer {
            Answer::Report(report) => Ok(report),
            Answer::Failed(cause) => Err(VerifyError::Failed(cause)),
            Answer::ShuttingDown | Answer::None => Err(VerifyError::ShuttingDown),
        }
    }

    /// Stops the thread at its next progress report (a file check already running is left to
    /// finish on its own: nothing waits for it) and answers every waiting caller that the
    /// service is shutting down. For `serve`'s shutdown, which must not wait for a verification.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.lock().stopped = true;
        self.shared.wake.notify_one();
        self.shared.answers.send_replace(Published {
            round: u64::MAX,
            answer: Answer::ShuttingDown,
        });
    }
}

#[cfg(test)]
impl Verifier {
    /// How many rounds were asked for.
    fn rounds_asked(&self) -> u64 {
        self.shared.lock().latest
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Rounds> {
        self.rounds
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The verification thread: waits for a round, runs it, publishes its answer.
fn run(shared: &Shared, log: &Log, kept: &mut Kept) {
    loop {
        let round = {
            let mut rounds = shared.lock();
            while !rounds.busy && !rounds.stopped {
                rounds = shared
                    .wake
                    .wait(rounds)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if rounds.stopped {
                return;
            }
            rounds.latest
        };
        let started = Instant::now();
        let checked_before = kept.chain.checked;
        // A panic must not leave the round unanswered (its callers would wait for ever): it is
        // answered as a failure, and nothing of it is kept.
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            kept.verify(log, &shared.stop)
        }))
        .unwrap_or_else(|_| {
            *kept = Kept::new();
            Answer::Failed("the verification panicked".into())
        });
        if shared.stopping() {
            tracing::info!("verification stopped: the service is shutting down");
            return;
        }
        if let Answer::Report(report) = &answer {
            let read = report.checked.saturating_sub(checked_before);
            let duration_ms = started.elapsed().as_millis() as u64;
            match (read, kept.file_checked_at(started)) {
                (0, false) => tracing::debug!(checked = report.checked, "verification kept"),
                (_, file_checked) => tracing::info!(
                    checked = report.checked,
                    read,
                    file_checked,
                    ok = report.ok(),
                    duration_ms,
                    "verification done"
                ),
            }
        }
        shared.answers.send_replace(Published { round, answer });
        shared.lock().busy = false;
    }
}

/// What the last verification found, for the next one to start from.
struct Kept {
    /// The chain's report up to its head (`integrity` unused).
    chain: VerifyReport,
    /// When the chain was last checked from its first event.
    chain_checked_whole_at: Instant,
    /// The file check, and the head it was run at.
    file: Option<FileCheck>,
}

struct FileCheck {
    head: (u64, String),
    at: Instant,
    integrity: Integrity,
}

impl Kept {
    fn new() -> Kept {
        Kept {
            chain: VerifyReport::nothing_checked(),
            chain_checked_whole_at: Instant::now(),
            file: None,
        }
    }

    /// Keeps a whole verification run elsewhere.
    fn keep(&mut self, report: VerifyReport) {
        let head = (report.head_seq, report.head_hash.clone());
        self.file = Some(FileCheck {
            head,
            at: Instant::now(),
            integrity: report.integrity.clone(),
        });
        // A chain that could not be read through says nothing to go on from.
        let unreadable = report.problem.is_some() && report.first_bad_seq.is_none();
        if !unreadable {
            self.chain = VerifyReport {
                integrity: Integrity::default(),
                ..report
            };
        }
    }

    /// Whether the file check kept was run at or after `since`.
    fn file_checked_at(&self, since: Instant) -> bool {
        self.file.as_ref().is_some_and(|file| file.at >= since)
    }

    fn verify(&mut self, log: &Log, stop: &AtomicBool) -> Answer {
        // Read first: a file check is kept for a head no later than the one it saw.
        let head = log.head().ok().map(|head| (head.seq, head.hash));
        if self.chain_checked_whole_at.elapsed() >= CHAIN_RECHECK_AFTER {
            self.chain = VerifyReport::nothing_checked();
            self.chain_checked_whole_at = Instant::now();
        }
        let chain_head = (self.chain.head_seq, self.chain.head_hash.clone());
        let chain = match head.as_ref() == Some(&chain_head) {
            true => Ok(self.chain.clone()),
            false => log.verify_from(&self.chain, &mut |_| match stop.load(Ordering::Relaxed) {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(()),
            }),
        };
        if stop.load(Ordering::Relaxed) {
            return Answer::ShuttingDown;
        }
        if let Ok(report) = &chain {
            self.chain = VerifyReport {
                integrity: Integrity::default(),
                ..report.clone()
            };
        }
        let integrity = match &self.file {
            Some(file)
                if Some(&file.head) == head.as_ref() && file.at.elapsed() < FILE_CHECK_KEPT_MAX =>
            {
                file.integrity.clone()
            }
            _ => {
                let problems = match log.integrity_check(false) {
                    Ok(problems) => problems,
                    Err(error) => return Answer::Failed(error.to_string()),
                };
                let integrity = Integrity {
                    full: false,
                    problems,
                };
                self.file = head.map(|head| FileCheck {
                    head,
                    at: Instant::now(),
                    integrity: integrity.clone(),
                });
                integrity
            }
        };
        match VerifyReport::with_integrity(chain, integrity) {
            Ok(report) => Answer::Report(Arc::new(report)),
            Err(error) => Answer::Failed(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acta_events::{AppendRequest, CivilDate, LogOptions, NewEvent};
    use serde_json::json;

    fn allocations(count: u64) -> Vec<NewEvent> {
        let today: CivilDate = "2026-11-28".parse().unwrap();
        (1..=count)
            .map(|amount| {
                let body = json!({"type": "funds.allocated", "plan": "p",
                                  "occurred_on": "2012-02-10",
                                  "data": {"fiscal_year": 2012, "source": "local",
                                           "amount": amount}});
                NewEvent::parse(&body, "", today).unwrap()
            })
            .collect()
    }

    fn append(log: &Log, events: Vec<NewEvent>) {
        log.append_blocking(AppendRequest {
            events,
            actor: "test".into(),
            is_batch: true,
        })
        .unwrap();
    }

    /// A log of one plan and `count` allocations.
    fn log_with(count: u64) -> (tempfile::TempDir, Log) {
        let dir = tempfile::tempdir().unwrap();
        let clock: acta_events::Clock = Arc::new(|| "2026-11-28T12:00:00Z".parse().unwrap());
        let log = Log::open(
            dir.path().join("acta.db"),
            LogOptions {
                clock,
                on_commit: None,
                bulk: true,
            },
        )
        .unwrap();
        let register = json!({"type": "plan.registered", "plan": "p", "occurred_on": "2011-12-07",
                              "data": {"title": "P", "kind": "plan",
                                       "period": {"from_year": 2011, "to_year": 2015}}});
        let today: CivilDate = "2026-11-28".parse().unwrap();
        let mut events = vec![NewEvent::parse(&register, "", today).unwrap()];
        events.extend(allocations(count));
        append(&log, events);
        (dir, log)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn callers_that_ask_while_a_verification_runs_share_its_answer() {
        let (_dir, log) = log_with(20_000);
        let verifier = Arc::new(Verifier::start(log, None).unwrap());
        let reports = runtime().block_on(async {
            let mut calls = tokio::task::JoinSet::new();
            for _ in 0..50 {
                let verifier = Arc::clone(&verifier);
                calls.spawn(async move { verifier.report().await.unwrap() });
            }
            calls.join_all().await
        });
        let first = &reports[0];
        assert!(first.ok() && first.checked == 20_001, "{first:?}");
        for report in &reports {
            assert!(Arc::ptr_eq(first, report));
        }
        assert_eq!(verifier.rounds_asked(), 1);
    }

    #[test]
    fn a_caller_that_goes_away_starts_nothing_more() {
        let (_dir, log) = log_with(20_000);
        let verifier = Verifier::start(log, None).unwrap();
        runtime().block_on(async {
            for _ in 0..100 {
                // Asked, then dropped before any answer.
                let call = verifier.report();
                let _ = tokio::time::timeout(Duration::from_micros(1), call).await;
            }
            assert_eq!(verifier.rounds_asked(), 1);
            assert!(verifier.report().await.unwrap().ok());
        });
    }

    #[test]
    fn the_next_verification_goes_on_from_the_last_and_keeps_the_file_check_of_one_head() {
        let (_dir, log) = log_with(3);
        let checked_elsewhere = log.verify(&mut |_| {}).unwrap();
        let verifier = Verifier::start(log.clone(), Some(checked_elsewhere.clone())).unwrap();
        let runtime = runtime();
        let kept = runtime.block_on(verifier.report()).unwrap();
        assert_eq!(*kept, checked_elsewhere);
        append(&log, allocations(2));
        let extended = runtime.block_on(verifier.report()).unwrap();
        assert_eq!(*extended, log.verify(&mut |_| {}).unwrap());
        assert_eq!(extended.checked, 6);
    }

    #[test]
    fn stopping_answers_every_caller_that_the_service_is_shutting_down() {
        let (_dir, log) = log_with(30_000);
        let verifier = Verifier::start(log, None).unwrap();
        let runtime = runtime();
        let started = Instant::now();
        let answer = runtime.block_on(async {
            let call = verifier.report();
            tokio::pin!(call);
            // The verification is under way when it is told to stop.
            assert!(
                tokio::time::timeout(Duration::from_millis(50), &mut call)
                    .await
                    .is_err()
            );
            verifier.stop();
            call.await
        });
        assert!(matches!(answer, Err(VerifyError::ShuttingDown)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(
            runtime.block_on(verifier.report()),
            Err(VerifyError::ShuttingDown)
        ));
    }
}
