//! Differential tests of every elementwise operation against plain ndarray:
//! operands with different irregular chunkings, NumPy broadcasting, scalars on
//! both sides, several dtypes, casts, user maps and fused chains.

mod common;

use std::ops::{Add, Div, Mul, Rem, Sub};

use common::*;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use ndchunk::{where_, Array, DType, Element, Error};
use proptest::prelude::*;

fn two_arrays<T: Gen>(elem: BoxedStrategy<T>) -> impl Strategy<Value = (Chunked<T>, Chunked<T>)> {
    broadcast_pair(4)
        .prop_flat_map(move |(sa, sb)| (array_of(sa, elem.clone()), array_of(sb, elem.clone())))
}

/// A named comparison: the lazy result and the reference function.
type CmpCase<T> = (&'static str, Array<bool>, fn(T, T) -> bool);
/// A named unary float function: the lazy result and the reference function.
type UnaryCase<F> = (&'static str, Array<F>, fn(F) -> F);

fn ref_where<T: Clone>(c: &ArrayD<bool>, a: &ArrayD<T>, b: &ArrayD<T>) -> ArrayD<T> {
    let shape = np_broadcast(&np_broadcast(c.shape(), a.shape()).unwrap(), b.shape()).unwrap();
    let cv = c.broadcast(IxDyn(&shape)).unwrap();
    let av = a.broadcast(IxDyn(&shape)).unwrap();
    let bv = b.broadcast(IxDyn(&shape)).unwrap();
    ndarray::Zip::from(&cv)
        .and(&av)
        .and(&bv)
        .map_collect(|&k, p, q| if k { p.clone() } else { q.clone() })
}

fn lazy<T: Element>(a: &ArrayD<T>, c: &[Vec<usize>]) -> Array<T> {
    ndchunk::from_array(a.clone(), c.to_vec()).unwrap()
}

#[track_caller]
fn check<T: Approx + Element>(got: Array<T>, want: &ArrayD<T>, tol: Tol, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: lazy shape");
    assert_eq!(got.dtype(), T::DTYPE, "{what}: dtype");
    let out = got
        .compute()
        .unwrap_or_else(|e| panic!("{what}: compute failed: {e}"));
    assert_close(&out, want, tol, what);
}

/// Arithmetic and comparisons between two broadcasting arrays and with scalars
/// on both sides.
fn check_arith<T>(
    a: &ArrayD<T>,
    ca: &[Vec<usize>],
    b: &ArrayD<T>,
    cb: &[Vec<usize>],
    s: T,
    tol: Tol,
) where
    T: NumRef,
    for<'a> T: Add<&'a Array<T>, Output = Array<T>>
        + Sub<&'a Array<T>, Output = Array<T>>
        + Mul<&'a Array<T>, Output = Array<T>>
        + Div<&'a Array<T>, Output = Array<T>>
        + Rem<&'a Array<T>, Output = Array<T>>,
{
    let x = lazy(a, ca);
    let y = lazy(b, cb);
    let ctx = format!(
        "{:?} {ca:?} with {:?} {cb:?}, scalar {s:?}",
        a.shape(),
        b.shape()
    );
    let sa = ndarray::arr0(s).into_dyn();

    check(
        &x + &y,
        &ref_binary(a, b, T::r_add),
        tol,
        &format!("add {ctx}"),
    );
    check(
        &x - &y,
        &ref_binary(a, b, T::r_sub),
        tol,
        &format!("sub {ctx}"),
    );
    check(
        &x * &y,
        &ref_binary(a, b, T::r_mul),
        tol,
        &format!("mul {ctx}"),
    );
    check(
        &x / &y,
        &ref_binary(a, b, T::r_div),
        tol,
        &format!("div {ctx}"),
    );
    check(
        &x % &y,
        &ref_binary(a, b, T::r_rem),
        tol,
        &format!("rem {ctx}"),
    );
    // Owned operands and the other order.
    check(
        y.clone() - x.clone(),
        &ref_binary(b, a, T::r_sub),
        tol,
        &format!("sub owned {ctx}"),
    );
    check(
        y.clone() / &x,
        &ref_binary(b, a, T::r_div),
        tol,
        &format!("div rev {ctx}"),
    );
    check(
        &y % x.clone(),
        &ref_binary(b, a, T::r_rem),
        tol,
        &format!("rem rev {ctx}"),
    );

    // Scalars on the right and on the left.
    check(
        &x + s,
        &ref_binary(a, &sa, T::r_add),
        tol,
        &format!("x + s {ctx}"),
    );
    check(
        x.clone() - s,
        &ref_binary(a, &sa, T::r_sub),
        tol,
        &format!("x - s {ctx}"),
    );
    check(
        &x * s,
        &ref_binary(a, &sa, T::r_mul),
        tol,
        &format!("x * s {ctx}"),
    );
    check(
        &x / s,
        &ref_binary(a, &sa, T::r_div),
        tol,
        &format!("x / s {ctx}"),
    );
    check(
        &x % s,
        &ref_binary(a, &sa, T::r_rem),
        tol,
        &format!("x % s {ctx}"),
    );
    check(
        s + &x,
        &ref_binary(&sa, a, T::r_add),
        tol,
        &format!("s + x {ctx}"),
    );
    check(
        s - &x,
        &ref_binary(&sa, a, T::r_sub),
        tol,
        &format!("s - x {ctx}"),
    );
    check(
        s * &x,
        &ref_binary(&sa, a, T::r_mul),
        tol,
        &format!("s * x {ctx}"),
    );
    check(
        s / &x,
        &ref_binary(&sa, a, T::r_div),
        tol,
        &format!("s / x {ctx}"),
    );
    check(
        s % &x,
        &ref_binary(&sa, a, T::r_rem),
        tol,
        &format!("s % x {ctx}"),
    );

    // Unary.
    check(-&x, &a.mapv(T::r_neg), tol, &format!("neg {ctx}"));
    check(
        -(x.clone()),
        &a.mapv(T::r_neg),
        tol,
        &format!("neg owned {ctx}"),
    );
    check(x.abs(), &a.mapv(T::r_abs), tol, &format!("abs {ctx}"));

    // Comparisons, with arrays and scalars.
    let cmp: [CmpCase<T>; 6] = [
        ("eq", x.eq(&y), |p, q| p == q),
        ("ne", x.ne(&y), |p, q| p != q),
        ("lt", x.lt(&y), |p, q| p < q),
        ("le", x.le(&y), |p, q| p <= q),
        ("gt", x.gt(&y), |p, q| p > q),
        ("ge", x.ge(&y), |p, q| p >= q),
    ];
    for (name, got, f) in cmp {
        check(got, &ref_binary(a, b, f), EXACT, &format!("{name} {ctx}"));
    }
    let cmp_s: [CmpCase<T>; 6] = [
        ("eq", x.eq(s), |p, q| p == q),
        ("ne", x.ne(s), |p, q| p != q),
        ("lt", x.lt(s), |p, q| p < q),
        ("le", x.le(s), |p, q| p <= q),
        ("gt", x.gt(s), |p, q| p > q),
        ("ge", x.ge(s), |p, q| p >= q),
    ];
    for (name, got, f) in cmp_s {
        check(
            got,
            &ref_binary(a, &sa, f),
            EXACT,
            &format!("{name} scalar {ctx}"),
        );
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn f64_arith(((a, ca), (b, cb)) in two_arrays(f64::arb_special()), s in f64::arb_special()) {
        check_arith(&a, &ca, &b, &cb, s, Tol::rel(1e-15));
    }

    #[test]
    fn f32_arith(((a, ca), (b, cb)) in two_arrays(f32::arb_special()), s in f32::arb_special()) {
        check_arith(&a, &ca, &b, &cb, s, Tol::rel(1e-7));
    }

    #[test]
    fn i32_arith(((a, ca), (b, cb)) in two_arrays(i32::arb_wide()), s in i32::arb()) {
        check_arith(&a, &ca, &b, &cb, s, EXACT);
    }

    #[test]
    fn i64_arith(((a, ca), (b, cb)) in two_arrays(i64::arb_wide()), s in i64::arb_wide()) {
        check_arith(&a, &ca, &b, &cb, s, EXACT);
    }

    #[test]
    fn i8_arith(((a, ca), (b, cb)) in two_arrays(i8::arb_wide()), s in i8::arb_wide()) {
        check_arith(&a, &ca, &b, &cb, s, EXACT);
    }

    #[test]
    fn u8_arith(((a, ca), (b, cb)) in two_arrays(u8::arb_wide()), s in u8::arb_wide()) {
        check_arith(&a, &ca, &b, &cb, s, EXACT);
    }

    #[test]
    fn u64_arith(((a, ca), (b, cb)) in two_arrays(u64::arb_wide()), s in u64::arb_wide()) {
        check_arith(&a, &ca, &b, &cb, s, EXACT);
    }

    #[test]
    fn float_functions((a, c) in chunked_array(4, f64::arb_special()), n in -3i32..4, p in -2.0f64..3.0) {
        let x = lazy(&a, &c);
        let tol = Tol::rel(1e-12);
        let unary: [UnaryCase<f64>; 13] = [
            ("sqrt", x.sqrt(), f64::sqrt),
            ("exp", x.exp(), f64::exp),
            ("ln", x.ln(), f64::ln),
            ("log10", x.log10(), f64::log10),
            ("log2", x.log2(), f64::log2),
            ("sin", x.sin(), f64::sin),
            ("cos", x.cos(), f64::cos),
            ("tan", x.tan(), f64::tan),
            ("tanh", x.tanh(), f64::tanh),
            ("floor", x.floor(), f64::floor),
            ("ceil", x.ceil(), f64::ceil),
            ("round", x.round(), f64::round_ties_even),
            ("abs", x.abs(), f64::abs),
        ];
        for (name, got, f) in unary {
            check(got, &a.mapv(f), tol, name);
        }
        check(x.powi(n), &a.mapv(|v| v.powf(n as f64)), tol, "powi");
        check(x.powf(p), &a.mapv(|v| v.powf(p)), tol, "powf scalar");
        check(x.isnan(), &a.mapv(f64::is_nan), EXACT, "isnan");
        check(x.isfinite(), &a.mapv(f64::is_finite), EXACT, "isfinite");
    }

    #[test]
    fn f32_functions((a, c) in chunked_array(3, f32::arb_special())) {
        let x = lazy(&a, &c);
        let tol = Tol::rel(1e-6);
        let unary: [UnaryCase<f32>; 7] = [
            ("sqrt", x.sqrt(), f32::sqrt),
            ("exp", x.exp(), f32::exp),
            ("ln", x.ln(), f32::ln),
            ("sin", x.sin(), f32::sin),
            ("floor", x.floor(), f32::floor),
            ("round", x.round(), f32::round_ties_even),
            ("tanh", x.tanh(), f32::tanh),
        ];
        for (name, got, f) in unary {
            check(got, &a.mapv(f), tol, name);
        }
        check(x.powi(3), &a.mapv(|v| v.powi(3)), tol, "powi");
        check(x.isnan(), &a.mapv(f32::is_nan), EXACT, "isnan");
    }

    #[test]
    fn powf_with_array_exponents(((a, ca), (b, cb)) in two_arrays(f64::arb())) {
        let x = lazy(&a, &ca);
        let y = lazy(&b, &cb);
        check(x.powf(&y), &ref_binary(&a, &b, f64::powf), Tol::rel(1e-12), "powf array");
        check(x.powf(y.clone()), &ref_binary(&a, &b, f64::powf), Tol::rel(1e-12), "powf owned");
    }

    #[test]
    fn clip_follows_numpy(
        (a, c) in chunked_array(3, f64::arb_nan()),
        lo in -50.0f64..50.0,
        hi in -50.0f64..50.0,
        (ai, ci) in chunked_array(3, i32::arb()),
        (ilo, ihi) in (-10i32..10, -10i32..10),
    ) {
        // lo > hi included: NumPy gives hi everywhere.
        check(lazy(&a, &c).clip(lo, hi), &a.mapv(|v| f64::r_clip(v, lo, hi)), EXACT, "clip f64");
        check(lazy(&ai, &ci).clip(ilo, ihi), &ai.mapv(|v| i32::r_clip(v, ilo, ihi)), EXACT, "clip i32");
    }

    #[test]
    fn integer_abs_and_neg_wrap((a, c) in chunked_array(3, i8::arb_wide()), (b, cb) in chunked_array(3, u8::arb_wide())) {
        check(lazy(&a, &c).abs(), &a.mapv(i8::wrapping_abs), EXACT, "i8 abs");
        check(-lazy(&a, &c), &a.mapv(i8::wrapping_neg), EXACT, "i8 neg");
        check(-lazy(&b, &cb), &b.mapv(u8::wrapping_neg), EXACT, "u8 neg");
        check(lazy(&b, &cb).abs(), &b, EXACT, "u8 abs");
    }

    #[test]
    fn bool_logic(((a, ca), (b, cb)) in two_arrays(bool::arb()), s in any::<bool>()) {
        let x = lazy(&a, &ca);
        let y = lazy(&b, &cb);
        let sa = ndarray::arr0(s).into_dyn();
        check(x.and(&y), &ref_binary(&a, &b, |p, q| p & q), EXACT, "and");
        check(x.or(&y), &ref_binary(&a, &b, |p, q| p | q), EXACT, "or");
        check(x.xor(&y), &ref_binary(&a, &b, |p, q| p ^ q), EXACT, "xor");
        check(x.not(), &a.mapv(|p| !p), EXACT, "not");
        check(&x & &y, &ref_binary(&a, &b, |p, q| p & q), EXACT, "&");
        check(x.clone() | y.clone(), &ref_binary(&a, &b, |p, q| p | q), EXACT, "|");
        check(&x ^ &y, &ref_binary(&a, &b, |p, q| p ^ q), EXACT, "^");
        check(!&x, &a.mapv(|p| !p), EXACT, "!");
        check(!x.clone(), &a.mapv(|p| !p), EXACT, "! owned");
        check(&x & s, &ref_binary(&a, &sa, |p, q| p & q), EXACT, "& scalar");
        check(x.or(s), &ref_binary(&a, &sa, |p, q| p | q), EXACT, "or scalar");
        check(x.xor(s), &ref_binary(&a, &sa, |p, q| p ^ q), EXACT, "xor scalar");
        check(x.eq(&y), &ref_binary(&a, &b, |p, q| p == q), EXACT, "bool eq");
        check(x.lt(&y), &ref_binary(&a, &b, |p, q| !p & q), EXACT, "bool lt");
    }

    #[test]
    fn where_broadcasts_three_ways(
        ((c, cc), (a, ca), (b, cb)) in broadcast_triple(4).prop_flat_map(|(s1, s2, s3)| {
            (array_of(s1, bool::arb()), array_of(s2, i64::arb()), array_of(s3, i64::arb()))
        }),
        s in i64::arb(),
    ) {
        let cond = lazy(&c, &cc);
        let x = lazy(&a, &ca);
        let y = lazy(&b, &cb);
        let sa = ndarray::arr0(s).into_dyn();
        check(where_(&cond, &x, &y), &ref_where(&c, &a, &b), EXACT, "where arrays");
        check(where_(&cond, x.clone(), s), &ref_where(&c, &a, &sa), EXACT, "where scalar b");
        check(where_(&cond, s, &y), &ref_where(&c, &sa, &b), EXACT, "where scalar a");
    }

    #[test]
    fn casts_follow_astype(
        (f, cf) in chunked_array(3, f64::arb_special()),
        (i, ci) in chunked_array(3, i32::arb_wide()),
        (u, cu) in chunked_array(3, u8::arb_wide()),
        (b, cb) in chunked_array(3, bool::arb()),
        (l, cl) in chunked_array(3, i64::arb_wide()),
        (s, cs) in chunked_array(3, i8::arb_wide()),
    ) {
        let xf = lazy(&f, &cf);
        check(xf.astype::<f32>(), &f.mapv(|v| v as f32), EXACT, "f64->f32");
        check(xf.astype::<bool>(), &f.mapv(|v| v != 0.0), EXACT, "f64->bool (NaN is true)");
        check(xf.astype::<f64>(), &f, EXACT, "f64->f64");
        // Float to int truncates toward zero (values in range; out-of-range is
        // undefined in NumPy).
        let fin = f.mapv(|v| if v.is_finite() { v } else { 1.5 });
        let xfin = ndchunk::from_array(fin.clone(), cf.clone()).unwrap();
        check(xfin.astype::<i32>(), &fin.mapv(|v| v.trunc() as i32), EXACT, "f64->i32");
        check(xfin.astype::<i64>(), &fin.mapv(|v| v.trunc() as i64), EXACT, "f64->i64");
        let pos = fin.mapv(|v| v.abs().min(255.0));
        let xpos = ndchunk::from_array(pos.clone(), cf.clone()).unwrap();
        check(xpos.astype::<u8>(), &pos.mapv(|v| v.trunc() as u8), EXACT, "f64->u8");

        let xi = lazy(&i, &ci);
        check(xi.astype::<u8>(), &i.mapv(|v| v as u8), EXACT, "i32->u8 wraps");
        check(xi.astype::<i8>(), &i.mapv(|v| v as i8), EXACT, "i32->i8 wraps");
        check(xi.astype::<f64>(), &i.mapv(|v| v as f64), EXACT, "i32->f64");
        check(xi.astype::<f32>(), &i.mapv(|v| v as f32), EXACT, "i32->f32");
        check(xi.astype::<bool>(), &i.mapv(|v| v != 0), EXACT, "i32->bool");
        check(xi.astype::<u64>(), &i.mapv(|v| v as i64 as u64), EXACT, "i32->u64 sign-extends");

        let xu = lazy(&u, &cu);
        check(xu.astype::<i8>(), &u.mapv(|v| v as i8), EXACT, "u8->i8 wraps");
        check(xu.astype::<i64>(), &u.mapv(|v| v as i64), EXACT, "u8->i64");

        let xb = lazy(&b, &cb);
        check(xb.astype::<f64>(), &b.mapv(|v| if v { 1.0 } else { 0.0 }), EXACT, "bool->f64");
        check(xb.astype::<i32>(), &b.mapv(|v| v as i32), EXACT, "bool->i32");
        check(xb.astype::<u8>(), &b.mapv(|v| v as u8), EXACT, "bool->u8");

        let xl = lazy(&l, &cl);
        check(xl.astype::<i32>(), &l.mapv(|v| v as i32), EXACT, "i64->i32 wraps");
        check(xl.astype::<u64>(), &l.mapv(|v| v as u64), EXACT, "i64->u64 wraps");
        check(xl.astype::<f64>(), &l.mapv(|v| v as f64), EXACT, "i64->f64");

        let xs = lazy(&s, &cs);
        check(xs.astype::<u64>(), &s.mapv(|v| v as i64 as u64), EXACT, "i8->u64");
        check(xs.astype::<u16>(), &s.mapv(|v| v as i16 as u16), EXACT, "i8->u16");
        check(xs.astype::<i16>(), &s.mapv(|v| v as i16), EXACT, "i8->i16");
    }

    #[test]
    fn user_maps(((a, ca), (b, cb)) in two_arrays(i32::arb())) {
        let x = lazy(&a, &ca);
        let y = lazy(&b, &cb);
        check(x.mapv(|v| v.wrapping_mul(3).wrapping_add(1)), &a.mapv(|v| v.wrapping_mul(3).wrapping_add(1)), EXACT, "mapv");
        check(x.mapv(|v| v as f64 / 2.0), &a.mapv(|v| v as f64 / 2.0), EXACT, "mapv to f64");
        let yf = y.astype::<f32>();
        check(
            x.zip_with(&yf, |p, q| p as f32 - q),
            &ref_binary(&a, &b, |p, q| p as f32 - q as f32),
            EXACT,
            "zip_with",
        );
        // map_blocks: each element plus the number of elements of its block, so
        // the result shows where the block boundaries are.
        let got = x.map_blocks(|blk| blk.mapv(|v| v as i64 + blk.len() as i64));
        let want = ArrayD::from_shape_fn(a.raw_dim(), |idx| {
            let n: usize = (0..a.ndim()).map(|ax| ca[ax][block_of(&ca[ax], idx[ax]).0]).product();
            a[&idx] as i64 + n as i64
        });
        check(got, &want, EXACT, "map_blocks");
    }

    /// A longer fused chain mixing dtypes, broadcasting and rechunked operands.
    #[test]
    fn fused_chains(((a, ca), (b, cb)) in two_arrays(f64::arb()), k in -3i32..3) {
        let x = lazy(&a, &ca);
        let y = lazy(&b, &cb);
        let kf = k as f64;
        let e = ((&x * 2.0 + &y) - kf).abs().sqrt() * (&y - &x);
        let want = ref_binary(&a, &b, |p, q| ((p * 2.0 + q) - kf).abs().sqrt() * (q - p));
        check(e.clone(), &want, Tol::rel(1e-12), "chain");
        let mask = e.gt(0.0).and(x.lt(&y));
        let want_mask = ref_binary(&want, &ref_binary(&a, &b, |p, q| p < q), |v, m| v > 0.0 && m);
        check(mask.clone(), &want_mask, EXACT, "mask");
        let picked = where_(&mask, &e, -1.0).astype::<i32>().mapv(|v| v.wrapping_mul(2));
        let want_picked = ref_binary(&want_mask, &want, |m, v| if m { v } else { -1.0 }).mapv(|v| (v as i32).wrapping_mul(2));
        check(picked, &want_picked, EXACT, "picked");
        // The same array used several times, once rechunked.
        let rc: Vec<Vec<usize>> = a.shape().iter().map(|&n| vec![n]).collect();
        let xr = x.rechunk(rc).unwrap();
        check(&x * &xr + &x, &a.mapv(|v| v * v + v), Tol::rel(1e-15), "self products");
    }
}

#[test]
fn scalars_on_the_left_for_every_numeric_type() {
    fn go<T>(v: T, s: T)
    where
        T: NumRef,
        for<'a> T: Add<&'a Array<T>, Output = Array<T>>
            + Sub<&'a Array<T>, Output = Array<T>>
            + Mul<&'a Array<T>, Output = Array<T>>
            + Div<&'a Array<T>, Output = Array<T>>
            + Rem<&'a Array<T>, Output = Array<T>>
            + Add<Array<T>, Output = Array<T>>,
    {
        let a = ArrayD::from_elem(IxDyn(&[3]), v);
        let x = ndchunk::from_array(a.clone(), [2]).unwrap();
        check(s + &x, &a.mapv(|e| T::r_add(s, e)), EXACT, "s + x");
        check(
            s + x.clone(),
            &a.mapv(|e| T::r_add(s, e)),
            EXACT,
            "s + owned x",
        );
        check(s - &x, &a.mapv(|e| T::r_sub(s, e)), EXACT, "s - x");
        check(s * &x, &a.mapv(|e| T::r_mul(s, e)), EXACT, "s * x");
        check(s / &x, &a.mapv(|e| T::r_div(s, e)), EXACT, "s / x");
        check(s % &x, &a.mapv(|e| T::r_rem(s, e)), EXACT, "s % x");
    }
    go(3i8, -7i8);
    go(3i16, -7i16);
    go(-3i32, 7i32);
    go(-3i64, 7i64);
    go(3u8, 7u8);
    go(3u16, 7u16);
    go(3u32, 7u32);
    go(3u64, 7u64);
    go(-1.5f32, 7.0f32);
    go(-1.5f64, 7.0f64);
}

#[test]
fn integer_division_and_remainder_follow_numpy() {
    let a = ndarray::arr1(&[-7i32, 7, -7, 7, 0, 5, i32::MIN, i32::MIN, 6]).into_dyn();
    let b = ndarray::arr1(&[2i32, -2, -2, 2, 3, 0, -1, 1, -4]).into_dyn();
    let x = ndchunk::from_array(a, [4]).unwrap();
    let y = ndchunk::from_array(b, [3]).unwrap();
    assert_eq!(
        flat(&(&x / &y).compute().unwrap()),
        vec![-4, -4, 3, 3, 0, 0, i32::MIN, i32::MIN, -2]
    );
    assert_eq!(
        flat(&(&x % &y).compute().unwrap()),
        vec![1, -1, -1, 1, 0, 0, 0, 0, -2]
    );
}

#[test]
fn float_remainder_follows_numpy_including_signed_zeros() {
    let a = ndarray::arr1(&[-7.0f64, 7.0, -4.0, 4.0, 5.0, -5.0, 1.0, 0.0]).into_dyn();
    let b = ndarray::arr1(&[
        2.0f64,
        -2.0,
        2.0,
        -2.0,
        f64::INFINITY,
        f64::INFINITY,
        0.0,
        -3.0,
    ])
    .into_dyn();
    let x = ndchunk::from_array(a.clone(), [3]).unwrap();
    let y = ndchunk::from_array(b.clone(), [5]).unwrap();
    let got = (&x % &y).compute().unwrap();
    let want = ref_binary(&a, &b, f64::r_rem);
    assert_same(&got, &want, "float rem");
    // The exact values NumPy gives.
    let w = flat(&want);
    assert_eq!(w[0], 1.0);
    assert_eq!(w[1], -1.0);
    assert!(w[2] == 0.0 && w[2].is_sign_positive());
    assert!(w[3] == 0.0 && w[3].is_sign_negative());
    assert_eq!(w[4], 5.0);
    assert_eq!(w[5], f64::INFINITY);
    assert!(w[6].is_nan());
    assert!(w[7] == 0.0 && w[7].is_sign_negative());
}

#[test]
fn round_halves_to_even() {
    let a = ndarray::arr1(&[
        0.5f64,
        1.5,
        2.5,
        -0.5,
        -1.5,
        -2.5,
        2.4999,
        3.5,
        4503599627370495.5,
        -0.0,
    ])
    .into_dyn();
    let x = ndchunk::from_array(a.clone(), [3]).unwrap();
    assert_same(
        &x.round().compute().unwrap(),
        &a.mapv(f64::round_ties_even),
        "round",
    );
}

/// Constants (`full`, `zeros`, `ones`) fed straight into user maps, over blocks
/// longer than one tile whose length is not a multiple of the tile.
#[test]
fn user_maps_of_constants_across_tiles() {
    for n in [1usize, 2047, 2048, 2049, 5000] {
        let x = ndchunk::full(&[n], 2.0f64, [n]).unwrap();
        let got = x.mapv(|v| v + 1.0).compute().unwrap();
        assert_eq!(
            got,
            ArrayD::from_elem(IxDyn(&[n]), 3.0),
            "mapv of full({n})"
        );
        let o = ndchunk::ones::<i32>(&[n], [n]).unwrap();
        let got = o.zip_with(&x, |p, q| p as f64 * q).compute().unwrap();
        assert_eq!(
            got,
            ArrayD::from_elem(IxDyn(&[n]), 2.0),
            "zip_with of constants ({n})"
        );
        let s = x.mapv(|v| v * 0.5).sum().unwrap().compute().unwrap()[[]];
        assert_eq!(s, n as f64, "sum of mapv of full({n})");
    }
}

/// Expressions that fail to build give errors, whatever is applied to them next
/// (including ops that change the dtype).
#[test]
fn invalid_expressions_propagate_errors_without_panicking() {
    let a = ndchunk::zeros::<f64>(&[3], [2]).unwrap();
    let b = ndchunk::zeros::<f64>(&[4], [2]).unwrap();
    let bad = &a + &b;
    let is_mismatch = |e: Error| matches!(e, Error::ShapeMismatch { .. });
    assert!(is_mismatch(bad.clone().checked().unwrap_err()));
    assert!(is_mismatch(a.gt(&b).compute().unwrap_err()));
    assert!(is_mismatch(a.eq(&b).checked().unwrap_err()));
    assert!(is_mismatch(bad.gt(0.0).compute().unwrap_err()));
    assert!(is_mismatch(bad.isnan().compute().unwrap_err()));
    assert!(is_mismatch(bad.astype::<i32>().compute().unwrap_err()));
    assert!(is_mismatch(bad.mapv(|v| v as u8).compute().unwrap_err()));
    assert!(is_mismatch(
        a.zip_with(&b, |p, q| (p + q) as i64).compute().unwrap_err()
    ));
    assert!(is_mismatch(
        bad.map_blocks(|v| v.mapv(|e| e as i16))
            .compute()
            .unwrap_err()
    ));
    assert!(is_mismatch(
        where_(&bad.gt(0.0), &a, 1.0).compute().unwrap_err()
    ));
    assert!(is_mismatch(
        where_(&a.gt(0.0), &a, &b).compute().unwrap_err()
    ));
    assert!(is_mismatch(bad.sum().unwrap_err()));
    assert!(is_mismatch(bad.gt(0.0).any().unwrap_err()));
    assert!(is_mismatch((&bad * 2.0).plan().unwrap_err()));
    assert_eq!(bad.gt(0.0).dtype(), DType::Bool);
}

#[test]
fn from_array_accepts_views_in_any_layout() {
    let base = ndarray::Array2::from_shape_fn((5, 6), |(i, j)| (i * 10 + j) as i64);
    let t = base.t();
    let x = ndchunk::from_array(t, [2, 4]).unwrap();
    assert_eq!(x.compute().unwrap(), t.to_owned().into_dyn());
    assert_eq!((&x + 1).compute().unwrap(), (&t + 1).into_dyn());
    let stepped = base.slice(ndarray::s![..;2, 1..;2]);
    let y = ndchunk::from_array(stepped, vec![vec![1, 2], vec![2, 1]]).unwrap();
    assert_eq!((&y * 2).compute().unwrap(), (&stepped * 2).into_dyn());
    assert_eq!(
        y.sum_axis(ndarray::Axis(0)).unwrap().compute().unwrap(),
        stepped.sum_axis(ndarray::Axis(0)).into_dyn()
    );
    // An owned Fortran-order array.
    let f = ndarray::Array2::from_shape_vec((3, 4).f(), (0..12).collect::<Vec<i32>>()).unwrap();
    let z = ndchunk::from_array(f.clone(), [2, 3]).unwrap();
    assert_eq!(z.compute().unwrap(), f.clone().into_dyn());
    assert_eq!(
        (&z - &z.rechunk([3, 1]).unwrap()).compute().unwrap(),
        ArrayD::<i32>::zeros(IxDyn(&[3, 4]))
    );
    assert_eq!(
        flat(&z.max_axis(ndarray::Axis(1)).unwrap().compute().unwrap()),
        f.map_axis(ndarray::Axis(1), |r| *r.iter().max().unwrap())
            .to_vec()
    );
    // 0-d.
    let s = ndchunk::from_array(ndarray::arr0(2.5f32), Vec::<i32>::new()).unwrap();
    assert_eq!((&s * 2.0).compute().unwrap()[[]], 5.0);
}
