//! NumPy's elementwise functions against NumPy itself: the inputs and
//! NumPy's results come from `tests/interop/ufunc_cases.py` (special values,
//! integer limits, zero divisors, shift counts past the width), computed by
//! the project's Python (`NDCHUNK_PYTHON`, else `.venv/bin/python`, made by
//! `./setup.sh`); ndchunk computes each on random irregular chunkings. Plus
//! the functions' dtype errors and the comparisons built on them.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{config, npy_fixture, python_fixtures};
use ndarray::ArrayD;
use ndchunk::prelude::*;
use ndchunk::{FloatElement, IntElement, NumElement};
use proptest::prelude::*;

static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();

fn fixtures() -> &'static Path {
    python_fixtures(&DIR, "ufunc_cases.py", "ufunc_cases")
}

/// One case of the manifest.
struct Case {
    op: String,
    dtype: String,
    inputs: Vec<String>,
    out: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let field = |c: &serde_json::Value, k: &str| c[k].as_str().unwrap().to_string();
    json.as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            op: field(c, "op"),
            dtype: field(c, "dtype"),
            inputs: c["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
            out: field(c, "out"),
        })
        .collect()
}

/// How a case is computed: its op's name, the first input, the second if any.
type Compute<T> = fn(&str, &Array<T>, Option<&Array<T>>) -> Got<T>;

/// A result: of the inputs' dtype, or bool.
enum Got<T: Element> {
    Same(Array<T>),
    Bool(Array<bool>),
}

fn num_op<T: NumElement>(op: &str, x: &Array<T>, y: Option<&Array<T>>) -> Option<Got<T>> {
    Some(match (op, y) {
        ("isinf", None) => Got::Bool(x.isinf()),
        ("signbit", None) => Got::Bool(x.signbit()),
        ("sign", None) => Got::Same(x.sign()),
        ("maximum", Some(y)) => Got::Same(x.maximum(y)),
        ("minimum", Some(y)) => Got::Same(x.minimum(y)),
        ("fmax", Some(y)) => Got::Same(x.fmax(y)),
        ("fmin", Some(y)) => Got::Same(x.fmin(y)),
        ("floor_divide", Some(y)) => Got::Same(x.floor_divide(y)),
        ("remainder", Some(y)) => Got::Same(x.remainder(y)),
        ("fmod", Some(y)) => Got::Same(x.fmod(y)),
        _ => return None,
    })
}

fn float_op<T: FloatElement>(op: &str, x: &Array<T>, y: Option<&Array<T>>) -> Got<T> {
    if let Some(got) = num_op(op, x, y) {
        return got;
    }
    Got::Same(match (op, y) {
        ("arcsin", None) => x.arcsin(),
        ("arccos", None) => x.arccos(),
        ("arctan", None) => x.arctan(),
        ("sinh", None) => x.sinh(),
        ("cosh", None) => x.cosh(),
        ("arcsinh", None) => x.arcsinh(),
        ("arccosh", None) => x.arccosh(),
        ("arctanh", None) => x.arctanh(),
        ("exp2", None) => x.exp2(),
        ("log1p", None) => x.log1p(),
        ("expm1", None) => x.expm1(),
        ("cbrt", None) => x.cbrt(),
        ("trunc", None) => x.trunc(),
        ("rint", None) => x.rint(),
        ("deg2rad", None) => x.deg2rad(),
        ("rad2deg", None) => x.rad2deg(),
        ("nan_to_num", None) => x.nan_to_num_default(),
        ("hypot", Some(y)) => x.hypot(y),
        ("arctan2", Some(y)) => x.arctan2(y),
        ("copysign", Some(y)) => x.copysign(y),
        ("logaddexp", Some(y)) => x.logaddexp(y),
        ("isclose", Some(y)) => return Got::Bool(x.isclose(y, 1e-5, 1e-8, false)),
        _ => panic!("no float case {op}"),
    })
}

fn int_op<T: IntElement>(op: &str, x: &Array<T>, y: Option<&Array<T>>) -> Got<T> {
    if let Some(got) = num_op(op, x, y) {
        return got;
    }
    Got::Same(match (op, y) {
        ("invert", None) => x.invert(),
        ("bitwise_and", Some(y)) => x.bitwise_and(y),
        ("bitwise_or", Some(y)) => x.bitwise_or(y),
        ("bitwise_xor", Some(y)) => x.bitwise_xor(y),
        ("left_shift", Some(y)) => x.left_shift(y),
        ("right_shift", Some(y)) => x.right_shift(y),
        _ => panic!("no integer case {op}"),
    })
}

