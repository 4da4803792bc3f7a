//! The streaming gather: with `NDCHUNK_GATHER_BYTES` tiny (set once, for this test
//! binary only), every computed input is too large to hold whole, so gathers
//! stream through scatter chains in small output groups. Results must equal the
//! resident path's and NumPy's.

use ndarray::{Array2, ArrayD, Axis, IxDyn};
use ndchunk::Executor;
use proptest::prelude::*;

fn streaming() {
    // Every test calls this first; the value never changes, so the race between
    // test threads is harmless.
    std::env::set_var(ndchunk::config::GATHER_BYTES_ENV, "64B");
}

fn computed(a: &Array2<i64>, chunks: Vec<Vec<usize>>) -> ndchunk::Array<i64> {
    ndchunk::from_array(a.clone(), chunks).unwrap().mapv(|v| v)
}

fn lens(n: usize, cuts: &[usize]) -> Vec<usize> {
    let mut pts: Vec<usize> = cuts
        .iter()
        .map(|c| c % n.max(1))
        .filter(|&c| c > 0)
        .collect();
    pts.sort_unstable();
    pts.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for p in pts.into_iter().chain([n]) {
        if p > prev {
            out.push(p - prev);
            prev = p;
        }
    }
    if out.is_empty() {
        out.push(n);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn streamed_take_matches_numpy(
        rows in 1usize..40,
        cols in 1usize..5,
        row_cuts in prop::collection::vec(0usize..40, 0..6),
        col_cuts in prop::collection::vec(0usize..5, 0..2),
        idx in prop::collection::vec(-40i64..40, 0..60),
        axis in 0usize..2,
    ) {
        streaming();
        let a = Array2::from_shape_fn((rows, cols), |(i, j)| (i * 100 + j) as i64);
        let n = [rows, cols][axis] as i64;
        let idx: Vec<i64> = idx.into_iter().map(|i| i % n).collect();
        let x = computed(&a, vec![lens(rows, &row_cuts), lens(cols, &col_cuts)]);
        let got = x.take(&idx, Axis(axis)).unwrap();
        let pos: Vec<usize> = idx.iter().map(|&i| if i < 0 { (i + n) as usize } else { i as usize }).collect();
        let want = a.select(Axis(axis), &pos).into_dyn();
        prop_assert_eq!(got.compute().unwrap(), want.clone());
        prop_assert_eq!(got.compute_with(&Executor::local().threads(1)).unwrap(), want);
    }

    #[test]
    fn streamed_vindex_and_reductions_match(
        n in 1usize..30,
        cuts in prop::collection::vec(0usize..30, 0..5),
        knn in prop::collection::vec(0usize..30, 0..45),
    ) {
        streaming();
        let a = Array2::from_shape_fn((n, 3), |(i, j)| (i * 10 + j) as i64);
        let x = computed(&a, vec![lens(n, &cuts), vec![3]]);
        let k = knn.len() / 3;
        let knn: Vec<i64> = knn[..k * 3].iter().map(|&v| (v % n) as i64).collect();
        let m = ndarray::Array2::from_shape_vec((k, 3), knn.clone()).unwrap().into_dyn();
        let g = x.vindex(&[m.view()]).unwrap();
        let want = ArrayD::from_shape_fn(IxDyn(&[k, 3, 3]), |ix| a[[knn[ix[0] * 3 + ix[1]] as usize, ix[2]]]);
        prop_assert_eq!(g.compute().unwrap(), want.clone());
        prop_assert_eq!(g.sum_axis(Axis(2)).unwrap().compute().unwrap(), want.sum_axis(Axis(2)));
    }
}

#[test]
fn streamed_permutation_reads_each_source_block_once() {
    streaming();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    let x = ndchunk::from_fn(&[1000], [100], move |b, shape| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ndarray::ArrayD::from_shape_fn(shape, |ix| (b[0] * 100 + ix[0]) as f64)
    })
    .unwrap();
    let p = x.permutation(Axis(0), 3).unwrap();
    let plan = p.plan().unwrap();
    assert!(p.explain().contains("scatter"), "{}", p.explain());
    let mut got = p.compute().unwrap().into_raw_vec_and_offset().0;
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        10,
        "each source block read once"
    );
    got.sort_by(f64::total_cmp);
    assert_eq!(got, (0..1000).map(|v| v as f64).collect::<Vec<_>>());
    // Tasks: 10 sources, one chain step per (group, touched source block) with 10
    // groups of one output chunk each (the budget is tiny), 10 extractions.
    let steps = plan.tasks.len() - 20;
    assert!((10..=100).contains(&steps), "{} tasks", plan.tasks.len());
}

#[test]
fn streamed_pointwise_indexing_over_two_axes() {
    streaming();
    let a = ndarray::Array3::from_shape_fn((9, 4, 2), |(i, j, k)| (i * 100 + j * 10 + k) as i64);
    let x = ndchunk::from_array(a.clone(), vec![vec![2, 3, 4], vec![1, 3], vec![2]])
        .unwrap()
        .mapv(|v| v);
    let rows = ndarray::arr1(&[8i64, 0, -1, 3, 3]);
    let cols = ndarray::arr1(&[3i64, 0, 2, -4, 1]);
    let got = x.vindex(&[rows.clone(), cols.clone()]).unwrap();
    assert!(got.explain().contains("scatter"), "{}", got.explain());
    let want = ndarray::Array2::from_shape_fn((5, 2), |(p, k)| {
        let (r, c) = (
            rows[p].rem_euclid(9) as usize,
            cols[p].rem_euclid(4) as usize,
        );
        a[[r, c, k]]
    });
    assert_eq!(got.compute().unwrap(), want.into_dyn());
}
