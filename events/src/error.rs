//! Errors of the event layer. Each variant says the HTTP status it maps to; the mapping itself
//! lives in the binary, which is the only part that knows HTTP.

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
    /// `409`: the request conflicts with what is stored.
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// `500`: the database failed. The message is logged, never sent.
    #[error("storage failed: {0}")]
    Storage(String),
    /// `503`: the log is shutting down.
    #[error("the event log is closed")]
    Closed,
}

impl AppendError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppendError::Invalid {
            errors: vec![FieldError::new(field, message)],
        }
    }

    pub fn conflict(field: impl Into<String>, detail: impl Into<String>) -> Self {
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

impl From<rusqlite::Error> for AppendError {
    fn from(error: rusqlite::Error) -> Self {
        AppendError::Storage(error.to_string())
    }
}

/// Errors opening or reading the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database has schema version {found}, newer than this build of acta knows ({known}); \
         use a newer acta"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error("stored event at seq {seq} cannot be read: {problem}")]
    Corrupt { seq: u64, problem: String },
    #[error(
        "another acta process (acta serve or acta import) is writing to {0}; only one may. \
         Stop it first, or use export, verify or report, which only read"
    )]
    Locked(String),
    #[error("{0}")]
    Io(String),
}
