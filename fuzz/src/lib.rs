//! What the fuzz targets check (`replay.rs`: the projections' cold start; `checks.rs`: the rest). `checks.rs` depends on `acta-events` and `serde_json` only, so
//! that `events/tests/fuzz_regressions.rs` includes the same file and replays every input the
//! fuzzer found through the same checks in the ordinary test suite.

pub mod checks;
pub mod replay;
