//! The demo data set: every act of the Đồng Nai Department of Industry and Trade's report on the
//! Cleaner Production Strategy, 2009–2015, as request-shaped events (`data/demo/`, mapped to the
//! report's sentences in `docs/demo.md`). Embedded in the binary so `serve --demo` needs no file.

use acta_events::{AppendError, AppendRequest, Log, NewEvent};

/// The data set, one request-shaped event per line.
pub const DATA_SET: &str = include_str!("../data/demo/dong-nai-2009-2015.jsonl");

/// The name recorded as the actor of the demo's events.
pub const DEMO_ACTOR: &str = "demo";

/// The data set's events, read and checked. `today` only bounds dates, all long past.
pub fn events(today: acta_events::CivilDate) -> Result<Vec<NewEvent>, String> {
    DATA_SET
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|error| format!("line {}: {error}", index + 1))?;
            NewEvent::parse(&value, "", today)
                .map_err(|errors| format!("line {}: {:?}", index + 1, errors.all()))
        })
        .collect()
}

/// Loads the data set into `log` if it is empty (`head_seq == 0`). Loading is idempotent by the
/// events' ids, so a database that already holds the demo loads nothing; a database holding
/// anything else is left alone.
/// `today` (UTC) only bounds the data set's dates, all long past.
pub fn load(log: &Log, head_seq: u64, today: acta_events::CivilDate) -> Result<(), String> {
    let events = events(today)?;
    let first_id = events
        .first()
        .and_then(|event| event.id)
        .ok_or("the data set is empty")?;
    if head_seq > 0 {
        let has_demo = log
            .event(first_id)
            .map_err(|error| error.to_string())?
            .is_some();
        if has_demo {
            eprintln!("acta: the demo data set is already loaded");
        } else {
            eprintln!(
                "acta: --demo loads only into an empty database; this one holds {head_seq} events, left as they are"
            );
        }
        return Ok(());
    }
    let count = events.len();
    let outcome = log
        .append_blocking(AppendRequest {
            events,
            actor: DEMO_ACTOR.to_owned(),
            is_batch: true,
        })
        .map_err(|error| match error.with_batch_pointers() {
            AppendError::Invalid { errors }
            | AppendError::UnknownFields { errors }
            | AppendError::Conflict { errors, .. } => {
                format!("{errors:?}")
            }
            other => other.to_string(),
        })?;
    eprintln!(
        "acta: loaded the Đồng Nai 2009–2015 demo data set: {} of {count} events stored",
        outcome.stored_new
    );
    Ok(())
}
