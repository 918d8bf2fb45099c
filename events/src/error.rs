//! Errors of the event layer. Each variant says the HTTP status it maps to; the mapping itself
//! lives in the binary, which is the only part that knows HTTP.

use postgres::error::SqlState;

use acta_messages::Message;

use crate::fields::{FieldError, FieldErrors};

/// Why an append was refused or failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AppendError {
    /// `400`: the body has fields the contract does not know (`errors` lists them first).
    #[error("the request has fields the contract does not know")]
    UnknownFields { errors: Vec<FieldError> },
    /// `422`: something in the request is wrong on its own or refers to what does not exist.
    #[error("the request is not a valid event")]
    Invalid { errors: Vec<FieldError> },
    /// `409`: the request conflicts with what is stored; `detail` says how (it is also the
    /// message of the field named).
    #[error("{detail}")]
    Conflict {
        detail: Message,
        errors: Vec<FieldError>,
    },
    /// `500`: the database failed. The message is logged, never sent.
    #[error("storage failed: {0}")]
    Storage(String),
    /// `507`: the disk holding the database is full. Nothing of the request was stored; the
    /// message names the cause and may be sent.
    #[error("{0}")]
    StorageFull(String),
    /// `503`: the database cannot be written now (an I/O error, a damaged file, a lock held by
    /// another process). Nothing of the request was stored; the message names the cause and may
    /// be sent.
    #[error("{0}")]
    Unavailable(String),
    /// `503`: the commit failed on the disk after the database had begun to write it (an I/O
    /// error writing or syncing SQLite's WAL), so whether its events are stored is not known
    /// until the database is opened again. The writer refuses every append from then on (see
    /// DESIGN.md, "A failing disk"); the message names the events as they would be stored, and a
    /// retry with the same `id` after the restart settles it.
    #[error("{0}")]
    InDoubt(String),
    /// `503`: the log is shutting down.
    #[error("the event log is closed")]
    Closed,
    /// One event of a batch was refused (the whole batch with it): `index` is its position in
    /// the batch, from 0. Its status is the inner error's; over HTTP its pointers become
    /// `/events/<index>/…` ([`AppendError::with_batch_pointers`]).
    #[error("event {index} of the batch: {error}")]
    InBatch {
        index: usize,
        error: Box<AppendError>,
    },
}

impl AppendError {
    pub fn invalid(field: impl Into<String>, message: impl Into<Message>) -> Self {
        AppendError::Invalid {
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn conflict(field: impl Into<String>, detail: impl Into<Message>) -> Self {
        let detail = detail.into();
        AppendError::Conflict {
            errors: vec![FieldError::new(field, detail.clone())],
            detail,
        }
    }

    /// The error of a field-by-field read: `400` if any field is unknown, else `422`.
    pub fn from_fields(errors: FieldErrors) -> Self {
        if errors.unknown.is_empty() {
            AppendError::Invalid {
                errors: errors.invalid,
            }
        } else {
            AppendError::UnknownFields {
                errors: errors.all(),
            }
        }
    }

    /// The error as the body of a batch names it: an [`AppendError::InBatch`] becomes its inner
    /// error with every pointer under `/events/<index>`.
    pub fn with_batch_pointers(self) -> Self {
        match self {
            AppendError::InBatch { index, error } => error.under(&format!("/events/{index}")),
            other => other,
        }
    }

    /// Whether the database failed (not the request): the writer then reloads its state.
    pub fn is_storage(&self) -> bool {
        match self {
            AppendError::Storage(_) => true,
            AppendError::InBatch { error, .. } => error.is_storage(),
            _ => false,
        }
    }

    /// Puts `prefix` (e.g. `/events/3`) before every field pointer.
    pub fn under(mut self, prefix: &str) -> Self {
        if let AppendError::UnknownFields { errors }
        | AppendError::Invalid { errors }
        | AppendError::Conflict { errors, .. } = &mut self
        {
            for error in errors {
                error.field = format!("{prefix}{}", error.field);
            }
        }
        self
    }
}

/// What the clients of a failed write are told: a full disk (`507`) and a database that cannot
/// be written now (`503`) name their cause; anything else is an internal error (`500`).
impl From<rusqlite::Error> for AppendError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let code = match &error {
            rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
            _ => None,
        };
        match code {
            Some(ErrorCode::DiskFull) => AppendError::StorageFull(
                "the disk holding the database is full: nothing of this request was stored. \
                 Free space on it; acta stores again as soon as there is room"
                    .into(),
            ),
            Some(ErrorCode::SystemIoFailure) => AppendError::Unavailable(format!(
                "the database could not be written (an I/O error: {error}): nothing of this \
                 request was stored"
            )),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => AppendError::Unavailable(
                "the database is locked by another connection: nothing of this request \
                     was stored; try again"
                    .into(),
            ),
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen) => AppendError::Unavailable(format!(
                "the database cannot be written ({error}): nothing of this request was stored"
            )),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                AppendError::Unavailable(format!(
                    "the database file is damaged ({error}): nothing of this request was stored"
                ))
            }
            _ => AppendError::Storage(error.to_string()),
        }
    }
}

