//! `mean((2u + 1)^2)` over `random::uniform::<f32>` with 1e9 elements (4 GB if it
//! were materialised). The elementwise chain and the reduction fuse into one pass
//! over cache-sized tiles of each block, generated as they are consumed, so peak
//! memory stays near the thread count times a few tiles.
//!
//! Prints one JSON line: `{"mean": ..., "elements": ..., "seconds": ...}`.
//! The exact answer is 13/3. Pass a smaller element count as the first argument
//! for a quick run: `cargo run --release --example out_of_core_mean -- 10000000`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let elements: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 1_000_000_000,
    };
    let start = Instant::now();
    let u = ndchunk::random::uniform::<f32>(&[elements], ndchunk::ChunkSpec::Auto, 42)?;
    let mean = ((&u * 2.0 + 1.0).powi(2)).mean()?.compute()?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({ "mean": mean[[]], "elements": elements, "seconds": seconds })
    );
    Ok(())
}
