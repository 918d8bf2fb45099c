//! `acta report`: plan status, funding, the yearly summary and the findings as aligned tables a
//! person can read in a terminal, or as one JSON object for machines.

use std::fmt::Write;

use serde::Serialize;

use acta_messages::{Code, Lang, Message, codes};
use acta_projections::vnd::format_dong;
use acta_projections::{Funding, FundingFigures, PlanStatusView, Query, Record, YearlySummary};

use crate::findings::ReconciliationIn;

/// The four answers for one query (the yearly summary borrows from the record). Serialised
/// directly, as the server renders its answers, so its fields are in byte order of their names.
#[derive(Serialize)]
pub struct Report<'r> {
    pub funding: Funding,
    pub plans: Vec<PlanStatusView>,
    pub reconciliation: ReconciliationIn,
    pub yearly: YearlySummary<'r>,
    /// The language of the text and of the findings' messages (`acta report --lang`).
    #[serde(skip)]
    pub lang: Lang,
}

impl<'r> Report<'r> {
    /// The reconciliation's verdict in one sentence (how many errors and warnings), as the text
    /// report and the dated statement both print it.
    pub(crate) fn verdict(&self) -> String {
        let errors = self
            .reconciliation
            .findings
            .iter()
            .filter(|finding| finding.severity == acta_projections::Severity::Error)
            .count();
        let warnings = self.reconciliation.findings.len() - errors;
        match self.reconciliation.ok {
            true => Message::new(codes::ST_VERDICT_OK).int("warnings", warnings as u64),
            false => Message::new(codes::ST_VERDICT_ERRORS)
                .int("errors", errors as u64)
                .int("warnings", warnings as u64),
        }
        .render(self.lang)
    }

