//! The conformance suite: replays every case of `tests/conformance/cases/`
//! (written by `tests/conformance/generate.py` from NumPy's and dask's own
//! results) through ndchunk, on the case's chunking, and compares the result,
//! its dtype and, where the case records them, its chunks; a case whose
//! reference raised expects an `Err`. Every failing case is reported, not
//! only the first. The chunk budget is 512 bytes here, so small inputs take
//! the paths of large ones (sample sort, lanes cut to the budget).

use std::path::Path;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use ndchunk::{
    Array, Bins, Element, FloatElement, NumElement, OverlapBoundary, Scalar, Side, UniqueOptions,
};
use serde_json::Value;

/// An array of the case file: dtype, shape, values, and its chunking.
struct Input<'a>(&'a Value);

impl Input<'_> {
    fn dtype(&self) -> &str {
        self.0["dtype"].as_str().unwrap()
    }

    fn shape(&self) -> Vec<usize> {
        usizes(&self.0["shape"])
    }

    fn array<T: Element>(&self) -> Array<T> {
        let values = self.0["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| scalar(v).cast::<T>())
            .collect();
        let data = ArrayD::from_shape_vec(IxDyn(&self.shape()), values).unwrap();
        let chunks: Vec<Vec<usize>> = self.0["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .map(usizes)
            .collect();
        ndchunk::from_array(data, chunks).unwrap()
    }
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap() as usize)
        .collect()
}

/// A value of the case file as a scalar (NaN and infinities are strings).
fn scalar(v: &Value) -> Scalar {
    match v {
        Value::Bool(b) => Scalar::Bool(*b),
        Value::String(s) => Scalar::F64(match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("unknown value {other:?}"),
        }),
        Value::Number(n) if n.is_f64() => Scalar::F64(n.as_f64().unwrap()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Scalar::I64(i),
            None => Scalar::U64(n.as_u64().unwrap()),
        },
        other => panic!("unknown value {other}"),
    }
}

/// A computed result: dtype, shape, values, chunks.
struct Got {
    dtype: String,
    shape: Vec<usize>,
    values: Vec<Scalar>,
    chunks: Vec<Vec<usize>>,
}

fn got<U: Element>(a: Array<U>) -> ndchunk::Result<Got> {
    let chunks = a.chunks().all_lens().to_vec();
    let values = a.compute()?;
    Ok(Got {
        dtype: U::DTYPE.to_string(),
        shape: values.shape().to_vec(),
        values: values.iter().map(|v| v.to_scalar()).collect(),
        chunks,
    })
}

fn arg<'a>(case: &'a Value, name: &str) -> &'a Value {
    &case["args"][name]
}

fn arg_isize(case: &Value, name: &str) -> isize {
    arg(case, name).as_i64().unwrap() as isize
}

fn arg_usize(case: &Value, name: &str) -> usize {
    arg(case, name).as_u64().unwrap() as usize
}

fn boundary<T: Element>(case: &Value) -> OverlapBoundary<T> {
    match arg(case, "boundary").as_str().unwrap() {
        "none" => OverlapBoundary::None,
        "reflect" => OverlapBoundary::Reflect,
        "periodic" => OverlapBoundary::Periodic,
        "nearest" => OverlapBoundary::Nearest,
        "constant" => OverlapBoundary::Constant(scalar(arg(case, "value")).cast::<T>()),
        other => panic!("unknown boundary {other}"),
    }
}

/// Each element plus its neighbours along every axis, clamped at the
/// block's edges (`box3` of the generator).
fn box3<T: NumElement>(b: ArrayViewD<T>) -> ArrayD<T> {
    let mut out = b.to_owned();
    for axis in 0..b.ndim() {
        let n = b.shape()[axis];
        if n == 0 {
            continue;
        }
        let src = out.clone();
        for (i, mut lane) in out.axis_iter_mut(Axis(axis)).enumerate() {
            let at = |j: usize| src.index_axis(Axis(axis), j);
            let (left, mid, right) = (at(i.saturating_sub(1)), at(i), at((i + 1).min(n - 1)));
            ndarray::Zip::from(&mut lane)
                .and(&left)
                .and(&mid)
                .and(&right)
                .for_each(|o, &l, &m, &r| {
                    *o = <T as NumElement>::add(<T as NumElement>::add(l, m), r)
                });
        }
    }
    out
}

