//! `ndchunk::linalg` against references: faer's dense factorisations of the
//! whole matrix (one in-memory call, no tree), the defining identities
//! (`Q R = A`, `QᵀQ = I`, `U diag(s) Vᵀ = A`, `L Lᵀ = A`, `A x = b`), the
//! normal equations and NumPy's documented norms, over random shapes (size-1
//! and empty axes), irregular row and column chunkings, enough row blocks
//! for a tree of several levels, f32 and f64, in-memory and computed
//! inputs; errors for bad shapes, singular and indefinite matrices.

mod common;

use common::{axis_chunks, computed, config};
use ndarray::{Array2, ArrayD, Axis};
use ndchunk::linalg::{self, NormOrd, SvdCompressed};
use ndchunk::prelude::*;
use proptest::prelude::*;

fn matrix(m: usize, n: usize, seed: u64) -> Array2<f64> {
    ndchunk::random::standard_normal::<f64>(&[m, n], [m.max(1), n.max(1)], seed)
        .unwrap()
        .compute()
        .unwrap()
        .into_dimensionality()
        .unwrap()
}

fn two_d<T: Element>(a: ArrayD<T>) -> Array2<T> {
    a.into_dimensionality().unwrap()
}

/// The largest `|got - want|`, over `scale` (0 for empty arrays).
fn relative_error(got: &Array2<f64>, want: &Array2<f64>, scale: f64) -> f64 {
    assert_eq!(got.dim(), want.dim());
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max)
        / scale.max(1e-300)
}

fn max_abs(a: &Array2<f64>) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// faer's singular values of the whole matrix.
fn reference_singular_values(a: &Array2<f64>) -> Vec<f64> {
    if a.is_empty() {
        return vec![0.0; a.nrows().min(a.ncols())];
    }
    faer::Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
        .singular_values()
        .unwrap()
}

fn assert_orthonormal_columns(q: &Array2<f64>, what: &str) {
    let gram = q.t().dot(q);
    let eye = Array2::<f64>::eye(q.ncols());
    assert!(
        relative_error(&gram, &eye, 1.0) < 1e-10,
        "{what}: QᵀQ = {gram:?}"
    );
}

fn assert_upper_triangular(r: &Array2<f64>) {
    for ((i, j), v) in r.indexed_iter() {
        assert!(j >= i || *v == 0.0, "R[{i}, {j}] = {v}");
    }
}

/// A tall matrix with random row and column chunkings, in memory or
/// computed by a source stage.
fn tall_case() -> BoxedStrategy<(Array2<f64>, Vec<Vec<usize>>, bool)> {
    (1usize..=6, 0usize..=40, any::<u64>(), any::<bool>())
        .prop_flat_map(|(n, extra, seed, from_stage)| {
            let m = n + extra;
            (axis_chunks(m), axis_chunks(n)).prop_map(move |(rows, cols)| {
                (matrix(m, n, seed % 1000), vec![rows, cols], from_stage)
            })
        })
        .boxed()
}

