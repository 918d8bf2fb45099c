//! What every handler shares ([`AppState`]), and how handlers run blocking store work.

use std::sync::{Arc, RwLockReadGuard};

use acta_events::{Clock, Instant, Log, Tokens};
use acta_projections::Record;

use crate::checkpoints::Checkpoints;
use crate::live::Live;
use crate::verifier::Verifier;

use super::limits;
use super::problem::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub log: Log,
    pub tokens: Arc<Tokens>,
    /// The live projections, fed every commit by the log's writer thread.
    pub live: Arc<Live>,
    /// Verification reads and hashes the whole log: one at a time, on its own thread, shared
    /// by every caller that asks while it runs.
    pub verifier: Arc<Verifier>,
    /// Log one line per request (`serve --access-log`).
    pub access_log: bool,
    pub clock: Clock,
    /// The answer budget and each token's heavy reads in flight.
    pub reads: Arc<limits::ReadLimits>,
    /// The signing key and the Merkle tree of signed checkpoints (`None`: none are served).
    pub checkpoints: Option<Arc<Checkpoints>>,
}

impl AppState {
    pub fn now(&self) -> Instant {
        Instant::from_timestamp((self.clock)())
    }

    /// The live projections, for reading. Queries are quick folds; the writer waits for them.
    pub fn record(&self) -> RwLockReadGuard<'_, Record> {
        self.live.record()
    }
}

/// Runs blocking store work off the async workers.
pub async fn blocking<R: Send + 'static>(
    work: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::Internal(format!("blocking task failed: {error}")))?
}
