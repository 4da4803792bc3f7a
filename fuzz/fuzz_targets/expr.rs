//! Fuzz target: random expression DAGs with reuse (elementwise, flip, take,
//! sum, insert_axis, rechunk) over irregular and size-1 chunks, planned and
//! computed, against ndarray. Run with `cargo fuzz run expr --sanitizer none`.
#![no_main]

include!("../checks/expr.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));
