//! `acta import`: request-shaped events from JSON Lines appended in batches, idempotent by `id`.
//! A bad line stops the import, naming the line, with everything before it stored and nothing of
//! it or after. Lines in the stored shape (`acta export`'s) are restored as they were recorded —
//! the same `seq`, `recorded_at`, actor and hash — so that `acta export | acta import` moves a
//! record to another database (SQLite or PostgreSQL) with the same head.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use acta_events::{AppendError, AppendRequest, Database, Log, LogOptions, NewEvent, PlanKey};

use crate::clock;

/// Opens the log for a bulk load: no projections, a writer sized for large batches.
fn open_log_for_import(database: &Database) -> Result<Log, String> {
    Log::open(
        database,
        LogOptions {
            clock: clock::system(),
            on_commit: None,
            bulk: true,
        },
    )
    .map_err(|error| format!("cannot open {database}: {error}"))
}

pub fn import(database: &Database, file: &Path, actor: &PlanKey) -> Result<ExitCode, String> {
    // The input first: a file that cannot be read touches no database.
    let (reader, total_bytes): (Box<dyn Read + Send>, Option<u64>) = if file == Path::new("-") {
        (Box::new(io::stdin()), None)
    } else {
        let opened =
            File::open(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
        let length = opened.metadata().map(|metadata| metadata.len()).ok();
        (Box::new(opened), length)
    };
    let new_file = database
        .sqlite_path()
        .filter(|path| !path.exists())
        .map(Path::to_owned);
    let log = open_log_for_import(database)?;
    let (outcome, stored_new) = import_into(&log, reader, total_bytes, actor);
    match (outcome, new_file) {
        // A failed import into a file it created, with nothing stored, leaves no empty
        // database behind to be mistaken for a record.
        (Err(message), Some(path)) if stored_new == 0 => {
            drop(log);
            remove_new_database(&path);
            Err(format!("{message}\n{} was not created", path.display()))
        }
        (outcome, _) => outcome,
    }
}

/// Removes the SQLite file an import created and the files beside it, once its log is closed.
fn remove_new_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let _ = std::fs::remove_file(acta_events::store::file::side_path(path, suffix));
    }
}

/// Appends the events of `reader` to `log`; what it came to, and how many events were new.
fn import_into(
    log: &Log,
    reader: Box<dyn Read + Send>,
    total_bytes: Option<u64>,
    actor: &PlanKey,
) -> (Result<ExitCode, String>, usize) {
    let progress = match total_bytes {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .expect("valid template"),
        ),
        None => ProgressBar::new_spinner(),
    };
    let mut importer = Importer {
        log,
        actor: actor.to_string(),
        stored_new: 0,
        repeated: 0,
    };
    // This thread reads and checks the next batch while the writer commits the previous one,
    // so parsing and committing overlap. Batches are committed in order, one at a time, so a
    // bad line still stops the import with everything before it stored and nothing of it or
    // after. Each batch's events are also dropped on this thread, which made them: freeing on
    // another thread than the allocating one cost the system allocator dearly.
    let mut batches = Batches::new(reader);
    let mut lines_read = 0;
    let mut in_flight: Option<InFlight> = None;
    let outcome = (|| -> Result<(), String> {
        loop {
            let batch = batches.next_batch();
            if let Some(flight) = in_flight.take() {
                importer.finish(flight)?;
                progress.set_message(format!(
                    "{} events",
                    importer.stored_new + importer.repeated
                ));
            }
            let Some(batch) = batch else {
                return Ok(());
            };
            progress.inc(batch.bytes);
            lines_read = batch.last_line;
            if let Some((line_number, message)) = batch.failure {
                if let Some(flight) = importer.submit(batch.lines) {
                    importer.finish(flight)?;
                }
                return Err(format!(
                    "line {line_number}: {message}\n{} events stored before it ({} already present); nothing of line {line_number} or after was stored",
                    importer.stored_new, importer.repeated
                ));
            }
            in_flight = importer.submit(batch.lines);
        }
    })();
    progress.finish_and_clear();
    if let Err(message) = outcome {
        return (Err(message), importer.stored_new);
    }
    eprintln!(
        "acta: imported {} new events from {lines_read} lines ({} already present)",
        importer.stored_new, importer.repeated
    );
    (Ok(ExitCode::SUCCESS), importer.stored_new)
}

