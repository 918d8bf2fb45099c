//! The command line of CONTRACT §4.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::sync::Arc;

use acta_events::{
    CivilDate, Database, Instant, Log, LogOptions, PlanKey, Role, StoreError, Tokens,
};

use crate::checkpoints;
use crate::clock;
use crate::http::auth::{FIRST_ADMIN_NAME, first_admin_token};
use crate::http::{AppState, limits, serve};
use crate::live::Live;
use crate::verifier::Verifier;
use crate::verify_cli::{ExpectedHead, integrity_check_name, parse_expected_head, verify};

#[derive(Parser)]
#[command(
    name = "acta",
    version,
    about = "The record of a public programme: what was decided, done and spent — and the proof of it."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--db` of a command that only reads: the database must exist (a missing file is refused,
/// never created).
#[derive(clap::Args, Clone)]
struct ReadDbArg {
    /// The database to read: a SQLite file (a path or a sqlite: URL; it must exist: nothing is
    /// created), or a PostgreSQL database (postgres://user@host/dbname). A server may be
    /// using it.
    #[arg(long, default_value = "acta.db")]
    db: Database,
}

/// `--db` of a command that writes: `serve` and `import` create a missing SQLite file.
#[derive(clap::Args, Clone)]
struct DbArg {
    /// The database: a SQLite file (a path or a sqlite: URL; created if missing), or a
    /// PostgreSQL database (postgres://user@host/dbname), which several instances may share.
    #[arg(long, default_value = "acta.db")]
    db: Database,
}

/// `--db` of `acta token`: the tokens of an existing database (a missing file is refused,
/// never created).
#[derive(clap::Args, Clone)]
struct TokenDbArg {
    /// The database whose tokens these are: a SQLite file (a path or a sqlite: URL; it must
    /// exist: nothing is created), or a PostgreSQL database (postgres://user@host/dbname). A
    /// server may be using it.
    #[arg(long, default_value = "acta.db")]
    db: Database,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API and the web page (at /).
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// First load the bundled Đồng Nai 2009–2015 data set into an empty database.
        #[arg(long)]
        demo: bool,
        /// Log one line per request on stderr (target acta::access): method, path, the names of
        /// the query's parameters, status, duration, the token's name.
        #[arg(long)]
        access_log: bool,
        /// The key checkpoints are signed with (made at the first start, readable by its owner
        /// only). Default: DB.signing-key beside a SQLite file; in the database on PostgreSQL.
        #[arg(long, value_name = "FILE")]
        signing_key: Option<PathBuf>,
        #[command(flatten)]
        limits: ServeLimits,
    },
    /// Append request-shaped events from a JSON Lines file (`-` for stdin); idempotent by id.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The JSON Lines file, or `-` for standard input.
        file: PathBuf,
        /// The name recorded as the events' actor.
        #[arg(long, default_value = "import")]
        actor: PlanKey,
    },
    /// Manage access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print plan status, funding, the yearly summary and the findings as tables (or JSON).
    Report {
        #[command(flatten)]
        db: ReadDbArg,
        /// Only events that took effect on or before this date (YYYY-MM-DD).
        #[arg(long)]
        as_of: Option<CivilDate>,
        /// The record as it was known at this instant (RFC 3339, or a date: the end of that day).
        #[arg(long)]
        known_at: Option<Instant>,
        /// Only this plan and the plans below it.
        #[arg(long)]
        plan: Option<PlanKey>,
        /// Print one JSON object with the four answers instead of tables (`--format json`).
        #[arg(long)]
        json: bool,
        /// text: the tables under the statement's header; json: the four answers; html: the
        /// dated statement as one self-contained HTML file, to print or keep.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// The language of the text, the statement and the findings' messages: vi or en.
        #[arg(long, default_value = "vi")]
        lang: acta_messages::Lang,
    },
    /// Measure this disk and acta against SQLite's own limit, in one run.
    Bench {
        /// Events in the generated national-scale record.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Seed of the generated record (the same seed gives the same record).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory on the disk to measure; a temporary directory is made inside it.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Seconds each timed phase (appends, time travel, live reads) runs.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Print the figures as one JSON object.
        #[arg(long)]
        json: bool,
        /// Only write the generated record to this file (JSON Lines, for `acta import`) and stop.
        #[arg(long)]
        write_workload: Option<PathBuf>,
        /// Measure a PostgreSQL server instead of SQLite on --dir: a postgres:// URL allowed to
        /// create databases (the bench makes its own and drops them after).
        #[arg(long, value_name = "POSTGRES_URL")]
        db: Option<Database>,
    },
    /// Write every stored event as JSON Lines, in seq order, to stdout; or, with
    /// `--format hledger`, the money of the record as an hledger journal.
    Export {
        #[command(flatten)]
        db: ReadDbArg,
        /// `jsonl` (every stored event, the default) or `hledger` (allocations and
        /// disbursements as an hledger journal; see docs/ledger.md).
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// hledger only: only acts that took effect on or before this date (YYYY-MM-DD).
        #[arg(long)]
        as_of: Option<CivilDate>,
        /// hledger only: the record as it was known at this instant (RFC 3339, or a date: the
        /// end of that day).
        #[arg(long)]
        known_at: Option<Instant>,
        /// hledger only: only this plan and the plans below it.
        #[arg(long)]
        plan: Option<PlanKey>,
    },
    /// Check the database file and the hash chain: exit 0 when sound, 1 saying what is not.
    Verify {
        #[command(flatten)]
        db: ReadDbArg,
        /// Print the report as JSON (the shape of GET /v1/verify).
        #[arg(long)]
        json: bool,
        /// Check the file with SQLite's full integrity_check (every index against its table)
        /// rather than quick_check.
        #[arg(long)]
        full: bool,
        /// The head this copy must reach, as SEQ:HASH (from GET /v1/head or an earlier verify):
        /// exit 1 if the copy is behind it or holds another event at that seq.
        #[arg(long, value_name = "SEQ:HASH", value_parser = parse_expected_head)]
        expect_head: Option<ExpectedHead>,
        /// A signed checkpoint saved earlier (GET /v1/checkpoint): exit 1 unless it verifies and
        /// the log still holds it and extends it (naming the first seq that differs).
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The verifier key to check the checkpoint with (GET /v1/checkpoint/key), rather than
        /// the key where `serve` keeps it.
        #[arg(long, value_name = "VKEY", requires = "checkpoint")]
        key: Option<String>,
        /// Where `serve` keeps the signing key, if it was given --signing-key.
        #[arg(long, value_name = "FILE", requires = "checkpoint")]
        signing_key: Option<PathBuf>,
    },
}

/// The limits of `acta serve` on slow, many and non-reading clients (docs/DESIGN.md, "What
/// bounds memory under load?").
#[derive(clap::Args)]
struct ServeLimits {
    /// Seconds a client has to send a request's head, from when the server waits for it.
    #[arg(long, value_name = "SECS", default_value_t = serve::HEADER_TIMEOUT_SECS_DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a connection may do nothing (no request, no byte either way) before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = serve::IDLE_TIMEOUT_SECS_DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout_secs: u64,
    /// Seconds a request body is given beyond what its size needs at --body-min-bytes-per-sec;
    /// slower is 408.
    #[arg(long, value_name = "SECS", default_value_t = serve::BODY_TIMEOUT_SECS_DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// The slowest a request body may come once its grace is spent, in bytes a second.
    #[arg(long, value_name = "BYTES", default_value_t = serve::BODY_BYTES_PER_SEC_MIN_DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    body_min_bytes_per_sec: u64,
    /// Seconds an answer may make no progress into its socket before the connection is dropped.
    #[arg(long, value_name = "SECS", default_value_t = serve::WRITE_TIMEOUT_SECS_DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    write_timeout_secs: u64,
    /// KiB of each connection's kernel send buffer (what the kernel takes of an answer before
    /// the client reads it); 0 leaves it to the kernel's own sizing.
    #[arg(long, value_name = "KIB", default_value_t = serve::SEND_BUFFER_KIB_DEFAULT as u64,
          value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    send_buffer_kib: u64,
    /// Connections open at once; beyond it a connection is answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = serve::CONNECTIONS_MAX_DEFAULT as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Requests handled at once, until their answer is written; beyond it 503 at once.
    #[arg(long, value_name = "N", default_value_t = serve::REQUESTS_IN_FLIGHT_MAX_DEFAULT as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_requests_in_flight: u64,
    /// MiB of answers held for clients that have not read them yet; a read beyond it is 503.
    #[arg(long, value_name = "MIB", default_value_t = limits::ANSWER_BUDGET_MIB_DEFAULT as u64,
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    answer_budget_mib: u64,
    /// Heavy reads (projections with as_of or known_at, pages of the log, verification) one
    /// token may have in flight; beyond it 429.
    #[arg(long, value_name = "N", default_value_t = limits::HEAVY_READS_PER_TOKEN_DEFAULT as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    heavy_reads_per_token: u64,
    /// Seconds requests in progress are given to finish after SIGTERM or Ctrl-C.
    #[arg(long, value_name = "SECS", default_value_t = serve::SHUTDOWN_GRACE_SECS_DEFAULT,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    shutdown_grace_secs: u64,
}

impl ServeLimits {
    fn options(&self) -> serve::ServeOptions {
        let secs = std::time::Duration::from_secs;
        let count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        serve::ServeOptions {
            header_timeout: secs(self.header_timeout_secs),
            idle_timeout: secs(self.idle_timeout_secs),
            body_timeout: secs(self.body_timeout_secs),
            body_bytes_per_sec_min: self.body_min_bytes_per_sec,
            write_timeout: secs(self.write_timeout_secs),
            send_buffer_bytes: (self.send_buffer_kib > 0)
                .then(|| count(self.send_buffer_kib).saturating_mul(1024)),
            connections_max: count(self.max_connections),
            requests_in_flight_max: count(self.max_requests_in_flight),
            shutdown_grace: secs(self.shutdown_grace_secs),
        }
    }

    fn reads(&self) -> limits::ReadLimits {
        let count = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        limits::ReadLimits::new(
            count(self.answer_budget_mib).saturating_mul(1 << 20),
            count(self.heavy_reads_per_token),
        )
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (one line, nothing else on stdout). It is shown only once.
    Create {
        #[command(flatten)]
        db: TokenDbArg,
        /// The token's name: recorded as the actor of every event it records.
        #[arg(long)]
        name: PlanKey,
        /// admin (everything), recorder (append and read) or auditor (read only).
        #[arg(long)]
        role: Role,
    },
    /// List the tokens: name, role, when each was made and revoked. Never a token: those are
    /// shown once, when made, and only their hashes are kept.
    List {
        #[command(flatten)]
        db: TokenDbArg,
    },
    /// Revoke the token named NAME: it stops working at once (a running server notices within
    /// a second). Its name stays taken, as the actor of what it recorded.
    Revoke {
        #[command(flatten)]
        db: TokenDbArg,
        /// The token's name (see `acta token list`).
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            db,
            addr,
            demo,
            access_log,
            signing_key,
            limits,
        } => serve(
            &db.db,
            addr,
            demo,
            access_log,
            signing_key.as_deref(),
            &limits,
        ),
        Command::Import { db, file, actor } => crate::import::import(&db.db, &file, &actor),
        Command::Export {
            db,
            format,
            as_of,
            known_at,
            plan,
        } => match format.as_str() {
            "jsonl" if as_of.is_none() && known_at.is_none() && plan.is_none() => export(&db.db),
            "jsonl" => Err(
                "--as-of, --known-at and --plan go with --format hledger: the JSON \
                 Lines export is every stored event"
                    .to_owned(),
            ),
            "hledger" => export_hledger(&db.db, as_of, known_at, plan),
            other => Err(format!(
                "unknown --format {}: write jsonl or hledger",
                acta_events::fields::quoted(other)
            )),
        },
        Command::Bench {
            events,
            seed,
            write_workload: Some(file),
            ..
        } => crate::bench::generate(&file, events, seed).map(|()| ExitCode::SUCCESS),
        Command::Bench {
            events,
            seed,
            dir,
            seconds,
            json,
            write_workload: None,
            db,
        } => bench_server(db)
            .and_then(|postgres| {
                crate::bench::run(&crate::bench::BenchOptions {
                    events,
                    seed,
                    dir,
                    phase_seconds: seconds,
                    json,
                    postgres,
                })
            })
            .map(|()| ExitCode::SUCCESS),
        Command::Report {
            db,
            as_of,
            known_at,
            plan,
            json,
            format,
            output,
            lang,
        } => {
            let format = if json { ReportFormat::Json } else { format };
            let query = ReportQuery {
                as_of,
                known_at,
                plan,
                lang,
            };
            report(&db.db, query, format, output.as_deref())
        }
        Command::Token { command } => match command {
            TokenCommand::Create { db, name, role } => {
                crate::tokens_cli::create(&db.db, &name, role)
            }
            TokenCommand::List { db } => crate::tokens_cli::list(&db.db),
            TokenCommand::Revoke { db, name } => crate::tokens_cli::revoke(&db.db, &name),
        },
        Command::Verify {
            db,
            json,
            full,
            expect_head,
            checkpoint,
            key,
            signing_key,
        } => verify(
            &db.db,
            json,
            full,
            expect_head,
            checkpoint.map(|file| checkpoints::CheckpointArgs {
                file,
                key,
                signing_key,
            }),
        ),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("acta: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the log with live projections: every stored event is folded in at open (the cold
/// start), then every commit as it happens.
fn open_log_with_record(database: &Database) -> Result<(Log, Arc<Live>), String> {
    let live = Live::new();
    let options = LogOptions {
        clock: clock::system(),
        on_commit: Some(live.commit_hook()),
        bulk: false,
    };
    let log = live
        .replaying(|replay| Log::open_with_replay(database, options, replay))
        .map_err(|error| format!("cannot open {database}: {error}"))?;
    Ok((log, live))
}

/// Opens an existing database to read it only, beside a running server if there is one.
fn open_read_only(
    database: &Database,
    on_replay: Option<acta_events::store::CommitHook>,
) -> Result<Log, String> {
    Log::open_read_only(database, on_replay)
        .map_err(|error| format!("cannot read {database}: {error}"))
}

fn serve(
    database: &Database,
    addr: SocketAddr,
    demo: bool,
    access_log: bool,
    signing_key: Option<&Path>,
    limits: &ServeLimits,
) -> Result<ExitCode, String> {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "acta=info,tower_http=warn".into());
    if access_log {
        // Asked for on the command line: shown whatever RUST_LOG says of the rest.
        filter = filter.add_directive("acta::access=info".parse().expect("a valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours for a person at a terminal, plain lines for a log file or a collector.
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .init();
    // The address first: a busy port is said at once, before the database is opened (or
    // created) and the demo loaded.
    let runtime = tokio::runtime::Runtime::new().map_err(|error| error.to_string())?;
    let listener = {
        let _entered = runtime.enter();
        serve::bind(addr).map_err(|error| cannot_listen(addr, &error))?
    };
    let started = std::time::Instant::now();
    let existed = database.sqlite_path().is_none_or(Path::exists);
    let (log, record) = open_log_with_record(database)?;
    if !existed {
        eprintln!("acta: no database at {database}: created a new, empty record there");
    }
    let head = log.head().map_err(|error| error.to_string())?;
    eprintln!(
        "acta: {} events loaded into the projections in {} ms",
        head.seq,
        started.elapsed().as_millis()
    );
    // The file is checked before anything is written to it; the chain, which only warns, is
    // checked once the server listens (`verify_at_start`).
    let problems = log
        .integrity_check(false)
        .map_err(|error| error.to_string())?;
    if !problems.is_empty() {
        let cause = format!(
            "the database {database} is damaged ({}: {}); appends are refused until it is \
             repaired or restored from a backup, reads go on",
            integrity_check_name(database, false),
            problems.join("; ")
        );
        eprintln!("acta: WARNING: {cause}");
        log.refuse_writes(cause);
    }
    if demo {
        crate::demo::load(
            &log,
            head.seq,
            acta_events::Instant::from_timestamp(clock::system()())
                .date_utc()
                .into(),
        )
        .map_err(|error| format!("cannot load the demo data set: {error}"))?;
    }
    // Beside the log, not through `Tokens::open`, which would open the file again.
    let tokens =
        Tokens::open_beside(&log).map_err(|error| format!("cannot open {database}: {error}"))?;
    let key_place = checkpoints::key_place(database, signing_key);
    let (key, created) = checkpoints::load_or_create_key(&key_place)?;
    let checkpoints = checkpoints::Checkpoints::start(log.clone(), key, |built| match built {
        Ok((events, took)) => eprintln!(
            "acta: the Merkle tree of {events} events was built in {} ms",
            took.as_millis()
        ),
        Err(error) => eprintln!("acta: WARNING: cannot build the Merkle tree: {error}"),
    })
    .map_err(|error| format!("cannot read the events' hashes for checkpoints: {error}"))?;
    eprintln!(
        "acta: checkpoints are signed with the key in {key_place}{}; its verifier key is\n  {}",
        if created { " (made now)" } else { "" },
        checkpoints.verifier(),
    );
    let verifier = Verifier::start(log.clone(), None)
        .map_err(|error| format!("cannot start the verification thread: {error}"))?;
    let state = AppState {
        log,
        tokens: Arc::new(tokens),
        live: record,
        verifier: Arc::new(verifier),
        access_log,
        clock: clock::system(),
        reads: Arc::new(limits.reads()),
        checkpoints: Some(checkpoints),
    };
    if let Some(token) = first_admin_token(&state).map_err(|error| error.to_string())? {
        eprintln!(
            "acta: this database had no tokens, so an admin token named \"{FIRST_ADMIN_NAME}\" was \
             created. It is printed below, once; keep it safe."
        );
        println!("{token}");
        eprintln!(
            "acta: make tokens for staff and auditors with\n  acta token create --db {database} --name NAME --role recorder|auditor\nor POST /v1/tokens with this admin token; see them with acta token list, revoke one with acta token revoke NAME."
        );
    }
    runtime.block_on(async move {
        let local = listener.local_addr().map_err(|error| error.to_string())?;
        eprintln!("acta: serving {database} on http://{local}");
        tokio::spawn(verify_at_start(
            Arc::clone(&state.verifier),
            database.to_string(),
        ));
        let verifier = Arc::clone(&state.verifier);
        let live = Arc::clone(&state.live);
        let answers = Arc::clone(&state.reads.answers);
        serve::serve(
            listener,
            crate::http::app(state),
            answers,
            limits.options(),
            shutdown_signal(verifier, live),
        )
        .await
        .map_err(|error| error.to_string())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Verifies the chain once the server listens, as the first round of `GET /v1/verify` (which
/// keeps it, so later rounds read only the events after it), and warns if it is broken. It ran
/// before listening once, and at 5,000,000 events on PostgreSQL it took as long as loading them
/// while nothing waited for it: a broken chain is served anyway, and reported.
async fn verify_at_start(verifier: Arc<Verifier>, database: String) {
    let started = std::time::Instant::now();
    match verifier.report().await {
        Ok(report) => match (report.first_bad_seq, &report.problem) {
            (Some(seq), Some(problem)) => eprintln!(
                "acta: WARNING: the hash chain of {database} is broken at seq {seq}: {problem}. \
                 Serving anyway; GET /v1/verify reports the damage."
            ),
            _ => eprintln!(
                "acta: the hash chain of {} events verified in {} ms",
                report.checked,
                started.elapsed().as_millis()
            ),
        },
        Err(error) => eprintln!("acta: the chain was not verified at start: {error}"),
    }
}

/// Why `serve` cannot listen on `addr`, with the way out when the port is taken.
fn cannot_listen(addr: SocketAddr, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::AddrInUse => {
            let mut other = addr;
            other.set_port(addr.port().wrapping_add(1).max(1));
            format!(
                "cannot listen on {addr}: another program (another acta serve?) is listening \
                 there. Stop it, or choose another address with --addr {other} (--addr {}:0 \
                 takes any free port)",
                match addr.ip() {
                    std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                    ip => ip.to_string(),
                }
            )
        }
        _ => format!("cannot listen on {addr}: {error}; choose another address with --addr"),
    }
}

/// Waits for Ctrl-C or SIGTERM, then stops a running verification and ends the event streams:
/// shutdown waits for the requests in flight, and a caller of `GET /v1/verify` is answered
/// `503` at once rather than after the whole log is hashed, while a stream, which never ends by
/// itself, ends now (its client reconnects elsewhere, or later, from its last id).
async fn shutdown_signal(verifier: Arc<Verifier>, live: Arc<Live>) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("can listen for SIGTERM");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    eprintln!("acta: shutting down");
    verifier.stop();
    live.feed.close();
}

/// What `acta report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Html,
}

