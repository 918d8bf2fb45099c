//! The append-only, hash-chained event log, in SQLite (the embedded default) or PostgreSQL.
//!
//! One writer thread per log owns its write connection. It takes every request that is
//! waiting, applies them in one transaction — a request that can be refused after writing
//! inside its own savepoint, so one client's bad event never fails another's — and commits
//! once: concurrent clients share one fsync (group commit). `seq`, `version`, `recorded_at` and
//! the hash are assigned inside that transaction, so commit order is `seq` order and no reader
//! ever sees a gap. Readers use their own connections.
//!
//! # Layout
//!
//! - this file: the [`Log`] handle; `types`: its public types; `database`: what `--db` names.
//! - the storage interface: `reads` ([`reads::LogReads`], the read side) and `writer` (the
//!   group commit, over `Transactions`, the write side); [`rules`]: the stream rules of the
//!   contract, over [`rules::Stored`]. Both back ends share these, and `rows` (reading a row)
//!   and `verify` (the chain check).
//! - [`scoped_reads`]: the log at a point in time and searched, shared by both back ends.
//! - SQLite: `file` (which file a path names, the writer's lock), `connection` (settings and
//!   the read pool), `scan`, `sqlite_reads`, `state` (the writer's state, SQLite's `Stored`),
//!   `sqlite_writer`.
//! - [`postgres`]: the PostgreSQL back end.
//! - `health`: what the writer last found; `waiting`: [`Log::append`] for async callers.

mod connection;
mod database;
pub mod file;
mod health;
pub mod postgres;
mod reads;
mod rows;
pub mod rules;
mod scan;
pub mod scoped_reads;
mod sqlite_reads;
mod sqlite_writer;
mod state;
mod types;
mod verify;
mod waiting;
mod writer;

pub use connection::open_connection;
pub use database::Database;
pub use rows::EventRow;
pub use scoped_reads::{EventScope, ScopedPage, Search};
pub use types::{
    AppendOutcome, AppendRequest, Clock, CommitHook, EventFilter, GROUP_REQUESTS_MAX, Head,
    LogOptions, Reply, WRITE_QUEUE_DEPTH_MAX,
};
pub use verify::{INTEGRITY_PROBLEMS_MAX, Integrity, VERIFY_PROGRESS_EVERY, VerifyReport};

use connection::Readers;
pub use reads::EVENT_HASHES_READ_MAX;
use reads::LogReads;
use writer::WriteJob;

pub use file::DatabaseFile;
pub use health::{WriterHealth, WriterStatus};

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use crate::error::{AppendError, StoreError};
use crate::stored::StoredEvent;
use crate::types::{EventId, PlanKey};

/// The event log: a handle to the writer thread and a pool of read connections, of either back
/// end. Cheap to clone; the writer stops when the last handle is dropped. A log opened
/// read-only has no writer: its appends are answered [`AppendError::Closed`].
#[derive(Clone)]
pub struct Log {
    writer: Option<mpsc::SyncSender<WriteJob>>,
    reads: Arc<dyn LogReads>,
    /// What the writer last found when it committed (see [`WriterHealth`]).
    health: Arc<health::Health>,
    /// Appends waiting for their answer through [`Log::append`].
    waiters: Arc<waiting::Waiters>,
}

impl Log {
    /// Opens (creating if needed) `database`, migrates it, replays the existing events through
    /// `on_commit`, and starts the writer thread. Only one process may write to a SQLite file: a
    /// second is refused with [`StoreError::Locked`]. A PostgreSQL database takes any number of
    /// writers, each instance following the others' commits.
    pub fn open(database: impl Into<Database>, options: LogOptions) -> Result<Log, StoreError> {
        let on_commit = options.on_commit.clone();
        Log::open_replaying(database.into(), options, |reads| match &on_commit {
            Some(on_commit) => replay(reads, on_commit),
            None => Ok(()),
        })
    }

