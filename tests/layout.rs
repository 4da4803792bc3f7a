//! Differential tests of slicing and reshaping against ndarray: `slice` with
//! random `s!`-style specs (negative bounds and steps, integers, new axes,
//! out-of-range ranges), transposes, flips, broadcasts, reshapes, concatenation,
//! stacking, roll, tile, repeat and pad, over random shapes (empty and size-1
//! axes included) and irregular chunkings, on in-memory and computed inputs,
//! for every dtype family.

mod common;

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use ndarray::{ArrayD, Axis, IxDyn, SliceInfoElem};
use ndchunk::{Array, Element, Error, PadMode};
use proptest::prelude::*;

/// The array in memory, or computed by a stage (so views read stage blocks).
fn both(a: &ArrayD<i32>, chunks: &[Vec<usize>]) -> Vec<Array<i32>> {
    let x = ndchunk::from_array(a.clone(), chunks.to_vec()).unwrap();
    vec![x.clone(), &x + 0]
}

/// One slice element for an axis of length `n`: ranges whose bounds may lie
/// outside the axis, integers (sometimes out of bounds), or a new axis.
fn elem(n: usize) -> BoxedStrategy<SliceInfoElem> {
    let n = n as isize;
    let bound = -n - 2..n + 3;
    prop_oneof![
        3 => (bound.clone(), prop::option::of(bound), prop_oneof![1isize..4, -3isize..0])
            .prop_map(|(start, end, step)| SliceInfoElem::Slice { start, end, step }),
        1 => (-n - 1..n + 1).prop_map(SliceInfoElem::Index),
        1 => Just(SliceInfoElem::NewAxis),
    ]
    .boxed()
}

/// NumPy's clamping of a range on an axis of length `n`, for the ndarray
/// reference (which panics on out-of-range bounds).
fn clamped(e: SliceInfoElem, n: usize) -> SliceInfoElem {
    match e {
        SliceInfoElem::Slice { start, end, step } => {
            let c = |i: isize| (if i < 0 { i + n as isize } else { i }).clamp(0, n as isize);
            let (lo, hi) = (c(start), end.map_or(n as isize, c));
            SliceInfoElem::Slice {
                start: lo,
                end: Some(hi.max(lo)),
                step,
            }
        }
        other => other,
    }
}

/// A random slice spec for `shape`: one element per axis (some trailing axes
/// left out), with new axes mixed in.
fn spec_for(shape: Vec<usize>) -> BoxedStrategy<Vec<SliceInfoElem>> {
    let per_axis: Vec<BoxedStrategy<SliceInfoElem>> = shape.iter().map(|&n| elem(n)).collect();
    (per_axis, 0..=shape.len())
        .prop_map(|(elems, keep)| {
            let mut out = Vec::new();
            let mut consumed = 0;
            for e in elems {
                if consumed == keep {
                    break;
                }
                if !matches!(e, SliceInfoElem::NewAxis) {
                    consumed += 1;
                }
                out.push(e);
            }
            out
        })
        .boxed()
}

