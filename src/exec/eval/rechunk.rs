//! Assembles an output block of a rechunk from the input blocks it overlaps.

use std::mem::MaybeUninit;
use std::ops::Range;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn, SliceInfoElem};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::huge_pages;
use crate::plan::rechunk::RechunkStage;

/// Where one input block's overlap goes: the block, the overlap's ranges in
/// it, and the same overlap's ranges in the output block.
type Part<'a> = (&'a DynArray, Vec<Range<usize>>, Vec<Range<usize>>);

/// Runs `r` at `block`; `deps` are the overlapping input blocks in C order
/// (none when the input is resident).
pub fn run(r: &RechunkStage, dtype: DType, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let out_ranges = r.to.block_ranges(block);
    let shape: Vec<usize> = out_ranges.iter().map(Range::len).collect();
    let inputs = r.input_blocks(block);
    let mut parts: Vec<Part> = Vec::with_capacity(inputs.len());
    for (k, idx) in inputs.iter().enumerate() {
        let found = match &r.resident {
            Some(blocks) => blocks.get(r.from.ravel(idx)),
            None => match deps.get(k).map(|d| &**d) {
                Some(Value::Block(b)) => Some(b),
                _ => None,
            },
        };
        let src = found
            .ok_or_else(|| Error::invalid("rechunk", format!("input block {idx:?} is missing")))?;
        let in_ranges = r.from.block_ranges(idx);
        let mut src_local = Vec::with_capacity(shape.len());
        let mut dst_local = Vec::with_capacity(shape.len());
        for (o, i) in out_ranges.iter().zip(&in_ranges) {
            let (lo, hi) = (o.start.max(i.start), o.end.min(i.end));
            src_local.push(lo - i.start..hi.max(lo) - i.start);
            dst_local.push(lo - o.start..hi.max(lo) - o.start);
        }
        parts.push((src, src_local, dst_local));
    }
    with_dtype!(dtype, T => assemble::<T>(&shape, &parts).map(|a| Value::Block(T::wrap(a))))
}

/// The block of `shape` made of `parts`, written once each into a fresh buffer
/// (advised for huge pages, never zero-filled).
fn assemble<T: Element>(shape: &[usize], parts: &[Part]) -> Result<ArrayD<T>> {
    let n: usize = shape.iter().product();
    let mut buf: Vec<MaybeUninit<T>> = Vec::with_capacity(n);
    huge_pages::advise(&mut buf);
    buf.resize_with(n, MaybeUninit::uninit);
    let mut out = ArrayD::from_shape_vec(IxDyn(shape), buf)
        .map_err(|e| Error::invalid("rechunk", e.to_string()))?;
    for (src, src_ranges, dst_ranges) in parts {
        let src = T::unwrap_ref(src).ok_or_else(|| Error::DtypeMismatch {
            op: "rechunk".into(),
            expected: T::DTYPE.to_string(),
            found: src.dtype().to_string(),
        })?;
        src.slice(slice_info(src_ranges).as_slice())
            .assign_to(out.slice_mut(slice_info(dst_ranges).as_slice()));
    }
    // SAFETY: the parts tile the output block. Along each axis the input blocks
    // of the box are consecutive and their overlaps with the output range
    // partition it, so the boxes of overlaps cover every element, and each was
    // written above.
    Ok(unsafe { out.assume_init() })
}

fn slice_info(ranges: &[Range<usize>]) -> Vec<SliceInfoElem> {
    ranges
        .iter()
        .map(|r| SliceInfoElem::from(ndarray::Slice::from(r.clone())))
        .collect()
}
