//! Nearest-rows tasks: distances of a block of query rows to a block of
//! corpus rows, tile by tile in cache, each tile's values offered
//! to the rows' selections as soon as the tile is computed, so no distance
//! block is ever written out.

use std::cmp::Ordering;
use std::sync::Arc;

use ndarray::{s, Array2, ArrayView2, ArrayViewD, Ix2};

use crate::element::Element;
use crate::error::{Error, Result};
use crate::exec::eval::contract::operand_block;
use crate::exec::eval::select::{ascending, Best};
use crate::exec::Value;
use crate::plan::nearest::{NearestStage, PANEL_ROWS, TILE_COLUMNS, TILE_ROWS};
use ndchunk_kernels::screen::first_sum_below;

const ORIGIN: &str = "nearest";

/// The task at `[query block, corpus block]` of `s`: per query row, the
/// kept corpus rows' global positions and their order's values, nearest
/// first: the squared distances less the query row's own squared norm.
pub fn run(s: &NearestStage, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let mut deps = deps.iter();
    let queries = operand_block::<f64>(&s.queries, &[block[0], 0], &mut deps, ORIGIN)?;
    let corpus = operand_block::<f64>(&s.corpus, &[block[1], 0], &mut deps, ORIGIN)?;
    let offset = s.corpus.chunks.offsets(0)[block[1]] as i64;
    let (values, positions) = nearest(rows(queries)?, rows(corpus)?, s.kept(block[1]), offset);
    Ok(Value::Selection {
        values: f64::wrap(values.into_dyn()),
        positions: i64::wrap(positions.into_dyn()),
    })
}

fn rows(block: ArrayViewD<'_, f64>) -> Result<ArrayView2<'_, f64>> {
    block
        .into_dimensionality::<Ix2>()
        .map_err(|e| Error::invalid(ORIGIN, format!("a block that is not 2-d: {e}")))
}

/// Distance, then position: NumPy's order of the values (NaN last), equal
/// distances by position.
fn order(a: &(f64, i64), b: &(f64, i64)) -> Ordering {
    ascending(&a.0, &b.0).then(a.1.cmp(&b.1))
}

/// Per row of `queries`, the `k` rows of `corpus` nearest it, as `(value,
/// offset + row)` in increasing order of the values `‖c‖² − 2·q·c`: the
/// squared distances less the query row's own squared norm, the same for
/// every candidate of the row (so it is left out). Tiles of [`TILE_ROWS`] ×
/// [`TILE_COLUMNS`] products `−2·q·cᵀ` come from faer's GEMM (one thread:
/// the executor runs a task per core) into a buffer that stays in cache,
/// every query tile against a panel of [`PANEL_ROWS`] corpus rows (also in
/// cache) before the next panel, so the corpus is read from memory once;
/// each row of a tile is then scanned in increasing position by a SIMD
/// kernel that stops only at values below the row's bar (a value equal to it
/// never passes it).
fn nearest(
    queries: ArrayView2<f64>,
    corpus: ArrayView2<f64>,
    k: usize,
    offset: i64,
) -> (Array2<f64>, Array2<i64>) {
    let (m, n) = (queries.nrows(), corpus.nrows());
    let corpus_norms: Vec<f64> = corpus.rows().into_iter().map(|r| r.dot(&r)).collect();
    let mut best: Vec<Best<(f64, i64)>> = (0..m).map(|_| Best::new(k)).collect();
    let mut tile = vec![0.0; TILE_ROWS * TILE_COLUMNS];
    for p0 in (0..n).step_by(PANEL_ROWS) {
        let p1 = (p0 + PANEL_ROWS).min(n);
        for r0 in (0..m).step_by(TILE_ROWS) {
            let r1 = (r0 + TILE_ROWS).min(m);
            for c0 in (p0..p1).step_by(TILE_COLUMNS) {
                let c1 = (c0 + TILE_COLUMNS).min(p1);
                let width = c1 - c0;
                let products = &mut tile[..(r1 - r0) * width];
                minus_twice_product(
                    products,
                    queries.slice(s![r0..r1, ..]),
                    corpus.slice(s![c0..c1, ..]).t(),
                );
                let norms = &corpus_norms[c0..c1];
                for (kept, row) in best[r0..r1].iter_mut().zip(products.chunks_exact(width)) {
                    offer_row(kept, row, norms, offset + c0 as i64);
                }
            }
        }
    }
    let kept = k.min(n);
    let mut values = Array2::<f64>::zeros((m, kept));
    let mut positions = Array2::<i64>::zeros((m, kept));
    for (i, row) in best.iter_mut().enumerate() {
        for (j, &(v, p)) in row.finish(order).iter().enumerate() {
            (values[[i, j]], positions[[i, j]]) = (v, p);
        }
    }
    (values, positions)
}

/// Offers `products[j] + norms[j]` at position `first + j` to `kept`, for
/// every `j` in increasing order: the values that come below the row's bar,
/// found by the screening kernel.
fn offer_row(kept: &mut Best<(f64, i64)>, products: &[f64], norms: &[f64], first: i64) {
    let mut from = 0;
    while let Some(j) = first_sum_below(products, norms, bar(kept), from) {
        kept.offer((products[j] + norms[j], first + j as i64), order);
        from = j + 1;
    }
}

/// The value a candidate must come below to be kept: NaN while every
/// candidate is kept.
fn bar(kept: &Best<(f64, i64)>) -> f64 {
    kept.bar().map_or(f64::NAN, |b| b.0)
}

/// `out = −2 · a · b` (row-major, `a.nrows()` × `b.ncols()`) through faer's
/// GEMM, one thread.
fn minus_twice_product(out: &mut [f64], a: ArrayView2<f64>, b: ArrayView2<f64>) {
    let ((m, k), n) = (a.dim(), b.ncols());
    let (sa, sb) = (a.strides(), b.strides());
    // SAFETY: each operand is an ndarray view's own pointer, shape and
    // element strides, valid for this call.
    let (a, b) = unsafe {
        (
            faer::MatRef::from_raw_parts(a.as_ptr(), m, k, sa[0], sa[1]),
            faer::MatRef::from_raw_parts(b.as_ptr(), k, n, sb[0], sb[1]),
        )
    };
    let out = faer::MatMut::from_row_major_slice_mut(out, m, n);
    faer::linalg::matmul::matmul(out, faer::Accum::Replace, a, b, -2.0, faer::Par::Seq);
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn keeps_the_nearest_rows_ties_by_position() {
        let corpus = ndarray::array![[0.0], [2.0], [-2.0], [1.0], [5.0]];
        let queries = ndarray::array![[0.0], [4.0]];
        let (values, positions) = nearest(queries.view(), corpus.view(), 3, 10);
        assert_eq!(positions, ndarray::array![[10, 13, 11], [14, 11, 13]]);
        // The squared distances less the query's squared norm (0 and 16).
        assert_eq!(
            values,
            ndarray::array![[0.0, 1.0, 4.0], [-15.0, -12.0, -7.0]]
        );
    }
}
