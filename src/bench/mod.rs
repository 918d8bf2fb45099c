//! `acta bench`: what this disk and acta can do, measured against SQLite's own limit on the same
//! disk in the same run (like PostgreSQL's `pg_test_fsync`).
//!
//! Phases, each on a temporary database in `--dir`:
//! 1. the baseline: raw rusqlite with acta's settings — one insert per transaction, 1,000 per
//!    transaction, and a full scan that decodes JSON and folds a sum by year;
//! 2. `acta import` of the generated record;
//! 3. rebuild: opening that database with every projection ready (the cold start);
//! 4. the real server (this binary, `serve`) on that database: durable appends over HTTP with 1,
//!    16 and 64 clients; time-travel queries; live reads with 16 clients; its peak RSS.
//!
//! With `--db postgres://…` the same phases run on databases the bench makes (and drops) on that
//! PostgreSQL server, against that server's own limits (`postgres.rs`), and the appends run
//! again over two instances on one database.

mod figures;
mod postgres;
pub mod workload;

use figures::{Figures, figures_json, figures_table};

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// What to run.
pub struct BenchOptions {
    pub events: usize,
    pub seed: u64,
    pub dir: PathBuf,
    pub phase_seconds: u64,
    pub json: bool,
    /// A PostgreSQL server to measure instead of SQLite on `dir` (a `postgres://` URL allowed
    /// to create databases).
    pub postgres: Option<String>,
}

pub fn run(options: &BenchOptions) -> Result<(), String> {
    std::fs::create_dir_all(&options.dir)
        .map_err(|error| format!("cannot use {}: {error}", options.dir.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("acta-bench-")
        .tempdir_in(&options.dir)
        .map_err(|error| {
            format!(
                "cannot make a directory in {}: {error}",
                options.dir.display()
            )
        })?;
    let mut figures = Figures {
        events: options.events,
        backend: match options.postgres {
            Some(_) => "PostgreSQL",
            None => "SQLite",
        },
        ..Figures::default()
    };
    let say = |message: &str| eprintln!("acta bench: {message}");

    say(&format!(
        "generating {} events (seed {})",
        options.events, options.seed
    ));
    let record_file = scratch.path().join("record.jsonl");
    generate(&record_file, options.events, options.seed)?;

    let pg_database = match &options.postgres {
        Some(server) => {
            say("baseline: raw PostgreSQL on this server");
            let lines: Vec<String> = std::fs::read_to_string(&record_file)
                .map_err(|error| error.to_string())?
                .lines()
                .map(str::to_owned)
                .collect();
            let measured = postgres::baseline(server, &lines, options.phase_seconds)
                .map_err(|error| format!("baseline: {error}"))?;
            let eps = |(events, took): (usize, Duration)| rate(events, took);
            figures.baseline_insert_per_tx_eps = eps(measured.insert_per_tx);
            figures.baseline_batch_1000_eps = eps(measured.batch_1000);
            figures.baseline_scan_fold_eps = eps(measured.scan_fold);
            Some(postgres::ScratchDatabase::create(server, "acta")?)
        }
        None => {
            say("baseline: raw SQLite on this disk");
            baseline(scratch.path(), &record_file, options, &mut figures)
                .map_err(|error| format!("baseline: {error}"))?;
            None
        }
    };

    say("import");
    let db: std::ffi::OsString = match &pg_database {
        Some(database) => database.url.clone().into(),
        None => scratch.path().join("acta.db").into(),
    };
    let log_database: acta_events::Database = db
        .to_str()
        .ok_or("the scratch directory's path is not UTF-8")?
        .parse()?;
    let started = Instant::now();
    let imported = Command::new(std::env::current_exe().map_err(|error| error.to_string())?)
        .args(["import", "--db"])
        .arg(&db)
        .arg(&record_file)
        .stderr(Stdio::piped())
        .output()
        .map_err(|error| format!("cannot run import: {error}"))?;
    if !imported.status.success() {
        return Err(format!(
            "import of the generated record failed: {}",
            String::from_utf8_lossy(&imported.stderr).trim()
        ));
    }
    figures.import_eps = rate(options.events, started.elapsed());

    say("rebuild (cold start)");
    let started = Instant::now();
    let mut record = acta_projections::Record::default();
    let log = acta_events::Log::open_read_only_with_replay(&log_database, &mut |event| {
        record.replay(event)
    })
    .map_err(|error| error.to_string())?;
    figures.rebuild_eps = rate(options.events, started.elapsed());
    drop(log);
    drop(record);

    say("starting the server");
    let mut server = BenchServer::start(&db, None)?;
    let result = measure_server(&server, options, &mut figures);
    figures.peak_rss_bytes = server.peak_rss_bytes();
    let mut appended = result?;
    if pg_database.is_some() {
        say("a second instance on the same database");
        let mut second = BenchServer::start(&db, Some(&server.token))?;
        let result = measure_two_instances(&server, &second, options, &mut figures);
        figures.peak_rss_bytes = figures.peak_rss_bytes.max(second.peak_rss_bytes());
        second.stop();
        appended += result?;
    }
    server.stop();
    let db_bytes: u64 = match &pg_database {
        Some(database) => database.size_bytes()?,
        None => ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| {
                let mut name = db.clone();
                name.push(suffix);
                std::fs::metadata(name).ok()
            })
            .map(|metadata| metadata.len())
            .sum(),
    };
    let stored_events = options.events + appended;
    figures.db_bytes_per_event = db_bytes as f64 / stored_events.max(1) as f64;

    if options.json {
        println!("{}", figures_json(&figures));
    } else {
        print!("{}", figures_table(&figures));
    }
    Ok(())
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Writes the generated record of `events` events to `path` as JSON Lines.
pub fn generate(path: &Path, events: usize, seed: u64) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|error| error.to_string())?;
    let mut out = BufWriter::new(file);
    let mut failure = None;
    workload::Workload::new(seed).generate(events, &mut |event| {
        if failure.is_none()
            && let Err(error) = writeln!(out, "{event}")
        {
            failure = Some(error.to_string());
        }
    });
    out.flush().map_err(|error| error.to_string())?;
    failure.map_or(Ok(()), Err)
}

