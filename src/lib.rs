//! `acta`: the binary's glue — the command line, the HTTP API and the wiring between the event
//! log (`acta-events`) and the projections (`acta-projections`). No business rules live here.
//!
//! # Layout
//!
//! - [`cli`]: the commands of CONTRACT §4 (`serve`, `token`, `import`, `export`, `verify`,
//!   `report`).
//! - [`http`]: the routes of CONTRACT §3, problem+json errors and request extractors; the
//!   server's own accept loop (`http::serve`) and the limits on readers (`http::limits`).
//! - [`checkpoints`]: signed checkpoints — the signing key, the live Merkle tree, the offline
//!   check of a saved checkpoint.
//! - [`bench`]: `acta bench` and its deterministic national-scale workload.
//! - [`demo`]: the bundled Đồng Nai 2009–2015 data set, loaded by `serve --demo`.
//! - [`feed`]: the signal of new commits that wakes `GET /v1/events/stream`, and its cap.
//! - [`findings`]: reconciliation findings with their messages rendered in the reader's
//!   language.
//! - [`ledger`]: `acta export --format hledger`, the money as an hledger journal.
//! - [`live`]: the live projections of a running service and its cached "now" answers.
//! - [`report`]: `acta report`'s tables.
//! - [`statement`]: the dated statement (`acta report --format html`, `GET /v1/statement`,
//!   the page's "In / PDF") and the header of `acta report`'s text.
//! - [`tokens_cli`]: `acta token create`, `list` and `revoke`.
//! - [`verifier`]: `GET /v1/verify`'s one shared verification, on its own thread.
//! - [`verify_cli`]: `acta verify`'s report, and the check against an expected head.
//! - [`clock`]: the wall clock, read here and nowhere below.

pub mod bench;
pub mod checkpoints;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod feed;
pub mod findings;
pub mod http;
pub mod import;
pub mod ledger;
pub mod live;
pub mod report;
pub mod statement;
pub mod tokens_cli;
pub mod verifier;
pub mod verify_cli;

pub use http::{AppState, app};
