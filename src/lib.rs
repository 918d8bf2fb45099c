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
//! - [`live`]: the live projections of a running service and its cached "now" answers.
//! - [`report`]: `acta report`'s tables.
//! - [`verifier`]: `GET /v1/verify`'s one shared verification, on its own thread.
//! - [`clock`]: the wall clock, read here and nowhere below.

pub mod bench;
pub mod checkpoints;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod http;
pub mod import;
pub mod live;
pub mod report;
pub mod verifier;

pub use http::{AppState, app};
