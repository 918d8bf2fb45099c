//! The database schema as an append-only list of migrations keyed by `PRAGMA user_version`.
//!
//! Never edit a migration that has shipped: add a new one at the end.

use rusqlite::Connection;

use crate::error::StoreError;

/// Each entry moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the append-only event log.
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
    // 2: access tokens, stored only as SHA-256 hashes. Revoked tokens stay, so that a name
    // recorded as an event's actor is never handed to someone else.
    r#"
    CREATE TABLE tokens (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    ) WITHOUT ROWID;
    "#,
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
pub fn check_is_acta(database: &crate::store::DatabaseFile) -> Result<(), StoreError> {
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
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    let version: u32 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > current_version() {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known: current_version(),
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", index as u32 + 1)?;
    }
    transaction.commit()?;
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
}
