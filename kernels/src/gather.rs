//! Gathers and scatters along one axis of C-order data seen as `(outer, len, inner)`.
//!
//! Consecutive indices form *runs*; a run along the gathered axis with the whole
//! inner extent is one contiguous `copy_from_slice`, not a loop over elements.

use std::ops::Range;

use crate::append::Append;

/// Runs of consecutive values in `idx`: `(first value, run length)`.
///
/// ```
/// use ndchunk_kernels::gather::runs;
/// let r: Vec<_> = runs(&[4, 5, 6, 2, 9, 10]).collect();
/// assert_eq!(r, vec![(4, 3), (2, 1), (9, 2)]);
/// ```
pub fn runs(idx: &[usize]) -> Runs<'_> {
    Runs { idx, pos: 0 }
}

/// Iterator returned by [`runs`].
pub struct Runs<'a> {
    idx: &'a [usize],
    pos: usize,
}

impl Iterator for Runs<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let rest = &self.idx[self.pos..];
        let &start = rest.first()?;
        let mut len = 1;
        while len < rest.len() && rest[len] == start + len {
            len += 1;
        }
        self.pos += len;
        Some((start, len))
    }
}

/// Appends to `out` (a `Vec`, or a [`SliceWriter`](crate::append::SliceWriter)), for each `o` in `outer` and each `i` in `idx`, the elements
/// `src[o, i, inner]` of `src` seen as C-order `(_, len, inner_len)`.
///
/// Runs of consecutive indices copy `run * inner_len` contiguous elements at once
/// when `inner` covers the whole inner extent. Indices must be `< len` (checked
/// by slicing: an out-of-range index panics, so callers validate first).
///
/// ```
/// use ndchunk_kernels::gather::gather_axis;
/// // A 3 x 2 matrix; gather rows 2, 0, 1.
/// let src = [0, 1, 10, 11, 20, 21];
/// let mut out = Vec::new();
/// gather_axis(&src, 3, 2, 0..1, 0..2, &[2, 0, 1], &mut out);
/// assert_eq!(out, vec![20, 21, 0, 1, 10, 11]);
/// ```
pub fn gather_axis<T: Copy>(
    src: &[T],
    len: usize,
    inner_len: usize,
    outer: Range<usize>,
    inner: Range<usize>,
    idx: &[usize],
    out: &mut impl Append<T>,
) {
    let whole_inner = inner.start == 0 && inner.end == inner_len;
    out.reserve_more(outer.len() * idx.len() * inner.len());
    for o in outer {
        let base = o * len * inner_len;
        if inner_len == 1 && whole_inner {
            // Single elements: a plain indexed loop beats run detection.
            let src = &src[base..base + len];
            out.append_iter(idx.iter().map(|&i| src[i]));
        } else if whole_inner {
            for (start, run) in runs(idx) {
                let from = base + start * inner_len;
                out.append(&src[from..from + run * inner_len]);
            }
        } else if inner.len() == 1 {
            let col = base + inner.start;
            out.append_iter(idx.iter().map(|&i| src[col + i * inner_len]));
        } else {
            for &i in idx {
                let from = base + i * inner_len;
                out.append(&src[from + inner.start..from + inner.end]);
            }
        }
    }
}

/// Where position `i` of an axis split into blocks lies: its block and the
/// position within that block. Regular splits (every block but the last of one
/// length) are found by a division, others by a binary search.
///
/// ```
/// use ndchunk_kernels::gather::BlockLocator;
/// let at = BlockLocator::new(&[3, 3, 2]);
/// assert_eq!(at.locate(4), (1, 1));
/// assert_eq!(BlockLocator::new(&[1, 4]).locate(4), (1, 3));
/// ```
pub struct BlockLocator {
    starts: Vec<usize>,
    regular: Option<usize>,
}

impl BlockLocator {
    /// The locator of an axis split into blocks of `lens`.
    pub fn new(lens: &[usize]) -> Self {
        let mut starts = Vec::with_capacity(lens.len() + 1);
        starts.push(0);
        for &n in lens {
            starts.push(starts[starts.len() - 1] + n);
        }
        let regular = match lens.split_last() {
            Some((&last, body)) if body.iter().all(|&n| n == lens[0]) && last <= lens[0] => {
                Some(lens[0]).filter(|&n| n > 0)
            }
            _ => None,
        };
        BlockLocator { starts, regular }
    }

    /// Block of position `i` and `i`'s position in it (`i` below the total length).
    #[inline]
    pub fn locate(&self, i: usize) -> (usize, usize) {
        let b = match self.regular {
            Some(n) => i / n,
            None => self.starts.partition_point(|&s| s <= i) - 1,
        };
        (b, i - self.starts[b])
    }
}