    /// As [`Log::open`], but replays the existing events through `on_replay`, each borrowed from
    /// its row (the cold start: see [`EventRow`]); `options.on_commit` then hears only of new
    /// commits.
    pub fn open_with_replay(
        database: impl Into<Database>,
        options: LogOptions,
        on_replay: &mut dyn FnMut(&EventRow<'_>),
    ) -> Result<Log, StoreError> {
        Log::open_replaying(database.into(), options, |reads| {
            reads.replay_rows(on_replay)
        })
    }

    fn open_replaying(
        database: Database,
        options: LogOptions,
        replay: impl FnOnce(&dyn LogReads) -> Result<(), StoreError>,
    ) -> Result<Log, StoreError> {
        let path = match database {
            Database::Sqlite(path) => path,
            Database::Postgres(url) => {
                return postgres::open(&url, options, replay).map(|started| Log {
                    writer: Some(started.sender),
                    reads: started.reads,
                    health: started.health,
                    waiters: Arc::default(),
                });
            }
        };
        let (database, writer_lock) = file::lock_for_writing(&path, &holder_name())?;
        let created = database.created.then(|| database.path.clone());
        let opened = sqlite_writer::start(database, Arc::new(writer_lock), options, |readers| {
            replay(readers)
        })
        .map(|started| Log {
            writer: Some(started.sender),
            reads: started.readers,
            health: started.health,
            waiters: Arc::default(),
        });
        if let (Err(_), Some(created)) = (&opened, created) {
            // A database this open created and could not set up is removed again, so that the
            // next start is a first start, not a refusal of an empty file.
            for suffix in ["", "-wal", "-shm", ".lock"] {
                let _ = std::fs::remove_file(file::side_path(&created, suffix));
            }
        }
        opened
    }

    /// Opens an existing database for reading only (`export`, `verify`, `report`): no writer, no
    /// migration, nothing created, and it works beside a running server. `on_replay`, if given,
    /// is fed every stored event.
    pub fn open_read_only(
        database: impl Into<Database>,
        on_replay: Option<CommitHook>,
    ) -> Result<Log, StoreError> {
        Log::open_read_only_replaying(database.into(), |reads| match &on_replay {
            Some(on_replay) => replay(reads, on_replay),
            None => Ok(()),
        })
    }

    /// As [`Log::open_read_only`], feeding every stored event to `on_replay` borrowed from its
    /// row (see [`EventRow`]).
    pub fn open_read_only_with_replay(
        database: impl Into<Database>,
        on_replay: &mut dyn FnMut(&EventRow<'_>),
    ) -> Result<Log, StoreError> {
        Log::open_read_only_replaying(database.into(), |reads| reads.replay_rows(on_replay))
    }

    fn open_read_only_replaying(
        database: Database,
        replay: impl FnOnce(&dyn LogReads) -> Result<(), StoreError>,
    ) -> Result<Log, StoreError> {
        let reads: Arc<dyn LogReads> = match database {
            Database::Sqlite(path) => Arc::new(open_sqlite_read_only(&path)?),
            Database::Postgres(url) => postgres::open_read_only(&url)?,
        };
        replay(reads.as_ref())?;
        Ok(Log {
            writer: None,
            reads,
            health: Arc::default(),
            waiters: Arc::default(),
        })
    }

    /// Queues `request`; `reply` is called on the writer thread once it is durably committed
    /// or refused. Blocks while the queue is full.
    pub fn append_with(&self, request: AppendRequest, reply: Reply) {
        let Some(writer) = &self.writer else {
            return reply(Err(AppendError::Closed));
        };
        if let Err(mpsc::SendError(job)) = writer.send(WriteJob { request, reply }) {
            (job.reply)(Err(AppendError::Closed));
        }
    }

    /// Queues `request` if the queue has room, without blocking; gives it back when full.
    pub fn try_append_with(
        &self,
        request: AppendRequest,
        reply: Reply,
    ) -> Result<(), (AppendRequest, Reply)> {
        let Some(writer) = &self.writer else {
            reply(Err(AppendError::Closed));
            return Ok(());
        };
        match writer.try_send(WriteJob { request, reply }) {
            Ok(()) => Ok(()),
            Err(mpsc::TrySendError::Full(job)) => Err((job.request, job.reply)),
            Err(mpsc::TrySendError::Disconnected(job)) => {
                (job.reply)(Err(AppendError::Closed));
                Ok(())
            }
        }
    }

    /// Appends `request` and waits for its answer, on a tokio runtime. The request is queued at
    /// once if the writer's queue has room; when the writer is saturated, the wait for room is
    /// taken off the runtime's workers (back-pressure without blocking them).
    pub async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let reply: Reply = Box::new(move |result| {
            let _ = sender.send(result);
        });
        if let Err((request, reply)) = self.try_append_with(request, reply) {
            let log = self.clone();
            tokio::task::spawn_blocking(move || log.append_with(request, reply))
                .await
                .map_err(|_| AppendError::Closed)?;
        }
        waiting::answer(&self.waiters, receiver)
            .await
            .unwrap_or(Err(AppendError::Closed))
    }

    /// Appends and waits for the answer (for the command line and tests).
    pub fn append_blocking(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let (sender, receiver) = mpsc::channel();
        self.append_with(
            request,
            Box::new(move |result| {
                let _ = sender.send(result);
            }),
        );
        receiver.recv().unwrap_or(Err(AppendError::Closed))
    }

    /// The database this log keeps its events in (a SQLite file by its canonical path).
    pub fn database(&self) -> &Database {
        self.reads.database()
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        self.reads.head()
    }

    pub fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.reads.event(id)
    }

