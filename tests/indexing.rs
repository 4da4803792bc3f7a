//! Differential tests of integer and boolean indexing against plain ndarray
//! references: take, vindex, oindex, mask, filter, permutation, insert_axis,
//! over random shapes, irregular chunkings, dtypes and index patterns, with
//! inputs in memory and computed, and fused with elementwise maths and reductions.

mod common;

use common::*;
use ndarray::{ArrayD, Axis, Dimension, IxDyn};
use ndchunk::array::indexing::Index;
use ndchunk::{Array, Element, Error, Executor};
use proptest::prelude::*;

/// Index patterns for an axis of length `len`, as the issue lists them.
fn pattern(len: usize) -> BoxedStrategy<Vec<i64>> {
    if len == 0 {
        return Just(Vec::new()).boxed();
    }
    let n = len as i64;
    prop_oneof![
        (0..=12usize).prop_map(move |k| (0..k as i64).map(|i| i % n).collect::<Vec<_>>()),
        (0..=12usize).prop_map(move |k| (0..k as i64).rev().map(|i| i % n).collect::<Vec<_>>()),
        prop::collection::vec(0..n, 0..=16),
        (0..n, 0..=10usize).prop_map(|(v, k)| vec![v; k]),
        (0..n, 0..=10usize)
            .prop_map(move |(s, k)| (0..k as i64).map(|i| (s + i / 3) % n).collect::<Vec<_>>()),
        Just(Vec::new()),
        prop::collection::vec(-n..0, 0..=12),
        Just(0u64).prop_perturb(move |_, mut rng| {
            let mut p: Vec<i64> = (0..n).collect();
            for i in (1..p.len()).rev() {
                p.swap(i, rng.random_range(0..=i));
            }
            p
        }),
    ]
    .boxed()
}

/// How the indexed array is built: in memory, computed, or persisted blocks.
#[derive(Clone, Copy, Debug)]
enum Source {
    Memory,
    Computed,
    Persisted,
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        Just(Source::Memory),
        Just(Source::Computed),
        Just(Source::Persisted)
    ]
}

fn build<T: Element>(a: &ArrayD<T>, chunks: &[Vec<usize>], how: Source) -> Array<T> {
    let x = ndchunk::from_array(a.clone(), chunks.to_vec()).unwrap();
    match how {
        Source::Memory => x,
        // A computed array with the same values: the gather reads its blocks.
        Source::Computed => x.mapv(|v| v),
        // Blocks held by `persist`: the gather reads them in place.
        Source::Persisted => x.mapv(|v| v).persist().unwrap(),
    }
}

fn wrap(i: i64, n: usize) -> usize {
    if i < 0 {
        (i + n as i64) as usize
    } else {
        i as usize
    }
}