fn lazy(a: &Array2<f64>, chunks: &[Vec<usize>], from_stage: bool) -> Array<f64> {
    let a = a.clone().into_dyn();
    if from_stage {
        computed(&a, chunks)
    } else {
        ndchunk::from_array(a, chunks.to_vec()).unwrap()
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn tsqr_factors_any_tall_chunking((a, chunks, from_stage) in tall_case()) {
        let x = lazy(&a, &chunks, from_stage);
        let (q, r) = linalg::tsqr(&x).unwrap();
        let [q, r] = <[_; 2]>::try_from(ndchunk::compute_all(&[&q, &r]).unwrap()).unwrap();
        let (q, r) = (two_d(q), two_d(r));
        let n = a.ncols();
        prop_assert_eq!(q.dim(), (a.nrows(), n));
        prop_assert_eq!(r.dim(), (n, n));
        assert_orthonormal_columns(&q, "tsqr");
        assert_upper_triangular(&r);
        prop_assert!(relative_error(&q.dot(&r), &a, max_abs(&a)) < 1e-10);
        // R is unique up to the signs of its rows: |diag(R)| are faer's.
        let reference = faer::Mat::from_fn(a.nrows(), n, |i, j| a[[i, j]]).qr();
        let want = reference.thin_R();
        for i in 0..n {
            prop_assert!((r[[i, i]].abs() - want[(i, i)].abs()).abs() < 1e-10 * max_abs(&a).max(1.0));
        }
    }

    #[test]
    fn svd_matches_the_dense_svd((a, chunks, from_stage) in tall_case(), wide in any::<bool>()) {
        let (a, chunks) = match wide {
            true => (a.t().to_owned(), vec![chunks[1].clone(), chunks[0].clone()]),
            false => (a, chunks),
        };
        let x = lazy(&a, &chunks, from_stage);
        let (u, s, vt) = linalg::svd(&x).unwrap();
        let all = ndchunk::compute_all(&[&u, &s, &vt]).unwrap();
        let (u, vt) = (two_d(all[0].clone()), two_d(all[2].clone()));
        let s: Vec<f64> = all[1].iter().copied().collect();
        let k = a.nrows().min(a.ncols());
        prop_assert_eq!((u.dim(), s.len(), vt.dim()), ((a.nrows(), k), k, (k, a.ncols())));
        let want = reference_singular_values(&a);
        let scale = want.first().copied().unwrap_or(1.0).max(1.0);
        for (g, w) in s.iter().zip(&want) {
            prop_assert!((g - w).abs() < 1e-10 * scale, "s = {:?}, want {:?}", s, want);
        }
        assert_orthonormal_columns(&u, "U");
        assert_orthonormal_columns(&vt.t().to_owned(), "V");
        let back = (&u * &ndarray::Array1::from(s.clone())).dot(&vt);
        prop_assert!(relative_error(&back, &a, scale) < 1e-10);
        for row in vt.rows() {
            prop_assert!(row.sum() >= 0.0, "svd_flip: a row of Vᵀ sums below zero");
        }
        let values = linalg::svdvals(&x).unwrap().compute().unwrap();
        for (g, w) in values.iter().zip(&want) {
            prop_assert!((g - w).abs() < 1e-10 * scale);
        }
    }

    #[test]
    fn lstsq_solves_the_normal_equations((a, chunks, from_stage) in tall_case(), p in 1usize..=3, vector in any::<bool>()) {
        let m = a.nrows();
        let b = matrix(m, p, 99);
        let x = lazy(&a, &chunks, from_stage);
        let lb = match vector {
            true => ndchunk::from_array(b.column(0).to_owned(), vec![chunks[0].clone()]).unwrap(),
            false => ndchunk::from_array(b.clone(), vec![chunks[0].clone(), vec![p]]).unwrap(),
        };
        let fit = linalg::lstsq(&x, &lb, None).unwrap();
        let solution = fit.solution.compute().unwrap();
        let b_used = if vector { b.slice(ndarray::s![.., ..1]).to_owned() } else { b };
        let solution = solution.into_shape_with_order((a.ncols(), b_used.ncols())).unwrap();
        // Aᵀ(A x - b) = 0 at the least-squares solution.
        let gradient = a.t().dot(&(a.dot(&solution) - &b_used));
        let scale = max_abs(&a).max(1.0).powi(2) * max_abs(&b_used).max(1.0);
        prop_assert!(max_abs(&gradient) < 1e-9 * scale, "gradient {:?}", gradient);
        let residuals = fit.residuals.compute().unwrap();
        let want = (a.dot(&solution) - &b_used).mapv(|v| v * v).sum_axis(Axis(0));
        prop_assert_eq!(residuals.len(), want.len());
        for (g, w) in residuals.iter().zip(&want) {
            prop_assert!((g - w).abs() < 1e-9 * scale);
        }
        let rank = fit.rank.compute().unwrap()[[]];
        let want_rank = reference_singular_values(&a).iter().filter(|&&v| v > 1e-10).count();
        prop_assert_eq!(rank as usize, want_rank);
    }
}

#[test]
fn a_tree_of_several_levels_factors_many_row_blocks() {
    // 3000 rows in 300 blocks of 10: 300 R factors are stacked 16 to a block,
    // those 19 again, then one.
    let a = matrix(3000, 5, 4);
    let x = ndchunk::from_array(a.clone(), [10, 5]).unwrap();
    let (q, r) = linalg::tsqr(&x).unwrap();
    let text = q.explain();
    assert!(
        text.matches("qr.q · w (per row block)").count() >= 2,
        "{text}"
    );
    let all = ndchunk::compute_all(&[&q, &r]).unwrap();
    let (q, r) = (two_d(all[0].clone()), two_d(all[1].clone()));
    assert_orthonormal_columns(&q, "tsqr of 300 blocks");
    assert_upper_triangular(&r);
    assert!(relative_error(&q.dot(&r), &a, max_abs(&a)) < 1e-10);
}

#[test]
fn tsqr_tasks_hold_about_one_row_block() {
    // 200 000 × 8 f64 in blocks of 10 000 rows (640 kB): every task holds
    // a small multiple of one block, never the 12.8 MB array.
    let x = ndchunk::random::standard_normal::<f64>(&[200_000, 8], [10_000, 8], 1).unwrap();
    let (q, _) = linalg::tsqr(&x).unwrap();
    let (u, _, _) = linalg::svd(&x).unwrap();
    for array in [&q, &u] {
        let plan = array.plan().unwrap();
        for t in &plan.tasks {
            let held: u64 =
                t.deps.iter().map(|&d| plan.tasks[d].out_bytes).sum::<u64>() + t.work_bytes;
            assert!(
                held <= 6 * 640_000,
                "a task of {} holds {held} bytes",
                plan.stages[t.stage].name
            );
        }
    }
}

#[test]
fn f32_factors_agree_within_rounding() {
    let a = matrix(300, 6, 8).mapv(|v| v as f32);
    let x = ndchunk::from_array(a.clone(), [70, 4]).unwrap();
    let (q, r) = linalg::tsqr(&x).unwrap();
    let back = two_d(q.matmul(&r).unwrap().compute().unwrap());
    let err = back
        .iter()
        .zip(&a)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-4, "f32 QR error {err}");
    let s = linalg::svdvals(&x).unwrap().compute().unwrap();
    let want = reference_singular_values(&a.mapv(f64::from));
    for (g, w) in s.iter().zip(&want) {
        assert!((f64::from(*g) - w).abs() < 1e-4 * want[0], "{g} vs {w}");
    }
}

