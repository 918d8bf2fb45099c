//! The append-only, hash-chained event log in SQLite.
//!
//! One writer thread owns the only write connection. It takes every request that is waiting,
//! applies them in one `BEGIN IMMEDIATE` transaction — each request inside its own savepoint,
//! so one client's bad event never fails another's — and commits once: concurrent clients
//! share one fsync (group commit). `seq`, `version`, `recorded_at` and the hash are assigned
//! inside that transaction, so commit order is `seq` order and no reader ever sees a gap.
//!
//! Readers use their own connections (WAL lets them read while the writer writes).

pub mod file;
mod health;

pub use file::DatabaseFile;
pub use health::{WriterHealth, WriterStatus};

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde_json::Value;

use crate::catalogue::{EventData, EventType, Period, PlanStatus};
use crate::error::{AppendError, StoreError};
use crate::request::{Evidence, NewEvent, content_json};
use crate::schema;
use crate::stored::{GENESIS_HASH, HashedText, StoredEvent};
use crate::types::{CivilDate, DatePrecision, EventId, Instant, PlanKey};

/// The clock the log stamps `recorded_at` with. Passed in, so tests choose the time.
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// Called on the writer thread with the events of each commit, in `seq` order, after they are
/// durable and before any client hears of them (so a client reads its own writes).
pub type CommitHook = Arc<dyn Fn(&[StoredEvent]) + Send + Sync>;

/// Most requests one group commit takes; the rest wait for the next one.
pub const GROUP_REQUESTS_MAX: usize = 512;

/// Most requests waiting for the writer; beyond it, appends wait for room (back-pressure).
pub const WRITE_QUEUE_DEPTH_MAX: usize = 4096;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// Page cache of each read connection, in KiB.
const PAGE_CACHE_KIB: i64 = 32 * 1024;

/// Page cache of the writer, in KiB, when appending as a server does: its hot pages are the
/// right edges of the table and indexes and one leaf per plan of the `(plan, version)` index.
/// Larger is slower: every commit after a B-tree page split scans the whole cache (SQLite's
/// `pcache1TruncateUnsafe`), which took 13% of the writer's time with 32 MiB (`perf`).
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// Page cache of the writer for a bulk load (`acta import`): a transaction of thousands of
/// events dirties a leaf of the `(plan, version)` index for nearly every plan, and a cache that
/// cannot hold them spills to the WAL in the middle of the transaction.
const BULK_WRITER_CACHE_KIB: i64 = 64 * 1024;

/// WAL pages between automatic checkpoints.
const WAL_CHECKPOINT_PAGES: i64 = 8192;

/// Most idle read connections kept open.
const READERS_IDLE_MAX: usize = 16;

/// One append: a single event or a batch, all or nothing, recorded by `actor`.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub events: Vec<NewEvent>,
    pub actor: String,
    /// Whether errors should name `/events/<i>/…` (a batch) or the event's own fields.
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

struct WriteJob {
    request: AppendRequest,
    reply: Reply,
}

/// The position and hash of the newest event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    pub recorded_at: Option<Instant>,
}

/// The answer of a verification (`GET /v1/verify`, `acta verify`): SQLite's check of the file,
/// then the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub checked: u64,
    pub head_seq: u64,
    pub head_hash: String,
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
    /// Which check of the file ran, and what SQLite found wrong (empty when sound).
    pub integrity: Integrity,
}

/// The result of SQLite's check of the database file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Integrity {
    /// `PRAGMA integrity_check` rather than `quick_check`.
    pub full: bool,
    /// What SQLite says is wrong, at most [`INTEGRITY_PROBLEMS_MAX`] lines.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// The report of an empty log, nothing checked yet: where [`Log::verify_from`] starts a
    /// whole check.
    pub fn nothing_checked() -> VerifyReport {
        VerifyReport {
            checked: 0,
            head_seq: 0,
            head_hash: GENESIS_HASH.to_owned(),
            first_bad_seq: None,
            problem: None,
            integrity: Integrity::default(),
        }
    }

    /// The report of a chain check (from [`Log::verify_from`]) with the file check's result.
    /// A file damaged beneath the events table cannot be read through: when SQLite found the
    /// file damaged, a chain check that failed on it is reported as unreadable rather than
    /// failing the whole verification.
    pub fn with_integrity(
        chain: Result<VerifyReport, StoreError>,
        integrity: Integrity,
    ) -> Result<VerifyReport, StoreError> {
        let mut report = match chain {
            Ok(report) => report,
            Err(StoreError::Sqlite(error)) if !integrity.problems.is_empty() => VerifyReport {
                problem: Some(format!("the events cannot be read through: {error}")),
                ..VerifyReport::nothing_checked()
            },
            Err(error) => return Err(error),
        };
        report.integrity = integrity;
        Ok(report)
    }

    /// The chain is intact and the file sound.
    pub fn ok(&self) -> bool {
        self.first_bad_seq.is_none() && self.integrity.problems.is_empty()
    }

    /// What is wrong, in one sentence: the chain's first problem, else the file's.
    pub fn problem_text(&self) -> Option<String> {
        self.problem.clone().or_else(|| {
            self.integrity
                .problems
                .first()
                .map(|first| format!("the database file is damaged: SQLite reports \"{first}\""))
        })
    }
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

