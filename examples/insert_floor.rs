//! What SQLite itself can insert into acta's schema, with its indexes, on this disk: the floor
//! under `acta import`. `insert_floor RECORD.jsonl DIR` (a record from
//! `acta bench --write-workload`) inserts the record's rows, rendered beforehand, three ways:
//! into the bench baseline's table (an integer key and a text body) 1,000 per transaction, and
//! into acta's `events` table 1,000 and 10,000 per transaction. Nothing is checked or hashed:
//! only SQLite's work is timed.
use std::collections::HashMap;
use std::time::Instant;

struct Row {
    line: String,
    id: String,
    event_type: String,
    plan: String,
    version: i64,
    occurred_on: String,
    data: String,
    evidence: Option<String>,
    target: Option<String>,
}

fn rows(record: &str) -> Vec<Row> {
    let mut versions: HashMap<String, i64> = HashMap::new();
    std::fs::read_to_string(record)
        .expect("a record")
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            let text = |key: &str| event[key].as_str().unwrap_or_default().to_owned();
            let plan = text("plan");
            let version = versions.entry(plan.clone()).or_default();
            *version += 1;
            Row {
                line: line.to_owned(),
                id: text("id"),
                event_type: text("type"),
                plan,
                version: *version,
                occurred_on: text("occurred_on"),
                data: event["data"].to_string(),
                evidence: event.get("evidence").map(|evidence| evidence.to_string()),
                target: event["data"]["target"].as_str().map(str::to_owned),
            }
        })
        .collect()
}

fn connection(path: &std::path::Path) -> rusqlite::Connection {
    let connection = acta_events::store::open_connection(path).expect("a database");
    connection
        .pragma_update(None, "cache_size", -64 * 1024)
        .unwrap();
    connection
}

fn timed(label: &str, count: usize, work: impl FnOnce()) -> f64 {
    let started = Instant::now();
    work();
    let rate = count as f64 / started.elapsed().as_secs_f64();
    println!("{label:<48} {rate:>10.0} rows/s");
    rate
}

fn main() {
    let mut args = std::env::args().skip(1);
    let record = args.next().expect("usage: insert_floor RECORD.jsonl DIR");
    let dir = tempfile::tempdir_in(args.next().unwrap_or_else(|| ".".into())).unwrap();
    let rows = rows(&record);
    let baseline = {
        let connection = connection(&dir.path().join("baseline.db"));
        connection
            .execute_batch("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .unwrap();
        let lines: Vec<&str> = rows.iter().map(|row| row.line.as_str()).collect();
        timed("baseline table, 1,000 per transaction", rows.len(), || {
            acta::bench::insert_bodies(&connection, &lines, 1000).unwrap();
        })
    };
    for per_transaction in [1000, 10_000] {
        let mut connection = connection(&dir.path().join(format!("acta-{per_transaction}.db")));
        acta_events::schema::migrate(&mut connection).unwrap();
        let label = format!("acta's events table, {per_transaction} per transaction");
        let rate = timed(&label, rows.len(), || {
            for (chunk_index, chunk) in rows.chunks(per_transaction).enumerate() {
                let transaction = connection.unchecked_transaction().unwrap();
                let mut insert = transaction
                    .prepare_cached(
                        "INSERT INTO events (seq, id, type, plan, version, occurred_on, \
                         date_precision, recorded_at, actor, data, evidence, prev_hash, hash, \
                         target) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'day', \
                         '2026-11-28T12:00:00.000Z', 'import', ?7, ?8, ?9, ?10, ?11)",
                    )
                    .unwrap();
                for (index, row) in chunk.iter().enumerate() {
                    let seq = (chunk_index * per_transaction + index + 1) as i64;
                    insert
                        .execute(rusqlite::params![
                            seq,
                            row.id,
                            row.event_type,
                            row.plan,
                            row.version,
                            row.occurred_on,
                            row.data,
                            row.evidence,
                            format!("{:064x}", seq - 1),
                            format!("{seq:064x}"),
                            row.target,
                        ])
                        .unwrap();
                }
                drop(insert);
                transaction.commit().unwrap();
            }
        });
        println!("{:<48} {:>10.2}× the baseline table", "", rate / baseline);
    }
}
