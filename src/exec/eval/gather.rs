//! Computes one block of a gather from its resident (standard-layout) input.

use std::borrow::Cow;
use std::ops::Range;

use ndarray::{ArrayD, IxDyn};
use ndchunk_kernels::append::{Append, SliceWriter};
use ndchunk_kernels::gather::{gather_axis, gather_axis_blocks, BlockLocator};

use crate::block::{DynArray, DynSliceMut};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::exec::eval::fused::RowMap;
use crate::expr::GatherSpec;
use crate::grid::box_indices;

/// Flat (C-order) range of the box `ranges` in `shape` when the box is one
/// contiguous run, i.e. every axis after the last partial one is whole and every
/// axis before it has at most one index.
pub fn flat_range(shape: &[usize], ranges: &[Range<usize>]) -> Option<Range<usize>> {
    if let Some(k) = (0..shape.len())
        .rev()
        .find(|&a| ranges[a].len() != shape[a])
    {
        if (0..k).any(|a| ranges[a].len() > 1) {
            return None;
        }
    }
    let len: usize = ranges.iter().map(Range::len).product();
    if len == 0 {
        return Some(0..0);
    }
    let start = ranges
        .iter()
        .zip(shape)
        .fold(0, |acc, (r, &n)| acc * n + r.start);
    Some(start..start + len)
}

/// The C-order flat positions of the box `ranges` in `shape`.
fn box_positions(shape: &[usize], ranges: &[Range<usize>]) -> Vec<usize> {
    if let Some(r) = flat_range(shape, ranges) {
        return r.collect();
    }
    box_indices(ranges)
        .iter()
        .map(|ix| ix.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i))
        .collect()
}

/// The input positions a block reads: the index entries in the box `index_ranges`.
fn selected_indices<'a>(
    spec: &'a GatherSpec,
    index_ranges: &[Range<usize>],
) -> Result<Cow<'a, [usize]>> {
    match flat_range(&spec.index_shape, index_ranges) {
        Some(r) => spec.index.range(r),
        None => {
            let positions = box_positions(&spec.index_shape, index_ranges);
            let (Some(&lo), Some(&hi)) = (positions.iter().min(), positions.iter().max()) else {
                return Ok(Cow::Owned(Vec::new()));
            };
            let within = spec.index.range(lo..hi + 1)?;
            Ok(positions
                .iter()
                .map(|&p| within[p - lo])
                .collect::<Vec<_>>()
                .into())
        }
    }
}

/// When block `block` of the gather is, row by row, whole inner runs of one outer
/// position of the input (always so for a gather along axis 0 of an input not
/// split along its inner axes), the row length and the map to read it in place.
pub fn gather_rows<'a>(
    spec: &'a GatherSpec,
    source_shape: &[usize],
    chunks: &Chunks,
    block: &[usize],
) -> Result<Option<(usize, RowMap<'a>)>> {
    let ranges = chunks.block_ranges(block);
    let (a, k) = (spec.axis, spec.index_shape.len());
    let outer = box_positions(&source_shape[..a], &ranges[..a]);
    let inner_shape = &source_shape[a + spec.naxes..];
    let Some(inner) = flat_range(inner_shape, &ranges[a + k..]) else {
        return Ok(None);
    };
    let [o] = outer.as_slice() else {
        return Ok(None);
    };
    let len: usize = source_shape[a..a + spec.naxes].iter().product();
    let inner_len: usize = inner_shape.iter().product();
    let index_ranges = &ranges[a..a + k];
    let selected = selected_indices(spec, index_ranges)?;
    Ok((!inner.is_empty()).then(|| {
        (
            inner.len(),
            RowMap::Gather {
                selected,
                base: o * len * inner_len + inner.start,
                stride: inner_len,
            },
        )
    }))
}

/// The input a gather reads, held whole: its blocks in order along the gathered
/// axis (its only split axis), their lengths along it, and its shape.
pub struct GatherInput<'a> {
    /// The blocks, standard layout.
    pub blocks: Vec<&'a DynArray>,
    /// Each block's length along the gathered axis.
    pub block_lens: &'a [usize],
    /// The whole input's shape.
    pub shape: &'a [usize],
}

impl GatherInput<'_> {
    /// The first block, whose dtype the gather dispatches on.
    fn first(&self, spec: &GatherSpec) -> Result<&DynArray> {
        self.blocks
            .first()
            .copied()
            .ok_or_else(|| Error::invalid(&spec.origin, "the input has no blocks"))
    }

    /// The blocks' data as `T`, each checked against its expected shape.
    fn typed<T: Element>(&self, spec: &GatherSpec) -> Result<Vec<&[T]>> {
        if self.blocks.len() != self.block_lens.len() {
            return Err(Error::invalid(
                &spec.origin,
                format!(
                    "{} input blocks, expected {}",
                    self.blocks.len(),
                    self.block_lens.len()
                ),
            ));
        }
        let mut expected = self.shape.to_vec();
        self.blocks
            .iter()
            .zip(self.block_lens)
            .map(|(block, &len)| {
                expected[spec.axis] = len;
                if block.shape() != expected {
                    return Err(Error::invalid(
                        &spec.origin,
                        format!(
                            "input block has shape {:?}, expected {expected:?}",
                            block.shape()
                        ),
                    ));
                }
                T::unwrap_ref(block)
                    .and_then(|a| a.as_slice())
                    .ok_or_else(|| {
                        Error::invalid(
                            &spec.origin,
                            "input block is not a standard-layout block of the gather's dtype",
                        )
                    })
            })
            .collect()
    }
}

