//! The exact kNN graph against brute force (all pairwise distances, sorted
//! with ties by index) on small integer-valued data, where every distance is
//! exact; random sizes, chunkings, k and float dtypes; errors.

mod common;

use common::{array_of, config};
use ndarray::{Array2, ArrayD};
use ndchunk::neighbors::{knn, knn_with};
use ndchunk::prelude::*;
use proptest::prelude::*;

/// Brute force: for each row, all rows sorted by (distance, index), first k.
fn brute(a: &ArrayD<f64>, k: usize) -> (Array2<i64>, Array2<f64>) {
    let n = a.shape()[0];
    let mut idx = Array2::<i64>::zeros((n, k));
    let mut dist = Array2::<f64>::zeros((n, k));
    for i in 0..n {
        let mut all: Vec<(f64, usize)> = (0..n)
            .map(|j| {
                let d: f64 = a
                    .index_axis(ndarray::Axis(0), i)
                    .iter()
                    .zip(a.index_axis(ndarray::Axis(0), j).iter())
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum();
                (d, j)
            })
            .collect();
        all.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
        for (c, &(d, j)) in all.iter().take(k).enumerate() {
            idx[[i, c]] = j as i64;
            dist[[i, c]] = d.sqrt();
        }
    }
    (idx, dist)
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn knn_matches_brute_force_with_ties_by_index(
        ((a, chunks), k) in (1usize..40, 1usize..4)
            .prop_flat_map(|(n, d)| (array_of(vec![n, d], (-3i32..4).prop_map(f64::from).boxed()), 1..=n)),
        small_blocks in any::<bool>(),
    ) {
        let x = ndchunk::from_array(a.clone(), chunks).unwrap();
        let (want_idx, want_dist) = brute(&a, k);
        // Distance blocks of 8 x 8 rows (512 B) or one block.
        let ex = if small_blocks {
            Executor::local().with_plan_options(ndchunk::PlanOptions {
                chunk_bytes: 512,
                ..ndchunk::PlanOptions::from_env().unwrap()
            })
        } else {
            Executor::local()
        };
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
