//! Creation functions against plain ndarray / NumPy semantics: constants, ranges,
//! identity matrices, user generators, random arrays, `from_array`.

mod common;

use common::*;
use ndarray::{ArrayD, IxDyn};
use ndchunk::{random, ChunkSpec, DType, Element, Error, Executor};
use proptest::prelude::*;

fn shape_and_chunks(max_ndim: usize) -> impl Strategy<Value = (Vec<usize>, Vec<Vec<usize>>)> {
    shape(max_ndim).prop_flat_map(|s| (Just(s.clone()), chunking(&s)))
}

/// The block index and in-block offset of every element, in C order.
fn block_positions(shape: &[usize], chunks: &[Vec<usize>]) -> ArrayD<(Vec<usize>, Vec<usize>)> {
    ArrayD::from_shape_fn(IxDyn(shape), |idx| {
        (0..shape.len())
            .map(|a| block_of(&chunks[a], idx[a]))
            .unzip()
    })
}

fn check_full<T: Element + Approx>(shape: &[usize], chunks: &[Vec<usize>], v: T) {
    let want = ArrayD::from_elem(IxDyn(shape), v);
    let x = ndchunk::full(shape, v, chunks.to_vec()).unwrap();
    assert_eq!(x.shape(), shape);
    assert_eq!(x.chunks().all_lens(), chunks);
    assert_eq!(x.dtype(), T::DTYPE);
    assert_same(&x.compute().unwrap(), &want, "full");
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn constants((s, c) in shape_and_chunks(4), v in f64::arb_special(), i in i32::arb_wide(), u in u8::arb_wide(), b in any::<bool>()) {
        check_full(&s, &c, v);
        check_full(&s, &c, v as f32);
        check_full(&s, &c, i);
        check_full(&s, &c, i as i64);
        check_full(&s, &c, u);
        check_full(&s, &c, b);
        let z = ndchunk::zeros::<f64>(&s, c.clone()).unwrap().compute().unwrap();
        prop_assert_eq!(z, ArrayD::<f64>::zeros(IxDyn(&s)));
        let o = ndchunk::ones::<i16>(&s, c.clone()).unwrap().compute().unwrap();
        prop_assert_eq!(o, ArrayD::from_elem(IxDyn(&s), 1i16));
        let t = ndchunk::ones::<bool>(&s, c.clone()).unwrap().compute().unwrap();
        prop_assert_eq!(t, ArrayD::from_elem(IxDyn(&s), true));
        let f = ndchunk::zeros::<bool>(&s, c.clone()).unwrap().compute().unwrap();
        prop_assert_eq!(f, ArrayD::from_elem(IxDyn(&s), false));
    }

    #[test]
    fn integer_ranges(start in -30i64..30, stop in -30i64..30, step in prop_oneof![-7i64..0, 1i64..8], chunk in 1usize..6) {
        let n = if (step > 0 && stop > start) || (step < 0 && stop < start) {
            ((stop - start).abs() + step.abs() - 1) / step.abs()
        } else {
            0
        } as usize;
        let want: Vec<i64> = (0..n as i64).map(|i| start + i * step).collect();
        let x = ndchunk::arange(start, stop, step, [chunk]).unwrap();
        prop_assert_eq!(x.shape(), &[n]);
        prop_assert_eq!(flat(&x.compute().unwrap()), want.clone());
        let y = ndchunk::arange(start as i32, stop as i32, step as i32, [chunk]).unwrap();
        prop_assert_eq!(flat(&y.compute().unwrap()), want.iter().map(|&v| v as i32).collect::<Vec<_>>());
        if start >= 0 && stop >= 0 && step > 0 {
            let z = ndchunk::arange(start as u8, stop as u8, step as u8, [chunk]).unwrap();
            prop_assert_eq!(flat(&z.compute().unwrap()), want.iter().map(|&v| v as u8).collect::<Vec<_>>());
        }
    }

    #[test]
    fn float_ranges(start in -20.0f64..20.0, len in -5.0f64..40.0, step_mag in 0.05f64..4.0, neg in any::<bool>(), chunk in 1usize..9) {
        let step = if neg { -step_mag } else { step_mag };
        let stop = start + if neg { -len } else { len };
        let n = ((stop - start) / step).ceil().max(0.0) as usize;
        let x = ndchunk::arange(start, stop, step, [chunk]).unwrap();
        prop_assert_eq!(x.shape(), &[n]);
        let want = ArrayD::from_shape_fn(IxDyn(&[n]), |i| start + i[0] as f64 * step);
        assert_close(&x.compute().unwrap(), &want, Tol { rel: 1e-12, abs: 1e-12 }, "arange f64");
        let y = ndchunk::arange(start as f32, stop as f32, step as f32, [chunk]).unwrap();
        let m = y.shape()[0];
        prop_assert!(m.abs_diff(n) <= 1, "f32 length {} vs {}", m, n);
    }

    #[test]
    fn linspaces(start in -50.0f64..50.0, stop in -50.0f64..50.0, num in 0usize..40, chunk in 1usize..9) {
        let x = ndchunk::linspace::<f64>(start, stop, num, [chunk]).unwrap();
        let div = num.saturating_sub(1).max(1) as f64;
        let step = (stop - start) / div;
        let mut want: Vec<f64> = (0..num).map(|i| start + i as f64 * step).collect();
        if num > 1 {
            want[num - 1] = stop;
        }
        let want = ArrayD::from_shape_vec(IxDyn(&[num]), want).unwrap();
        let got = x.compute().unwrap();
        assert_close(&got, &want, Tol { rel: 1e-12, abs: 1e-12 }, "linspace");
        if num > 0 {
            prop_assert_eq!(got[[0]], start);
        }
        if num > 1 {
            prop_assert_eq!(got[[num - 1]], stop);
        }
        // Integer dtypes round toward -inf (NumPy >= 2.0).
        let xi = ndchunk::linspace::<i32>(start, stop, num, [chunk]).unwrap().compute().unwrap();
        prop_assert_eq!(xi, got.mapv(|v| v.floor() as i32));
        let xf = ndchunk::linspace::<f32>(start, stop, num, [chunk]).unwrap().compute().unwrap();
        prop_assert_eq!(xf, got.mapv(|v| v as f32));
    }

    #[test]
    fn identity_with_random_chunks((rows, cols, chunks) in (0usize..9, 0usize..9).prop_flat_map(|(r, c)| (Just(r), Just(c), chunking(&[r, c]))), k in -10i64..10) {
        let want = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| (i[1] as i64 - i[0] as i64 == k) as u8);
        let e = ndchunk::eye_k::<u8>(rows, cols, k, chunks.clone()).unwrap();
        prop_assert_eq!(e.compute().unwrap(), want.clone());
        let ef = ndchunk::eye_k::<f64>(rows, cols, k, chunks.clone()).unwrap();
        let wf = want.mapv(f64::from);
        prop_assert_eq!(ef.compute().unwrap(), wf.clone());
        let eb = ndchunk::eye_k::<bool>(rows, cols, k, chunks.clone()).unwrap();
        prop_assert_eq!(eb.compute().unwrap(), want.mapv(|v| v != 0));
        // In an expression (tile streaming), and reduced.
        let s = (&ef * 2.0 + 1.0).sum_axis(ndarray::Axis(0)).unwrap().compute().unwrap();
        prop_assert_eq!(s, wf.mapv(|v| v * 2.0 + 1.0).sum_axis(ndarray::Axis(0)));
        if rows == cols {
            let i = ndchunk::eye::<i32>(rows, chunks.clone()).unwrap();
            let want_i = ArrayD::from_shape_fn(IxDyn(&[rows, rows]), |ix| (ix[0] == ix[1]) as i32);
            prop_assert_eq!(i.compute().unwrap(), want_i);
        }
        // Broadcast against a 3-d array: the generator is materialised, not streamed.
        let z = ndchunk::zeros::<u8>(&[2, rows, cols], [1, 3, 2]).unwrap();
        let got = (&z + &e).compute().unwrap();
        let want3 = ArrayD::from_shape_fn(IxDyn(&[2, rows, cols]), |i| want[[i[1], i[2]]]);
        prop_assert_eq!(got, want3);
    }

    #[test]
    fn from_fn_blocks((s, c) in shape_and_chunks(4)) {
        let grid = c.clone();
        let x = ndchunk::from_fn(&s, c.clone(), move |block, bshape| {
            let nb: Vec<usize> = grid.iter().map(Vec::len).collect();
            let linear = block.iter().zip(&nb).fold(0usize, |acc, (&b, &n)| acc * n + b);
            let mut k = 0i64;
            ArrayD::from_shape_fn(IxDyn(bshape), |_| {
                k += 1;
                linear as i64 * 10_000 + k
            })
        })
        .unwrap();
        let nb: Vec<usize> = c.iter().map(Vec::len).collect();
        let pos = block_positions(&s, &c);
        let want = pos.mapv(|(block, local)| {
            let linear = block.iter().zip(&nb).fold(0usize, |acc, (&b, &n)| acc * n + b);
            let bshape: Vec<usize> = block.iter().enumerate().map(|(a, &b)| c[a][b]).collect();
            let k = local.iter().zip(&bshape).fold(0usize, |acc, (&l, &n)| acc * n + l);
            linear as i64 * 10_000 + k as i64 + 1
        });
        prop_assert_eq!(x.compute().unwrap(), want.clone());
        prop_assert_eq!((&x * 2).compute().unwrap(), want.mapv(|v| v * 2));
        if !s.is_empty() {
            prop_assert_eq!(
                x.sum_axis(ndarray::Axis(0)).unwrap().compute().unwrap(),
                want.sum_axis(ndarray::Axis(0))
            );
        }
    }

    #[test]
    fn from_array_roundtrip((a, c) in chunked_array(4, i64::arb_wide())) {
        let x = ndchunk::from_array(a.clone(), c.clone()).unwrap();
        prop_assert_eq!(x.shape(), a.shape());
        prop_assert_eq!(x.ndim(), a.ndim());
        prop_assert_eq!(x.len(), a.len());
        prop_assert_eq!(x.is_empty(), a.is_empty());
        prop_assert_eq!(x.nbytes(), 8 * a.len() as u64);
        prop_assert_eq!(x.numblocks(), c.iter().map(Vec::len).collect::<Vec<_>>());
        prop_assert_eq!(x.chunks().all_lens(), &c[..]);
        prop_assert_eq!(x.dtype(), DType::I64);
        prop_assert_eq!(x.compute().unwrap(), a.clone());
        // From a view.
        let v = ndchunk::from_array(a.view(), c.clone()).unwrap();
        prop_assert_eq!(v.compute().unwrap(), a.clone());
        // Auto chunks of a few bytes cut small arrays into many blocks.
        let y = ndchunk::from_array(a.clone(), ChunkSpec::AutoBytes(24)).unwrap();
        prop_assert!(y.chunks().max_block_len() <= 3);
        prop_assert_eq!(y.compute().unwrap(), a);
    }

    #[test]
    fn random_values_depend_on_seed_and_block_only((s, c) in shape_and_chunks(3), seed in any::<u64>(), threads in 1usize..4) {
        let one = Executor::local().threads(1).progress(false);
        let many = Executor::local().threads(threads).progress(false);
        let u = random::uniform::<f64>(&s, c.clone(), seed).unwrap();
        let a = u.compute_with(&one).unwrap();
        prop_assert!(a.iter().all(|v| (0.0..1.0).contains(v)));
        assert_same(&u.compute_with(&many).unwrap(), &a, "uniform, more threads");
        assert_same(&u.compute().unwrap(), &a, "uniform, default executor");
        // The same seed and chunks in another expression give the same values.
        let u2 = random::uniform::<f64>(&s, c.clone(), seed).unwrap();
        assert_same(&(&u2 * 1.0).compute_with(&many).unwrap(), &a, "uniform again");
        // Reductions of random arrays agree across thread counts, bit for bit.
        let m1 = (&u * 3.0 - 1.0).var(0).unwrap().compute_with(&one).unwrap();
        let m2 = (&u * 3.0 - 1.0).var(0).unwrap().compute_with(&many).unwrap();
        assert_same(&m1, &m2, "var of random");
        if !s.is_empty() {
            let o = ndchunk::ReduceOptions::new().axes(&[0]).split_every(2);
            let s1 = u.sum_with(&o).unwrap().compute_with(&one).unwrap();
            let s2 = u.sum_with(&o).unwrap().compute_with(&many).unwrap();
            assert_same(&s1, &s2, "sum of random");
        }
        let r = random::uniform_range::<f32>(-2.0, 3.0, &s, c.clone(), seed).unwrap();
        let ra = r.compute_with(&one).unwrap();
        prop_assert!(ra.iter().all(|v| (-2.0..3.0).contains(v)));
        assert_same(&r.compute_with(&many).unwrap(), &ra, "uniform_range");
        let n = random::standard_normal::<f64>(&s, c.clone(), seed).unwrap();
        assert_same(&n.compute_with(&many).unwrap(), &n.compute_with(&one).unwrap(), "normal");
        let k = random::integers::<i16>(-5, 7, &s, c.clone(), seed).unwrap();
        let ka = k.compute_with(&one).unwrap();
        prop_assert!(ka.iter().all(|v| (-5..7).contains(v)));
        prop_assert_eq!(k.compute_with(&many).unwrap(), ka);
    }
}

