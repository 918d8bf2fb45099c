//! The dated statement: what an auditor takes away for one `as_of` / `known_at` — a header
//! naming the programme, the dates, the chain head and when it was produced, then plan status,
//! funding by year and source with the totals in figures and words, the yearly summary and
//! every reconciliation finding. One renderer for `acta report --format html`, for the header
//! of `acta report`'s text, and for `GET /v1/statement`, which the page prints ("In / PDF"), so
//! the file, the text and the paper say the same.
//!
//! In the report's language (`acta report --lang`, the `Accept-Language` of
//! `GET /v1/statement`): in Vietnamese, English beside each heading marked `lang="en"`; in English
//! alone. The labels are the catalogue's (`messages/locales/*/report.ftl`). The HTML is one self-contained
//! file: its style (`web/statement.css`, also the page's print style) is inlined, it loads
//! nothing and runs no script.

use std::fmt::Write;

use serde_json::Value;

use acta_events::{CivilDate, Head, Instant, PlanKey};
use acta_messages::{Code, Lang, Message, codes};
use acta_projections::vnd::{format_dong, spell};
use acta_projections::{Finding, FindingKind, FundingFigures, PlanStatusView};

use crate::report::Report;

/// The statement's style: the page's print style too (served as `/statement.css`).
pub const STATEMENT_CSS: &str = include_str!("../web/statement.css");

/// What the statement is for, besides the figures.
pub struct Header {
    pub as_of: Option<CivilDate>,
    pub known_at: Option<Instant>,
    pub plan: Option<PlanKey>,
    /// The head of the chain when the statement was produced: the figures are folded from its
    /// events (those recorded by `known_at`, when given, are a prefix of it).
    pub head: Head,
    pub produced_at: Instant,
}

/// `2015-06-05` → `05/06/2015`.
pub fn date_vi(date: CivilDate) -> String {
    let iso = date.to_string();
    match (iso.get(0..4), iso.get(5..7), iso.get(8..10)) {
        (Some(year), Some(month), Some(day)) => format!("{day}/{month}/{year}"),
        _ => iso,
    }
}

/// `2026-11-28T20:15:00.000Z` → `28/11/2026 20:15:00 UTC`.
pub fn instant_vi(instant: Instant) -> String {
    let text = instant.to_string();
    match (text.get(0..10), text.get(11..19)) {
        (Some(date), Some(time)) => match date.parse::<CivilDate>() {
            Ok(date) => format!("{} {time} UTC", date_vi(date)),
            Err(_) => text,
        },
        _ => text,
    }
}

/// A date as `lang` writes it: `05/06/2015` in Vietnamese, `2015-06-05` in English.
pub fn date_in(lang: Lang, date: CivilDate) -> String {
    match lang {
        Lang::Vi => date_vi(date),
        Lang::En => date.to_string(),
    }
}

/// An instant as `lang` writes it: `28/11/2026 20:15:00 UTC`, `2026-11-28 20:15:00 UTC`.
pub fn instant_in(lang: Lang, instant: Instant) -> String {
    match lang {
        Lang::Vi => instant_vi(instant),
        Lang::En => {
            let text = instant.to_string();
            match (text.get(0..10), text.get(11..19)) {
                (Some(date), Some(time)) => format!("{date} {time} UTC"),
                _ => text,
            }
        }
    }
}

/// A label of the catalogue as plain text: `Tình trạng tại ngày (As of)` in Vietnamese, `As of`
/// in English.
pub fn label_text(lang: Lang, code: Code) -> String {
    let english = Message::new(code).render(Lang::En);
    match lang {
        Lang::Vi => format!("{} ({english})", Message::new(code).render(Lang::Vi)),
        Lang::En => english,
    }
}

/// Money as the statement prints it: `1.276.000.000 ₫`.
fn money(amount: u64) -> String {
    format_dong(i64::try_from(amount).unwrap_or(i64::MAX))
}

