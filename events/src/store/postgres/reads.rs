//! PostgreSQL's side of the read interface ([`LogReads`]), over a pool of connections, and
//! the reading of its rows through [`Columns`] (the same reading as SQLite's).

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, Weak};

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use crate::error::StoreError;
use crate::merkle::Hash;
use crate::stored::{GENESIS_HASH, StoredEvent};
use crate::types::{EventId, PlanKey};

use super::super::database::Database;
use super::super::reads::{LogReads, collect_event_hashes};
use super::super::rows::{
    Chunks, Columns, EVENT_COLUMNS, EventRow, column_name, event_from_row, event_row,
};
use super::super::scoped_reads::{
    EventScope, ScopedPage, page_of, qualified_columns, rows_to_read, time_conditions, window_end,
};
use super::super::types::{EventFilter, Head};
use super::super::verify::{ChainCheck, VerifyReport};
use super::connect::connect;

/// Most idle read connections kept open.
const READERS_IDLE_MAX: usize = 16;

/// A pooled connection idle longer than this is checked (one empty query) before it is used:
/// after a database restart every pooled connection is dead, and each would otherwise fail the
/// first read given it (`tests/postgres_faults.rs` read the log after an outage and got `503`).
const READER_IDLE_CHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How long that check may take before the connection is dropped for a new one.
const READER_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The log is read in statements of at most this many rows, each its own: one statement over
/// the whole log outlived `statement_timeout` at 5,000,000 events (the start-up of `serve` was
/// refused), and held one snapshot for minutes. Rows are never changed, so reading a range in
/// parts reads the same rows as one statement would.
const ROWS_PER_STATEMENT: i64 = 50_000;

