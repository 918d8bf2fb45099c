//! acta on a PostgreSQL server that stops under load: requests fail with a clear `503` (never a
//! hang, never a `201` for what is not stored), and the instance recovers by itself when the
//! server is back. The test runs a cluster of its own (Debian's PostgreSQL: `initdb`, `pg_ctl`),
//! so that stopping it disturbs no other test. Without PostgreSQL installed it says it was
//! skipped, except in CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Server, funds, register};
use serde_json::Value;

/// A PostgreSQL cluster in a temporary directory, on a port of its own.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

/// `command` run as the cluster's owner: PostgreSQL refuses to run as root, so as root it runs
/// as the `postgres` user that Debian's package makes.
fn as_owner(command: &Path) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0\n"));
    match is_root {
        true => {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", "postgres", "--"]).arg(command);
            runuser
        }
        false => Command::new(command),
    }
}

fn run(mut command: Command) {
    let output = command.output().expect("the PostgreSQL tools run");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Cluster {
    /// Makes and starts a cluster, or `None` (skipped) where PostgreSQL is not installed.
    fn start() -> Option<Cluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists())
            .max();
        let Some(bin) = bin else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but PostgreSQL is not installed: .ci/run installs it"
            );
            eprintln!("SKIPPED: PostgreSQL is not installed (apt-get install postgresql)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // The cluster's owner must reach its directory.
        let _ = Command::new("chown")
            .args(["postgres"])
            .arg(dir.path())
            .output();
        let mut initdb = as_owner(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            "acta",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]);
        run(initdb);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            bin,
            data,
            port,
            _dir: dir,
        };
        cluster.start_again();
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://acta@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) {
        let mut pg_ctl = as_owner(&self.bin.join("pg_ctl"));
        pg_ctl.arg("-D").arg(&self.data).args(args);
        run(pg_ctl);
    }

    fn start_again(&self) {
        let log = self.data.with_file_name("log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.data.parent().unwrap().display()
        );
        self.pg_ctl(&["-w", "-l", log.to_str().unwrap(), "-o", &options, "start"]);
    }

    fn stop(&self) {
        self.pg_ctl(&["-w", "-m", "fast", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut pg_ctl = as_owner(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"]);
        let _ = pg_ctl.output();
    }
}

/// One append's answer, and how long it took.
struct Answer {
    id: String,
    status: u16,
    body: Value,
    took: Duration,
}

#[test]
fn a_database_that_stops_under_load_is_503_then_the_instance_recovers_by_itself() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let server = Server::start_new(Path::new(&cluster.url()), &[]);
    let (status, body) = server.post("/v1/events", &register("ben-vung", None));
    assert_eq!(status, 201, "{body}");

    let answers = Mutex::new(Vec::new());
    let stopping = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let (answers, server, stopping) = (&answers, &server, &stopping);
            scope.spawn(move || {
                let mut append = 0;
                while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    let amount = writer * 1000 + append + 1;
                    let mut event = funds("funds.allocated", "ben-vung", 2013, amount);
                    let id = common::new_id();
                    event["id"] = id.clone().into();
                    let started = Instant::now();
                    let (status, body) = server.post("/v1/events", &event);
                    answers.lock().unwrap().push(Answer {
                        id,
                        status,
                        body,
                        took: started.elapsed(),
                    });
                    append += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        std::thread::sleep(Duration::from_millis(800));
        cluster.stop();
        std::thread::sleep(Duration::from_millis(1500));
        // While the database is down, reads of the log fail clearly too.
        let (status, problem) = server.get("/v1/head");
        assert_eq!(status, 503, "{problem}");
        cluster.start_again();
        // The instance recovers by itself: appends succeed again without a restart.
        let recovered = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            answers
                .lock()
                .unwrap()
                .last()
                .is_some_and(|answer| answer.status == 201)
        });
        stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(recovered, "appends succeed again once the database is back");
    });

    let answers = answers.into_inner().unwrap();
    let refused: Vec<&Answer> = answers
        .iter()
        .filter(|answer| answer.status != 201)
        .collect();
    assert!(!refused.is_empty(), "some appends met the stopped database");
    for answer in &answers {
        assert!(
            answer.status == 201 || answer.status == 503,
            "{} {}",
            answer.status,
            answer.body
        );
        assert!(answer.took < Duration::from_secs(45), "no request hangs");
    }
    for answer in &refused {
        common::assert_problem_shape(answer.status, &answer.body);
    }
    let events = server.all_events();
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], index as u64 + 1, "no gap");
    }
    let stored: std::collections::HashSet<&str> = events
        .iter()
        .map(|event| event["id"].as_str().unwrap())
        .collect();
    for answer in &answers {
        let is_stored = stored.contains(answer.id.as_str());
        match answer.status {
            201 => assert!(is_stored, "an acknowledged event is stored"),
            _ => {
                let detail = answer.body["detail"].as_str().unwrap_or_default();
                // Only a connection lost during COMMIT leaves the outcome open, and says so.
                if !detail.contains("may or may not be stored") {
                    assert!(!is_stored, "a refused event is not stored: {detail}");
                }
            }
        }
    }
    let (status, report) = server.get("/v1/verify");
    assert_eq!(
        (status, report["ok"].as_bool()),
        (200, Some(true)),
        "{report}"
    );
    eprintln!(
        "{} appends: {} acknowledged, {} refused while the database was down",
        answers.len(),
        answers.len() - refused.len(),
        refused.len()
    );
}
