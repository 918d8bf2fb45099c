//! The writer: one thread per log that takes every request waiting, applies them in one
//! transaction and commits once (group commit). The rules ([`super::rules`]) decide; the writer
//! stamps, hashes and writes what they decided, through [`Transactions`]: the write side of the
//! storage interface, which each back end implements (SQLite in `sqlite_writer.rs`, PostgreSQL
//! in `postgres/writer.rs`). So both back ends share one group commit, one set of rules and one
//! hash recipe.

use acta_messages::{Message, codes};
use std::borrow::Cow;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::Value;

use crate::catalogue::{EventData, EventType};
use crate::error::{AppendError, StoreError};
use crate::request::{Evidence, NewEvent, Recorded};
use crate::stored::{HashedText, StoredEvent};
use crate::types::{EventId, Instant};

use super::health;
use super::reads::LogReads;
use super::rules::{self, DecisionChange, Stored, Verdict};
use super::state::{Undo, WriterState};
use super::types::{
    AppendOutcome, AppendRequest, Clock, CommitHook, GROUP_REQUESTS_MAX, Head, Reply,
};

pub(super) struct WriteJob {
    pub(super) request: AppendRequest,
    pub(super) reply: Reply,
}

/// The write side of the storage interface: what the writer asks of a back end, inside the
/// transaction of one group.
pub(super) trait Transactions: Send + 'static {
    /// What the rules read inside the transaction (see [`Stored`]).
    type View<'a>: Stored
    where
        Self: 'a;

    /// Begins the group's transaction — the point at which every writer of the database takes
    /// its turn — and makes `state` describe the database as it is then: another writer may
    /// have committed since (another instance on PostgreSQL; on SQLite, a process past the
    /// lock), and `stale` says a failed commit left `state` unknown. Returns the events others
    /// committed since `state` last described the database, when `want_missed`, so that the
    /// projections take them in.
    fn begin(
        &mut self,
        state: &mut WriterState,
        stale: bool,
        want_missed: bool,
    ) -> Result<Vec<StoredEvent>, AppendError>;
    fn savepoint(&mut self) -> Result<(), AppendError>;
    fn release_savepoint(&mut self) -> Result<(), AppendError>;
    fn rollback_to_savepoint(&mut self) -> Result<(), AppendError>;
    /// Whether the database gave the whole transaction up (an I/O error, a lost connection):
    /// nothing of the group is left, and nothing more may be written in it.
    fn transaction_lost(&mut self) -> bool;
    /// The rules' view of the log inside the transaction.
    fn view<'a>(&'a mut self, state: &'a WriterState) -> Self::View<'a>;
    /// Writes one event's row.
    fn insert(&mut self, row: &NewRow<'_>) -> Result<(), AppendError>;
    /// Writes one change to the decision-number index.
    fn change_decision(
        &mut self,
        change: &DecisionChange,
        this_event: EventId,
    ) -> Result<(), AppendError>;
    /// Commits the transaction, `head` being the newest event in it.
    fn commit(&mut self, head: &Head) -> Result<(), AppendError>;
    /// Rolls back whatever is left of the transaction.
    fn rollback(&mut self);
    /// Reads the writer's state from the database, outside any transaction.
    fn reload(&mut self) -> Result<WriterState, StoreError>;
}

/// One event's row as the back end writes it: the text its hash is computed over, each column
/// rendered once for both, then its place in the chain and the event it targets.
pub(super) struct NewRow<'a> {
    pub(super) hashed: HashedText<'a>,
    pub(super) prev_hash: &'a str,
    pub(super) hash: &'a str,
    /// The event a correction or retraction targets.
    pub(super) target: Option<&'a str>,
}

