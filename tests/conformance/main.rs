//! The conformance suite: replays every case of `tests/conformance/cases/`
//! (written by `tests/conformance/generate.py` from NumPy's and dask's own
//! results) through ndchunk, on the case's chunking, and compares the result,
//! its dtype and, where the case records them, its chunks; a case whose
//! reference raised expects an `Err`. Every failing case is reported, not
//! only the first. The chunk budget is 512 bytes here, so small inputs take
//! the paths of large ones (sample sort, lanes cut to the budget).

use std::path::Path;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use ndchunk::linalg::NormOrd;
use ndchunk::{
    Array, Bins, Boundaries, Element, FloatElement, Index, IntElement, NumElement, OverlapBoundary,
    PadMode, ReduceOptions, Scalar, Side, UniqueOptions,
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

fn boundary<T: Element>(case: &Value) -> Boundaries<T> {
    let one = |name: &Value, value: &Value| match name.as_str().unwrap() {
        "none" => OverlapBoundary::None,
        "reflect" => OverlapBoundary::Reflect,
        "periodic" => OverlapBoundary::Periodic,
        "nearest" => OverlapBoundary::Nearest,
        "constant" => OverlapBoundary::Constant(scalar(value).cast::<T>()),
        other => panic!("unknown boundary {other}"),
    };
    match (arg(case, "boundary"), arg(case, "value")) {
        (Value::Array(names), Value::Array(values)) => {
            Boundaries::PerAxis(names.iter().zip(values).map(|(n, v)| one(n, v)).collect())
        }
        (name, value) => Boundaries::All(one(name, value)),
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
        _ => match reduction(case, x) {
            Some(result) => result,
            None => layout_op(case, x),
        },
    }
}

/// The second input, of the first's dtype.
fn second<T: Element>(case: &Value) -> Array<T> {
    Input(&case["inputs"][1]).array::<T>()
}

fn isizes(v: &Value) -> Vec<isize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_i64().unwrap() as isize)
        .collect()
}

/// A reduction of the `reductions` group, if the case is one.
fn reduction<T: Element>(case: &Value, x: &Array<T>) -> Option<ndchunk::Result<Got>> {
    let op = case["op"].as_str().unwrap();
    if !REDUCTIONS.contains(&op) {
        return None;
    }
    let mut opts = ReduceOptions::new()
        .keepdims(arg(case, "keepdims").as_bool().unwrap())
        .ddof(arg_usize(case, "ddof"));
    if let Some(axes) = arg(case, "axes").as_array() {
        opts = opts.axes(&isizes(&Value::Array(axes.clone())));
    }
    let result = (|| match op {
        "sum" => got(x.sum_with(&opts)?),
        "prod" => got(x.prod_with(&opts)?),
        "mean" => got(x.mean_with(&opts)?),
        "var" => got(x.var_with(&opts)?),
        "std" => got(x.std_with(&opts)?),
        "min" => got(x.min_with(&opts)?),
        "max" => got(x.max_with(&opts)?),
        "argmin" => got(x.argmin_with(&opts)?),
        "argmax" => got(x.argmax_with(&opts)?),
        "any" => got(x.any_with(&opts)?),
        "all" => got(x.all_with(&opts)?),
        "nansum" => got(x.nansum_with(&opts)?),
        "nanmean" => got(x.nanmean_with(&opts)?),
        "nanmin" => got(x.nanmin_with(&opts)?),
        _ => got(x.nanmax_with(&opts)?),
    })();
    Some(result)
}

const REDUCTIONS: [&str; 15] = [
    "sum", "prod", "mean", "var", "std", "min", "max", "argmin", "argmax", "any", "all", "nansum",
    "nanmean", "nanmin", "nanmax",
];

