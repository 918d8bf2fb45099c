//! The database schema as an append-only list of migrations keyed by `PRAGMA user_version`.
//!
//! Never edit a migration that has shipped: add a new one at the end.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use crate::error::StoreError;
use crate::fields::comparable_form;

/// One step of the schema: SQL, or Rust where SQL cannot say it.
enum Migration {
    Sql(&'static str),
    Rust(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

/// Each entry moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[Migration] = &[
    // 1: the append-only event log.
    Migration::Sql(
        r#"
    CREATE TABLE events (
        seq            INTEGER PRIMARY KEY,
        id             TEXT    NOT NULL UNIQUE,
        type           TEXT    NOT NULL,
        plan           TEXT    NOT NULL,
        version        INTEGER NOT NULL,
        occurred_on    TEXT    NOT NULL,
        date_precision TEXT    NOT NULL,
        recorded_at    TEXT    NOT NULL,
        actor          TEXT    NOT NULL,
        data           TEXT    NOT NULL,
        evidence       TEXT,
        prev_hash      TEXT    NOT NULL,
        hash           TEXT    NOT NULL,
        -- The event a correction or retraction targets, so that rules can find them by index.
        target         TEXT,
        UNIQUE (plan, version)
    );
    CREATE INDEX events_by_type ON events (type, seq);
    CREATE INDEX events_by_target ON events (target) WHERE target IS NOT NULL;
    CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correction instead'); END;
    CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: record a retraction instead'); END;

    -- A decision number is unique per issuer and calendar year (CONTRACT §2.2).
    CREATE TABLE decision_numbers (
        issuer   TEXT    NOT NULL,
        number   TEXT    NOT NULL,
        year     INTEGER NOT NULL,
        event_id TEXT    NOT NULL,
        PRIMARY KEY (issuer, number, year)
    ) WITHOUT ROWID;
    "#,
    ),
    // 2: access tokens, stored only as SHA-256 hashes. Revoked tokens stay, so that a name
    // recorded as an event's actor is never handed to someone else.
    Migration::Sql(
        r#"
    CREATE TABLE tokens (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    ) WITHOUT ROWID;
    "#,
    ),
    // 3: decision numbers keyed by the comparable forms of issuer and number (trimmed, inner
    // white space collapsed, NFC), so that a look-alike copy is a duplicate.
    Migration::Rust(rekey_decision_numbers),
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Refuses an SQLite database that is not acta's: one with tables but no acta schema version
/// (another program's file, or a mistyped path to one). A file this open created passes.
///
/// Looks through a read-only connection of its own, before any connection sets a pragma that
/// writes (`journal_mode = WAL` rewrites the header): a refused file is left as it was.
pub fn check_is_acta(database: &crate::store::file::DatabaseFile) -> Result<(), StoreError> {
    if database.created {
        return Ok(());
    }
    let connection = Connection::open_with_flags(
        &database.path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let version: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > 0 {
        return Ok(());
    }
    let tables: i64 = connection.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'",
        [],
        |row| row.get(0),
    )?;
    if tables > 0 {
        return Err(StoreError::Refused(format!(
            "{} is an SQLite database with {tables} tables but no acta schema: it is another \
             program's file, not a record of acta's",
            database.path.display()
        )));
    }
    Ok(())
}

/// Brings the database to the current schema in one exclusive transaction.
pub fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    migrate_to(connection, current_version())
}

/// Brings the database to schema version `target` (tests build older databases with it).
fn migrate_to(connection: &mut Connection, target: u32) -> Result<(), StoreError> {
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let version: u32 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > current_version() {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known: current_version(),
        });
    }
    let steps = MIGRATIONS.iter().enumerate().take(target as usize);
    for (index, migration) in steps.skip(version as usize) {
        match migration {
            Migration::Sql(sql) => transaction.execute_batch(sql)?,
            Migration::Rust(step) => step(&transaction)?,
        }
        transaction.pragma_update(None, "user_version", index as u32 + 1)?;
    }
    transaction.commit()?;
    Ok(())
}

