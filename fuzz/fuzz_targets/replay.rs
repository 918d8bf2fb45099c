//! A log of stored events folded into the projections as each commit is and as the cold start
//! reads each row: the two must answer alike (fuzz/src/replay.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| acta_fuzz::replay::replay_agrees(bytes));
