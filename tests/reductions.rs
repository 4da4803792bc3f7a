//! Differential tests of every reduction against hand-written references over
//! plain ndarray: all axes, one axis, random subsets of axes (given in any order,
//! negative or not), with and without keepdims, with small `split_every` to force
//! multi-level trees, for several dtypes, on irregular chunks and empty arrays.

mod common;

use common::*;
use ndarray::ArrayD;
use ndchunk::{Array, Axis, DType, Element, Error, ReduceOptions};
use proptest::prelude::*;

/// What one reduction case looks like.
#[derive(Clone, Debug)]
struct Case {
    axes: Option<Vec<isize>>,
    keepdims: bool,
    split_every: usize,
    ddof: usize,
}

fn opts(c: &Case) -> ReduceOptions {
    let mut o = ReduceOptions::new()
        .keepdims(c.keepdims)
        .split_every(c.split_every)
        .ddof(c.ddof);
    if let Some(a) = &c.axes {
        o = o.axes(a);
    }
    o
}

fn case_for(ndim: usize) -> BoxedStrategy<Case> {
    (axes_for(ndim), any::<bool>(), 2usize..5, 0usize..3)
        .prop_map(|(axes, keepdims, split_every, ddof)| Case {
            axes,
            keepdims,
            split_every,
            ddof,
        })
        .boxed()
}

fn input<T: Gen>(
    elem: BoxedStrategy<T>,
) -> impl Strategy<Value = (ArrayD<T>, Vec<Vec<usize>>, Case)> {
    chunked_array(4, elem).prop_flat_map(|(a, c)| {
        let nd = a.ndim();
        (Just(a), Just(c), case_for(nd))
    })
}

/// Reduced element count: the product of the reduced axes' lengths.
fn reduced_size(shape: &[usize], axes: &[usize]) -> usize {
    axes.iter().map(|&a| shape[a]).product()
}

#[track_caller]
fn expect_ok<U: Element + Approx>(
    got: ndchunk::Result<Array<U>>,
    want: &ArrayD<U>,
    tol: Tol,
    dtype: DType,
    what: &str,
) {
    let arr = got.unwrap_or_else(|e| panic!("{what}: building failed: {e}"));
    assert_eq!(arr.dtype(), dtype, "{what}: dtype");
    assert_eq!(arr.shape(), want.shape(), "{what}: lazy shape");
    let out = arr
        .compute()
        .unwrap_or_else(|e| panic!("{what}: compute failed: {e}"));
    assert_close(&out, want, tol, what);
}

/// Float tolerance for results derived from sums of `a`.
fn sum_tol<T: RefElem>(a: &ArrayD<T>, f32_out: bool) -> Tol {
    if f32_out {
        Tol {
            rel: 2e-6,
            abs: 1e-6 * (1.0 + abs_sum(a)),
        }
    } else {
        Tol {
            rel: 1e-9,
            abs: 1e-12 * (1.0 + abs_sum(a)),
        }
    }
}

fn var_tol<T: RefElem>(a: &ArrayD<T>, f32_out: bool) -> Tol {
    let sq: f64 = a
        .iter()
        .map(|x| x.f() * x.f())
        .filter(|v| v.is_finite())
        .sum();
    if f32_out {
        Tol {
            rel: 1e-5,
            abs: 1e-6 * (1.0 + sq),
        }
    } else {
        Tol {
            rel: 1e-9,
            abs: 1e-12 * (1.0 + sq),
        }
    }
}

