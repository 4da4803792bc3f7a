//! Fuzz target: the gather planner (take, vindex, mask) against a naive reference.
//! Run with `cargo fuzz run gather --sanitizer none` from the repository root.
#![no_main]

include!("../checks/gather.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
