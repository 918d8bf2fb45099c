//! `acta verify`: the database's own check and the hash chain, reported for a person or as
//! JSON, and whether the log reaches a head an auditor saw earlier (`--expect-head`).

use std::process::ExitCode;

use indicatif::ProgressBar;

use acta_events::{Database, Log};

use crate::checkpoints;

/// The database's own check of what it stores, as messages name it.
pub fn integrity_check_name(database: &Database, full: bool) -> &'static str {
    match (database, full) {
        (Database::Sqlite(_), false) => "quick_check",
        (Database::Sqlite(_), true) => "integrity_check",
        (Database::Postgres(_), _) => "head and log agree",
    }
}

/// A head an auditor saw earlier (`--expect-head SEQ:HASH`).
#[derive(Debug, Clone)]
pub struct ExpectedHead {
    seq: u64,
    hash: String,
}

pub fn parse_expected_head(text: &str) -> Result<ExpectedHead, String> {
    let (seq, hash) = text
        .split_once(':')
        .ok_or("write it as SEQ:HASH, e.g. 42:3f9a…(64 hex)")?;
    let seq: u64 = seq
        .parse()
        .map_err(|_| format!("SEQ must be a whole number, got {seq:?}"))?;
    if seq == 0 {
        return Err("SEQ must be 1 or more".into());
    }
    if hash.len() != 64
        || !hash
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err("HASH must be 64 lowercase hex characters".into());
    }
    Ok(ExpectedHead {
        seq,
        hash: hash.to_owned(),
    })
}

/// Whether the log reaches `expected`: `None` when it holds that very event at that seq, else
/// why not.
fn check_expected_head(log: &Log, expected: &ExpectedHead) -> Result<Option<String>, String> {
    let head = log.head().map_err(|error| error.to_string())?;
    if head.seq < expected.seq {
        return Ok(Some(format!(
            "this copy is BEHIND the expected head: it ends at seq {} but seq {} was expected \
             ({} events missing). A copy taken with `cp` without its -wal file, or a restore \
             from an older backup, looks like this",
            head.seq,
            expected.seq,
            expected.seq - head.seq
        )));
    }
    let filter = acta_events::EventFilter {
        after_seq: expected.seq - 1,
        limit: 1,
        plan: None,
        event_type: None,
    };
    let found = log.events(&filter).map_err(|error| error.to_string())?;
    match found.first() {
        Some(event) if event.seq == expected.seq && event.hash == expected.hash => Ok(None),
        Some(event) if event.seq == expected.seq => Ok(Some(format!(
            "this copy DIVERGES from the expected head: seq {} has hash {}, not {}",
            event.seq, event.hash, expected.hash
        ))),
        _ => Ok(Some(format!(
            "this copy has no readable event at seq {}",
            expected.seq
        ))),
    }
}

pub fn verify(
    database: &Database,
    json: bool,
    full: bool,
    expect_head: Option<ExpectedHead>,
    checkpoint: Option<checkpoints::CheckpointArgs>,
) -> Result<ExitCode, String> {
    let log = Log::open_read_only(database, None)
        .map_err(|error| format!("cannot read {database}: {error}"))?;
    let progress = ProgressBar::new_spinner();
    let check = integrity_check_name(database, full);
    progress.set_message(format!("{check} of the database"));
    let report = log
        .verify_with(full, &mut |checked| {
            progress.set_message(format!("{checked} events checked"))
        })
        .map_err(|error| error.to_string())?;
    progress.finish_and_clear();
    let behind = match &expect_head {
        Some(expected) => check_expected_head(&log, expected)?,
        None => None,
    };
    let saved = match &checkpoint {
        Some(args) => Some(checkpoints::check_saved_checkpoint(
            database,
            &log,
            args,
            report.first_bad_seq,
        )?),
        None => None,
    };
    if json {
        let mut answer = crate::http::events_verify_json(&report);
        if let Some(expected) = &expect_head {
            answer["expected_head"] = serde_json::json!({
                "seq": expected.seq,
                "hash": expected.hash,
                "reached": behind.is_none(),
                "problem": behind,
            });
        }
        if let Some(saved) = &saved {
            answer["checkpoint"] = serde_json::json!({
                "origin": saved.checkpoint.origin,
                "size": saved.checkpoint.size,
                "head_seq": saved.head_seq,
                "ok": saved.problem.is_none(),
                "first_bad_seq": saved.first_bad_seq,
                "problem": saved.problem,
            });
        }
        println!("{answer}");
    } else {
        let what = match database {
            Database::Sqlite(_) => "file",
            Database::Postgres(_) => "database",
        };
        match report.integrity.problems.as_slice() {
            [] => println!("{what} sound ({check}: ok)"),
            problems => {
                println!("{what} DAMAGED ({check}):");
                for problem in problems {
                    println!("  {problem}");
                }
                println!(
                    "  Restore from a backup taken with `sqlite3 DB .backup`, `VACUUM INTO`, \
                     pg_dump or `acta export`; see docs/DESIGN.md"
                );
            }
        }
        if let (Some(seq), Some(problem)) = (report.first_bad_seq, &report.problem) {
            println!("chain BROKEN at seq {seq}: {problem}");
            println!(
                "checked {} events; head seq {} hash {}",
                report.checked, report.head_seq, report.head_hash
            );
        } else if let Some(problem) = &report.problem {
            println!("chain UNREADABLE: {problem}");
        } else {
            println!(
                "chain intact: {} events; head seq {} hash {}",
                report.checked, report.head_seq, report.head_hash
            );
        }
        match (&expect_head, &behind) {
            (Some(expected), None) => println!(
                "expected head reached: seq {} hash {}",
                expected.seq, expected.hash
            ),
            (_, Some(problem)) => println!("{problem}"),
            (None, None) => {}
        }
        if let Some(saved) = &saved {
            match &saved.problem {
                None => println!(
                    "checkpoint of {} (size {}) verified: the log holds it and its {} events \
                     extend it (consistency proof checked)",
                    saved.checkpoint.origin, saved.checkpoint.size, saved.head_seq
                ),
                Some(problem) => println!("checkpoint FAILED: {problem}"),
            }
        }
    }
    let checkpoint_ok = saved.as_ref().is_none_or(|saved| saved.problem.is_none());
    Ok(if report.ok() && behind.is_none() && checkpoint_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