/// Checks every reduction of `T` on `a` cut into `chunks` against the reference.
fn check_all<T>(
    a: &ArrayD<T>,
    chunks: &[Vec<usize>],
    case: &Case,
    sum_dtype: DType,
    mean_dtype: DType,
) where
    T: RefElem,
    T::Sum: Approx,
    T::Mean: Approx,
{
    let x = ndchunk::from_array(a.clone(), chunks.to_vec()).unwrap();
    let o = opts(case);
    let ndim = a.ndim();
    let axes = norm_axes(&case.axes, ndim);
    let kd = case.keepdims;
    let reduced = reduced_size(a.shape(), &axes);
    let ctx = format!("shape {:?} chunks {chunks:?} {case:?}", a.shape());
    let f32_out = mean_dtype == DType::F32;
    let stol = sum_tol(a, f32_out);
    let vtol = var_tol(a, f32_out);

    // Reductions with an identity.
    expect_ok(
        x.sum_with(&o),
        &ref_reduce(a, &axes, kd, T::ref_sum),
        stol,
        sum_dtype,
        &format!("sum {ctx}"),
    );
    expect_ok(
        x.nansum_with(&o),
        &ref_reduce(a, &axes, kd, T::ref_nansum),
        stol,
        sum_dtype,
        &format!("nansum {ctx}"),
    );
    expect_ok(
        x.mean_with(&o),
        &ref_reduce(a, &axes, kd, ref_mean::<T>),
        stol,
        mean_dtype,
        &format!("mean {ctx}"),
    );
    expect_ok(
        x.nanmean_with(&o),
        &ref_reduce(a, &axes, kd, ref_nanmean::<T>),
        stol,
        mean_dtype,
        &format!("nanmean {ctx}"),
    );
    let ddof = case.ddof;
    expect_ok(
        x.var_with(&o),
        &ref_reduce(a, &axes, kd, |xs| ref_var::<T>(xs, ddof)),
        vtol,
        mean_dtype,
        &format!("var {ctx}"),
    );
    expect_ok(
        x.std_with(&o),
        &ref_reduce(a, &axes, kd, |xs| ref_std::<T>(xs, ddof)),
        Tol {
            rel: vtol.rel,
            abs: vtol.abs.sqrt(),
        },
        mean_dtype,
        &format!("std {ctx}"),
    );
    expect_ok(
        x.any_with(&o),
        &ref_reduce(a, &axes, kd, |xs: &[T]| xs.iter().any(|v| v.nz())),
        EXACT,
        DType::Bool,
        &format!("any {ctx}"),
    );
    expect_ok(
        x.all_with(&o),
        &ref_reduce(a, &axes, kd, |xs: &[T]| xs.iter().all(|v| v.nz())),
        EXACT,
        DType::Bool,
        &format!("all {ctx}"),
    );
    expect_ok(
        x.count_nonzero_with(&o),
        &ref_reduce(a, &axes, kd, |xs: &[T]| {
            xs.iter().filter(|v| v.nz()).count() as i64
        }),
        EXACT,
        DType::I64,
        &format!("count_nonzero {ctx}"),
    );

    // Reductions without an identity: an error when a reduced axis is empty,
    // whether or not the result is (NumPy's "zero-size array to reduction
    // operation", raised by `zeros((0, 0)).min(axis=1)` too).
    let empty = reduced == 0;
    let dt = T::DTYPE;
    let no_identity: [(&str, ndchunk::Result<Array<T>>, bool, bool); 4] = [
        ("min", x.min_with(&o), false, false),
        ("max", x.max_with(&o), true, false),
        ("nanmin", x.nanmin_with(&o), false, true),
        ("nanmax", x.nanmax_with(&o), true, true),
    ];
    for (name, got, max, nan) in no_identity {
        if empty {
            match got {
                Err(Error::EmptyReduction { .. }) => {}
                other => panic!("{name} {ctx}: expected EmptyReduction, got {other:?}"),
            }
            continue;
        }
        let want = ref_reduce(a, &axes, kd, |xs: &[T]| {
            if nan {
                ref_nan_extreme(xs, max)
            } else {
                ref_extreme(xs, max)
            }
        });
        expect_ok(got, &want, EXACT, dt, &format!("{name} {ctx}"));
    }

    // argmin/argmax: flat index with no axes; exactly one axis otherwise.
    for (name, got, max) in [
        ("argmin", x.argmin_with(&o), false),
        ("argmax", x.argmax_with(&o), true),
    ] {
        let one_axis = case.axes.as_ref().is_none_or(|v| v.len() == 1);
        if !one_axis {
            match got {
                Err(Error::InvalidArgument { .. }) => continue,
                other => panic!("{name} {ctx}: expected InvalidArgument, got {other:?}"),
            }
        }
        if empty {
            match got {
                Err(Error::EmptyReduction { .. }) => continue,
                other => panic!("{name} {ctx}: expected EmptyReduction, got {other:?}"),
            }
        }
        let want = ref_reduce(a, &axes, kd, |xs: &[T]| ref_arg_extreme(xs, max).0);
        expect_ok(got, &want, EXACT, DType::I64, &format!("{name} {ctx}"));
    }
}

/// `prod` on its own: float products depend on the order of overflow, so float
/// data come from {-1, -0.5, 0, 0.5, 1}, whose products are exact in any order.
fn check_prod<T>(a: &ArrayD<T>, chunks: &[Vec<usize>], case: &Case, sum_dtype: DType)
where
    T: RefElem,
    T::Sum: Approx,
{
    let x = ndchunk::from_array(a.clone(), chunks.to_vec()).unwrap();
    let axes = norm_axes(&case.axes, a.ndim());
    let want = ref_reduce(a, &axes, case.keepdims, T::ref_prod);
    let ctx = format!("prod shape {:?} chunks {chunks:?} {case:?}", a.shape());
    expect_ok(x.prod_with(&opts(case)), &want, EXACT, sum_dtype, &ctx);
}

fn exact_factor<T: Gen>(vals: &'static [f64], cast: fn(f64) -> T) -> BoxedStrategy<T> {
    prop::sample::select(vals).prop_map(cast).boxed()
}

