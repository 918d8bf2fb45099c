//! `docs/walkthrough.md` cannot rot: every ```sh block of it is run, in order, in one bash
//! session (`set -euo pipefail`) against the real binary started with `serve --demo`, with
//! `ACTA` and `TOKEN` set as the page tells the reader to set them, and each block's output is
//! compared with the ```text block that follows it. In those blocks "…" stands for any text
//! within a line, and a line holding only "…" for any number of lines.

mod common;

use std::process::Command;

use common::Server;
use serde_json::Value;

const WALKTHROUGH: &str = include_str!("../docs/walkthrough.md");

/// A fenced block of the page: its info string and its text.
struct Block {
    lang: String,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    lang: info.trim().to_owned(),
                    text: String::new(),
                });
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                blocks.push(open.take().unwrap());
            }
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block in the walkthrough");
    blocks
}

/// Each ```sh block with the ```text block after it (before the next ```sh), if any.
fn steps(blocks: &[Block]) -> Vec<(&str, Option<&str>)> {
    let mut steps = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        if block.lang != "sh" {
            continue;
        }
        let expected = blocks[index + 1..]
            .iter()
            .take_while(|next| next.lang != "sh")
            .find(|next| next.lang == "text")
            .map(|next| next.text.as_str());
        steps.push((block.text.as_str(), expected));
    }
    steps
}

/// Whether `line` matches `pattern`, where "…" stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == line;
    }
    if line.len() < first.len() + last.len() || !line.starts_with(first) || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Whether `actual` matches `pattern` line by line, where a line "…" stands for any lines.
fn lines_match(pattern: &[&str], actual: &[&str]) -> bool {
    match pattern.split_first() {
        None => actual.is_empty(),
        Some((&"…", rest)) => (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..])),
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, others)| line_matches(first, line) && lines_match(rest, others)),
    }
}

#[test]
fn the_matcher_reads_ellipses_as_the_page_says() {
    assert!(line_matches("abc", "abc"));
    assert!(!line_matches("abc", "abcd"));
    assert!(line_matches("\"hash\": \"…\",", "\"hash\": \"00ff\","));
    assert!(line_matches(
        "known at …Z -> 48",
        "known at 2026-01-01T00:00:00.000Z -> 48"
    ));
    assert!(!line_matches("known at …Z -> 48", "known at 2026 -> 45"));
    assert!(line_matches("a…b…c", "a-b-c"));
    assert!(!line_matches("ab…ba", "aba"));
    assert!(lines_match(&["{", "…", "}"], &["{", "x", "y", "}"]));
    assert!(lines_match(&["{", "…", "}"], &["{", "}"]));
    assert!(!lines_match(&["{", "…", "}"], &["{", "x"]));
    assert!(!lines_match(&["a", "b"], &["a"]));
}

#[test]
fn the_page_is_written_for_a_fresh_machine() {
    // The start and the two variables the page asks the reader to set.
    assert!(WALKTHROUGH.contains("cargo run --release -- serve --demo"));
    assert!(WALKTHROUGH.contains("export TOKEN="));
    assert!(WALKTHROUGH.contains("export ACTA=http://127.0.0.1:8080"));
    let blocks = blocks(WALKTHROUGH);
    let steps = steps(&blocks);
    assert!(steps.len() >= 10, "the walkthrough has its steps");
    for (commands, expected) in &steps {
        assert!(
            expected.is_some(),
            "every step shows its answer:\n{commands}"
        );
        assert!(!commands.contains("jq"), "no jq on a fresh machine");
        // Every curl fails the step on an HTTP error.
        for (at, _) in commands.match_indices("curl ") {
            assert!(
                commands[at..].starts_with("curl -sS --fail-with-body "),
                "curl without -sS --fail-with-body:\n{commands}"
            );
        }
        assert!(
            !commands.contains("127.0.0.1"),
            "commands use $ACTA:\n{commands}"
        );
    }
}

