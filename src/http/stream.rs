//! `GET /v1/events/stream`: the log as Server-Sent Events — every stored event after `after`
//! (or after the `Last-Event-ID` a reconnecting client sends), then every new commit, in `seq`
//! order, each as one SSE event with `id: <seq>` and the stored event as `data`.
//!
//! A stream reads the log a page at a time, and only when its client has taken the page before:
//! a client that reads slowly is sent events at its pace with one page held for it; one that
//! stops reading stops the stream where it is, and the accept loop's write timeout cuts its
//! connection (docs/API.md, "The event stream"). Nothing is buffered per client beyond a page.

use acta_messages::{Message, codes};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::{OwnedSemaphorePermit, watch};

use acta_events::{EventFilter, FieldError, Log, StoredEvent};

use super::extract::QueryParams;
use super::problem::ApiError;
use super::state::{AppState, blocking};
use crate::feed::{EVENT_STREAMS_MAX, Signal};

/// Events read from the log at a time: the most a stream holds for its client.
pub const STREAM_PAGE_EVENTS: u32 = 100;
/// Seconds between keep-alive comments on a stream with nothing to send, so that proxies and
/// clients see the connection is alive (and the server sees when it no longer is).
pub const KEEP_ALIVE_SECS: u64 = 15;
/// The `retry:` a stream starts with: milliseconds a browser's `EventSource` waits before it
/// reconnects.
pub const RECONNECT_AFTER_MS: u64 = 1000;

/// Reads `text` as a position in the log for `field` (`after` or `Last-Event-ID`).
fn read_seq(field: &str, text: &str) -> Result<u64, ApiError> {
    let malformed = || ApiError::BadRequest {
        detail: Message::new(codes::DETAIL_SEQ_FORMAT).text("field", field),
        errors: vec![FieldError::new(
            field,
            Message::new(codes::SEQ_FORMAT).text("value", acta_events::fields::quoted(text)),
        )],
    };
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(malformed());
    }
    text.parse().map_err(|_| malformed())
}

pub async fn events_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let values = params.take(&["after"])?;
    // A browser's EventSource reconnects to the same URL, `after` and all, adding the id of the
    // last event it received: that id is where it stands.
    let (field, after) = match headers.get("last-event-id") {
        Some(value) => {
            let text = value.to_str().unwrap_or("\u{fffd}");
            ("Last-Event-ID", read_seq("Last-Event-ID", text.trim())?)
        }
        None => match values[0] {
            Some(text) => ("after", read_seq("after", text)?),
            None => ("after", 0),
        },
    };
    // Subscribed before the head is read: a commit after this point is signalled, one before
    // it is in the log.
    let signals = state.live.feed.subscribe();
    let log = state.log.clone();
    let head = blocking(move || {
        log.head()
            .map_err(|error| ApiError::Internal(error.to_string()))
    })
    .await?;
    if after > head.seq {
        return Err(ApiError::BadRequest {
            detail: Message::new(codes::DETAIL_SEQ_BEYOND_HEAD)
                .text("field", field)
                .int("after", after)
                .int("head_seq", head.seq),
            errors: vec![FieldError::new(
                field,
                Message::new(codes::SEQ_BEYOND_HEAD).int("head_seq", head.seq),
            )],
        });
    }
    let Some(place) = state.live.feed.open_stream() else {
        return Err(ApiError::Busy(format!(
            "{EVENT_STREAMS_MAX} event streams are open, the most the server keeps; retry \
             shortly"
        )));
    };
    let reader = Reader {
        log: state.log.clone(),
        after,
        page: VecDeque::new(),
        signals,
        first: true,
        _place: place,
    };
    let events = stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((Ok::<Event, Infallible>(event), reader))
    });
    let keep_alive = KeepAlive::new()
        .interval(Duration::from_secs(KEEP_ALIVE_SECS))
        .text("keep-alive");
    Ok(Sse::new(events).keep_alive(keep_alive).into_response())
}

/// One stream's place in the log and what it holds for its client.
struct Reader {
    log: Log,
    /// The last `seq` handed on.
    after: u64,
    /// Read from the log, not yet handed on: at most [`STREAM_PAGE_EVENTS`].
    page: VecDeque<StoredEvent>,
    signals: watch::Receiver<Signal>,
    first: bool,
    /// Held for as long as the stream is open.
    _place: OwnedSemaphorePermit,
}

impl Reader {
    /// The next SSE event; `None` ends the stream (the server is closing, or the log cannot be
    /// read: the client reconnects from its last id).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(stored) = self.page.pop_front() {
                self.after = stored.seq;
                let data = serde_json::to_string(&stored.to_json()).ok()?;
                let mut event = Event::default().id(stored.seq.to_string()).data(data);
                if std::mem::take(&mut self.first) {
                    event = event.retry(Duration::from_millis(RECONNECT_AFTER_MS));
                }
                return Some(event);
            }
            // Marked seen before the log is read: a commit after the read is signalled anew.
            if self.signals.borrow_and_update().closing {
                return None;
            }
            let log = self.log.clone();
            let filter = EventFilter {
                after_seq: self.after,
                limit: STREAM_PAGE_EVENTS,
                plan: None,
                event_type: None,
            };
            let read = blocking(move || {
                log.events(&filter)
                    .map_err(|error| ApiError::Internal(error.to_string()))
            })
            .await;
            match read {
                Ok(events) if !events.is_empty() => self.page.extend(events),
                Ok(_) => {
                    if self.signals.changed().await.is_err() {
                        return None;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "an event stream cannot read the log; ending it");
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seq_is_a_whole_number() {
        assert_eq!(read_seq("after", "0").unwrap(), 0);
        assert_eq!(read_seq("after", "42").unwrap(), 42);
        assert_eq!(read_seq("after", "18446744073709551615").unwrap(), u64::MAX);
        for bad in [
            "",
            "-1",
            "+1",
            "1.0",
            "1e3",
            "abc",
            " 1",
            "18446744073709551616",
        ] {
            let Err(ApiError::BadRequest { errors, .. }) = read_seq("after", bad) else {
                panic!("{bad:?} is not a seq");
            };
            assert_eq!(errors[0].field, "after");
        }
    }
}