/// The block plus its element count (`plus_size` of the generator).
fn plus_size<T: NumElement>(b: ArrayViewD<T>) -> ArrayD<T> {
    let size = Scalar::I64(b.len() as i64).cast::<T>();
    b.mapv(|v| <T as NumElement>::add(v, size))
}

fn element_op<T: Element>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    let axis = || Axis(arg_usize(case, "axis"));
    let depth = || usizes(arg(case, "depth"));
    match case["op"].as_str().unwrap() {
        "cumsum" => got(x.cumsum(axis())?),
        "cumprod" => got(x.cumprod(axis())?),
        "nancumsum" => got(x.nancumsum(axis())?),
        "nancumprod" => got(x.nancumprod(axis())?),
        "overlap" => got(x.overlap(&depth(), boundary(case))?),
        "sort" => got(x.sort(axis())?),
        "argsort" => got(x.argsort(axis())?),
        "partition" => got(x.partition(arg_isize(case, "kth"), axis())?),
        "argpartition" => got(x.argpartition(arg_isize(case, "kth"), axis())?),
        "isin" => got(x.isin(
            &Input(&case["inputs"][1]).array::<T>(),
            arg(case, "invert").as_bool().unwrap(),
        )?),
        "count_nonzero" => got(x.count_nonzero_axis(axis())?),
        "unique" => {
            let part = arg(case, "part").as_str().unwrap();
            let options = UniqueOptions {
                index: !part.ends_with("fast"),
                inverse: true,
                counts: true,
            };
            let u = x.unique_with(options)?;
            match part.split(' ').next().unwrap() {
                "values" => got(u.values),
                "index" => got(u.index.unwrap()),
                "inverse" => got(u.inverse.unwrap()),
                _ => got(u.counts.unwrap()),
            }
        }
        "flatnonzero" => got(x.flatnonzero()?),
        "argwhere" => got(x.argwhere()?),
        "nonzero" => got(x.nonzero()?.swap_remove(arg_usize(case, "axis"))),
        "searchsorted" => {
            let side = match arg(case, "side").as_str().unwrap() {
                "left" => Side::Left,
                _ => Side::Right,
            };
            got(x.searchsorted(&Input(&case["inputs"][1]).array::<T>(), side)?)
        }
        "trim_internal" => got(x.trim_internal(&depth(), boundary(case))?),
        other => panic!("no conformance op {other:?} for {}", T::DTYPE),
    }
}

