//! SQLite's side of the read interface ([`LogReads`]): each read on a connection of the pool.

use std::ops::ControlFlow;

use rusqlite::OptionalExtension;

use crate::error::StoreError;
use crate::merkle::Hash;
use crate::stored::StoredEvent;
use crate::types::{EventId, PlanKey};

use super::connection::Readers;
use super::database::Database;
use super::reads::{LogReads, collect_event_hashes};
use super::rows::{EventRow, event_by_id, read_head};
use super::scan::{Unreadable, events_page, replay_rows, scan_events, scoped_page};
use super::scoped_reads::{EventScope, ScopedPage};
use super::types::{EventFilter, Head};
use super::verify::{VerifyReport, integrity_check, verify_chain_from};

impl LogReads for Readers {
    fn database(&self) -> &Database {
        &self.database
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.with(read_head)
    }

    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.with(|connection| event_by_id(connection, id))
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.with(|connection| events_page(connection, filter))
    }

    fn events_in_scope(
        &self,
        filter: &EventFilter,
        scope: &EventScope,
    ) -> Result<ScopedPage, StoreError> {
        self.with(|connection| scoped_page(connection, filter, scope))
    }

    fn plan_exists(&self, plan: &PlanKey) -> Result<bool, StoreError> {
        self.with(|connection| {
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

    fn integrity_check(&self, full: bool) -> Result<Vec<String>, StoreError> {
        self.with(|connection| integrity_check(connection, full))
    }

    fn verify_from(
        &self,
        previous: &VerifyReport,
        progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<VerifyReport, StoreError> {
        self.with(|connection| verify_chain_from(connection, previous, progress))
    }

    fn scan(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with(|connection| scan_events(connection, after_seq, Unreadable::Stop, visit))
    }

    fn scan_readable(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with(|connection| scan_events(connection, after_seq, Unreadable::Skip, visit))
    }

    fn replay_rows(&self, on_replay: &mut dyn FnMut(&EventRow<'_>)) -> Result<(), StoreError> {
        replay_rows(self, on_replay)
    }

    fn event_hashes(&self, first_seq: u64, last_seq: u64) -> Result<Vec<Hash>, StoreError> {
        self.with(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, hash FROM events WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq",
            )?;
            let rows = statement.query_map([first_seq as i64, last_seq as i64], |row| {
                Ok((row.get::<_, i64>(0)? as u64, row.get::<_, String>(1)?))
            })?;
            collect_event_hashes(
                first_seq,
                last_seq,
                rows.map(|row| row.map_err(StoreError::from)),
            )
        })
    }
}