#[test]
fn every_command_of_the_walkthrough_runs_and_answers_as_shown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &["--demo"]);
    assert_eq!(server.head()["seq"], 52, "--demo loaded the data set");

    let blocks = blocks(WALKTHROUGH);
    let steps = steps(&blocks);
    let marker = |index: usize| format!("@@walkthrough-step-{index}@@");
    let mut script = String::from("set -euo pipefail\n");
    for (index, (commands, _)) in steps.iter().enumerate() {
        script.push_str(commands);
        script.push_str(&format!("printf '\\n%s\\n' '{}'\n", marker(index)));
    }
    let work = tempfile::tempdir().unwrap();
    let output = Command::new("timeout")
        .args(["300", "bash", "-c", &script])
        .current_dir(work.path())
        .env("ACTA", &server.base)
        .env("TOKEN", &server.token)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let stderr = String::from_utf8_lossy(&output.stderr);

    // Cut the output at the markers: one piece per step.
    let mut outputs = Vec::new();
    let mut rest = stdout.as_str();
    for (index, (commands, _)) in steps.iter().enumerate() {
        let cut = format!("\n{}\n", marker(index));
        let Some(at) = rest.find(&cut) else {
            panic!(
                "step {} failed (exit {:?}):\n{commands}\noutput:\n{rest}\nstderr:\n{stderr}",
                index + 1,
                output.status.code()
            );
        };
        outputs.push(rest[..at].trim_end_matches('\n').to_owned());
        rest = &rest[at + cut.len()..];
    }
    assert!(output.status.success(), "{stderr}");
    assert!(rest.is_empty(), "output after the last step: {rest}");

    // Each step answers as the page shows.
    for (index, ((commands, expected), actual)) in steps.iter().zip(&outputs).enumerate() {
        let expected = expected.unwrap_or_default().trim_end_matches('\n');
        let pattern: Vec<&str> = expected.lines().collect();
        let lines: Vec<&str> = actual.lines().collect();
        assert!(
            lines_match(&pattern, &lines),
            "step {} does not answer as the page shows:\n{commands}\nexpected:\n{expected}\nactual:\n{actual}",
            index + 1
        );
    }

    // Spot checks of the key figures, by the command that shows them.
    let output_of = |needle: &str| -> &str {
        let index = steps
            .iter()
            .position(|(commands, _)| commands.contains(needle))
            .unwrap_or_else(|| panic!("no step runs {needle}"));
        &outputs[index]
    };
    // The 2015 plan, awaiting approval at the report's date.
    let plan: Value =
        serde_json::from_str(output_of("/v1/plans/dn-kh-2015?as_of=2015-05-17")).unwrap();
    assert_eq!(plan["status"], "submitted");
    assert_eq!(plan["approval"], Value::Null);
    // The report's total, spelled out.
    assert!(
        output_of("\"$ACTA/v1/funding\"")
            .contains("total budget 1276000000 = Một tỷ hai trăm bảy mươi sáu triệu đồng")
    );
    // The end of 2012: 90 million.
    assert!(output_of("/v1/funding?as_of=2012-12-31").contains("90000000 = Chín mươi triệu đồng"));
    // The report's two errors.
    let findings = output_of("/v1/reconciliation?as_of=2015-05-17");
    assert!(
        findings.contains("words_mismatch     dn-sxsh    expected 1276000000, actual 1198085000")
    );
    assert!(findings.contains("breakdown_mismatch dn-sxsh    expected 160, actual 156"));
    assert_eq!(
        findings.matches("error").count(),
        2,
        "two errors:\n{findings}"
    );
    // The training and its correction, recorded as the page says.
    let training_id = "01K0DN2015TRA1N1NG00000001";
    let (status, training) = server.get(&format!("/v1/events/{training_id}"));
    assert_eq!(status, 200);
    assert_eq!(training["seq"], 53);
    assert_eq!(
        training["data"]["participants"], 48,
        "the stored event is never changed"
    );
    let (status, correction) = server.get("/v1/events/01K0DN2015C0RRECT10N000001");
    assert_eq!(status, 200);
    assert_eq!(correction["type"], "event.corrected");
    assert_eq!(correction["data"]["target"], training_id);
    // known_at: the uncorrected figure at the training's instant, the corrected one after.
    let known = output_of("known_at=$KNOWN_AT");
    let known: Vec<&str> = known.lines().collect();
    assert_eq!(known.len(), 2, "{known:?}");
    let recorded = |event: &Value| event["recorded_at"].as_str().unwrap().to_owned();
    assert_eq!(
        known[0],
        format!(
            "known at {} -> 48 people trained in 2015",
            recorded(&training)
        )
    );
    assert_eq!(
        known[1],
        format!(
            "known at {} -> 45 people trained in 2015",
            recorded(&correction)
        )
    );
    assert!(recorded(&training) < recorded(&correction));
    // The chain holds, with the two new events.
    let verify: Value = serde_json::from_str(output_of("/v1/verify")).unwrap();
    assert_eq!(verify["ok"], true);
    assert_eq!(verify["checked"], 54);
    assert_eq!(verify["head"], {
        let head = server.head();
        serde_json::json!({"seq": head["seq"], "hash": head["hash"]})
    });
}
