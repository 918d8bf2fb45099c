//! The log's public types: what an append is and answers, the head, the filters of a page, the
//! options of an open. A leaf of `store/`: every other part uses it, it uses none of them.

use std::sync::Arc;

use crate::catalogue::EventType;
use crate::error::AppendError;
use crate::request::NewEvent;
use crate::stored::StoredEvent;
use crate::types::{Instant, PlanKey};

/// The clock the log stamps `recorded_at` with. Passed in, so tests choose the time.
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// Called on the writer thread with the events of each commit, in `seq` order, after they are
/// durable and before any client hears of them (so a client reads its own writes).
pub type CommitHook = Arc<dyn Fn(&[StoredEvent]) + Send + Sync>;

/// Most requests one group commit takes; the rest wait for the next one.
pub const GROUP_REQUESTS_MAX: usize = 512;

/// Most requests waiting for the writer; beyond it, appends wait for room (back-pressure).
pub const WRITE_QUEUE_DEPTH_MAX: usize = 4096;

/// One append: a single event or a batch, all or nothing, recorded by `actor`.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub events: Vec<NewEvent>,
    pub actor: String,
    /// Whether a refusal names the event at fault by its index in the batch
    /// ([`AppendError::InBatch`]) or is the event's own.
    pub is_batch: bool,
}

/// What an append answered: every event of the request as stored, and how many are new.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    pub events: Vec<StoredEvent>,
    pub stored_new: usize,
}

/// Called once with the answer to an append.
pub type Reply = Box<dyn FnOnce(Result<AppendOutcome, AppendError>) + Send>;

/// The position and hash of the newest event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    pub recorded_at: Option<Instant>,
}

/// Filters of `GET /v1/events`.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub after_seq: u64,
    pub limit: u32,
    pub plan: Option<PlanKey>,
    pub event_type: Option<EventType>,
}

/// Options for opening the log.
pub struct LogOptions {
    pub clock: Clock,
    pub on_commit: Option<CommitHook>,
    /// Size the writer for large batches (`acta import`) rather than many small commits.
    pub bulk: bool,
}