/// Events per append while importing: large enough to share fsyncs, small enough to report a
/// bad line quickly.
const IMPORT_BATCH_EVENTS: usize = 10_000;

/// Checked lines of the import file, ending at a bad line if there is one.
struct ParsedBatch {
    /// (line number, line text, event): the text lets a failed batch be cut and re-sent.
    lines: Vec<(usize, String, NewEvent)>,
    failure: Option<(usize, String)>,
    last_line: usize,
    bytes: u64,
}

fn parse_line(text: &str, today: acta_events::CivilDate) -> Result<NewEvent, String> {
    let value = acta_events::json::parse(text.as_bytes()).map_err(|error| match error {
        acta_events::json::JsonError::Syntax(message) => format!("not JSON: {message}"),
        other => match other.field() {
            "" => other.message(),
            field => format!("{field}: {}", other.message()),
        },
    })?;
    // A line in the stored shape (what `acta export` writes) is restored as it was recorded:
    // same seq, recorded_at, actor and hash, or refused.
    let parsed = match value.get("hash").is_some() && value.get("prev_hash").is_some() {
        true => NewEvent::parse_recorded(&value, today),
        false => NewEvent::parse(&value, "", today),
    };
    parsed.map_err(|errors| describe(&AppendError::from_fields(errors)))
}

/// Reads `reader` line by line into batches of checked events, in order; the batch holding the
/// first bad line ends there (its `failure`), and is the last.
struct Batches {
    lines: BufReader<Box<dyn Read + Send>>,
    line_number: usize,
    done: bool,
    clock: acta_events::Clock,
}

impl Batches {
    fn new(reader: Box<dyn Read + Send>) -> Batches {
        Batches {
            lines: BufReader::new(reader),
            line_number: 0,
            done: false,
            clock: clock::system(),
        }
    }

    /// The next batch of up to `IMPORT_BATCH_EVENTS` events; `None` after the last.
    fn next_batch(&mut self) -> Option<ParsedBatch> {
        if self.done {
            return None;
        }
        let mut batch = ParsedBatch {
            lines: Vec::with_capacity(IMPORT_BATCH_EVENTS),
            failure: None,
            last_line: self.line_number,
            bytes: 0,
        };
        let today = acta_events::Instant::from_timestamp((self.clock)())
            .date_utc()
            .into();
        while batch.lines.len() < IMPORT_BATCH_EVENTS {
            let mut text = String::new();
            match self.lines.read_line(&mut text) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(read) => batch.bytes += read as u64,
                Err(error) => {
                    batch.failure = Some((self.line_number + 1, format!("cannot read: {error}")));
                    self.done = true;
                    break;
                }
            }
            self.line_number += 1;
            batch.last_line = self.line_number;
            if text.trim().is_empty() {
                continue;
            }
            match parse_line(&text, today) {
                Ok(event) => batch.lines.push((self.line_number, text, event)),
                Err(message) => {
                    batch.failure = Some((self.line_number, message));
                    self.done = true;
                    break;
                }
            }
        }
        Some(batch)
    }
}

/// A batch handed to the writer, not yet answered.
struct InFlight {
    answer: std::sync::mpsc::Receiver<Result<acta_events::store::AppendOutcome, AppendError>>,
    line_numbers: Vec<usize>,
    texts: Vec<String>,
}

struct Importer<'a> {
    log: &'a Log,
    actor: String,
    stored_new: usize,
    repeated: usize,
}

