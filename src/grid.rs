//! Block-grid arithmetic shared by the planner and the evaluator: which blocks
//! of a chunking a range overlaps, boxes of block indices, and how block
//! indices map under broadcasting and reduction.

use std::ops::Range;

/// The range of blocks along one axis (block boundaries `offsets`) that overlap
/// `[start, end)`. An empty range still names the (possibly empty) block where
/// it starts, so that every output block reads at least one input block.
///
/// ```
/// use ndchunk::grid::overlapping_blocks;
/// assert_eq!(overlapping_blocks(&[0, 3, 6, 7], 2, 4), 0..2);
/// assert_eq!(overlapping_blocks(&[0, 3, 6, 7], 6, 6), 2..3);
/// assert_eq!(overlapping_blocks(&[0, 0], 0, 0), 0..1);
/// ```
pub fn overlapping_blocks(offsets: &[usize], start: usize, end: usize) -> Range<usize> {
    let nblocks = offsets.len() - 1;
    if start >= end {
        let b = offsets
            .partition_point(|&o| o <= start)
            .saturating_sub(1)
            .min(nblocks - 1);
        return b..b + 1;
    }
    let first = offsets.partition_point(|&o| o <= start) - 1;
    let last = offsets.partition_point(|&o| o < end);
    first..last
}

/// Every index in the box `ranges`, in C order.
///
/// ```
/// use ndchunk::grid::box_indices;
/// assert_eq!(box_indices(&[0..2, 1..3]), vec![vec![0, 1], vec![0, 2], vec![1, 1], vec![1, 2]]);
/// assert_eq!(box_indices(&[]), vec![Vec::<usize>::new()]);
/// ```
pub fn box_indices(ranges: &[Range<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::with_capacity(ranges.len())];
    for r in ranges {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                r.clone().map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    out
}

/// The block of an input of shape `leaf_shape` that output block `block` (of an
/// output of `out_ndim` axes) reads under NumPy broadcasting.
///
/// ```
/// use ndchunk::grid::broadcast_block;
/// // A (1, 5) input broadcast against a (4, 3, 5) output: block (2, 1, 3) reads (0, 3).
/// assert_eq!(broadcast_block(&[1, 5], 3, &[2, 1, 3]), vec![0, 3]);
/// ```
pub fn broadcast_block(leaf_shape: &[usize], out_ndim: usize, block: &[usize]) -> Vec<usize> {
    let skip = out_ndim - leaf_shape.len();
    leaf_shape
        .iter()
        .enumerate()
        .map(|(i, &n)| if n == 1 { 0 } else { block[skip + i] })
        .collect()
}

/// A block index of a reduction's result with the reduced `axes` re-inserted as 0.
///
/// ```
/// use ndchunk::grid::expand_reduced;
/// assert_eq!(expand_reduced(&[4, 7], &[1]), vec![4, 0, 7]);
/// ```
pub fn expand_reduced(block: &[usize], axes: &[usize]) -> Vec<usize> {
    let ndim = block.len() + axes.len();
    let mut it = block.iter();
    (0..ndim)
        .map(|a| {
            if axes.contains(&a) {
                0
            } else {
                *it.next().unwrap_or(&0)
            }
        })
        .collect()
}

/// The run length when each kept position of a block of `block_shape` reduced
/// over `axes` owns one contiguous C-order run of elements (every reduced axis
/// longer than 1 comes after every kept axis longer than 1). Such a block is
/// reduced tile by tile as the fused program produces it, without being
/// materialised.
///
/// ```
/// use ndchunk::grid::contiguous_runs;
/// assert_eq!(contiguous_runs(&[3, 4, 5], &[1, 2]), Some(20));
/// assert_eq!(contiguous_runs(&[3, 4, 5], &[0]), None);
/// // A length-1 axis does not split runs.
/// assert_eq!(contiguous_runs(&[3, 1, 5], &[2, 1]), Some(5));
/// ```
pub fn contiguous_runs(block_shape: &[usize], axes: &[usize]) -> Option<usize> {
    let mut reduced_seen = false;
    for (a, &n) in block_shape.iter().enumerate() {
        if n == 1 {
            continue;
        }
        if axes.contains(&a) {
            reduced_seen = true;
        } else if reduced_seen {
            return None;
        }
    }
    Some(axes.iter().map(|&a| block_shape[a]).product())
}

/// The block index with C-order position `linear` in a grid of `grid` blocks.
///
/// ```
/// assert_eq!(ndchunk::grid::unravel(5, &[2, 3]), vec![1, 2]);
/// ```
pub fn unravel(mut linear: usize, grid: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; grid.len()];
    for axis in (0..grid.len()).rev() {
        idx[axis] = linear % grid[axis].max(1);
        linear /= grid[axis].max(1);
    }
    idx
}

/// The block before `block` in C order of a grid of `grid` blocks; `None` for
/// the first.
///
/// ```
/// use ndchunk::grid::previous_in_c_order;
/// assert_eq!(previous_in_c_order(&[1, 0], &[2, 3]), Some(vec![0, 2]));
/// assert_eq!(previous_in_c_order(&[1, 2], &[2, 3]), Some(vec![1, 1]));
/// assert_eq!(previous_in_c_order(&[0, 0], &[2, 3]), None);
/// ```
pub fn previous_in_c_order(block: &[usize], grid: &[usize]) -> Option<Vec<usize>> {
    let mut previous = block.to_vec();
    for axis in (0..previous.len()).rev() {
        if previous[axis] > 0 {
            previous[axis] -= 1;
            return Some(previous);
        }
        previous[axis] = grid[axis].saturating_sub(1);
    }
    None
}