/// Views, joins, indexing and rechunking (the `layout` group).
fn layout_op<T: Element>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    let axis = || Axis(arg_usize(case, "axis"));
    match case["op"].as_str().unwrap() {
        "reshape" => got(x.reshape(&isizes(arg(case, "shape")))?),
        "transpose" => got(x.permuted_axes(&usizes(arg(case, "axes")))?),
        "flip" => got(x.flip(axis())?),
        "roll" => got(x.roll(arg_isize(case, "shift"), axis())?),
        "repeat" => got(x.repeat(arg_usize(case, "repeats"), axis())?),
        "pad" => {
            let widths: Vec<(usize, usize)> = arg(case, "widths")
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    (
                        w[0].as_u64().unwrap() as usize,
                        w[1].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            let mode = match arg(case, "mode").as_str().unwrap() {
                "constant" => PadMode::Constant(T::default()),
                "edge" => PadMode::Edge,
                "reflect" => PadMode::Reflect,
                "symmetric" => PadMode::Symmetric,
                _ => PadMode::Wrap,
            };
            got(x.pad(&widths, mode)?)
        }
        "slice" => {
            let info: Vec<ndarray::SliceInfoElem> = arg(case, "slices")
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let (start, stop, step) = (
                        s[0].as_i64().unwrap(),
                        s[1].as_i64().unwrap(),
                        s[2].as_i64().unwrap(),
                    );
                    ndarray::SliceInfoElem::Slice {
                        start: start as isize,
                        end: Some(stop as isize),
                        step: step as isize,
                    }
                })
                .collect();
            got(x.slice(info)?)
        }
        "take" => got(x.take(
            &isizes(arg(case, "indices"))
                .iter()
                .map(|&i| i as i64)
                .collect::<Vec<i64>>(),
            axis(),
        )?),
        "mask" => {
            let keep: Vec<bool> = arg(case, "keep")
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect();
            got(x.mask(&keep, axis())?)
        }
        "vindex" | "oindex" => {
            let ints = |name: &str| -> Vec<i64> {
                isizes(arg(case, name)).iter().map(|&i| i as i64).collect()
            };
            let (rows, cols) = (ints("rows"), ints("cols"));
            match case["op"].as_str().unwrap() {
                "vindex" => got(x.vindex(&[rows, cols])?),
                _ => {
                    let wide = |v: Vec<i64>| Index::Ints(v.into_iter().map(i128::from).collect());
                    got(x.oindex(&[wide(rows), wide(cols)])?)
                }
            }
        }
        "concatenate" => got(ndchunk::concatenate(
            axis(),
            &[x.clone(), second::<T>(case)],
        )?),
        "stack" => got(ndchunk::stack(axis(), &[x.clone(), second::<T>(case)])?),
        "tile" => got(x.tile(&usizes(arg(case, "reps")))?),
        "broadcast_to" => got(x.broadcast_to(&usizes(arg(case, "shape")))?),
        "squeeze" => got(x.squeeze()?),
        "swap_axes" => got(x.swap_axes(arg_usize(case, "a"), arg_usize(case, "b"))?),
        "insert_axis" => got(x.insert_axis(axis())?),
        "astype" => match arg(case, "dtype").as_str().unwrap() {
            "bool" => got(x.astype::<bool>()),
            "int8" => got(x.astype::<i8>()),
            "int32" => got(x.astype::<i32>()),
            "int64" => got(x.astype::<i64>()),
            "uint8" => got(x.astype::<u8>()),
            "uint64" => got(x.astype::<u64>()),
            "float32" => got(x.astype::<f32>()),
            _ => got(x.astype::<f64>()),
        },
        "equal" => got(x.eq(second::<T>(case))),
        "not_equal" => got(x.ne(second::<T>(case))),
        "less" => got(x.lt(second::<T>(case))),
        "less_equal" => got(x.le(second::<T>(case))),
        "greater" => got(x.gt(second::<T>(case))),
        "greater_equal" => got(x.ge(second::<T>(case))),
        "where" => got(ndchunk::where_(
            &Input(&case["inputs"][2]).array::<bool>(),
            x,
            second::<T>(case),
        )),
        "rechunk" => {
            let chunks: Vec<Vec<usize>> = arg(case, "chunks")
                .as_array()
                .unwrap()
                .iter()
                .map(usizes)
                .collect();
            got(x.rechunk(chunks)?)
        }
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
        "add" => got(x + &second::<T>(case)),
        "subtract" => got(x - &second::<T>(case)),
        "multiply" => got(x * &second::<T>(case)),
        "maximum" => got(x.maximum(second::<T>(case))),
        "minimum" => got(x.minimum(second::<T>(case))),
        "fmax" => got(x.fmax(second::<T>(case))),
        "fmin" => got(x.fmin(second::<T>(case))),
        "floor_divide" => got(x.floor_divide(second::<T>(case))),
        "remainder" => got(x.remainder(second::<T>(case))),
        "fmod" => got(x.fmod(second::<T>(case))),
        "clip" => {
            let bound = |name: &str| scalar(arg(case, name)).cast::<T>();
            got(x.clip(bound("lo"), bound("hi")))
        }
        "topk" => got(x.topk(arg_isize(case, "k"), Axis(arg_usize(case, "axis")))?),
        "matmul" => got(x.matmul(&second::<T>(case))?),
        "tensordot" => got(x.tensordot(
            &second::<T>(case),
            &isizes(arg(case, "a_axes")),
            &isizes(arg(case, "b_axes")),
        )?),
        "dot" => got(x.dot(&second::<T>(case))?),
        "outer" => got(x.outer(&second::<T>(case))?),
        "diagonal" => got(x.diagonal(arg_isize(case, "offset"), 0, 1)?),
        "trace" => got(x.trace(arg_isize(case, "offset"), 0, 1)?),
        "einsum" => {
            let rest: Vec<Array<T>> = case["inputs"].as_array().unwrap()[1..]
                .iter()
                .map(|i| Input(i).array::<T>())
                .collect();
            let operands: Vec<&Array<T>> = std::iter::once(x).chain(&rest).collect();
            got(ndchunk::einsum(
                arg(case, "subscripts").as_str().unwrap(),
                &operands,
            )?)
        }
        _ => element_op(case, x),
    }
}