const FACTORS: &[f64] = &[-1.0, -0.5, 0.0, 0.5, 1.0];

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn f64_reductions((a, c, case) in input(f64::arb())) {
        check_all(&a, &c, &case, DType::F64, DType::F64);
    }

    #[test]
    fn f64_reductions_with_nan((a, c, case) in input(f64::arb_nan())) {
        check_all(&a, &c, &case, DType::F64, DType::F64);
    }

    #[test]
    fn f32_reductions_with_nan((a, c, case) in input(f32::arb_nan())) {
        check_all(&a, &c, &case, DType::F32, DType::F32);
    }

    #[test]
    fn i32_reductions((a, c, case) in input(i32::arb())) {
        check_all(&a, &c, &case, DType::I64, DType::F64);
    }

    #[test]
    fn i64_reductions((a, c, case) in input(i64::arb())) {
        check_all(&a, &c, &case, DType::I64, DType::F64);
    }

    #[test]
    fn u8_reductions((a, c, case) in input(u8::arb())) {
        check_all(&a, &c, &case, DType::U64, DType::F64);
    }

    #[test]
    fn i8_reductions((a, c, case) in input(i8::arb())) {
        check_all(&a, &c, &case, DType::I64, DType::F64);
    }

    #[test]
    fn u64_reductions((a, c, case) in input(u64::arb())) {
        check_all(&a, &c, &case, DType::U64, DType::F64);
    }

    #[test]
    fn bool_reductions((a, c, case) in input(bool::arb())) {
        check_all(&a, &c, &case, DType::I64, DType::F64);
    }

    #[test]
    fn prod_f64((a, c, case) in input(exact_factor(FACTORS, |v| v))) {
        check_prod(&a, &c, &case, DType::F64);
    }

    #[test]
    fn prod_f32((a, c, case) in input(exact_factor(FACTORS, |v| v as f32))) {
        check_prod(&a, &c, &case, DType::F32);
    }

    #[test]
    fn prod_ints_wrap(
        (a, c, case) in input(i64::arb_wide()),
        (b, cb, case_b) in input(u8::arb()),
        (d, cd, case_d) in input(bool::arb()),
        (e, ce, case_e) in input(i32::arb()),
    ) {
        check_prod(&a, &c, &case, DType::I64);
        check_prod(&b, &cb, &case_b, DType::U64);
        check_prod(&d, &cd, &case_d, DType::I64);
        check_prod(&e, &ce, &case_e, DType::I64);
    }

    #[test]
    fn wrapping_integer_sums(
        (a, c, case) in input(i64::arb_wide()),
        (b, cb, case_b) in input(u64::arb_wide()),
    ) {
        let x = ndchunk::from_array(a.clone(), c.clone()).unwrap();
        let axes = norm_axes(&case.axes, a.ndim());
        let want = ref_reduce(&a, &axes, case.keepdims, i64::ref_sum);
        expect_ok(x.sum_with(&opts(&case)), &want, EXACT, DType::I64, "i64 sum");
        if !a.is_empty() {
            let want = ref_reduce(&a, &axes, case.keepdims, |xs| ref_extreme(xs, true));
            expect_ok(x.max_with(&opts(&case)), &want, EXACT, DType::I64, "i64 max");
        }
        let y = ndchunk::from_array(b.clone(), cb.clone()).unwrap();
        let axes = norm_axes(&case_b.axes, b.ndim());
        let want = ref_reduce(&b, &axes, case_b.keepdims, u64::ref_sum);
        expect_ok(y.sum_with(&opts(&case_b)), &want, EXACT, DType::U64, "u64 sum");
    }

    /// Reductions of fused expressions whose operands have other chunks and
    /// broadcast: the partial stage reads rechunked and broadcast leaves.
    #[test]
    fn reductions_of_broadcast_expressions(
        ((a, ca), (b, cb)) in broadcast_pair(4).prop_flat_map(|(sa, sb)| {
            (array_of(sa, f64::arb()), array_of(sb, f64::arb()))
        }),
        keepdims in any::<bool>(),
        split_every in 2usize..5,
        axis_seed in any::<prop::sample::Index>(),
    ) {
        let x = ndchunk::from_array(a.clone(), ca).unwrap();
        let y = ndchunk::from_array(b.clone(), cb).unwrap();
        let e = (&x * 2.0 - &y) * &y;
        let want_full = ref_binary(&a, &b, |p, q| (p * 2.0 - q) * q);
        let nd = want_full.ndim();
        let tol = sum_tol(&want_full, false);
        let mut o = ReduceOptions::new().keepdims(keepdims).split_every(split_every);
        let axes: Vec<usize> = if nd == 0 { vec![] } else { vec![axis_seed.index(nd)] };
        if nd > 0 {
            o = o.axes(&[axes[0] as isize]);
        }
        expect_ok(e.sum_with(&o), &ref_reduce(&want_full, &axes, keepdims, f64::ref_sum), tol, DType::F64, "sum of expr");
        expect_ok(e.mean_with(&o), &ref_reduce(&want_full, &axes, keepdims, ref_mean::<f64>), tol, DType::F64, "mean of expr");
        if reduced_size(want_full.shape(), &axes) > 0 {
            expect_ok(e.max_with(&o), &ref_reduce(&want_full, &axes, keepdims, |xs| ref_extreme(xs, true)), EXACT, DType::F64, "max of expr");
            expect_ok(e.argmin_with(&o), &ref_reduce(&want_full, &axes, keepdims, |xs| ref_arg_extreme(xs, false).0), EXACT, DType::I64, "argmin of expr");
        }
        let all = (0..nd).collect::<Vec<_>>();
        if reduced_size(want_full.shape(), &all) > 0 {
            let want = ref_reduce(&want_full, &all, false, |xs| ref_arg_extreme(xs, true).0);
            expect_ok(e.argmax(), &want, EXACT, DType::I64, "flat argmax of expr");
        }
    }

    /// `(x - mean(x, axes, keepdims)) / std(...)`: keepdims results (chunks of 1
    /// on the reduced axes) broadcast back against the input.
    #[test]
    fn normalising_with_keepdims((a, c, case) in input(f64::arb())) {
        let x = ndchunk::from_array(a.clone(), c.clone()).unwrap();
        let o = opts(&case).keepdims(true).ddof(0);
        let axes = norm_axes(&case.axes, a.ndim());
        let mean = x.mean_with(&o).unwrap();
        let std = x.std_with(&o).unwrap();
        let z = (&x - &mean) / (&std + 1.0);
        let m = ref_reduce(&a, &axes, true, ref_mean::<f64>);
        let s = ref_reduce(&a, &axes, true, |xs| ref_std::<f64>(xs, 0));
        let centred = ref_binary(&a, &m, |p, q| p - q);
        let want = ref_binary(&centred, &s, |p, q| p / (q + 1.0));
        assert_close(&z.compute().unwrap(), &want, Tol { rel: 1e-9, abs: 1e-9 }, "normalised");
        // And reduced again.
        let zs = z.sum_with(&opts(&case)).unwrap().compute().unwrap();
        let want_s = ref_reduce(&want, &axes, case.keepdims, f64::ref_sum);
        assert_close(&zs, &want_s, Tol { rel: 1e-9, abs: 1e-9 * (1.0 + a.len() as f64) }, "sum of normalised");
    }

    /// A reduction of a reduction: the inner result is a stage of the outer plan.
    #[test]
    fn reductions_of_reductions((a, c) in chunked_array(3, f64::arb()), split_every in 2usize..4) {
        prop_assume!(a.ndim() >= 1);
        let x = ndchunk::from_array(a.clone(), c).unwrap();
        let o = ReduceOptions::new().axes(&[0]).split_every(split_every);
        let inner = x.sum_with(&o).unwrap();
        let outer = (&inner * 0.5).sum_with(&ReduceOptions::new().split_every(split_every)).unwrap();
        let want_inner = ref_reduce(&a, &[0], false, f64::ref_sum);
        let want: f64 = want_inner.iter().map(|v| v * 0.5).sum();
        let got = outer.compute().unwrap();
        prop_assert!(f64::close(got[[]], want, sum_tol(&a, false)), "{} vs {}", got[[]], want);
    }
}

