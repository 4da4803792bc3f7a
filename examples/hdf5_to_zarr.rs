//! Converts an HDF5 dataset to a rechunked, compressed Zarr v3 array, with a
//! progress bar.
//!
//! ```bash
//! cargo run --release --example hdf5_to_zarr -- in.h5 /dataset out.zarr 1000,64
//! ```
//!
//! The last argument is the Zarr chunk shape (comma separated); the array is
//! read in the dataset's own chunks, rechunked (through the memory-bounded
//! rechunk planner) and written with zstd level 3. The dataset must be float32.

use ndchunk::{Executor, ZarrCodec, ZarrOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, dataset, output, chunks] = args.as_slice() else {
        return Err("usage: hdf5_to_zarr IN.h5 DATASET OUT.zarr CHUNKS (e.g. 1000,64)".into());
    };
    let chunks: Vec<usize> = chunks
        .split(',')
        .map(|c| c.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("chunk shape {chunks:?}: {e}"))?;
    let x = ndchunk::from_hdf5::<f32>(input, dataset)?;
    eprintln!("{}", x.explain().lines().next().unwrap_or_default());
    let options = ZarrOptions::default()
        .chunks(&chunks)
        .codec(ZarrCodec::Zstd(3));
    // The bar appears when stderr is a terminal and the copy takes over a second.
    x.to_zarr_with(output, options, &Executor::local().progress(true))?;
    eprintln!("wrote {output}");
    Ok(())
}
