//! Every kind of source as an operand: in-memory arrays, persisted blocks, user
//! generators, map_blocks and rechunk stages, reduction results, constants,
//! ranges, identity matrices and random arrays, each with its own chunks, mixed
//! under broadcasting in elementwise expressions and reductions.

mod common;

use std::sync::Arc;

use common::*;
use ndarray::{ArrayD, Axis, IxDyn, SliceInfoElem};
use ndchunk::{random, Array, ReduceOptions};
use proptest::prelude::*;

const KINDS: u8 = 10;

/// Builds an array of `a`'s shape with chunks `c` from source `kind`; returns the
/// lazy array and the values it must have.
fn source(kind: u8, a: &ArrayD<f64>, c: &[Vec<usize>], seed: u64) -> (Array<f64>, ArrayD<f64>) {
    let shape = a.shape().to_vec();
    let memory = || ndchunk::from_array(a.clone(), c.to_vec()).unwrap();
    match kind {
        0 => (memory(), a.clone()),
        1 => ((&memory() * 1.0).persist().unwrap(), a.clone()),
        2 => {
            let data = Arc::new(a.clone());
            let grid = c.to_vec();
            let x = ndchunk::from_fn(&shape, c.to_vec(), move |block, _| {
                let info: Vec<SliceInfoElem> = block
                    .iter()
                    .enumerate()
                    .map(|(axis, &b)| {
                        let start: usize = grid[axis][..b].iter().sum();
                        SliceInfoElem::Slice {
                            start: start as isize,
                            end: Some((start + grid[axis][b]) as isize),
                            step: 1,
                        }
                    })
                    .collect();
                data.slice(info.as_slice()).to_owned()
            })
            .unwrap();
            (x, a.clone())
        }
        3 => (
            memory().map_blocks(|v| v.mapv(|e| e + 1.0)),
            a.mapv(|e| e + 1.0),
        ),
        4 => {
            // Computed with whole-axis chunks, then cut into `c` by a rechunk stage.
            let whole: Vec<i32> = vec![-1; shape.len()];
            let x = (ndchunk::from_array(a.clone(), whole).unwrap() * 2.0)
                .rechunk(c.to_vec())
                .unwrap();
            (x, a.mapv(|e| e * 2.0))
        }
        5 => {
            // A reduction result: the sum over a new leading axis of length 2.
            let mut lens = vec![vec![1, 1]];
            lens.extend(c.iter().cloned());
            let stacked = ndarray::concatenate(
                Axis(0),
                &[a.view().insert_axis(Axis(0)), a.view().insert_axis(Axis(0))],
            )
            .unwrap();
            let x = ndchunk::from_array(stacked, lens)
                .unwrap()
                .sum_with(&ReduceOptions::new().axes(&[0]).split_every(2))
                .unwrap();
            (x, a.mapv(|e| e * 2.0))
        }
        6 => {
            let v = a.first().copied().unwrap_or(1.5);
            (
                ndchunk::full(&shape, v, c.to_vec()).unwrap(),
                ArrayD::from_elem(IxDyn(&shape), v),
            )
        }
        7 if shape.len() == 1 => {
            let n = shape[0];
            (
                ndchunk::arange(-2.0, -2.0 + 0.5 * n as f64, 0.5, c.to_vec()).unwrap(),
                ArrayD::from_shape_fn(IxDyn(&shape), |i| -2.0 + 0.5 * i[0] as f64),
            )
        }
        8 if shape.len() == 2 => {
            let k = (seed % 5) as i64 - 2;
            (
                ndchunk::eye_k(shape[0], shape[1], k, c.to_vec()).unwrap(),
                ArrayD::from_shape_fn(IxDyn(&shape), |i| {
                    f64::from(u8::from(i[1] as i64 - i[0] as i64 == k))
                }),
            )
        }
        9 => {
            let r = random::uniform_range::<f64>(-4.0, 4.0, &shape, c.to_vec(), seed).unwrap();
            let values = r.compute().unwrap();
            (r, values)
        }
        _ => (memory(), a.clone()),
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn sources_mix_under_broadcasting(
        ((a, ca), (b, cb)) in broadcast_pair(3).prop_flat_map(|(sa, sb)| (array_of(sa, f64::arb()), array_of(sb, f64::arb()))),
        ka in 0..KINDS,
        kb in 0..KINDS,
        seed in any::<u64>(),
        split_every in 2usize..5,
        keepdims in any::<bool>(),
    ) {
        let (x, va) = source(ka, &a, &ca, seed);
        let (y, vb) = source(kb, &b, &cb, seed ^ 1);
        prop_assert_eq!(x.compute().unwrap(), va.clone());
        prop_assert_eq!(y.compute().unwrap(), vb.clone());
        let ctx = format!("kinds {ka} {kb}, {:?} {ca:?} with {:?} {cb:?}", a.shape(), b.shape());

        let e = &x * 2.0 - &y;
        let want = ref_binary(&va, &vb, |p, q| p * 2.0 - q);
        assert_close(&e.compute().unwrap(), &want, EXACT, &format!("expr {ctx}"));
        let w = ndchunk::where_(&x.gt(&y), &x, &y);
        assert_close(&w.compute().unwrap(), &ref_binary(&va, &vb, f64::max), EXACT, &format!("where {ctx}"));

        let nd = want.ndim();
        if nd > 0 {
            let axis = (seed as usize) % nd;
            let o = ReduceOptions::new().axes(&[axis as isize]).split_every(split_every).keepdims(keepdims);
            let tol = Tol { rel: 1e-9, abs: 1e-12 * (1.0 + abs_sum(&want)) };
            let got = e.sum_with(&o).unwrap().compute().unwrap();
            assert_close(&got, &ref_reduce(&want, &[axis], keepdims, f64::ref_sum), tol, &format!("sum {ctx}"));
            if want.shape()[axis] > 0 {
                let got = e.argmax_with(&o).unwrap().compute().unwrap();
                let r = ref_reduce(&want, &[axis], keepdims, |xs| ref_arg_extreme(xs, true).0);
                prop_assert_eq!(got, r, "argmax {}", ctx);
            }
        }
        let m = e.mean().unwrap().compute().unwrap();
        assert_close(&m, &ref_reduce(&want, &(0..nd).collect::<Vec<_>>(), false, ref_mean::<f64>), Tol { rel: 1e-9, abs: 1e-12 * (1.0 + abs_sum(&want)) }, &format!("mean {ctx}"));
    }
}

/// Blocks of several 2048-element tiles, whose tile boundaries do not line up
/// with rows: streamed generators, memory leaves read at an offset, broadcast
/// leaves, constants and flat argmin positions all cross tile boundaries.
fn large() -> impl Strategy<Value = (ArrayD<f64>, Vec<Vec<usize>>, Vec<usize>, Vec<usize>)> {
    (1usize..70, 1usize..150).prop_flat_map(|(r, c)| {
        (
            prop::collection::vec(f64::arb_nan(), r * c)
                .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&[r, c]), v).unwrap()),
            (coarse_chunks(r, 2), coarse_chunks(c, 2)).prop_map(|(x, y)| vec![x, y]),
            coarse_chunks(c, 3),
            coarse_chunks(r, 2),
        )
    })
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn large_blocks((a, ca, crow, ceye) in large(), k in -5i64..5, seed in any::<u64>()) {
        let (r, c) = (a.shape()[0], a.shape()[1]);
        let x = ndchunk::from_array(a.clone(), ca.clone()).unwrap();
        let row = ndchunk::arange(0.0, c as f64, 1.0, [crow.clone()].to_vec()).unwrap();
        let eye = ndchunk::eye_k::<f64>(r, c, k, vec![ceye.clone(), vec![c]]).unwrap();
        let rnd = random::uniform::<f64>(&[r, c], ca.clone(), seed).unwrap();
        let rv = rnd.compute().unwrap();
        let e = (&x * 2.0 - &row) + &eye * 3.0 + &rnd + 0.25;
        let want = ArrayD::from_shape_fn(IxDyn(&[r, c]), |i| {
            let eye = f64::from(u8::from(i[1] as i64 - i[0] as i64 == k));
            (a[[i[0], i[1]]] * 2.0 - i[1] as f64) + eye * 3.0 + rv[[i[0], i[1]]] + 0.25
        });
        assert_close(&e.compute().unwrap(), &want, EXACT, "large expression");
        // A constant fed to a user map over large blocks.
        let k2 = ndchunk::full(&[r, c], 2.0, ca.clone()).unwrap().mapv(|v| v * 3.0);
        prop_assert!(k2.compute().unwrap().iter().all(|&v| v == 6.0));

        let tol = Tol { rel: 1e-9, abs: 1e-12 * (1.0 + abs_sum(&want)) };
        for (axes, kd) in [(vec![0usize], false), (vec![1], true), (vec![0, 1], false)] {
            let ax: Vec<isize> = axes.iter().map(|&v| v as isize).collect();
            let o = ReduceOptions::new().axes(&ax).keepdims(kd).split_every(3);
            let ctx = format!("axes {axes:?}");
            assert_close(&e.sum_with(&o).unwrap().compute().unwrap(), &ref_reduce(&want, &axes, kd, f64::ref_sum), tol, &format!("sum {ctx}"));
            assert_close(&e.nansum_with(&o).unwrap().compute().unwrap(), &ref_reduce(&want, &axes, kd, f64::ref_nansum), tol, &format!("nansum {ctx}"));
            assert_close(&e.min_with(&o).unwrap().compute().unwrap(), &ref_reduce(&want, &axes, kd, |v| ref_extreme(v, false)), EXACT, &format!("min {ctx}"));
            assert_close(&e.nanmax_with(&o).unwrap().compute().unwrap(), &ref_reduce(&want, &axes, kd, |v| ref_nan_extreme(v, true)), EXACT, &format!("nanmax {ctx}"));
            assert_close(&e.nanmean_with(&o).unwrap().compute().unwrap(), &ref_reduce(&want, &axes, kd, ref_nanmean::<f64>), tol, &format!("nanmean {ctx}"));
            assert_close(&e.var_with(&o).unwrap().compute().unwrap(), &ref_reduce(&want, &axes, kd, |v| ref_var::<f64>(v, 0)), Tol { rel: 1e-9, abs: 1e-9 }, &format!("var {ctx}"));
            if axes.len() == 1 {
                let got = e.argmin_with(&o).unwrap().compute().unwrap();
                prop_assert_eq!(got, ref_reduce(&want, &axes, kd, |v| ref_arg_extreme(v, false).0), "argmin {}", ctx);
            }
        }
        let got = e.argmax().unwrap().compute().unwrap();
        prop_assert_eq!(got, ref_reduce(&want, &[0, 1], false, |v| ref_arg_extreme(v, true).0));
        // Without NaN the flat argmin must find the true minimum's first position.
        let clean = where_nan_zero(&e);
        let cw = want.mapv(|v| if v.is_nan() { 0.0 } else { v });
        prop_assert_eq!(clean.argmin().unwrap().compute().unwrap(), ref_reduce(&cw, &[0, 1], false, |v| ref_arg_extreme(v, false).0));
        let eye_sum = eye.sum_axis(Axis(1)).unwrap().compute().unwrap();
        let want_eye: Vec<f64> = (0..r).map(|i| f64::from(u8::from(((i as i64 + k) as usize) < c && i as i64 + k >= 0))).collect();
        prop_assert_eq!(flat(&eye_sum), want_eye);
    }
}

fn where_nan_zero(e: &Array<f64>) -> Array<f64> {
    ndchunk::where_(&e.isnan(), 0.0, e)
}
