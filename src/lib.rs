//! `acta`: the binary's glue — the command line, the HTTP API and the wiring between the event
//! log (`acta-events`) and the projections (`acta-projections`). No business rules live here.
//!
//! # Layout
//!
//! - [`cli`]: the commands of CONTRACT §4 (`serve`, `import`, `export`, `verify`).
//! - [`http`]: the routes of CONTRACT §3, problem+json errors and request extractors.
//! - [`clock`]: the wall clock, read here and nowhere below.

pub mod cli;
pub mod clock;
pub mod http;

pub use http::{AppState, app};
