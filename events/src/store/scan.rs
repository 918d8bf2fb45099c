//! Scans of the log in `seq` order: pages of `GET /v1/events`, chunks for export and replay,
//! and the replay that feeds the projections at start.

use rusqlite::Connection;

use crate::error::StoreError;
use crate::stored::StoredEvent;

use super::connection::Readers;
use super::rows::{Chunks, EVENT_COLUMNS, EventRow, event_from_row, event_row};
use super::scoped_reads::{
    EventScope, ScopedPage, page_of, qualified_columns, rows_to_read, time_conditions, window_end,
};
use super::types::EventFilter;

/// Feeds every stored event to `on_replay` as an [`EventRow`], in `seq` order, skipping the rows
/// a scan with [`Unreadable::Skip`] skips.
pub(super) fn replay_rows(
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

pub(super) fn events_page(
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

/// A page of [`super::Log::events_in_scope`] on SQLite: [`events_page`]'s filters and the
/// time conditions of `scoped_reads` in SQL, the search over the rows found.
pub(super) fn scoped_page(
    connection: &Connection,
    filter: &EventFilter,
    scope: &EventScope,
) -> Result<ScopedPage, StoreError> {
    let mut values: Vec<rusqlite::types::Value> = vec![
        i64::try_from(filter.after_seq).unwrap_or(i64::MAX).into(),
        scope.as_of.map(|date| date.to_string()).into(),
        scope.known_at.map(|instant| instant.to_string()).into(),
    ];
    let mut sql = format!(
        "SELECT {columns} FROM events e WHERE e.seq > ?1{time}",
        columns = qualified_columns("e"),
        time = time_conditions(scope, "?2", "?3", |c| format!(
            "json_extract({c}.data, '$.occurred_on')"
        )),
    );
    if let Some(plan) = &filter.plan {
        values.push(plan.as_str().to_owned().into());
        sql.push_str(&format!(" AND e.plan = ?{}", values.len()));
    }
    if let Some(event_type) = filter.event_type {
        values.push(event_type.as_str().to_owned().into());
        sql.push_str(&format!(" AND e.type = ?{}", values.len()));
    }
    let last_seq = i64::try_from(window_end(filter.after_seq)).unwrap_or(i64::MAX);
    values.push(last_seq.into());
    sql.push_str(&format!(" AND e.seq <= ?{}", values.len()));
    let read_max = i64::try_from(rows_to_read(scope, filter.limit)).unwrap_or(i64::MAX);
    values.push(read_max.into());
    sql.push_str(&format!(" ORDER BY e.seq LIMIT ?{}", values.len()));
    let mut statement = connection.prepare_cached(&sql)?;
    let mut rows = statement.query(rusqlite::params_from_iter(values))?;
    let mut events = Vec::new();
    while let Some(row) = rows.next()? {
        events.push(event_from_row(row)?);
    }
    page_of(
        events,
        scope.search.as_ref(),
        filter.limit,
        window_end(filter.after_seq),
        || {
            Ok(connection.query_row(
                "SELECT EXISTS (SELECT 1 FROM events WHERE seq > ?1)",
                [last_seq],
                |row| row.get::<_, bool>(0),
            )?)
        },
    )
}

/// What a scan does with a row it cannot read (one edited behind the store's back).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Unreadable {
    /// Hand over what was read before it, then fail naming it (`export`).
    Stop,
    /// Skip it (the start-up replay: verification names it).
    Skip,
}

/// Calls `visit` with every stored event after `after_seq`, in `seq` order, in chunks.
pub(super) fn scan_events(
    connection: &Connection,
    after_seq: u64,
    unreadable: Unreadable,
    visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut statement = connection.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = statement.query([i64::try_from(after_seq).unwrap_or(i64::MAX)])?;
    let mut chunks = Chunks::new(unreadable == Unreadable::Skip, visit);
    while let Some(row) = rows.next()? {
        chunks.push(row)?;
    }
    chunks.finish()
}