/// The baseline's bulk insert: each of `bodies` as a row of the table `events (seq INTEGER
/// PRIMARY KEY, body TEXT NOT NULL)`, `per_transaction` rows a transaction. Also timed by
/// `examples/insert_floor.rs`, beside acta's own table.
pub fn insert_bodies(
    connection: &rusqlite::Connection,
    bodies: &[impl AsRef<str>],
    per_transaction: usize,
) -> Result<(), rusqlite::Error> {
    for chunk in bodies.chunks(per_transaction) {
        let transaction = connection.unchecked_transaction()?;
        {
            let mut insert = transaction.prepare_cached("INSERT INTO events (body) VALUES (?1)")?;
            for body in chunk {
                insert.execute([body.as_ref()])?;
            }
        }
        transaction.commit()?;
    }
    Ok(())
}

/// Raw rusqlite with acta's settings (WAL, `synchronous=FULL`), on the same disk.
fn baseline(
    dir: &Path,
    record_file: &Path,
    options: &BenchOptions,
    figures: &mut Figures,
) -> Result<(), rusqlite::Error> {
    let connection = rusqlite::Connection::open(dir.join("baseline.db"))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute_batch(
        "CREATE TABLE one (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
         CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )?;
    let lines: Vec<String> = std::fs::read_to_string(record_file)
        .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?
        .lines()
        .map(str::to_owned)
        .collect();

    // One insert per transaction, for a fixed time: bounded by fsyncs per second.
    let deadline = Instant::now() + Duration::from_secs(options.phase_seconds);
    let started = Instant::now();
    let mut inserted = 0;
    while Instant::now() < deadline {
        connection.execute(
            "INSERT INTO one (body) VALUES (?1)",
            [&lines[inserted % lines.len()]],
        )?;
        inserted += 1;
    }
    figures.baseline_insert_per_tx_eps = rate(inserted, started.elapsed());

    // 1,000 inserts per transaction, the whole record.
    let started = Instant::now();
    insert_bodies(&connection, &lines, 1000)?;
    figures.baseline_batch_1000_eps = rate(lines.len(), started.elapsed());

    // Scan, decode the JSON, fold a sum of amounts by year.
    let started = Instant::now();
    let mut sums: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
    let mut statement = connection.prepare("SELECT body FROM events ORDER BY seq")?;
    let mut rows = statement.query([])?;
    let mut scanned = 0;
    while let Some(row) = rows.next()? {
        let body: String = row.get(0)?;
        if let Ok(event) = serde_json::from_str::<Value>(&body) {
            let year = event["occurred_on"]
                .as_str()
                .and_then(|d| d.get(0..4))
                .and_then(|y| y.parse().ok())
                .unwrap_or(0);
            *sums.entry(year).or_default() += event["data"]["amount"].as_u64().unwrap_or(0);
        }
        scanned += 1;
    }
    figures.baseline_scan_fold_eps = rate(scanned, started.elapsed());
    std::hint::black_box(sums);
    Ok(())
}

/// This binary's `serve` on the benchmark database.
struct BenchServer {
    child: Child,
    base: String,
    token: String,
}