#[test]
fn qr_of_a_wide_matrix_and_of_empty_ones() {
    let a = matrix(3, 7, 2);
    let (q, r) = linalg::qr(&ndchunk::from_array(a.clone(), [2, 3]).unwrap()).unwrap();
    let (q, r) = (two_d(q.compute().unwrap()), two_d(r.compute().unwrap()));
    assert_eq!((q.dim(), r.dim()), ((3, 3), (3, 7)));
    assert_orthonormal_columns(&q, "wide qr");
    assert_upper_triangular(&r);
    assert!(relative_error(&q.dot(&r), &a, max_abs(&a)) < 1e-12);
    // NumPy: qr of (0, 3) gives Q (0, 0) and R (0, 3); of (4, 0), (4, 0) and (0, 0).
    for (m, n) in [(0, 3), (4, 0)] {
        let x = ndchunk::zeros::<f64>(&[m, n], [2, 2]).unwrap();
        let (q, r) = linalg::qr(&x).unwrap();
        let k = m.min(n);
        assert_eq!((q.shape(), r.shape()), (&[m, k][..], &[k, n][..]));
        assert_eq!(q.compute().unwrap().len() + r.compute().unwrap().len(), 0);
        let (u, s, vt) = linalg::svd(&x).unwrap();
        assert_eq!(
            (u.shape(), s.shape(), vt.shape()),
            (&[m, k][..], &[k][..], &[k, n][..])
        );
        assert_eq!(s.compute().unwrap().len(), 0);
    }
}

