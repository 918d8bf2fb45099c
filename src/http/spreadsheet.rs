//! Spreadsheets: the projections as flat CSV tables, asked for by `?format=csv` or by an
//! `Accept` that prefers `text/csv` to JSON, and the `406` of every other path asked for CSV
//! (docs/API.md, "CSV tables").

use axum::body::Bytes;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use acta_events::catalogue::Channel;
use acta_projections::{Finding, FundingByPlan, PlanStatusView, YearlySummary};

use super::problem::ApiError;

/// The paths that answer a table.
pub const TABLE_PATHS: [&str; 5] = [
    "/v1/plans",
    "/v1/plans/{plan}",
    "/v1/funding",
    "/v1/summaries/yearly",
    "/v1/reconciliation",
];

/// `Content-Type` of every table (RFC 4180, with RFC 7111's `header` parameter).
pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";

/// The UTF-8 byte-order mark each table starts with: without it, Excel reads a CSV file in
/// the machine's legacy code page and shows `Đồng Nai` as `Ä?á»"ng Nai`.
const BYTE_ORDER_MARK: &str = "\u{feff}";

/// How an answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// The format a request asks for: the `format` query parameter (`json` or `csv`) if given,
    /// else CSV when `Accept` prefers `text/csv` to `application/json`, else JSON.
    pub fn requested(format: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
        match format {
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(_) => Err(ApiError::invalid_parameter(
                "format",
                acta_messages::codes::FORMAT_JSON_OR_CSV,
            )),
            None if accept_prefers_csv(headers) => Ok(Format::Csv),
            None => Ok(Format::Json),
        }
    }
}

/// Whether the `Accept` headers rate `text/csv` above `application/json` (RFC 9110 §12.5.1:
/// the most specific range that matches gives a type its quality; no `Accept` is JSON).
pub fn accept_prefers_csv(headers: &HeaderMap) -> bool {
    let mut csv = Quality::default();
    let mut json = Quality::default();
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(thousandths)
                .unwrap_or(1000);
            let (csv_rank, json_rank) = match media.as_str() {
                "text/csv" => (3, 0),
                "text/*" => (2, 0),
                "application/json" => (0, 3),
                "application/*" => (0, 2),
                "*/*" => (1, 1),
                _ => (0, 0),
            };
            csv.consider(csv_rank, quality);
            json.consider(json_rank, quality);
        }
    }
    csv.thousandths > json.thousandths
}

/// The quality of one media type: that of the most specific range seen that matches it.
#[derive(Default)]
struct Quality {
    rank: u8,
    thousandths: u16,
}

impl Quality {
    fn consider(&mut self, rank: u8, thousandths: u16) {
        if rank > self.rank {
            self.rank = rank;
            self.thousandths = thousandths;
        }
    }
}

/// A quality value (`1`, `0.8`, `0.125`) in thousandths; `None` when it is not one.
fn thousandths(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let fraction: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(fraction),
        "1" if fraction == 0 => Some(1000),
        _ => None,
    }
}

/// Refuses with `406` a request for CSV to a path that has no table, before its handler runs
/// (so an append asked for CSV writes nothing). The web page and `/healthz` are left alone.
pub async fn refuse_csv_without_table(request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_default();
    if !path.starts_with("/v1/") || TABLE_PATHS.contains(&path.as_str()) {
        return next.run(request).await;
    }
    let asks_format_csv = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        request.uri(),
    )
    .is_ok_and(|axum::extract::Query(pairs)| {
        pairs
            .iter()
            .any(|(name, value)| name == "format" && value == "csv")
    });
    if asks_format_csv || accept_prefers_csv(request.headers()) {
        return ApiError::NotAcceptable(format!(
            "{path} answers JSON only; the CSV tables are {}",
            TABLE_PATHS.join(", ")
        ))
        .into_response();
    }
    next.run(request).await
}