#[test]
fn random_blocks_are_seeded_by_block_index() {
    // The first three blocks of a longer array equal those of a shorter one.
    let a = random::uniform::<f64>(&[100], [30], 7)
        .unwrap()
        .compute()
        .unwrap();
    let b = random::uniform::<f64>(&[90], [30], 7)
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(flat(&a)[..90], flat(&b)[..]);
    // Another seed gives other values; another chunking too.
    let c = random::uniform::<f64>(&[100], [30], 8)
        .unwrap()
        .compute()
        .unwrap();
    assert_ne!(a, c);
    let d = random::uniform::<f64>(&[100], [50], 7)
        .unwrap()
        .compute()
        .unwrap();
    assert_ne!(a, d);
    // Rechunking keeps the values.
    let r = random::uniform::<f64>(&[100], [30], 7)
        .unwrap()
        .rechunk([17])
        .unwrap();
    assert_eq!(r.compute().unwrap(), a);
    // Broadcasting a random array keeps its values too.
    let row = random::uniform::<f64>(&[1, 6], [1, 4], 3).unwrap();
    let rv = row.compute().unwrap();
    let z = ndchunk::zeros::<f64>(&[4, 6], [3, 5]).unwrap();
    let got = (&z + &row).compute().unwrap();
    for i in 0..4 {
        for j in 0..6 {
            assert_eq!(got[[i, j]], rv[[0, j]]);
        }
    }
}

