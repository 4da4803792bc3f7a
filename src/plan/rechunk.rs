//! Direct rechunking: each output block is assembled from the input blocks it
//! overlaps, reading each input block once per output block that needs it.

use std::ops::Range;

use serde::Serialize;

use crate::chunks::Chunks;

/// A stage assembling blocks of `to` from blocks of `from`.
#[derive(Debug, Serialize)]
pub struct RechunkStage {
    /// Chunks of the input stage.
    pub from: Chunks,
    /// Chunks of the output.
    pub to: Chunks,
}

/// The range of input blocks along one axis that overlap `[start, end)`.
pub fn overlapping_blocks(offsets: &[usize], start: usize, end: usize) -> Range<usize> {
    let nblocks = offsets.len() - 1;
    if start >= end {
        // An empty output block still reads the (empty) block where it starts.
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

impl RechunkStage {
    /// Per axis, the input block range that output block `block` reads.
    pub fn input_ranges(&self, block: &[usize]) -> Vec<Range<usize>> {
        let ranges = self.to.block_ranges(block);
        ranges
            .iter()
            .enumerate()
            .map(|(axis, r)| overlapping_blocks(self.from.offsets(axis), r.start, r.end))
            .collect()
    }
}

/// Every index in the box `ranges`, in C order.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_cover_the_range() {
        let offsets = [0, 3, 6, 7];
        assert_eq!(overlapping_blocks(&offsets, 0, 3), 0..1);
        assert_eq!(overlapping_blocks(&offsets, 2, 4), 0..2);
        assert_eq!(overlapping_blocks(&offsets, 6, 7), 2..3);
        assert_eq!(overlapping_blocks(&[0, 0], 0, 0), 0..1);
    }

    #[test]
    fn box_indices_are_c_order() {
        assert_eq!(
            box_indices(&[0..2, 1..3]),
            vec![vec![0, 1], vec![0, 2], vec![1, 1], vec![1, 2]]
        );
        assert_eq!(box_indices(&[]), vec![Vec::<usize>::new()]);
    }
}