/// A table being written: a byte-order mark, the header row, then one row per call.
struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(BYTE_ORDER_MARK.as_bytes().to_vec());
        // Writing to memory cannot fail.
        let _ = writer.write_record(header);
        Table { writer }
    }

    fn row(&mut self, cells: &[String]) {
        let _ = self.writer.write_record(cells);
    }

    fn finish(self) -> Result<Bytes, ApiError> {
        self.writer
            .into_inner()
            .map(Bytes::from)
            .map_err(|error| ApiError::Internal(format!("cannot write a table: {error}")))
    }
}

/// A text cell. A text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
/// written with a `'` before it, so that a spreadsheet shows it as text instead of running it
/// as a formula (OWASP's "CSV injection"); numbers are never changed.
fn text(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

fn optional_text(value: Option<&str>) -> String {
    value.map(text).unwrap_or_default()
}

fn number(value: impl std::fmt::Display) -> String {
    value.to_string()
}

fn optional_number(value: Option<impl std::fmt::Display>) -> String {
    value.map(number).unwrap_or_default()
}

/// A value's JSON string form (`"approved"` → `approved`), for the enums of the answers.
fn label(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

/// `GET /v1/funding`: one row per (plan, fiscal year, source).
pub fn funding(rows: &[FundingByPlan]) -> Result<Bytes, ApiError> {
    let mut table = Table::new(&[
        "fiscal_year",
        "source",
        "plan",
        "planned",
        "allocated",
        "disbursed",
        "budget",
        "unspent",
    ]);
    for row in rows {
        let figures = row.figures;
        table.row(&[
            number(row.fiscal_year),
            number(row.source),
            text(row.plan.as_str()),
            number(figures.planned),
            number(figures.allocated),
            number(figures.disbursed),
            number(figures.budget),
            number(figures.unspent),
        ]);
    }
    table.finish()
}

/// `GET /v1/summaries/yearly`: one row per year; lists are counted, approved plans joined by
/// spaces, and outreach has a column per channel.
pub fn yearly(summary: &YearlySummary<'_>) -> Result<Bytes, ApiError> {
    let mut header = vec![
        "year",
        "decisions",
        "plans_approved",
        "training_events",
        "training_sessions",
        "training_participants",
    ];
    let outreach_columns: Vec<String> = Channel::ALL
        .iter()
        .map(|channel| format!("outreach_{}", channel.as_str()))
        .collect();
    header.extend(outreach_columns.iter().map(String::as_str));
    header.extend([
        "assessment_enterprises",
        "staff_assigned",
        "units_established",
        "funding_planned",
        "funding_allocated",
        "funding_disbursed",
    ]);
    let mut table = Table::new(&header);
    for year in &summary.years {
        let approved: Vec<&str> = year
            .plans_approved
            .iter()
            .map(|plan| plan.as_str())
            .collect();
        let mut cells = vec![
            number(year.year),
            number(year.decisions.len()),
            text(&approved.join(" ")),
            number(year.training.events),
            number(year.training.sessions),
            number(year.training.participants),
        ];
        for channel in Channel::ALL {
            let items = year
                .outreach
                .0
                .iter()
                .filter(|(of, _)| of == channel)
                .map(|(_, items)| *items)
                .sum::<u64>();
            cells.push(number(items));
        }
        cells.extend([
            number(year.assessments.enterprises),
            number(year.staff_assigned),
            number(year.units_established.len()),
            number(year.funding.planned),
            number(year.funding.allocated),
            number(year.funding.disbursed),
        ]);
        table.row(&cells);
    }
    table.finish()
}

/// `GET /v1/reconciliation`: one row per finding; `null` is an empty cell.
pub fn reconciliation(findings: &[Finding], lang: acta_messages::Lang) -> Result<Bytes, ApiError> {
    let mut table = Table::new(&[
        "kind",
        "severity",
        "plan",
        "year",
        "indicator",
        "expected",
        "actual",
        "difference",
        "event",
        "message",
    ]);
    for finding in findings {
        table.row(&[
            label(&finding.kind),
            label(&finding.severity),
            text(finding.plan.as_str()),
            optional_number(finding.year),
            optional_text(finding.indicator.as_deref()),
            number(finding.expected),
            optional_number(finding.actual),
            optional_number(finding.difference),
            number(finding.event),
            text(&finding.message.render(lang)),
        ]);
    }
    table.finish()
}

/// `GET /v1/plans` and `GET /v1/plans/{plan}`: one row per plan; its history and indicators
/// stay in the JSON answer.
pub fn plans<'a>(plans: impl IntoIterator<Item = &'a PlanStatusView>) -> Result<Bytes, ApiError> {
    let mut table = Table::new(&[
        "plan",
        "title",
        "code",
        "issuer",
        "kind",
        "parent",
        "from_year",
        "to_year",
        "status",
        "status_since",
        "approval_decision",
        "approved_by",
        "approved_on",
        "version",
    ]);
    for plan in plans {
        let approval = plan.approval.as_ref();
        table.row(&[
            text(plan.plan.as_str()),
            text(&plan.title),
            optional_text(plan.code.as_deref()),
            optional_text(plan.issuer.as_deref()),
            label(&plan.kind),
            optional_text(plan.parent.as_ref().map(|parent| parent.as_str())),
            number(plan.period.from_year),
            number(plan.period.to_year),
            label(&plan.status),
            number(plan.status_since),
            optional_text(approval.map(|approval| approval.decision.as_str())),
            optional_text(approval.and_then(|approval| approval.approved_by.as_deref())),
            optional_number(approval.map(|approval| approval.on)),
            number(plan.version),
        ]);
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn prefers_csv(accept: &[&'static str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in accept {
            headers.append(header::ACCEPT, HeaderValue::from_static(value));
        }
        accept_prefers_csv(&headers)
    }

    #[test]
    fn accept_chooses_csv_only_when_it_rates_csv_above_json() {
        assert!(prefers_csv(&["text/csv"]));
        assert!(prefers_csv(&["Text/CSV; charset=utf-8"]));
        assert!(prefers_csv(&["application/json;q=0.5, text/csv"]));
        assert!(prefers_csv(&["text/*", "application/json;q=0.9"]));
        assert!(prefers_csv(&["*/*;q=0.1, text/csv;q=0.2"]));
        assert!(!prefers_csv(&[]));
        assert!(!prefers_csv(&["*/*"]));
        assert!(
            !prefers_csv(&["application/json, text/csv"]),
            "a tie is JSON"
        );
        assert!(!prefers_csv(&["text/html,application/xhtml+xml,*/*;q=0.8"]));
        assert!(!prefers_csv(&["text/csv;q=0, */*"]));
        assert!(!prefers_csv(&["text/csv;q=nonsense, application/json"]));
    }

    #[test]
    fn quality_values_are_read_in_thousandths() {
        assert_eq!(thousandths("1"), Some(1000));
        assert_eq!(thousandths("1.000"), Some(1000));
        assert_eq!(thousandths("0.8"), Some(800));
        assert_eq!(thousandths("0.125"), Some(125));
        assert_eq!(thousandths("0"), Some(0));
        for bad in ["1.5", "2", "0.1234", "-0.1", "", "x", "0.a"] {
            assert_eq!(thousandths(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted_as_text() {
        assert_eq!(text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(text("+84"), "'+84");
        assert_eq!(text("-x"), "'-x");
        assert_eq!(text("@x"), "'@x");
        assert_eq!(text("Đồng Nai"), "Đồng Nai");
        assert_eq!(number(-5), "-5");
    }

    #[test]
    fn cells_are_quoted_as_rfc_4180_has_it() {
        let mut table = Table::new(&["a", "b"]);
        table.row(&["x, \"y\"".to_owned(), "line\nbreak".to_owned()]);
        let bytes = table.finish().unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            "\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"line\nbreak\"\r\n"
        );
    }
}