#[test]
fn random_distributions_look_right() {
    let n = random::standard_normal::<f64>(&[200_000], [50_000], 11).unwrap();
    let m = n.mean().unwrap().compute().unwrap()[[]];
    let s = n.std(0).unwrap().compute().unwrap()[[]];
    assert!(m.abs() < 0.01, "mean {m}");
    assert!((s - 1.0).abs() < 0.01, "std {s}");
    let u = random::uniform::<f32>(&[200_000], [60_000], 12).unwrap();
    let m = u.mean().unwrap().compute().unwrap()[[]];
    assert!((m - 0.5).abs() < 0.01, "mean {m}");
    let k = random::integers::<u8>(0, 4, &[100_000], [40_000], 13).unwrap();
    let counts: Vec<i64> = (0..4u8)
        .map(|v| k.eq(v).count_nonzero().unwrap().compute().unwrap()[[]])
        .collect();
    assert!(
        counts.iter().all(|&c| (24_000..26_000).contains(&c)),
        "{counts:?}"
    );
}

#[test]
fn random_integers_must_fit_the_dtype() {
    // NumPy: "high is out of bounds for uint8".
    let e = random::integers::<u8>(0, 1000, &[4], [2], 0).unwrap_err();
    assert!(e.to_string().contains("1000"), "{e}");
    let e = random::integers::<i8>(-200, 5, &[4], [2], 0).unwrap_err();
    assert!(e.to_string().contains("-200"), "{e}");
    assert!(random::integers::<u8>(-1, 5, &[4], [2], 0).is_err());
    // The full range of the dtype is fine.
    let k = random::integers::<u8>(0, 256, &[1000], [300], 0)
        .unwrap()
        .compute()
        .unwrap();
    assert!(k.iter().any(|&v| v > 200));
    let k = random::integers::<i8>(-128, 128, &[1000], [300], 0)
        .unwrap()
        .compute()
        .unwrap();
    assert!(k.iter().any(|&v| v < -100));
    assert!(random::integers::<i64>(i64::MIN, i64::MAX, &[10], [3], 0).is_ok());
}