/// The event log: a handle to the writer thread and a pool of read connections. Cheap to
/// clone; the writer stops when the last handle is dropped. A log opened read-only has no
/// writer: its appends are answered [`AppendError::Closed`].
#[derive(Clone)]
pub struct Log {
    writer: Option<mpsc::SyncSender<WriteJob>>,
    readers: Arc<Readers>,
    /// What the writer last found when it committed (see [`WriterHealth`]).
    health: Arc<health::Health>,
}

/// Feeds every stored event to `on_replay`, in `seq` order. A row that cannot be read (edited
/// behind the store's back) is skipped: verification names it, and one damaged row must not
/// keep the service or an auditor's report from starting.
fn replay(readers: &Readers, on_replay: &CommitHook) -> Result<(), StoreError> {
    readers.with(|reader| {
        scan_events(reader, 0, Unreadable::Skip, &mut |chunk| {
            on_replay(chunk);
            Ok(())
        })
    })
}

/// Feeds every stored event to `on_replay` as an [`EventRow`], in `seq` order, skipping the rows
/// [`replay`] skips.
fn replay_rows(
    readers: &Readers,
    on_replay: &mut dyn FnMut(&EventRow<'_>),
) -> Result<(), StoreError> {
    readers.with(|reader| {
        let mut statement =
            reader.prepare(&format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            match event_row(row) {
                Ok(event) => on_replay(&event),
                Err(StoreError::Corrupt { .. }) => continue,
                Err(error) => return Err(error),
            }
        }
        Ok(())
    })
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
        let writer_lock = Arc::new(writer_lock);
        let mut connection = open_connection(&database.path)?;
        let writer_cache_kib = match options.bulk {
            true => BULK_WRITER_CACHE_KIB,
            false => WRITER_CACHE_KIB,
        };
        connection.pragma_update(None, "cache_size", -writer_cache_kib)?;
        schema::check_is_acta(&connection, &database)?;
        schema::migrate(&mut connection)?;
        let readers = Arc::new(Readers {
            path: database.path.clone(),
            read_only: false,
            idle: Mutex::new(Vec::new()),
            _lock: Some(Arc::clone(&writer_lock)),
        });
        replay(&readers)?;
        let state = WriterState::load(&connection)?;
        let health = Arc::new(health::Health::default());
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
        Ok(Log {
            writer: Some(sender),
            readers,
            health,
        })
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
            reader.query_row("SELECT COUNT(*) FROM events WHERE seq < 0", [], |_| Ok(()))?;
            Ok(())
        })?;
        replay(&readers)?;
        Ok(Log {
            writer: None,
            readers,
            health: Arc::default(),
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

/// Opens a connection with the settings every connection of acta uses.
pub fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    connection.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk (the WAL fsynced) before it returns, so a 201 means durable.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    // Savepoints (one per request in a group commit) journal into memory, not a temp file.
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    // A page cache of 32 MiB per reader keeps the indexes' upper levels and recent pages in
    // memory on a log of millions of events (the writer sets its own: `WRITER_CACHE_KIB`).
    connection.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)?;
    // Checkpoint the WAL into the database every 8,192 pages (32 MiB) rather than every 1,000:
    // fewer, larger checkpoints cost less per event on bulk appends.
    connection.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
    Ok(connection)
}

struct Readers {
    path: PathBuf,
    read_only: bool,
    idle: Mutex<Vec<Connection>>,
    /// Closed after `idle` (fields drop in order): closing any descriptor of the database file
    /// drops the process's POSIX locks on it, SQLite's included, so the lock's descriptor is
    /// closed only once no connection of this log is left.
    _lock: Option<Arc<file::WriterLock>>,
}

impl Readers {
    fn with<R>(
        &self,
        read: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let pooled = self.idle.lock().expect("reader pool lock").pop();
        let connection = match pooled {
            Some(connection) => connection,
            None if self.read_only => {
                let connection = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                connection.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
                connection
            }
            None => {
                let connection = open_connection(&self.path)?;
                connection.pragma_update(None, "query_only", "ON")?;
                connection
            }
        };
        let result = read(&connection);
        let mut idle = self.idle.lock().expect("reader pool lock");
        if idle.len() < READERS_IDLE_MAX {
            idle.push(connection);
        }
        result
    }
}

const EVENT_COLUMNS: &str = "seq, id, type, plan, version, occurred_on, date_precision, \
                             recorded_at, actor, data, evidence, prev_hash, hash";

/// Reads a row of `EVENT_COLUMNS`. A row that does not parse (someone edited the file) is
/// reported as corrupt, never a panic.
fn event_from_row(row: &Row<'_>) -> Result<StoredEvent, StoreError> {
    let seq: u64 = row.get(0)?;
    let corrupt = |problem: String| StoreError::Corrupt { seq, problem };
    let text = |index: usize| text_column(row, index, seq).map(str::to_owned);
    let data_text = text(9)?;
    let evidence_text = text_or_null_column(row, 10, seq)?;
    Ok(StoredEvent {
        seq,
        id: text(1)?.parse().map_err(corrupt)?,
        event_type: text(2)?.parse().map_err(corrupt)?,
        plan: text(3)?.parse().map_err(corrupt)?,
        version: row.get(4)?,
        occurred_on: text(5)?.parse().map_err(corrupt)?,
        date_precision: text(6)?.parse().map_err(corrupt)?,
        recorded_at: text(7)?.parse().map_err(corrupt)?,
        actor: text(8)?,
        data: serde_json::from_str(&data_text).map_err(|e| corrupt(format!("data: {e}")))?,
        evidence: evidence_text
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| corrupt(format!("evidence: {e}")))?,
        prev_hash: text(11)?,
        hash: text(12)?,
    })
}