#[test]
fn convenience_forms_match_options() {
    let a = ndarray::Array3::from_shape_fn((4, 5, 3), |(i, j, k)| {
        ((i * 7 + j * 3 + k * 5) % 11) as f64 - 5.0
    })
    .into_dyn();
    let x = ndchunk::from_array(a.clone(), vec![vec![1, 3], vec![2, 2, 1], vec![3]]).unwrap();
    for axis in 0..3 {
        let ax = [axis];
        let o = ReduceOptions::new().axes(&[axis as isize]);
        let tol = Tol::rel(1e-12);
        assert_close(
            &x.sum_axis(Axis(axis)).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, f64::ref_sum),
            tol,
            "sum_axis",
        );
        assert_eq!(
            x.sum_axis(Axis(axis)).unwrap().compute().unwrap(),
            x.sum_with(&o).unwrap().compute().unwrap()
        );
        assert_close(
            &x.mean_axis(Axis(axis)).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, ref_mean::<f64>),
            tol,
            "mean_axis",
        );
        assert_close(
            &x.var_axis(Axis(axis), 1).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, |xs| ref_var::<f64>(xs, 1)),
            tol,
            "var_axis",
        );
        assert_close(
            &x.std_axis(Axis(axis), 0).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, |xs| ref_std::<f64>(xs, 0)),
            tol,
            "std_axis",
        );
        for (name, got, max) in [
            ("min_axis", x.min_axis(Axis(axis)), false),
            ("max_axis", x.max_axis(Axis(axis)), true),
            ("nanmin_axis", x.nanmin_axis(Axis(axis)), false),
            ("nanmax_axis", x.nanmax_axis(Axis(axis)), true),
        ] {
            assert_close(
                &got.unwrap().compute().unwrap(),
                &ref_reduce(&a, &ax, false, |xs| ref_extreme(xs, max)),
                EXACT,
                name,
            );
        }
        assert_eq!(
            x.argmin_axis(Axis(axis)).unwrap().compute().unwrap(),
            ref_reduce(&a, &ax, false, |xs| ref_arg_extreme(xs, false).0)
        );
        assert_eq!(
            x.argmax_axis(Axis(axis)).unwrap().compute().unwrap(),
            ref_reduce(&a, &ax, false, |xs| ref_arg_extreme(xs, true).0)
        );
        assert_eq!(
            x.any_axis(Axis(axis)).unwrap().compute().unwrap(),
            ref_reduce(&a, &ax, false, |xs| xs.iter().any(|&v| v != 0.0))
        );
        assert_eq!(
            x.all_axis(Axis(axis)).unwrap().compute().unwrap(),
            ref_reduce(&a, &ax, false, |xs| xs.iter().all(|&v| v != 0.0))
        );
        assert_eq!(
            x.count_nonzero_axis(Axis(axis)).unwrap().compute().unwrap(),
            ref_reduce(
                &a,
                &ax,
                false,
                |xs| xs.iter().filter(|&&v| v != 0.0).count() as i64
            )
        );
        assert_close(
            &x.prod_axis(Axis(axis)).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, f64::ref_prod),
            tol,
            "prod_axis",
        );
        assert_close(
            &x.nansum_axis(Axis(axis)).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, f64::ref_nansum),
            tol,
            "nansum_axis",
        );
        assert_close(
            &x.nanmean_axis(Axis(axis)).unwrap().compute().unwrap(),
            &ref_reduce(&a, &ax, false, ref_nanmean::<f64>),
            tol,
            "nanmean_axis",
        );
    }
    let all = [0, 1, 2];
    let tol = Tol::rel(1e-12);
    assert_close(
        &x.sum().unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, f64::ref_sum),
        tol,
        "sum",
    );
    assert_close(
        &x.prod().unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, f64::ref_prod),
        tol,
        "prod",
    );
    assert_close(
        &x.mean().unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, ref_mean::<f64>),
        tol,
        "mean",
    );
    assert_close(
        &x.var(1).unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, |xs| ref_var::<f64>(xs, 1)),
        tol,
        "var",
    );
    assert_close(
        &x.std(0).unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, |xs| ref_std::<f64>(xs, 0)),
        tol,
        "std",
    );
    assert_eq!(x.min().unwrap().compute().unwrap()[[]], -5.0);
    assert_eq!(x.max().unwrap().compute().unwrap()[[]], 5.0);
    assert_eq!(x.nanmin().unwrap().compute().unwrap()[[]], -5.0);
    assert_eq!(x.nanmax().unwrap().compute().unwrap()[[]], 5.0);
    assert_eq!(
        x.argmin().unwrap().compute().unwrap(),
        ref_reduce(&a, &all, false, |xs| ref_arg_extreme(xs, false).0)
    );
    assert_eq!(
        x.argmax().unwrap().compute().unwrap(),
        ref_reduce(&a, &all, false, |xs| ref_arg_extreme(xs, true).0)
    );
    assert!(x.any().unwrap().compute().unwrap()[[]]);
    assert!(!x.all().unwrap().compute().unwrap()[[]]);
    assert_eq!(
        x.count_nonzero().unwrap().compute().unwrap()[[]],
        a.iter().filter(|&&v| v != 0.0).count() as i64
    );
    assert_close(
        &x.nansum().unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, f64::ref_nansum),
        tol,
        "nansum",
    );
    assert_close(
        &x.nanmean().unwrap().compute().unwrap(),
        &ref_reduce(&a, &all, false, ref_nanmean::<f64>),
        tol,
        "nanmean",
    );
}

