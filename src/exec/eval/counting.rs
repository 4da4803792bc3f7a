//! Counting kernels: histograms over bin edges, `bincount`, and `isin`
//! membership by binary search in the sorted test elements.

use ndarray::{ArrayD, IxDyn};

use crate::block::DynArray;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::exec::eval::order::Sortable;

/// The bin of `v` among increasing `edges`: `edges[i] <= v < edges[i + 1]`,
/// the last bin closed; `None` outside, or for NaN.
fn bin_of(edges: &[f64], v: f64) -> Option<usize> {
    let bins = edges.len().checked_sub(1)?;
    if bins == 0 || v.is_nan() || v < edges[0] || v > edges[bins] {
        return None;
    }
    Some((edges.partition_point(|&e| e <= v) - 1).min(bins - 1))
}

/// The counts (or `weights`' sums) of `block`'s elements per bin, shaped
/// `(1, ..., 1, bins)` with one leading 1 per axis of the block.
pub fn histogram(block: &DynArray, edges: &[f64], weights: Option<&DynArray>) -> Result<DynArray> {
    let bins = edges.len().saturating_sub(1);
    let mut shape = vec![1; block.shape().len()];
    shape.push(bins);
    let weights = weights.map(weights_of).transpose()?;
    dyn_match!(block, a: T => {
        let values = a.iter().map(|v| v.cast::<f64>());
        match weights {
            None => {
                let mut counts = vec![0i64; bins];
                for b in values.filter_map(|v| bin_of(edges, v)) {
                    counts[b] += 1;
                }
                shaped(&shape, counts)
            }
            Some(w) => {
                check_weights(a.shape(), w.shape())?;
                let mut sums = vec![0.0f64; bins];
                for (v, &w) in values.zip(w.iter()) {
                    if let Some(b) = bin_of(edges, v) {
                        sums[b] += w;
                    }
                }
                shaped(&shape, sums)
            }
        }
    })
}

/// The counts of `(x, y)` element pairs per cell of `x_edges` × `y_edges`,
/// shaped `(1, ..., 1, x bins, y bins)` with one leading 1 per axis.
pub fn histogram2d(
    x: &DynArray,
    y: &DynArray,
    x_edges: &[f64],
    y_edges: &[f64],
) -> Result<DynArray> {
    let (nx, ny) = (
        x_edges.len().saturating_sub(1),
        y_edges.len().saturating_sub(1),
    );
    if x.shape() != y.shape() {
        return Err(Error::invalid(
            "histogram2d",
            format!("blocks of shapes {:?} and {:?}", x.shape(), y.shape()),
        ));
    }
    let mut shape = vec![1; x.shape().len()];
    shape.extend([nx, ny]);
    let mut counts = vec![0i64; nx * ny];
    let ys: Vec<f64> = dyn_match!(y, a: T => a.iter().map(|v| v.cast::<f64>()).collect());
    dyn_match!(x, a: T => {
        for (v, &w) in a.iter().zip(&ys) {
            if let (Some(i), Some(j)) = (bin_of(x_edges, v.cast::<f64>()), bin_of(y_edges, w)) {
                counts[i * ny + j] += 1;
            }
        }
    });
    shaped(&shape, counts)
}

/// How often each of `0..len` occurs in the 1-d integer `block` (or the
/// sums of `weights`), shaped `(1, len)`.
pub fn bincount(block: &DynArray, len: usize, weights: Option<&DynArray>) -> Result<DynArray> {
    let weights = weights.map(weights_of).transpose()?;
    let out_of_range = |v: i64| {
        Error::invalid(
            "bincount",
            format!("value {v} is outside 0..{len} (negative values have no bin)"),
        )
    };
    dyn_match!(block, a: T => {
        let index = |v: T| -> Result<usize> {
            let i = v.cast::<i64>();
            usize::try_from(i).ok().filter(|&i| i < len).ok_or_else(|| out_of_range(i))
        };
        match weights {
            None => {
                let mut counts = vec![0i64; len];
                for &v in a.iter() {
                    counts[index(v)?] += 1;
                }
                shaped(&[1, len], counts)
            }
            Some(w) => {
                check_weights(a.shape(), w.shape())?;
                let mut sums = vec![0.0f64; len];
                for (&v, &w) in a.iter().zip(w.iter()) {
                    sums[index(v)?] += w;
                }
                shaped(&[1, len], sums)
            }
        }
    })
}

/// Whether each element of `block` is among the sorted `test` elements.
pub fn isin(test: &DynArray, block: &DynArray, invert: bool) -> Result<DynArray> {
    dyn_match!(test, sorted: T => isin_typed(sorted, block, invert))
}

#[allow(clippy::eq_op)]
fn isin_typed<T: Sortable>(sorted: &ArrayD<T>, block: &DynArray, invert: bool) -> Result<DynArray> {
    let values = T::unwrap_ref(block).ok_or_else(|| Error::DtypeMismatch {
        op: "isin".into(),
        expected: T::DTYPE.to_string(),
        found: block.dtype().to_string(),
    })?;
    let keys: Vec<T::Key> = sorted
        .iter()
        .filter(|&&v| v == v)
        .map(|v| v.sort_key())
        .collect();
    let found = values.mapv(|v| {
        let member = v == v && keys.binary_search(&v.sort_key()).is_ok();
        member != invert
    });
    Ok(bool::wrap(found))
}

fn weights_of(w: &DynArray) -> Result<&ArrayD<f64>> {
    f64::unwrap_ref(w).ok_or_else(|| Error::DtypeMismatch {
        op: "weights".into(),
        expected: "float64".into(),
        found: w.dtype().to_string(),
    })
}

fn check_weights(values: &[usize], weights: &[usize]) -> Result<()> {
    if values == weights {
        return Ok(());
    }
    Err(Error::invalid(
        "weights",
        format!("a block of weights of shape {weights:?} for values of shape {values:?}"),
    ))
}

fn shaped<T: Element>(shape: &[usize], data: Vec<T>) -> Result<DynArray> {
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .map(T::wrap)
        .map_err(|e| Error::invalid("counts", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_follow_numpy_edges() {
        let edges = [0.0, 1.0, 2.5, 4.0];
        let bins: Vec<Option<usize>> = [-0.1, 0.0, 0.99, 1.0, 2.5, 4.0, 4.01, f64::NAN]
            .iter()
            .map(|&v| bin_of(&edges, v))
            .collect();
        assert_eq!(
            bins,
            [
                None,
                Some(0),
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                None,
                None
            ]
        );
    }
}
