//! The append-only, hash-chained event log in SQLite.
//!
//! One writer thread owns the only write connection. It takes every request that is waiting,
//! applies them in one `BEGIN IMMEDIATE` transaction — each request inside its own savepoint,
//! so one client's bad event never fails another's — and commits once: concurrent clients
//! share one fsync (group commit). `seq`, `version`, `recorded_at` and the hash are assigned
//! inside that transaction, so commit order is `seq` order and no reader ever sees a gap.
//!
//! Readers use their own connections (WAL lets them read while the writer writes).
//!
//! # Layout
//!
//! - this file: the [`Log`] handle and its public types.
//! - `file`: which file a path names, whether it may be opened, the writer's lock.
//! - `connection`: connection settings and the pool of read connections.
//! - `rows`: reading rows, owned ([`StoredEvent`]) or borrowed ([`EventRow`]).
//! - `scan`: pages, chunks and the replay, in `seq` order.
//! - `verify`: SQLite's check of the file and the hash chain.
//! - [`rules`]: the stream rules of the contract, over [`rules::Stored`], without SQLite.
//! - `state`: what the writer knows without reading, and the SQLite side of the rules.
//! - `writer`: the writer thread and group commit.
//! - `health`: what the writer last found; `waiting`: [`Log::append`] for async callers.

mod connection;
pub mod file;
mod health;
mod rows;
pub mod rules;
mod scan;
mod state;
mod types;
mod verify;
mod waiting;
mod writer;

pub use connection::open_connection;
pub use rows::EventRow;
pub use types::{
    AppendOutcome, AppendRequest, Clock, CommitHook, EventFilter, GROUP_REQUESTS_MAX, Head,
    LogOptions, Reply, WRITE_QUEUE_DEPTH_MAX,
};
pub use verify::{INTEGRITY_PROBLEMS_MAX, Integrity, VERIFY_PROGRESS_EVERY, VerifyReport};

use connection::Readers;
use rows::{event_by_id, read_head};
use scan::{Unreadable, events_page, replay, replay_rows, scan_events};
use verify::{integrity_check, verify_chain_from};
use writer::WriteJob;

pub use file::DatabaseFile;
pub use health::{WriterHealth, WriterStatus};

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

use crate::error::{AppendError, StoreError};
use crate::stored::StoredEvent;
use crate::types::{EventId, PlanKey};

/// The event log: a handle to the writer thread and a pool of read connections. Cheap to
/// clone; the writer stops when the last handle is dropped. A log opened read-only has no
/// writer: its appends are answered [`AppendError::Closed`].
#[derive(Clone)]
pub struct Log {
    writer: Option<mpsc::SyncSender<WriteJob>>,
    readers: Arc<Readers>,
    /// What the writer last found when it committed (see [`WriterHealth`]).
    health: Arc<health::Health>,
    /// Appends waiting for their answer through [`Log::append`].
    waiters: Arc<waiting::Waiters>,
}

impl Log {
    /// Opens (creating if needed) the database at `path`, migrates it, replays the existing
    /// events through `on_commit`, and starts the writer thread. Only one process may write to
    /// a database: a second is refused with [`StoreError::Locked`].
    pub fn open(path: &Path, options: LogOptions) -> Result<Log, StoreError> {
        let on_commit = options.on_commit.clone();
        Log::open_replaying(path, options, |readers| match &on_commit {
            Some(on_commit) => replay(readers, on_commit),
            None => Ok(()),
        })
    }

    /// As [`Log::open`], but replays the existing events through `on_replay`, each borrowed from
    /// its row (the cold start: see [`EventRow`]); `options.on_commit` then hears only of new
    /// commits.
    pub fn open_with_replay(
        path: &Path,
        options: LogOptions,
        on_replay: &mut dyn FnMut(&EventRow<'_>),
    ) -> Result<Log, StoreError> {
        Log::open_replaying(path, options, |readers| replay_rows(readers, on_replay))
    }

    fn open_replaying(
        path: &Path,
        options: LogOptions,
        replay: impl FnOnce(&Readers) -> Result<(), StoreError>,
    ) -> Result<Log, StoreError> {
        let (database, writer_lock) = file::lock_for_writing(path, &holder_name())?;
        let created = database.created.then(|| database.path.clone());
        let opened =
            writer::start(database, Arc::new(writer_lock), options, replay).map(|started| Log {
                writer: Some(started.sender),
                readers: started.readers,
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
    pub fn open_read_only(path: &Path, on_replay: Option<CommitHook>) -> Result<Log, StoreError> {
        Log::open_read_only_replaying(path, |readers| match &on_replay {
            Some(on_replay) => replay(readers, on_replay),
            None => Ok(()),
        })
    }

    /// As [`Log::open_read_only`], feeding every stored event to `on_replay` borrowed from its
    /// row (see [`EventRow`]).
    pub fn open_read_only_with_replay(
        path: &Path,
        on_replay: &mut dyn FnMut(&EventRow<'_>),
    ) -> Result<Log, StoreError> {
        Log::open_read_only_replaying(path, |readers| replay_rows(readers, on_replay))
    }

    fn open_read_only_replaying(
        path: &Path,
        replay: impl FnOnce(&Readers) -> Result<(), StoreError>,
    ) -> Result<Log, StoreError> {
        let database = file::existing(path)?;
        let readers = Arc::new(Readers {
            path: database.path,
            read_only: true,
            idle: Mutex::new(Vec::new()),
            _lock: None,
        });
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
        replay(&readers)?;
        Ok(Log {
            writer: None,
            readers,
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

    /// The database's canonical path, as every connection of this log opens it.
    pub fn path(&self) -> &Path {
        &self.readers.path
    }

    /// Runs `read` on a read connection of the pool.
    pub fn read<R>(
        &self,
        read: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.readers.with(read)
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        self.read(read_head)
    }

    pub fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.read(|connection| event_by_id(connection, id))
    }

    pub fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|connection| events_page(connection, filter))
    }

    pub fn plan_exists(&self, plan: &PlanKey) -> Result<bool, StoreError> {
        self.read(|connection| {
            Ok(connection
                .query_row(
                    "SELECT 1 FROM events WHERE plan = ?1 AND version = 1",
                    [plan.as_str()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
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
        self.read(|connection| verify_chain_from(connection, previous, progress))
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
        self.read(|connection| integrity_check(connection, full))
    }

    /// Calls `visit` with every stored event after `after_seq`, in `seq` order, in chunks.
    pub fn scan(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.read(|connection| scan_events(connection, after_seq, Unreadable::Stop, visit))
    }
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