/// Text column `index` of an event row. A value of another type, or text that is not UTF-8,
/// was put there behind the store's back: the row is corrupt (skipped at start-up, named by
/// verification), not a failure of the whole scan.
fn text_column<'r>(row: &'r Row<'_>, index: usize, seq: u64) -> Result<&'r str, StoreError> {
    text_or_null_column(row, index, seq)?.ok_or_else(|| StoreError::Corrupt {
        seq,
        problem: format!("{} is null", column_name(index)),
    })
}

/// As [`text_column`], for a column that may be null.
fn text_or_null_column<'r>(
    row: &'r Row<'_>,
    index: usize,
    seq: u64,
) -> Result<Option<&'r str>, StoreError> {
    let value = row.get_ref(index)?;
    value.as_str_or_null().map_err(|error| StoreError::Corrupt {
        seq,
        problem: format!("{}: {error}", column_name(index)),
    })
}

fn column_name(index: usize) -> &'static str {
    EVENT_COLUMNS.split(", ").nth(index).unwrap_or("a column")
}

/// Any JSON text a `serde_json::Value` can hold, checked without building one: unlike
/// `serde::de::IgnoredAny`, it decodes every string's escapes (refusing a lone surrogate) and
/// every number (refusing one out of range), as reading a `Value` does.
struct ValidJson;

impl<'de> serde::Deserialize<'de> for ValidJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValidJson)
    }
}