/// The bitwise ufuncs of integers.
fn int_op<T: IntElement>(case: &Value, x: &Array<T>) -> ndchunk::Result<Got> {
    match case["op"].as_str().unwrap() {
        "bitwise_and" => got(x.bitwise_and(second::<T>(case))),
        "bitwise_or" => got(x.bitwise_or(second::<T>(case))),
        "bitwise_xor" => got(x.bitwise_xor(second::<T>(case))),
        "left_shift" => got(x.left_shift(second::<T>(case))),
        "right_shift" => got(x.right_shift(second::<T>(case))),
        _ => num_op(case, x),
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
        "sqrt" => got(x.sqrt()),
        "exp" => got(x.exp()),
        "log" => got(x.ln()),
        "log10" => got(x.log10()),
        "log2" => got(x.log2()),
        "sin" => got(x.sin()),
        "cos" => got(x.cos()),
        "tan" => got(x.tan()),
        "tanh" => got(x.tanh()),
        "floor" => got(x.floor()),
        "ceil" => got(x.ceil()),
        "rint" => got(x.rint()),
        "arcsin" => got(x.arcsin()),
        "arccos" => got(x.arccos()),
        "arctan" => got(x.arctan()),
        "sinh" => got(x.sinh()),
        "cosh" => got(x.cosh()),
        "arcsinh" => got(x.arcsinh()),
        "arccosh" => got(x.arccosh()),
        "arctanh" => got(x.arctanh()),
        "exp2" => got(x.exp2()),
        "log1p" => got(x.log1p()),
        "expm1" => got(x.expm1()),
        "cbrt" => got(x.cbrt()),
        "trunc" => got(x.trunc()),
        "deg2rad" => got(x.deg2rad()),
        "rad2deg" => got(x.rad2deg()),
        "isnan" => got(x.isnan()),
        "isinf" => got(x.isinf()),
        "isfinite" => got(x.isfinite()),
        "signbit" => got(x.signbit()),
        "sign" => got(x.sign()),
        "abs" => got(x.abs()),
        "negative" => got(-x),
        "nan_to_num" => got(x.nan_to_num_default()),
        "divide" => got(x / &second::<T>(case)),
        "solve" => got(ndchunk::linalg::solve(x, &second::<T>(case))?),
        "inv" => got(ndchunk::linalg::inv(x)?),
        "cholesky" => got(ndchunk::linalg::cholesky(x, false)?),
        "svdvals" => got(ndchunk::linalg::svdvals(x)?),
        "lstsq" => got(ndchunk::linalg::lstsq(x, &second::<T>(case), None)?.solution),
        "norm" => {
            let ord = match arg(case, "ord").as_str() {
                None => None,
                Some("fro") => Some(NormOrd::Fro),
                Some("inf") => Some(NormOrd::Inf),
                Some(_) => Some(NormOrd::P(1.0)),
            };
            got(ndchunk::linalg::norm(x, ord, None, false)?)
        }
        "power" => got(x.powf(second::<T>(case))),
        "hypot" => got(x.hypot(second::<T>(case))),
        "arctan2" => got(x.arctan2(second::<T>(case))),
        "copysign" => got(x.copysign(second::<T>(case))),
        "logaddexp" => got(x.logaddexp(second::<T>(case))),
        "isclose" => got(x.isclose(
            second::<T>(case),
            1e-5,
            1e-8,
            arg(case, "equal_nan").as_bool().unwrap(),
        )),
        _ => num_op(case, x),
    }
}

fn run(case: &Value) -> ndchunk::Result<Got> {
    let input = Input(&case["inputs"][0]);
    match input.dtype() {
        "bool" => element_op(case, &input.array::<bool>()),
        "int8" => int_op(case, &input.array::<i8>()),
        "int16" => int_op(case, &input.array::<i16>()),
        "int32" => int_op(case, &input.array::<i32>()),
        "int64" => int_op(case, &input.array::<i64>()),
        "uint8" => int_op(case, &input.array::<u8>()),
        "uint16" => int_op(case, &input.array::<u16>()),
        "uint32" => int_op(case, &input.array::<u32>()),
        "uint64" => int_op(case, &input.array::<u64>()),
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

#[test]
fn overlap_per_axis() {
    replay("overlap_per_axis");
}

#[test]
fn dask_ports() {
    replay("dask_ports");
}

#[test]
fn reductions() {
    replay("reductions");
}

#[test]
fn elementwise() {
    replay("elementwise");
}

#[test]
fn layout() {
    replay("layout");
}

#[test]
fn contraction() {
    replay("contraction");
}
