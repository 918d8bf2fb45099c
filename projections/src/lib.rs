//! `acta-projections`: pure folds over stored events — plan status, funding, the yearly summary
//! and reconciliation — and Vietnamese money formatting. No I/O, no clock, no SQLite.
//!
//! A [`Record`] is fed every stored event in `seq` order ([`Record::apply`], or at the cold
//! start [`Record::replay`]) and answers the read endpoints of CONTRACT §3 for any [`Query`]:
//! `as_of` (valid time), `known_at` (system time), a plan subtree, and today's date passed in.
//! Each answer type serialises to exactly the JSON shape of §3.1–§3.4. Money is integer đồng
//! throughout; nothing here uses a float.
//!
//! # Layout
//!
//! Each module uses only modules listed before it: the write side (`record` and what it keeps)
//! comes first, the answers last, and no answer module is used by the record.
//! `tests/tidy.rs` (at the workspace root) fails on a circle.
//!
//! - `compact`: the compact typed form of acts and lifecycle events (day numbers,
//!   milliseconds, interned plans, pre-resolved aggregate cells), and units' names.
//! - `decisions`: each decision version rendered once, as the yearly summary lists it.
//! - [`vnd`]: amounts in Vietnamese: `1.276.000.000 ₫`, spelt in words, and words read back.
//! - `cells`: the aggregate cells, each key found by hash map once, when an act is applied.
//! - `decode`: what the record keeps of an act's data, from a checked `EventData` or, at the
//!   cold start ([`Record::replay`]), from the data `acta-events` read borrowed from its
//!   stored text.
//! - [`query`]: [`Query`], the two time axes, the plan subtree and today.
//! - `act_tables`: what every act's compact state points into (cells, interned names, units,
//!   rendered decisions, claims of totals), and how an act's facts become that state.
//! - `aggregate`: the dense sums every answer is read from, kept live for "now".
//! - `checkpoint`: copies of the live sums every so many events, from which time travel
//!   starts instead of folding every act.
//! - `plans`: each plan's lifecycle, acts and indexes; the plan set a query is about.
//! - [`record`]: [`Record`], `apply` and `replay`: every event in compact form, the live sums.
//! - `fold`: the aggregate a query reads: the live one, one folded from a checkpoint, or one
//!   folded from every act of the plans asked about.
//! - [`status`]: plan status (§3.1).
//! - [`funding`]: funding (§3.2).
//! - [`yearly`]: the year-by-year summary (§3.3).
//! - [`reconciliation`]: findings (§3.4).
//! - [`ledger`]: every funding act a query sees, at the version it sees, for a ledger
//!   (`acta export --format hledger`).
//! - `testing` (tests only): a builder of stored events without SQLite; `demo_tests`: the
//!   figures of `data/demo/EXPECTED.md`; `properties`: property tests of the folds;
//!   `scale_tests`: a million-event measurement (ignored by default); `words_tests`: amounts
//!   in words through reconciliation.
//!
//! `docs/DESIGN.md` explains why time travel stays fast.

mod act_tables;
mod aggregate;
mod cells;
mod checkpoint;
mod compact;
mod decisions;
mod decode;
mod fold;
pub mod funding;
pub mod ledger;
mod plans;
pub mod query;
pub mod reconciliation;
pub mod record;
pub mod status;
pub mod vnd;
pub mod yearly;

#[cfg(test)]
mod demo_tests;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod words_tests;

pub use funding::{Funding, FundingByPlan, FundingBySource, FundingByYear, FundingFigures};
pub use ledger::FundingEntry;
pub use query::Query;
pub use reconciliation::{Finding, FindingKind, Reconciliation, Severity};
pub use record::Record;
pub use status::{Approval, HistoryEntry, IndicatorRow, PlanStatusView};
pub use yearly::{
    AssessmentSummary, DecisionSummary, OutreachItems, TopicFigures, TrainingSummary, YearFunding,
    YearSummary, YearlySummary,
};
