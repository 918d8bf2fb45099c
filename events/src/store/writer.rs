//! The writer: one thread that owns the only write connection, takes every request waiting,
//! applies them in one `BEGIN IMMEDIATE` transaction and commits once (group commit). The rules
//! ([`super::rules`]) decide; the writer stamps, hashes and writes what they decided.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::catalogue::{EventData, EventType};
use crate::error::{AppendError, StoreError};
use crate::request::{Evidence, NewEvent};
use crate::schema;
use crate::stored::{HashedText, StoredEvent};
use crate::types::{EventId, Instant};

use super::connection::{Readers, open_connection};
use super::file::{self, DatabaseFile};
use super::health;
use super::rows::read_head;
use super::rules::{self, DecisionChange, Holder, Verdict};
use super::scan::{Unreadable, scan_events};
use super::state::{Undo, WriterState, WriterView, is_damage};
use super::types::{
    AppendOutcome, AppendRequest, Clock, CommitHook, GROUP_REQUESTS_MAX, Head, LogOptions, Reply,
    WRITE_QUEUE_DEPTH_MAX,
};

/// Page cache of the writer, in KiB, when appending as a server does: its hot pages are the
/// right edges of the table and indexes and one leaf per plan of the `(plan, version)` index.
/// Larger is slower: every commit after a B-tree page split scans the whole cache (SQLite's
/// `pcache1TruncateUnsafe`), which took 13% of the writer's time with 32 MiB (`perf`).
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// Page cache of the writer for a bulk load (`acta import`): a transaction of thousands of
/// events dirties a leaf of the `(plan, version)` index for nearly every plan, and a cache that
/// cannot hold them spills to the WAL in the middle of the transaction.
const BULK_WRITER_CACHE_KIB: i64 = 64 * 1024;

pub(super) struct WriteJob {
    pub(super) request: AppendRequest,
    pub(super) reply: Reply,
}

/// A started writer: the queue to it, the log's readers and the writer's health.
pub(super) struct Started {
    pub(super) sender: mpsc::SyncSender<WriteJob>,
    pub(super) readers: Arc<Readers>,
    pub(super) health: Arc<health::Health>,
}

/// Checks and migrates the locked `database`, replays it through `replay`, loads the writer's
/// state and starts the writer thread.
pub(super) fn start(
    database: DatabaseFile,
    writer_lock: Arc<file::WriterLock>,
    options: LogOptions,
    replay: impl FnOnce(&Readers) -> Result<(), StoreError>,
) -> Result<Started, StoreError> {
    {
        schema::check_is_acta(&database)?;
        let mut connection = open_connection(&database.path)?;
        let writer_cache_kib = match options.bulk {
            true => BULK_WRITER_CACHE_KIB,
            false => WRITER_CACHE_KIB,
        };
        connection.pragma_update(None, "cache_size", -writer_cache_kib)?;
        schema::migrate(&mut connection)?;
        let readers = Arc::new(Readers {
            path: database.path.clone(),
            read_only: false,
            idle: Mutex::new(Vec::new()),
            _lock: Some(Arc::clone(&writer_lock)),
        });
        replay(&readers)?;
        let health = Arc::new(health::Health::default());
        // A file damaged where the writer's state is read from (an index) still serves its
        // reads: the writer then refuses every append, naming the damage.
        let state = match WriterState::load(&connection) {
            Ok(state) => state,
            Err(StoreError::Sqlite(error)) if is_damage(&error) => {
                health.refuse(format!(
                    "the database file {} is damaged ({error}); appends are refused until it is \
                     repaired or restored from a backup, reads go on",
                    database.path.display()
                ));
                WriterState::empty()
            }
            Err(error) => return Err(error),
        };
        let (sender, receiver) = mpsc::sync_channel(WRITE_QUEUE_DEPTH_MAX);
        let mut writer = Writer {
            connection,
            state,
            hash_buffer: String::with_capacity(1024),
            stale: false,
            seen_data_version: 0,
            clock: options.clock,
            on_commit: options.on_commit,
            health: Arc::clone(&health),
            _lock: writer_lock,
        };
        writer.seen_data_version = writer.data_version()?;
        thread::Builder::new()
            .name("acta-writer".into())
            .spawn(move || writer.run(receiver))
            .map_err(|error| StoreError::Io(format!("cannot start the writer thread: {error}")))?;
        Ok(Started {
            sender,
            readers,
            health,
        })
    }
}

/// The `recorded_at` of one group commit, with its text rendered once for every event.
struct Stamp {
    at: Instant,
    text: String,
}