#[test]
fn svd_compressed_recovers_a_low_rank_matrix_and_the_top_of_a_spectrum() {
    // Rank 4 exactly: the randomised SVD is exact.
    let left = matrix(400, 4, 11);
    let right = matrix(4, 60, 12);
    let a = left.dot(&right);
    let x = ndchunk::from_array(a.clone(), [90, 25]).unwrap();
    let (u, s, vt) = linalg::svd_compressed(&x, 4, &SvdCompressed::default()).unwrap();
    let all = ndchunk::compute_all(&[&u, &s, &vt]).unwrap();
    let (u, vt) = (two_d(all[0].clone()), two_d(all[2].clone()));
    let s = all[1]
        .clone()
        .into_dimensionality::<ndarray::Ix1>()
        .unwrap();
    let want = reference_singular_values(&a);
    for i in 0..4 {
        assert!(
            (s[i] - want[i]).abs() < 1e-9 * want[0],
            "s = {s}, want {want:?}"
        );
    }
    assert!(relative_error(&(&u * &s).dot(&vt), &a, want[0]) < 1e-9);
    // A decaying spectrum: power iterations bring the top values within 1%.
    let decay = ndarray::Array1::from_shape_fn(50, |i| 0.7f64.powi(i as i32));
    let (qa, _) = faer_qr(&matrix(300, 50, 13));
    let (qb, _) = faer_qr(&matrix(50, 50, 14));
    let a = (&qa * &decay).dot(&qb.t());
    let x = ndchunk::from_array(a, [60, 50]).unwrap();
    let options = SvdCompressed {
        n_power_iter: 3,
        n_oversamples: 10,
        seed: 5,
    };
    let s = linalg::svd_compressed(&x, 5, &options)
        .unwrap()
        .1
        .compute()
        .unwrap();
    for i in 0..5 {
        assert!(
            (s[i] - decay[i]).abs() < 1e-2 * decay[i],
            "s = {s}, want {decay}"
        );
    }
}

/// faer's thin Q and R of `a`.
fn faer_qr(a: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let qr = faer::Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]]).qr();
    let q = qr.compute_thin_Q();
    let r = qr.thin_R();
    (
        Array2::from_shape_fn((q.nrows(), q.ncols()), |(i, j)| q[(i, j)]),
        Array2::from_shape_fn((r.nrows(), r.ncols()), |(i, j)| r[(i, j)]),
    )
}

#[test]
fn lstsq_of_a_rank_deficient_system_is_the_least_norm_solution() {
    // Column 2 repeats column 1: rank 2, and the least-norm solution splits
    // column 1's weight evenly between the two copies (NumPy's gelsd).
    let base = matrix(50, 2, 21);
    let a = ndarray::concatenate![Axis(1), base, base.slice(ndarray::s![.., 1..2])];
    let b = base.dot(&ndarray::array![[1.0], [4.0]]);
    let x = ndchunk::from_array(a, [20, 3]).unwrap();
    let fit = linalg::lstsq(&x, &ndchunk::from_array(b, [20, 1]).unwrap(), None).unwrap();
    let solution = fit.solution.compute().unwrap();
    let want = [1.0, 2.0, 2.0];
    for (g, w) in solution.iter().zip(want) {
        assert!((g - w).abs() < 1e-10, "solution {solution}");
    }
    assert_eq!(fit.rank.compute().unwrap()[[]], 2);
    assert_eq!(fit.singular_values.shape(), &[3]);
}

#[test]
fn solve_inv_and_cholesky_of_one_block() {
    let g = matrix(6, 6, 31);
    let spd = g.t().dot(&g) + Array2::<f64>::eye(6);
    let a = ndchunk::from_array(spd.clone(), [4, 3]).unwrap();
    let b = matrix(6, 2, 32);
    let x = two_d(
        linalg::solve(&a, &ndchunk::from_array(b.clone(), [5, 1]).unwrap())
            .unwrap()
            .compute()
            .unwrap(),
    );
    assert!(relative_error(&spd.dot(&x), &b, 1.0) < 1e-10);
    let v = linalg::solve(
        &a,
        &ndchunk::from_array(b.column(0).to_owned(), [4]).unwrap(),
    )
    .unwrap()
    .compute()
    .unwrap();
    assert_eq!(v.shape(), &[6]);
    assert!((v[0] - x[[0, 0]]).abs() < 1e-12);
    let inverse = two_d(linalg::inv(&a).unwrap().compute().unwrap());
    assert!(relative_error(&spd.dot(&inverse), &Array2::eye(6), 1.0) < 1e-10);
    let l = two_d(linalg::cholesky(&a, false).unwrap().compute().unwrap());
    let u = two_d(linalg::cholesky(&a, true).unwrap().compute().unwrap());
    assert!(relative_error(&l.dot(&l.t()), &spd, max_abs(&spd)) < 1e-12);
    assert_eq!(u, l.t());
    for ((i, j), v) in l.indexed_iter() {
        assert!(i >= j || *v == 0.0);
    }
}