/// Within `rel` of each other (for functions NumPy and Rust's libm may round
/// differently).
fn agree(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * got.abs().max(want.abs())
}

/// The failures of `case` computed on chunks cut as `cuts` (see [`chunks_from`]).
fn check_case<T>(case: &Case, cuts: &[usize], compute: Compute<T>, rel: f64) -> Vec<String>
where
    T: NumElement + ndarray_npy::ReadableElement,
{
    let dir = fixtures();
    let inputs: Vec<ArrayD<T>> = case.inputs.iter().map(|n| npy_fixture(dir, n)).collect();
    let chunks = chunks_from(cuts, inputs[0].len());
    let lazy: Vec<Array<T>> = inputs
        .iter()
        .map(|a| {
            ndchunk::from_array(
                a.clone(),
                ndchunk::Chunks::new(vec![chunks.to_vec()]).unwrap(),
            )
            .unwrap()
        })
        .collect();
    let what = format!("{} {}", case.op, case.dtype);
    let mut failures = Vec::new();
    match compute(&case.op, &lazy[0], lazy.get(1)) {
        Got::Same(a) => {
            let got = a.compute().unwrap();
            let want: ArrayD<T> = npy_fixture(dir, &case.out);
            assert_eq!(got.shape(), want.shape(), "{what}");
            let exact = !T::DTYPE.is_float()
                || matches!(
                    case.op.as_str(),
                    "maximum"
                        | "minimum"
                        | "fmax"
                        | "fmin"
                        | "sign"
                        | "trunc"
                        | "rint"
                        | "copysign"
                );
            for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
                #[allow(clippy::eq_op)] // NaN is the value not equal to itself
                let same = g == w || (g != g && w != w);
                if !(same || (!exact && agree(g.as_(), w.as_(), rel))) {
                    let args: Vec<T> = inputs.iter().map(|a| a.as_slice().unwrap()[i]).collect();
                    failures.push(format!(
                        "{what} [{i}]: {g:?} against NumPy's {w:?} (inputs {args:?})"
                    ));
                }
            }
        }
        Got::Bool(a) => {
            let got = a.compute().unwrap();
            let want: ArrayD<bool> = npy_fixture(dir, &case.out);
            if got != want {
                failures.push(format!("{what}: {got} against NumPy's {want}"));
            }
        }
    }
    failures
}

