//! SQLite's side of the write interface ([`Transactions`]): the writer's one write connection,
//! its `BEGIN IMMEDIATE` transactions and savepoints, and the start of a SQLite log.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{AppendError, StoreError};
use crate::schema;
use crate::stored::StoredEvent;
use crate::types::EventId;

use super::connection::{Readers, open_connection};
use super::file::{self, DatabaseFile};
use super::health;
use super::rows::read_head;
use super::rules::{DecisionChange, Holder};
use super::scan::{Unreadable, scan_events};
use super::state::{WriterState, WriterView, is_damage};
use super::types::{Head, LogOptions};
use super::writer::{self, NewRow, Publisher, Transactions, WriteJob};

/// Page cache of the writer, in KiB, when appending as a server does: its hot pages are the
/// right edges of the table and indexes and one leaf per plan of the `(plan, version)` index.
/// Larger is slower: every commit after a B-tree page split scans the whole cache (SQLite's
/// `pcache1TruncateUnsafe`), which took 13% of the writer's time with 32 MiB (`perf`).
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// Page cache of the writer for a bulk load (`acta import`): a transaction of thousands of
/// events dirties a leaf of the `(plan, version)` index for nearly every plan, and a cache that
/// cannot hold them spills to the WAL in the middle of the transaction.
const BULK_WRITER_CACHE_KIB: i64 = 64 * 1024;

/// A started writer: the queue to it, the log's readers and the writer's health.
pub(super) struct Started {
    pub(super) sender: std::sync::mpsc::SyncSender<WriteJob>,
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
    schema::check_is_acta(&database)?;
    let mut connection = open_connection(&database.path)?;
    let writer_cache_kib = match options.bulk {
        true => BULK_WRITER_CACHE_KIB,
        false => WRITER_CACHE_KIB,
    };
    connection.pragma_update(None, "cache_size", -writer_cache_kib)?;
    schema::migrate(&mut connection)?;
    let readers = Arc::new(Readers::new(
        database.path.clone(),
        false,
        Some(Arc::clone(&writer_lock)),
    ));
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
    let mut transactions = SqliteTransactions {
        connection,
        seen_data_version: 0,
        health: Arc::clone(&health),
        _lock: writer_lock,
    };
    transactions.seen_data_version = transactions.data_version()?;
    // The writer sees every commit (its own, and any behind its back by `data_version`): the
    // publisher never has a gap to read.
    let publisher = Arc::new(Publisher::new(options.on_commit, state.head.seq, None));
    let sender = writer::spawn(
        transactions,
        state,
        options.clock,
        publisher,
        Arc::clone(&health),
    )?;
    Ok(Started {
        sender,
        readers,
        health,
    })
}

struct SqliteTransactions {
    connection: Connection,
    /// `PRAGMA data_version` when this writer last looked: it changes when any other
    /// connection commits, so a commit made behind the writer's back is seen (see
    /// [`SqliteTransactions::catch_up`]).
    seen_data_version: i64,
    health: Arc<health::Health>,
    /// Held for as long as this writer runs (declared last, so the connection closes first):
    /// see [`file::lock_for_writing`].
    _lock: Arc<file::WriterLock>,
}

impl SqliteTransactions {
    /// Runs one transaction-control statement, prepared once and cached: these run several
    /// times per group, and parsing their SQL each time showed in profiles.
    fn control(&self, sql: &str) -> Result<(), AppendError> {
        Ok(self.connection.prepare_cached(sql)?.execute([]).map(drop)?)
    }

    /// `PRAGMA data_version` of the writer's connection: unchanged by its own commits.
    fn data_version(&self) -> Result<i64, rusqlite::Error> {
        self.connection
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))
    }

    /// Makes `state` describe the database as it is, inside the write transaction. Another
    /// connection may have committed: this process's token writes (no events), or — were the
    /// lock ever got past — another writer. Events appended behind the writer's back are
    /// returned for the projections, so they miss nothing; a database whose head went back or
    /// changed (replaced or restored beneath the server) is refused for writing.
    fn catch_up(
        &mut self,
        state: &mut WriterState,
        stale: bool,
        want_missed: bool,
    ) -> Result<Vec<StoredEvent>, AppendError> {
        let version = self.data_version()?;
        if version == self.seen_data_version && !stale {
            return Ok(Vec::new());
        }
        let believed = state.head.clone();
        let found = read_head(&self.connection)?;
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
        let mut missed = Vec::new();
        if found.seq > believed.seq {
            eprintln!(
                "acta: WARNING: events {}..={} were appended by another connection; the writer \
                 reloads its state and the projections take them in",
                believed.seq + 1,
                found.seq
            );
            if want_missed {
                scan_events(
                    &self.connection,
                    believed.seq,
                    Unreadable::Skip,
                    &mut |chunk| {
                        missed.extend_from_slice(chunk);
                        Ok(())
                    },
                )?;
            }
        }
        *state = WriterState::load(&self.connection)?;
        self.seen_data_version = version;
        Ok(missed)
    }
}

