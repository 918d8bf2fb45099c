//! What the writer knows of the log without reading it — the head, each plan's stream, the
//! newest id — and [`WriterView`], the SQLite side of [`rules::Stored`]: the rules read the
//! streams from this state and the rest from the database inside the writer's transaction.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::catalogue::{EventData, EventType};
use crate::error::StoreError;
use crate::stored::{GENESIS_HASH, StoredEvent};
use crate::types::{EventId, Instant, PlanKey};

use super::rows::{EVENT_COLUMNS, event_by_id, event_from_row, read_head};
use super::rules::{self, DecisionKey, PlanStream};
use super::types::Head;

/// The events the writer's state is folded from: lifecycle events, and corrections of
/// registrations (which may change a plan's period). Few, whatever the log's size.
pub(super) const STREAM_EVENTS: &str = "type IN \
     ('plan.registered','plan.submitted','plan.approved','plan.completed','plan.cancelled') \
     OR (type = 'event.corrected' AND target IN \
         (SELECT id FROM events WHERE type = 'plan.registered'))";

/// Each plan's stream version.
pub(super) const STREAM_VERSIONS: &str = "SELECT plan, MAX(version) FROM events GROUP BY plan";

/// The greatest id stored.
pub(super) const NEWEST_ID: &str = "SELECT MAX(id) FROM events";

#[derive(Debug, Clone)]
pub(super) struct WriterState {
    pub(super) head: Head,
    pub(super) plans: HashMap<PlanKey, PlanStream>,
    /// The greatest id stored, or greater (it is not lowered when a request is undone). An id
    /// above it cannot be stored, so appending it needs no lookup: ids made by this server and
    /// those of an exported record, imported again elsewhere, mostly rise.
    pub(super) newest_id: Option<EventId>,
}

impl WriterState {
    /// A new event id: its time is the commit's `recorded_at` (from the injected clock), its
    /// 80 random bits the operating system's; above every id stored, so that appending it
    /// needs no lookup and ids made by one writer rise with `seq`.
    pub(super) fn fresh_id(&self, at: Instant) -> EventId {
        let mut random = [0u8; 16];
        // Without the OS's randomness the id stays unique by the increment below.
        let _ = getrandom::fill(&mut random[6..]);
        let milliseconds = u64::try_from(at.as_millisecond()).unwrap_or(0);
        let candidate = ulid::Ulid::from_parts(milliseconds, u128::from_be_bytes(random));
        let id = match self.newest_id.map(EventId::ulid) {
            Some(newest) if candidate <= newest => newest.increment().unwrap_or(candidate),
            _ => candidate,
        };
        EventId::from_ulid(id)
    }

    /// Whether an event with `id` may already be stored (and must be looked up).
    pub(super) fn may_hold(&self, id: EventId) -> bool {
        self.newest_id.is_some_and(|newest| id <= newest)
    }
}

/// What one request changed in the writer's state, to put back if its savepoint rolls back.
#[derive(Default)]
pub(super) struct Undo {
    head: Option<Head>,
    plans: Vec<(PlanKey, Option<PlanStream>)>,
}