/// Block `block` (of the gather output chunked by `chunks`) of `spec` applied to
/// `input`.
pub fn gather_block(
    spec: &GatherSpec,
    input: &GatherInput,
    chunks: &Chunks,
    block: &[usize],
) -> Result<DynArray> {
    let out_shape = chunks.block_shape(block);
    dyn_match!(input.first(spec)?, _s: T => {
        let mut out: Vec<T> = crate::exec::pool::take(out_shape.iter().product());
        gather_into(spec, input, chunks, block, &mut out)?;
        ArrayD::from_shape_vec(IxDyn(&out_shape), out)
            .map(T::wrap)
            .map_err(|e| Error::invalid(&spec.origin, e.to_string()))
    })
}

/// [`gather_block`] written in C order into `dest`, which holds exactly the
/// block's elements.
pub fn gather_block_into(
    spec: &GatherSpec,
    input: &GatherInput,
    chunks: &Chunks,
    block: &[usize],
    dest: DynSliceMut,
) -> Result<()> {
    let count: usize = chunks.block_shape(block).iter().product();
    dyn_match!(input.first(spec)?, _s: T => {
        let dest = dest.typed::<T>(count, &spec.origin)?;
        let mut out = SliceWriter::new(dest);
        gather_into(spec, input, chunks, block, &mut out)?;
        if out.written() != count {
            return Err(Error::invalid(&spec.origin, "gathered block is short"));
        }
        Ok(())
    })
}

fn gather_into<T: Element>(
    spec: &GatherSpec,
    input: &GatherInput,
    chunks: &Chunks,
    block: &[usize],
    out: &mut impl Append<T>,
) -> Result<()> {
    let blocks = input.typed::<T>(spec)?;
    let source_shape = input.shape;
    let ranges = chunks.block_ranges(block);
    let (a, k) = (spec.axis, spec.index_shape.len());
    let outer_shape = &source_shape[..a];
    let inner_shape = &source_shape[a + spec.naxes..];
    let len: usize = source_shape[a..a + spec.naxes].iter().product();
    let inner_len: usize = inner_shape.iter().product();
    let index_ranges = &ranges[a..a + k];
    let inner_ranges = &ranges[a + k..];
    let selected = selected_indices(spec, index_ranges)?;
    let outer = box_positions(outer_shape, &ranges[..a]);
    // Blocks split the first gathered axis; positions count the combined axes.
    let per_row: usize = source_shape[a + 1..a + spec.naxes].iter().product();
    let lens: Vec<usize> = input.block_lens.iter().map(|&n| n * per_row).collect();
    let source = Source {
        at: BlockLocator::new(&lens),
        blocks,
        lens,
        len,
        inner_len,
    };
    match flat_range(inner_shape, inner_ranges) {
        Some(r) => {
            for &o in &outer {
                source.gather(o, r.clone(), &selected, out);
            }
        }
        None => {
            // The inner box is not one run: gather whole inner rows, then cut.
            let inner_positions = box_positions(inner_shape, inner_ranges);
            let mut row = Vec::with_capacity(inner_len);
            for &o in &outer {
                for &i in selected.iter() {
                    row.clear();
                    source.gather(o, 0..inner_len, &[i], &mut row);
                    out.append_iter(inner_positions.iter().map(|&p| row[p]));
                }
            }
        }
    }
    Ok(())
}

/// A gather's input seen as C-order `(outer, len, inner_len)`, whole or split
/// into blocks along `len`.
struct Source<'a, T> {
    blocks: Vec<&'a [T]>,
    lens: Vec<usize>,
    at: BlockLocator,
    len: usize,
    inner_len: usize,
}

impl<T: Copy> Source<'_, T> {
    /// Appends `src[o, i, inner]` for each `i` in `idx`.
    fn gather(&self, o: usize, inner: Range<usize>, idx: &[usize], out: &mut impl Append<T>) {
        let (outer, n) = (o..o + 1, self.inner_len);
        match self.blocks.as_slice() {
            [data] => gather_axis(data, self.len, n, outer, inner, idx, out),
            blocks => gather_axis_blocks(blocks, &self.lens, &self.at, n, outer, inner, idx, out),
        }
    }
}
