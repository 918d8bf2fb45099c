//! The follower: one thread per instance that listens for other instances' commits
//! (`NOTIFY acta_commits`) and hands the events it has not seen to the projections, in `seq`
//! order, through the same [`Publisher`] as the writer. It reads by `seq`, not from the
//! notifications' contents, and looks every [`FOLLOW_POLL`] even when it hears nothing, so a
//! lost notification (or a connection lost and made again) delays it, never loses an event.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;

use crate::error::StoreError;

use super::super::reads::LogReads;
use super::super::writer::Publisher;
use super::connect::connect;
use super::reads::read_head;

/// How long an instance goes without looking for other instances' commits when it hears of
/// none: the bound on how late it follows them if a notification is lost.
pub const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// How long the follower waits before connecting again after losing its connection.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Starts the follower of the log at `url`; it stops once `alive` is gone.
pub(super) fn start(
    url: &str,
    alive: Weak<()>,
    reads: Arc<dyn LogReads>,
    publisher: Arc<Publisher>,
) -> Result<(), StoreError> {
    let url = url.to_owned();
    thread::Builder::new()
        .name("acta-follower".into())
        .spawn(move || follow(&url, &alive, reads.as_ref(), &publisher))
        .map(drop)
        .map_err(|error| StoreError::Io(format!("cannot start the follower thread: {error}")))
}

fn follow(url: &str, alive: &Weak<()>, reads: &dyn LogReads, publisher: &Publisher) {
    let mut listening: Option<Client> = None;
    while alive.strong_count() > 0 {
        let client = match &mut listening {
            Some(client) if !client.is_closed() => client,
            _ => match listen(url) {
                Ok(client) => listening.insert(client),
                Err(error) => {
                    eprintln!("acta: the follower cannot listen for commits: {error}");
                    listening = None;
                    thread::sleep(RECONNECT_AFTER);
                    continue;
                }
            },
        };
        // Wait for a notification, or look anyway after the poll interval.
        let heard = client
            .notifications()
            .timeout_iter(FOLLOW_POLL)
            .next()
            .map(|notification| notification.is_some());
        if heard.is_err() {
            listening = None;
        }
        if let Err(error) = take_in_new_commits(client_or_none(&mut listening), reads, publisher) {
            eprintln!("acta: the follower cannot read new commits: {error}");
            thread::sleep(RECONNECT_AFTER);
        }
    }
}

fn client_or_none(listening: &mut Option<Client>) -> Option<&mut Client> {
    listening.as_mut().filter(|client| !client.is_closed())
}

/// A connection that listens for commits.
fn listen(url: &str) -> Result<Client, StoreError> {
    let mut client = connect(url)?;
    client.batch_execute("LISTEN acta_commits")?;
    Ok(client)
}

/// Hands over every event committed after what was handed over, if the head moved.
fn take_in_new_commits(
    client: Option<&mut Client>,
    reads: &dyn LogReads,
    publisher: &Publisher,
) -> Result<(), StoreError> {
    let head = match client {
        Some(client) => read_head(client)?.seq,
        None => reads.head()?.seq,
    };
    let published = publisher.published();
    if head <= published {
        return Ok(());
    }
    let mut events = Vec::new();
    reads.scan_readable(published, &mut |chunk| {
        events.extend_from_slice(chunk);
        Ok(())
    })?;
    publisher.publish(events);
    Ok(())
}