#[test]
fn output_dtypes_follow_numpy() {
    fn dtypes<T: Element>(x: &Array<T>) -> [DType; 6] {
        [
            x.sum().unwrap().dtype(),
            x.prod().unwrap().dtype(),
            x.mean().unwrap().dtype(),
            x.var(0).unwrap().dtype(),
            x.argmin().unwrap().dtype(),
            x.count_nonzero().unwrap().dtype(),
        ]
    }
    use DType::*;
    assert_eq!(
        dtypes(&ndchunk::ones::<i8>(&[3], [2]).unwrap()),
        [I64, I64, F64, F64, I64, I64]
    );
    assert_eq!(
        dtypes(&ndchunk::ones::<i16>(&[3], [2]).unwrap()),
        [I64, I64, F64, F64, I64, I64]
    );
    assert_eq!(
        dtypes(&ndchunk::ones::<u16>(&[3], [2]).unwrap()),
        [U64, U64, F64, F64, I64, I64]
    );
    assert_eq!(
        dtypes(&ndchunk::ones::<u32>(&[3], [2]).unwrap()),
        [U64, U64, F64, F64, I64, I64]
    );
    assert_eq!(
        dtypes(&ndchunk::ones::<bool>(&[3], [2]).unwrap()),
        [I64, I64, F64, F64, I64, I64]
    );
    assert_eq!(
        dtypes(&ndchunk::ones::<f32>(&[3], [2]).unwrap()),
        [F32, F32, F32, F32, I64, I64]
    );
    assert_eq!(
        dtypes(&ndchunk::ones::<f64>(&[3], [2]).unwrap()),
        [F64, F64, F64, F64, I64, I64]
    );
    let b = ndchunk::ones::<u16>(&[3], [2]).unwrap();
    assert_eq!(b.any().unwrap().dtype(), Bool);
    assert_eq!(b.min().unwrap().dtype(), U16);
    assert_eq!(b.sum().unwrap().compute().unwrap()[[]], 3u64);
    // The other narrow dtypes compute correctly too.
    let s = ndchunk::from_array(ndarray::arr1(&[i16::MAX, i16::MAX, -3]), [2]).unwrap();
    assert_eq!(
        s.sum().unwrap().compute().unwrap()[[]],
        2 * i16::MAX as i64 - 3
    );
    let u = ndchunk::from_array(ndarray::arr1(&[u32::MAX, u32::MAX]), [1]).unwrap();
    assert_eq!(u.sum().unwrap().compute().unwrap()[[]], 2 * u32::MAX as u64);
}

