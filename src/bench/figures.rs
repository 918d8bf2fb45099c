//! The figures of one `acta bench` run, as a table with each figure's ratio to its baseline or
//! as one JSON object.

use serde_json::{Value, json};

/// Every figure of one run, named as `--json` prints them.
#[derive(Default, Debug)]
pub struct Figures {
    pub events: usize,
    /// "SQLite" or "PostgreSQL": what the baseline and acta's log ran on.
    pub backend: &'static str,
    pub baseline_insert_per_tx_eps: f64,
    pub baseline_batch_1000_eps: f64,
    pub baseline_scan_fold_eps: f64,
    pub append_c1_eps: f64,
    pub append_c1_p50_ms: f64,
    pub append_c1_p99_ms: f64,
    pub append_c16_eps: f64,
    pub append_c16_p99_ms: f64,
    pub append_c64_eps: f64,
    pub append_c64_p99_ms: f64,
    pub import_eps: f64,
    pub rebuild_eps: f64,
    pub time_travel_p50_ms: f64,
    pub time_travel_p99_ms: f64,
    pub live_reads_c16_rps: f64,
    pub peak_rss_bytes: u64,
    pub db_bytes_per_event: f64,
    /// Appends over two instances on one PostgreSQL database (zero on SQLite).
    pub two_instances_c1_eps: f64,
    pub two_instances_c16_eps: f64,
    pub two_instances_c64_eps: f64,
    pub two_instances_c64_p99_ms: f64,
}

pub fn figures_json(f: &Figures) -> Value {
    json!({
        "events": f.events,
        "backend": f.backend,
        "baseline_insert_per_tx_eps": round(f.baseline_insert_per_tx_eps),
        "baseline_batch_1000_eps": round(f.baseline_batch_1000_eps),
        "baseline_scan_fold_eps": round(f.baseline_scan_fold_eps),
        "append_c1_eps": round(f.append_c1_eps),
        "append_c1_p50_ms": round3(f.append_c1_p50_ms),
        "append_c1_p99_ms": round3(f.append_c1_p99_ms),
        "append_c16_eps": round(f.append_c16_eps),
        "append_c16_p99_ms": round3(f.append_c16_p99_ms),
        "append_c64_eps": round(f.append_c64_eps),
        "append_c64_p99_ms": round3(f.append_c64_p99_ms),
        "import_eps": round(f.import_eps),
        "rebuild_eps": round(f.rebuild_eps),
        "time_travel_p50_ms": round3(f.time_travel_p50_ms),
        "time_travel_p99_ms": round3(f.time_travel_p99_ms),
        "live_reads_c16_rps": round(f.live_reads_c16_rps),
        "peak_rss_bytes": f.peak_rss_bytes,
        "db_bytes_per_event": round(f.db_bytes_per_event),
        "two_instances_c1_eps": round(f.two_instances_c1_eps),
        "two_instances_c16_eps": round(f.two_instances_c16_eps),
        "two_instances_c64_eps": round(f.two_instances_c64_eps),
        "two_instances_c64_p99_ms": round3(f.two_instances_c64_p99_ms),
    })
}

