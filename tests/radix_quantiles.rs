//! Quantiles of long lanes over several blocks are selected by radix passes
//! over the blocks as they are; the same quantiles of the same values in one
//! block per lane go through whole lanes. Both must agree to the bit, for
//! every dtype, NaN rule and kind of data (spread values end in a collect
//! pass, heavy ties in a pass that fixes the whole key). The chunk budget
//! is 64 KiB in this binary, so buckets of more than 4096 keys are counted
//! again rather than collected.

use ndarray::{ArrayD, Axis, IxDyn};
use ndchunk::{Array, Element};
use proptest::prelude::*;

fn budget() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("NDCHUNK_CHUNK_SIZE", "64KiB"));
}

/// `values` shaped `shape`, as an array chunked `chunks` and as one block.
fn both<T: Element>(
    values: Vec<T>,
    shape: &[usize],
    chunks: Vec<Vec<usize>>,
) -> (Array<T>, Array<T>) {
    budget();
    let data = ArrayD::from_shape_vec(IxDyn(shape), values).unwrap();
    let whole = shape.to_vec();
    (
        ndchunk::from_array(data.clone(), chunks).unwrap(),
        ndchunk::from_array(data, whole).unwrap(),
    )
}

/// The values' bits, but one zero: which of `-0.0` and `0.0` lands at a
/// position among equal zeros is NumPy's `partition`'s choice, not part of
/// its contract (nor of ndchunk's).
fn bits(a: &Array<f64>) -> Vec<u64> {
    a.compute()
        .unwrap()
        .iter()
        .map(|v| (v + 0.0).to_bits())
        .collect()
}

fn radix_selected<T: Element>(a: &Array<T>) -> bool {
    a.explain().contains("radix selection")
}

/// Irregular chunk lengths summing to `n`.
fn cuts(n: usize, seed: u64) -> Vec<usize> {
    let mut lens = Vec::new();
    let (mut left, mut s) = (n, seed | 1);
    while left > 0 {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (((s >> 33) as usize) % (n / 3).max(1) + 1).min(left);
        lens.push(len);
        left -= len;
    }
    lens
}

