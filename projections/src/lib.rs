//! `acta-projections`: pure folds over stored events — plan status, funding, the yearly summary
//! and reconciliation — and Vietnamese money formatting. No I/O, no clock, no SQLite.
//!
//! # Layout
//!
//! - [`vnd`]: amounts in Vietnamese: `1.276.000.000 ₫`, spelt in words, and words read back.

pub mod vnd;