#[test]
fn singular_indefinite_and_misshapen_inputs_are_errors_naming_them() {
    let singular = ndchunk::from_array(ndarray::array![[1.0, 2.0], [2.0, 4.0]], [1, 2]).unwrap();
    let b = ndchunk::from_array(ndarray::array![1.0, 1.0], [2]).unwrap();
    let e = linalg::solve(&singular, &b).unwrap().compute().unwrap_err();
    assert!(e.to_string().contains("singular"), "{e}");
    let e = linalg::inv(&singular).unwrap().compute().unwrap_err();
    assert!(e.to_string().contains("singular"), "{e}");
    let e = linalg::cholesky(&singular.mapv(|v| -v), false)
        .unwrap()
        .compute()
        .unwrap_err();
    assert!(e.to_string().contains("not positive definite"), "{e}");
    let cube = ndchunk::zeros::<f64>(&[2, 2, 2], [2, 2, 2]).unwrap();
    let e = linalg::svd(&cube).unwrap_err();
    assert!(
        e.to_string().contains("svd") && e.to_string().contains("[2, 2, 2]"),
        "{e}"
    );
    let wide = ndchunk::zeros::<f64>(&[2, 5], [2, 5]).unwrap();
    assert!(linalg::tsqr(&wide)
        .unwrap_err()
        .to_string()
        .contains("2 × 5"));
    assert!(linalg::solve(&wide, &b)
        .unwrap_err()
        .to_string()
        .contains("square"));
    let e = linalg::lstsq(&singular, &ndchunk::zeros::<f64>(&[3], [3]).unwrap(), None).unwrap_err();
    assert!(e.to_string().contains("[3]"), "{e}");
    let e = linalg::svd_compressed(&wide, 3, &SvdCompressed::default()).unwrap_err();
    assert!(e.to_string().contains("k = 3"), "{e}");
    let e = linalg::norm(&cube, Some(NormOrd::Fro), None, false).unwrap_err();
    assert!(e.to_string().contains("3 dimensions"), "{e}");
    let e = linalg::norm(&cube, Some(NormOrd::P(2.0)), Some(&[0, 1]), false).unwrap_err();
    assert!(e.to_string().contains("2-d"), "{e}");
    let e = linalg::norm(&b, Some(NormOrd::Nuc), None, false).unwrap_err();
    assert!(e.to_string().contains("matrix norm"), "{e}");
    let e = linalg::norm(&wide, Some(NormOrd::P(3.0)), None, false).unwrap_err();
    assert!(e.to_string().contains("ord 3"), "{e}");
    assert!(linalg::norm(&wide, None, Some(&[2]), false).is_err());
}

/// NumPy's norms, from their definitions.
fn reference_norm(x: &Array2<f64>, ord: Option<NormOrd>, axis: Option<usize>) -> Vec<f64> {
    let vector = |v: Vec<f64>, p: f64| -> f64 {
        let abs: Vec<f64> = v.iter().map(|x| x.abs()).collect();
        match p {
            f64::INFINITY => abs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            f64::NEG_INFINITY => abs.iter().copied().fold(f64::INFINITY, f64::min),
            0.0 => abs.iter().filter(|&&a| a != 0.0).count() as f64,
            p => abs.iter().map(|a| a.powf(p)).sum::<f64>().powf(1.0 / p),
        }
    };
    let p = match ord {
        None => 2.0,
        Some(NormOrd::Inf) => f64::INFINITY,
        Some(NormOrd::NegInf) => f64::NEG_INFINITY,
        Some(NormOrd::P(p)) => p,
        Some(_) => unreachable!(),
    };
    match axis {
        Some(a) => x
            .lanes(Axis(a))
            .into_iter()
            .map(|l| vector(l.to_vec(), p))
            .collect(),
        None => unreachable!(),
    }
}

