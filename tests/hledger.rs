//! `acta export --format hledger` read by the real hledger: `hledger check --strict` accepts the
//! journal (its balance assertions included), and `hledger balance` per fiscal year and source
//! equals `GET /v1/funding` for the same `as_of`, `known_at` and `plan` — on the demo record,
//! with a correction added, and on a generated one. hledger is found on `PATH` (`.ci/run`
//! installs Debian's package); without it the tests are skipped, except under `CI=true`, where
//! they fail.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{BINARY, Server, acta};
use serde_json::{Value, json};

/// Whether hledger can be run; under CI its absence is a failure, not a skip.
fn hledger_present() -> bool {
    let found = Command::new("hledger")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "hledger is not on PATH: CI must have it (`apt-get install -y hledger`, as .ci/run does)"
        );
        eprintln!("hledger is not on PATH: skipping (apt-get install -y hledger)");
    }
    found
}

/// The journal `acta export --format hledger` writes for `args`, in a file beside `db`.
fn export(db: &Path, args: &[&str], name: &str) -> std::path::PathBuf {
    let mut command = vec![
        "export",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "hledger",
    ];
    command.extend_from_slice(args);
    let output = acta(&command);
    assert!(
        output.status.success(),
        "acta {command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = db.with_file_name(format!("{name}.journal"));
    std::fs::write(&path, &output.stdout).unwrap();
    path
}

fn hledger(journal: &Path, args: &[&str]) -> String {
    let output = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(args)
        .output()
        .expect("hledger runs");
    assert!(
        output.status.success(),
        "hledger {args:?} refused {}:\n{}\n{}",
        journal.display(),
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(journal).unwrap_or_default()
    );
    String::from_utf8(output.stdout).unwrap()
}

/// (figure, fiscal year, source) → amount, from `hledger balance --depth 3 -O csv`: each
/// account `figure:year:source` holds the plans' accounts below it.
fn balances(journal: &Path) -> BTreeMap<(String, i64, String), i128> {
    let csv = hledger(journal, &["balance", "--depth", "3", "-E", "-O", "csv"]);
    let mut balances = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').map(|cell| cell.trim_matches('"')).collect();
        let [account, balance] = cells[..] else {
            panic!("not two cells: {line}")
        };
        if account == "total" {
            continue;
        }
        let parts: Vec<&str> = account.split(':').collect();
        let [figure, year, source] = parts[..] else {
            panic!("not figure:year:source: {account}")
        };
        let amount = match balance {
            "0" => 0,
            _ => balance
                .strip_suffix(" VND")
                .unwrap_or_else(|| panic!("not in VND: {balance}"))
                .parse()
                .unwrap_or_else(|_| panic!("not a whole number of đồng: {balance}")),
        };
        balances.insert(
            (figure.to_owned(), year.parse().unwrap(), source.to_owned()),
            amount,
        );
    }
    balances
}

/// The same figures from `GET /v1/funding`'s `by_year`: allocated as the allocation accounts
/// hold it (negated), unspent in `budget`, disbursed, planned. Rows of zeros are left out on
/// both sides.
fn funding_balances(funding: &Value) -> BTreeMap<(String, i64, String), i128> {
    let mut balances = BTreeMap::new();
    for row in funding["by_year"].as_array().unwrap() {
        let year = row["fiscal_year"].as_i64().unwrap();
        let source = row["source"].as_str().unwrap().to_owned();
        let figure = |name: &str| i128::from(row[name].as_i64().unwrap());
        for (account, amount) in [
            ("allocated", -figure("allocated")),
            ("budget", figure("unspent")),
            ("disbursed", figure("disbursed")),
            ("planned", figure("planned")),
        ] {
            balances.insert((account.to_owned(), year, source.clone()), amount);
        }
    }
    balances
}

fn without_zeros(
    balances: BTreeMap<(String, i64, String), i128>,
) -> BTreeMap<(String, i64, String), i128> {
    balances
        .into_iter()
        .filter(|(_, amount)| *amount != 0)
        .collect()
}