/// NumPy's `take(a, idx, axis)` with `idx` of shape `idx_shape`.
fn ref_take<T: Element>(a: &ArrayD<T>, idx: &[i64], idx_shape: &[usize], axis: usize) -> ArrayD<T> {
    let n = a.shape()[axis];
    let mut out_shape = a.shape()[..axis].to_vec();
    out_shape.extend_from_slice(idx_shape);
    out_shape.extend_from_slice(&a.shape()[axis + 1..]);
    let k = idx_shape.len();
    ArrayD::from_shape_fn(IxDyn(&out_shape), |ix| {
        let ix = ix.as_array_view().to_vec();
        let flat = ix[axis..axis + k]
            .iter()
            .zip(idx_shape)
            .fold(0, |acc, (&i, &s)| acc * s + i);
        let mut src = ix[..axis].to_vec();
        src.push(wrap(idx[flat], n));
        src.extend_from_slice(&ix[axis + k..]);
        a[IxDyn(&src)]
    })
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn take_matches_numpy(
        (a, chunks, axis, idx, how) in nonempty_shape(4)
            .prop_filter("needs an axis", |s| !s.is_empty())
            .prop_flat_map(|s| {
                let ndim = s.len();
                (array_of(s, f64::arb()), 0..ndim)
            })
            .prop_flat_map(|((a, c), axis)| {
                let len = a.shape()[axis];
                (Just(a), Just(c), Just(axis), pattern(len), source())
            })
    ) {
        let x = build(&a, &chunks, how);
        let got = x.take(&idx, Axis(axis)).unwrap();
        let want = ref_take(&a, &idx, &[idx.len()], axis);
        prop_assert_eq!(got.shape(), want.shape());
        prop_assert_eq!(got.compute().unwrap(), want.clone());
        prop_assert_eq!(got.compute_with(&Executor::local().threads(1)).unwrap(), want);
    }

    #[test]
    fn take_with_a_matrix_index_replaces_the_axis(
        (a, chunks, axis, idx, rows, how) in nonempty_shape(3)
            .prop_filter("needs an axis", |s| !s.is_empty())
            .prop_flat_map(|s| {
                let ndim = s.len();
                (array_of(s, i32::arb()), 0..ndim, 0usize..4)
            })
            .prop_flat_map(|((a, c), axis, rows)| {
                let len = a.shape()[axis] as i64;
                (Just(a), Just(c), Just(axis), prop::collection::vec(-len..len, rows * 3), Just(rows), source())
            })
    ) {
        let x = build(&a, &chunks, how);
        let m = ndarray::Array2::from_shape_vec((rows, 3), idx.clone()).unwrap();
        let got = x.take(&m, Axis(axis)).unwrap().compute().unwrap();
        prop_assert_eq!(got, ref_take(&a, &idx, &[rows, 3], axis));
    }

    #[test]
    fn vindex_matches_numpy_pointwise_indexing(
        (a, chunks, i0, i1, how) in (1usize..=6, 1usize..=6, 1usize..=4)
            .prop_flat_map(|(n0, n1, n2)| array_of(vec![n0, n1, n2], u8::arb()))
            .prop_flat_map(|(a, c)| {
                let (n0, n1) = (a.shape()[0] as i64, a.shape()[1] as i64);
                (Just(a), Just(c), prop::collection::vec(-n0..n0, 6), prop::collection::vec(-n1..n1, 3), source())
            })
    ) {
        let x = build(&a, &chunks, how);
        // (2, 3) and (3,) broadcast to (2, 3); result (2, 3, n2).
        let r = ndarray::Array2::from_shape_vec((2, 3), i0.clone()).unwrap().into_dyn();
        let c = ndarray::Array1::from_vec(i1.clone()).into_dyn();
        let got = x.vindex(&[r.view(), c.view()]).unwrap().compute().unwrap();
        let (n0, n1) = (a.shape()[0], a.shape()[1]);
        let want = ArrayD::from_shape_fn(IxDyn(&[2, 3, a.shape()[2]]), |ix| {
            a[[wrap(i0[ix[0] * 3 + ix[1]], n0), wrap(i1[ix[1]], n1), ix[2]]]
        });
        prop_assert_eq!(got, want);
        // A single (n, k) indexer: the UMAP gather.
        let knn = ndarray::Array2::from_shape_vec((3, 2), i0.clone()).unwrap().into_dyn();
        let g = x.vindex(&[knn.view()]).unwrap();
        prop_assert_eq!(g.shape(), &[3, 2, n1, a.shape()[2]][..]);
        prop_assert_eq!(g.compute().unwrap(), ref_take(&a, &i0, &[3, 2], 0));
    }

    #[test]
    fn oindex_is_outer_indexing(
        (a, chunks, rows, cols, how) in (1usize..=6, 1usize..=6)
            .prop_flat_map(|(n0, n1)| array_of(vec![n0, n1], i64::arb()))
            .prop_flat_map(|(a, c)| {
                let (n0, n1) = (a.shape()[0], a.shape()[1]);
                (Just(a), Just(c), pattern(n0), (0..=n1, 0..=n1 + 2, 1usize..=3), source())
            })
    ) {
        let x = build(&a, &chunks, how);
        let (start, stop, step) = cols;
        let got = x.oindex(&[Index::from(rows.clone()), Index::Range { start, stop, step }]).unwrap();
        let n1 = a.shape()[1];
        let col_pos: Vec<i64> = (start.min(n1)..stop.min(n1)).step_by(step).map(|c| c as i64).collect();
        let want = ref_take(&ref_take(&a, &rows, &[rows.len()], 0), &col_pos, &[col_pos.len()], 1);
        prop_assert_eq!(got.compute().unwrap(), want);
    }

    #[test]
    fn masks_and_filters_match_numpy(
        (a, chunks, keep, how, lazy) in nonempty_shape(3)
            .prop_filter("needs an axis", |s| !s.is_empty())
            .prop_flat_map(|s| array_of(s, i16::arb()))
            .prop_flat_map(|(a, c)| {
                let n0 = a.shape()[0];
                (Just(a), Just(c), prop::collection::vec(any::<bool>(), n0), source(), any::<bool>())
            })
    ) {
        let x = build(&a, &chunks, how);
        let pos: Vec<i64> = keep.iter().enumerate().filter(|(_, &k)| k).map(|(i, _)| i as i64).collect();
        let want = ref_take(&a, &pos, &[pos.len()], 0);
        let got = if lazy {
            let m = ndchunk::from_array(ndarray::Array1::from_vec(keep.clone()), [2]).unwrap();
            x.mask(&m, Axis(0)).unwrap()
        } else {
            x.mask(&keep[..], Axis(0)).unwrap()
        };
        prop_assert_eq!(got.compute().unwrap(), want);
        // filter: elements where x > 0, in C order.
        let f = x.filter(&x.gt(0)).unwrap().compute().unwrap();
        let expected: Vec<i16> = a.iter().copied().filter(|&v| v > 0).collect();
        prop_assert_eq!(f.into_raw_vec_and_offset().0, expected);
    }

    #[test]
    fn umap_neighbour_distance_fuses_and_matches(
        (a, chunks, knn, how) in (1usize..=9, 1usize..=4)
            .prop_flat_map(|(n, d)| array_of(vec![n, d], f64::arb()))
            .prop_flat_map(|(a, c)| {
                let n = a.shape()[0] as i64;
                let rows = a.shape()[0];
                (Just(a), Just(c), prop::collection::vec(0..n, rows * 3), source())
            })
    ) {
        let (n, d) = (a.shape()[0], a.shape()[1]);
        let x = build(&a, &chunks, how);
        let k = ndarray::Array2::from_shape_vec((n, 3), knn.clone()).unwrap().into_dyn();
        let g = x.vindex(&[k.view()]).unwrap();
        let xe = x.insert_axis(Axis(1)).unwrap();
        let dist = (&g - &xe).powi(2).sum_axis(Axis(2)).unwrap().mean_axis(Axis(1)).unwrap();
        let got = dist.compute().unwrap();
        let want = ArrayD::from_shape_fn(IxDyn(&[n]), |ix| {
            let i = ix[0];
            (0..3).map(|j| {
                let nb = knn[i * 3 + j] as usize;
                (0..d).map(|c| (a[[nb, c]] - a[[i, c]]).powi(2)).sum::<f64>()
            }).sum::<f64>() / 3.0
        });
        assert_close(&got, &want, Tol::rel(1e-12), "umap distances");
    }

    #[test]
    fn permutations_reorder_without_loss(
        (a, chunks, seed) in (1usize..=12, 1usize..=3)
            .prop_flat_map(|(n, d)| array_of(vec![n, d], f32::arb()))
            .prop_flat_map(|(a, c)| (Just(a), Just(c), any::<u64>()))
    ) {
        let x = ndchunk::from_array(a.clone(), chunks).unwrap();
        let p = x.permutation(Axis(0), seed).unwrap().compute().unwrap();
        prop_assert_eq!(x.shuffle(Axis(0), seed).unwrap().compute().unwrap(), p.clone());
        let mut got: Vec<Vec<u32>> = p.outer_iter().map(|r| r.iter().map(|v| v.to_bits()).collect()).collect();
        let mut want: Vec<Vec<u32>> = a.outer_iter().map(|r| r.iter().map(|v| v.to_bits()).collect()).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn lazy_integer_indexers_are_computed_first() {
    let x = ndchunk::arange::<i32>(0, 10, 1, [4]).unwrap();
    let idx = ndchunk::arange::<i64>(9, -1, -3, [2]).unwrap();
    assert_eq!(
        x.take(&idx, Axis(0))
            .unwrap()
            .compute()
            .unwrap()
            .into_raw_vec_and_offset()
            .0,
        vec![9, 6, 3, 0]
    );
}

#[test]
fn out_of_bounds_indices_name_value_and_position() {
    let x = ndchunk::zeros::<f32>(&[5, 2], [2, 2]).unwrap();
    let err = x.take(&[0i64, 4, -6, 9], Axis(0)).unwrap_err();
    assert!(
        matches!(&err, Error::IndexerOutOfBounds { index: -6, position, axis: 0, len: 5, .. } if position == &vec![2]),
        "{err}"
    );
    assert!(
        err.to_string().contains("-6") && err.to_string().contains("[2]"),
        "{err}"
    );
    let m = ndarray::arr2(&[[0u64, 1], [2, u64::MAX]]);
    let err = x.vindex(&[m.view().into_dyn()]).unwrap_err();
    assert!(
        err.to_string().contains("18446744073709551615") && err.to_string().contains("[1, 1]"),
        "{err}"
    );
    assert!(matches!(
        x.take(&[0i64], Axis(2)),
        Err(Error::AxisOutOfBounds { axis: 2, .. })
    ));
}

#[test]
fn wrong_index_shapes_are_errors() {
    let x = ndchunk::zeros::<u8>(&[4, 3], [2, 3]).unwrap();
    let e = x.mask(&[true, false][..], Axis(0)).unwrap_err();
    assert!(
        e.to_string().contains("length 2") && e.to_string().contains("length 4"),
        "{e}"
    );
    let small = ndchunk::zeros::<bool>(&[4], [4]).unwrap();
    assert!(matches!(x.filter(&small), Err(Error::ShapeMismatch { .. })));
    let three = [
        ndarray::arr1(&[0i64]),
        ndarray::arr1(&[0i64]),
        ndarray::arr1(&[0i64]),
    ];
    assert!(x.vindex(&three).is_err());
    let a = ndarray::arr1(&[0i64, 1]);
    let b = ndarray::arr1(&[0i64, 1, 2]);
    assert!(matches!(
        x.vindex(&[a, b]),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(x
        .oindex(&[
            Index::Full,
            Index::Range {
                start: 0,
                stop: 2,
                step: 0
            }
        ])
        .is_err());
    assert!(x.insert_axis(Axis(3)).is_err());
}

#[test]
fn gathers_run_inside_their_consumers_tasks() {
    // take + elementwise + reduction: one fused task per output block plus the tree.
    let x = ndchunk::from_array(ndarray::Array2::<f64>::ones((1000, 8)), [250, 8]).unwrap();
    let idx: Vec<i64> = (0..1000).rev().collect();
    let y = (&x.take(&idx, Axis(0)).unwrap() * 2.0).sum().unwrap();
    let plan = y.plan().unwrap();
    assert_eq!(plan.stages.len(), 2, "{}", y.explain());
    assert_eq!(y.compute().unwrap()[[]], 16000.0);
}

#[test]
fn computed_inputs_are_gathered_from_their_blocks_without_concatenating() {
    // A computed (1000, 8) input in four row blocks: the gather reads all four
    // blocks in every output task; no stage joins them into one block first.
    let a = ndarray::Array2::<f64>::from_shape_fn((1000, 8), |(i, j)| (i * 8 + j) as f64);
    let x = ndchunk::from_array(a.clone(), vec![vec![100, 200, 300, 400], vec![8]])
        .unwrap()
        .mapv(|v| v + 1.0);
    let idx: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1000).collect();
    let y = x.take(&idx, Axis(0)).unwrap();
    let plan = y.plan().unwrap();
    assert_eq!(plan.stages.len(), 2, "{}", y.explain());
    for &o in &plan.outputs {
        assert_eq!(plan.tasks[o].deps.len(), 4, "{}", y.explain());
    }
    let expected =
        ndarray::Array2::from_shape_fn((1000, 8), |(i, j)| a[[idx[i] as usize, j]] + 1.0);
    assert_eq!(y.compute().unwrap(), expected.into_dyn());
}

#[test]
fn neighbour_tables_line_up_with_the_input_without_a_rechunk() {
    // X[knn] - X[:, None, :] with knn of one row per point: the gather's output
    // chunks nest in X's (chunks of 350 rows, not a multiple of the gather's
    // rows per chunk), so the whole expression is one fused stage plus the
    // reduction tree, with no rechunk stage.
    let n = 1000;
    let x = ndchunk::from_array(ndarray::Array2::<f64>::ones((n, 8)), [350, 8]).unwrap();
    let knn = ndarray::Array2::<i64>::from_shape_fn((n, 15), |(i, j)| ((i * 7 + j) % n) as i64);
    let g = x.vindex(&[knn.into_dyn()]).unwrap();
    let d = (&g - &x.insert_axis(Axis(1)).unwrap())
        .powi(2)
        .sum_axis(Axis(2))
        .unwrap();
    let plan = d.plan().unwrap();
    let names: Vec<&str> = plan.stages.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.iter().all(|n| !n.starts_with("rechunk")),
        "{}",
        d.explain()
    );
    assert!(
        names[0].starts_with("vindex") && names[0].contains("sub"),
        "{names:?}"
    );
    assert!(d.compute().unwrap().iter().all(|&v| v == 0.0));
}