fn reference_slice<T: Clone>(a: &ArrayD<T>, spec: &[SliceInfoElem]) -> Option<ArrayD<T>> {
    let mut axis = 0;
    let mut info = Vec::new();
    for &e in spec {
        match e {
            SliceInfoElem::NewAxis => info.push(e),
            SliceInfoElem::Index(i) => {
                let n = a.shape()[axis] as isize;
                if i < -n || i >= n {
                    return None;
                }
                info.push(e);
                axis += 1;
            }
            _ => {
                info.push(clamped(e, a.shape()[axis]));
                axis += 1;
            }
        }
    }
    info.extend(std::iter::repeat_n(
        SliceInfoElem::from(..),
        a.ndim() - axis,
    ));
    Some(a.slice(info.as_slice()).to_owned())
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn slicing_matches_ndarray(
        (a, chunks, spec, again) in shape(4).prop_flat_map(|s| {
            (array_of(s.clone(), i32::arb()), spec_for(s))
        }).prop_flat_map(|((a, c), spec)| {
            let shape_after = reference_slice(&a, &spec).map(|r| r.shape().to_vec()).unwrap_or_default();
            (Just(a), Just(c), Just(spec), spec_for(shape_after))
        }),
    ) {
        let want = reference_slice(&a, &spec);
        for x in both(&a, &chunks) {
            match (&want, x.slice(spec.as_slice())) {
                (None, Err(Error::IndexOutOfBounds { .. })) => {}
                (None, other) => prop_assert!(false, "expected an index error, got {:?}", other.map(|y| y.shape().to_vec())),
                (Some(w), Ok(y)) => {
                    prop_assert_eq!(&y.compute().unwrap(), w);
                    // A view of a view (composed into one) against the same.
                    if let Some(w2) = reference_slice(w, &again) {
                        prop_assert_eq!(y.slice(again.as_slice()).unwrap().compute().unwrap(), w2);
                    }
                }
                (Some(_), Err(e)) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }

    #[test]
    fn transposes_flips_and_broadcasts_match_ndarray(
        ((a, chunks), perm, flip_axis, lead) in shape(4).prop_flat_map(|s| {
            let n = s.len();
            (array_of(s, i32::arb()), Just((0..n).collect::<Vec<_>>()).prop_shuffle(), 0..n.max(1), 0usize..3)
        }),
    ) {
        for x in both(&a, &chunks) {
            prop_assert_eq!(x.permuted_axes(&perm).unwrap().compute().unwrap(), a.clone().permuted_axes(IxDyn(&perm)));
            prop_assert_eq!(x.t().compute().unwrap(), a.t().to_owned());
            if a.ndim() > 0 {
                let mut f = a.clone();
                f.invert_axis(Axis(flip_axis));
                prop_assert_eq!(x.flip(Axis(flip_axis)).unwrap().compute().unwrap(), f);
                let last = a.ndim() - 1;
                prop_assert_eq!(x.swap_axes(0, last).unwrap().compute().unwrap(), { let mut s = a.clone(); s.swap_axes(0, last); s });
            }
            // Broadcast: new leading axes, and every length-1 axis stretched to 3.
            let mut to = vec![2; lead];
            to.extend(a.shape().iter().map(|&n| if n == 1 { 3 } else { n }));
            prop_assert_eq!(x.broadcast_to(&to).unwrap().compute().unwrap(), a.broadcast(IxDyn(&to)).unwrap().to_owned());
            let squeezed: Vec<usize> = a.shape().iter().copied().filter(|&n| n != 1).collect();
            prop_assert_eq!(x.squeeze().unwrap().compute().unwrap(), a.clone().into_shape_with_order(IxDyn(&squeezed)).unwrap());
        }
    }

    #[test]
    fn reshapes_match_ndarray(
        ((a, chunks), target) in shape(4).prop_flat_map(|s| {
            let targets = reshape_targets(&s);
            (array_of(s, i32::arb()), prop::sample::select(targets))
        }),
    ) {
        let want = a.clone().into_shape_with_order(IxDyn(&target)).unwrap();
        let spec: Vec<isize> = target.iter().map(|&n| n as isize).collect();
        for x in both(&a, &chunks) {
            let y = x.reshape(&spec).unwrap();
            prop_assert_eq!(y.shape(), &target[..]);
            prop_assert_eq!(y.compute().unwrap(), want.clone());
            prop_assert_eq!(x.ravel().unwrap().compute().unwrap().into_raw_vec_and_offset().0, a.iter().copied().collect::<Vec<_>>());
        }
    }

    #[test]
    fn joins_match_ndarray(
        ((a, chunks), (b, chunks_b), axis) in nonempty_shape(3)
            .prop_filter("needs an axis", |s| !s.is_empty())
            .prop_flat_map(|s| {
                let n = s.len();
                (Just(s), 0..n, 0usize..4)
            })
            .prop_flat_map(|(s, axis, len_b)| {
                let mut sb = s.clone();
                sb[axis] = len_b;
                (array_of(s, i32::arb()), array_of(sb, i32::arb()), Just(axis))
            }),
        shift in -9isize..9,
        reps in prop::collection::vec(0usize..3, 0..4),
        times in 0usize..3,
        widths in prop::collection::vec((0usize..3, 0usize..3), 3),
    ) {
        let ax = Axis(axis);
        let xb = ndchunk::from_array(b.clone(), chunks_b.clone()).unwrap();
        for x in both(&a, &chunks) {
            let c = ndchunk::concatenate(ax, &[x.clone(), xb.clone(), x.clone()]).unwrap();
            prop_assert_eq!(c.compute().unwrap(), ndarray::concatenate(ax, &[a.view(), b.view(), a.view()]).unwrap());
            let s = ndchunk::stack(ax, &[x.clone(), x.clone()]).unwrap();
            prop_assert_eq!(s.compute().unwrap(), ndarray::stack(ax, &[a.view(), a.view()]).unwrap());
            prop_assert_eq!(x.roll(shift, ax).unwrap().compute().unwrap(), ref_roll(&a, shift, axis));
            prop_assert_eq!(x.tile(&reps).unwrap().compute().unwrap(), ref_tile(&a, &reps));
            prop_assert_eq!(x.repeat(times, ax).unwrap().compute().unwrap(), ref_repeat(&a, times, axis));
            let w = &widths[..a.ndim()];
            prop_assert_eq!(x.pad(w, PadMode::Constant(-7)).unwrap().compute().unwrap(), ref_pad(&a, w, Some(-7)));
            prop_assert_eq!(x.pad(w, PadMode::Edge).unwrap().compute().unwrap(), ref_pad(&a, w, None));
        }
    }
}

/// The layout ops on one dtype, on `a` in memory and computed, against ndarray:
/// a slice, the transpose, ravel, flip, concatenate, stack, roll, repeat, tile
/// and both pad modes.
fn layout_ops_match<T: Element + PartialEq + Debug>(
    (a, chunks): Chunked<T>,
    spec: Vec<SliceInfoElem>,
    value: T,
    widths: Vec<(usize, usize)>,
    shift: isize,
) -> Result<(), TestCaseError> {
    let w = &widths[..a.ndim()];
    let x0 = ndchunk::from_array(a.clone(), chunks.clone()).unwrap();
    for x in [x0, computed(&a, &chunks)] {
        let got = |y: ndchunk::Result<Array<T>>| y.and_then(|y| y.compute()).unwrap();
        if let Some(want) = reference_slice(&a, &spec) {
            prop_assert_eq!(got(x.slice(spec.as_slice())), want);
        }
        prop_assert_eq!(got(Ok(x.t())), a.t().to_owned());
        let flat: Vec<T> = a.iter().cloned().collect();
        prop_assert_eq!(got(x.ravel()).into_raw_vec_and_offset().0, flat);
        prop_assert_eq!(got(x.tile(&[2])), ref_tile(&a, &[2]));
        prop_assert_eq!(
            got(x.pad(w, PadMode::Constant(value))),
            ref_pad(&a, w, Some(value))
        );
        prop_assert_eq!(got(x.pad(w, PadMode::Edge)), ref_pad(&a, w, None));
        let both = [x.clone(), x.clone()];
        prop_assert_eq!(
            got(ndchunk::stack(Axis(0), &both)),
            ndarray::stack(Axis(0), &[a.view(), a.view()]).unwrap()
        );
        if a.ndim() > 0 {
            let ax = Axis(a.ndim() - 1);
            let mut f = a.clone();
            f.invert_axis(ax);
            prop_assert_eq!(got(x.flip(ax)), f);
            prop_assert_eq!(
                got(ndchunk::concatenate(ax, &both)),
                ndarray::concatenate(ax, &[a.view(), a.view()]).unwrap()
            );
            prop_assert_eq!(got(x.roll(shift, ax)), ref_roll(&a, shift, ax.index()));
            prop_assert_eq!(got(x.repeat(2, ax)), ref_repeat(&a, 2, ax.index()));
        }
    }
    Ok(())
}

/// A non-empty array with a chunking, a slice spec, a value and pad widths.
type LayoutCase<T> = (Chunked<T>, Vec<SliceInfoElem>, T, Vec<(usize, usize)>);

/// A [`LayoutCase`] of random values.
fn layout_case<T: Gen>() -> impl Strategy<Value = LayoutCase<T>> {
    nonempty_shape(3).prop_flat_map(|s| {
        (
            array_of(s.clone(), T::arb()),
            spec_for(s),
            T::arb(),
            prop::collection::vec((0usize..3, 0usize..3), 3),
        )
    })
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn layout_ops_on_f64((a, spec, v, w) in layout_case::<f64>(), shift in -9isize..9) {
        layout_ops_match(a, spec, v, w, shift)?;
    }

    #[test]
    fn layout_ops_on_f32((a, spec, v, w) in layout_case::<f32>(), shift in -9isize..9) {
        layout_ops_match(a, spec, v, w, shift)?;
    }

    #[test]
    fn layout_ops_on_u8((a, spec, v, w) in layout_case::<u8>(), shift in -9isize..9) {
        layout_ops_match(a, spec, v, w, shift)?;
    }

    #[test]
    fn layout_ops_on_i64((a, spec, v, w) in layout_case::<i64>(), shift in -9isize..9) {
        layout_ops_match(a, spec, v, w, shift)?;
    }

    #[test]
    fn layout_ops_on_u16((a, spec, v, w) in layout_case::<u16>(), shift in -9isize..9) {
        layout_ops_match(a, spec, v, w, shift)?;
    }

    #[test]
    fn layout_ops_on_bool((a, spec, v, w) in layout_case::<bool>(), shift in -9isize..9) {
        layout_ops_match(a, spec, v, w, shift)?;
    }
}

/// Shapes with the same element count as `s`: flat, reversed, adjacent axes
/// merged, an axis split by a factor, length-1 axes added.
fn reshape_targets(s: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = s.iter().product();
    let mut out = vec![vec![total], s.iter().rev().copied().collect(), s.to_vec()];
    for i in 0..s.len().saturating_sub(1) {
        let mut m = s.to_vec();
        let merged = m[i] * m[i + 1];
        m.splice(i..i + 2, [merged]);
        out.push(m);
    }
    for i in 0..s.len() {
        for f in [2, 3] {
            if s[i] % f == 0 && s[i] > 0 {
                let mut m = s.to_vec();
                m.splice(i..i + 1, [s[i] / f, f]);
                out.push(m);
            }
        }
        let mut m = s.to_vec();
        m.insert(i, 1);
        out.push(m);
    }
    out
}

fn ref_roll<T: Clone>(a: &ArrayD<T>, shift: isize, axis: usize) -> ArrayD<T> {
    let n = a.shape()[axis];
    let idx: Vec<usize> = (0..n)
        .map(|i| (i as isize - shift).rem_euclid(n.max(1) as isize) as usize)
        .collect();
    a.select(Axis(axis), &idx)
}

fn ref_tile<T: Clone>(a: &ArrayD<T>, reps: &[usize]) -> ArrayD<T> {
    let mut x = a.clone();
    while x.ndim() < reps.len() {
        x.insert_axis_inplace(Axis(0));
    }
    let skip = x.ndim() - reps.len();
    for (i, &r) in reps.iter().enumerate() {
        let n = x.shape()[skip + i];
        let idx: Vec<usize> = (0..n * r).map(|j| j % n.max(1)).collect();
        x = x.select(Axis(skip + i), &idx);
    }
    x
}

fn ref_repeat<T: Clone>(a: &ArrayD<T>, times: usize, axis: usize) -> ArrayD<T> {
    let idx: Vec<usize> = (0..a.shape()[axis])
        .flat_map(|i| std::iter::repeat_n(i, times))
        .collect();
    a.select(Axis(axis), &idx)
}

fn ref_pad<T: Clone>(a: &ArrayD<T>, widths: &[(usize, usize)], constant: Option<T>) -> ArrayD<T> {
    let shape: Vec<usize> = a
        .shape()
        .iter()
        .zip(widths)
        .map(|(&n, &(b, e))| n + b + e)
        .collect();
    ArrayD::from_shape_fn(IxDyn(&shape), |ix| {
        let mut src = Vec::with_capacity(widths.len());
        for (d, &(b, _)) in widths.iter().enumerate() {
            let i = ix[d] as isize - b as isize;
            let n = a.shape()[d] as isize;
            if i < 0 || i >= n {
                match &constant {
                    Some(v) => return v.clone(),
                    None => src.push(i.clamp(0, n - 1) as usize),
                }
            } else {
                src.push(i as usize);
            }
        }
        a[IxDyn(&src)].clone()
    })
}

#[test]
fn slicing_a_source_reads_only_the_blocks_it_touches() {
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    let x = ndchunk::from_fn::<f64, _>(&[100, 10], [10, 5], move |block, shape| {
        counter.fetch_add(1, Ordering::Relaxed);
        ArrayD::from_elem(IxDyn(shape), block[0] as f64)
    })
    .unwrap();
    // Rows 25..45 touch row blocks 2, 3 and 4; columns 0..3 touch column block 0:
    // three source tasks and three view tasks.
    let y = x.slice(ndarray::s![25..45, ..3]).unwrap();
    assert_eq!(y.plan().unwrap().tasks.len(), 6);
    let v = y.compute().unwrap();
    assert_eq!(reads.load(Ordering::Relaxed), 3);
    assert_eq!(v[[0, 0]], 2.0);
    assert_eq!(v[[19, 2]], 4.0);
}

#[test]
fn bad_layout_arguments_are_errors() {
    let x = ndchunk::zeros::<f32>(&[4, 6], [2, 3]).unwrap();
    let e = x.slice(ndarray::s![.., 6]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::IndexOutOfBounds {
                axis: 1,
                index: 6,
                len: 6,
                ..
            }
        ),
        "{e}"
    );
    assert!(x.slice(ndarray::s![.., -7]).is_err());
    assert!(x.slice(ndarray::s![.., .., ..]).is_err());
    assert!(x.permuted_axes(&[0, 0]).is_err());
    assert!(x.permuted_axes(&[0]).is_err());
    assert!(x.swap_axes(0, 2).is_err());
    assert!(x.reshape(&[5, -1]).is_err());
    assert!(x.broadcast_to(&[3, 6]).is_err());
    assert!(x.broadcast_to(&[6]).is_err());
    let y = ndchunk::zeros::<f32>(&[4, 5], [2, 3]).unwrap();
    assert!(ndchunk::concatenate(Axis(0), &[x.clone(), y]).is_err());
    assert!(ndchunk::concatenate::<f32>(Axis(0), &[]).is_err());
    assert!(ndchunk::concatenate(Axis(2), std::slice::from_ref(&x)).is_err());
    assert!(x.pad(&[(1, 1)], PadMode::Edge).is_err());
    let empty = ndchunk::zeros::<f32>(&[0, 2], [1, 2]).unwrap();
    assert!(empty.pad(&[(1, 0), (0, 0)], PadMode::Edge).is_err());
    assert!(x.remove_axis(Axis(0)).is_err());
}