#[test]
fn empty_reductions() {
    let e = ndchunk::zeros::<f64>(&[0, 3], [-1, 2]).unwrap();
    assert_eq!(e.sum().unwrap().compute().unwrap()[[]], 0.0);
    assert!(e.mean().unwrap().compute().unwrap()[[]].is_nan());
    assert!(e.var(0).unwrap().compute().unwrap()[[]].is_nan());
    assert_eq!(e.prod().unwrap().compute().unwrap()[[]], 1.0);
    assert!(!e.any().unwrap().compute().unwrap()[[]]);
    assert!(e.all().unwrap().compute().unwrap()[[]]);
    assert_eq!(e.count_nonzero().unwrap().compute().unwrap()[[]], 0);
    // Reduced size 0 with a non-empty output: errors.
    for r in [
        e.min(),
        e.max(),
        e.nanmin(),
        e.nanmax(),
        e.min_axis(Axis(0)),
    ] {
        let err = r.unwrap_err();
        assert!(matches!(err, Error::EmptyReduction { .. }), "{err}");
    }
    assert!(e.argmin().is_err());
    assert!(e.argmax_axis(Axis(0)).is_err());
    // Reduced size 0 with an empty output: errors as well, as NumPy's.
    let ee = ndchunk::zeros::<f64>(&[0, 0], [1, 1]).unwrap();
    for r in [
        ee.min_axis(Axis(1)),
        ee.max_axis(Axis(0)),
        ee.nanmin_axis(Axis(1)),
        ee.nanmax(),
    ] {
        let err = r.unwrap_err();
        assert!(matches!(err, Error::EmptyReduction { .. }), "{err}");
    }
    assert!(ee.argmin_axis(Axis(1)).is_err());
    assert!(ee.argmax_axis(Axis(0)).is_err());
    // Reduced size non-zero, output empty: an empty result.
    let m = e.min_axis(Axis(1)).unwrap();
    assert_eq!(m.shape(), &[0]);
    assert_eq!(m.compute().unwrap().shape(), &[0]);
    let am = e.argmax_axis(Axis(1)).unwrap().compute().unwrap();
    assert_eq!(am.shape(), &[0]);
    // 0-d arrays reduce to themselves.
    let z = ndchunk::from_array(ndarray::arr0(4i32).into_dyn(), Vec::<i32>::new()).unwrap();
    assert_eq!(z.sum().unwrap().compute().unwrap()[[]], 4i64);
    assert_eq!(z.argmax().unwrap().compute().unwrap()[[]], 0);
    assert_eq!(z.mean().unwrap().compute().unwrap()[[]], 4.0);
}

#[test]
fn reducing_no_axes_keeps_the_shape() {
    let a = ndarray::Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as i32 - 5).into_dyn();
    let x = ndchunk::from_array(a.clone(), [2, 3]).unwrap();
    let o = ReduceOptions::new().axes(&[]);
    assert_eq!(
        x.sum_with(&o).unwrap().compute().unwrap(),
        a.mapv(|v| v as i64)
    );
    assert_eq!(x.max_with(&o).unwrap().compute().unwrap(), a);
    assert!(
        x.argmax_with(&o).is_err(),
        "argmax takes exactly one axis or none"
    );
}

#[test]
fn var_without_degrees_of_freedom_follows_numpy() {
    // NumPy divides by max(n - ddof, 0): inf when the squared deviations are
    // positive, NaN when they are zero.
    let x = ndchunk::from_array(ndarray::arr1(&[1.0f64, 3.0]), [1]).unwrap();
    assert_eq!(x.var(1).unwrap().compute().unwrap()[[]], 2.0);
    assert_eq!(x.var(2).unwrap().compute().unwrap()[[]], f64::INFINITY);
    assert_eq!(x.var(3).unwrap().compute().unwrap()[[]], f64::INFINITY);
    assert_eq!(x.std(2).unwrap().compute().unwrap()[[]], f64::INFINITY);
    let c = ndchunk::from_array(ndarray::arr1(&[5.0f32]), [1]).unwrap();
    assert!(c.var(1).unwrap().compute().unwrap()[[]].is_nan());
}

