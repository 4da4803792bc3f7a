//! Planning a rechunk: each output block is assembled from the input blocks it
//! overlaps (a [`crate::plan::region::RegionStage`]), directly or in two stages.
//!
//! A direct copy task holds its output block and every input block it overlaps.
//! When that working set exceeds the rechunk budget (e.g. (2000, 2000) chunks to
//! (20000, 200): one output block overlaps ten input blocks), [`intermediate_chunks`]
//! plans through an intermediate chunking, as the rechunker algorithm does: a
//! first stage cuts input blocks into pieces, a second assembles output blocks
//! from whole pieces, and both stages' tasks stay within the budget.

use crate::chunks::Chunks;
use crate::grid::overlapping_blocks;

/// The largest working set of a direct rechunk task from `from` to `to`, in
/// elements: its output block plus the input blocks it overlaps. An upper bound
/// (the largest extent along each axis, multiplied).
///
/// ```
/// use ndchunk::Chunks;
/// use ndchunk::plan::rechunk::direct_task_elements;
/// let from = Chunks::regular(&[100, 100], &[10, 10])?;
/// let to = Chunks::regular(&[100, 100], &[100, 1])?;
/// // A 100 x 1 strip, and the ten 10 x 10 blocks it crosses.
/// assert_eq!(direct_task_elements(&from, &to), 100 + 1000);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn direct_task_elements(from: &Chunks, to: &Chunks) -> u64 {
    let (mut out, mut read) = (1u64, 1u64);
    for axis in 0..to.ndim() {
        let (offsets, to_offsets) = (from.offsets(axis), to.offsets(axis));
        let (mut max_out, mut max_read) = (0, 0);
        for w in to_offsets.windows(2) {
            let r = overlapping_blocks(offsets, w[0], w[1]);
            max_out = max_out.max(w[1] - w[0]);
            max_read = max_read.max(offsets[r.end] - offsets[r.start]);
        }
        out *= max_out as u64;
        read *= max_read as u64;
    }
    out + read
}

/// Intermediate chunks for rechunking `from` to `to` when a direct task would
/// hold more than `budget` bytes (elements of `itemsize` bytes); `None` when the
/// direct copy fits, or when no intermediate lowers its working set.
///
/// The intermediate starts as the common refinement of both chunkings (every
/// boundary of either), so that each piece lies in one input block and in one
/// output block: the first stage's tasks hold one input block and one piece,
/// the second's one output block and its pieces. While the refinement has many
/// more blocks than both ends together, neighbouring pieces are merged along the axis
/// that keeps the working set lowest, as long as it stays within the budget.
///
/// ```
/// use ndchunk::Chunks;
/// use ndchunk::plan::rechunk::intermediate_chunks;
/// let from = Chunks::regular(&[20000, 20000], &[2000, 2000])?;
/// let to = Chunks::regular(&[20000, 20000], &[20000, 200])?;
/// // A direct task holds 16 MB out and 160 MB in: over a 64 MiB budget.
/// let mid = intermediate_chunks(&from, &to, 4, 64 << 20).expect("two stages");
/// // The refinement (2000, 200) has 1000 pieces; pairs along axis 0 are merged
/// // to keep the graph under four times both ends (800 blocks).
/// assert_eq!(mid, Chunks::regular(&[20000, 20000], &[4000, 200])?);
/// assert_eq!(intermediate_chunks(&from, &to, 4, 256 << 20), None);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn intermediate_chunks(
    from: &Chunks,
    to: &Chunks,
    itemsize: usize,
    budget: u64,
) -> Option<Chunks> {
    let bytes = |elements: u64| elements.saturating_mul(itemsize as u64);
    let direct = bytes(direct_task_elements(from, to));
    if direct <= budget || from.shape().contains(&0) {
        return None;
    }
    let cost =
        |mid: &Chunks| bytes(direct_task_elements(from, mid).max(direct_task_elements(mid, to)));
    let mut mid = common_refinement(from, to);
    let mut mid_cost = cost(&mid);
    if mid_cost >= direct {
        return None;
    }
    // As dask's planner: a graph up to four times both ends together is fine.
    let enough_blocks = 4 * (from.nblocks() + to.nblocks());
    while mid.nblocks() > enough_blocks {
        let best = (0..mid.ndim())
            .filter(|&axis| mid.lens(axis).len() > 1)
            .map(|axis| {
                let merged = merge_pairs(&mid, axis);
                (cost(&merged), merged)
            })
            .min_by_key(|(c, _)| *c);
        match best {
            Some((c, merged)) if c <= budget.max(mid_cost) => {
                mid = merged;
                mid_cost = c;
            }
            _ => break,
        }
    }
    Some(mid)
}

