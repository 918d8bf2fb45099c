//! Times the cold start (rebuild) on an existing database: `rebuild_time DB [runs] [old|BASE_DB]`.
//! With a path to a database of the bench baseline's table, times the baseline's scan first.
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Time this thread has spent on a CPU: the machine is shared, so wall time is noisy.
fn cpu() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    text.split_whitespace()
        .next()
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1e9
}

fn main() {
    let mut args = std::env::args().skip(1);
    let db = std::path::PathBuf::from(args.next().expect("DB"));
    let runs: usize = args.next().map_or(1, |n| n.parse().unwrap());
    let mode = args.next();
    let old = mode.as_deref() == Some("old");
    for _ in 0..runs {
        if let Some(base) = mode.as_deref().filter(|mode| *mode != "old") {
            let connection = rusqlite::Connection::open(base).unwrap();
            let started = Instant::now();
            let cpu_started = cpu();
            let mut sums: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
            let mut statement = connection
                .prepare("SELECT body FROM events ORDER BY seq")
                .unwrap();
            let mut rows = statement.query([]).unwrap();
            let mut scanned = 0;
            while let Some(row) = rows.next().unwrap() {
                let body: String = row.get(0).unwrap();
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&body) {
                    let year = event["occurred_on"]
                        .as_str()
                        .and_then(|d| d.get(0..4))
                        .and_then(|y| y.parse().ok())
                        .unwrap_or(0);
                    *sums.entry(year).or_default() += event["data"]["amount"].as_u64().unwrap_or(0);
                }
                scanned += 1;
            }
            let elapsed = started.elapsed();
            let on_cpu = cpu() - cpu_started;
            println!(
                "baseline: {scanned} events in {:.3} s = {:.0} events/s; on CPU {on_cpu:.3} s = {:.0} events/s",
                elapsed.as_secs_f64(),
                scanned as f64 / elapsed.as_secs_f64(),
                scanned as f64 / on_cpu,
            );
        }
        let started = Instant::now();
        let cpu_started = cpu();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (log, record) = if old {
            let record = Arc::new(Mutex::new(acta_projections::Record::default()));
            let fed = Arc::clone(&record);
            let counted = Arc::clone(&count);
            let hook: acta_events::store::CommitHook = Arc::new(move |events| {
                counted.fetch_add(events.len(), std::sync::atomic::Ordering::Relaxed);
                let mut record = fed.lock().unwrap();
                for event in events {
                    record.apply(event);
                }
            });
            let log = acta_events::Log::open_read_only(&db, Some(hook)).unwrap();
            (log, Arc::into_inner(record).unwrap().into_inner().unwrap())
        } else {
            let mut record = acta_projections::Record::default();
            let log = acta_events::Log::open_read_only_with_replay(&db, &mut |event| {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                record.replay(event)
            })
            .unwrap();
            (log, record)
        };
        let elapsed = started.elapsed();
        let on_cpu = cpu() - cpu_started;
        let n = count.load(std::sync::atomic::Ordering::Relaxed);
        let funding = record.funding(&acta_projections::Query::now("2026-11-28".parse().unwrap()));
        println!(
            "rebuild ({}): {n} events in {:.3} s = {:.0} events/s; on CPU {on_cpu:.3} s = {:.0} events/s; allocated {}",
            if old { "old" } else { "new" },
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            n as f64 / on_cpu,
            funding.totals.allocated
        );
        drop(log);
        drop(record);
    }
}