/// For each query: the journal passes `hledger check --strict`, and its balances per fiscal
/// year and source are the funding answer's.
fn assert_journals_match_funding(server: &Server, queries: &[Vec<(&str, String)>]) {
    for (index, query) in queries.iter().enumerate() {
        let mut args = Vec::new();
        let mut params = Vec::new();
        for (name, value) in query {
            args.push(format!("--{}", name.replace('_', "-")));
            args.push(value.clone());
            params.push(format!("{name}={value}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let journal = export(&server.db, &args, &format!("query-{index}"));
        hledger(&journal, &["check", "--strict"]);
        let (status, funding) = server.get(&format!("/v1/funding?{}", params.join("&")));
        assert_eq!(status, 200, "{funding}");
        let expected = without_zeros(funding_balances(&funding));
        assert_eq!(
            without_zeros(balances(&journal)),
            expected,
            "hledger's balances against GET /v1/funding for {query:?}"
        );
        if index == 0 {
            assert!(!expected.is_empty(), "the first query sees funding");
        }
    }
}

#[test]
fn the_demo_record_as_a_journal_checks_and_balances_to_funding() {
    if !hledger_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let server = Server::start_new(&db, &["--demo"]);
    let (_, page) = server.get("/v1/events?limit=1000&type=funds.disbursed");
    let disbursements = page["events"].as_array().unwrap().clone();
    let first = &disbursements[0];
    let known_before = server.head()["recorded_at"].as_str().unwrap().to_owned();
    // A correction recorded after the demo: the journal as known before it and after it.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut data = first["data"].clone();
    data["amount"] = json!(data["amount"].as_i64().unwrap() + 1_000_000);
    let (status, correction) = server.post(
        "/v1/events",
        &json!({"type": "event.corrected", "plan": first["plan"], "occurred_on": "2015-12-31",
                "data": {"target": first["id"], "reason": "Sửa số liệu", "data": data}}),
    );
    assert_eq!(status, 201, "{correction}");

    let queries = vec![
        vec![],
        vec![("as_of", "2013-12-31".to_owned())],
        vec![("known_at", known_before.clone())],
        vec![
            ("known_at", known_before),
            ("as_of", "2014-12-31".to_owned()),
        ],
        vec![("plan", "dn-kh-2014".to_owned())],
    ];
    assert_journals_match_funding(&server, &queries);

    // Every funding act is one transaction whose tags name its seq, id and hash.
    let journal = export(&db, &[], "tags");
    let (_, page) = server.get("/v1/events?limit=1000");
    for event in page["events"].as_array().unwrap() {
        if !event["type"].as_str().unwrap().starts_with("funds.") {
            continue;
        }
        let query = format!("tag:seq=^{}$", event["seq"]);
        let printed = hledger(&journal, &["print", &query]);
        assert_eq!(printed.matches("seq:").count(), 1, "{printed}");
        for tag in [
            format!("id:{}", event["id"].as_str().unwrap()),
            format!("hash:{}", event["hash"].as_str().unwrap()),
        ] {
            assert!(printed.contains(&tag), "{tag} in {printed}");
        }
    }
    let corrected = hledger(&journal, &["print", "tag:corrected"]);
    assert!(
        corrected.contains(&format!("id:{}", first["id"].as_str().unwrap())),
        "{corrected}"
    );
}

#[test]
fn a_generated_record_as_a_journal_checks_and_balances_to_funding() {
    if !hledger_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    let workload = dir.path().join("workload.jsonl");
    let generated = acta(&[
        "bench",
        "--write-workload",
        workload.to_str().unwrap(),
        "--events",
        "4000",
        "--seed",
        "12",
    ]);
    assert!(generated.status.success(), "{generated:?}");
    let imported = acta(&[
        "import",
        "--db",
        db.to_str().unwrap(),
        workload.to_str().unwrap(),
    ]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let server = Server::start_new(&db, &[]);
    let (_, page) = server.get("/v1/events?after=2000&limit=1");
    let middle = page["events"][0]["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let queries = vec![
        vec![],
        vec![("as_of", "2016-06-30".to_owned())],
        vec![("known_at", middle.clone())],
        vec![("known_at", middle), ("as_of", "2020-12-31".to_owned())],
        vec![("plan", "p01-sxsh".to_owned())],
    ];
    assert_journals_match_funding(&server, &queries);
}

#[test]
fn an_unknown_format_or_plan_is_one_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acta.db");
    drop(Server::start_new(&db, &[]));
    let db = db.to_str().unwrap();
    for (args, says) in [
        (vec!["--format", "xml"], "unknown --format \"xml\""),
        (
            vec!["--format", "hledger", "--plan", "nope"],
            "plan nope is not registered",
        ),
        (vec!["--as-of", "2014-12-31"], "go with --format hledger"),
    ] {
        let output = Command::new(BINARY)
            .args(["export", "--db", db])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?} wrote nothing");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // An empty record is an empty journal that hledger accepts.
    if hledger_present() {
        let journal = export(Path::new(db), &[], "empty");
        hledger(&journal, &["check", "--strict"]);
    }
}