/// The point in time and the plan `acta report` is asked for.
struct ReportQuery {
    as_of: Option<CivilDate>,
    known_at: Option<Instant>,
    plan: Option<PlanKey>,
    lang: acta_messages::Lang,
}

fn report(
    database: &Database,
    asked: ReportQuery,
    format: ReportFormat,
    output: Option<&Path>,
) -> Result<ExitCode, String> {
    let live = Live::new();
    let log = live
        .replaying(|replay| Log::open_read_only_with_replay(database, replay))
        .map_err(|error| format!("cannot read {database}: {error}"))?;
    let record = live.record();
    if let Some(plan) = &asked.plan
        && !record.plan_known(plan)
    {
        return Err(format!("plan {plan} is not registered"));
    }
    let now = acta_events::Instant::from_timestamp(clock::system()());
    let query = acta_projections::Query {
        as_of: asked.as_of,
        known_at: asked.known_at,
        plan: asked.plan.clone(),
        today: now.date_utc().into(),
    };
    let report = crate::report::Report::of(&record, &query, asked.lang);
    let header = crate::statement::Header {
        as_of: asked.as_of,
        known_at: asked.known_at,
        plan: asked.plan,
        head: log
            .head()
            .map_err(|error| format!("cannot read {database}: {error}"))?,
        produced_at: now,
    };
    let text = match format {
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report).map_err(|error| error.to_string())? + "\n"
        }
        ReportFormat::Text => crate::statement::text_header(&report, &header) + &report.render(),
        ReportFormat::Html => report.statement_html(&header),
    };
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?,
        None => write_stdout(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to standard output; a reader that has gone (`acta report | head -1`) ends the
/// writing quietly, as it would for any Unix filter, instead of a panic.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if !reader_gone(&error) => {
            Err(format!("cannot write to standard output: {error}"))
        }
        _ => Ok(()),
    }
}