/// Pseudo-random values in `[0, 1)`.
fn uniform(count: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    (0..count)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

const Q: [f64; 5] = [0.0, 0.05, 0.5, 0.95, 1.0];

fn check_f64(values: Vec<f64>, shape: &[usize], axis: usize, seed: u64) {
    let mut chunks: Vec<Vec<usize>> = shape.iter().map(|&n| vec![n]).collect();
    chunks[axis] = cuts(shape[axis], seed);
    if chunks[axis].len() == 1 {
        chunks[axis] = vec![shape[axis] / 2, shape[axis] - shape[axis] / 2];
    }
    let (split, whole) = both(values, shape, chunks);
    let ax = Some(Axis(axis));
    let got = split.quantiles(&Q, ax).unwrap();
    assert!(radix_selected(&got), "{}", got.explain());
    assert_eq!(bits(&got), bits(&whole.quantiles(&Q, ax).unwrap()));
    assert_eq!(
        bits(&split.nanquantiles(&Q, ax).unwrap()),
        bits(&whole.nanquantiles(&Q, ax).unwrap())
    );
    assert_eq!(
        bits(&split.median(ax).unwrap()),
        bits(&whole.median(ax).unwrap())
    );
    assert_eq!(
        bits(&split.nanmedian(ax).unwrap()),
        bits(&whole.nanmedian(ax).unwrap())
    );
    assert_eq!(
        bits(&split.percentile(37.5, ax).unwrap()),
        bits(&whole.percentile(37.5, ax).unwrap())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn spread_values_match_whole_lanes(n in 65_536usize..150_000, lanes in 1usize..4, seed in 0u64..1000, axis in 0usize..2) {
        let shape = if axis == 0 { [n, lanes] } else { [lanes, n] };
        let values: Vec<f64> = uniform(n * lanes, seed).into_iter().map(|u| (u - 0.3) * 1e3).collect();
        check_f64(values, &shape, axis, seed);
    }

    #[test]
    fn ties_nan_and_signed_zeros_match_whole_lanes(n in 65_536usize..120_000, seed in 0u64..1000, nan_every in 0usize..5) {
        // A few distinct values, so every bucket is large to the last bit.
        let values: Vec<f64> = uniform(2 * n, seed)
            .into_iter()
            .enumerate()
            .map(|(i, u)| match (nan_every > 0 && i % (nan_every * 997) == 3, (u * 5.0) as u32) {
                (true, _) => f64::NAN,
                (_, 0) => -0.0,
                (_, 1) => 0.0,
                (_, k) => k as f64 - 3.5,
            })
            .collect();
        check_f64(values, &[n, 2], 0, seed);
    }
}

#[test]
fn every_dtype_matches_whole_lanes() {
    fn check<T: ndchunk::NumElement>(values: Vec<T>) {
        let n = values.len();
        let (split, whole) = both(values, &[n], vec![cuts(n, 5)]);
        let got = split.quantiles(&Q, None).unwrap();
        assert!(radix_selected(&got), "{}", T::DTYPE);
        assert_eq!(
            bits(&got),
            bits(&whole.quantiles(&Q, None).unwrap()),
            "{}",
            T::DTYPE
        );
        let one = split.median(None).unwrap().compute().unwrap();
        assert_eq!(
            one,
            whole.median(None).unwrap().compute().unwrap(),
            "{}",
            T::DTYPE
        );
    }
    let u = uniform(100_003, 11);
    check(
        u.iter()
            .map(|&v| (v * 2e9 - 1e9) as i64 * 7)
            .collect::<Vec<i64>>(),
    );
    check(
        u.iter()
            .map(|&v| (v * 6e4 - 3e4) as i32)
            .collect::<Vec<i32>>(),
    );
    check(
        u.iter()
            .map(|&v| (v * 6e4 - 3e4) as i16)
            .collect::<Vec<i16>>(),
    );
    check(
        u.iter()
            .map(|&v| (v * 250.0 - 125.0) as i8)
            .collect::<Vec<i8>>(),
    );
    check(u.iter().map(|&v| (v * 250.0) as u8).collect::<Vec<u8>>());
    check(u.iter().map(|&v| (v * 6e4) as u16).collect::<Vec<u16>>());
    check(u.iter().map(|&v| (v * 4e9) as u32).collect::<Vec<u32>>());
    check(u.iter().map(|&v| (v * 1.8e19) as u64).collect::<Vec<u64>>());
    check(
        u.iter()
            .map(|&v| (v as f32 - 0.5) * 3.0)
            .collect::<Vec<f32>>(),
    );
    // A single f32 quantile stays f32, as NumPy's weak scalar does.
    let f: Vec<f32> = u.iter().map(|&v| v as f32).collect();
    let (split, whole) = both(f, &[100_003], vec![cuts(100_003, 7)]);
    let got = split.quantile(0.3, None).unwrap();
    assert!(radix_selected(&got));
    assert_eq!(
        got.compute().unwrap(),
        whole.quantile(0.3, None).unwrap().compute().unwrap()
    );
}

#[test]
fn lanes_split_across_other_axes_and_many_blocks() {
    // Other axes in several blocks are joined; a 3-d array along its
    // middle axis.
    budget();
    let (a, b, c) = (2, 70_000, 3);
    let values: Vec<f64> = uniform(a * b * c, 3);
    let data = ArrayD::from_shape_vec(IxDyn(&[a, b, c]), values).unwrap();
    let split =
        ndchunk::from_array(data.clone(), vec![vec![1, 1], cuts(b, 9), vec![2, 1]]).unwrap();
    let whole = ndchunk::from_array(data, vec![vec![2], vec![b], vec![3]]).unwrap();
    let got = split.percentiles(&[10.0, 90.0], Some(Axis(1))).unwrap();
    assert!(radix_selected(&got));
    assert_eq!(got.shape(), &[2, 2, 3]);
    assert_eq!(
        bits(&got),
        bits(&whole.percentiles(&[10.0, 90.0], Some(Axis(1))).unwrap())
    );
}

#[test]
fn all_nan_lanes_and_a_lane_with_nan() {
    let n = 80_000;
    let mut values = vec![f64::NAN; 2 * n];
    for (i, v) in uniform(n, 4).into_iter().enumerate() {
        values[2 * i + 1] = if i == 17 { f64::NAN } else { v };
    }
    let (split, whole) = both(values, &[n, 2], vec![cuts(n, 2), vec![2]]);
    let ax = Some(Axis(0));
    let q = split.quantiles(&[0.5], ax).unwrap().compute().unwrap();
    assert!(q.iter().all(|v| v.is_nan()));
    let nq = split.nanquantiles(&[0.25, 0.5], ax).unwrap();
    let want = whole.nanquantiles(&[0.25, 0.5], ax).unwrap();
    assert_eq!(bits(&nq), bits(&want));
    assert!(nq.compute().unwrap()[[0, 0]].is_nan());
}