impl<'de> serde::de::Visitor<'de> for ValidJson {
    type Value = ValidJson;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<ValidJson, E> {
        Ok(ValidJson)
    }
    fn visit_i64<E>(self, _: i64) -> Result<ValidJson, E> {
        Ok(ValidJson)
    }
    fn visit_u64<E>(self, _: u64) -> Result<ValidJson, E> {
        Ok(ValidJson)
    }
    // Only to accept what a `Value` accepts: the number is checked by the parser and dropped,
    // never used (stored evidence holds texts; money and counts are integers).
    fn visit_f64<E>(self, _: f64) -> Result<ValidJson, E> {
        Ok(ValidJson)
    }
    fn visit_str<E>(self, _: &str) -> Result<ValidJson, E> {
        Ok(ValidJson)
    }
    fn visit_unit<E>(self) -> Result<ValidJson, E> {
        Ok(ValidJson)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<ValidJson, A::Error> {
        while items.next_element::<ValidJson>()?.is_some() {}
        Ok(ValidJson)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ValidJson, A::Error> {
        while map.next_entry::<ValidJson, ValidJson>()?.is_some() {}
        Ok(ValidJson)
    }
}

/// One stored event as the cold start reads it: borrowed from its row, and only what the
/// projections read of it. A row is handed over as an `EventRow` exactly when
/// [`event_from_row`] would read it whole, with one exception: `data` is handed over as stored,
/// not yet read, so that the reader can decode it straight into what it keeps. It is the
/// canonical JSON the writer stored after checking it; a reader must skip an event whose `data`
/// is not JSON at all, as a scan skips the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRow<'a> {
    pub seq: u64,
    pub id: EventId,
    pub event_type: EventType,
    /// A valid plan key.
    pub plan: &'a str,
    pub occurred_on: CivilDate,
    pub recorded_at: Instant,
    /// The stored text of `data`.
    pub data: &'a str,
}

/// Reads a row of `EVENT_COLUMNS` as an [`EventRow`], checking every column in the order, and
/// the way, [`event_from_row`] does, so that the same rows are skipped (or fail the scan).
fn event_row<'r>(row: &'r Row<'_>) -> Result<EventRow<'r>, StoreError> {
    let seq: u64 = row.get(0)?;
    let corrupt = |problem: String| StoreError::Corrupt { seq, problem };
    let text = |index: usize| text_column(row, index, seq);
    let data = text(9)?;
    let evidence = text_or_null_column(row, 10, seq)?;
    let id = text(1)?.parse().map_err(corrupt)?;
    let event_type = text(2)?.parse().map_err(corrupt)?;
    let plan = text(3)?;
    if !PlanKey::is_valid(plan) {
        return Err(corrupt(plan.parse::<PlanKey>().err().unwrap_or_default()));
    }
    let _version: u64 = row.get(4)?;
    let occurred_on = text(5)?.parse().map_err(corrupt)?;
    text(6)?.parse::<DatePrecision>().map_err(corrupt)?;
    let recorded_at = text(7)?.parse().map_err(corrupt)?;
    let _actor = text(8)?;
    if let Some(evidence) = evidence {
        serde_json::from_str::<ValidJson>(evidence)
            .map_err(|e| corrupt(format!("evidence: {e}")))?;
    }
    let _prev_hash = text(11)?;
    let _hash = text(12)?;
    Ok(EventRow {
        seq,
        id,
        event_type,
        plan,
        occurred_on,
        recorded_at,
        data,
    })
}

fn read_head(connection: &Connection) -> Result<Head, StoreError> {
    let head = connection
        .query_row(
            "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |row| {
                Ok((
                    row.get::<_, u64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    Ok(match head {
        None => Head {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            recorded_at: None,
        },
        Some((seq, hash, recorded_at)) => Head {
            seq,
            hash,
            recorded_at: Some(
                recorded_at
                    .parse()
                    .map_err(|problem| StoreError::Corrupt { seq, problem })?,
            ),
        },
    })
}

fn event_by_id(connection: &Connection, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?;
    let mut rows = statement.query([id.to_string()])?;
    match rows.next()? {
        Some(row) => Ok(Some(event_from_row(row)?)),
        None => Ok(None),
    }
}

fn events_page(
    connection: &Connection,
    filter: &EventFilter,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1");
    let mut values: Vec<rusqlite::types::Value> =
        vec![i64::try_from(filter.after_seq).unwrap_or(i64::MAX).into()];
    if let Some(plan) = &filter.plan {
        values.push(plan.as_str().to_owned().into());
        sql.push_str(&format!(" AND plan = ?{}", values.len()));
    }
    if let Some(event_type) = filter.event_type {
        values.push(event_type.as_str().to_owned().into());
        sql.push_str(&format!(" AND type = ?{}", values.len()));
    }
    values.push(i64::from(filter.limit).into());
    sql.push_str(&format!(" ORDER BY seq LIMIT ?{}", values.len()));
    let mut statement = connection.prepare_cached(&sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(values))?;
    let mut events = Vec::new();
    while let Some(row) = rows.next()? {
        events.push(event_from_row(row)?);
    }
    Ok(events)
}

/// Events per chunk handed to a scan's visitor.
const SCAN_CHUNK_EVENTS: usize = 4096;

/// What a scan does with a row it cannot read (one edited behind the store's back).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unreadable {
    /// Hand over what was read before it, then fail naming it (`export`).
    Stop,
    /// Skip it (the start-up replay: verification names it).
    Skip,
}

/// Calls `visit` with every stored event after `after_seq`, in `seq` order, in chunks.
fn scan_events(
    connection: &Connection,
    after_seq: u64,
    unreadable: Unreadable,
    visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut statement = connection.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = statement.query([i64::try_from(after_seq).unwrap_or(i64::MAX)])?;
    let mut chunk = Vec::with_capacity(SCAN_CHUNK_EVENTS);
    while let Some(row) = rows.next()? {
        match (event_from_row(row), unreadable) {
            (Ok(event), _) => chunk.push(event),
            (Err(StoreError::Corrupt { .. }), Unreadable::Skip) => continue,
            (Err(error), _) => {
                if !chunk.is_empty() {
                    visit(&chunk)?;
                }
                return Err(error);
            }
        }
        if chunk.len() == SCAN_CHUNK_EVENTS {
            visit(&chunk)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        visit(&chunk)?;
    }
    Ok(())
}

/// Most lines of SQLite's integrity report kept: the first ones say where the damage is.
pub const INTEGRITY_PROBLEMS_MAX: usize = 20;

fn integrity_check(connection: &Connection, full: bool) -> Result<Vec<String>, StoreError> {
    let pragma = match full {
        true => format!("PRAGMA integrity_check({INTEGRITY_PROBLEMS_MAX})"),
        false => format!("PRAGMA quick_check({INTEGRITY_PROBLEMS_MAX})"),
    };
    let mut statement = match connection.prepare(&pragma) {
        Ok(statement) => statement,
        // A file damaged where the schema lives cannot even be asked.
        Err(error) => return Ok(vec![error.to_string()]),
    };
    let mut rows = statement.query([])?;
    let mut problems = Vec::new();
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let line: String = row.get(0)?;
                if line != "ok" {
                    problems.push(line);
                }
            }
            Ok(None) => break,
            Err(error) => {
                problems.push(error.to_string());
                break;
            }
        }
    }
    Ok(problems)
}

/// How often (in events) verification reports progress, and may be stopped.
pub const VERIFY_PROGRESS_EVERY: u64 = 10_000;

/// The chain check of [`Log::verify_from`].
fn verify_chain_from(
    connection: &Connection,
    previous: &VerifyReport,
    progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
) -> Result<VerifyReport, StoreError> {
    let still_holds_previous_head = previous.head_seq == 0
        || connection
            .prepare_cached("SELECT hash FROM events WHERE seq = ?1")?
            .query_row([previous.head_seq], |row| row.get::<_, String>(0))
            .optional()?
            .as_deref()
            == Some(previous.head_hash.as_str());
    let mut report = match still_holds_previous_head {
        true => previous.clone(),
        false => VerifyReport {
            integrity: previous.integrity.clone(),
            ..VerifyReport::nothing_checked()
        },
    };
    let mut statement = connection.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = statement.query([report.head_seq])?;
    // While the chain is intact, the head's hash is the last good one.
    let mut previous_hash = report.head_hash.clone();
    while let Some(row) = rows.next()? {
        let expected_seq = report.checked + 1;
        let seq_of_row: u64 = row.get(0)?;
        report.head_seq = seq_of_row;
        report.head_hash = row.get(12)?;
        if report.first_bad_seq.is_none() {
            let problem = match event_from_row(row) {
                Err(StoreError::Corrupt { problem, .. }) => Some(format!("unreadable: {problem}")),
                Err(other) => return Err(other),
                Ok(event) if event.seq != expected_seq => Some(format!(
                    "seq {} follows seq {}: the log has a gap",
                    event.seq,
                    expected_seq - 1
                )),
                Ok(event) if event.prev_hash != previous_hash => Some(format!(
                    "prev_hash {} is not the previous event's hash {previous_hash}",
                    event.prev_hash
                )),
                Ok(event) => match event.compute_hash() {
                    Ok(hash) if hash == event.hash => None,
                    Ok(hash) => Some(format!(
                        "stored hash {} does not match the recomputed {hash}: the event was \
                         altered after it was recorded",
                        event.hash
                    )),
                    Err(error) => Some(error.to_string()),
                },
            };
            if let Some(problem) = problem {
                report.first_bad_seq = Some(seq_of_row);
                report.problem = Some(problem);
            }
            previous_hash = report.head_hash.clone();
        }
        report.checked += 1;
        if report.checked.is_multiple_of(VERIFY_PROGRESS_EVERY)
            && progress(report.checked).is_break()
        {
            return Ok(report);
        }
    }
    let _ = progress(report.checked);
    Ok(report)
}

/// What the writer keeps of each plan to check stream rules without reading the log.
#[derive(Debug, Clone)]
struct PlanStream {
    version: u64,
    status: PlanStatus,
    last_lifecycle_on: CivilDate,
    period: Period,
}

/// Why a lifecycle event does not fit its plan's stream (§2.1).
enum LifecycleRefusal {
    /// Dated before the plan's latest lifecycle event (`422`).
    DatedBefore(CivilDate),
    /// Not a transition from the plan's status (`409`).
    NotAllowed(PlanStatus),
}

impl PlanStream {
    /// A stream just registered on `occurred_on`: the one rule of what registration means, used
    /// both when appending and when loading the writer's state.
    fn registered(occurred_on: CivilDate, period: Period) -> PlanStream {
        PlanStream {
            version: 0,
            status: PlanStatus::Draft,
            last_lifecycle_on: occurred_on,
            period,
        }
    }

