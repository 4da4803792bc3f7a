//! The streaming gather: for inputs too large to hold whole, each source block is
//! read once and its rows are scattered into the output groups that need them.
//!
//! Output chunks (along the index) are packed into *groups* whose buffers fit a
//! byte budget. For each group, the positions are counting-sorted by source block
//! in O(n + m); a chain of scatter steps, one per touched source block, fills the
//! group's buffer in place; then each output chunk is cut from its group.
//! The plan holds one entry per index plus one offset per (group, source block):
//! never one entry per (index, block) pair beyond that.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::error::Result;
use crate::expr::GatherSpec;
use crate::ship::side::DataVec;

/// One group of consecutive output chunks and its positions sorted by source block.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScatterGroup {
    /// Output chunks (along the first index axis) in the group.
    pub chunks: Range<usize>,
    /// Index positions the group covers (C order over the index).
    pub positions: Range<usize>,
    /// Group-relative positions, sorted by source block (counting sort).
    pub order: DataVec<u32>,
    /// `order[offsets[s]..offsets[s + 1]]` come from source block `s`.
    #[serde(with = "crate::ship::binary_only")]
    pub offsets: Vec<u32>,
    /// Source blocks with at least one position, ascending.
    pub touched: Vec<usize>,
}

/// The scatter chains of one gather.
#[derive(Debug, Serialize, Deserialize)]
pub struct ScatterStage {
    /// What is gathered.
    pub spec: Arc<GatherSpec>,
    /// The input's chunks (axes after the first gathered one are whole).
    pub source: Chunks,
    /// The output's chunks.
    pub out: Chunks,
    /// The groups.
    pub groups: Arc<Vec<ScatterGroup>>,
    /// Groups fill one after another, each reading the source again (the
    /// groups together would not fit the memory limit), instead of in
    /// lockstep, each source block read once.
    pub reread: bool,
    /// The stage computing the source blocks.
    pub source_stage: usize,
}

impl ScatterStage {
    /// What chain step `block` (outer blocks, group, source block, inner
    /// blocks) of stage `own` reads: its previous step, if any, then its
    /// source block.
    pub fn reads(&self, own: usize, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        let (a, naxes) = (self.spec.axis, self.spec.naxes);
        let (g, s) = (block[a], block[a + 1]);
        let touched = &self.groups[g].touched;
        let mut reads = Vec::with_capacity(2);
        let step = touched.partition_point(|&t| t < s);
        if step > 0 {
            let mut prev = block.to_vec();
            prev[a + 1] = touched[step - 1];
            reads.push((own, prev));
        }
        let mut source = block[..a].to_vec();
        source.push(s);
        source.extend(std::iter::repeat_n(0, naxes - 1));
        source.extend_from_slice(&block[a + 2..]);
        reads.push((self.source_stage, source));
        reads
    }

    /// Bytes of the group buffer chain step `block` fills.
    pub fn buffer_bytes(&self, block: &[usize], itemsize: usize) -> u64 {
        let (a, naxes) = (self.spec.axis, self.spec.naxes);
        let other: u64 = (0..self.source.ndim())
            .filter(|&ax| ax < a || ax >= a + naxes)
            .zip(block[..a].iter().chain(&block[a + 2..]))
            .map(|(ax, &b)| self.source.lens(ax)[b] as u64)
            .product();
        self.groups[block[a]].positions.len() as u64 * other * itemsize as u64
    }
}

/// Cutting output chunks out of the groups' buffers.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExtractStage {
    /// The scatter stage whose chains it reads.
    pub scatter: usize,
    /// What is gathered.
    pub spec: Arc<GatherSpec>,
    /// The output's chunks.
    pub out: Chunks,
    /// The groups (shared with the scatter stage).
    pub groups: Arc<Vec<ScatterGroup>>,
}

/// The scatter chain an extract task reads the last step of.
pub struct Chain {
    /// Outer blocks (axes before the gathered ones).
    pub outer: Vec<usize>,
    /// Inner blocks (axes after them).
    pub inner: Vec<usize>,
    /// The group holding the output chunk.
    pub group: usize,
}