#[test]
fn nan_handling_in_min_max_and_args() {
    let a = ndarray::arr2(&[
        [1.0, f64::NAN, -2.0, f64::NAN],
        [f64::NAN, f64::NAN, f64::NAN, f64::NAN],
        [3.0, 0.5, 9.0, -1.0],
    ])
    .into_dyn();
    let x = ndchunk::from_array(a.clone(), [1, 1]).unwrap();
    let row = |r: ndchunk::Result<Array<f64>>| r.unwrap().compute().unwrap();
    let min1 = row(x.min_axis(Axis(1)));
    assert!(min1[0].is_nan() && min1[1].is_nan() && min1[2] == -1.0);
    let nanmin1 = row(x.nanmin_axis(Axis(1)));
    assert!(nanmin1[0] == -2.0 && nanmin1[1].is_nan() && nanmin1[2] == -1.0);
    let nanmax0 = row(x.nanmax_axis(Axis(0)));
    assert_eq!(flat(&nanmax0)[..1], [3.0]);
    assert_eq!(nanmax0[1], 0.5);
    // argmin/argmax point at the first NaN (NumPy).
    assert_eq!(x.argmin().unwrap().compute().unwrap()[[]], 1);
    assert_eq!(x.argmax().unwrap().compute().unwrap()[[]], 1);
    assert_eq!(
        flat(&x.argmax_axis(Axis(1)).unwrap().compute().unwrap()),
        vec![1, 0, 2]
    );
    let s = x.nansum_axis(Axis(1)).unwrap().compute().unwrap();
    assert_eq!(flat(&s), vec![-1.0, 0.0, 11.5]);
    let m = x.nanmean_axis(Axis(1)).unwrap().compute().unwrap();
    assert_eq!(m[0], -0.5);
    assert!(m[1].is_nan());
    assert_eq!(m[2], 11.5 / 4.0);
}

#[test]
fn many_blocks_and_deep_trees() {
    // 1000 blocks of 1: split_every 2 gives a tree of 10 levels.
    let a = ndarray::Array1::from_shape_fn(1000, |i| ((i * 7919) % 1000) as f64).into_dyn();
    let x = ndchunk::from_array(a.clone(), [1]).unwrap();
    for split in [2usize, 3, 4, 16, 1000] {
        let o = ReduceOptions::new().split_every(split);
        assert_eq!(x.sum_with(&o).unwrap().compute().unwrap()[[]], 499500.0);
        assert_eq!(
            x.argmax_with(&o).unwrap().compute().unwrap()[[]],
            a.iter().position(|&v| v == 999.0).unwrap() as i64
        );
        let v = x.var_with(&o).unwrap().compute().unwrap()[[]];
        assert!((v - ref_var_f64(a.as_slice().unwrap(), 0)).abs() < 1e-9 * v);
    }
    // A 2-d grid of 12 x 10 blocks reduced over both axes with split_every 2.
    let b = ndarray::Array2::from_shape_fn((12, 20), |(i, j)| (i as i64 - 6) * (j as i64 % 7))
        .into_dyn();
    let y = ndchunk::from_array(b.clone(), [1, 2]).unwrap();
    let o = ReduceOptions::new()
        .split_every(2)
        .axes(&[1, 0])
        .keepdims(true);
    let got = y.sum_with(&o).unwrap().compute().unwrap();
    assert_eq!(got.shape(), &[1, 1]);
    assert_eq!(got[[0, 0]], b.sum());
    let o = ReduceOptions::new().split_every(3).axes(&[-1]);
    let got = y.argmin_with(&o).unwrap().compute().unwrap();
    assert_eq!(
        got,
        ref_reduce(&b, &[1], false, |xs| ref_arg_extreme(xs, false).0)
    );
}

