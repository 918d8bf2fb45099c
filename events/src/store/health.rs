//! What the writer found the last time it tried to commit, for `/healthz` and for the answers
//! of appends that cannot be stored.

use std::sync::Mutex;

use crate::error::AppendError;

/// Whether the writer can commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterStatus {
    /// The last commit (or none yet) succeeded.
    Healthy,
    /// The last commit failed on the disk (full, or an I/O error): nothing of it was stored.
    /// The next group tries again, so the status clears by itself once the disk has room.
    Failing,
    /// The writer refuses every append until the operator acts: the database file is damaged,
    /// or it was replaced or rewound beneath the running server.
    Refusing,
}

/// The writer's status and, unless healthy, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterHealth {
    pub status: WriterStatus,
    pub cause: Option<String>,
}

/// Shared by the writer (which sets it) and every handle of the log (which read it).
#[derive(Debug)]
pub(super) struct Health(Mutex<WriterHealth>);

impl Default for Health {
    fn default() -> Self {
        Health(Mutex::new(WriterHealth {
            status: WriterStatus::Healthy,
            cause: None,
        }))
    }
}

impl Health {
    pub(super) fn get(&self) -> WriterHealth {
        self.0.lock().expect("writer health lock").clone()
    }

    /// The error every append gets while the writer refuses, if it does.
    /// The status alone, without copying the cause: read on every request.
    pub(super) fn status(&self) -> WriterStatus {
        self.0.lock().expect("writer health lock").status
    }

    pub(super) fn refusal(&self) -> Option<AppendError> {
        let health = self.0.lock().expect("writer health lock");
        match health.status {
            WriterStatus::Refusing => Some(AppendError::Unavailable(
                health
                    .cause
                    .clone()
                    .unwrap_or_else(|| "the database refuses writes".into()),
            )),
            _ => None,
        }
    }

    /// Records the outcome of a commit. A refusal stays until [`Health::refuse`] is lifted by a
    /// restart: a failing disk clears itself on the next good commit.
    pub(super) fn record(&self, failure: Option<&AppendError>) {
        let mut health = self.0.lock().expect("writer health lock");
        if health.status == WriterStatus::Refusing {
            return;
        }
        *health = match failure {
            None => WriterHealth {
                status: WriterStatus::Healthy,
                cause: None,
            },
            Some(error) => WriterHealth {
                status: WriterStatus::Failing,
                cause: Some(match error {
                    // Its message is for the log, never sent (`/healthz` needs no token).
                    AppendError::Storage(_) => {
                        "the database failed to commit; the server's log says why".to_owned()
                    }
                    other => other.to_string(),
                }),
            },
        };
    }

    pub(super) fn refuse(&self, cause: String) {
        *self.0.lock().expect("writer health lock") = WriterHealth {
            status: WriterStatus::Refusing,
            cause: Some(cause),
        };
    }
}
