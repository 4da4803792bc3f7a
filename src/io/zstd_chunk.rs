//! Zarr chunks stored as their little-endian bytes compressed by zstd alone
//! (zarr-python's default for v3 arrays), decoded straight into a block's
//! buffer.
//!
//! zarrs decodes a chunk into bytes of its own and then copies them into the
//! elements (their alignments differ, so the bytes cannot become the
//! elements' vector): a fresh allocation and a copy of every block read. Here
//! the chunk's stored bytes are decompressed into the block's own buffer,
//! taken from the worker's pool of reused buffers.

use ndarray::ArrayD;
use serde_json::Value;
use zarrs::array::{ArrayMetadata, ArraySubset};
use zstd::zstd_safe::WriteBuf;

use super::zarr::Store;

/// True when `array`'s chunks are stored as `bytes` (little-endian, on a
/// little-endian machine) then `zstd`, with no other codec or storage
/// transformer.
pub(super) fn is_plain_zstd(array: &Store) -> bool {
    let ArrayMetadata::V3(meta) = array.metadata() else {
        return false;
    };
    if !cfg!(target_endian = "little") || !meta.storage_transformers.is_empty() {
        return false;
    }
    let Ok(Value::Array(codecs)) = serde_json::to_value(&meta.codecs) else {
        return false;
    };
    let name = |c: &Value| match c {
        Value::String(s) => Some(s.clone()),
        c => c["name"].as_str().map(str::to_string),
    };
    let little = |c: &Value| matches!(c["configuration"]["endian"].as_str(), None | Some("little"));
    matches!(&codecs[..], [bytes, zstd]
        if name(bytes).as_deref() == Some("bytes") && little(bytes)
            && name(zstd).as_deref() == Some("zstd"))
}

/// Block `subset` of `array` (a plain-zstd array, see [`is_plain_zstd`]) when
/// it is exactly one stored chunk, decoded into a reused buffer; `Ok(None)`
/// when it is not one whole chunk or the chunk is missing (the caller reads
/// it through zarrs, which fills it). An error is the chunk's key and what
/// failed.
pub(super) fn read_whole_chunk<U: bytemuck::Pod + 'static>(
    array: &Store,
    subset: &ArraySubset,
) -> Result<Option<ArrayD<U>>, (String, String)> {
    let Ok(Some(chunks)) = array.chunks_in_array_subset(subset) else {
        return Ok(None);
    };
    if chunks.num_elements() != 1 || std::mem::size_of::<U>() == 0 {
        return Ok(None);
    }
    let chunk = chunks.start().to_vec();
    match array.chunk_subset(&chunk) {
        Ok(whole) if &whole == subset => {}
        _ => return Ok(None),
    }
    let fail = |message: String| (array.chunk_key(&chunk).to_string(), message);
    let Some(encoded) = array
        .retrieve_encoded_chunk(&chunk)
        .map_err(|e| fail(e.to_string()))?
    else {
        return Ok(None);
    };
    let shape: Vec<usize> = subset.shape().iter().map(|&n| n as usize).collect();
    let len: usize = shape.iter().product();
    let mut values = Elements(crate::exec::pool::take::<U>(len));
    let written = zstd::bulk::Decompressor::new()
        .and_then(|mut d| d.decompress_to_buffer(&encoded, &mut values))
        .map_err(|e| fail(format!("zstd: {e}")))?;
    let expected = len * std::mem::size_of::<U>();
    if written != expected {
        return Err(fail(format!(
            "the chunk decodes to {written} bytes, not the {expected} of its {shape:?} elements"
        )));
    }
    ArrayD::from_shape_vec(shape, values.0)
        .map(Some)
        .map_err(|e| fail(e.to_string()))
}

/// An element vector that zstd writes into as bytes, from its start up to
/// its capacity.
struct Elements<U>(Vec<U>);

// SAFETY: the slice and pointer cover the vector's own allocation (`capacity`
// bytes of it), and `filled_until` sets its length only to whole elements
// written; any bytes are a valid `U` (`Pod`).
unsafe impl<U: bytemuck::Pod> WriteBuf for Elements<U> {
    fn as_slice(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0)
    }

    fn capacity(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<U>()
    }

    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.0.as_mut_ptr().cast()
    }

    unsafe fn filled_until(&mut self, n: usize) {
        // SAFETY: the caller wrote the first `n` bytes; whole elements only.
        unsafe { self.0.set_len(n / std::mem::size_of::<U>()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::creation::from_array;
    use crate::io::zarr_write::{ZarrCodec, ZarrOptions};

    /// `values` written by ndchunk as a Zarr v3 array with `codec` and
    /// chunks (4, 3) into `dir`, opened again.
    fn written(values: &ndarray::Array2<f64>, codec: ZarrCodec, dir: &std::path::Path) -> Store {
        let options = ZarrOptions::default()
            .codec(codec)
            .chunks(&[4, 3])
            .overwrite(true);
        from_array(values.clone(), [4, 3])
            .unwrap()
            .to_zarr(dir, options)
            .unwrap();
        let array = super::super::zarr::open::<f64>(dir).unwrap().0;
        std::sync::Arc::try_unwrap(array).unwrap_or_else(|_| unreachable!("one owner"))
    }

    fn subset(rows: std::ops::Range<u64>, cols: std::ops::Range<u64>) -> ArraySubset {
        ArraySubset::new_with_ranges(&[rows, cols])
    }

    #[test]
    fn whole_chunks_are_decoded_here_and_the_rest_left_to_zarrs() {
        let values = ndarray::Array2::from_shape_fn((10, 7), |(i, j)| (i * 7 + j) as f64 - 20.5);
        let dir = std::env::temp_dir().join(format!("ndchunk-zstd-chunk-{}", std::process::id()));
        let zstd = written(&values, ZarrCodec::Zstd(3), &dir.join("zstd"));
        assert!(is_plain_zstd(&zstd));
        // Chunk (1, 1): rows 4..8, columns 3..6, against the values written.
        let chunk = read_whole_chunk::<f64>(&zstd, &subset(4..8, 3..6))
            .unwrap()
            .unwrap();
        assert_eq!(chunk, values.slice(ndarray::s![4..8, 3..6]).into_dyn());
        // Part of a chunk, two chunks, and an edge chunk (stored padded): zarrs.
        for (rows, cols) in [(4..6, 3..6), (0..8, 0..3), (8..10, 6..7)] {
            assert!(read_whole_chunk::<f64>(&zstd, &subset(rows, cols))
                .unwrap()
                .is_none());
        }
        let blosc = written(&values, ZarrCodec::Blosc(5), &dir.join("blosc"));
        let raw = written(&values, ZarrCodec::None, &dir.join("raw"));
        assert!(!is_plain_zstd(&blosc) && !is_plain_zstd(&raw));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
