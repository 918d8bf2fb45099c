//! Reading rows of the events table: as an owned [`StoredEvent`], or borrowed as an
//! [`EventRow`] for the cold start. A row that does not parse was edited behind the store's
//! back and is reported as corrupt, never a panic. Both back ends read their rows here, through
//! [`Columns`]: one reading of what a stored event is.

use acta_messages::Message;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::error::StoreError;
use crate::stored::{EventHeader, GENESIS_HASH, StoredEvent};
use crate::types::{DatePrecision, EventId, PlanKey};

use super::types::Head;

pub(super) const EVENT_COLUMNS: &str = "seq, id, type, plan, version, occurred_on, date_precision, \
                             recorded_at, actor, data, evidence, prev_hash, hash";

/// A row of `EVENT_COLUMNS` as a back end hands it over: its integers and its texts, each by
/// its index in `EVENT_COLUMNS`.
pub(crate) trait Columns {
    /// Integer column `index`, which must be a non-negative integer.
    fn integer(&self, index: usize) -> Result<u64, StoreError>;
    /// Text column `index`, `None` if null. A value of another type, or text that is not
    /// UTF-8, is a corrupt row (`seq` names it).
    fn text_or_null(&self, index: usize, seq: u64) -> Result<Option<&str>, StoreError>;
}

impl Columns for Row<'_> {
    fn integer(&self, index: usize) -> Result<u64, StoreError> {
        Ok(self.get(index)?)
    }

    fn text_or_null(&self, index: usize, seq: u64) -> Result<Option<&str>, StoreError> {
        let value = self.get_ref(index)?;
        value.as_str_or_null().map_err(|error| StoreError::Corrupt {
            seq,
            problem: format!("{}: {error}", column_name(index)),
        })
    }
}

/// Reads a row of `EVENT_COLUMNS`. A row that does not parse (someone edited the file) is
/// reported as corrupt, never a panic.
pub(crate) fn event_from_row(row: &impl Columns) -> Result<StoredEvent, StoreError> {
    let seq: u64 = row.integer(0)?;
    let corrupt = |problem: Message| StoreError::Corrupt {
        seq,
        problem: problem.to_string(),
    };
    let corrupt_text = |problem: String| StoreError::Corrupt { seq, problem };
    let text = |index: usize| text_column(row, index, seq).map(str::to_owned);
    let data_text = text(9)?;
    let evidence_text = row.text_or_null(10, seq)?;
    Ok(StoredEvent {
        seq,
        id: text(1)?.parse().map_err(corrupt)?,
        event_type: text(2)?.parse().map_err(corrupt)?,
        plan: text(3)?.parse().map_err(corrupt)?,
        version: row.integer(4)?,
        occurred_on: text(5)?.parse().map_err(corrupt)?,
        date_precision: text(6)?.parse().map_err(corrupt)?,
        recorded_at: text(7)?.parse().map_err(corrupt)?,
        actor: text(8)?,
        data: serde_json::from_str(&data_text).map_err(|e| corrupt_text(format!("data: {e}")))?,
        evidence: evidence_text
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| corrupt_text(format!("evidence: {e}")))?,
        prev_hash: text(11)?,
        hash: text(12)?,
    })
}

/// Events per chunk handed to a scan's visitor.
const SCAN_CHUNK_EVENTS: usize = 4096;

/// The events of a scan, read row by row from either back end and handed to `visit` in chunks,
/// in `seq` order. A row that cannot be read (edited behind the store's back) is skipped when
/// `skip_unreadable` (the replay and catch-up: verification names it), else the scan hands over
/// what it read before it and fails naming it (`export`).
pub(crate) struct Chunks<'v> {
    chunk: Vec<StoredEvent>,
    skip_unreadable: bool,
    visit: &'v mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
}

