//! Overlap, block maps and scans beyond what the conformance cases (NumPy's
//! and dask's results, `tests/conformance/`) cover: depths past a block and
//! computed inputs against `pad` (itself tested against NumPy), the shape of
//! the plans (one task per block, carries over several levels), `blockwise`
//! against plain products, and the errors.

mod common;

use common::{array_of, computed, config};
use ndarray::{ArrayD, ArrayViewD, Axis, Ix2, IxDyn, SliceInfoElem};
use ndchunk::{Array, OverlapBoundary, PadMode};
use proptest::prelude::*;

fn boundary_strategy() -> impl Strategy<Value = OverlapBoundary<i64>> {
    prop_oneof![
        Just(OverlapBoundary::None),
        Just(OverlapBoundary::Reflect),
        Just(OverlapBoundary::Periodic),
        Just(OverlapBoundary::Nearest),
        (-5i64..5).prop_map(OverlapBoundary::Constant),
    ]
}

/// `overlap` by its definition: each block's box of the padded array
/// (clipped to the array for `None`), the boxes concatenated.
fn reference_overlap(
    a: &ArrayD<i64>,
    chunks: &[Vec<usize>],
    depth: &[usize],
    boundary: OverlapBoundary<i64>,
) -> ArrayD<i64> {
    let mode = match boundary {
        OverlapBoundary::None => None,
        OverlapBoundary::Reflect => Some(PadMode::Symmetric),
        OverlapBoundary::Periodic => Some(PadMode::Wrap),
        OverlapBoundary::Nearest => Some(PadMode::Edge),
        OverlapBoundary::Constant(v) => Some(PadMode::Constant(v)),
    };
    let widths: Vec<(usize, usize)> = depth
        .iter()
        .map(|&d| if mode.is_some() { (d, d) } else { (0, 0) })
        .collect();
    let padded = match mode {
        Some(m) => ndchunk::from_array(a.clone(), a.shape().to_vec())
            .unwrap()
            .pad(&widths, m)
            .unwrap()
            .compute()
            .unwrap(),
        None => a.clone(),
    };
    let mut out = padded;
    for (axis, lens) in chunks.iter().enumerate() {
        let (d, n) = (depth[axis], a.shape()[axis]);
        let mut picks = Vec::new();
        let mut start = 0;
        for &len in lens {
            let end = start + len;
            let range = match (len, mode) {
                (0, _) => start..start,
                (_, Some(_)) => start..end + 2 * d,
                (_, None) => start.saturating_sub(d)..(end + d).min(n),
            };
            picks.extend(range);
            start = end;
        }
        out = out.select(Axis(axis), &picks);
    }
    out
}