struct Writer {
    connection: Connection,
    state: WriterState,
    /// Scratch space for the canonical text each hash is computed over.
    hash_buffer: String,
    /// Set when a failed commit left `state` unknown (its reload failed too): the next group
    /// reloads it inside its transaction before appending anything.
    stale: bool,
    /// `PRAGMA data_version` when this writer last looked: it changes when any other
    /// connection commits, so a commit made behind the writer's back is seen (see
    /// [`Writer::catch_up`]).
    seen_data_version: i64,
    clock: Clock,
    on_commit: Option<CommitHook>,
    health: Arc<health::Health>,
    /// Held for as long as this writer runs (declared last, so the connection closes first):
    /// see [`file::lock_for_writing`].
    _lock: Arc<file::WriterLock>,
}

impl Writer {
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

    /// Runs one transaction-control statement, prepared once and cached: these run several
    /// times per group, and parsing their SQL each time showed in profiles.
    fn control(&self, sql: &str) -> Result<(), rusqlite::Error> {
        self.connection.prepare_cached(sql)?.execute([]).map(drop)
    }

    /// `PRAGMA data_version` of the writer's connection: unchanged by its own commits.
    fn data_version(&self) -> Result<i64, rusqlite::Error> {
        self.connection
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))
    }

    /// Makes the writer's state describe the database as it is, inside the write transaction.
    /// Another connection may have committed: this process's token writes (no events), or —
    /// were the lock ever got past — another writer. Events appended behind the writer's back
    /// are handed to the commit hook, so the projections miss nothing; a database whose head
    /// went back or changed (replaced or restored beneath the server) is refused for writing.
    fn catch_up(&mut self) -> Result<(), AppendError> {
        let version = self.data_version()?;
        if version == self.seen_data_version && !self.stale {
            return Ok(());
        }
        let believed = self.state.head.clone();
        let found = read_head(&self.connection).map_err(storage)?;
        let still_there = match believed.seq {
            0 => true,
            seq => {
                self.connection
                    .prepare_cached("SELECT hash FROM events WHERE seq = ?1")?
                    .query_row([seq], |row| row.get::<_, String>(0))
                    .optional()?
                    .as_deref()
                    == Some(believed.hash.as_str())
            }
        };
        if !still_there {
            let cause = format!(
                "the database changed beneath the running writer: its event at seq {} is no \
                 longer the one this server wrote (the file was replaced or restored while it ran). \
                 Appends are refused; restart acta on the right file",
                believed.seq
            );
            eprintln!("acta: {cause}");
            self.health.refuse(cause.clone());
            return Err(AppendError::Unavailable(cause));
        }
        if found.seq > believed.seq {
            eprintln!(
                "acta: WARNING: events {}..={} were appended by another connection; the writer \
                 reloads its state and the projections take them in",
                believed.seq + 1,
                found.seq
            );
            if let Some(on_commit) = &self.on_commit {
                let mut missed = Vec::new();
                scan_events(
                    &self.connection,
                    believed.seq,
                    Unreadable::Skip,
                    &mut |chunk| {
                        missed.extend_from_slice(chunk);
                        Ok(())
                    },
                )
                .map_err(storage)?;
                on_commit(&missed);
            }
        }
        self.state = WriterState::load(&self.connection).map_err(storage)?;
        self.stale = false;
        self.seen_data_version = version;
        Ok(())
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
        let now = self.stamp();
        let mut results = Vec::with_capacity(replies.len());
        let mut committed = Vec::new();
        let outcome = self.apply_group(requests, &now, &mut results, &mut committed);
        let failure = outcome.err();
        if let Some(failure) = &failure {
            self.undo_group(failure);
            committed.clear();
            results.clear();
            results.resize(replies.len(), Err(failure.clone()));
        }
        self.health.record(failure.as_ref());
        self.publish(committed);
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

    /// Applies `requests` in one transaction and commits it, pushing each request's result and
    /// the events stored anew. An error is the whole group's: nothing of it is durable.
    fn apply_group(
        &mut self,
        requests: Vec<AppendRequest>,
        now: &Stamp,
        results: &mut Vec<Result<AppendOutcome, AppendError>>,
        committed: &mut Vec<StoredEvent>,
    ) -> Result<(), AppendError> {
        self.control("BEGIN IMMEDIATE")?;
        // The state must describe the database as it is: reload it now, inside the
        // transaction, if another connection committed or a failed commit left it unknown,
        // rather than chain onto a head that is not there.
        self.catch_up()?;
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
                self.control("SAVEPOINT request")?;
            }
            let mut undo = Undo::default();
            match self.apply_request(request, now, &mut undo) {
                Ok((outcome, new_events)) => {
                    if savepoint {
                        self.control("RELEASE request")?;
                    }
                    committed.extend(new_events);
                    results.push(Ok(outcome));
                }
                Err(error) => {
                    // Some errors (I/O, interrupt, out of memory) make SQLite roll the whole
                    // transaction back: nothing of the group is left, and going on would run
                    // the next requests in autocommit mode.
                    if self.connection.is_autocommit() {
                        return Err(error);
                    }
                    if savepoint {
                        self.control("ROLLBACK TO request")?;
                        self.control("RELEASE request")?;
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
        Ok(self.control(if refused_alone { "ROLLBACK" } else { "COMMIT" })?)
    }

    /// After a failed group: roll back what is left of it and reload the state, and look
    /// again at the database before the next group whatever happened.
    fn undo_group(&mut self, failure: &AppendError) {
        let _ = self.connection.execute_batch("ROLLBACK");
        eprintln!("acta: a commit failed, nothing of it is stored: {failure}");
        match WriterState::load(&self.connection) {
            Ok(state) => self.state = state,
            Err(load_error) => eprintln!("acta: cannot reload the writer state: {load_error}"),
        }
        self.stale = true;
    }

    /// Hands the events of a commit to the hook, in `seq` order. They are durable whatever the
    /// hook does: a panic in it must not take the writer (and every later append) down with it.
    fn publish(&self, mut committed: Vec<StoredEvent>) {
        let Some(on_commit) = &self.on_commit else {
            return;
        };
        if committed.is_empty() {
            return;
        }
        committed.sort_by_key(|event| event.seq);
        let hook = std::panic::AssertUnwindSafe(|| on_commit(&committed));
        if std::panic::catch_unwind(hook).is_err() {
            eprintln!(
                "acta: the commit hook panicked; the events are stored, the projections may lag"
            );
        }
    }

    /// Applies one request inside its savepoint and returns its outcome with the events it
    /// stored anew. On error the caller rolls back both the savepoint and `undo`.
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
            if is_new && self.on_commit.is_some() {
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
        let view = WriterView {
            connection: &self.connection,
            state: &self.state,
        };
        let effects = match rules::decide(&view, &event)? {
            Verdict::Repeat(stored) => return Ok((stored, false)),
            Verdict::Append(effects) => effects,
        };
        let id = event.id.unwrap_or_else(|| self.state.fresh_id(now.at));
        // Written before the event's row: a request that writes them can be refused after
        // writing (see `may_fail_after_writing`).
        for change in &effects.decisions {
            self.apply_decision_change(change, id)?;
        }
        let mut stored = StoredEvent {
            seq: self.state.head.seq + 1,
            id,
            event_type: event.event_type,
            plan: event.plan.clone(),
            version: effects.version,
            occurred_on: event.occurred_on,
            date_precision: event.date_precision,
            recorded_at: now.at,
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
        stored.hash = HashedText {
            seq: stored.seq,
            id: &id_text,
            event_type: stored.event_type.as_str(),
            plan: stored.plan.as_str(),
            version: stored.version,
            occurred_on: &occurred_on_text,
            date_precision: stored.date_precision.as_str(),
            recorded_at: &now.text,
            actor,
            canonical_data: &event.data_canonical,
            canonical_evidence: evidence_text.as_deref(),
        }
        .hash(&stored.prev_hash, &mut self.hash_buffer);
        let target = match &event.data {
            EventData::EventCorrected(correction) => Some(correction.target.to_string()),
            EventData::EventRetracted(retraction) => Some(retraction.target.to_string()),
            _ => None,
        };
        self.connection
            .prepare_cached(
                "INSERT INTO events (seq, id, type, plan, version, occurred_on, date_precision, \
                 recorded_at, actor, data, evidence, prev_hash, hash, target) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                stored.seq,
                id_text,
                stored.event_type.as_str(),
                stored.plan.as_str(),
                stored.version,
                occurred_on_text,
                stored.date_precision.as_str(),
                now.text,
                stored.actor,
                event.data_canonical,
                evidence_text,
                stored.prev_hash,
                stored.hash,
                target,
            ])
            .map_err(|error| match error {
                // Two events of one batch without ids cannot collide, but a client-chosen id
                // can only collide with one we just checked, inside this transaction.
                rusqlite::Error::SqliteFailure(failure, Some(message))
                    if failure.code == rusqlite::ErrorCode::ConstraintViolation
                        && message.contains("events.id") =>
                {
                    AppendError::conflict("/id", format!("event {id} is already stored"))
                }
                other => AppendError::from(other),
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
                recorded_at: Some(now.at),
            },
        );
        Ok((stored, true))
    }

    /// Writes one change the rules decided to the decision-number index.
    fn apply_decision_change(
        &self,
        change: &DecisionChange,
        this_event: EventId,
    ) -> Result<(), AppendError> {
        match change {
            DecisionChange::Free(holder) => {
                self.connection
                    .prepare_cached("DELETE FROM decision_numbers WHERE event_id = ?1")?
                    .execute([holder.to_string()])?;
            }
            DecisionChange::Take(key, holder) => {
                let holder = match holder {
                    Holder::ThisEvent => this_event,
                    Holder::Stored(target) => *target,
                };
                self.connection
                    .prepare_cached(
                        "INSERT INTO decision_numbers (issuer, number, year, event_id) \
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![
                        key.issuer,
                        key.number,
                        key.year,
                        holder.to_string()
                    ])?;
            }
        }
        Ok(())
    }
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

fn storage(error: StoreError) -> AppendError {
    error.into()
}