fn reference_matrix_norm(x: &Array2<f64>, ord: NormOrd) -> f64 {
    let abs = x.mapv(f64::abs);
    let s = reference_singular_values(x);
    let max = |v: ndarray::Array1<f64>| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = |v: ndarray::Array1<f64>| v.iter().copied().fold(f64::INFINITY, f64::min);
    match ord {
        NormOrd::Fro => x.iter().map(|v| v * v).sum::<f64>().sqrt(),
        NormOrd::Nuc => s.iter().sum(),
        NormOrd::Inf => max(abs.sum_axis(Axis(1))),
        NormOrd::NegInf => min(abs.sum_axis(Axis(1))),
        NormOrd::P(1.0) => max(abs.sum_axis(Axis(0))),
        NormOrd::P(-1.0) => min(abs.sum_axis(Axis(0))),
        NormOrd::P(2.0) => s[0],
        NormOrd::P(_) => s[s.len() - 1],
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn norms_match_numpys_definitions(
        m in 1usize..=9,
        n in 1usize..=9,
        seed in 0u64..1000,
        keepdims in any::<bool>(),
        rows in any::<bool>(),
    ) {
        let a = matrix(m, n, seed);
        let x = ndchunk::from_array(a.clone(), [3, 2]).unwrap();
        let whole = linalg::norm(&x, None, None, false).unwrap().compute().unwrap()[[]];
        prop_assert!((whole - reference_matrix_norm(&a, NormOrd::Fro)).abs() < 1e-12 * whole.max(1.0));
        let axis = usize::from(rows);
        for ord in [None, Some(NormOrd::Inf), Some(NormOrd::NegInf), Some(NormOrd::P(0.0)),
                    Some(NormOrd::P(1.0)), Some(NormOrd::P(3.0)), Some(NormOrd::P(-1.5))] {
            let got = linalg::norm(&x, ord, Some(&[axis as isize]), keepdims).unwrap();
            let want = reference_norm(&a, ord, Some(axis));
            let mut shape = vec![m, n];
            if keepdims { shape[axis] = 1 } else { shape.remove(axis); }
            prop_assert_eq!(got.shape(), shape.as_slice());
            for (g, w) in got.compute().unwrap().iter().zip(&want) {
                prop_assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{:?}: {} vs {}", ord, g, w);
            }
        }
        for ord in [NormOrd::Fro, NormOrd::Nuc, NormOrd::Inf, NormOrd::NegInf, NormOrd::P(1.0),
                    NormOrd::P(-1.0), NormOrd::P(2.0), NormOrd::P(-2.0)] {
            let got = linalg::norm(&x, Some(ord), None, keepdims).unwrap();
            prop_assert_eq!(got.shape(), if keepdims { &[1, 1][..] } else { &[][..] });
            let got = got.compute().unwrap().iter().copied().next().unwrap();
            let want = reference_matrix_norm(&a, ord);
            prop_assert!((got - want).abs() <= 1e-10 * want.abs().max(1.0), "{:?}: {} vs {}", ord, got, want);
            // The axes in the other order are the same norm of the transpose.
            let swapped = linalg::norm(&x.t(), Some(ord), Some(&[1, 0]), false).unwrap();
            let swapped = swapped.compute().unwrap()[[]];
            prop_assert!((swapped - want).abs() <= 1e-10 * want.abs().max(1.0), "{:?} swapped", ord);
        }
    }
}

#[test]
fn norms_of_stacks_and_of_empty_and_nan_inputs() {
    // A stack of matrices: matrix norms over the last two axes, per matrix.
    let x = ndchunk::arange::<f64>(-12.0, 12.0, 1.0, [24])
        .unwrap()
        .reshape(&[2, 3, 4])
        .unwrap();
    let fro = linalg::norm(&x, Some(NormOrd::Fro), Some(&[-2, -1]), false)
        .unwrap()
        .compute()
        .unwrap();
    let values = x.compute().unwrap();
    for i in 0..2 {
        let want = values
            .index_axis(Axis(0), i)
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        assert!((fro[i] - want).abs() < 1e-12);
    }
    let inf = linalg::norm(&x, Some(NormOrd::Inf), Some(&[1, 2]), true).unwrap();
    assert_eq!(inf.shape(), &[2, 1, 1]);
    // Empty: NumPy's norm of an empty vector is 0.
    let empty = ndchunk::zeros::<f64>(&[0], [1]).unwrap();
    assert_eq!(
        linalg::norm(&empty, None, None, false)
            .unwrap()
            .compute()
            .unwrap()[[]],
        0.0
    );
    // NaN propagates.
    let nan = ndchunk::from_array(ndarray::array![1.0, f64::NAN], [1]).unwrap();
    assert!(linalg::norm(&nan, None, None, false)
        .unwrap()
        .compute()
        .unwrap()[[]]
    .is_nan());
}