/// Derives `decision_numbers` again from the log, under the comparable forms of issuer and
/// number: the decisions in `seq` order, each retraction freeing its target's number and each
/// correction moving it, as the writer did when they were appended. Where two decisions
/// stored before this migration now have the same key, the first keeps it and the later one
/// has no entry (it was accepted then; the rule applies to what is appended from now on).
/// SQLite cannot normalise Unicode, hence Rust. Rows that do not read (edited behind the
/// store's back) are skipped, as the writer's own start skips them.
fn rekey_decision_numbers(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    transaction.execute("DELETE FROM decision_numbers", [])?;
    let mut statement = transaction.prepare(
        "SELECT type, id, occurred_on, data FROM events \
         WHERE type = 'decision.issued' \
            OR (type IN ('event.corrected', 'event.retracted') \
                AND target IN (SELECT id FROM events WHERE type = 'decision.issued')) \
         ORDER BY seq",
    )?;
    let mut rows = statement.query([])?;
    let mut insert = transaction.prepare(
        "INSERT OR IGNORE INTO decision_numbers (issuer, number, year, event_id) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut entry_of = transaction
        .prepare("SELECT issuer, number, year FROM decision_numbers WHERE event_id = ?1")?;
    let mut free = transaction.prepare("DELETE FROM decision_numbers WHERE event_id = ?1")?;
    let year_of = |date: &str| date.get(..4).and_then(|year| year.parse::<i64>().ok());
    let text_at = |data: &Value, pointer: &str| {
        data.pointer(pointer)
            .and_then(Value::as_str)
            .map(comparable_form)
    };
    // The ids of the decisions read so far: a correction's `target` is one of them.
    let mut decisions: HashSet<String> = HashSet::new();
    while let Some(row) = rows.next()? {
        let event_type: String = row.get(0)?;
        let id: String = row.get(1)?;
        let occurred_on: String = row.get(2)?;
        let data: String = row.get(3)?;
        let Ok(data) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        match event_type.as_str() {
            "decision.issued" => {
                let (Some(issuer), Some(number), Some(year)) = (
                    text_at(&data, "/issuer"),
                    text_at(&data, "/number"),
                    year_of(&occurred_on),
                ) else {
                    continue;
                };
                insert.execute(params![issuer, number, year, id])?;
                decisions.insert(id);
            }
            correction => {
                let Some(target) = data.get("target").and_then(Value::as_str) else {
                    continue;
                };
                if !decisions.contains(target) {
                    continue;
                }
                // As `Writer::reindex_decision`: a retraction frees the number, a correction
                // moves it to its new issuer, number or year.
                let existing: Option<(String, String, i64)> = entry_of
                    .query_row([target], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()?;
                free.execute([target])?;
                let (Some((issuer, number, year)), "event.corrected") = (existing, correction)
                else {
                    continue;
                };
                let issuer = text_at(&data, "/data/issuer").unwrap_or(issuer);
                let number = text_at(&data, "/data/number").unwrap_or(number);
                let year = data
                    .get("occurred_on")
                    .and_then(Value::as_str)
                    .and_then(year_of)
                    .unwrap_or(year);
                insert.execute(params![issuer, number, year, target])?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_empty_database_once() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection).unwrap();
        migrate(&mut connection).unwrap();
        let version: u32 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, current_version());
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .pragma_update(None, "user_version", current_version() + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut connection),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }

    #[test]
    fn events_cannot_be_updated_or_deleted() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate(&mut connection).unwrap();
        connection
            .execute(
                "INSERT INTO events VALUES (1, 'x', 't', 'p', 1, '2020-01-01', 'day', \
                 '2020-01-01T00:00:00.000Z', 'a', '{}', NULL, 'h0', 'h1', NULL)",
                [],
            )
            .unwrap();
        let update = connection.execute("UPDATE events SET actor = 'b'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = connection.execute("DELETE FROM events", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }

    /// Appends a bare row to `events` (the chain is not checked here).
    fn insert_event(
        connection: &Connection,
        seq: i64,
        event_type: &str,
        occurred_on: &str,
        data: &str,
        target: Option<&str>,
    ) {
        connection
            .execute(
                "INSERT INTO events VALUES (?1, ?2, ?3, 'p', ?1, ?4, 'day', \
                 '2020-01-01T00:00:00.000Z', 'a', ?5, NULL, 'h0', 'h1', ?6)",
                params![
                    seq,
                    format!("E{seq}"),
                    event_type,
                    occurred_on,
                    data,
                    target
                ],
            )
            .unwrap();
    }

    #[test]
    fn migration_3_keys_decision_numbers_by_their_comparable_forms() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate_to(&mut connection, 2).unwrap();
        let decomposed = "UBND ti\u{309}nh \u{110}o\u{302}\u{300}ng Nai";
        let decision = |issuer: &str, number: &str| {
            serde_json::json!({"number": number, "issuer": issuer, "title": "t"}).to_string()
        };
        // E1 and E2 were both accepted under the old, exact keys; E2 is a look-alike of E1.
        let rows = [
            (
                1,
                "decision.issued",
                "2011-12-07",
                decision(decomposed, "3269/QĐ-UBND "),
                None,
            ),
            (
                2,
                "decision.issued",
                "2011-12-20",
                decision("UBND tỉnh Đồng Nai", "3269/QĐ-UBND"),
                None,
            ),
            (
                3,
                "decision.issued",
                "2012-02-10",
                decision("Sở Công Thương", "06/QĐ-SCT"),
                None,
            ),
            (
                4,
                "event.corrected",
                "2012-03-01",
                serde_json::json!({"target": "E3", "reason": "r", "occurred_on": "2013-01-05",
                                   "data": {"number": " 07/QĐ-SCT", "issuer": "Sở  Công Thương",
                                            "title": "t"}})
                .to_string(),
                Some("E3"),
            ),
            (
                5,
                "decision.issued",
                "2014-01-01",
                decision("X", "1/X"),
                None,
            ),
            (
                6,
                "event.retracted",
                "2014-01-02",
                r#"{"target":"E5","reason":"r"}"#.to_owned(),
                Some("E5"),
            ),
            (
                7,
                "decision.issued",
                "2014-01-03",
                "not json".to_owned(),
                None,
            ),
            (
                8,
                "event.corrected",
                "2014-01-04",
                r#"{"target":"E2","reason":"r","occurred_on":"2015-01-01"}"#.to_owned(),
                Some("E2"),
            ),
        ];
        for (seq, event_type, occurred_on, data, target) in &rows {
            insert_event(&connection, *seq, event_type, occurred_on, data, *target);
        }
        connection
            .execute(
                "INSERT INTO decision_numbers VALUES (?1, '3269/QĐ-UBND ', 2011, 'E1'), \
                 ('UBND tỉnh Đồng Nai', '3269/QĐ-UBND', 2011, 'E2'), \
                 ('Sở Công Thương', '07/QĐ-SCT', 2013, 'E3')",
                [decomposed],
            )
            .unwrap();
        migrate(&mut connection).unwrap();
        let mut statement = connection
            .prepare(
                "SELECT issuer, number, year, event_id FROM decision_numbers ORDER BY event_id",
            )
            .unwrap();
        let entries: Vec<(String, String, i64, String)> = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let entry = |issuer: &str, number: &str, year: i64, id: &str| {
            (issuer.to_owned(), number.to_owned(), year, id.to_owned())
        };
        assert_eq!(
            entries,
            [
                // The first of the two look-alikes keeps the number; the later has no entry,
                // and its correction (E8) does not give it one.
                entry("UBND tỉnh Đồng Nai", "3269/QĐ-UBND", 2011, "E1"),
                // Moved by its correction, under the comparable forms of what it says.
                entry("Sở Công Thương", "07/QĐ-SCT", 2013, "E3"),
            ]
        );
    }
}