/// Every row of `columns` (the first of which is `seq`) with `after < seq <= up_to`, in `seq`
/// order, read [`ROWS_PER_STATEMENT`] at a time, until `visit` breaks.
fn for_each_row(
    client: &mut Client,
    columns: &str,
    after: u64,
    up_to: u64,
    visit: &mut dyn FnMut(&postgres::Row) -> Result<ControlFlow<()>, StoreError>,
) -> Result<(), StoreError> {
    let statement = client.prepare(&format!(
        "SELECT {columns} FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    ))?;
    let mut after = as_bigint(after);
    let until = as_bigint(up_to);
    loop {
        let params: [&(dyn ToSql + Sync); 3] = [&after, &until, &ROWS_PER_STATEMENT];
        let mut rows = client.query_raw(&statement, params)?;
        let mut read = 0;
        while let Some(row) = rows.next()? {
            read += 1;
            after = row.try_get(0)?;
            if visit(&row)?.is_break() {
                return Ok(());
            }
        }
        if read < ROWS_PER_STATEMENT {
            return Ok(());
        }
    }
}

impl Columns for postgres::Row {
    fn integer(&self, index: usize) -> Result<u64, StoreError> {
        let value: i64 = self.try_get(index)?;
        u64::try_from(value).map_err(|_| StoreError::Corrupt {
            seq: 0,
            problem: format!("{} is negative ({value})", column_name(index)),
        })
    }

    fn text_or_null(&self, index: usize, seq: u64) -> Result<Option<&str>, StoreError> {
        self.try_get(index).map_err(|error| StoreError::Corrupt {
            seq,
            problem: format!("{}: {error}", column_name(index)),
        })
    }
}

/// The read connections of one PostgreSQL log.
pub(crate) struct Readers {
    url: String,
    database: Database,
    /// Each with when it was given back.
    idle: Mutex<Vec<(Client, std::time::Instant)>>,
    /// Dropped with the last handle of the log: the follower stops when it is gone.
    alive: Arc<()>,
}

impl Readers {
    pub(crate) fn new(url: &str, database: Database) -> Readers {
        Readers {
            url: url.to_owned(),
            database,
            idle: Mutex::new(Vec::new()),
            alive: Arc::new(()),
        }
    }

    /// What the follower watches to know the log is still in use.
    pub(crate) fn alive(&self) -> Weak<()> {
        Arc::downgrade(&self.alive)
    }

    /// Keeps `client` for the next read, if it is still connected.
    pub(crate) fn give_back(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().expect("reader pool lock");
        if idle.len() < READERS_IDLE_MAX {
            idle.push((client, std::time::Instant::now()));
        }
    }

    /// Runs `read` on a connection of the pool (a new one if none is idle). A connection that
    /// failed is not kept.
    pub(crate) fn with<R>(
        &self,
        read: impl FnOnce(&mut Client) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let pooled = self.idle.lock().expect("reader pool lock").pop();
        let mut client = match pooled {
            Some((client, since)) if since.elapsed() < READER_IDLE_CHECK_AFTER => client,
            Some((mut client, _)) => match client.is_valid(READER_CHECK_TIMEOUT) {
                Ok(()) => client,
                Err(_) => {
                    // The database went away since: the other idle ones are as dead.
                    self.idle.lock().expect("reader pool lock").clear();
                    connect(&self.url)?
                }
            },
            None => connect(&self.url)?,
        };
        let result = read(&mut client);
        if result.is_ok() {
            self.give_back(client);
        }
        result
    }

    /// The reads of the replay at open: the events up to `seq` only (see `postgres::open`).
    pub(crate) fn up_to(&self, seq: u64) -> UpTo<'_> {
        UpTo {
            readers: self,
            up_to: seq,
        }
    }

    /// Every event after `after_seq` and up to `up_to`, in chunks, skipping or stopping at an
    /// unreadable row.
    fn scan_between(
        &self,
        after_seq: u64,
        up_to: u64,
        skip_unreadable: bool,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with(|client| {
            let mut chunks = Chunks::new(skip_unreadable, visit);
            for_each_row(client, EVENT_COLUMNS, after_seq, up_to, &mut |row| {
                chunks.push(row).map(|()| ControlFlow::Continue(()))
            })?;
            chunks.finish()
        })
    }

    fn replay_rows_up_to(
        &self,
        up_to: u64,
        on_replay: &mut dyn FnMut(&EventRow<'_>),
    ) -> Result<(), StoreError> {
        self.with(|client| {
            for_each_row(client, EVENT_COLUMNS, 0, up_to, &mut |row| {
                match event_row(row) {
                    Ok(event) => on_replay(&event),
                    Err(StoreError::Corrupt { .. }) => {}
                    Err(error) => return Err(error),
                }
                Ok(ControlFlow::Continue(()))
            })
        })
    }
}

/// A `seq` or limit as PostgreSQL's `BIGINT`.
pub(crate) fn as_bigint(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The head of the log as `acta_head` holds it.
pub(crate) fn read_head(client: &mut Client) -> Result<Head, StoreError> {
    let row = client.query_one("SELECT seq, hash, recorded_at FROM acta_head", &[])?;
    head_from_row(&row)
}

/// A row of `seq, hash, recorded_at` as a [`Head`].
pub(crate) fn head_from_row(row: &postgres::Row) -> Result<Head, StoreError> {
    let seq = row.integer(0)?;
    let hash: String = row.try_get(1)?;
    let recorded_at: Option<&str> = row.try_get(2)?;
    head_from(seq, hash, recorded_at)
}

/// As [`head_from_row`], from a row of the simple query protocol (every column as text).
pub(crate) fn head_from_text(row: &postgres::SimpleQueryRow) -> Result<Head, StoreError> {
    let unreadable = |what: &str| StoreError::Corrupt {
        seq: 0,
        problem: format!("acta_head's {what} does not read"),
    };
    let seq = row
        .get(0)
        .and_then(|seq| seq.parse::<u64>().ok())
        .ok_or_else(|| unreadable("seq"))?;
    let hash = row.get(1).ok_or_else(|| unreadable("hash"))?.to_owned();
    head_from(seq, hash, row.get(2))
}

fn head_from(seq: u64, hash: String, recorded_at: Option<&str>) -> Result<Head, StoreError> {
    Ok(Head {
        seq,
        hash: match seq {
            0 => GENESIS_HASH.to_owned(),
            _ => hash,
        },
        recorded_at: recorded_at
            .map(|text| {
                text.parse()
                    .map_err(|problem: acta_messages::Message| StoreError::Corrupt {
                        seq,
                        problem: problem.to_string(),
                    })
            })
            .transpose()?,
    })
}

pub(crate) fn event_by_id(
    client: &mut Client,
    id: EventId,
) -> Result<Option<StoredEvent>, StoreError> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1");
    client
        .query_opt(&sql, &[&id.to_string()])?
        .map(|row| event_from_row(&row))
        .transpose()
}

impl LogReads for Readers {
    fn database(&self) -> &Database {
        &self.database
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.with(read_head)
    }

    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.with(|client| event_by_id(client, id))
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.with(|client| {
            let after = as_bigint(filter.after_seq);
            let limit = i64::from(filter.limit);
            let plan = filter.plan.as_ref().map(PlanKey::as_str);
            let event_type = filter.event_type.map(|event_type| event_type.as_str());
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 \
                 AND ($2::TEXT IS NULL OR plan = $2) AND ($3::TEXT IS NULL OR type = $3) \
                 ORDER BY seq LIMIT $4"
            );
            client
                .query(&sql, &[&after, &plan, &event_type, &limit])?
                .iter()
                .map(event_from_row)
                .collect()
        })
    }

    fn events_in_scope(
        &self,
        filter: &EventFilter,
        scope: &EventScope,
    ) -> Result<ScopedPage, StoreError> {
        self.with(|client| {
            let after = as_bigint(filter.after_seq);
            let as_of = scope.as_of.map(|date| date.to_string());
            let known_at = scope.known_at.map(|instant| instant.to_string());
            let plan = filter.plan.as_ref().map(PlanKey::as_str);
            let event_type = filter.event_type.map(|event_type| event_type.as_str());
            let last_seq = as_bigint(window_end(filter.after_seq));
            let read_max = i64::try_from(rows_to_read(scope, filter.limit)).unwrap_or(i64::MAX);
            // Every parameter is referenced, so PostgreSQL knows each one's type.
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after];
            let (as_of_at, known_at_at) = match (&as_of, &known_at) {
                (Some(_), Some(_)) => ("$2::TEXT", "$3::TEXT"),
                (Some(_), None) => ("$2::TEXT", ""),
                (None, Some(_)) => ("", "$2::TEXT"),
                (None, None) => ("", ""),
            };
            if let Some(as_of) = &as_of {
                params.push(as_of);
            }
            if let Some(known_at) = &known_at {
                params.push(known_at);
            }
            let mut sql = format!(
                "SELECT {columns} FROM events e WHERE e.seq > $1{time}",
                columns = qualified_columns("e"),
                time = time_conditions(scope, as_of_at, known_at_at, |c| format!(
                    "({c}.data::jsonb ->> 'occurred_on')"
                )),
            );
            if let Some(plan) = &plan {
                params.push(plan);
                sql.push_str(&format!(" AND e.plan = ${}", params.len()));
            }
            if let Some(event_type) = &event_type {
                params.push(event_type);
                sql.push_str(&format!(" AND e.type = ${}", params.len()));
            }
            params.push(&last_seq);
            sql.push_str(&format!(" AND e.seq <= ${}", params.len()));
            params.push(&read_max);
            sql.push_str(&format!(" ORDER BY e.seq LIMIT ${}", params.len()));
            let rows = client.query(&sql, &params)?;
            let events = rows
                .iter()
                .map(event_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            page_of(
                events,
                scope.search.as_ref(),
                filter.limit,
                window_end(filter.after_seq),
                || {
                    let row = client.query_one(
                        "SELECT EXISTS (SELECT 1 FROM events WHERE seq > $1)",
                        &[&last_seq],
                    )?;
                    Ok(row.try_get::<_, bool>(0)?)
                },
            )
        })
    }

    fn plan_exists(&self, plan: &PlanKey) -> Result<bool, StoreError> {
        self.with(|client| {
            Ok(client
                .query_opt(
                    "SELECT 1 FROM events WHERE plan = $1 AND version = 1",
                    &[&plan.as_str()],
                )?
                .is_some())
        })
    }

    /// PostgreSQL checks its pages as it reads them (and their checksums, where the cluster
    /// was made with them); the check acta adds is that the head row and the log agree.
    fn integrity_check(&self, _full: bool) -> Result<Vec<String>, StoreError> {
        self.with(|client| {
            let head = read_head(client)?;
            let row =
                client.query_one("SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM events", &[])?;
            let (newest, count): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            let mut problems = Vec::new();
            if as_bigint(head.seq) != newest {
                problems.push(format!(
                    "acta_head says seq {} but the newest event is seq {newest}",
                    head.seq
                ));
            }
            if count != newest {
                problems.push(format!(
                    "{count} events are stored up to seq {newest}: the log has a gap"
                ));
            }
            Ok(problems)
        })
    }

    fn verify_from(
        &self,
        previous: &VerifyReport,
        progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<VerifyReport, StoreError> {
        self.with(|client| {
            let hash_at_previous_head: Option<String> = match previous.head_seq {
                0 => None,
                seq => client
                    .query_opt("SELECT hash FROM events WHERE seq = $1", &[&as_bigint(seq)])?
                    .map(|row| row.try_get(0))
                    .transpose()?,
            };
            let mut check = ChainCheck::after(previous, hash_at_previous_head.as_deref());
            let mut stopped = false;
            let after = check.report.head_seq;
            for_each_row(client, EVENT_COLUMNS, after, u64::MAX, &mut |row| {
                let flow = check.row(row, progress)?;
                stopped = flow.is_break();
                Ok(flow)
            })?;
            match stopped {
                true => Ok(check.report),
                false => Ok(check.finish(progress)),
            }
        })
    }

    fn scan(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.scan_between(after_seq, u64::MAX, false, visit)
    }

    fn scan_readable(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.scan_between(after_seq, u64::MAX, true, visit)
    }

    fn replay_rows(&self, on_replay: &mut dyn FnMut(&EventRow<'_>)) -> Result<(), StoreError> {
        self.replay_rows_up_to(u64::MAX, on_replay)
    }

    fn event_hashes(&self, first_seq: u64, last_seq: u64) -> Result<Vec<Hash>, StoreError> {
        self.with(|client| {
            let mut rows = Vec::new();
            let after = first_seq.saturating_sub(1);
            for_each_row(client, "seq, hash", after, last_seq, &mut |row| {
                let seq: i64 = row.try_get(0)?;
                let hash: String = row.try_get(1)?;
                rows.push(Ok((u64::try_from(seq).unwrap_or(0), hash)));
                Ok(ControlFlow::Continue(()))
            })?;
            collect_event_hashes(first_seq, last_seq, rows.into_iter())
        })
    }
}

/// The reads of a log up to one `seq`: what the replay at open reads, so that the publisher
/// knows exactly where the projections stand.
pub(crate) struct UpTo<'a> {
    readers: &'a Readers,
    up_to: u64,
}

impl LogReads for UpTo<'_> {
    fn database(&self) -> &Database {
        self.readers.database()
    }
    fn head(&self) -> Result<Head, StoreError> {
        self.readers.head()
    }
    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.readers.event(id)
    }
    fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers.events(filter)
    }
    fn events_in_scope(
        &self,
        filter: &EventFilter,
        scope: &EventScope,
    ) -> Result<ScopedPage, StoreError> {
        self.readers.events_in_scope(filter, scope)
    }
    fn plan_exists(&self, plan: &PlanKey) -> Result<bool, StoreError> {
        self.readers.plan_exists(plan)
    }
    fn integrity_check(&self, full: bool) -> Result<Vec<String>, StoreError> {
        self.readers.integrity_check(full)
    }
    fn verify_from(
        &self,
        previous: &VerifyReport,
        progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<VerifyReport, StoreError> {
        self.readers.verify_from(previous, progress)
    }
    fn scan(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.readers
            .scan_between(after_seq, self.up_to, false, visit)
    }
    fn scan_readable(
        &self,
        after_seq: u64,
        visit: &mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.readers
            .scan_between(after_seq, self.up_to, true, visit)
    }
    fn replay_rows(&self, on_replay: &mut dyn FnMut(&EventRow<'_>)) -> Result<(), StoreError> {
        self.readers.replay_rows_up_to(self.up_to, on_replay)
    }
    fn event_hashes(&self, first_seq: u64, last_seq: u64) -> Result<Vec<Hash>, StoreError> {
        self.readers.event_hashes(first_seq, last_seq)
    }
}