/// Whether SQLite says the file itself is damaged.
pub(super) fn is_damage(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

impl WriterState {
    /// The state of a writer that refuses every append: it is never consulted.
    pub(super) fn empty() -> WriterState {
        WriterState {
            head: Head {
                seq: 0,
                hash: GENESIS_HASH.to_owned(),
                recorded_at: None,
            },
            plans: HashMap::new(),
            newest_id: None,
        }
    }

    /// Reads the state from a SQLite database.
    pub(super) fn load(connection: &Connection) -> Result<WriterState, StoreError> {
        let head = read_head(connection)?;
        let mut statement = connection.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE {STREAM_EVENTS} ORDER BY seq"
        ))?;
        let mut rows = statement.query([])?;
        let mut stream_events = Vec::new();
        while let Some(row) = rows.next()? {
            // A damaged row (edited behind the store's back) is skipped: verification names it,
            // and the service must still start to report it.
            if let Ok(event) = event_from_row(row) {
                stream_events.push(event);
            }
        }
        let mut versions = connection.prepare(STREAM_VERSIONS)?;
        let mut rows = versions.query([])?;
        let mut stream_versions = Vec::new();
        while let Some(row) = rows.next()? {
            stream_versions.push((row.get::<_, String>(0)?, row.get::<_, u64>(1)?));
        }
        let newest_id = connection.query_row(NEWEST_ID, [], |row| {
            Ok(match row.get_ref(0)? {
                rusqlite::types::ValueRef::Null => None,
                rusqlite::types::ValueRef::Text(text) => {
                    Some(std::str::from_utf8(text).unwrap_or("").to_owned())
                }
                _ => Some(String::new()),
            })
        })?;
        Ok(WriterState::from_stored(
            head,
            &stream_events,
            stream_versions,
            newest_id.as_deref(),
        ))
    }

    /// The state of a log whose head is `head`, from what the queries [`STREAM_EVENTS`],
    /// [`STREAM_VERSIONS`] and [`NEWEST_ID`] read of it (one fold for every back end).
    pub(super) fn from_stored(
        head: Head,
        stream_events: &[StoredEvent],
        stream_versions: Vec<(String, u64)>,
        newest_id: Option<&str>,
    ) -> WriterState {
        let mut plans = HashMap::new();
        let mut registration_of: HashMap<EventId, PlanKey> = HashMap::new();
        for event in stream_events {
            let Ok(data) = EventData::parse(event.event_type, &event.data, "/data") else {
                continue;
            };
            match data {
                EventData::PlanRegistered(registered) => {
                    registration_of.insert(event.id, event.plan.clone());
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
                        (registration_of.get(&correction.target), period)
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
        for (plan, version) in stream_versions {
            if let Ok(plan) = plan.parse::<PlanKey>()
                && let Some(stream) = plans.get_mut(&plan)
            {
                stream.version = version;
            }
        }
        // An id that does not read (a damaged row) may hide any id: then look every one up.
        let unreadable = EventId::from_ulid(ulid::Ulid(u128::MAX));
        let newest_id = newest_id.map(|text| text.parse::<EventId>().unwrap_or(unreadable));
        WriterState {
            head,
            plans,
            newest_id,
        }
    }

    /// Takes in `event`, committed by another writer after the head, if it needs no look-up:
    /// `false` for a correction, after which the caller reloads the whole state.
    pub(super) fn absorb(&mut self, event: &StoredEvent) -> bool {
        if event.event_type == EventType::EventCorrected {
            return false;
        }
        let stream = match EventData::parse(event.event_type, &event.data, "/data") {
            Ok(EventData::PlanRegistered(registered)) => {
                let stream = PlanStream::registered(event.occurred_on, registered.period);
                Some(
                    self.plans
                        .entry(event.plan.clone())
                        .insert_entry(stream)
                        .into_mut(),
                )
            }
            _ => self.plans.get_mut(&event.plan),
        };
        if let Some(stream) = stream {
            if event.event_type.is_lifecycle() && event.event_type != EventType::PlanRegistered {
                let _ = stream.advance(event.event_type, event.occurred_on);
            }
            stream.version = event.version;
        }
        if self.newest_id.is_none_or(|newest| event.id > newest) {
            self.newest_id = Some(event.id);
        }
        self.head = Head {
            seq: event.seq,
            hash: event.hash.clone(),
            recorded_at: Some(event.recorded_at),
        };
        true
    }

    pub(super) fn set_plan(&mut self, undo: &mut Undo, plan: &PlanKey, stream: PlanStream) {
        let before = self.plans.insert(plan.clone(), stream);
        undo.plans.push((plan.clone(), before));
    }

    pub(super) fn set_head(&mut self, undo: &mut Undo, head: Head) {
        let before = std::mem::replace(&mut self.head, head);
        undo.head.get_or_insert(before);
    }

    pub(super) fn roll_back(&mut self, undo: Undo) {
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

/// What the rules read of the log, for the SQLite writer: the streams from its state, the rest
/// from the database inside its transaction.
pub(super) struct WriterView<'a> {
    pub(super) connection: &'a Connection,
    pub(super) state: &'a WriterState,
}

impl rules::Stored for WriterView<'_> {
    fn stream(&self, plan: &PlanKey) -> Option<&PlanStream> {
        self.state.plans.get(plan)
    }

    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        // An id above every stored one cannot be stored: no lookup.
        if !self.state.may_hold(id) {
            return Ok(None);
        }
        event_by_id(self.connection, id)
    }

    fn is_retracted(&self, id: EventId) -> Result<bool, StoreError> {
        Ok(self
            .connection
            .prepare_cached("SELECT 1 FROM events WHERE target = ?1 AND type = 'event.retracted'")?
            .query_row([id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn decision_holder(&self, key: &DecisionKey) -> Result<Option<EventId>, StoreError> {
        let holder: Option<String> = self
            .connection
            .prepare_cached(
                "SELECT event_id FROM decision_numbers \
                 WHERE issuer = ?1 AND number = ?2 AND year = ?3",
            )?
            .query_row(params![key.issuer, key.number, key.year], |row| row.get(0))
            .optional()?;
        holder.map(|text| parse_stored_id(&text)).transpose()
    }

    fn decision_key_of(&self, id: EventId) -> Result<Option<DecisionKey>, StoreError> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT issuer, number, year FROM decision_numbers WHERE event_id = ?1",
            )?
            .query_row([id.to_string()], |row| {
                Ok(DecisionKey {
                    issuer: row.get(0)?,
                    number: row.get(1)?,
                    year: row.get(2)?,
                })
            })
            .optional()?)
    }
}

/// An event id read from a side table; one that does not parse was written behind the store's
/// back.
fn parse_stored_id(text: &str) -> Result<EventId, StoreError> {
    text.parse().map_err(|problem| StoreError::Corrupt {
        seq: 0,
        problem: format!("decision_numbers holds the id {text:?}: {problem}"),
    })
}
