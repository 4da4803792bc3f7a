//! Region stages: each output block is a box of the input, possibly beyond its
//! edges (filled by a boundary rule), read through an affine view. Rechunks,
//! views, pads and joins are all region stages, so one routine
//! (`exec::eval::region`) assembles their blocks, and so are `overlap` and
//! `trim_internal`, whose boxes are given per block instead of by a view.
//!
//! Coordinates: the *input* is the stage's sources laid end to end along the
//! join axis (one source unless joined), cut by `from`; the *grown* input is
//! that input with the pad widths added on each side. The view maps output
//! indices to grown-input indices.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::expr::{BoxSpec, PadSpec, ViewSpec};
use crate::grid::{box_indices, overlapping_blocks};
use crate::plan::Source;

/// A stage assembling each block of `to` from the input blocks its box overlaps.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegionStage {
    /// How output indices map to grown-input indices (the identity for a
    /// rechunk, a pad or a join).
    pub spec: Arc<ViewSpec>,
    /// Chunks of the input (for one resident source, the source's own).
    pub from: Chunks,
    /// Chunks of the output.
    pub to: Chunks,
    /// Where the input is: one source, or several joined (see `join`).
    pub sources: Vec<Source>,
    /// For several sources: how they are laid end to end.
    pub join: Option<Join>,
    /// Elements beyond the input's edges, and how they are filled.
    pub pad: Option<PadSpec>,
    /// For `overlap` and `trim_internal`: each output block's box, given per
    /// axis in grown-input indices, instead of through the view (which is
    /// then the identity; `pad` is the boxes' own).
    pub boxes: Option<Arc<BoxSpec>>,
}

/// Sources laid end to end along an axis.
#[derive(Debug, Serialize, Deserialize)]
pub struct Join {
    /// The joined axis.
    pub axis: usize,
    /// `first_block[k]`: the block of `from` (along `axis`) where source `k`
    /// starts; one more entry for the end.
    pub first_block: Vec<usize>,
}

impl RegionStage {
    /// A rechunk of `source` from `from` to `to`.
    pub fn rechunk(from: Chunks, to: Chunks, source: Source) -> RegionStage {
        RegionStage {
            spec: Arc::new(ViewSpec::identity(from.ndim(), "rechunk")),
            from,
            to,
            sources: vec![source],
            join: None,
            pad: None,
            boxes: None,
        }
    }