/// [`gather_axis`] for a source split along the gathered axis: `blocks[b]` is
/// C-order `(_, lens[b], inner_len)` and the blocks follow each other along the
/// gathered axis, so index `i` is found in the block `at` locates it in.
///
/// ```
/// use ndchunk_kernels::gather::{gather_axis_blocks, BlockLocator};
/// // Rows 0..3 of a 4 x 2 matrix in one block, row 3 in another.
/// let (top, bottom) = ([0, 1, 10, 11, 20, 21], [30, 31]);
/// let at = BlockLocator::new(&[3, 1]);
/// let mut out = Vec::new();
/// gather_axis_blocks(&[&top, &bottom], &[3, 1], &at, 2, 0..1, 1..2, &[3, 0], &mut out);
/// assert_eq!(out, vec![31, 1]);
/// ```
#[allow(clippy::too_many_arguments)] // gather_axis's arguments plus the split
pub fn gather_axis_blocks<T: Copy>(
    blocks: &[&[T]],
    lens: &[usize],
    at: &BlockLocator,
    inner_len: usize,
    outer: Range<usize>,
    inner: Range<usize>,
    idx: &[usize],
    out: &mut impl Append<T>,
) {
    out.reserve_more(outer.len() * idx.len() * inner.len());
    for o in outer {
        for &i in idx {
            let (b, local) = at.locate(i);
            let from = (o * lens[b] + local) * inner_len;
            out.append(&blocks[b][from + inner.start..from + inner.end]);
        }
    }
}

/// Writes row `rows[k]` of `src` (rows of `row_len`) to row `dst_rows[k]` of `dst`.
///
/// ```
/// use ndchunk_kernels::gather::scatter_rows;
/// let src = [1, 2, 3, 4];
/// let mut dst = [0; 6];
/// scatter_rows(&src, 2, &[1, 0], &mut dst, &[0, 2]);
/// assert_eq!(dst, [3, 4, 0, 0, 1, 2]);
/// ```
pub fn scatter_rows<T: Copy>(
    src: &[T],
    row_len: usize,
    rows: &[usize],
    dst: &mut [T],
    dst_rows: &[usize],
) {
    for (&r, &d) in rows.iter().zip(dst_rows) {
        dst[d * row_len..(d + 1) * row_len].copy_from_slice(&src[r * row_len..(r + 1) * row_len]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        src: &[u32],
        len: usize,
        inner_len: usize,
        outer: Range<usize>,
        inner: Range<usize>,
        idx: &[usize],
    ) -> Vec<u32> {
        let mut out = Vec::new();
        for o in outer {
            for &i in idx {
                for j in inner.clone() {
                    out.push(src[(o * len + i) * inner_len + j]);
                }
            }
        }
        out
    }

    #[test]
    fn matches_naive_for_every_inner_range() {
        let (outer_len, len, inner_len) = (3, 7, 4);
        let src: Vec<u32> = (0..(outer_len * len * inner_len) as u32).collect();
        let idx = [6, 0, 1, 2, 2, 5, 3, 4];
        for o0 in 0..outer_len {
            for i0 in 0..inner_len {
                for i1 in i0..=inner_len {
                    let mut out = Vec::new();
                    gather_axis(&src, len, inner_len, o0..outer_len, i0..i1, &idx, &mut out);
                    assert_eq!(
                        out,
                        naive(&src, len, inner_len, o0..outer_len, i0..i1, &idx)
                    );
                }
            }
        }
    }

    #[test]
    fn blocked_source_matches_whole() {
        let (outer_len, len, inner_len) = (2, 9, 3);
        let src: Vec<u32> = (0..(outer_len * len * inner_len) as u32).collect();
        let idx = [8, 0, 1, 2, 2, 5, 3, 4, 7, 6];
        for lens in [
            vec![9],
            vec![3, 3, 3],
            vec![4, 4, 1],
            vec![1, 0, 5, 3],
            vec![2, 7],
        ] {
            let at = BlockLocator::new(&lens);
            let mut start = 0;
            let blocks: Vec<Vec<u32>> = lens
                .iter()
                .map(|&n| {
                    let b = (0..outer_len)
                        .flat_map(|o| {
                            let from = (o * len + start) * inner_len;
                            src[from..from + n * inner_len].to_vec()
                        })
                        .collect();
                    start += n;
                    b
                })
                .collect();
            let views: Vec<&[u32]> = blocks.iter().map(Vec::as_slice).collect();
            for (i0, i1) in [(0, 3), (1, 2), (0, 0)] {
                let mut out = Vec::new();
                gather_axis_blocks(
                    &views,
                    &lens,
                    &at,
                    inner_len,
                    0..outer_len,
                    i0..i1,
                    &idx,
                    &mut out,
                );
                assert_eq!(
                    out,
                    naive(&src, len, inner_len, 0..outer_len, i0..i1, &idx),
                    "{lens:?}"
                );
            }
        }
    }

    #[test]
    fn runs_of_empty_and_repeats() {
        assert_eq!(runs(&[]).count(), 0);
        let r: Vec<_> = runs(&[3, 3, 4]).collect();
        assert_eq!(r, vec![(3, 1), (3, 2)]);
    }
}
