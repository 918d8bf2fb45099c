//! PostgreSQL's schema as an append-only list of migrations, each applied once, in order,
//! under a lock so that instances starting together do not race (`acta_migrations` records
//! which ran). The same tables as SQLite's, and the same refusals: the `events` table is only
//! ever inserted into, enforced by triggers in the database, not only by acta's code.

use postgres::{Client, GenericClient};

use crate::error::StoreError;

/// The key of the advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x0061_6374_615f_6d69; // "acta_mi"

/// Each entry moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the append-only event log, its head, and the decision-number index.
    r#"
    CREATE TABLE events (
        seq            BIGINT PRIMARY KEY CHECK (seq > 0),
        id             TEXT   NOT NULL UNIQUE,
        type           TEXT   NOT NULL,
        plan           TEXT   NOT NULL,
        version        BIGINT NOT NULL CHECK (version > 0),
        occurred_on    TEXT   NOT NULL,
        date_precision TEXT   NOT NULL,
        recorded_at    TEXT   NOT NULL,
        actor          TEXT   NOT NULL,
        -- The canonical JSON text the hash is computed over, byte for byte (not jsonb, which
        -- would reorder keys and renumber).
        data           TEXT   NOT NULL,
        evidence       TEXT,
        prev_hash      TEXT   NOT NULL,
        hash           TEXT   NOT NULL,
        -- The event a correction or retraction targets, so that rules can find them by index.
        target         TEXT,
        UNIQUE (plan, version)
    );
    CREATE INDEX events_by_type ON events (type, seq);
    CREATE INDEX events_by_target ON events (target) WHERE target IS NOT NULL;

    CREATE FUNCTION acta_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'events are append-only: record a correction or a retraction instead'
            USING ERRCODE = 'restrict_violation';
    END $$;
    CREATE TRIGGER events_are_never_updated_or_deleted BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION acta_events_are_append_only();
    CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION acta_events_are_append_only();

    -- The newest event: one row, locked by every appending transaction, which makes the
    -- commits of all instances one sequence (gapless seq, a linear chain).
    CREATE TABLE acta_head (
        only_row    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        seq         BIGINT  NOT NULL,
        hash        TEXT    NOT NULL,
        recorded_at TEXT
    );
    INSERT INTO acta_head (seq, hash)
        VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE FUNCTION acta_head_only_advances() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.seq < OLD.seq THEN
            RAISE EXCEPTION 'the head of the log only advances (% to %)', OLD.seq, NEW.seq
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER head_only_advances BEFORE UPDATE ON acta_head
        FOR EACH ROW EXECUTE FUNCTION acta_head_only_advances();
    CREATE TRIGGER head_is_never_deleted BEFORE DELETE OR TRUNCATE ON acta_head
        FOR EACH STATEMENT EXECUTE FUNCTION acta_events_are_append_only();

    -- A decision number is unique per issuer and calendar year (CONTRACT §2.2), compared in
    -- the comparable forms of issuer and number (trimmed, white space collapsed, NFC).
    CREATE TABLE decision_numbers (
        issuer   TEXT   NOT NULL,
        number   TEXT   NOT NULL,
        year     BIGINT NOT NULL,
        event_id TEXT   NOT NULL,
        PRIMARY KEY (issuer, number, year)
    );
    CREATE INDEX decision_numbers_by_event ON decision_numbers (event_id);
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
    );
    "#,
    // 3: the key checkpoints are signed with, as `SigningKey::to_private_text` writes it: one
    // row, stored by the first instance that starts, so that every instance signs alike
    // (docs/DESIGN.md, "Where does the checkpoints' signing key live?").
    r#"
    CREATE TABLE acta_signing_key (
        only_row    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        private_key TEXT NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub(crate) fn current_version() -> i32 {
    MIGRATIONS.len() as i32
}

/// Brings the database to the current schema, refusing one newer than this build knows and one
/// that holds tables of something else under acta's names.
pub(crate) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut transaction = client.transaction()?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    transaction.batch_execute(
        "CREATE TABLE IF NOT EXISTS acta_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let version = applied_version(&mut transaction)?;
    if version == 0 && has_table(&mut transaction, &["events", "tokens"])? {
        return Err(StoreError::Refused(
            "this PostgreSQL database has an events or tokens table that acta did not make \
             (no acta_migrations record): use an empty database for acta"
                .into(),
        ));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        transaction.batch_execute(migration)?;
        transaction.execute(
            "INSERT INTO acta_migrations (version) VALUES ($1)",
            &[&(index as i32 + 1)],
        )?;
    }
    transaction.commit()?;
    Ok(())
}

/// Refuses, for reading, a database that holds no acta record.
pub(crate) fn check_is_acta(client: &mut Client, shown_as: &str) -> Result<(), StoreError> {
    if !has_table(client, &["acta_migrations"])? {
        return Err(StoreError::Refused(format!(
            "{shown_as} holds no acta record (no acta_migrations table): a wrong or empty \
             database"
        )));
    }
    applied_version(client).map(drop)
}

/// The last migration applied (0 for none); a version newer than this build knows is refused.
fn applied_version(client: &mut impl GenericClient) -> Result<i32, StoreError> {
    let version: i32 = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM acta_migrations", &[])?
        .get(0);
    if version > current_version() {
        return Err(StoreError::SchemaTooNew {
            found: version as u32,
            known: current_version() as u32,
        });
    }
    Ok(version)
}

/// Whether the database's current schema has a table of any of these names.
pub(crate) fn has_table(
    client: &mut impl GenericClient,
    names: &[&str],
) -> Result<bool, StoreError> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = ANY($1))",
            &[&names],
        )?
        .get(0))
}