/// Chunk lengths covering `n`: `cuts` repeated, the last one cut short.
fn chunks_from(cuts: &[usize], n: usize) -> Vec<usize> {
    let mut lens = Vec::new();
    let mut left = n;
    for &c in cuts.iter().cycle() {
        if left == 0 {
            break;
        }
        lens.push(c.min(left));
        left -= c.min(left);
    }
    if lens.is_empty() {
        lens.push(0);
    }
    lens
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn every_ufunc_matches_numpy(cuts in prop::collection::vec(1usize..20, 1..6)) {
        let mut failures = Vec::new();
        for case in cases() {
            failures.extend(match case.dtype.as_str() {
                "float32" => check_case::<f32>(&case, &cuts, float_op::<f32>, 2e-6),
                "float64" => check_case::<f64>(&case, &cuts, float_op::<f64>, 1e-14),
                "int8" => check_case::<i8>(&case, &cuts, int_op::<i8>, 0.0),
                "int32" => check_case::<i32>(&case, &cuts, int_op::<i32>, 0.0),
                "int64" => check_case::<i64>(&case, &cuts, int_op::<i64>, 0.0),
                "uint8" => check_case::<u8>(&case, &cuts, int_op::<u8>, 0.0),
                _ => check_case::<u64>(&case, &cuts, int_op::<u64>, 0.0),
            });
        }
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

#[test]
fn functions_outside_their_dtypes_are_dtype_errors() {
    // The typed API rules these out at compile time; the ops themselves (as a
    // plan or another front end builds them) say which dtypes they take.
    use ndchunk::expr::{BinaryOp, ElemOp, UnaryOp};
    use ndchunk::DType;
    let error = |op: ElemOp, dtypes: &[DType]| op.output_dtype(dtypes).unwrap_err().to_string();
    let e = error(ElemOp::Binary(BinaryOp::Shl), &[DType::F64, DType::F64]);
    assert!(
        e.contains("left_shift") && e.contains("an integer dtype") && e.contains("float64"),
        "{e}"
    );
    let e = error(ElemOp::Binary(BinaryOp::Hypot), &[DType::I32, DType::I32]);
    assert!(e.contains("hypot") && e.contains("a float dtype"), "{e}");
    let e = error(ElemOp::Unary(UnaryOp::Invert), &[DType::F32]);
    assert!(
        e.contains("invert") && e.contains("an integer dtype"),
        "{e}"
    );
    let e = error(ElemOp::Binary(BinaryOp::And), &[DType::F32, DType::F32]);
    assert!(e.contains("bool or an integer dtype"), "{e}");
    let e = error(ElemOp::Binary(BinaryOp::Maximum), &[DType::I32, DType::I64]);
    assert!(e.contains("maximum"), "{e}");
    assert_eq!(
        ElemOp::Unary(UnaryOp::SignBit)
            .output_dtype(&[DType::I8])
            .unwrap(),
        DType::Bool
    );
    assert_eq!(
        ElemOp::Binary(BinaryOp::Xor)
            .output_dtype(&[DType::U16, DType::U16])
            .unwrap(),
        DType::U16
    );
    // Bitwise ops of bools stay logical.
    let t = ndchunk::from_array(ndarray::arr1(&[true, false]), [1]).unwrap();
    assert_eq!(
        t.xor(true).compute().unwrap().into_raw_vec_and_offset().0,
        vec![false, true]
    );
}

#[test]
fn isclose_allclose_and_array_equal_follow_numpy() {
    let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::INFINITY, f64::NAN, 1e-9]), [3]).unwrap();
    let y = ndchunk::from_array(
        ndarray::arr1(&[1.0 + 1e-6, f64::INFINITY, f64::NAN, 0.0]),
        [2],
    )
    .unwrap();
    let close = x.isclose(&y, 1e-5, 1e-8, false).compute().unwrap();
    assert_eq!(
        close.into_raw_vec_and_offset().0,
        vec![true, true, false, true]
    );
    let close = x.isclose(&y, 1e-5, 1e-8, true).compute().unwrap();
    assert_eq!(
        close.into_raw_vec_and_offset().0,
        vec![true, true, true, true]
    );
    assert!(!x.allclose(&y, 1e-5, 1e-8, false).unwrap());
    assert!(x.allclose(&y, 1e-5, 1e-8, true).unwrap());
    assert!(
        !x.isclose(&y, 0.0, 0.0, false)
            .all()
            .unwrap()
            .compute()
            .unwrap()[[]]
    );
    let a = ndchunk::arange::<i32>(0, 6, 1, [4]).unwrap();
    assert!(a
        .array_equal(&ndchunk::arange::<i32>(0, 6, 1, [1]).unwrap())
        .unwrap());
    assert!(!a
        .array_equal(&ndchunk::arange::<i32>(0, 5, 1, [1]).unwrap())
        .unwrap());
    assert!(!x.array_equal(&x).unwrap(), "NaN is never equal");
    let empty = ndchunk::zeros::<f32>(&[0, 3], [1, 2]).unwrap();
    assert!(empty.array_equal(&empty).unwrap());
}

#[test]
fn new_functions_fuse_into_one_stage() {
    let x = ndchunk::random::uniform::<f64>(&[1000], [300], 3).unwrap();
    let y = ndchunk::random::uniform::<f64>(&[1000], [300], 4).unwrap();
    let e = x
        .hypot(&y)
        .arcsinh()
        .maximum(y.logaddexp(&x).floor_divide(0.25))
        .copysign(x.sign())
        .nan_to_num_default();
    let options = ndchunk::PlanOptions::from_env().unwrap();
    let plan = ndchunk::plan::lower(e.node(), &options).unwrap();
    assert_eq!(
        plan.stages.len(),
        1,
        "{:?}",
        plan.stages.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert_eq!(plan.tasks.len(), 4);
    let (xs, ys) = (x.compute().unwrap(), y.compute().unwrap());
    let got = e.compute().unwrap();
    for ((g, &a), &b) in got.iter().zip(&xs).zip(&ys) {
        let want = a
            .hypot(b)
            .asinh()
            .max(((b.exp() + a.exp()).ln() / 0.25).floor())
            .copysign(a.signum());
        assert!(
            (g - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{g} against {want}"
        );
    }
}