impl<'v> Chunks<'v> {
    pub(crate) fn new(
        skip_unreadable: bool,
        visit: &'v mut dyn FnMut(&[StoredEvent]) -> Result<(), StoreError>,
    ) -> Chunks<'v> {
        Chunks {
            chunk: Vec::with_capacity(SCAN_CHUNK_EVENTS),
            skip_unreadable,
            visit,
        }
    }

    /// Takes the next row.
    pub(crate) fn push(&mut self, row: &impl Columns) -> Result<(), StoreError> {
        match event_from_row(row) {
            Ok(event) => self.chunk.push(event),
            Err(StoreError::Corrupt { .. }) if self.skip_unreadable => return Ok(()),
            Err(error) => {
                self.hand_over()?;
                return Err(error);
            }
        }
        if self.chunk.len() == SCAN_CHUNK_EVENTS {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hands over the rest, once every row was taken.
    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        self.hand_over()
    }

    fn hand_over(&mut self) -> Result<(), StoreError> {
        if !self.chunk.is_empty() {
            (self.visit)(&self.chunk)?;
            self.chunk.clear();
        }
        Ok(())
    }
}

/// Text column `index` of an event row. A value of another type, or text that is not UTF-8,
/// was put there behind the store's back: the row is corrupt (skipped at start-up, named by
/// verification), not a failure of the whole scan.
fn text_column(row: &impl Columns, index: usize, seq: u64) -> Result<&str, StoreError> {
    row.text_or_null(index, seq)?
        .ok_or_else(|| StoreError::Corrupt {
            seq,
            problem: format!("{} is null", column_name(index)),
        })
}

pub(crate) fn column_name(index: usize) -> &'static str {
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
    pub header: EventHeader<'a>,
    /// The stored text of `data`.
    pub data: &'a str,
}

/// Reads a row of `EVENT_COLUMNS` as an [`EventRow`], checking every column in the order, and
/// the way, [`event_from_row`] does, so that the same rows are skipped (or fail the scan).
pub(crate) fn event_row<R: Columns>(row: &R) -> Result<EventRow<'_>, StoreError> {
    let seq: u64 = row.integer(0)?;
    let corrupt = |problem: Message| StoreError::Corrupt {
        seq,
        problem: problem.to_string(),
    };
    let corrupt_text = |problem: String| StoreError::Corrupt { seq, problem };
    let text = |index: usize| text_column(row, index, seq);
    let data = text(9)?;
    let evidence = row.text_or_null(10, seq)?;
    let id = text(1)?.parse().map_err(corrupt)?;
    let event_type = text(2)?.parse().map_err(corrupt)?;
    let plan = text(3)?;
    if !PlanKey::is_valid(plan)
        && let Err(problem) = plan.parse::<PlanKey>()
    {
        return Err(corrupt(problem));
    }
    let _version: u64 = row.integer(4)?;
    let occurred_on = text(5)?.parse().map_err(corrupt)?;
    text(6)?.parse::<DatePrecision>().map_err(corrupt)?;
    let recorded_at = text(7)?.parse().map_err(corrupt)?;
    let _actor = text(8)?;
    if let Some(evidence) = evidence {
        serde_json::from_str::<ValidJson>(evidence)
            .map_err(|e| corrupt_text(format!("evidence: {e}")))?;
    }
    let _prev_hash = text(11)?;
    let _hash = text(12)?;
    Ok(EventRow {
        header: EventHeader {
            seq,
            id,
            event_type,
            plan,
            occurred_on,
            recorded_at,
        },
        data,
    })
}

pub(super) fn read_head(connection: &Connection) -> Result<Head, StoreError> {
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
            recorded_at: Some(recorded_at.parse().map_err(|problem: Message| {
                StoreError::Corrupt {
                    seq,
                    problem: problem.to_string(),
                }
            })?),
        },
    })
}

pub(super) fn event_by_id(
    connection: &Connection,
    id: EventId,
) -> Result<Option<StoredEvent>, StoreError> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?;
    let mut rows = statement.query([id.to_string()])?;
    match rows.next()? {
        Some(row) => Ok(Some(event_from_row(row)?)),
        None => Ok(None),
    }
}
