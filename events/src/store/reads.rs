//! The read side of the storage interface: what every back end answers of its log. [`Log`]
//! (`mod.rs`) holds one as `Arc<dyn LogReads>`; SQLite's is `connection::Readers`
//! (`sqlite_reads.rs`), PostgreSQL's `postgres::Readers`. The write side is the writer's
//! `Transactions` (`writer.rs`).
//!
//! [`Log`]: super::Log

use std::ops::ControlFlow;

use crate::error::StoreError;
use crate::merkle::Hash;
use crate::stored::StoredEvent;
use crate::types::{EventId, PlanKey};

use super::database::Database;
use super::rows::EventRow;
use super::scoped_reads::{EventScope, ScopedPage};
use super::types::{EventFilter, Head};
use super::verify::VerifyReport;

/// Most event hashes one [`LogReads::event_hashes`] reads (2 MiB of hashes).
pub const EVENT_HASHES_READ_MAX: u64 = 65_536;

/// Reads of a log, whatever keeps it. Each call takes a connection of the back end's pool.
pub(crate) trait LogReads: Send + Sync {
    /// The database these reads go to, as it was opened (SQLite: its canonical path).
    fn database(&self) -> &Database;
    fn head(&self) -> Result<Head, StoreError>;
    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError>;
    fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError>;
    /// The events of `filter` at `scope`'s point in time that its search finds, in `seq`
    /// order (`scoped_reads` says what the time axes mean).
    fn events_in_scope(
        &self,
        filter: &EventFilter,
        scope: &EventScope,
    ) -> Result<ScopedPage, StoreError>;
    fn plan_exists(&self, plan: &PlanKey) -> Result<bool, StoreError>;
    /// The database's own check of what it stores (SQLite: `quick_check`, or with `full`
    /// `integrity_check`): what it says is wrong, empty when sound.
    fn integrity_check(&self, full: bool) -> Result<Vec<String>, StoreError>;
    /// The chain check of [`super::Log::verify_from`].
    fn verify_from(
        &self,
        previous: &VerifyReport,
        progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<VerifyReport, StoreError>;
    /// Every stored event after `after_seq`, in `seq` order, in chunks; stops at a row that
    /// cannot be read, after handing over those before it.
    fn scan(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Every stored event after `after_seq`, in `seq` order, in chunks, skipping a row that
    /// cannot be read (verification names it): the replay at start and the catch-up.
    fn scan_readable(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Every stored event borrowed as an [`EventRow`], in `seq` order, skipping what
    /// [`LogReads::scan_readable`] skips (the cold start).
    fn replay_rows(&self, on_replay: &mut dyn FnMut(&EventRow<'_>)) -> Result<(), StoreError>;
    /// The `hash` of every event with `first_seq <= seq <= last_seq`, as its 32 bytes, in `seq`
    /// order: the leaves of the Merkle tree. At most [`EVENT_HASHES_READ_MAX`] a call; a seq
    /// missing or a hash that is not 64 lowercase hex characters is [`StoreError::Corrupt`].
    fn event_hashes(&self, first_seq: u64, last_seq: u64) -> Result<Vec<Hash>, StoreError>;
}

/// The leaves of [`LogReads::event_hashes`] from its rows of `(seq, hash)`, checking that they
/// are the seqs asked for, each once, in order.
pub(crate) fn collect_event_hashes(
    first_seq: u64,
    last_seq: u64,
    rows: impl Iterator<Item = Result<(u64, String), StoreError>>,
) -> Result<Vec<Hash>, StoreError> {
    if last_seq >= first_seq && last_seq - first_seq >= EVENT_HASHES_READ_MAX {
        return Err(StoreError::Io(format!(
            "at most {EVENT_HASHES_READ_MAX} event hashes are read at once"
        )));
    }
    let mut hashes = Vec::with_capacity(last_seq.saturating_sub(first_seq) as usize + 1);
    let mut expected = first_seq;
    for row in rows {
        let (seq, hex) = row?;
        if seq != expected {
            return Err(StoreError::Corrupt {
                seq: expected,
                problem: "missing from the log".into(),
            });
        }
        let hash = crate::merkle::hash_of_hex(&hex).ok_or_else(|| StoreError::Corrupt {
            seq,
            problem: "its hash is not 64 lowercase hex characters".into(),
        })?;
        hashes.push(hash);
        expected += 1;
    }
    if expected <= last_seq {
        return Err(StoreError::Corrupt {
            seq: expected,
            problem: "missing from the log".into(),
        });
    }
    Ok(hashes)
}