    /// What the stage does, as `explain()` prints it.
    pub fn label(&self) -> &'static str {
        if let Some(b) = &self.boxes {
            return b.kind.name();
        }
        match (&self.join, &self.pad) {
            (Some(_), _) => "concat",
            (None, Some(_)) => "pad",
            (None, None) if self.spec.is_identity() && self.from.shape() == self.to.shape() => {
                "rechunk"
            }
            (None, None) => "view",
        }
    }

    /// True for a rechunk of another stage's blocks (whose tasks are created
    /// next to the ones sharing their inputs, see `Lowering::rechunk_siblings`).
    pub fn is_rechunk_of_stage(&self) -> bool {
        self.label() == "rechunk" && matches!(self.sources[..], [Source::Stage(_)])
    }

    /// Per grown-input axis, the indices output block `block` reads; `None`
    /// when the block is empty (it reads nothing).
    pub fn grown_box(&self, block: &[usize]) -> Option<Vec<Range<usize>>> {
        let out = self.to.block_ranges(block);
        if out.iter().any(Range::is_empty) {
            return None;
        }
        if let Some(b) = &self.boxes {
            return Some(
                b.boxes
                    .iter()
                    .zip(block)
                    .map(|(axis, &i)| axis[i].clone())
                    .collect(),
            );
        }
        let mut ranges: Vec<Range<usize>> = vec![0..1; self.spec.input_ndim];
        for (j, r) in out.iter().enumerate() {
            if let (crate::expr::ViewAxis::Input { axis, .. }, Some(r)) =
                (self.spec.axes[j], self.spec.input_range(j, r))
            {
                ranges[axis] = r;
            }
        }
        for &(axis, i) in &self.spec.fixed {
            ranges[axis] = i..i + 1;
        }
        Some(ranges)
    }

    /// Elements added before the input along `axis`.
    pub fn before(&self, axis: usize) -> usize {
        self.pad.as_ref().map_or(0, |p| p.widths[axis].0)
    }

    /// When the grown box `grown` lies inside the input: the same box in
    /// input indices.
    pub fn interior(&self, grown: &[Range<usize>]) -> Option<Vec<Range<usize>>> {
        grown
            .iter()
            .enumerate()
            .map(|(axis, r)| {
                let (before, n) = (self.before(axis), self.from.shape()[axis]);
                (r.start >= before && r.end <= before + n).then(|| r.start - before..r.end - before)
            })
            .collect()
    }

    /// Per input axis, the input indices the grown box `grown` reads (their
    /// hull); `None` when it reads none (every element is a constant).
    pub fn source_box(&self, grown: &[Range<usize>]) -> Option<Vec<Range<usize>>> {
        if let Some(inside) = self.interior(grown) {
            return Some(inside);
        }
        let pad = self.pad.as_ref()?;
        grown
            .iter()
            .enumerate()
            .map(|(axis, r)| {
                let (before, n) = (self.before(axis) as isize, self.from.shape()[axis]);
                let read = r
                    .clone()
                    .filter_map(|c| pad.rules[axis].source_index(c as isize - before, n));
                let (lo, hi) = read.fold((usize::MAX, 0), |(lo, hi), i| (lo.min(i), hi.max(i + 1)));
                (lo < hi).then_some(lo..hi)
            })
            .collect()
    }

    /// Per input axis, the blocks of `from` output block `block` reads.
    fn input_ranges(&self, block: &[usize]) -> Option<Vec<Range<usize>>> {
        let source = self.source_box(&self.grown_box(block)?)?;
        Some(
            source
                .iter()
                .enumerate()
                .map(|(axis, r)| overlapping_blocks(self.from.offsets(axis), r.start, r.end))
                .collect(),
        )
    }

    /// The blocks of `from` output block `block` reads, in C order.
    pub fn input_blocks(&self, block: &[usize]) -> Vec<Vec<usize>> {
        self.input_ranges(block)
            .map(|r| box_indices(&r))
            .unwrap_or_default()
    }

    /// The source holding block `idx` of `from`, the block's index in that
    /// source, and the source's first index along the join axis.
    pub fn source_of(&self, idx: &[usize]) -> (usize, Vec<usize>, usize) {
        let Some(join) = &self.join else {
            return (0, idx.to_vec(), 0);
        };
        let b = idx[join.axis];
        let k = join.first_block.partition_point(|&f| f <= b) - 1;
        let mut local = idx.to_vec();
        local[join.axis] = b - join.first_block[k];
        let start = self.from.offsets(join.axis)[join.first_block[k]];
        (k, local, start)
    }

    /// The (stage, block) pairs output block `block` reads, in the order of
    /// [`RegionStage::input_blocks`] (resident sources are not tasks).
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        self.input_blocks(block)
            .iter()
            .filter_map(|idx| {
                let (k, local, _) = self.source_of(idx);
                match &self.sources[k] {
                    Source::Stage(s) => Some((*s, local)),
                    Source::Resident(_) => None,
                }
            })
            .collect()
    }

    /// True when output block `block` is one input block unchanged: the task
    /// passes it on (moving it when it is the block's last consumer).
    pub fn passes_through(&self, block: &[usize]) -> bool {
        if !self.spec.is_identity() {
            return false;
        }
        let Some(inside) = self.grown_box(block).and_then(|g| self.interior(&g)) else {
            return false;
        };
        match self.input_blocks(block).as_slice() {
            [idx] => {
                let (k, _, _) = self.source_of(idx);
                matches!(self.sources[k], Source::Stage(_)) && self.from.block_ranges(idx) == inside
            }
            _ => false,
        }
    }

    /// For a rechunk: the output blocks that read some input block that
    /// output block `block` reads (`block` included), in C order.
    ///
    /// ```
    /// use ndchunk::Chunks;
    /// use ndchunk::plan::{region::RegionStage, Source};
    /// let from = Chunks::regular(&[4, 4], &[2, 2])?;
    /// let stage = RegionStage::rechunk(from, Chunks::regular(&[4, 4], &[4, 1])?, Source::Stage(0));
    /// // Column 0 reads input blocks (0, 0) and (1, 0), which column 1 reads too.
    /// assert_eq!(stage.sharing_inputs(&[0, 0]), vec![vec![0, 0], vec![0, 1]]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn sharing_inputs(&self, block: &[usize]) -> Vec<Vec<usize>> {
        let Some(inputs) = self.input_ranges(block) else {
            return vec![block.to_vec()];
        };
        let ranges: Vec<Range<usize>> = inputs
            .iter()
            .enumerate()
            .map(|(axis, r)| {
                let offsets = self.from.offsets(axis);
                overlapping_blocks(self.to.offsets(axis), offsets[r.start], offsets[r.end])
            })
            .collect();
        box_indices(&ranges)
    }
}
