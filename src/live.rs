//! The live projections of a running service: the [`Record`], fed by the log's writer thread
//! after every commit, and the rendered answers of "now" queries, kept until the next commit.
//!
//! Live reads (`GET /v1/funding` with no time parameters, polled by dashboards) far outnumber
//! commits, so an answer is computed and serialised once per commit, not once per request.
//!
//! The same hook raises the [`Feed`]'s signal, which wakes the event streams.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use axum::body::Bytes;

use acta_events::store::CommitHook;
use acta_events::{CivilDate, EventRow};
use acta_projections::Record;

use crate::feed::Feed;

/// Most "now" answers kept at once (one per endpoint and plan); beyond it the cache restarts.
const ANSWERS_CACHED_MAX: usize = 4096;

struct CachedAnswer {
    generation: u64,
    today: CivilDate,
    body: Bytes,
}

#[derive(Default)]
pub struct Live {
    record: RwLock<Record>,
    /// Bumped after every commit is folded in: answers of an older generation are stale.
    generation: AtomicU64,
    answers: Mutex<HashMap<String, CachedAnswer>>,
    /// Told of every commit, for `GET /v1/events/stream`.
    pub feed: Feed,
}

impl Live {
    pub fn new() -> Arc<Live> {
        Arc::new(Live::default())
    }

    /// The hook to hand the log: folds each commit into the record (and, given to
    /// [`acta_events::Log::open`], every stored event at open, though [`Live::replaying`] reads
    /// them faster).
    pub fn commit_hook(self: &Arc<Self>) -> CommitHook {
        let live = Arc::clone(self);
        Arc::new(move |events| {
            let mut record = live
                .record
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for event in events {
                record.apply(event);
            }
            live.generation.fetch_add(1, Ordering::Release);
            drop(record);
            if let Some(last) = events.last() {
                live.feed.committed(last.seq);
            }
        })
    }

    /// Runs `open` with a fold of every event it replays into the record (the cold start:
    /// [`Record::replay`]), the record's lock taken once for all of them.
    pub fn replaying<R>(&self, open: impl FnOnce(&mut dyn FnMut(&EventRow<'_>)) -> R) -> R {
        let mut record = self
            .record
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let opened = open(&mut |event| record.replay(event));
        drop(record);
        self.generation.fetch_add(1, Ordering::Release);
        opened
    }

    /// The record, for reading. Queries are quick folds; the writer waits for them.
    pub fn record(&self) -> RwLockReadGuard<'_, Record> {
        self.record
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The rendered answer of a "now" query named `key`, computed by `render` only if no answer
    /// of the current commit and day is kept. (`today` matters: targets are missed when their
    /// year has ended.)
    pub fn answer_now<E>(
        &self,
        key: &str,
        today: CivilDate,
        render: impl FnOnce(&Record) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        let record = self.record();
        // Read under the record's lock, so the generation matches the record rendered.
        let generation = self.generation.load(Ordering::Acquire);
        let answers = self
            .answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cached) = answers.get(key)
            && cached.generation == generation
            && cached.today == today
        {
            return Ok(cached.body.clone());
        }
        drop(answers);
        let body = render(&record)?;
        drop(record);
        let mut answers = self
            .answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if answers.len() >= ANSWERS_CACHED_MAX {
            answers.clear();
        }
        answers.insert(
            key.to_owned(),
            CachedAnswer {
                generation,
                today,
                body: body.clone(),
            },
        );
        Ok(body)
    }
}