    pub fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.reads.events(filter)
    }

    /// A page of the events of `filter` at `scope`'s point in time that its search finds
    /// (`GET /v1/events?as_of&known_at&q`; `scoped_reads` says what the time axes mean).
    pub fn events_in_scope(
        &self,
        filter: &EventFilter,
        scope: &EventScope,
    ) -> Result<ScopedPage, StoreError> {
        self.reads.events_in_scope(filter, scope)
    }

    pub fn plan_exists(&self, plan: &PlanKey) -> Result<bool, StoreError> {
        self.reads.plan_exists(plan)
    }

    /// Checks the file (`PRAGMA quick_check`) and the whole chain; `progress` is told how many
    /// events were checked so far.
    pub fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport, StoreError> {
        self.verify_with(false, progress)
    }

    /// As [`Log::verify`]; with `full`, the file's check is `PRAGMA integrity_check`.
    pub fn verify_with(
        &self,
        full: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<VerifyReport, StoreError> {
        let problems = self.integrity_check(full)?;
        let chain = self.verify_from(&VerifyReport::nothing_checked(), &mut |checked| {
            progress(checked);
            ControlFlow::Continue(())
        });
        VerifyReport::with_integrity(chain, Integrity { full, problems })
    }

    /// Checks the chain only, going on from `previous`: a report of the events up to its
    /// `head_seq`, from an earlier call (or [`VerifyReport::nothing_checked`]). The events it
    /// covers are not read again, only those after it, so keeping the last report makes each
    /// verification cost the events appended since. A report that found a bad `seq` stays bad:
    /// the events after it are counted, not checked. If the log no longer holds `previous`'s
    /// head (the file was replaced or rewound), the whole chain is checked from the start.
    ///
    /// `progress` is told how many events were checked every [`VERIFY_PROGRESS_EVERY`]; when it
    /// breaks, the check stops there and the report covers the events checked so far — a prefix
    /// of the log, which a later call can go on from. The report's `integrity` is `previous`'s:
    /// this reads no more of the file than the events.
    pub fn verify_from(
        &self,
        previous: &VerifyReport,
        progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<VerifyReport, StoreError> {
        self.reads.verify_from(previous, progress)
    }

    /// Whether the writer can commit, and why not (see [`WriterHealth`]).
    pub fn writer_health(&self) -> WriterHealth {
        self.health.get()
    }

    /// As [`Log::writer_health`], the status alone (cheap enough for every request).
    pub fn writer_status(&self) -> WriterStatus {
        self.health.status()
    }

    /// Makes the writer refuse every append (`503` naming `cause`) until the process restarts:
    /// for a database file found damaged.
    pub fn refuse_writes(&self, cause: String) {
        self.health.refuse(cause);
    }

    /// SQLite's own check of the file: `PRAGMA quick_check` (its B-trees and pages, in time
    /// linear in the file's size), or with `full` `PRAGMA integrity_check` (also every index
    /// against its table). Returns what SQLite says is wrong, at most [`INTEGRITY_PROBLEMS_MAX`]
    /// lines; empty when the file is sound.
    pub fn integrity_check(&self, full: bool) -> Result<Vec<String>, StoreError> {
        self.reads.integrity_check(full)
    }

    /// The hashes of the events `first_seq..=last_seq` as 32 bytes each, in `seq` order (the
    /// Merkle tree's leaves); at most [`EVENT_HASHES_READ_MAX`] at once.
    pub fn event_hashes(
        &self,
        first_seq: u64,
        last_seq: u64,
    ) -> Result<Vec<crate::merkle::Hash>, StoreError> {
        self.reads.event_hashes(first_seq, last_seq)
    }

    /// Calls `visit` with every stored event after `after_seq`, in `seq` order, in chunks.
    pub fn scan(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.reads.scan(after_seq, visit)
    }
}

/// Feeds every stored event to `on_replay`, in `seq` order. A row that cannot be read (edited
/// behind the store's back) is skipped: verification names it, and one damaged row must not
/// keep the service or an auditor's report from starting.
fn replay(reads: &dyn LogReads, on_replay: &CommitHook) -> Result<(), StoreError> {
    reads.scan_readable(0, &mut |chunk| {
        on_replay(chunk);
        Ok(())
    })
}

/// Opens an existing SQLite file for reading only, refusing one that holds no acta record.
fn open_sqlite_read_only(path: &Path) -> Result<Readers, StoreError> {
    let database = file::existing(path)?;
    let readers = Readers::new(database.path, true, None);
    // Fail now, not on the first read, if the file is no acta database.
    readers.with(|reader| {
        let has_events: bool = reader.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'events')",
            [],
            |row| row.get(0),
        )?;
        if !has_events {
            return Err(StoreError::Refused(format!(
                "{} holds no acta record (no events table): an empty or foreign SQLite \
                 file, or a copy taken with cp without its -wal file, which held everything",
                readers.path.display()
            )));
        }
        reader.query_row("SELECT COUNT(*) FROM events WHERE seq < 0", [], |_| Ok(()))?;
        Ok(())
    })?;
    Ok(readers)
}

/// Who the lock's side file names as the writer: this process's command line, cut short.
fn holder_name() -> String {
    let command: Vec<String> = std::env::args()
        .enumerate()
        .map(|(index, arg)| match index {
            0 => Path::new(&arg)
                .file_name()
                .map_or(arg.clone(), |name| name.to_string_lossy().into_owned()),
            _ => arg,
        })
        .collect();
    command.join(" ").chars().take(200).collect()
}
