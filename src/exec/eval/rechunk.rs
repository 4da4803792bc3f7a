//! Assembles an output block of a rechunk from the input blocks it overlaps.

use std::ops::Range;
use std::sync::Arc;

use crate::block::{write_region, DynArray};
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::rechunk::{box_indices, RechunkStage};

/// Runs `r` at `block`; `deps` are the overlapping input blocks in C order
/// (none when the input is resident).
pub fn run(r: &RechunkStage, dtype: DType, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let out_ranges = r.to.block_ranges(block);
    let shape: Vec<usize> = out_ranges.iter().map(Range::len).collect();
    let inputs = box_indices(&r.input_ranges(block));
    let input = |k: usize| -> Result<&DynArray> {
        let found = match &r.resident {
            Some(blocks) => blocks.get(r.from.ravel(&inputs[k])),
            None => match deps.get(k).map(|d| &**d) {
                Some(Value::Block(b)) => Some(b),
                _ => None,
            },
        };
        found.ok_or_else(|| {
            Error::invalid("rechunk", format!("input block {:?} is missing", inputs[k]))
        })
    };
    if inputs.len() == 1 {
        let in_ranges = r.from.block_ranges(&inputs[0]);
        let local: Vec<Range<usize>> = out_ranges
            .iter()
            .zip(&in_ranges)
            .map(|(o, i)| o.start - i.start..o.end - i.start)
            .collect();
        return Ok(Value::Block(input(0)?.region(&local)));
    }
    let mut out = DynArray::zeros(dtype, &shape);
    for (k, idx) in inputs.iter().enumerate() {
        let src = input(k)?;
        let in_ranges = r.from.block_ranges(idx);
        let mut src_local = Vec::with_capacity(shape.len());
        let mut dst_local = Vec::with_capacity(shape.len());
        for (o, i) in out_ranges.iter().zip(&in_ranges) {
            let (lo, hi) = (o.start.max(i.start), o.end.min(i.end));
            src_local.push(lo - i.start..hi.max(lo) - i.start);
            dst_local.push(lo - o.start..hi.max(lo) - o.start);
        }
        let piece = src.region(&src_local);
        dyn_match!(&mut out, dst: T => {
            let p = T::unwrap_ref(&piece).ok_or_else(|| Error::DtypeMismatch {
                op: "rechunk".into(),
                expected: T::DTYPE.to_string(),
                found: piece.dtype().to_string(),
            })?;
            write_region(dst, &dst_local, p);
        });
    }
    Ok(Value::Block(out))
}