/// Hands committed events to the commit hook exactly once each, in `seq` order, whoever found
/// them: the writer (its own commits and those it caught up with) or, on PostgreSQL, the
/// follower that hears of other instances' commits. A gap between what was handed over and
/// what is handed now is read from the log first, so nothing is missed.
pub(super) struct Publisher {
    hook: Option<CommitHook>,
    /// The `seq` of the last event handed over (or seen at start).
    published: Mutex<u64>,
    /// Where a gap is read from; without it (SQLite, where the writer sees every commit) a
    /// gap cannot happen.
    reads: Option<Arc<dyn LogReads>>,
}

impl Publisher {
    pub(super) fn new(
        hook: Option<CommitHook>,
        published: u64,
        reads: Option<Arc<dyn LogReads>>,
    ) -> Publisher {
        Publisher {
            hook,
            published: Mutex::new(published),
            reads,
        }
    }

    /// Whether anyone listens: without a hook, committed events need no copy.
    pub(super) fn wants_events(&self) -> bool {
        self.hook.is_some()
    }

    /// The `seq` of the last event handed over.
    pub(super) fn published(&self) -> u64 {
        *self.published.lock().expect("publisher lock")
    }

    /// Hands over `events` (durable, in any order) that were not handed over yet. They are
    /// durable whatever the hook does: a panic in it must not take the writer (and every later
    /// append) down with it.
    pub(super) fn publish(&self, mut events: Vec<StoredEvent>) {
        let Some(hook) = &self.hook else {
            return;
        };
        let mut published = self.published.lock().expect("publisher lock");
        events.retain(|event| event.seq > *published);
        if events.is_empty() {
            return;
        }
        events.sort_by_key(|event| event.seq);
        let first = events[0].seq;
        if first > *published + 1
            && let Some(reads) = &self.reads
        {
            let mut gap = Vec::new();
            let filled = reads.scan_readable(*published, &mut |chunk| {
                gap.extend(chunk.iter().filter(|event| event.seq < first).cloned());
                match chunk.last() {
                    Some(last) if last.seq >= first => Err(StoreError::Io(String::new())),
                    _ => Ok(()),
                }
            });
            if let Err(StoreError::Io(message)) = &filled
                && !message.is_empty()
            {
                eprintln!("acta: events before seq {first} could not be read: {message}");
            }
            gap.append(&mut events);
            events = gap;
        }
        let hook = std::panic::AssertUnwindSafe(|| hook(&events));
        if std::panic::catch_unwind(hook).is_err() {
            eprintln!(
                "acta: the commit hook panicked; the events are stored, the projections may lag"
            );
        }
        *published = events.last().map_or(*published, |event| event.seq);
    }
}

/// Starts the writer thread over `transactions`, whose state is `state`.
pub(super) fn spawn<T: Transactions>(
    transactions: T,
    state: WriterState,
    clock: Clock,
    publisher: Arc<Publisher>,
    health: Arc<health::Health>,
) -> Result<mpsc::SyncSender<WriteJob>, StoreError> {
    let (sender, receiver) = mpsc::sync_channel(super::types::WRITE_QUEUE_DEPTH_MAX);
    let writer = Writer {
        transactions,
        state,
        hash_buffer: String::with_capacity(1024),
        stale: false,
        group_base: 0,
        clock,
        publisher,
        health,
    };
    thread::Builder::new()
        .name("acta-writer".into())
        .spawn(move || writer.run(receiver))
        .map_err(|error| StoreError::Io(format!("cannot start the writer thread: {error}")))?;
    Ok(sender)
}

/// The `recorded_at` of one group commit, with its text rendered once for every event.
struct Stamp {
    at: Instant,
    text: String,
}

struct Writer<T> {
    transactions: T,
    state: WriterState,
    /// Scratch space for the canonical text each hash is computed over.
    hash_buffer: String,
    /// Set when a failed commit left `state` unknown: the next group reloads it inside its
    /// transaction before appending anything.
    stale: bool,
    /// The head's `seq` when the current group's transaction began: its events come after it.
    group_base: u64,
    clock: Clock,
    publisher: Arc<Publisher>,
    health: Arc<health::Health>,
}