impl BenchServer {
    /// Starts `serve` on `db`; a first start prints the admin token, a later one (a second
    /// instance) is given it.
    fn start(db: &std::ffi::OsStr, token: Option<&str>) -> Result<BenchServer, String> {
        let mut child = Command::new(std::env::current_exe().map_err(|error| error.to_string())?)
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .env("RUST_LOG", "acta=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot start the server: {error}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let token = match token {
            Some(token) => token.to_owned(),
            None => BufReader::new(stdout)
                .lines()
                .next()
                .and_then(Result::ok)
                .ok_or("the server printed no admin token")?,
        };
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let line = lines
                .next()
                .and_then(Result::ok)
                .ok_or("the server stopped before listening")?;
            if let Some(address) = line.split(" on http://").nth(1) {
                break format!("http://{}", address.trim());
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(BenchServer { child, base, token })
    }

    /// The server's high-water mark of resident memory, from `/proc` (Linux).
    fn peak_rss_bytes(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with("VmHWM:"))
                    .and_then(|line| line.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse::<u64>().ok())
            })
            .map_or(0, |kib| kib * 1024)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request of a load phase.
struct Call {
    method: reqwest::Method,
    url: String,
    body: Option<String>,
}

/// Makes the request a worker sends on its `call`-th turn: (worker index, call number).
type MakeCall = dyn Fn(usize, u64) -> Call + Send + Sync;

/// A GET whose answer is read as JSON.
fn get_json(url: &str, bearer: &str) -> Result<Value, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async {
        reqwest::Client::new()
            .get(url)
            .header("authorization", bearer)
            .send()
            .await
            .map_err(|error| error.to_string())?
            .json::<Value>()
            .await
            .map_err(|error| error.to_string())
    })
}

/// Runs `clients` concurrent clients for `seconds`, each on its own connection sending
/// `make_call`'s requests one after another; every answer must have a status in `accept`.
/// Returns the requests completed, every latency and the time taken.
///
/// All clients run as tasks on one thread (an async client on a single-threaded runtime), so
/// the load generator takes at most one of the machine's cores and leaves the other to the
/// server; per request it costs far less than a thread per client would.
fn load(
    clients: usize,
    seconds: u64,
    bearer: &str,
    accept: &'static [u16],
    make_call: Arc<MakeCall>,
) -> Result<(usize, Vec<Duration>, Duration), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    let bearer = bearer.to_owned();
    runtime.block_on(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut workers = tokio::task::JoinSet::new();
        for worker in 0..clients {
            let make_call = Arc::clone(&make_call);
            let bearer = bearer.clone();
            // A client per worker: a connection per worker, as separate clients would have.
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .map_err(|error| error.to_string())?;
            workers.spawn(async move {
                let mut latencies = Vec::new();
                let mut call = 0u64;
                while tokio::time::Instant::now() < deadline {
                    let Call { method, url, body } = make_call(worker, call);
                    let mut request = client
                        .request(method, &url)
                        .header("authorization", &bearer);
                    if let Some(body) = body {
                        request = request
                            .header("content-type", "application/json")
                            .body(body);
                    }
                    let began = Instant::now();
                    let response = request.send().await.map_err(|error| error.to_string())?;
                    let status = response.status().as_u16();
                    let answer = response.bytes().await.map_err(|error| error.to_string())?;
                    latencies.push(began.elapsed());
                    if !accept.contains(&status) {
                        let said =
                            String::from_utf8_lossy(&answer[..answer.len().min(500)]).into_owned();
                        return Err(format!("{url} answered {status}: {said}"));
                    }
                    call += 1;
                }
                Ok::<_, String>(latencies)
            });
        }
        let mut latencies = Vec::new();
        while let Some(worker) = workers.join_next().await {
            latencies.extend(worker.map_err(|error| error.to_string())??);
        }
        Ok((latencies.len(), latencies, started.elapsed()))
    })
}

fn percentile_ms(latencies: &mut [Duration], percent: usize) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    latencies.sort_unstable();
    let index = (latencies.len() * percent / 100).min(latencies.len() - 1);
    latencies[index].as_secs_f64() * 1000.0
}

