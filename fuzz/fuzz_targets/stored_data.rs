//! The stored `data` text of an event as the cold start reads it: the first byte picks the
//! event type, the rest is the text.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| acta_fuzz::checks::stored_data_bytes(bytes));
