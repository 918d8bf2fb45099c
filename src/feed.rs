//! The live feed behind `GET /v1/events/stream`: a signal, raised by the log's commit hook, that
//! the log has grown (or that the server is closing), and the cap on streams open at once.
//!
//! The signal carries no events. Each stream reads what it has not sent from the log itself, a
//! page at a time, when its client has taken the last page: a stream holds one page at most,
//! whatever its client's pace, and a commit costs the writer one store into a `watch` whether a
//! thousand streams are open or none (docs/DESIGN.md, "How does the event stream keep up?").

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// Streams open at once; beyond it `GET /v1/events/stream` is `503`. Each holds one of the
/// server's requests in flight for as long as it is open.
pub const EVENT_STREAMS_MAX: usize = 64;

/// What the streams are told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signal {
    /// The newest `seq` the commit hook has seen.
    pub head_seq: u64,
    /// The server is shutting down: every stream ends.
    pub closing: bool,
}

pub struct Feed {
    signal: watch::Sender<Signal>,
    streams: Arc<Semaphore>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed::with_streams_max(EVENT_STREAMS_MAX)
    }
}

impl Feed {
    pub fn with_streams_max(streams_max: usize) -> Feed {
        Feed {
            signal: watch::Sender::new(Signal::default()),
            streams: Arc::new(Semaphore::new(streams_max)),
        }
    }

    /// Called by the commit hook, on the writer's thread, after the events up to `head_seq`
    /// are committed (and so readable by every connection).
    pub fn committed(&self, head_seq: u64) {
        self.signal.send_modify(|signal| {
            signal.head_seq = signal.head_seq.max(head_seq);
        });
    }

    /// Ends every stream (at shutdown, so that closing does not wait for them).
    pub fn close(&self) {
        self.signal.send_modify(|signal| signal.closing = true);
    }

    /// A place among the open streams, or `None` when all are taken.
    pub fn open_stream(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.streams).try_acquire_owned().ok()
    }

    /// Signals from now on; the current one counts as seen.
    pub fn subscribe(&self) -> watch::Receiver<Signal> {
        self.signal.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_capped_and_their_places_come_back() {
        let feed = Feed::with_streams_max(2);
        let first = feed.open_stream().expect("first");
        let second = feed.open_stream().expect("second, the maximum");
        assert!(feed.open_stream().is_none());
        drop(first);
        let third = feed.open_stream().expect("a place came back");
        drop((second, third));
    }

    #[tokio::test]
    async fn a_subscriber_hears_of_commits_after_it_subscribed_and_of_closing() {
        let feed = Feed::default();
        feed.committed(3);
        let mut signals = feed.subscribe();
        assert!(!signals.has_changed().unwrap(), "what came before is seen");
        feed.committed(5);
        feed.committed(4);
        signals.changed().await.unwrap();
        assert_eq!(signals.borrow_and_update().head_seq, 5, "never goes back");
        feed.close();
        signals.changed().await.unwrap();
        assert!(signals.borrow().closing);
    }
}
