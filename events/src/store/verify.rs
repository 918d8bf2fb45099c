//! Verification: SQLite's check of the file, and the hash chain recomputed event by event.

use std::ops::ControlFlow;

use rusqlite::{Connection, OptionalExtension};

use crate::error::StoreError;
use crate::stored::GENESIS_HASH;

use super::rows::{Columns, EVENT_COLUMNS, event_from_row};

/// The answer of a verification (`GET /v1/verify`, `acta verify`): SQLite's check of the file,
/// then the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub checked: u64,
    pub head_seq: u64,
    pub head_hash: String,
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
    /// Which check of the file ran, and what SQLite found wrong (empty when sound).
    pub integrity: Integrity,
}

/// The result of SQLite's check of the database file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Integrity {
    /// `PRAGMA integrity_check` rather than `quick_check`.
    pub full: bool,
    /// What SQLite says is wrong, at most [`INTEGRITY_PROBLEMS_MAX`] lines.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// The report of an empty log, nothing checked yet: where [`Log::verify_from`] starts a
    /// whole check.
    pub fn nothing_checked() -> VerifyReport {
        VerifyReport {
            checked: 0,
            head_seq: 0,
            head_hash: GENESIS_HASH.to_owned(),
            first_bad_seq: None,
            problem: None,
            integrity: Integrity::default(),
        }
    }

    /// The report of a chain check (from [`Log::verify_from`]) with the file check's result.
    /// A file damaged beneath the events table cannot be read through: when SQLite found the
    /// file damaged, a chain check that failed on it is reported as unreadable rather than
    /// failing the whole verification.
    pub fn with_integrity(
        chain: Result<VerifyReport, StoreError>,
        integrity: Integrity,
    ) -> Result<VerifyReport, StoreError> {
        let mut report = match chain {
            Ok(report) => report,
            Err(StoreError::Sqlite(error)) if !integrity.problems.is_empty() => VerifyReport {
                problem: Some(format!("the events cannot be read through: {error}")),
                ..VerifyReport::nothing_checked()
            },
            Err(error) => return Err(error),
        };
        report.integrity = integrity;
        Ok(report)
    }

    /// The chain is intact and the file sound.
    pub fn ok(&self) -> bool {
        self.first_bad_seq.is_none() && self.integrity.problems.is_empty()
    }

    /// What is wrong, in one sentence: the chain's first problem, else the file's.
    pub fn problem_text(&self) -> Option<String> {
        self.problem.clone().or_else(|| {
            self.integrity
                .problems
                .first()
                .map(|first| format!("the database file is damaged: SQLite reports \"{first}\""))
        })
    }
}

/// Most lines of SQLite's integrity report kept: the first ones say where the damage is.
pub const INTEGRITY_PROBLEMS_MAX: usize = 20;

pub(super) fn integrity_check(
    connection: &Connection,
    full: bool,
) -> Result<Vec<String>, StoreError> {
    let pragma = match full {
        true => format!("PRAGMA integrity_check({INTEGRITY_PROBLEMS_MAX})"),
        false => format!("PRAGMA quick_check({INTEGRITY_PROBLEMS_MAX})"),
    };
    let mut statement = match connection.prepare(&pragma) {
        Ok(statement) => statement,
        // A file damaged where the schema lives cannot even be asked.
        Err(error) => return Ok(vec![error.to_string()]),
    };
    let mut rows = statement.query([])?;
    let mut problems = Vec::new();
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let line: String = row.get(0)?;
                if line != "ok" {
                    problems.push(line);
                }
            }
            Ok(None) => break,
            Err(error) => {
                problems.push(error.to_string());
                break;
            }
        }
    }
    Ok(problems)
}

/// How often (in events) verification reports progress, and may be stopped.
pub const VERIFY_PROGRESS_EVERY: u64 = 10_000;

/// The chain check of [`Log::verify_from`], on SQLite.
pub(super) fn verify_chain_from(
    connection: &Connection,
    previous: &VerifyReport,
    progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
) -> Result<VerifyReport, StoreError> {
    let hash_at_previous_head = match previous.head_seq {
        0 => None,
        seq => connection
            .prepare_cached("SELECT hash FROM events WHERE seq = ?1")?
            .query_row([seq], |row| row.get::<_, String>(0))
            .optional()?,
    };
    let mut check = ChainCheck::after(previous, hash_at_previous_head.as_deref());
    let mut statement = connection.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq"
    ))?;
    let mut rows = statement.query([check.report.head_seq])?;
    while let Some(row) = rows.next()? {
        if check.row(row, progress)?.is_break() {
            return Ok(check.report);
        }
    }
    Ok(check.finish(progress))
}

/// The hash chain checked row by row, in `seq` order: one check for every back end.
pub(crate) struct ChainCheck {
    pub(crate) report: VerifyReport,
    /// While the chain is intact, the hash of the last good event.
    previous_hash: String,
}

impl ChainCheck {
    /// Goes on from `previous` if the log still holds its head (`hash_at_previous_head` is the
    /// stored hash at `previous.head_seq`, if there is an event there); else checks the whole
    /// chain from the start.
    pub(crate) fn after(
        previous: &VerifyReport,
        hash_at_previous_head: Option<&str>,
    ) -> ChainCheck {
        let still_holds_previous_head =
            previous.head_seq == 0 || hash_at_previous_head == Some(previous.head_hash.as_str());
        let report = match still_holds_previous_head {
            true => previous.clone(),
            false => VerifyReport {
                integrity: previous.integrity.clone(),
                ..VerifyReport::nothing_checked()
            },
        };
        ChainCheck {
            previous_hash: report.head_hash.clone(),
            report,
        }
    }

    /// Checks the next row (the one after `report.head_seq`); breaks when `progress` does.
    pub(crate) fn row(
        &mut self,
        row: &impl Columns,
        progress: &mut dyn FnMut(u64) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, StoreError> {
        let report = &mut self.report;
        let expected_seq = report.checked + 1;
        let seq_of_row = row.integer(0)?;
        report.head_seq = seq_of_row;
        report.head_hash = row
            .text_or_null(12, seq_of_row)
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_owned();
        if report.first_bad_seq.is_none() {
            let problem = match event_from_row(row) {
                Err(StoreError::Corrupt { problem, .. }) => Some(format!("unreadable: {problem}")),
                Err(other) => return Err(other),
                Ok(event) if event.seq != expected_seq => Some(format!(
                    "seq {} follows seq {}: the log has a gap",
                    event.seq,
                    expected_seq - 1
                )),
                Ok(event) if event.prev_hash != self.previous_hash => Some(format!(
                    "prev_hash {} is not the previous event's hash {}",
                    event.prev_hash, self.previous_hash
                )),
                Ok(event) => match event.compute_hash() {
                    Ok(hash) if hash == event.hash => None,
                    Ok(hash) => Some(format!(
                        "stored hash {} does not match the recomputed {hash}: the event was \
                         altered after it was recorded",
                        event.hash
                    )),
                    Err(error) => Some(error.to_string()),
                },
            };
            if let Some(problem) = problem {
                report.first_bad_seq = Some(seq_of_row);
                report.problem = Some(problem);
            }
            self.previous_hash = report.head_hash.clone();
        }
        report.checked += 1;
        if report.checked.is_multiple_of(VERIFY_PROGRESS_EVERY)
            && progress(report.checked).is_break()
        {
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    }

    /// The report once every row was checked.
    pub(crate) fn finish(self, progress: &mut dyn FnMut(u64) -> ControlFlow<()>) -> VerifyReport {
        let _ = progress(self.report.checked);
        self.report
    }
}