#[test]
fn chained_reductions_over_whole_axes_are_one_stage() {
    // The UMAP pattern over 200 000 rows: axes 2 and 1 are whole in every
    // block, so both reductions finish inside the fused task: one stage, one
    // task per output block (it was four stages: a partial and a finish each).
    let (n, k, d) = (200_000usize, 15usize, 16usize);
    let a = ndarray::Array2::from_shape_fn((n, d), |(i, j)| ((i * 31 + j * 7) % 101) as f32);
    let x = ndchunk::from_array(a.clone(), [625, d as isize]).unwrap();
    let knn =
        ndarray::Array2::<i64>::from_shape_fn((n, k), |(i, j)| ((i * 13 + j * 101) % n) as i64);
    let g = x.vindex(&[knn.view().into_dyn()]).unwrap();
    let dist = (&g - &x.insert_axis(Axis(1)).unwrap())
        .powi(2)
        .sum_axis(Axis(2))
        .unwrap()
        .mean_axis(Axis(1))
        .unwrap();
    let plan = dist.plan().unwrap();
    assert_eq!(plan.stages.len(), 1, "{}", dist.explain());
    assert_eq!(plan.tasks.len(), dist.chunks().nblocks());
    assert!(plan.stages[0]
        .name
        .ends_with("sum.blockwise → mean.blockwise"));
    let got = dist.slice(ndchunk::s![..1000]).unwrap().compute().unwrap();
    for i in 0..1000 {
        let want: f64 = (0..k)
            .map(|j| {
                let nb = knn[[i, j]] as usize;
                (0..d)
                    .map(|c| f64::from(a[[nb, c]] - a[[i, c]]).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / k as f64;
        assert!(
            (f64::from(got[[i]]) - want).abs() <= 1e-4 * want.max(1.0),
            "row {i}"
        );
    }
}

#[test]
fn chained_reductions_agree_fused_or_not() {
    // max over axis 2 (kept), sum over axis 1, argmax along axis 0: fused into
    // one stage where the axes are whole in a block, a tree where they are not.
    let b = ndarray::Array3::from_shape_fn((9, 4, 5), |(i, j, l)| {
        ((i * 17 + j * 5 + l * 3) % 11) as i64 - 5
    })
    .into_dyn();
    let max2 = ref_reduce(&b, &[2], true, |xs| *xs.iter().max().unwrap());
    let sum1 = ref_reduce(&max2, &[1], false, |xs| xs.iter().sum::<i64>());
    let want = ref_reduce(&sum1, &[0], false, |xs| ref_arg_extreme(xs, true).0);
    let chain = |x: &Array<i64>| {
        let m = x
            .max_with(&ReduceOptions::new().axes(&[2]).keepdims(true))
            .unwrap();
        m.sum_axis(Axis(1))
            .unwrap()
            .argmax_with(&ReduceOptions::new().axes(&[0]))
            .unwrap()
    };
    for (chunks, stages) in [
        (vec![9, 4, 5], 1),
        (vec![3, 4, 5], 3), // axis 0 split: the argmax is a tree
        (vec![9, 2, 5], 4), // axis 1 split: the sum is a tree between two
    ] {
        let x = ndchunk::from_array(b.clone(), chunks.clone()).unwrap();
        let y = chain(&x);
        assert_eq!(
            y.plan().unwrap().stages.len(),
            stages,
            "{chunks:?}: {}",
            y.explain()
        );
        assert_eq!(y.compute().unwrap(), want, "{chunks:?}");
    }
}

/// `sum((2x + 1)^2)` and its mean over the first `lead` axes, against the
/// reference: a fused stage adds these up column by column from its tiles,
/// never collecting the block (`fused::streamed_column_sums`).
fn check_fused_leading<T>(a: &ArrayD<T>, chunks: &[Vec<usize>], lead: usize)
where
    T: RefElem<Sum = T, Mean = T> + ndchunk::FloatElement + num_traits::Float,
{
    let x = ndchunk::from_array(a.clone(), chunks.to_vec()).unwrap();
    let two = T::from(2.0).unwrap();
    let y = (&x * two + T::one()).powi(2);
    let axes: Vec<usize> = (0..lead).collect();
    let signed: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
    let squared = a.mapv(|v| (v * two + T::one()).powi(2));
    let ctx = format!("shape {:?} chunks {chunks:?} lead {lead}", a.shape());
    let options = ReduceOptions::new().axes(&signed);
    let tol = sum_tol(&squared, T::DTYPE == DType::F32);
    let sum = ref_reduce(&squared, &axes, false, T::ref_sum);
    expect_ok(
        y.sum_with(&options),
        &sum,
        tol,
        T::DTYPE,
        &format!("sum {ctx}"),
    );
    let mean = ref_reduce(&squared, &axes, false, ref_mean::<T>);
    expect_ok(
        y.mean_with(&options),
        &mean,
        tol,
        T::DTYPE,
        &format!("mean {ctx}"),
    );
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn fused_sums_over_leading_axes(
        (a, c) in chunked_array(3, f64::arb()).prop_filter("2 axes or more", |(a, _)| a.ndim() >= 2),
        lead in 1usize..3,
    ) {
        let lead = lead.min(a.ndim() - 1);
        check_fused_leading(&a, &c, lead);
        check_fused_leading(&a.mapv(|v| v as f32), &c, lead);
    }

    /// Blocks of several tiles (`fused::TILE` is 2048 values) whose rows
    /// do not divide a tile, so tiles start mid-row.
    #[test]
    fn fused_sums_over_leading_axes_of_large_blocks(
        rows in 200usize..700,
        cols in 1usize..13,
        row_chunk in 150usize..700,
    ) {
        let a = ArrayD::from_shape_fn(vec![rows, cols], |ix| ((ix[0] * 31 + ix[1] * 7) % 23) as f64 - 11.0);
        let chunks = vec![chunk_lengths(rows, row_chunk), vec![cols]];
        check_fused_leading(&a, &chunks, 1);
        check_fused_leading(&a.mapv(|v| v as f32), &chunks, 1);
    }
}

/// `n` cut into pieces of `size` (the last shorter).
fn chunk_lengths(n: usize, size: usize) -> Vec<usize> {
    (0..n).step_by(size).map(|s| size.min(n - s)).collect()
}
