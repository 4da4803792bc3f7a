//! The exact kNN graph and queries against a corpus, against brute force
//! (all pairwise distances, sorted with ties by index, NaN last) on small
//! integer-valued data, where every distance is exact; random sizes,
//! chunkings, row blocks (down to one row, so the merge tree has several
//! levels), k and float dtypes; tiles cut inside a block; NaN; errors.

mod common;

use common::{array_of, config};
use ndarray::{Array2, ArrayD};
use ndchunk::neighbors::{kneighbors, kneighbors_with, knn, knn_with};
use ndchunk::prelude::*;
use proptest::prelude::*;

/// Brute force: for each row of `q`, all rows of `c` sorted by (distance,
/// index), NaN last, first k.
fn brute_between(q: &ArrayD<f64>, c: &ArrayD<f64>, k: usize) -> (Array2<i64>, Array2<f64>) {
    let m = q.shape()[0];
    let mut idx = Array2::<i64>::zeros((m, k));
    let mut dist = Array2::<f64>::zeros((m, k));
    for i in 0..m {
        let mut all: Vec<(f64, usize)> = (0..c.shape()[0])
            .map(|j| {
                let d: f64 = q
                    .index_axis(ndarray::Axis(0), i)
                    .iter()
                    .zip(c.index_axis(ndarray::Axis(0), j).iter())
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum();
                (d, j)
            })
            .collect();
        all.sort_by(|p, q| {
            let by_value = p.0.partial_cmp(&q.0);
            by_value
                .unwrap_or_else(|| p.0.is_nan().cmp(&q.0.is_nan()))
                .then(p.1.cmp(&q.1))
        });
        for (col, &(d, j)) in all.iter().take(k).enumerate() {
            idx[[i, col]] = j as i64;
            dist[[i, col]] = d.sqrt();
        }
    }
    (idx, dist)
}

fn brute(a: &ArrayD<f64>, k: usize) -> (Array2<i64>, Array2<f64>) {
    brute_between(a, a, k)
}

/// An executor whose plan chunk size is `chunk_bytes` (the search's row
/// blocks hold at most that many bytes of f64 rows), or the default.
fn executor(chunk_bytes: Option<u64>) -> Executor {
    match chunk_bytes {
        Some(chunk_bytes) => Executor::local().with_plan_options(ndchunk::PlanOptions {
            chunk_bytes,
            ..ndchunk::PlanOptions::from_env().unwrap()
        }),
        None => Executor::local(),
    }
}

/// Same values and NaNs in the same places.
fn same_distances(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn knn_matches_brute_force_with_ties_by_index(
        ((a, chunks), k) in (1usize..40, 1usize..4)
            .prop_flat_map(|(n, d)| (array_of(vec![n, d], (-3i32..4).prop_map(f64::from).boxed()), 1..=n)),
        chunk_bytes in prop::option::of(prop::sample::select(vec![32u64, 512])),
    ) {
        let x = ndchunk::from_array(a.clone(), chunks).unwrap();
        let (want_idx, want_dist) = brute(&a, k);
        // Row blocks of 4 / d rows (at least one: up to 40 corpus blocks,
        // three merge levels), of 64 / d, or one block.
        let ex = executor(chunk_bytes);
        let (idx, dist) = knn_with(&x, k, &ex).unwrap();
        prop_assert_eq!(idx, want_idx);
        prop_assert_eq!(dist, want_dist);
        // f32 gives the same neighbours (small integers are exact).
        let (idx32, _) = knn(&x.astype::<f32>(), k).unwrap();
        prop_assert_eq!(idx32, brute(&a, k).0);
    }
}

#[test]
fn every_row_is_its_own_nearest_neighbour_on_distinct_points() {
    let a = ndarray::Array2::from_shape_fn((500, 8), |(i, j)| {
        ((i * 37 + j * 11) % 101) as f32 * 0.37 + i as f32
    });
    let x = ndchunk::from_array(a, [64, 8]).unwrap();
    let (idx, dist) = knn(&x, 5).unwrap();
    for i in 0..500 {
        assert_eq!(idx[[i, 0]], i as i64);
        assert_eq!(dist[[i, 0]], 0.0);
        assert!(dist.row(i).windows(2).into_iter().all(|w| w[0] <= w[1]));
    }
}

