//! Numerical accuracy of sums, means and variances.

use ndchunk::{random, ReduceOptions};

/// Summing 1e8 f32 values of 0.1 (generated lazily, no memory needed) lands
/// within 1e-5 relative of 1e7 (about a second in a debug build).
#[test]
fn f32_sum_of_many_tenths() {
    let n: usize = 100_000_000;
    let x = ndchunk::full(&[n], 0.1f32, [n / 10]).unwrap();
    let want = n as f64 * 0.1;
    let s = x.sum().unwrap().compute().unwrap()[[]] as f64;
    assert!(((s - want) / want).abs() < 1e-5, "sum {s}, want {want}");
    let m = x.mean().unwrap().compute().unwrap()[[]] as f64;
    assert!(((m - 0.1) / 0.1).abs() < 1e-5, "mean {m}");
    // Many small blocks and a deep tree do not lose accuracy either.
    let y = ndchunk::full(&[1_000_000], 0.1f32, [1000]).unwrap();
    let s = y
        .sum_with(&ReduceOptions::new().split_every(2))
        .unwrap()
        .compute()
        .unwrap()[[]] as f64;
    assert!(((s - 1e5) / 1e5).abs() < 1e-6, "sum {s}");
}

/// f32 sums accumulate in f64: the result matches an f64 sum of the same values.
#[test]
fn f32_sums_accumulate_in_f64() {
    let u = random::uniform::<f32>(&[2_000_000], [300_000], 3).unwrap();
    let values = u.compute().unwrap();
    let want: f64 = values.iter().map(|&v| v as f64).sum();
    let got = u.sum().unwrap().compute().unwrap()[[]] as f64;
    assert!(((got - want) / want).abs() < 1e-7, "{got} vs {want}");
}

/// Variance of values with a large offset: the mergeable moments stay accurate
/// where a naive sum of squares would cancel catastrophically.
#[test]
fn variance_with_a_large_offset() {
    let u = random::uniform::<f64>(&[1_000_000], [70_000], 9).unwrap();
    let shifted = &u + 1e9;
    let v0 = u.var(0).unwrap().compute().unwrap()[[]];
    let v1 = shifted
        .var_with(&ReduceOptions::new().split_every(2))
        .unwrap()
        .compute()
        .unwrap()[[]];
    assert!((v0 - 1.0 / 12.0).abs() < 1e-3, "{v0}");
    assert!(((v1 - v0) / v0).abs() < 1e-6, "{v1} vs {v0}");
}
