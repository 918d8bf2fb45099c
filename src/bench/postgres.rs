//! `acta bench --db postgres://…`: the baseline of the PostgreSQL server the URL names — one
//! client's single-row insert transactions and 1,000-row transactions, as acta's own writer
//! would need them — and the databases the bench makes there and drops after.

use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

/// What the baseline measured: events and the time they took, for each of its three phases.
pub struct Baseline {
    pub insert_per_tx: (usize, Duration),
    pub batch_1000: (usize, Duration),
    pub scan_fold: (usize, Duration),
}

/// A database of the bench's own on the server of `url`, dropped when this is dropped.
pub struct ScratchDatabase {
    server: String,
    name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub fn create(server: &str, purpose: &str) -> Result<ScratchDatabase, String> {
        let name = format!(
            "acta_bench_{purpose}_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let url = acta_events::store::postgres::create_database(server, &name)
            .map_err(|error| format!("cannot make a database for the bench: {error}"))?;
        Ok(ScratchDatabase {
            server: server.to_owned(),
            name,
            url,
        })
    }

    /// The database's size on disk, in bytes (`pg_database_size`).
    pub fn size_bytes(&self) -> Result<u64, String> {
        let mut client = connect(&self.url)?;
        let size: i64 = client
            .query_one("SELECT pg_database_size(current_database())", &[])
            .map_err(|error| error.to_string())?
            .get(0);
        Ok(u64::try_from(size).unwrap_or(0))
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = connect(&self.server) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn connect(url: &str) -> Result<Client, String> {
    Client::connect(url, NoTls).map_err(|error| format!("cannot connect to PostgreSQL: {error}"))
}

/// PostgreSQL's own limits on this machine, with the server's settings as they are: one insert
/// per transaction for a fixed time from one client, then the whole record 1,000 rows per
/// transaction. Rows are the events' JSON text, in a table with a primary key like acta's.
pub fn baseline(server: &str, lines: &[String], seconds: u64) -> Result<Baseline, String> {
    let database = ScratchDatabase::create(server, "baseline")?;
    let mut client = connect(&database.url)?;
    let failed = |error: postgres::Error| error.to_string();
    client
        .batch_execute(
            "CREATE TABLE one (seq BIGSERIAL PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE events (seq BIGINT PRIMARY KEY, body TEXT NOT NULL);",
        )
        .map_err(failed)?;
    let insert_one = client
        .prepare("INSERT INTO one (body) VALUES ($1)")
        .map_err(failed)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut inserted = 0;
    while Instant::now() < deadline {
        client
            .execute(&insert_one, &[&lines[inserted % lines.len()]])
            .map_err(failed)?;
        inserted += 1;
    }
    let insert_per_tx = (inserted, started.elapsed());

    let insert = client
        .prepare("INSERT INTO events (seq, body) VALUES ($1, $2)")
        .map_err(failed)?;
    let started = Instant::now();
    for (chunk_index, chunk) in lines.chunks(1000).enumerate() {
        let mut transaction = client.transaction().map_err(failed)?;
        for (offset, line) in chunk.iter().enumerate() {
            let seq = (chunk_index * 1000 + offset + 1) as i64;
            transaction
                .execute(&insert, &[&seq, line])
                .map_err(failed)?;
        }
        transaction.commit().map_err(failed)?;
    }
    let batch_1000 = (lines.len(), started.elapsed());

    // Scan, decode the JSON, fold a sum of amounts by year.
    let started = Instant::now();
    let mut sums: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
    let rows = client
        .query("SELECT body FROM events ORDER BY seq", &[])
        .map_err(failed)?;
    for row in &rows {
        let body: &str = row.get(0);
        if let Ok(event) = serde_json::from_str::<serde_json::Value>(body) {
            let year = event["occurred_on"]
                .as_str()
                .and_then(|d| d.get(0..4))
                .and_then(|y| y.parse().ok())
                .unwrap_or(0);
            *sums.entry(year).or_default() += event["data"]["amount"].as_u64().unwrap_or(0);
        }
    }
    let scan_fold = (rows.len(), started.elapsed());
    std::hint::black_box(sums);
    Ok(Baseline {
        insert_per_tx,
        batch_1000,
        scan_fold,
    })
}