/// The programme the statement is about: the chosen plan, else the plans at the top of the
/// tree (those whose parent is not shown).
fn programme(report: &Report<'_>, plan: Option<&PlanKey>) -> String {
    let shown: Vec<&PlanStatusView> = match plan {
        Some(plan) => report.plans.iter().filter(|p| &p.plan == plan).collect(),
        None => report
            .plans
            .iter()
            .filter(|p| {
                p.parent
                    .as_ref()
                    .is_none_or(|parent| !report.plans.iter().any(|q| &q.plan == parent))
            })
            .collect(),
    };
    if shown.is_empty() {
        return plan.map_or_else(|| "—".to_owned(), |p| p.to_string());
    }
    shown
        .iter()
        .map(|p| format!("{} ({})", p.title, p.plan))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The header's lines: (label, value).
fn header_lines(report: &Report<'_>, header: &Header) -> Vec<(Code, String)> {
    let lang = report.lang;
    let say = |code| Message::new(code).render(lang);
    vec![
        (codes::ST_PROGRAMME, programme(report, header.plan.as_ref())),
        (
            codes::ST_AS_OF,
            header
                .as_of
                .map_or_else(|| say(codes::ST_AS_OF_ANY), |date| date_in(lang, date)),
        ),
        (
            codes::ST_KNOWN_AT,
            header.known_at.map_or_else(
                || say(codes::ST_KNOWN_NOW),
                |at| format!("{} ({at})", instant_in(lang, at)),
            ),
        ),
        (
            codes::ST_CHAIN_HEAD,
            format!("seq {}, hash {}", header.head.seq, header.head.hash),
        ),
        (codes::ST_PRODUCED_AT, instant_in(lang, header.produced_at)),
    ]
}

/// The header of `acta report`'s text.
pub fn text_header(report: &Report<'_>, header: &Header) -> String {
    let mut out = label_text(report.lang, codes::ST_STATEMENT_CAPS);
    out.push('\n');
    for (label, value) in header_lines(report, header) {
        let _ = writeln!(out, "  {}: {value}", label_text(report.lang, label));
    }
    out.push('\n');
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a finding's figures are money (and so printed `… ₫`).
fn is_money(finding: &Finding) -> bool {
    match finding.kind {
        FindingKind::Overspend | FindingKind::DisbursedWithoutAllocation => true,
        FindingKind::TotalMismatch | FindingKind::WordsMismatch | FindingKind::WordsUnreadable => {
            finding
                .indicator
                .as_deref()
                .is_some_and(|metric| metric.starts_with("funding."))
        }
        _ => false,
    }
}

/// An integer grouped by dots, `1.276`, exact for any `i128`.
fn grouped(value: i128) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    if value < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('.');
        }
        out.push(digit);
    }
    out
}

fn finding_figure(finding: &Finding, value: Option<i128>) -> String {
    match value {
        None => "—".to_owned(),
        Some(value) if is_money(finding) => format!("{} ₫", grouped(value)),
        Some(value) => grouped(value),
    }
}

const FIGURE_COLUMNS: [Code; 5] = [
    codes::ST_PLANNED,
    codes::ST_ALLOCATED,
    codes::ST_DISBURSED,
    codes::ST_BUDGET,
    codes::ST_UNSPENT,
];

fn figure_cells(figures: &FundingFigures) -> String {
    [
        money(figures.planned),
        money(figures.allocated),
        money(figures.disbursed),
        money(figures.budget),
        format_dong(figures.unspent),
    ]
    .iter()
    .map(|cell| format!("<td class=\"st-money\">{}</td>", escape(cell)))
    .collect()
}

