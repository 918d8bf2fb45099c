//! `acta-events`: the event catalogue of acta's contract, its validation, and the append-only,
//! hash-chained event log in SQLite.
//!
//! A request body becomes a [`NewEvent`] (every field checked, every problem listed with its JSON
//! Pointer); the [`Log`] checks the rules that depend on what is stored and appends it, durably,
//! in `seq` order, chained by SHA-256 over canonical JSON. This crate knows nothing of HTTP.
//!
//! # Layout
//!
//! - [`types`]: newtypes that parse — plan key, civil date, amount, indicator key, event id,
//!   instant.
//! - [`json`]: reading a request's JSON text, refusing duplicate keys and deep nesting.
//! - [`fields`]: reading a JSON object field by field, collecting every problem; the rules of
//!   texts (format characters, the comparable form of decision numbers); short quotes for
//!   error messages.
//! - [`catalogue`]: every event type of CONTRACT §2.1–§2.3 as typed Rust, the one table of
//!   each type's fields, and its two readers: from a JSON value, and borrowed from stored text.
//! - [`request`]: request-shaped events and batches.
//! - [`stored`]: the stored shape and the chain hash.
//! - [`jcs`]: canonical JSON (RFC 8785).
//! - [`checkpoint`]: signed checkpoints (C2SP `tlog-checkpoint` in a `signed-note`), Ed25519
//!   keys.
//! - [`merkle`]: the RFC 9162 Merkle tree over the events' hashes, its proofs and their checks.
//! - [`schema`]: migrations keyed by `PRAGMA user_version`.
//! - [`store`]: the log — one writer thread with group commit, pooled readers, verification;
//!   `store::file` decides which file a path names and locks it for the one writer.
//! - [`tokens`]: access tokens and roles, stored as hashes.
//! - [`error`]: the errors of this layer, each documenting its HTTP status.

pub mod catalogue;
pub mod checkpoint;
pub mod error;
pub mod fields;
pub mod jcs;
pub mod json;
pub mod merkle;
pub mod quote;
pub mod request;
pub mod schema;
pub mod store;
pub mod stored;
pub mod tokens;
pub mod types;

pub use catalogue::{EventData, EventType, PlanStatus};
pub use error::{AppendError, StoreError};
pub use fields::{FieldError, FieldErrors, Text};
pub use request::{BATCH_EVENTS_MAX, Evidence, NewEvent, Recorded};
pub use store::{
    AppendOutcome, AppendRequest, Clock, Database, DatabaseFile, EventFilter, EventRow, EventScope,
    Head, Integrity, Log, LogOptions, ScopedPage, Search, VerifyReport, WriterHealth, WriterStatus,
};
pub use stored::{EventHeader, GENESIS_HASH, StoredEvent};
pub use tokens::{Caller, Role, TokenError, TokenStatus, Tokens};
pub use types::{Amount, CivilDate, DatePrecision, EventId, IndicatorKey, Instant, PlanKey};