impl ExtractStage {
    /// The chain output block `block` is cut from, and the block of the
    /// chain's last step; `None` for a group no source block touches.
    pub fn chain(&self, block: &[usize]) -> Option<(Chain, Vec<usize>)> {
        let (a, k) = (self.spec.axis, self.spec.index_shape.len());
        let chunk = if k == 0 { 0 } else { block[a] };
        let group = self.groups.partition_point(|g| g.chunks.end <= chunk);
        let last = *self.groups[group].touched.last()?;
        let (outer, inner) = (block[..a].to_vec(), block[a + k..].to_vec());
        let mut step = outer.clone();
        step.extend([group, last]);
        step.extend_from_slice(&inner);
        Some((
            Chain {
                outer,
                inner,
                group,
            },
            step,
        ))
    }
}

/// Number of rows of the combined gathered axes per row of the first one.
pub fn row_factor(spec: &GatherSpec, source_shape: &[usize]) -> usize {
    source_shape[spec.axis + 1..spec.axis + spec.naxes]
        .iter()
        .product()
}

/// Bytes of a group buffer per index position: the largest block of `source`
/// along the axes that are not gathered.
pub fn position_bytes(spec: &GatherSpec, source: &Chunks, elem_bytes: usize) -> u64 {
    let a = spec.axis;
    let other: usize = (0..source.ndim())
        .filter(|&ax| ax < a || ax >= a + spec.naxes)
        .map(|ax| source.lens(ax).iter().copied().max().unwrap_or(0))
        .product::<usize>()
        .max(1);
    (other * elem_bytes).max(1) as u64
}

/// Groups the output chunks of `spec` (chunks `out`) so that each group's
/// buffer, for the largest outer and inner blocks of `source`, fits `budget` bytes,
/// and counting-sorts each group's positions by source block.
pub fn plan_groups(
    spec: &GatherSpec,
    source: &Chunks,
    out: &Chunks,
    elem_bytes: usize,
    budget: u64,
) -> Result<Vec<ScatterGroup>> {
    let index = spec.index.as_slice()?;
    let a = spec.axis;
    let k = spec.index_shape.len();
    let per_row: usize = spec.index_shape.iter().skip(1).product::<usize>().max(1);
    let bytes_per_position = position_bytes(spec, source, elem_bytes);
    let factor = row_factor(spec, &source.shape());
    let offsets = source.offsets(a);
    let m = source.lens(a).len();
    let index_chunks: &[usize] = if k == 0 { &[1] } else { out.lens(a) };
    let mut groups = Vec::new();
    let mut first_chunk = 0;
    let mut start = 0;
    while first_chunk < index_chunks.len() {
        let mut end_chunk = first_chunk;
        let mut end = start;
        loop {
            let next = end + index_chunks[end_chunk] * per_row;
            let fits = (next - start) as u64 * bytes_per_position <= budget
                && next - start <= u32::MAX as usize;
            if end_chunk > first_chunk && !fits {
                break;
            }
            end = next;
            end_chunk += 1;
            if end_chunk == index_chunks.len() {
                break;
            }
        }
        groups.push(sort_group(
            &index[start..end],
            factor,
            offsets,
            m,
            first_chunk..end_chunk,
            start..end,
        ));
        first_chunk = end_chunk;
        start = end;
    }
    Ok(groups)
}

/// Counting sort of a group's positions by the source block of their index.
fn sort_group(
    index: &[usize],
    factor: usize,
    offsets: &[usize],
    m: usize,
    chunks: Range<usize>,
    positions: Range<usize>,
) -> ScatterGroup {
    // Regular chunks locate by division; irregular ones by binary search.
    let first = offsets.get(1).copied().unwrap_or(1).max(1);
    let regular = (1..m).all(|s| offsets[s] == s * first);
    let block_of = |l: usize| {
        let row = l / factor.max(1);
        if regular {
            (row / first).min(m - 1)
        } else {
            offsets.partition_point(|&o| o <= row) - 1
        }
    };
    let mut counts = vec![0u32; m + 1];
    for &l in index {
        counts[block_of(l) + 1] += 1;
    }
    for s in 0..m {
        counts[s + 1] += counts[s];
    }
    let offsets_out = counts.clone();
    let mut order = vec![0u32; index.len()];
    let mut next = counts;
    for (p, &l) in index.iter().enumerate() {
        let s = block_of(l);
        order[next[s] as usize] = p as u32;
        next[s] += 1;
    }
    let touched = (0..m)
        .filter(|&s| offsets_out[s + 1] > offsets_out[s])
        .collect();
    ScatterGroup {
        chunks,
        positions,
        order: order.into(),
        offsets: offsets_out,
        touched,
    }
}