    /// Moves the stream through the lifecycle event `event_type` dated `occurred_on`.
    fn advance(
        &mut self,
        event_type: EventType,
        occurred_on: CivilDate,
    ) -> Result<(), LifecycleRefusal> {
        if occurred_on < self.last_lifecycle_on {
            return Err(LifecycleRefusal::DatedBefore(self.last_lifecycle_on));
        }
        self.status = self
            .status
            .after(event_type)
            .ok_or(LifecycleRefusal::NotAllowed(self.status))?;
        self.last_lifecycle_on = occurred_on;
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct WriterState {
    head: Head,
    plans: HashMap<PlanKey, PlanStream>,
    /// The greatest id stored, or greater (it is not lowered when a request is undone). An id
    /// above it cannot be stored, so appending it needs no lookup: ids made by this server and
    /// those of an exported record, imported again elsewhere, mostly rise.
    newest_id: Option<EventId>,
}

impl WriterState {
    /// Whether an event with `id` may already be stored (and must be looked up).
    fn may_hold(&self, id: EventId) -> bool {
        self.newest_id.is_some_and(|newest| id <= newest)
    }
}

/// What one request changed in the writer's state, to put back if its savepoint rolls back.
#[derive(Default)]
struct Undo {
    head: Option<Head>,
    plans: Vec<(PlanKey, Option<PlanStream>)>,
}

impl WriterState {
    fn load(connection: &Connection) -> Result<WriterState, StoreError> {
        let head = read_head(connection)?;
        let mut plans = HashMap::new();
        // Lifecycle events are few; registrations are corrected rarely. Read both in seq order
        // and fold them, then the stream versions.
        let mut statement = connection.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE type IN \
             ('plan.registered','plan.submitted','plan.approved','plan.completed','plan.cancelled') \
             OR (type = 'event.corrected' AND target IN \
                 (SELECT id FROM events WHERE type = 'plan.registered')) ORDER BY seq"
        ))?;
        let mut rows = statement.query([])?;
        let mut registration_of: HashMap<String, PlanKey> = HashMap::new();
        while let Some(row) = rows.next()? {
            // A damaged row (edited behind the store's back) is skipped: verification names it,
            // and the service must still start to report it.
            let Ok(event) = event_from_row(row) else {
                continue;
            };
            let Ok(data) = EventData::parse(event.event_type, &event.data, "/data") else {
                continue;
            };
            match data {
                EventData::PlanRegistered(registered) => {
                    registration_of.insert(event.id.to_string(), event.plan.clone());
                    plans.insert(
                        event.plan.clone(),
                        PlanStream::registered(event.occurred_on, registered.period),
                    );
                }
                EventData::EventCorrected(correction) => {
                    let period = correction
                        .data
                        .as_ref()
                        .map(|data| EventData::parse(EventType::PlanRegistered, data, "/data"));
                    if let (Some(plan), Some(Ok(EventData::PlanRegistered(registered)))) =
                        (registration_of.get(&correction.target.to_string()), period)
                        && let Some(stream) = plans.get_mut(plan)
                    {
                        stream.period = registered.period;
                    }
                }
                _ => {
                    // A stored lifecycle event was checked when appended; one that no longer
                    // fits was altered behind the store's back, and verification names it.
                    if let Some(stream) = plans.get_mut(&event.plan) {
                        let _ = stream.advance(event.event_type, event.occurred_on);
                    }
                }
            }
        }
        let mut versions =
            connection.prepare("SELECT plan, MAX(version) FROM events GROUP BY plan")?;
        let mut rows = versions.query([])?;
        while let Some(row) = rows.next()? {
            let plan: String = row.get(0)?;
            let version: u64 = row.get(1)?;
            if let Ok(plan) = plan.parse::<PlanKey>()
                && let Some(stream) = plans.get_mut(&plan)
            {
                stream.version = version;
            }
        }
        // An id that does not read (a damaged row) may hide any id: then look every one up.
        let unreadable = EventId::from_ulid(ulid::Ulid(u128::MAX));
        let newest_id = connection.query_row("SELECT MAX(id) FROM events", [], |row| {
            Ok(match row.get_ref(0)? {
                rusqlite::types::ValueRef::Null => None,
                rusqlite::types::ValueRef::Text(text) => Some(
                    std::str::from_utf8(text)
                        .ok()
                        .and_then(|text| text.parse::<EventId>().ok())
                        .unwrap_or(unreadable),
                ),
                _ => Some(unreadable),
            })
        })?;
        Ok(WriterState {
            head,
            plans,
            newest_id,
        })
    }

