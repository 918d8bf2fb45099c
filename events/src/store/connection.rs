//! Connections: the settings every connection of acta uses, and the pool of read connections.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::file;
use crate::error::StoreError;

/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// Page cache of each read connection, in KiB.
const PAGE_CACHE_KIB: i64 = 32 * 1024;

/// WAL pages between automatic checkpoints.
const WAL_CHECKPOINT_PAGES: i64 = 8192;

/// Most idle read connections kept open.
const READERS_IDLE_MAX: usize = 16;

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

pub(super) struct Readers {
    pub(super) path: PathBuf,
    /// `path` as the log names it.
    pub(super) database: super::database::Database,
    pub(super) read_only: bool,
    pub(super) idle: Mutex<Vec<Connection>>,
    /// Closed after `idle` (fields drop in order): closing any descriptor of the database file
    /// drops the process's POSIX locks on it, SQLite's included, so the lock's descriptor is
    /// closed only once no connection of this log is left.
    pub(super) _lock: Option<Arc<file::WriterLock>>,
}

impl Readers {
    pub(super) fn new(
        path: PathBuf,
        read_only: bool,
        lock: Option<Arc<file::WriterLock>>,
    ) -> Readers {
        Readers {
            database: super::database::Database::Sqlite(path.clone()),
            path,
            read_only,
            idle: Mutex::new(Vec::new()),
            _lock: lock,
        }
    }

    pub(super) fn with<R>(
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
