//! The read side of the storage interface: what every back end answers of its log. [`Log`]
//! (`mod.rs`) holds one as `Arc<dyn LogReads>`; SQLite's is `connection::Readers`
//! (`sqlite_reads.rs`), PostgreSQL's `postgres::Readers`. The write side is the writer's
//! `Transactions` (`writer.rs`).
//!
//! [`Log`]: super::Log

use std::ops::ControlFlow;

use crate::error::StoreError;
use crate::stored::StoredEvent;
use crate::types::{EventId, PlanKey};

use super::database::Database;
use super::rows::EventRow;
use super::types::{EventFilter, Head};
use super::verify::VerifyReport;

/// Reads of a log, whatever keeps it. Each call takes a connection of the back end's pool.
pub(crate) trait LogReads: Send + Sync {
    /// The database these reads go to, as it was opened (SQLite: its canonical path).
    fn database(&self) -> &Database;
    fn head(&self) -> Result<Head, StoreError>;
    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError>;
    fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError>;
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
}
