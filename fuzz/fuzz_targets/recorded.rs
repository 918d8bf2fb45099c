//! One line of an export, as `acta import` reads it (`NewEvent::parse_recorded`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| acta_fuzz::checks::recorded_line(bytes));