impl Importer<'_> {
    /// Hands the events of `lines` to the writer as one batch, without waiting.
    fn submit(&self, lines: Vec<(usize, String, NewEvent)>) -> Option<InFlight> {
        if lines.is_empty() {
            return None;
        }
        let mut line_numbers = Vec::with_capacity(lines.len());
        let mut texts = Vec::with_capacity(lines.len());
        let mut events = Vec::with_capacity(lines.len());
        for (line_number, text, event) in lines {
            line_numbers.push(line_number);
            texts.push(text);
            events.push(event);
        }
        let (sender, answer) = std::sync::mpsc::channel();
        let request = AppendRequest {
            events,
            actor: self.actor.clone(),
            is_batch: true,
        };
        self.log.append_with(
            request,
            Box::new(move |result| {
                let _ = sender.send(result);
            }),
        );
        Some(InFlight {
            answer,
            line_numbers,
            texts,
        })
    }

    /// Waits for a submitted batch. If an event was refused, appends the ones before it and
    /// fails naming its line, so nothing of that line is stored.
    fn finish(&mut self, flight: InFlight) -> Result<(), String> {
        let count = flight.texts.len();
        let result = flight.answer.recv().unwrap_or(Err(AppendError::Closed));
        let (index, error) = match result {
            Ok(outcome) => {
                self.stored_new += outcome.stored_new;
                self.repeated += count - outcome.stored_new;
                return Ok(());
            }
            Err(error) => at_fault(error),
        };
        // Re-read the lines before the refused one (they were valid) and store them.
        let today = acta_events::Instant::from_timestamp(clock::system()())
            .date_utc()
            .into();
        let before: Vec<NewEvent> = flight.texts[..index]
            .iter()
            .map(|text| parse_line(text, today))
            .collect::<Result<_, _>>()?;
        self.append(before).map_err(|(_, error)| describe(&error))?;
        Err(format!(
            "line {}: {}\n{} events stored before it ({} already present); nothing of that line or after was stored",
            flight.line_numbers[index],
            describe(&error),
            self.stored_new,
            self.repeated
        ))
    }

    /// Appends `events` as one batch; on refusal returns the index of the event at fault.
    fn append(&mut self, events: Vec<NewEvent>) -> Result<(), (usize, AppendError)> {
        if events.is_empty() {
            return Ok(());
        }
        let count = events.len();
        let request = AppendRequest {
            events,
            actor: self.actor.clone(),
            is_batch: true,
        };
        match self.log.append_blocking(request) {
            Ok(outcome) => {
                self.stored_new += outcome.stored_new;
                self.repeated += count - outcome.stored_new;
                Ok(())
            }
            Err(error) => Err(at_fault(error)),
        }
    }
}

/// The index in its batch of the event an error is about, and the error of that event alone:
/// on the command line the line number says which event it was.
fn at_fault(error: AppendError) -> (usize, AppendError) {
    match error {
        AppendError::InBatch { index, error } => (index, *error),
        // An error about the whole batch (the disk, the writer) is told at its first line.
        other => (0, other),
    }
}

/// A one-line account of an append error for the terminal.
fn describe(error: &AppendError) -> String {
    match error {
        AppendError::UnknownFields { errors }
        | AppendError::Invalid { errors }
        | AppendError::Conflict { errors, .. } => {
            // As bounded as an HTTP answer: a line with thousands of unknown fields is named by
            // its first problems and a count.
            let listed = crate::http::problem::ERRORS_LISTED_MAX;
            let mut said = errors
                .iter()
                .take(listed)
                .map(|field_error| {
                    let field = if field_error.field.is_empty() {
                        "the event"
                    } else {
                        &field_error.field
                    };
                    format!("{field}: {}", field_error.message)
                })
                .collect::<Vec<_>>()
                .join("; ");
            if errors.len() > listed {
                said.push_str(&format!("; and {} more problems", errors.len() - listed));
            }
            said
        }
        other => other.to_string(),
    }
}