proptest! {
    #![proptest_config(config(64))]

    /// Depths up to 3 on blocks down to one element (halos reaching past the
    /// next block), in-memory and computed inputs, every boundary.
    #[test]
    fn overlap_matches_its_definition(
        (a, chunks) in common::nonempty_shape(3)
            .prop_filter("at least one axis", |s| !s.is_empty())
            .prop_flat_map(|s| array_of(s, (-50i64..50).boxed())),
        depths in prop::collection::vec(0usize..=3, 3),
        boundary in boundary_strategy(),
        resident in any::<bool>(),
    ) {
        let depth = &depths[..a.ndim()];
        let x = if resident {
            ndchunk::from_array(a.clone(), chunks.clone()).unwrap()
        } else {
            computed(&a, &chunks)
        };
        let g = x.overlap(depth, boundary).unwrap();
        let want = reference_overlap(&a, &chunks, depth, boundary);
        prop_assert_eq!(g.compute().unwrap(), want);
        // Trimming what overlap added gives the input back.
        let t = g.trim_internal(depth, boundary);
        if chunks.iter().zip(depth).all(|(c, &d)| c.iter().all(|&l| l >= d)) {
            let t = t.unwrap();
            prop_assert_eq!(t.chunks(), x.chunks());
            prop_assert_eq!(t.compute().unwrap(), a.clone());
        }
        // map_overlap with the identity is the identity, trimmed or not.
        let same = x.map_overlap(depth, boundary, true, |b| b.to_owned()).unwrap();
        prop_assert_eq!(same.compute().unwrap(), a.clone());
    }

    /// `blockwise("ij,jk->ik")` with a block product is the matrix product,
    /// on any chunkings of the two operands.
    #[test]
    fn blockwise_products_match_dot(
        (a, ca) in (1usize..6, 1usize..6).prop_flat_map(|(m, k)| array_of(vec![m, k], (-9i64..9).boxed())),
        n in 1usize..6,
        seed in any::<u64>(),
    ) {
        let k = a.shape()[1];
        let b = ArrayD::from_shape_fn(IxDyn(&[k, n]), |ix| ((ix[0] * 7 + ix[1] * 3) as u64 ^ seed) as i64 % 11);
        let cb = vec![vec![k], (0..n).map(|_| 1).collect()];
        let x = ndchunk::from_array(a.clone(), ca).unwrap();
        let y = ndchunk::from_array(b.clone(), cb).unwrap();
        let c = ndchunk::blockwise("ij,jk->ik", &[&x, &y], |blocks| {
            let (p, q) = (two_d(&blocks[0]), two_d(&blocks[1]));
            p.dot(&q).into_dyn()
        }).unwrap();
        let want = two_d(&a.view()).dot(&two_d(&b.view())).into_dyn();
        prop_assert_eq!(c.compute().unwrap(), want);
    }
}

fn two_d(a: &ArrayViewD<i64>) -> ndarray::Array2<i64> {
    a.view().into_dimensionality::<Ix2>().unwrap().to_owned()
}

#[test]
fn overlap_is_one_task_per_block() {
    let x = ndchunk::random::uniform::<f64>(&[40, 40], [10, 10], 1).unwrap();
    let g = x.overlap(&[2, 2], OverlapBoundary::Reflect).unwrap();
    let plan = g.plan().unwrap();
    let overlap = plan
        .stages
        .iter()
        .position(|s| s.kind.label() == "overlap")
        .expect("an overlap stage");
    let tasks = plan.tasks.iter().filter(|t| t.stage == overlap).count();
    assert_eq!(tasks, 16, "{}", g.explain());
    assert_eq!(g.chunks().lens(0), &[14, 14, 14, 14]);
}

#[test]
fn carries_span_several_levels() {
    // 300 row blocks of 5000 f64: 40 KB of totals per block, so the carries'
    // exclusive scan groups 209 blocks per task and needs a second level.
    let (rows, cols) = (300, 5000);
    let a = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |ix| {
        ((ix[0] * 13 + ix[1] * 7) % 17) as f64 - 8.0
    });
    let x = ndchunk::from_array(a.clone(), [1, cols]).unwrap();
    let y = x.cumsum(Axis(0)).unwrap();
    let plan = y.plan().unwrap();
    let kernels = plan
        .stages
        .iter()
        .filter(|s| s.name.starts_with("cumsum"))
        .count();
    assert_eq!(kernels, 3, "{}", y.explain());
    let mut want = a.clone();
    want.accumulate_axis_inplace(Axis(0), |&prev, cur| *cur += prev);
    assert_eq!(y.compute().unwrap(), want);
    // Integers wrap as NumPy's do.
    let big = ndchunk::full::<i64>(&[4], i64::MAX / 2 + 1, [1]).unwrap();
    let wrapped = big.cumsum(Axis(0)).unwrap().compute().unwrap();
    assert_eq!(wrapped[[1]], i64::MIN);
}

#[test]
fn scans_of_computed_inputs_fuse_their_totals() {
    let x = ndchunk::random::uniform::<f32>(&[64, 8], [8, 8], 3).unwrap();
    let y = (&x * 2.0).cumsum(Axis(0)).unwrap();
    let text = y.explain();
    assert!(text.contains("sum.blockwise"), "{text}");
    let a = x.compute().unwrap();
    let mut want = a.mapv(|v| 2.0 * v);
    want.accumulate_axis_inplace(Axis(0), |&prev, cur| *cur += prev);
    for (g, w) in y.compute().unwrap().iter().zip(&want) {
        assert!((g - w).abs() < 1e-4, "{g} vs {w}");
    }
}