impl Transactions for SqliteTransactions {
    type View<'a> = WriterView<'a>;

    fn begin(
        &mut self,
        state: &mut WriterState,
        stale: bool,
        want_missed: bool,
    ) -> Result<Vec<StoredEvent>, AppendError> {
        self.control("BEGIN IMMEDIATE")?;
        self.catch_up(state, stale, want_missed)
    }

    fn savepoint(&mut self) -> Result<(), AppendError> {
        self.control("SAVEPOINT request")
    }

    fn release_savepoint(&mut self) -> Result<(), AppendError> {
        self.control("RELEASE request")
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), AppendError> {
        self.control("ROLLBACK TO request")?;
        self.control("RELEASE request")
    }

    /// Some errors (I/O, interrupt, out of memory) make SQLite roll the whole transaction back
    /// and go on in autocommit mode.
    fn transaction_lost(&mut self) -> bool {
        self.connection.is_autocommit()
    }

    fn view<'a>(&'a mut self, state: &'a WriterState) -> WriterView<'a> {
        WriterView {
            connection: &self.connection,
            state,
        }
    }

    fn insert(&mut self, row: &NewRow<'_>) -> Result<(), AppendError> {
        self.connection
            .prepare_cached(
                "INSERT INTO events (seq, id, type, plan, version, occurred_on, date_precision, \
                 recorded_at, actor, data, evidence, prev_hash, hash, target) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                row.hashed.seq,
                row.hashed.id,
                row.hashed.event_type,
                row.hashed.plan,
                row.hashed.version,
                row.hashed.occurred_on,
                row.hashed.date_precision,
                row.hashed.recorded_at,
                row.hashed.actor,
                row.hashed.canonical_data,
                row.hashed.canonical_evidence,
                row.prev_hash,
                row.hash,
                row.target,
            ])
            .map_err(|error| match error {
                // Two events of one batch without ids cannot collide, but a client-chosen id
                // can only collide with one we just checked, inside this transaction.
                rusqlite::Error::SqliteFailure(failure, Some(message))
                    if failure.code == rusqlite::ErrorCode::ConstraintViolation
                        && message.contains("events.id") =>
                {
                    AppendError::conflict(
                        "/id",
                        acta_messages::Message::new(acta_messages::codes::ID_STORED)
                            .text("id", row.hashed.id.to_string()),
                    )
                }
                other => AppendError::from(other),
            })?;
        Ok(())
    }

    fn change_decision(
        &mut self,
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

    /// An I/O error at `COMMIT` comes after SQLite may have written the group's frames to the
    /// WAL: it rolls the transaction back in memory, but the frames can be in the file, and
    /// SQLite's recovery at the next open would find them. Its outcome is in doubt
    /// ([`AppendError::InDoubt`]), never a plain failure.
    fn commit(&mut self, _head: &Head) -> Result<(), AppendError> {
        match self.connection.prepare_cached("COMMIT")?.execute([]) {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(failure, message))
                if failure.code == rusqlite::ErrorCode::SystemIoFailure =>
            {
                Err(AppendError::InDoubt(format!(
                    "{}, SQLite's extended code {}",
                    message.unwrap_or_else(|| failure.to_string()),
                    failure.extended_code
                )))
            }
            Err(other) => Err(other.into()),
        }
    }

    fn rollback(&mut self) {
        let _ = self.connection.execute_batch("ROLLBACK");
    }

    fn reload(&mut self) -> Result<WriterState, StoreError> {
        WriterState::load(&self.connection)
    }
}