#[test]
fn linspace_on_integers_floors_like_numpy_2() {
    // The example from the NumPy 2.0 release notes.
    let x = ndchunk::linspace::<i64>(-3.0, 1.0, 8, [3])
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(flat(&x), vec![-3, -3, -2, -2, -1, -1, 0, 1]);
}

#[test]
fn creation_errors() {
    let e = ndchunk::arange::<f64>(0.0, 1.0, 0.0, [2]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    assert!(e.to_string().contains("step 0"), "{e}");
    assert!(ndchunk::arange::<i32>(0, 5, 0, [2]).is_err());
    assert!(ndchunk::arange::<f64>(0.0, f64::INFINITY, 1.0, [2]).is_err());
    assert!(ndchunk::arange::<f64>(f64::NAN, 1.0, 1.0, [2]).is_err());
    let e = ndchunk::linspace::<f64>(0.0, f64::NAN, 3, [2]).unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
    let e = random::uniform_range::<f64>(2.0, 1.0, &[3], [2], 0).unwrap_err();
    assert!(e.to_string().contains("low 2"), "{e}");
    assert!(random::integers::<i32>(3, 3, &[3], [2], 0).is_err());
    let e = ndchunk::zeros::<f32>(&[4], [0]).unwrap_err();
    assert!(e.to_string().contains("chunk length 0"), "{e}");
    assert!(
        ndchunk::eye::<f32>(3, [2]).is_err(),
        "one chunk entry for two axes"
    );
    assert!(
        ndchunk::from_fn(&[4], vec![vec![2, 3]], |_, s| ArrayD::<u8>::zeros(IxDyn(s))).is_err()
    );
}

#[test]
fn arrays_describe_themselves() {
    let x = random::uniform::<f32>(&[1000, 10], [250, 10], 0).unwrap();
    let y = (&x * 2.0 + 1.0).powi(2).mean().unwrap();
    let text = y.explain();
    assert!(text.contains("tasks: 5"), "{text}");
    assert!(text.contains("mean.finish"), "{text}");
    assert_eq!(format!("{y}"), text);
    let dot = (&x + &x).to_dot();
    assert!(dot.starts_with("digraph") && dot.contains("add"), "{dot}");
    let dbg = format!("{x:?}");
    assert!(
        dbg.contains("[1000, 10]") && dbg.contains("float32"),
        "{dbg}"
    );
    let bad = &x + &random::uniform::<f32>(&[3], [3], 0).unwrap();
    assert!(bad.explain().contains("cannot be planned"));
}