/// The chunks whose boundaries are those of `a` and of `b` together.
fn common_refinement(a: &Chunks, b: &Chunks) -> Chunks {
    let lens = (0..a.ndim())
        .map(|axis| {
            let mut bounds: Vec<usize> = a
                .offsets(axis)
                .iter()
                .chain(b.offsets(axis))
                .copied()
                .collect();
            bounds.sort_unstable();
            bounds.dedup();
            let lens: Vec<usize> = bounds.windows(2).map(|w| w[1] - w[0]).collect();
            if lens.is_empty() {
                vec![0]
            } else {
                lens
            }
        })
        .collect();
    Chunks::from_checked(lens)
}

/// `chunks` with neighbouring blocks along `axis` merged two by two.
fn merge_pairs(chunks: &Chunks, axis: usize) -> Chunks {
    let mut lens = chunks.all_lens().to_vec();
    lens[axis] = lens[axis].chunks(2).map(|p| p.iter().sum()).collect();
    Chunks::from_checked(lens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(lens: &[&[usize]]) -> Chunks {
        Chunks::new(lens.iter().map(|l| l.to_vec()).collect()).unwrap()
    }

    #[test]
    fn direct_working_set_counts_overlapped_inputs() {
        // Output blocks of 4 overlap at most two input blocks of 3 (6 elements).
        let from = chunks(&[&[3, 3, 3, 1]]);
        let to = chunks(&[&[4, 4, 2]]);
        assert_eq!(direct_task_elements(&from, &to), 4 + 6);
        let square = chunks(&[&[2, 2], &[2, 2]]);
        let rows = chunks(&[&[4], &[1, 1, 1, 1]]);
        assert_eq!(direct_task_elements(&square, &rows), 4 + 4 * 2);
    }

    #[test]
    fn intermediate_pieces_lie_in_one_block_of_each_end() {
        let from = chunks(&[&[5, 5, 5], &[7, 7]]);
        let to = chunks(&[&[15], &[2, 2, 2, 2, 2, 2, 2]]);
        let mid = intermediate_chunks(&from, &to, 8, 8 * 60).expect("an intermediate");
        assert_eq!(mid, common_refinement(&from, &to));
        assert_eq!(mid.lens(0), &[5, 5, 5]);
        assert_eq!(mid.lens(1), &[2, 2, 2, 1, 1, 2, 2, 2]);
        assert!(direct_task_elements(&from, &mid) * 8 <= 8 * 60);
        assert!(direct_task_elements(&mid, &to) * 8 <= 8 * 60);
    }

    #[test]
    fn transposed_strips_are_merged_to_a_moderate_count() {
        // (1, n) rows to (n, 1) columns: the refinement has n * n single elements.
        let n = 64;
        let from = Chunks::regular(&[n, n], &[1, n]).unwrap();
        let to = Chunks::regular(&[n, n], &[n, 1]).unwrap();
        let budget = 16 * n as u64;
        let mid = intermediate_chunks(&from, &to, 1, budget).expect("an intermediate");
        assert!(mid.nblocks() <= 8 * n, "{mid}");
        let cost = direct_task_elements(&from, &mid).max(direct_task_elements(&mid, &to));
        assert!(cost <= budget, "{mid}: {cost}");
    }

    #[test]
    fn no_intermediate_when_direct_fits_or_nothing_helps() {
        let from = chunks(&[&[4, 4]]);
        let to = chunks(&[&[8]]);
        assert_eq!(intermediate_chunks(&from, &to, 1, 12), None);
        // Merging two blocks into one: pieces are the input blocks themselves.
        assert_eq!(intermediate_chunks(&from, &to, 1, 1), None);
        let empty = chunks(&[&[0], &[3]]);
        assert_eq!(
            intermediate_chunks(&empty, &chunks(&[&[0], &[1, 2]]), 1, 0),
            None
        );
    }
}
