//! UMAP's neighbour pipeline end to end in ndchunk: the exact kNN graph of
//! an (n, d) array (distance tiles screened into per-row top-k buffers and a
//! top-k tree, never the n × n matrix), then the README's neighbour-distance expression on it,
//! `mean_k ‖X[knn[i, k]] − X[i]‖²`, as one fused stage.
//!
//! ```text
//! cargo run --release --example umap_neighbors                 # 200 000 x 32, k = 15
//! cargo run --release --example umap_neighbors -- --rows 20000 # smaller
//! ```

use std::time::Instant;

use clap::Parser;
use ndchunk::prelude::*;

#[derive(Parser)]
#[command(about = "Exact kNN graph, then UMAP's neighbour distances")]
struct Args {
    /// Rows of X.
    #[arg(long, default_value_t = 200_000)]
    rows: usize,
    /// Columns of X.
    #[arg(long, default_value_t = 32)]
    dims: usize,
    /// Neighbours per row (the row itself included).
    #[arg(long, default_value_t = 15)]
    k: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (n, d, k) = (args.rows, args.dims, args.k);
    // Gaussian blobs: 16 centres, points scattered around them.
    let noise = ndchunk::random::standard_normal::<f32>(&[n, d], [20_000, d], 7)?;
    let centre = ndchunk::random::integers::<i64>(0, 16, &[n, 1], [20_000, 1], 8)?.astype::<f32>();
    let x = (&noise + &(&centre * 4.0)).persist()?;
    let start = Instant::now();
    let (knn, distances) = ndchunk::neighbors::knn(&x, k)?;
    let graph_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let g = x.vindex(&[knn.view()])?;
    let spread = (&g - &x.insert_axis(Axis(1))?)
        .powi(2)
        .sum_axis(Axis(2))?
        .mean_axis(Axis(1))?;
    println!(
        "{}",
        spread
            .explain()
            .lines()
            .take(4)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let spread = spread.compute()?;
    let expr_s = start.elapsed().as_secs_f64();
    // The expression is the mean of the squared kNN distances, row by row.
    let worst = spread
        .iter()
        .zip(distances.outer_iter())
        .map(|(&s, row)| {
            let want = row.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / k as f64;
            (f64::from(s) - want).abs() / want.max(1.0)
        })
        .fold(0.0, f64::max);
    let self_first = (0..n).all(|i| knn[[i, 0]] == i as i64 || distances[[i, 0]] == 0.0);
    println!(
        "kNN graph of {n} x {d} (k = {k}): {graph_s:.2} s; neighbour distances: {expr_s:.3} s; \
         every row its own nearest: {self_first}; expression vs distances: {worst:.1e} relative"
    );
    Ok(())
}
