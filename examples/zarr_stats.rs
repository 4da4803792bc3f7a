//! Mean, standard deviation, minimum and maximum of every column of a 2-d
//! float32 or float64 Zarr array of any size, read block by block (peak memory
//! is a few blocks per thread, whatever the array's size).
//!
//! ```bash
//! cargo run --release --example zarr_stats -- data.zarr/group/array
//! ```
//!
//! Prints one line per column: `column mean std min max`.

use std::io::Write;

use ndchunk::{Axis, Element, FloatElement};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: zarr_stats PATH (a 2-d float32 or float64 Zarr array)".into());
    };
    // The dtype is checked against the stored one: try float64, then float32.
    match ndchunk::from_zarr::<f64>(&path) {
        Ok(x) => report(&x),
        Err(ndchunk::Error::DtypeMismatch { .. }) => report(&ndchunk::from_zarr::<f32>(&path)?),
        Err(e) => Err(e.into()),
    }
}

fn report<T: FloatElement>(x: &ndchunk::Array<T>) -> Result<(), Box<dyn std::error::Error>>
where
    T::Mean: Element + std::fmt::Display,
{
    if x.ndim() != 2 {
        return Err(format!("expected a 2-d array, found shape {:?}", x.shape()).into());
    }
    let executor = ndchunk::Executor::local().progress(true);
    let mean = x.mean_axis(Axis(0))?.compute_with(&executor)?;
    let std = x.std_axis(Axis(0), 0)?.compute_with(&executor)?;
    let min = x.min_axis(Axis(0))?.compute_with(&executor)?;
    let max = x.max_axis(Axis(0))?.compute_with(&executor)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "column mean std min max")?;
    for c in 0..x.shape()[1] {
        writeln!(
            out,
            "{c} {} {} {} {}",
            mean[[c]],
            std[[c]],
            min[[c]],
            max[[c]]
        )?;
    }
    Ok(())
}