    pub fn of(record: &'r Record, query: &Query, lang: Lang) -> Report<'r> {
        Report {
            funding: record.funding(query),
            plans: record.plans(query),
            reconciliation: ReconciliationIn {
                reconciliation: record.reconciliation(query),
                lang,
            },
            yearly: record.yearly(query),
            lang,
        }
    }

    /// A label of the catalogue in the report's language.
    fn say(&self, code: Code) -> String {
        Message::new(code).render(self.lang)
    }

    fn headers(&self, codes: &[Code]) -> Vec<String> {
        codes.iter().map(|code| self.say(*code)).collect()
    }

    /// The tables, one after another, in the report's language (names of the contract, such as
    /// `approved` or `local`, stay as the API writes them).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut plans = Table::new(&self.headers(&[
            codes::ST_PLAN,
            codes::ST_KIND,
            codes::ST_STATUS,
            codes::ST_SINCE,
            codes::ST_PERIOD,
            codes::ST_TITLE,
        ]));
        for plan in &self.plans {
            plans.row(vec![
                plan.plan.to_string(),
                plan.kind.to_string(),
                plan.status.to_string(),
                match self.lang {
                    Lang::Vi => {
                        let day = plan.status_since.jiff();
                        format!("{:02}/{:02}/{:04}", day.day(), day.month(), day.year())
                    }
                    Lang::En => plan.status_since.to_string(),
                },
                format!("{}–{}", plan.period.from_year, plan.period.to_year),
                plan.title.clone(),
            ]);
        }
        plans.print(&mut out, &self.say(codes::ST_PLANS));

        let mut funding = Table::new(&self.headers(&[
            codes::ST_FISCAL_YEAR,
            codes::ST_SOURCE,
            codes::ST_PLANNED,
            codes::ST_ALLOCATED,
            codes::ST_DISBURSED,
            codes::ST_BUDGET,
            codes::ST_UNSPENT,
        ]));
        funding.align_right_from(2);
        let money = |amount: u64| format_dong(i64::try_from(amount).unwrap_or(i64::MAX));
        let figures_row = |year: String, source: String, figures: &FundingFigures| {
            vec![
                year,
                source,
                money(figures.planned),
                money(figures.allocated),
                money(figures.disbursed),
                money(figures.budget),
                format_dong(figures.unspent),
            ]
        };
        for row in &self.funding.by_year {
            funding.row(figures_row(
                row.fiscal_year.to_string(),
                row.source.to_string(),
                &row.figures,
            ));
        }
        for row in &self.funding.by_source {
            funding.row(figures_row(
                self.say(codes::ST_BY_SOURCE),
                row.source.to_string(),
                &row.figures,
            ));
        }
        funding.row(figures_row(
            self.say(codes::ST_TOTAL),
            String::new(),
            &self.funding.totals,
        ));
        funding.print(&mut out, &format!("{} (VND)", self.say(codes::ST_FUNDING)));
        let _ = writeln!(
            out,
            "{}: {}\n",
            self.say(codes::ST_BUDGET_IN_WORDS),
            self.funding.budget_in_words
        );

        let mut yearly = Table::new(&self.headers(&[
            codes::ST_YEAR,
            codes::ST_DECISIONS,
            codes::ST_PLANS_APPROVED,
            codes::ST_TRAININGS,
            codes::ST_SESSIONS,
            codes::ST_PARTICIPANTS,
            codes::ST_OUTREACH,
            codes::ST_ENTERPRISES,
            codes::ST_STAFF,
            codes::ST_DISBURSED,
        ]));
        yearly.align_right_from(1);
        for year in &self.yearly.years {
            let outreach: Vec<String> = year
                .outreach
                .0
                .iter()
                .map(|(channel, items)| format!("{channel} {items}"))
                .collect();
            yearly.row(vec![
                year.year.to_string(),
                year.decisions.len().to_string(),
                year.plans_approved
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                year.training.events.to_string(),
                year.training.sessions.to_string(),
                year.training.participants.to_string(),
                outreach.join(", "),
                year.assessments.enterprises.to_string(),
                year.staff_assigned.to_string(),
                money(year.funding.disbursed),
            ]);
        }
        yearly.print(&mut out, &self.say(codes::ST_YEARLY));

        let verdict = self.verdict();
        let mut findings = Table::new(&self.headers(&[
            codes::ST_SEVERITY,
            codes::ST_KIND,
            codes::ST_PLAN,
            codes::ST_YEAR,
            codes::ST_EXPECTED,
            codes::ST_ACTUAL,
            codes::ST_DIFFERENCE,
            codes::ST_MESSAGE,
        ]));
        for finding in &self.reconciliation.findings {
            let figure =
                |value: Option<i128>| value.map_or_else(|| "—".to_owned(), |v| v.to_string());
            findings.row(vec![
                format!("{:?}", finding.severity).to_lowercase(),
                serde_json::to_value(finding.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                finding.plan.to_string(),
                finding
                    .year
                    .map_or_else(|| "—".to_owned(), |y| y.to_string()),
                finding.expected.to_string(),
                figure(finding.actual),
                figure(finding.difference),
                finding.message.render(self.lang),
            ]);
        }
        findings.print(
            &mut out,
            &format!("{} ({verdict})", self.say(codes::ST_RECONCILIATION)),
        );
        out
    }
}

/// A table whose columns are as wide as their widest cell, counted in characters.
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    right_aligned_from: usize,
}

impl Table {
    fn new(headers: &[String]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
            right_aligned_from: usize::MAX,
        }
    }

    /// Numbers read best right-aligned.
    fn align_right_from(&mut self, column: usize) {
        self.right_aligned_from = column;
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn print(&self, out: &mut String, title: &str) {
        let _ = writeln!(out, "{title}");
        if self.rows.is_empty() {
            let _ = writeln!(out, "  (none)\n");
            return;
        }
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|column| {
                std::iter::once(&self.headers)
                    .chain(&self.rows)
                    .map(|row| row[column].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(column, cell)| {
                    let padding = " ".repeat(widths[column] - cell.chars().count());
                    if column >= self.right_aligned_from {
                        format!("{padding}{cell}")
                    } else {
                        format!("{cell}{padding}")
                    }
                })
                .collect();
            format!("  {}", padded.join("  ").trim_end())
        };
        let _ = writeln!(out, "{}", line(&self.headers));
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        let _ = writeln!(out, "{}", line(&rule));
        for row in &self.rows {
            let _ = writeln!(out, "{}", line(row));
        }
        out.push('\n');
    }
}