impl<T: Transactions> Writer<T> {
    fn run(mut self, jobs: mpsc::Receiver<WriteJob>) {
        while let Some(first) = next_job(&jobs) {
            let mut group = vec![first];
            while group.len() < GROUP_REQUESTS_MAX {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
    }

    /// Commits one group: every request in one transaction, then the commit hook, then each
    /// client's answer.
    fn commit_group(&mut self, group: Vec<WriteJob>) {
        let (requests, replies): (Vec<AppendRequest>, Vec<Reply>) = group
            .into_iter()
            .map(|job| (job.request, job.reply))
            .unzip();
        if let Some(refusal) = self.health.refusal() {
            for reply in replies {
                reply(Err(refusal.clone()));
            }
            return;
        }
        let mut results = Vec::with_capacity(replies.len());
        let mut missed = Vec::new();
        let mut committed = Vec::new();
        let outcome = self.apply_group(requests, &mut results, &mut missed, &mut committed);
        let failure = outcome.err();
        if let Some(AppendError::InDoubt(cause)) = &failure {
            let answers = self.answers_in_doubt(cause, results);
            self.undo_group(failure.as_ref().expect("a failure"));
            self.publisher.publish(missed);
            for (reply, answer) in replies.into_iter().zip(answers) {
                reply(answer);
            }
            return;
        }
        if let Some(failure) = &failure {
            self.undo_group(failure);
            // Events caught up with are durable; only this group's are not.
            committed.clear();
            results.clear();
            results.resize(replies.len(), Err(failure.clone()));
        }
        self.health.record(failure.as_ref());
        missed.append(&mut committed);
        self.publisher.publish(missed);
        for (reply, result) in replies.into_iter().zip(results) {
            reply(result);
        }
    }

    /// The `recorded_at` of the next group: the clock's, but never before the head's, so that it
    /// never decreases along `seq` even if the system clock steps back.
    fn stamp(&self) -> Stamp {
        let clock_now = Instant::from_timestamp((self.clock)());
        let at = match self.state.head.recorded_at {
            Some(last) if last > clock_now => last,
            _ => clock_now,
        };
        Stamp {
            at,
            text: at.to_string(),
        }
    }

    /// Applies `requests` in one transaction and commits it, pushing each request's result,
    /// the events others committed that the writer caught up with (`missed`, durable whatever
    /// happens next) and the events stored anew (`committed`). An error is the whole group's:
    /// nothing of it is durable.
    fn apply_group(
        &mut self,
        requests: Vec<AppendRequest>,
        results: &mut Vec<Result<AppendOutcome, AppendError>>,
        missed: &mut Vec<StoredEvent>,
        committed: &mut Vec<StoredEvent>,
    ) -> Result<(), AppendError> {
        // The state must describe the database as it is: the back end reloads it inside the
        // transaction if another writer committed or a failed commit left it unknown, rather
        // than chain onto a head that is not there.
        *missed =
            self.transactions
                .begin(&mut self.state, self.stale, self.publisher.wants_events())?;
        self.stale = false;
        self.group_base = self.state.head.seq;
        // Stamped after the head is known: never before one another writer just committed.
        let now = &self.stamp();
        // A request alone in its group (every import batch) is undone, if refused, by rolling
        // the whole transaction back.
        let alone = requests.len() == 1;
        let mut refused_alone = false;
        for request in requests {
            // A savepoint journals every page the request touches, which costs more than the
            // request itself; it is needed only where the request can fail after it has written
            // something (see `may_fail_after_writing`) beside other requests.
            let savepoint = !alone && may_fail_after_writing(&request);
            if savepoint {
                self.transactions.savepoint()?;
            }
            let mut undo = Undo::default();
            match self.apply_request(request, now, &mut undo) {
                Ok((outcome, new_events)) => {
                    if savepoint {
                        self.transactions.release_savepoint()?;
                    }
                    committed.extend(new_events);
                    results.push(Ok(outcome));
                }
                Err(error) => {
                    // Some errors make the database give the whole transaction up: nothing of
                    // the group is left, and going on would write outside it.
                    if self.transactions.transaction_lost() {
                        return Err(error);
                    }
                    if savepoint {
                        self.transactions.rollback_to_savepoint()?;
                    }
                    // A statement that failed in the database (a constraint the state should
                    // have foreseen, such as a taken seq) means the state may not describe the
                    // database: reload it before the next group.
                    if error.is_storage() {
                        self.stale = true;
                    }
                    refused_alone = alone;
                    self.state.roll_back(undo);
                    results.push(Err(error));
                }
            }
        }
        match refused_alone {
            true => {
                self.transactions.rollback();
                Ok(())
            }
            false => self.transactions.commit(&self.state.head),
        }
    }

    /// The answers of a group whose commit failed midway on the disk (see
    /// [`AppendError::InDoubt`]), and the writer's refusal from now on. A request whose events
    /// were all stored before this group (repeats) keeps its answer; one refused keeps its
    /// refusal, since nothing of it was written; every other is told which of its events may be
    /// stored, as they would be.
    fn answers_in_doubt(
        &self,
        cause: &str,
        results: Vec<Result<AppendOutcome, AppendError>>,
    ) -> Vec<Result<AppendOutcome, AppendError>> {
        let base = self.group_base;
        let mut doubtful_seqs = (u64::MAX, 0);
        let answers = results
            .into_iter()
            .map(|result| {
                let outcome = result?;
                let doubtful: Vec<&StoredEvent> = outcome
                    .events
                    .iter()
                    .filter(|event| event.seq > base)
                    .collect();
                if doubtful.is_empty() {
                    return Ok(outcome);
                }
                for event in &doubtful {
                    doubtful_seqs = (
                        doubtful_seqs.0.min(event.seq),
                        doubtful_seqs.1.max(event.seq),
                    );
                }
                let named = doubtful
                    .iter()
                    .map(|event| format!("seq {} id {} hash {}", event.seq, event.id, event.hash))
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(AppendError::InDoubt(format!(
                    "the disk failed while the database committed this request ({cause}): it \
                     may or may not hold its events ({named}). acta now refuses appends until \
                     it is restarted on a repaired disk; then send the same request again with \
                     the same id: it is answered with the stored event if the commit survived, \
                     or stored now"
                )))
            })
            .collect();
        let events = match doubtful_seqs {
            (first, last) if first <= last => format!("events {first}..={last}"),
            _ => "a group of repeats".to_owned(),
        };
        let refusal = format!(
            "the disk failed while the database committed {events} ({cause}): whether they \
             are stored is known only when the database is opened again. Appends are refused \
             until acta is restarted on a repaired disk; reads go on"
        );
        eprintln!("acta: {refusal}");
        self.health.refuse(refusal);
        answers
    }

    /// After a failed group: roll back what is left of it and reload the state, and look
    /// again at the database before the next group whatever happened.
    fn undo_group(&mut self, failure: &AppendError) {
        self.transactions.rollback();
        eprintln!("acta: a commit failed, nothing of it is stored: {failure}");
        match self.transactions.reload() {
            Ok(state) => self.state = state,
            Err(load_error) => eprintln!("acta: cannot reload the writer state: {load_error}"),
        }
        self.stale = true;
    }

    /// Applies one request and returns its outcome with the events it stored anew. On error
    /// the caller rolls back both the savepoint and `undo`.
    fn apply_request(
        &mut self,
        request: AppendRequest,
        now: &Stamp,
        undo: &mut Undo,
    ) -> Result<(AppendOutcome, Vec<StoredEvent>), AppendError> {
        let mut events = Vec::with_capacity(request.events.len());
        let mut new_events = Vec::new();
        let mut stored_new = 0;
        for (index, event) in request.events.into_iter().enumerate() {
            let (stored, is_new) = self.apply_event(event, &request.actor, now, undo).map_err(
                |error| match request.is_batch {
                    true => AppendError::InBatch {
                        index,
                        error: Box::new(error),
                    },
                    false => error,
                },
            )?;
            stored_new += usize::from(is_new);
            // Only a commit hook needs its own copy of the new events.
            if is_new && self.publisher.wants_events() {
                new_events.push(stored.clone());
            }
            events.push(stored);
        }
        let outcome = AppendOutcome { events, stored_new };
        Ok((outcome, new_events))
    }

    /// Checks every stream rule for `event` against what is stored and appends it. Returns the
    /// stored event and whether it is new (`false` for an idempotent repeat).
    fn apply_event(
        &mut self,
        event: NewEvent,
        actor: &str,
        now: &Stamp,
        undo: &mut Undo,
    ) -> Result<(StoredEvent, bool), AppendError> {
        let view = self.transactions.view(&self.state);
        let effects = match rules::decide(&view, &event)? {
            Verdict::Repeat(stored) => {
                if let Some(recorded) = &event.recorded {
                    check_repeat_restored(recorded, &stored)?;
                }
                return Ok((stored, false));
            }
            Verdict::Append(effects) => effects,
        };
        drop(view);
        // A restored event keeps how it was recorded, if that fits where it is appended.
        let (recorded_at, recorded_text, actor) = match &event.recorded {
            Some(recorded) => {
                check_restored(recorded, &self.state.head, effects.version)?;
                let text = recorded.recorded_at.to_string();
                (
                    recorded.recorded_at,
                    Cow::Owned(text),
                    recorded.actor.as_str(),
                )
            }
            None => (now.at, Cow::Borrowed(now.text.as_str()), actor),
        };
        let id = event.id.unwrap_or_else(|| self.state.fresh_id(now.at));
        // Written before the event's row: a request that writes them can be refused after
        // writing (see `may_fail_after_writing`).
        for change in &effects.decisions {
            self.transactions.change_decision(change, id)?;
        }
        let mut stored = StoredEvent {
            seq: self.state.head.seq + 1,
            id,
            event_type: event.event_type,
            plan: event.plan.clone(),
            version: effects.version,
            occurred_on: event.occurred_on,
            date_precision: event.date_precision,
            recorded_at,
            actor: actor.to_owned(),
            // Moved in once the row is written.
            data: Value::Null,
            evidence: event.evidence.as_ref().map(|evidence| evidence.to_json()),
            prev_hash: self.state.head.hash.clone(),
            hash: String::new(),
        };
        // Every text is rendered once, for both the row and the hash.
        let id_text = id.to_string();
        let occurred_on_text = stored.occurred_on.to_string();
        let evidence_text = event.evidence.as_ref().map(Evidence::canonical_json);
        let hashed = HashedText {
            seq: stored.seq,
            id: &id_text,
            event_type: stored.event_type.as_str(),
            plan: stored.plan.as_str(),
            version: stored.version,
            occurred_on: &occurred_on_text,
            date_precision: stored.date_precision.as_str(),
            recorded_at: &recorded_text,
            actor,
            canonical_data: &event.data_canonical,
            canonical_evidence: evidence_text.as_deref(),
        };
        stored.hash = hashed.hash(&stored.prev_hash, &mut self.hash_buffer);
        if let Some(recorded) = &event.recorded
            && recorded.hash != stored.hash
        {
            return Err(AppendError::invalid(
                "/hash",
                Message::new(codes::HASH_ALTERED).text("hash", stored.hash.as_str()),
            ));
        }
        let target = match &event.data {
            EventData::EventCorrected(correction) => Some(correction.target.to_string()),
            EventData::EventRetracted(retraction) => Some(retraction.target.to_string()),
            _ => None,
        };
        self.transactions.insert(&NewRow {
            hashed,
            prev_hash: &stored.prev_hash,
            hash: &stored.hash,
            target: target.as_deref(),
        })?;

        stored.data = event.data_json;
        if self.state.newest_id.is_none_or(|newest| id > newest) {
            self.state.newest_id = Some(id);
        }
        self.state.set_plan(undo, &event.plan, effects.stream);
        self.state.set_head(
            undo,
            Head {
                seq: stored.seq,
                hash: stored.hash.clone(),
                recorded_at: Some(recorded_at),
            },
        );
        Ok((stored, true))
    }
}

/// A restored event continues the log exactly where it was recorded: the next `seq`, chained to
/// the head, the stream's next version, and not recorded before the head.
fn check_restored(recorded: &Recorded, head: &Head, version: u64) -> Result<(), AppendError> {
    if recorded.seq != head.seq + 1 {
        return Err(AppendError::conflict(
            "/seq",
            Message::new(codes::RESTORE_SEQ)
                .int("seq", recorded.seq)
                .int("head_seq", head.seq),
        ));
    }
    if recorded.prev_hash != head.hash {
        return Err(AppendError::conflict(
            "/prev_hash",
            Message::new(codes::RESTORE_PREV_HASH)
                .text("prev_hash", recorded.prev_hash.as_str())
                .text("head_hash", head.hash.as_str()),
        ));
    }
    if recorded.version != version {
        return Err(AppendError::invalid(
            "/version",
            Message::new(codes::RESTORE_VERSION)
                .int("version", recorded.version)
                .int("next", version),
        ));
    }
    if head
        .recorded_at
        .is_some_and(|last| recorded.recorded_at < last)
    {
        return Err(AppendError::invalid(
            "/recorded_at",
            codes::RESTORE_RECORDED_AT,
        ));
    }
    Ok(())
}

/// A restored event already stored (a restore run again) is the same event at the same place.
fn check_repeat_restored(recorded: &Recorded, stored: &StoredEvent) -> Result<(), AppendError> {
    if recorded.seq == stored.seq && recorded.hash == stored.hash {
        return Ok(());
    }
    Err(AppendError::conflict(
        "/id",
        Message::new(codes::RESTORE_REPEAT)
            .text("id", stored.id.to_string())
            .int("seq", stored.seq)
            .text("hash", stored.hash.as_str())
            .int("sent_seq", recorded.seq)
            .text("sent_hash", recorded.hash.as_str()),
    ))
}

/// How long the writer polls its queue after a commit before it sleeps. A client that waits for
/// each answer sends its next request a round trip after the last commit; found awake, the
/// writer takes it at once, where waking a sleeping thread costs tens of microseconds on a
/// virtual machine. When requests queue up the writer never gets here; when none come, it
/// sleeps after this.
const WRITER_POLL: std::time::Duration = std::time::Duration::from_micros(250);

/// The next job, polling for [`WRITER_POLL`] before sleeping; `None` once every sender is gone.
fn next_job(jobs: &mpsc::Receiver<WriteJob>) -> Option<WriteJob> {
    let started = std::time::Instant::now();
    while started.elapsed() < WRITER_POLL {
        match jobs.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            // Let a thread that wants this core (the one about to queue a job) run first.
            Err(mpsc::TryRecvError::Empty) => thread::yield_now(),
        }
    }
    jobs.recv().ok()
}

/// Whether `request` can be refused after it has written to the database, so that it needs a
/// savepoint to be undone alone. A single event of any other type writes one row, last, after
/// every check: refused, it has written nothing. A batch can be refused at its second event; a
/// decision writes its number before its row; a correction or retraction re-indexes the
/// decision number it targets before its row.
fn may_fail_after_writing(request: &AppendRequest) -> bool {
    match request.events.as_slice() {
        [event] => matches!(
            event.event_type,
            EventType::DecisionIssued | EventType::EventCorrected | EventType::EventRetracted
        ),
        _ => true,
    }
}