    fn set_plan(&mut self, undo: &mut Undo, plan: &PlanKey, stream: PlanStream) {
        let before = self.plans.insert(plan.clone(), stream);
        undo.plans.push((plan.clone(), before));
    }

    fn set_head(&mut self, undo: &mut Undo, head: Head) {
        let before = std::mem::replace(&mut self.head, head);
        undo.head.get_or_insert(before);
    }

    fn roll_back(&mut self, undo: Undo) {
        for (plan, before) in undo.plans.into_iter().rev() {
            match before {
                Some(stream) => self.plans.insert(plan, stream),
                None => self.plans.remove(&plan),
            };
        }
        if let Some(head) = undo.head {
            self.head = head;
        }
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
        let clock_now = Instant::from_timestamp((self.clock)());
        // recorded_at never decreases along seq, even if the system clock steps back.
        let now = match self.state.head.recorded_at {
            Some(last) if last > clock_now => last,
            _ => clock_now,
        };
        let now = Stamp {
            at: now,
            text: now.to_string(),
        };
        let mut results: Vec<Result<AppendOutcome, AppendError>> =
            Vec::with_capacity(replies.len());
        let mut committed: Vec<StoredEvent> = Vec::new();
        let outcome = (|| -> Result<(), AppendError> {
            self.control("BEGIN IMMEDIATE")?;
            // The state must describe the database as it is: reload it now, inside the
            // transaction, if another connection committed or a failed commit left it unknown,
            // rather than chain onto a head that is not there.
            self.catch_up()?;
            // A request alone in its group (every import batch) is undone, if refused, by
            // rolling the whole transaction back.
            let alone = requests.len() == 1;
            let mut refused_alone = false;
            for request in requests {
                // A savepoint journals every page the request touches, which costs more than
                // the request itself; it is needed only where the request can fail after it
                // has written something (see `may_fail_after_writing`) beside other requests.
                let savepoint = !alone && may_fail_after_writing(&request);
                if savepoint {
                    self.control("SAVEPOINT request")?;
                }
                let mut undo = Undo::default();
                match self.apply_request(request, &now, &mut undo) {
                    Ok((outcome, new_events)) => {
                        if savepoint {
                            self.control("RELEASE request")?;
                        }
                        committed.extend(new_events);
                        results.push(Ok(outcome));
                    }
                    Err(error) => {
                        // Some errors (I/O, interrupt, out of memory) make SQLite roll the whole
                        // transaction back: nothing of the group is left, and going on would
                        // run the next requests in autocommit mode.
                        if self.connection.is_autocommit() {
                            return Err(error);
                        }
                        if savepoint {
                            self.control("ROLLBACK TO request")?;
                            self.control("RELEASE request")?;
                        }
                        // A statement that failed in the database (a constraint the state
                        // should have foreseen, such as a taken seq) means the state may not
                        // describe the database: reload it before the next group.
                        if matches!(error, AppendError::Storage(_)) {
                            self.stale = true;
                        }
                        refused_alone = alone;
                        self.state.roll_back(undo);
                        results.push(Err(error));
                    }
                }
            }
            Ok(self.control(if refused_alone { "ROLLBACK" } else { "COMMIT" })?)
        })();
        let failure = outcome.err().map(|error| {
            // Nothing of this group is durable: undo it all and tell every client why.
            let _ = self.connection.execute_batch("ROLLBACK");
            let failure = error;
            eprintln!("acta: a commit failed, nothing of it is stored: {failure}");
            match WriterState::load(&self.connection) {
                Ok(state) => self.state = state,
                Err(load_error) => {
                    eprintln!("acta: cannot reload the writer state: {load_error}");
                }
            }
            // Whatever happened, look again at the database before the next group.
            self.stale = true;
            committed.clear();
            for result in &mut results {
                *result = Err(failure.clone());
            }
            results.resize(replies.len(), Err(failure.clone()));
            failure
        });
        self.health.record(failure.as_ref());
        committed.sort_by_key(|event| event.seq);
        if !committed.is_empty()
            && let Some(on_commit) = &self.on_commit
        {
            // The events are durable whatever the hook does: a panic in it must not take the
            // writer (and every later append) down with it.
            let hook = std::panic::AssertUnwindSafe(|| on_commit(&committed));
            if std::panic::catch_unwind(hook).is_err() {
                eprintln!(
                    "acta: the commit hook panicked; the events are stored, the projections may lag"
                );
            }
        }
        for (reply, result) in replies.into_iter().zip(results) {
            reply(result);
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
                    true => error.under(&format!("/events/{index}")),
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
        // An idempotent repeat is recognised before any other check.
        if let Some(id) = event.id
            && self.state.may_hold(id)
            && let Some(stored) = event_by_id(&self.connection, id).map_err(storage)?
        {
            let stored_content = content_json(
                stored.event_type,
                &stored.plan,
                stored.occurred_on,
                stored.date_precision,
                &stored.data,
                stored.evidence.clone(),
            );
            if stored_content == event.content() {
                return Ok((stored, false));
            }
            return Err(AppendError::conflict(
                "/id",
                format!(
                    "event {id} is already stored (seq {}) with other content; an id may be \
                     used for one event only",
                    stored.seq
                ),
            ));
        }

        let stream = self.state.plans.get(&event.plan).cloned();
        let version_before = stream.as_ref().map_or(0, |stream| stream.version);
        match (&event.data, &stream) {
            (EventData::PlanRegistered(_), Some(_)) => {
                return Err(AppendError::conflict(
                    "/plan",
                    format!("plan {} is already registered", event.plan),
                ));
            }
            (EventData::PlanRegistered(registered), None) => {
                if let Some(parent) = &registered.parent
                    && !self.state.plans.contains_key(parent)
                {
                    return Err(AppendError::invalid(
                        "/data/parent",
                        format!("plan {parent} is not registered"),
                    ));
                }
            }
            (_, None) => {
                return Err(AppendError::invalid(
                    "/plan",
                    format!(
                        "plan {} is not registered: a plan's first event must be plan.registered",
                        event.plan
                    ),
                ));
            }
            (_, Some(_)) => {}
        }
        if let Some(expected) = event.expected_version
            && expected != version_before
        {
            return Err(AppendError::conflict(
                "/expected_version",
                format!(
                    "expected version {expected}, but plan {}'s stream holds {version_before} \
                     events: the current version is {version_before}",
                    event.plan
                ),
            ));
        }

        let id = event
            .id
            .unwrap_or_else(|| EventId::from_ulid(ulid::Ulid::new()));
        let mut next_stream = stream.clone();
        match &event.data {
            EventData::PlanRegistered(registered) => {
                next_stream = Some(PlanStream::registered(event.occurred_on, registered.period));
            }
            _ if event.event_type.is_lifecycle() => {
                let stream = next_stream.as_mut().expect("checked registered above");
                match stream.advance(event.event_type, event.occurred_on) {
                    Ok(()) => {}
                    Err(LifecycleRefusal::DatedBefore(latest)) => {
                        return Err(AppendError::invalid(
                            "/occurred_on",
                            format!(
                                "a lifecycle event of plan {} may not be dated before its latest \
                                 one ({latest})",
                                event.plan
                            ),
                        ));
                    }
                    Err(LifecycleRefusal::NotAllowed(status)) => {
                        return Err(AppendError::conflict(
                            "/type",
                            format!(
                                "plan {} is {status}: {} is not allowed from there",
                                event.plan, event.event_type
                            ),
                        ));
                    }
                }
            }
            EventData::DecisionIssued(decision) => {
                let inserted = self
                    .connection
                    .prepare_cached(
                        "INSERT OR IGNORE INTO decision_numbers (issuer, number, year, event_id) \
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![
                        decision.issuer.as_str(),
                        decision.number.as_str(),
                        event.occurred_on.year(),
                        id.to_string()
                    ])?;
                if inserted == 0 {
                    return Err(AppendError::conflict(
                        "/data/number",
                        format!(
                            "decision {} of {} is already recorded for {}",
                            decision.number,
                            decision.issuer,
                            event.occurred_on.year()
                        ),
                    ));
                }
            }
            EventData::EventCorrected(_) | EventData::EventRetracted(_) => {
                let period = stream.as_ref().expect("checked registered above").period;
                if let Some(new_period) = self.check_correction(&event, period)? {
                    next_stream.as_mut().expect("registered").period = new_period;
                }
            }
            data => {
                let period = stream.as_ref().expect("checked registered above").period;
                check_fiscal_year(data, period, "/data/fiscal_year")?;
            }
        }

        let mut stored = StoredEvent {
            seq: self.state.head.seq + 1,
            id,
            event_type: event.event_type,
            plan: event.plan.clone(),
            version: version_before + 1,
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
        let mut stream = next_stream.expect("registered or registering");
        stream.version = stored.version;
        self.state.set_plan(undo, &event.plan, stream);
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

    /// The rules of CONTRACT §2.3. Returns the plan's new period when a registration's
    /// correction changes it.
    fn check_correction(
        &self,
        event: &NewEvent,
        period: Period,
    ) -> Result<Option<Period>, AppendError> {
        let (target_id, replacement, new_date) = match &event.data {
            EventData::EventCorrected(correction) => (
                correction.target,
                correction.data.as_ref(),
                correction.occurred_on,
            ),
            EventData::EventRetracted(retraction) => (retraction.target, None, None),
            _ => unreachable!("only corrections are checked here"),
        };
        let Some(target) = event_by_id(&self.connection, target_id).map_err(storage)? else {
            return Err(AppendError::invalid(
                "/data/target",
                format!("event {target_id} does not exist"),
            ));
        };
        if target.event_type.is_correction() {
            return Err(AppendError::invalid(
                "/data/target",
                format!(
                    "event {target_id} is a {}: corrections and retractions are not themselves \
                     corrected",
                    target.event_type
                ),
            ));
        }
        if target.plan != event.plan {
            return Err(AppendError::invalid(
                "/plan",
                format!(
                    "a correction belongs to its target's plan: event {target_id} is in plan {}",
                    target.plan
                ),
            ));
        }
        let retracted = self
            .connection
            .query_row(
                "SELECT 1 FROM events WHERE target = ?1 AND type = 'event.retracted'",
                [target_id.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if retracted {
            return Err(AppendError::conflict(
                "/data/target",
                format!(
                    "event {target_id} is retracted: it cannot be corrected or retracted again"
                ),
            ));
        }
        if target.event_type.is_lifecycle() {
            // A plan's lifecycle moves forward by new lifecycle events; letting a correction
            // move or erase one would silently rewrite the order the rules were checked in.
            if event.event_type == EventType::EventRetracted {
                return Err(AppendError::invalid(
                    "/data/target",
                    format!(
                        "event {target_id} is a {}: a plan's lifecycle events cannot be \
                         retracted (cancel the plan instead)",
                        target.event_type
                    ),
                ));
            }
            if new_date.is_some() {
                return Err(AppendError::invalid(
                    "/data/occurred_on",
                    "a plan's lifecycle events cannot be moved to another date",
                ));
            }
        }
        let data = replacement
            .map(|replacement| EventData::parse(target.event_type, replacement, "/data/data"))
            .transpose()
            .map_err(AppendError::from_fields)?;
        if target.event_type == EventType::DecisionIssued {
            self.reindex_decision(target_id, event.event_type, data.as_ref(), new_date)?;
        }
        let Some(data) = data else {
            return Ok(None);
        };
        match (
            &data,
            EventData::parse(target.event_type, &target.data, "/data"),
        ) {
            (EventData::PlanRegistered(new), Ok(EventData::PlanRegistered(old))) => {
                if new.parent != old.parent || new.kind != old.kind {
                    return Err(AppendError::invalid(
                        "/data/data",
                        "a correction of plan.registered may not change the plan's parent or \
                         kind (register a new plan instead)",
                    ));
                }
                Ok(Some(new.period))
            }
            (data, _) => {
                check_fiscal_year(data, period, "/data/data/fiscal_year")?;
                Ok(None)
            }
        }
    }

    /// Keeps the decision-number index true to the record as corrected: a retracted decision
    /// frees its number; a corrected one takes its new (issuer, number, year), `409` if taken.
    fn reindex_decision(
        &self,
        target: EventId,
        kind: EventType,
        replacement: Option<&EventData>,
        new_date: Option<CivilDate>,
    ) -> Result<(), AppendError> {
        let existing: Option<(String, String, i64)> = self
            .connection
            .query_row(
                "SELECT issuer, number, year FROM decision_numbers WHERE event_id = ?1",
                [target.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        self.connection.execute(
            "DELETE FROM decision_numbers WHERE event_id = ?1",
            [target.to_string()],
        )?;
        let (Some((mut issuer, mut number, mut year)), EventType::EventCorrected) =
            (existing, kind)
        else {
            return Ok(());
        };
        if let Some(EventData::DecisionIssued(decision)) = replacement {
            issuer = decision.issuer.to_string();
            number = decision.number.to_string();
        }
        if let Some(date) = new_date {
            year = i64::from(date.year());
        }
        let inserted = self.connection.execute(
            "INSERT OR IGNORE INTO decision_numbers (issuer, number, year, event_id) \
             VALUES (?1, ?2, ?3, ?4)",
            params![issuer, number, year, target.to_string()],
        )?;
        if inserted == 0 {
            return Err(AppendError::conflict(
                "/data/data/number",
                format!("decision {number} of {issuer} is already recorded for {year}"),
            ));
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

fn check_fiscal_year(data: &EventData, period: Period, pointer: &str) -> Result<(), AppendError> {
    match data.fiscal_year() {
        Some(year) if !period.contains(year) => Err(AppendError::invalid(
            pointer,
            format!(
                "fiscal year {year} is outside the plan's period {}..={}",
                period.from_year, period.to_year
            ),
        )),
        _ => Ok(()),
    }
}

fn storage(error: StoreError) -> AppendError {
    match error {
        StoreError::Sqlite(error) => error.into(),
        other => AppendError::Storage(other.to_string()),
    }
}
