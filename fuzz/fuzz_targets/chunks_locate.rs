//! Fuzz target: chunk normalisation and `locate` against a naive reference.
//! Run with `cargo fuzz run chunks_locate --sanitizer none` from the repository root.
#![no_main]

include!("../checks/chunks_locate.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
