//! `topk` / `argtopk` against a reference (sort each lane by value, NaN as
//! the largest, ties by position), over random shapes, chunkings, axes and
//! `k` of both signs, with repeated values and NaN; trees of several levels;
//! errors.

mod common;

use common::{array_of, computed, config};
use ndarray::{ArrayD, Axis as NdAxis, IxDyn};
use ndchunk::prelude::*;
use proptest::prelude::*;

/// Positions along `axis` of the `|k|` selected elements of each lane.
fn reference_positions<T: PartialOrd + Copy>(a: &ArrayD<T>, k: isize, axis: usize) -> ArrayD<i64> {
    let count = k.unsigned_abs();
    let mut shape = a.shape().to_vec();
    shape[axis] = count;
    let mut out = ArrayD::<i64>::zeros(IxDyn(&shape));
    for (lane, mut out_lane) in a
        .lanes(NdAxis(axis))
        .into_iter()
        .zip(out.lanes_mut(NdAxis(axis)))
    {
        let mut order: Vec<usize> = (0..lane.len()).collect();
        let key = |i: usize| {
            let v = lane[i];
            #[allow(clippy::eq_op)]
            let nan = v != v;
            (nan, v)
        };
        order.sort_by(|&i, &j| {
            let ((ni, vi), (nj, vj)) = (key(i), key(j));
            let ascending = ni
                .cmp(&nj)
                .then(vi.partial_cmp(&vj).unwrap_or(std::cmp::Ordering::Equal));
            let by_value = if k > 0 {
                ascending.reverse()
            } else {
                ascending
            };
            by_value.then(i.cmp(&j))
        });
        for (o, &i) in out_lane.iter_mut().zip(&order) {
            *o = i as i64;
        }
    }
    out
}

fn values_at<T: Copy>(a: &ArrayD<T>, positions: &ArrayD<i64>, axis: usize) -> Vec<T> {
    let mut out = Vec::new();
    for (lane, pos) in a
        .lanes(NdAxis(axis))
        .into_iter()
        .zip(positions.lanes(NdAxis(axis)))
    {
        out.extend(pos.iter().map(|&p| lane[p as usize]));
    }
    out
}

fn case<T: ndchunk::Element>(
    elem: BoxedStrategy<T>,
) -> impl Strategy<Value = (common::Chunked<T>, usize, isize)> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 6 => 1usize..=6], 1..=3)
        .prop_flat_map(move |shape| {
            let ndim = shape.len();
            (array_of(shape, elem.clone()), 0..ndim)
        })
        .prop_flat_map(|((a, c), axis)| {
            let n = a.shape()[axis] as isize;
            (Just((a, c)), Just(axis), -n..=n)
        })
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn integer_topk_and_argtopk_match_the_reference(((a, chunks), axis, k) in case((-3i32..4).boxed())) {
        let x = computed(&a, &chunks);
        let want = reference_positions(&a, k, axis);
        let got = x.argtopk(k, Axis(axis)).unwrap().compute().unwrap();
        prop_assert_eq!(&got, &want);
        let values = x.topk(k, Axis(axis)).unwrap().compute().unwrap();
        prop_assert_eq!(values.lanes(NdAxis(axis)).into_iter().flat_map(|l| l.to_vec()).collect::<Vec<_>>(), values_at(&a, &want, axis));
    }

    #[test]
    fn float_topk_orders_nan_as_the_largest(((a, chunks), axis, k) in case(prop_oneof![
        4 => (-2.0f64..2.0).prop_map(|v| (v * 2.0).round() / 2.0),
        1 => Just(f64::NAN),
    ].boxed())) {
        let x = ndchunk::from_array(a.clone(), chunks).unwrap();
        let want = reference_positions(&a, k, axis);
        prop_assert_eq!(x.argtopk(k, Axis(axis)).unwrap().compute().unwrap(), want.clone());
        let got: Vec<f64> = x.topk(k, Axis(axis)).unwrap().compute().unwrap()
            .lanes(NdAxis(axis)).into_iter().flat_map(|l| l.to_vec()).collect();
        let expected = values_at(&a, &want, axis);
        prop_assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            prop_assert!(g == e || (g.is_nan() && e.is_nan()), "{} vs {}", g, e);
        }
    }
}

#[test]
fn many_blocks_merge_through_a_tree_of_levels() {
    // 1000 elements in 100 blocks: a partial level, a merge of 16-block
    // groups (7 blocks), and the finish.
    let a = ndarray::Array1::from_shape_fn(1000, |i| ((i * 7919) % 1000) as i64);
    let x = ndchunk::from_array(a.clone(), [10]).unwrap() + 0;
    let top = x.topk(5, Axis(0)).unwrap();
    let plan = top.plan().unwrap();
    let levels = plan
        .stages
        .iter()
        .filter(|s| s.kind.label() == "select")
        .count();
    assert_eq!(levels, 3, "{}", top.explain());
    assert_eq!(
        top.compute().unwrap(),
        ndarray::array![999, 998, 997, 996, 995].into_dyn()
    );
    let bottom = x.argtopk(-3, Axis(0)).unwrap().compute().unwrap();
    let want: Vec<i64> = [0, 1, 2]
        .iter()
        .map(|v| a.iter().position(|x| x == v).unwrap() as i64)
        .collect();
    assert_eq!(bottom, ndarray::Array1::from(want).into_dyn());
}

#[test]
fn k_beyond_the_axis_and_bad_axes_are_errors() {
    let x = ndchunk::ones::<f32>(&[4, 3], [2, 2]).unwrap();
    let e = x.topk(4, Axis(1)).unwrap_err().to_string();
    assert!(
        e.contains("topk") && e.contains("|k| = 4") && e.contains("3 elements along axis 1"),
        "{e}"
    );
    assert!(x.argtopk(-5, Axis(0)).is_err());
    assert!(matches!(
        x.topk(1, Axis(2)).unwrap_err(),
        ndchunk::Error::AxisOutOfBounds { .. }
    ));
    // k = 0 is an empty selection.
    assert_eq!(
        x.topk(0, Axis(0)).unwrap().compute().unwrap().shape(),
        &[0, 3]
    );
}