#[test]
fn bad_arguments_are_errors() {
    let x = ndchunk::arange::<i32>(0, 12, 1, [5]).unwrap();
    let msg = |r: ndchunk::Result<Array<i32>>| r.unwrap_err().to_string();
    assert!(msg(x.overlap(&[1, 1], OverlapBoundary::None)).contains("2 depths"));
    assert!(msg(x.trim_internal(&[3], OverlapBoundary::Reflect)).contains("block 0 of axis 0"));
    let empty = ndchunk::zeros::<i32>(&[0], [1]).unwrap();
    assert!(msg(empty.overlap(&[1], OverlapBoundary::Reflect)).contains("empty"));
    assert!(empty.overlap(&[1], OverlapBoundary::Constant(0)).is_ok());
    let per_axis = vec![OverlapBoundary::Reflect, OverlapBoundary::None];
    assert!(msg(x.overlap(&[1], per_axis.clone())).contains("2 boundaries"));
    assert!(msg(x.trim_internal(&[1], per_axis)).contains("2 boundaries"));
    assert!(msg(x.map_blocks_with_chunks(vec![vec![12]], |b| b.to_owned())).contains("blocks"));
    // A block function giving the wrong shape fails when computed, naming the block.
    let uneven = ndchunk::arange::<i32>(0, 12, 1, [12]).unwrap();
    let wrong = uneven
        .rechunk(vec![vec![5, 7]])
        .unwrap()
        .map_blocks_with_chunks(vec![vec![5, 7]], |b| match b.len() {
            5 => b.slice_axis(Axis(0), ndarray::Slice::from(..1)).to_owned(),
            _ => b.to_owned(),
        })
        .unwrap();
    assert!(wrong.compute().unwrap_err().to_string().contains("[0]"));
    let err = |s: &str| {
        ndchunk::blockwise(s, &[&x], |b| b[0].to_owned())
            .unwrap_err()
            .to_string()
    };
    let square = ndchunk::zeros::<i32>(&[3, 3], [3, 3]).unwrap();
    let twice = ndchunk::blockwise("ii->i", &[&square], |b| b[0].to_owned());
    assert!(twice.unwrap_err().to_string().contains("twice"));
    assert!(err("i->j").contains("no input"));
    assert!(err("ij->i").contains("labels"));
    assert!(err("i").contains("->"));
    let y = ndchunk::arange::<i32>(0, 5, 1, [5]).unwrap();
    let mismatch = ndchunk::blockwise("i,i->i", &[&x, &y], |b| b[0].to_owned());
    assert!(mismatch
        .unwrap_err()
        .to_string()
        .contains("lengths 12 and 5"));
    assert!(x.cumsum(Axis(1)).is_err());
    assert!(x.diff(1, Axis(2)).is_err());
    let f = ndchunk::from_array(ndarray::arr1(&[1.0]), [1]).unwrap();
    assert!(f
        .gradient(Axis(0), 1.0)
        .unwrap_err()
        .to_string()
        .contains("at least 2"));
}

#[test]
fn trim_keeps_each_block_own_range() {
    let x = ndchunk::arange::<i64>(0, 10, 1, [4]).unwrap();
    let info = [SliceInfoElem::from(..)];
    let g = x.overlap(&[1], OverlapBoundary::None).unwrap();
    assert_eq!(g.chunks().lens(0), &[5, 6, 3]);
    let back = g.trim_internal(&[1], OverlapBoundary::None).unwrap();
    assert_eq!(back.chunks().lens(0), &[4, 4, 2]);
    assert_eq!(
        back.slice(info).unwrap().compute().unwrap(),
        x.compute().unwrap()
    );
}