fn num_op<T: NumElement>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    match case["op"].as_str().unwrap() {
        "diff" => got(x.diff(arg_usize(case, "n"), Axis(arg_usize(case, "axis")))?),
        "map_overlap" => {
            let depth = usizes(arg(case, "depth"));
            let trim = arg(case, "trim").as_bool().unwrap();
            let f = match arg(case, "fn").as_str().unwrap() {
                "box3" => box3::<T>,
                "plus_size" => plus_size::<T>,
                other => panic!("unknown block function {other}"),
            };
            if trim {
                return got(x.map_overlap(&depth, boundary(case), true, f)?);
            }
            // The function trims itself.
            let cut = depth.clone();
            got(x.map_overlap(&depth, boundary(case), false, move |b| {
                let full = f(b);
                let info: Vec<ndarray::SliceInfoElem> = cut
                    .iter()
                    .enumerate()
                    .map(|(k, &d)| ndarray::Slice::from(d..full.shape()[k] - d).into())
                    .collect();
                full.slice(info.as_slice()).to_owned()
            })?)
        }
        "quantile" => quantile(case, x),
        "histogram" => histogram(case, x),
        "digitize" => got(x.digitize(
            &floats(arg(case, "bins")),
            arg(case, "right").as_bool().unwrap(),
        )?),
        "bincount" => bincount(case, x),
        "histogram2d" => {
            let b = usizes(arg(case, "bins"));
            let range = arg(case, "range").as_array().map(|r| {
                let pair = |v: &Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
                (pair(&r[0]), pair(&r[1]))
            });
            let y = Input(&case["inputs"][1]).array::<T>();
            got(x
                .histogram2d(&y, (Bins::Count(b[0]), Bins::Count(b[1])), range)?
                .0)
        }
        _ => element_op(case, x),
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn weights(case: &Value) -> Option<Array<f64>> {
    arg(case, "weighted")
        .as_bool()
        .unwrap()
        .then(|| Input(&case["inputs"][1]).array::<f64>())
}

fn histogram<T: NumElement>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    let bins = match arg(case, "bins") {
        Value::Array(_) => Bins::Edges(floats(arg(case, "bins"))),
        n => Bins::Count(n.as_u64().unwrap() as usize),
    };
    let range = arg(case, "range")
        .as_array()
        .map(|r| (r[0].as_f64().unwrap(), r[1].as_f64().unwrap()));
    let density = arg(case, "density").as_bool().unwrap();
    match (weights(case), density) {
        (None, false) => got(x.histogram(bins, range)?.0),
        (w, _) => got(x.histogram_with(bins, range, w.as_ref(), density)?.0),
    }
}

fn bincount<T: NumElement>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    let minlength = arg_usize(case, "minlength");
    // bincount takes integers; the cases' dtypes are integer ones.
    let ints = x.astype::<i64>();
    match weights(case) {
        Some(w) => got(ints.bincount_weighted(&w, minlength)?),
        None => got(ints.bincount(minlength)?),
    }
}

fn quantile<T: NumElement>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    let axis = arg(case, "axis").as_u64().map(|a| Axis(a as usize));
    let nan = arg(case, "nan").as_bool().unwrap();
    let q = arg(case, "q");
    match (arg(case, "fn").as_str().unwrap(), q.as_array(), nan) {
        ("median", _, false) => got(x.median(axis)?),
        ("median", _, true) => got(x.nanmedian(axis)?),
        ("quantile", None, false) => got(x.quantile(q.as_f64().unwrap(), axis)?),
        ("quantile", None, true) => got(x.nanquantile(q.as_f64().unwrap(), axis)?),
        ("percentile", None, false) => got(x.percentile(q.as_f64().unwrap(), axis)?),
        ("percentile", None, true) => got(x.nanpercentile(q.as_f64().unwrap(), axis)?),
        (f, Some(list), nan) => {
            let qs: Vec<f64> = list.iter().map(|v| v.as_f64().unwrap()).collect();
            got(match (f, nan) {
                ("quantile", false) => x.quantiles(&qs, axis)?,
                ("quantile", true) => x.nanquantiles(&qs, axis)?,
                ("percentile", false) => x.percentiles(&qs, axis)?,
                _ => x.nanpercentiles(&qs, axis)?,
            })
        }
        (f, _, _) => panic!("unknown quantile function {f}"),
    }
}

fn float_op<T: FloatElement>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    match case["op"].as_str().unwrap() {
        "gradient" => {
            let spacing = Scalar::F64(arg(case, "spacing").as_f64().unwrap()).cast::<T>();
            got(x.gradient(Axis(arg_usize(case, "axis")), spacing)?)
        }
        _ => num_op(case, x),
    }
}