/// Measures everything that needs the running server; returns how many events it appended.
fn measure_server(
    server: &BenchServer,
    options: &BenchOptions,
    figures: &mut Figures,
) -> Result<usize, String> {
    let say = |message: &str| eprintln!("acta bench: {message}");
    let mut appended = 0;
    let base = server.base.clone();
    let bearer = format!("Bearer {}", server.token);

    for clients in [1usize, 16, 64] {
        say(&format!("durable appends over HTTP, {clients} client(s)"));
        let (count, mut latencies, elapsed) =
            appends(&[&base], clients, options.phase_seconds, &bearer)?;
        let eps = rate(count, elapsed);
        let p50 = percentile_ms(&mut latencies, 50);
        let p99 = percentile_ms(&mut latencies, 99);
        match clients {
            1 => {
                (
                    figures.append_c1_eps,
                    figures.append_c1_p50_ms,
                    figures.append_c1_p99_ms,
                ) = (eps, p50, p99)
            }
            16 => (figures.append_c16_eps, figures.append_c16_p99_ms) = (eps, p99),
            _ => (figures.append_c64_eps, figures.append_c64_p99_ms) = (eps, p99),
        }
        appended += count;
    }

    say("time travel: random as_of and known_at, one client");
    let recorded_ms = |event: &Value| {
        event["recorded_at"]
            .as_str()
            .and_then(|at| at.parse::<jiff::Timestamp>().ok())
            .map_or(0, |at| at.as_millisecond())
    };
    let last_ms = recorded_ms(&get_json(&format!("{base}/v1/head"), &bearer)?);
    let first_ms =
        recorded_ms(&get_json(&format!("{base}/v1/events?limit=1"), &bearer)?["events"][0]);
    let travel_base = base.clone();
    let seed = options.seed;
    let travel = Arc::new(move |_worker: usize, call: u64| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ call);
        let year = rng.random_range(2010..=2025);
        let as_of = format!(
            "{year}-{:02}-{:02}",
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        );
        let known_ms = rng.random_range(first_ms..=last_ms.max(first_ms));
        let known_at = jiff::Timestamp::from_millisecond(known_ms)
            .map(|at| format!("{at:.3}"))
            .unwrap_or_default();
        let province = rng.random_range(0..workload::PROVINCES);
        let path = match call % 3 {
            0 => format!("/v1/funding?as_of={as_of}&known_at={known_at}"),
            1 => format!("/v1/summaries/yearly?as_of={as_of}&known_at={known_at}"),
            _ => format!("/v1/plans/p{province:02}-kh-2010-2030?as_of={as_of}&known_at={known_at}"),
        };
        Call {
            method: reqwest::Method::GET,
            url: format!("{travel_base}{path}"),
            body: None,
        }
    });
    // A plan not yet registered as known at that instant is a real answer too (404).
    let (_, mut latencies, _) = load(1, options.phase_seconds, &bearer, &[200, 404], travel)?;
    figures.time_travel_p50_ms = percentile_ms(&mut latencies, 50);
    figures.time_travel_p99_ms = percentile_ms(&mut latencies, 99);

    say("live reads: GET /v1/funding, 16 clients");
    let url = format!("{base}/v1/funding");
    let live = Arc::new(move |_worker: usize, _call: u64| Call {
        method: reqwest::Method::GET,
        url: url.clone(),
        body: None,
    });
    let (count, _, elapsed) = load(16, options.phase_seconds, &bearer, &[200], live)?;
    figures.live_reads_c16_rps = rate(count, elapsed);
    Ok(appended)
}

/// Durable appends for `seconds` by `clients` clients, client `i` sending to `bases[i % n]`.
fn appends(
    bases: &[&str],
    clients: usize,
    seconds: u64,
    bearer: &str,
) -> Result<(usize, Vec<Duration>, Duration), String> {
    let urls: Vec<String> = bases
        .iter()
        .map(|base| format!("{base}/v1/events"))
        .collect();
    let append = Arc::new(move |worker: usize, call: u64| {
        let province = (worker + call as usize) % workload::PROVINCES;
        let year = 2010 + (call % 16) as i64;
        let event = json!({"type": "funds.planned", "plan": workload::annual_plan(province, year),
                           "occurred_on": format!("{year}-06-30"),
                           "data": {"fiscal_year": year, "source": "local", "amount": 1_000_000 + call}});
        Call {
            method: reqwest::Method::POST,
            url: urls[worker % urls.len()].clone(),
            body: Some(event.to_string()),
        }
    });
    load(clients, seconds, bearer, &[201], append)
}

/// Appends with 1, 16 and 64 clients spread over two instances on one database; returns how
/// many events they appended.
fn measure_two_instances(
    first: &BenchServer,
    second: &BenchServer,
    options: &BenchOptions,
    figures: &mut Figures,
) -> Result<usize, String> {
    let bearer = format!("Bearer {}", first.token);
    let mut appended = 0;
    for clients in [1usize, 16, 64] {
        eprintln!("acta bench: durable appends over two instances, {clients} client(s)");
        let bases = [first.base.as_str(), second.base.as_str()];
        let (count, mut latencies, elapsed) =
            appends(&bases, clients, options.phase_seconds, &bearer)?;
        let eps = rate(count, elapsed);
        match clients {
            1 => figures.two_instances_c1_eps = eps,
            16 => figures.two_instances_c16_eps = eps,
            _ => {
                figures.two_instances_c64_eps = eps;
                figures.two_instances_c64_p99_ms = percentile_ms(&mut latencies, 99);
            }
        }
        appended += count;
    }
    Ok(appended)
}