fn round(value: f64) -> f64 {
    value.round()
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// One row of the figures table: what, the measured value, its ratio to its baseline, notes.
type FigureRow = (String, String, String, String);

pub fn figures_table(f: &Figures) -> String {
    render_table(f.events, &figure_rows(f))
}

/// `value / baseline`, printed as a ratio, or a dash without a baseline.
fn ratio(value: f64, baseline: f64) -> String {
    if baseline > 0.0 {
        format!("{:.2}×", value / baseline)
    } else {
        "—".into()
    }
}

/// The rows of the figures table, baselines first.
fn figure_rows(f: &Figures) -> Vec<FigureRow> {
    let mut rows = vec![
        (
            format!("baseline: {}, 1 insert per transaction", f.backend),
            format!("{:.0} events/s", f.baseline_insert_per_tx_eps),
            "1.00×".into(),
            String::new(),
        ),
        (
            format!("baseline: {}, 1,000 inserts per transaction", f.backend),
            format!("{:.0} events/s", f.baseline_batch_1000_eps),
            "1.00×".into(),
            String::new(),
        ),
        (
            "baseline: scan, decode JSON, fold by year".into(),
            format!("{:.0} events/s", f.baseline_scan_fold_eps),
            "1.00×".into(),
            String::new(),
        ),
        (
            "durable appends over HTTP, 1 client".into(),
            format!("{:.0} events/s", f.append_c1_eps),
            ratio(f.append_c1_eps, f.baseline_insert_per_tx_eps),
            format!(
                "p50 {:.2} ms, p99 {:.2} ms  (target ≥ 0.5× 1-insert)",
                f.append_c1_p50_ms, f.append_c1_p99_ms
            ),
        ),
        (
            "durable appends over HTTP, 16 clients".into(),
            format!("{:.0} events/s", f.append_c16_eps),
            ratio(f.append_c16_eps, f.baseline_insert_per_tx_eps),
            format!("p99 {:.2} ms", f.append_c16_p99_ms),
        ),
        (
            "durable appends over HTTP, 64 clients".into(),
            format!("{:.0} events/s", f.append_c64_eps),
            ratio(f.append_c64_eps, f.baseline_insert_per_tx_eps),
            format!("p99 {:.2} ms  (target ≥ 4× 1-insert)", f.append_c64_p99_ms),
        ),
        (
            "import".into(),
            format!("{:.0} events/s", f.import_eps),
            ratio(f.import_eps, f.baseline_batch_1000_eps),
            "(target ≥ 0.5× 1,000-batch)".into(),
        ),
        (
            "rebuild / cold start".into(),
            format!("{:.0} events/s", f.rebuild_eps),
            ratio(f.rebuild_eps, f.baseline_scan_fold_eps),
            "(target ≥ 0.5× scan-fold)".into(),
        ),
        (
            "time travel (funding, yearly, plan), 1 client".into(),
            format!("p50 {:.2} ms", f.time_travel_p50_ms),
            String::new(),
            format!("p99 {:.2} ms  (target p99 ≤ 20 ms)", f.time_travel_p99_ms),
        ),
        (
            "live reads GET /v1/funding, 16 clients".into(),
            format!("{:.0} requests/s", f.live_reads_c16_rps),
            String::new(),
            "(target ≥ 10,000/s)".into(),
        ),
        (
            "peak server RSS".into(),
            format!("{:.1} MiB", f.peak_rss_bytes as f64 / 1_048_576.0),
            String::new(),
            "(target ≤ 512 MiB)".into(),
        ),
        (
            "database bytes per event".into(),
            format!("{:.0} B", f.db_bytes_per_event),
            String::new(),
            String::new(),
        ),
    ];
    if f.two_instances_c1_eps > 0.0 {
        rows.extend([
            (
                "two instances, 1 client".into(),
                format!("{:.0} events/s", f.two_instances_c1_eps),
                ratio(f.two_instances_c1_eps, f.baseline_insert_per_tx_eps),
                String::new(),
            ),
            (
                "two instances, 16 clients".into(),
                format!("{:.0} events/s", f.two_instances_c16_eps),
                ratio(f.two_instances_c16_eps, f.baseline_insert_per_tx_eps),
                String::new(),
            ),
            (
                "two instances, 64 clients".into(),
                format!("{:.0} events/s", f.two_instances_c64_eps),
                ratio(f.two_instances_c64_eps, f.baseline_insert_per_tx_eps),
                format!(
                    "p99 {:.2} ms  (target ≥ 3× 1-insert)",
                    f.two_instances_c64_p99_ms
                ),
            ),
        ]);
    }
    rows
}

/// The rows as aligned columns under a heading.
fn render_table(events: usize, rows: &[FigureRow]) -> String {
    let widths = rows.iter().fold((0, 0, 0), |(a, b, c), row| {
        (
            a.max(row.0.chars().count()),
            b.max(row.1.chars().count()),
            c.max(row.2.chars().count()),
        )
    });
    let mut out = format!("acta bench: {events} events\n\n");
    out.push_str(&format!(
        "  {:<w0$}  {:>w1$}  {:>w2$}  notes\n",
        "figure",
        "measured",
        "ratio",
        w0 = widths.0,
        w1 = widths.1,
        w2 = widths.2
    ));
    for row in rows {
        out.push_str(
            format!(
                "  {:<w0$}  {:>w1$}  {:>w2$}  {}",
                row.0,
                row.1,
                row.2,
                row.3,
                w0 = widths.0,
                w1 = widths.1,
                w2 = widths.2
            )
            .trim_end(),
        );
        out.push('\n');
    }
    out
}
