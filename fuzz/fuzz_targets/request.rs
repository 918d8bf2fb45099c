//! The body of `POST /v1/events` and of `POST /v1/events/batch`, bytes in, read as the handlers
//! read it (`acta_events::json::parse`, then `NewEvent::parse` / `NewEvent::parse_batch`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| acta_fuzz::checks::request_body(bytes));