fn run(case: &Value) -> ndchunk::Result<Got> {
    let input = Input(&case["inputs"][0]);
    match input.dtype() {
        "bool" => element_op(case, &input.array::<bool>()),
        "int8" => num_op(case, &input.array::<i8>()),
        "int16" => num_op(case, &input.array::<i16>()),
        "int32" => num_op(case, &input.array::<i32>()),
        "int64" => num_op(case, &input.array::<i64>()),
        "uint8" => num_op(case, &input.array::<u8>()),
        "uint16" => num_op(case, &input.array::<u16>()),
        "uint32" => num_op(case, &input.array::<u32>()),
        "uint64" => num_op(case, &input.array::<u64>()),
        "float32" => float_op(case, &input.array::<f32>()),
        "float64" => float_op(case, &input.array::<f64>()),
        other => panic!("unknown dtype {other}"),
    }
}

/// Why `got` differs from the case's expectation, if it does.
fn mismatch(case: &Value, got: &Got) -> Option<String> {
    let expect = Input(&case["expect"]);
    if got.dtype != expect.dtype() || got.shape != expect.shape() {
        return Some(format!(
            "got {} {:?}, expected {} {:?}",
            got.dtype,
            got.shape,
            expect.dtype(),
            expect.shape()
        ));
    }
    if let Some(chunks) = case.get("expect_chunks") {
        let want: Vec<Vec<usize>> = chunks.as_array().unwrap().iter().map(usizes).collect();
        if want != got.chunks {
            return Some(format!("chunks {:?}, expected {want:?}", got.chunks));
        }
    }
    let tol = |k: &str, default: f64| case["tol"][k].as_f64().unwrap_or(default);
    let eps = if got.dtype == "float32" {
        1.2e-7
    } else {
        2.3e-16
    };
    let (atol, rtol) = (tol("atol", 0.0), tol("rtol", 4.0 * eps));
    let want = expect.0["data"].as_array().unwrap();
    for (i, (g, w)) in got.values.iter().zip(want).enumerate() {
        let (g, w) = (*g, scalar(w));
        let same = match g {
            Scalar::F32(_) | Scalar::F64(_) => {
                let (g, w) = (g.cast::<f64>(), w.cast::<f64>());
                (g.is_nan() && w.is_nan())
                    || g == w
                    || (g.is_finite() && w.is_finite() && (g - w).abs() <= atol + rtol * w.abs())
            }
            Scalar::Bool(b) => b == w.cast::<bool>(),
            Scalar::U64(u) => {
                Some(u)
                    == (match w {
                        Scalar::U64(v) => Some(v),
                        Scalar::I64(v) => u64::try_from(v).ok(),
                        _ => None,
                    })
            }
            other => other.cast::<i64>() == w.cast::<i64>(),
        };
        if !same {
            return Some(format!("element {i}: got {g:?}, expected {w:?}"));
        }
    }
    None
}

/// A 512-byte chunk budget, so that small cases take the paths large
/// arrays take: 1-d sorts beyond it by sample sort, lanes cut to it.
fn small_budget() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("NDCHUNK_CHUNK_SIZE", "512"));
}

fn replay(group: &str) {
    small_budget();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/cases")
        .join(format!("{group}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(!cases.is_empty(), "{} has no cases", path.display());
    let mut failures = Vec::new();
    for (k, case) in cases.iter().enumerate() {
        let what = format!(
            "case {k} ({} {}, {}): {}",
            case["op"],
            case["args"],
            case["source"],
            Input(&case["inputs"][0]).0["shape"]
        );
        match (run(case), case.get("error")) {
            (Ok(got), None) => {
                if let Some(why) = mismatch(case, &got) {
                    failures.push(format!("{what}: {why}"));
                }
            }
            (Ok(_), Some(error)) => failures.push(format!("{what}: expected {error}, got Ok")),
            (Err(e), None) => failures.push(format!("{what}: unexpected error {e}")),
            (Err(_), Some(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases of {group} fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn scans() {
    replay("scans");
}

#[test]
fn overlap() {
    replay("overlap");
}

#[test]
fn sorting() {
    replay("sorting");
}

#[test]
fn counting() {
    replay("counting");
}