impl Report<'_> {
    /// A heading or label: in Vietnamese with its English beside it, marked `lang="en"`; in
    /// English alone.
    fn label(&self, code: Code) -> String {
        let english = escape(&Message::new(code).render(Lang::En));
        match self.lang {
            Lang::Vi => format!(
                "{} <span lang=\"en\" class=\"en\">({english})</span>",
                escape(&Message::new(code).render(Lang::Vi))
            ),
            Lang::En => english,
        }
    }

    /// The reader's word for a name of the contract (a status, a source, a kind of finding).
    fn word(&self, code: Code, value: &str) -> String {
        escape(&Message::new(code).text("value", value).render(self.lang))
    }

    /// The whole statement as one self-contained HTML document.
    pub fn statement_html(&self, header: &Header) -> String {
        let mut out = String::with_capacity(64 * 1024);
        let title = match header.as_of {
            Some(date) => Message::new(codes::ST_TITLE_AS_OF)
                .date("date", date.year(), date.jiff().month(), date.jiff().day())
                .render(self.lang),
            None => Message::new(codes::ST_TITLE_ALL).render(self.lang),
        };
        let _ = write!(
            out,
            "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>acta — {}</title>\n<style>\n{STATEMENT_CSS}</style>\n</head>\n<body>\n",
            self.lang.tag(),
            escape(&title)
        );
        self.statement_body(header, &mut out);
        out.push_str("</body>\n</html>\n");
        out
    }

    /// The statement's `<article>`: what the page shows when it prints.
    pub fn statement_body(&self, header: &Header, out: &mut String) {
        let _ = write!(
            out,
            "<article class=\"statement\" data-testid=\"statement\" \
             data-head-seq=\"{}\" data-head-hash=\"{}\">\n<header>\n<h1>{}</h1>\n<dl class=\"statement-header\">\n",
            header.head.seq,
            escape(&header.head.hash),
            self.label(codes::ST_STATEMENT)
        );
        for (label, value) in header_lines(self, header) {
            // The hash on a line of its own, unbroken, so that it can be read off the paper.
            let value = if label == codes::ST_CHAIN_HEAD {
                format!(
                    "seq <span data-field=\"head-seq\">{}</span><br><code class=\"statement-hash\" data-field=\"head-hash\">{}</code>",
                    header.head.seq,
                    escape(&header.head.hash)
                )
            } else {
                escape(&value)
            };
            let _ = writeln!(
                out,
                "<div><dt>{}</dt><dd>{value}</dd></div>",
                self.label(label)
            );
        }
        out.push_str("</dl>\n</header>\n");
        self.plans_html(out);
        self.funding_html(out);
        self.yearly_html(out);
        self.findings_html(out);
        out.push_str("</article>\n");
    }

    fn plans_html(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "<section>\n<h2>{}</h2>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>",
            self.label(codes::ST_PLANS),
            self.label(codes::ST_PLAN),
            self.label(codes::ST_TITLE),
            self.label(codes::ST_STATUS),
            self.label(codes::ST_SINCE),
            self.label(codes::ST_PERIOD),
        );
        for plan in &self.plans {
            let status = plan.status.to_string();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td></tr>",
                escape(plan.plan.as_str()),
                escape(&plan.title),
                self.word(codes::ST_STATUS_NAME, &status),
                date_in(self.lang, plan.status_since),
                plan.period.from_year,
                plan.period.to_year
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    fn funding_html(&self, out: &mut String) {
        let _ = write!(
            out,
            "<section>\n<h2>{}</h2>\n<table class=\"st-numbers\">\n<thead><tr><th>{}</th><th>{}</th>",
            self.label(codes::ST_FUNDING),
            self.label(codes::ST_FISCAL_YEAR),
            self.label(codes::ST_SOURCE),
        );
        for code in FIGURE_COLUMNS {
            let _ = write!(out, "<th>{}</th>", self.label(code));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.funding.by_year {
            let source = row.source.to_string();
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"st-text\">{}</td>{}</tr>",
                row.fiscal_year,
                self.word(codes::ST_SOURCE_NAME, &source),
                figure_cells(&row.figures)
            );
        }
        out.push_str("</tbody>\n<tbody class=\"st-subtotals\">\n");
        for row in &self.funding.by_source {
            let source = row.source.to_string();
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"st-text\">{}</td>{}</tr>",
                self.label(codes::ST_BY_SOURCE),
                self.word(codes::ST_SOURCE_NAME, &source),
                figure_cells(&row.figures)
            );
        }
        let _ = write!(
            out,
            "</tbody>\n<tfoot><tr data-testid=\"statement-totals\"><th scope=\"row\" colspan=\"2\">{}</th>{}</tr></tfoot>\n</table>\n",
            self.label(codes::ST_TOTAL),
            figure_cells(&self.funding.totals)
        );
        let totals = &self.funding.totals;
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<table class=\"st-in-words\">\n<tbody>",
            self.label(codes::ST_IN_WORDS)
        );
        for (code, amount) in [
            (codes::ST_PLANNED, totals.planned),
            (codes::ST_ALLOCATED, totals.allocated),
            (codes::ST_DISBURSED, totals.disbursed),
            (codes::ST_BUDGET, totals.budget),
        ] {
            // The amount in words is Vietnamese, as the documents write it, whatever the language.
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"st-money\">{}</td><td lang=\"vi\">{}</td></tr>",
                self.label(code),
                escape(&money(amount)),
                escape(&spell(amount))
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    fn yearly_html(&self, out: &mut String) {
        let _ = write!(
            out,
            "<section>\n<h2>{}</h2>\n<table class=\"st-numbers st-yearly\">\n<thead><tr>",
            self.label(codes::ST_YEARLY),
        );
        for code in [
            codes::ST_YEAR,
            codes::ST_DECISIONS,
            codes::ST_PLANS_APPROVED,
            codes::ST_TRAINING,
            codes::ST_OUTREACH,
            codes::ST_ENTERPRISES,
            codes::ST_STAFF,
            codes::ST_DISBURSED,
        ] {
            let _ = write!(out, "<th>{}</th>", self.label(code));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for year in &self.yearly.years {
            let decisions: Vec<String> = year
                .decisions
                .iter()
                .map(|decision| {
                    let value: Value = serde_json::from_str(decision.json()).unwrap_or(Value::Null);
                    let number = value["number"].as_str().unwrap_or("—");
                    let title = value["title"].as_str().unwrap_or("");
                    format!(
                        "<li><strong>{}</strong> {}</li>",
                        escape(number),
                        escape(title)
                    )
                })
                .collect();
            let outreach: Vec<String> = year
                .outreach
                .0
                .iter()
                .map(|(channel, items)| format!("{channel} {items}"))
                .collect();
            let approved: Vec<String> = year.plans_approved.iter().map(|p| p.to_string()).collect();
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"st-text\"><ul>{}</ul></td><td class=\"st-text\">{}</td>\
                 <td>{} / {} / {}</td><td class=\"st-text\">{}</td><td>{}</td><td>{}</td><td class=\"st-money\">{}</td></tr>",
                year.year,
                decisions.join(""),
                escape(&approved.join(", ")),
                year.training.events,
                year.training.sessions,
                year.training.participants,
                escape(&outreach.join(", ")),
                year.assessments.enterprises,
                year.staff_assigned,
                escape(&money(year.funding.disbursed))
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    fn findings_html(&self, out: &mut String) {
        let verdict = self.verdict();
        let _ = write!(
            out,
            "<section>\n<h2>{}</h2>\n<p class=\"st-verdict\" data-ok=\"{}\"><strong>{}</strong></p>\n",
            self.label(codes::ST_RECONCILIATION),
            self.reconciliation.ok,
            escape(&verdict)
        );
        if self.reconciliation.findings.is_empty() {
            let _ = writeln!(
                out,
                "<p>{}</p>\n</section>",
                escape(&Message::new(codes::ST_NO_FINDINGS).render(self.lang))
            );
            return;
        }
        let _ = write!(out, "<table class=\"st-numbers st-findings\">\n<thead><tr>");
        for code in [
            codes::ST_SEVERITY,
            codes::ST_FINDING,
            codes::ST_PLAN,
            codes::ST_YEAR,
            codes::ST_EXPECTED,
            codes::ST_ACTUAL,
            codes::ST_DIFFERENCE,
        ] {
            let _ = write!(out, "<th>{}</th>", self.label(code));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for finding in &self.reconciliation.findings {
            let severity = self.word(codes::ST_SEVERITY_NAME, &name_of(&finding.severity));
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td>{severity}</td><td class=\"st-text\">{} <code>{}</code>\
                 <br><small>{}</small></td><td><code>{}</code></td><td>{}</td>\
                 <td class=\"st-money\">{}</td><td class=\"st-money\">{}</td><td class=\"st-money\">{}</td></tr>",
                name_of(&finding.severity),
                self.word(codes::ST_FINDING_KIND, &name_of(&finding.kind)),
                name_of(&finding.kind),
                escape(&finding.message.render(self.lang)),
                escape(finding.plan.as_str()),
                finding
                    .year
                    .map_or_else(|| "—".to_owned(), |y| y.to_string()),
                escape(&finding_figure(finding, Some(finding.expected))),
                escape(&finding_figure(finding, finding.actual)),
                escape(&finding_figure(finding, finding.difference))
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_day_first() {
        let date: CivilDate = "2015-06-05".parse().unwrap();
        assert_eq!(date_vi(date), "05/06/2015");
        let at: Instant = "2026-11-28T20:15:00.000Z".parse().unwrap();
        assert_eq!(instant_vi(at), "28/11/2026 20:15:00 UTC");
    }

    #[test]
    fn text_from_the_record_is_escaped() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn grouped_integers_are_exact_beyond_i64() {
        assert_eq!(grouped(-77_915_000), "-77.915.000");
        assert_eq!(
            grouped(i128::from(u64::MAX) * 2),
            "36.893.488.147.419.103.230"
        );
        assert_eq!(grouped(0), "0");
    }
}