#[test]
fn bad_shapes_and_k_are_errors() {
    let v = ndchunk::ones::<f64>(&[5], [5]).unwrap();
    assert!(knn(&v, 1).unwrap_err().to_string().contains("(n, d) array"));
    let x = ndchunk::ones::<f64>(&[3, 2], [3, 2]).unwrap();
    let e = knn(&x, 4).unwrap_err().to_string();
    assert!(
        e.contains("knn") && e.contains("k = 4") && e.contains("3 rows"),
        "{e}"
    );
    assert_eq!(knn(&x, 0).unwrap().0.shape(), &[3, 0]);
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn kneighbors_matches_brute_force_between_two_arrays(
        ((q, q_chunks), (c, c_chunks), k) in (1usize..30, 1usize..30, 1usize..4)
            .prop_flat_map(|(m, n, d)| {
                let values = || (-3i32..4).prop_map(f64::from).boxed();
                (array_of(vec![m, d], values()), array_of(vec![n, d], values()), 0..=n)
            }),
        chunk_bytes in prop::option::of(prop::sample::select(vec![32u64, 512])),
    ) {
        let queries = ndchunk::from_array(q.clone(), q_chunks).unwrap();
        let corpus = ndchunk::from_array(c.clone(), c_chunks).unwrap();
        let (idx, dist) = kneighbors_with(&queries, &corpus, k, &executor(chunk_bytes)).unwrap();
        let (want_idx, want_dist) = brute_between(&q, &c, k);
        prop_assert_eq!(idx, want_idx);
        prop_assert_eq!(dist, want_dist);
    }
}

/// Blocks of more rows than a distance tile (128 query × 256 corpus rows),
/// cut into tiles inside each task, with many equal distances.
#[test]
fn tiles_inside_a_block_keep_ties_by_index() {
    let a = ndarray::Array2::from_shape_fn((700, 2), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 2.0)
        .into_dyn();
    let x = ndchunk::from_array(a.clone(), [300, 2]).unwrap();
    let (idx, dist) = knn(&x, 20).unwrap();
    let (want_idx, want_dist) = brute(&a, 20);
    assert_eq!(idx, want_idx);
    assert_eq!(dist, want_dist);
}

#[test]
fn rows_with_nan_are_farthest_and_their_neighbours_come_in_index_order() {
    let mut a = ndarray::Array2::from_shape_fn((12, 3), |(i, j)| (i * j % 4) as f64).into_dyn();
    a[[5, 1]] = f64::NAN;
    let x = ndchunk::from_array(a.clone(), [5, 2]).unwrap();
    for chunk_bytes in [Some(32), None] {
        let (idx, dist) = knn_with(&x, 12, &executor(chunk_bytes)).unwrap();
        let (want_idx, want_dist) = brute(&a, 12);
        assert_eq!(idx, want_idx);
        assert!(same_distances(&dist, &want_dist), "{dist} != {want_dist}");
        assert_eq!(idx.row(5).to_vec(), (0..12).collect::<Vec<i64>>());
        assert!(idx.rows().into_iter().all(|r| r[11] == 5 || r[0] == 0));
    }
}

#[test]
fn the_plan_compares_row_blocks_and_merges_their_selections() {
    let x = ndchunk::random::uniform::<f64>(&[4000, 4], [1000, 4], 1).unwrap();
    // Rows of 4 f64 (32 bytes): blocks of 128 rows, 32 × 32 tasks, and two
    // merge levels of 16.
    let ex = executor(Some(4096));
    let (idx, _) = knn_with(&x, 3, &ex).unwrap();
    assert_eq!(idx.shape(), &[4000, 3]);
    assert!((0..4000).all(|i| idx[[i, 0]] == i as i64));
    let q = ndchunk::random::uniform::<f64>(&[50, 4], [50, 4], 2).unwrap();
    let (nearest, _) = kneighbors_with(&q, &x, 2, &ex).unwrap();
    let (all, _) = kneighbors(&q, &x, 2).unwrap();
    assert_eq!(nearest, all);
}

#[test]
fn kneighbors_errors_name_the_argument_and_axis() {
    let q = ndchunk::ones::<f64>(&[3, 2], [3, 2]).unwrap();
    let c3 = ndchunk::ones::<f64>(&[4, 3], [4, 3]).unwrap();
    let e = kneighbors(&q, &c3, 1).unwrap_err().to_string();
    assert!(
        e.contains("2 columns (axis 1)") && e.contains("corpus 3"),
        "{e}"
    );
    let v = ndchunk::ones::<f64>(&[4], [4]).unwrap();
    let e = kneighbors(&q, &v, 1).unwrap_err().to_string();
    assert!(e.contains("corpus must be an (n, d) array"), "{e}");
    let c = ndchunk::ones::<f64>(&[4, 2], [2, 2]).unwrap();
    let e = kneighbors(&q, &c, 5).unwrap_err().to_string();
    assert!(e.contains("k = 5") && e.contains("4 rows"), "{e}");
    let empty = ndchunk::zeros::<f64>(&[0, 2], [1, 2]).unwrap();
    let (idx, dist) = kneighbors(&empty, &c, 2).unwrap();
    assert_eq!((idx.shape(), dist.shape()), (&[0, 2][..], &[0, 2][..]));
}