/// A reader that has gone (`acta export | head -1`): the writing ends quietly, with exit 0, as
/// `acta report`'s does.
fn reader_gone(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
}

fn export(database: &Database) -> Result<ExitCode, String> {
    let log = open_read_only(database, None)?;
    let stdout = io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    let mut gone = false;
    let scanned = log.scan(0, &mut |events| {
        for event in events {
            let written = serde_json::to_writer(&mut out, &event.to_json())
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out));
            if let Err(error) = written {
                gone = reader_gone(&error);
                return Err(StoreError::Io(format!(
                    "cannot write seq {}: {error}",
                    event.seq
                )));
            }
        }
        Ok(())
    });
    // What was written before a damaged row is kept: flush it, then say where export stopped.
    match out.flush() {
        Err(error) if reader_gone(&error) => gone = true,
        Err(error) => return Err(format!("cannot write to standard output: {error}")),
        Ok(()) => {}
    }
    if gone {
        return Ok(ExitCode::SUCCESS);
    }
    scanned.map_err(|error| format!("{error}; `acta verify` tells what is damaged"))?;
    Ok(ExitCode::SUCCESS)
}

/// The PostgreSQL server `acta bench --db` names, if any: SQLite is measured on `--dir`.
fn bench_server(db: Option<Database>) -> Result<Option<String>, String> {
    match db {
        None => Ok(None),
        Some(Database::Postgres(url)) => Ok(Some(url)),
        Some(Database::Sqlite(_)) => {
            Err("acta bench --db takes a postgres:// URL; SQLite is measured on --dir".into())
        }
    }
}

/// `acta export --format hledger`: every stored event is read into the ledger's reader as the
/// log opens, then the journal is written for the query (`crate::ledger`).
fn export_hledger(
    database: &Database,
    as_of: Option<CivilDate>,
    known_at: Option<Instant>,
    plan: Option<PlanKey>,
) -> Result<ExitCode, String> {
    let reader = crate::ledger::LedgerReader::default();
    let _log = open_read_only(database, Some(reader.hook()))?;
    let query = acta_projections::Query {
        as_of,
        known_at,
        plan,
        today: acta_events::Instant::from_timestamp(clock::system()())
            .date_utc()
            .into(),
    };
    let journal = reader.journal(&query)?;
    write_stdout(journal.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
