//! The two halves of a rechunk through disk (see [`crate::plan::disk`]):
//! an input block written to its file, and an output block read from the
//! parts of the files it overlaps.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use ndarray::ArrayD;

use super::region::slice_info;
use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::disk::{DiskPhase, DiskRechunkStage};
use crate::ship::{c_order_bytes, from_c_order_bytes};

/// Runs the task at `block` of `stage`.
pub fn run(
    stage: &DiskRechunkStage,
    dtype: DType,
    block: &[usize],
    deps: Vec<Arc<Value>>,
) -> Result<Value> {
    match stage.phase {
        DiskPhase::Write => {
            let value = deps
                .into_iter()
                .next()
                .ok_or_else(|| Error::invalid("rechunk", "no block to write"))?;
            write(stage, block, &Value::take_block(value, "rechunk")?)?;
            Ok(Value::Written)
        }
        DiskPhase::Barrier => Ok(Value::Written),
        DiskPhase::Read => read(stage, dtype, block).map(Value::Block),
    }
}

fn io_error(what: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Executor(format!(
        "rechunk through disk: {what} {}: {e}",
        path.display()
    ))
}

/// Writes input block `block` to its file (a temporary name, then renamed:
/// a reader never sees part of a block).
fn write(stage: &DiskRechunkStage, block: &[usize], data: &DynArray) -> Result<()> {
    let dir = &stage.dir.path;
    std::fs::create_dir_all(dir).map_err(|e| io_error("cannot make", dir, e))?;
    let path = stage.dir.file(&stage.from, block);
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&tmp, c_order_bytes(data)).map_err(|e| io_error("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io_error("cannot commit", &path, e))
}

/// Output block `block`: for each input block it overlaps, the overlap read
/// from that block's file in runs contiguous there, placed in the output.
fn read(stage: &DiskRechunkStage, dtype: DType, block: &[usize]) -> Result<DynArray> {
    with_dtype!(dtype, T => read_typed::<T>(stage, dtype, block).map(T::wrap))
}

fn read_typed<T: Element>(
    stage: &DiskRechunkStage,
    dtype: DType,
    block: &[usize],
) -> Result<ArrayD<T>> {
    let out_ranges = stage.to.block_ranges(block);
    let out_shape: Vec<usize> = out_ranges.iter().map(|r| r.len()).collect();
    let mut out = T::unwrap(DynArray::zeros(dtype, &out_shape))
        .map_err(|_| Error::invalid("rechunk", "the output block has another dtype"))?;
    let itemsize = dtype.size() as u64;
    for idx in stage.overlapped(block) {
        let in_ranges = stage.from.block_ranges(&idx);
        let in_shape: Vec<usize> = in_ranges.iter().map(|r| r.len()).collect();
        // The overlap, in array coordinates, then local to each block.
        let overlap: Vec<Range<usize>> = in_ranges
            .iter()
            .zip(&out_ranges)
            .map(|(a, b)| a.start.max(b.start)..a.end.min(b.end))
            .collect();
        let local = |origin: &[Range<usize>]| -> Vec<Range<usize>> {
            overlap
                .iter()
                .zip(origin)
                .map(|(r, o)| r.start - o.start..r.end - o.start)
                .collect()
        };
        let (in_box, out_box) = (local(&in_ranges), local(&out_ranges));
        let path = stage.dir.file(&stage.from, &idx);
        let file = File::open(&path).map_err(|e| io_error("cannot open", &path, e))?;
        let bytes = read_box(&file, &in_shape, &in_box, itemsize)
            .map_err(|e| io_error("cannot read", &path, e))?;
        let box_shape: Vec<usize> = in_box.iter().map(|r| r.len()).collect();
        let part = from_c_order_bytes(dtype, &box_shape, &bytes).map_err(|e| {
            Error::Executor(format!("rechunk through disk: {}: {e}", path.display()))
        })?;
        let part =
            T::unwrap(part).map_err(|_| Error::invalid("rechunk", "a part has another dtype"))?;
        out.slice_mut(slice_info(&out_box).as_slice()).assign(&part);
    }
    Ok(out)
}

/// The C-order bytes of the box `ranges` of a C-order array of `shape`
/// stored in `file`: one read per run of elements contiguous in the file
/// (the box's last axes that span the array whole merge into one run).
fn read_box(
    file: &File,
    shape: &[usize],
    ranges: &[Range<usize>],
    itemsize: u64,
) -> std::io::Result<Vec<u8>> {
    let ndim = shape.len();
    let elements: usize = ranges.iter().map(|r| r.len()).product();
    let mut bytes = vec![0u8; elements * itemsize as usize];
    if elements == 0 {
        return Ok(bytes);
    }
    // Axes from `first_whole` on are spanned whole; the run covers them and
    // the range of the axis before.
    let mut first_whole = ndim;
    while first_whole > 0 && ranges[first_whole - 1].len() == shape[first_whole - 1] {
        first_whole -= 1;
    }
    let run_axis = first_whole.saturating_sub(1);
    let run: usize = ranges[run_axis..].iter().map(|r| r.len()).product();
    let mut strides = vec![1usize; ndim];
    for axis in (0..ndim.saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * shape[axis + 1];
    }
    let outer: Vec<Range<usize>> = ranges[..run_axis].to_vec();
    let starts = crate::grid::box_indices(&outer);
    let run_bytes = run * itemsize as usize;
    for (k, prefix) in starts.iter().enumerate() {
        let offset: usize = prefix
            .iter()
            .zip(&strides)
            .map(|(i, s)| i * s)
            .sum::<usize>()
            + ranges[run_axis..]
                .iter()
                .zip(&strides[run_axis..])
                .map(|(r, s)| r.start * s)
                .sum::<usize>();
        file.read_exact_at(
            &mut bytes[k * run_bytes..(k + 1) * run_bytes],
            offset as u64 * itemsize,
        )?;
    }
    Ok(bytes)
}