/// A read the rules needed failed: the database's own classes of failure (full, I/O, damaged)
/// keep their statuses; anything else is an internal error.
impl From<StoreError> for AppendError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Sqlite(error) => error.into(),
            StoreError::Postgres(error) => postgres_append_error(&error),
            other => AppendError::Storage(other.to_string()),
        }
    }
}

/// Errors opening or reading the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {}", describe_postgres(.0))]
    Postgres(#[from] postgres::Error),
    #[error(
        "the database has schema version {found}, newer than this build of acta knows ({known}); \
         use a newer acta"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error("stored event at seq {seq} cannot be read: {problem}")]
    Corrupt { seq: u64, problem: String },
    #[error(
        "{path} is being written by {held_by}; only one process may write a database, whatever \
         name it is reached by. Stop that one first, or use export, verify or report, which only \
         read"
    )]
    Locked { path: String, held_by: String },
    /// The file is there but must not be opened as a record (empty, not acta's, two names).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(String),
}

/// A PostgreSQL error as acta's messages say it: the server's own message and code when it
/// sent one, else what the client saw (a refused or lost connection).
pub fn describe_postgres(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}

/// What the clients of a failed write on PostgreSQL are told. A lost connection or a database that is
/// shutting down is `503`; a full disk `507`; anything else an internal error.
pub(crate) fn postgres_append_error(error: &postgres::Error) -> AppendError {
    if is_unreachable(error) {
        return AppendError::Unavailable(format!(
            "the database cannot be reached ({}): nothing of this request was stored; try again",
            describe_postgres(error)
        ));
    }
    match error.code() {
        Some(code) if *code == SqlState::DISK_FULL => AppendError::StorageFull(
            "the disk holding the database is full: nothing of this request was stored. Free \
             space on it; acta stores again as soon as there is room"
                .into(),
        ),
        Some(code)
            if *code == SqlState::LOCK_NOT_AVAILABLE
                || *code == SqlState::QUERY_CANCELED
                || *code == SqlState::READ_ONLY_SQL_TRANSACTION =>
        {
            AppendError::Unavailable(format!(
                "the database cannot be written now ({}): nothing of this request was stored; \
                 try again",
                describe_postgres(error)
            ))
        }
        _ => AppendError::Storage(describe_postgres(error)),
    }
}

/// Whether `error` says the connection is gone or the server is going away, rather than that a
/// statement was wrong.
pub(crate) fn is_unreachable(error: &postgres::Error) -> bool {
    if error.is_closed() || error.as_db_error().is_none() && error.code().is_none() {
        return true;
    }
    matches!(
        error.code(),
        Some(code) if *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || code.code().starts_with("08")
    )
}
