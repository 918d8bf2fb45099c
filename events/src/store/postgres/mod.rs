//! The PostgreSQL back end: one log in one database, written by any number of `acta serve`
//! instances.
//!
//! It implements the storage interface the SQLite back end implements — [`LogReads`] for the
//! reads (`reads.rs`), `Transactions` for the writer (`writer.rs`), and through it
//! [`super::rules::Stored`] — so the group commit, the rules, the catalogue and the hash recipe
//! are the same code. What differs:
//!
//! - **Several writers.** Every appending transaction first locks the one row of `acta_head`:
//!   the commits of all instances become one sequence, so `seq` stays gapless and the chain
//!   linear, while each instance still groups its own waiting requests into one transaction.
//!   An instance that finds the head moved reads the events the others committed, brings its
//!   writer's state up to date from them, and hands them to its projections.
//! - **Following the others.** Each commit notifies `acta_commits`; every instance listens
//!   (`follow.rs`) and reads what it has not seen by `seq`, and looks anyway every
//!   [`FOLLOW_POLL`], so a lost notification delays an instance by at most that, never loses
//!   an event.
//! - **Faults.** A lost connection fails the requests of that moment with `503`; the writer
//!   connects again at its next group. A commit whose connection was lost while it ran has an
//!   unknown outcome: its clients are told so, and a retry with the same `id` is answered with
//!   the stored event if it was stored.
//!
//! `schema.rs` holds the migrations, with the triggers that keep `events` append-only.

mod connect;
mod follow;
mod pending;
mod reads;
pub(crate) mod schema;
mod writer;

use std::sync::Arc;

use crate::error::StoreError;

use super::database::Database;
use super::health;
use super::reads::LogReads;
use super::types::LogOptions;
use super::writer::{Publisher, WriteJob};

pub(crate) use connect::connect;
pub use follow::FOLLOW_POLL;
pub(crate) use reads::Readers;

/// A log opened for writing: the queue to its writer, its reads and the writer's health.
pub(super) struct Started {
    pub(super) sender: std::sync::mpsc::SyncSender<WriteJob>,
    pub(super) reads: Arc<dyn LogReads>,
    pub(super) health: Arc<health::Health>,
}

/// Opens the log in the database at `url` for writing: migrates it, replays it through
/// `replay`, and starts the writer and the follower.
pub(super) fn open(
    url: &str,
    options: LogOptions,
    replay: impl FnOnce(&dyn LogReads) -> Result<(), StoreError>,
) -> Result<Started, StoreError> {
    let database = Database::Postgres(url.to_owned());
    let mut client = connect(url).map_err(|error| cannot_open(&database, error))?;
    schema::migrate(&mut client)?;
    let readers = Arc::new(Readers::new(url, database));
    // The replay reads up to the head as it is now; the publisher hands over what comes after.
    let replayed_to = readers.head()?.seq;
    replay(&readers.up_to(replayed_to))?;
    let health = Arc::new(health::Health::default());
    let reads: Arc<dyn LogReads> = readers.clone();
    let publisher = Arc::new(Publisher::new(
        options.on_commit.clone(),
        replayed_to,
        Some(reads.clone()),
    ));
    let (transactions, state) =
        writer::PgTransactions::new(url, client, Arc::clone(&health))?.load_state()?;
    let sender = super::writer::spawn(
        transactions,
        state,
        options.clock,
        Arc::clone(&publisher),
        Arc::clone(&health),
    )?;
    if options.on_commit.is_some() {
        follow::start(url, readers.alive(), reads.clone(), publisher)?;
    }
    Ok(Started {
        sender,
        reads,
        health,
    })
}

/// Opens the log in the database at `url` for reading only: nothing migrated or created.
pub(super) fn open_read_only(url: &str) -> Result<Arc<dyn LogReads>, StoreError> {
    let database = Database::Postgres(url.to_owned());
    let mut client = connect(url).map_err(|error| cannot_open(&database, error))?;
    schema::check_is_acta(&mut client, &database.to_string())?;
    let readers = Readers::new(url, database);
    readers.give_back(client);
    Ok(Arc::new(readers))
}

fn cannot_open(database: &Database, error: StoreError) -> StoreError {
    StoreError::Io(format!("cannot connect to {database}: {error}"))
}

/// The checkpoints' signing key kept in the database at `url` (written as
/// `SigningKey::to_private_text` writes it): the one stored, or else `fresh`, stored now. Two
/// instances starting at once store one key between them and both read it.
pub fn signing_key_text(url: &str, fresh: &str) -> Result<String, StoreError> {
    let mut client = connect(url)?;
    schema::migrate(&mut client)?;
    client.execute(
        "INSERT INTO acta_signing_key (private_key) VALUES ($1) ON CONFLICT DO NOTHING",
        &[&fresh],
    )?;
    Ok(client
        .query_one("SELECT private_key FROM acta_signing_key", &[])?
        .get(0))
}

/// The signing key kept in the database at `url`, if one is (for `acta verify --checkpoint`,
/// which writes nothing).
pub fn stored_signing_key_text(url: &str) -> Result<Option<String>, StoreError> {
    let mut client = connect(url)?;
    schema::check_is_acta(&mut client, &Database::Postgres(url.to_owned()).to_string())?;
    if !schema::has_table(&mut client, &["acta_signing_key"])? {
        return Ok(None);
    }
    Ok(client
        .query_opt("SELECT private_key FROM acta_signing_key", &[])?
        .map(|row| row.get(0)))
}

/// Creates the empty database `name` on the server `url` points at, and returns the URL of the
/// new database: for tests, and scripts that give each province a database of its own. `name`
/// is letters, digits and `_`.
pub fn create_database(url: &str, name: &str) -> Result<String, StoreError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    {
        return Err(StoreError::Refused(format!(
            "{name:?} is not a database name acta makes: use letters, digits and _"
        )));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| StoreError::Refused(format!("{url:?} is not a postgres:// URL")))?;
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let query = rest.split_once('?').map(|(_, query)| query);
    let mut client = connect(url)?;
    client.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}
