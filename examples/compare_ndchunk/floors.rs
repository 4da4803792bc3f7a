//! Floors of the harness's workloads: what the same machine does with the
//! same threads when the work is reduced to what it cannot avoid (issue 17).
//!
//! - memory-bound workloads: a copy moving the same bytes (read plus
//!   written) through memory, in buffers larger than the caches;
//! - gathers: the same index pattern in a plain loop, into a buffer written
//!   once before the timing;
//! - storage workloads: the codec and the filesystem alone: every chunk the
//!   workload reads is read into a reused buffer and decoded into another,
//!   and every chunk it writes is encoded (same codec and level) into a reused
//!   buffer and written to a file;
//! - compute-bound workloads: see [`compute`].
//!
//! For the workloads that return a new array (the gathers, W2, W5-mem, S3)
//! the floor also carries the first touch of that much new memory
//! ([`first_touch`]), which its warm buffers leave out and a result cannot.
//!
//! Each floor is the best of `repeat` runs, measured in the workload's own
//! child process right after it.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndchunk::config::human_bytes;
use serde_json::Value;

pub mod compute;

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A floor: its seconds and what was timed.
pub struct Floor {
    pub seconds: f64,
    pub what: String,
    /// For a workload returning a new array: the first touch of that many
    /// bytes of new memory (see [`first_touch`]), which the floor's own
    /// buffers, written before the timing, do not pay.
    pub first_touch_seconds: Option<f64>,
}

impl Floor {
    fn new(seconds: f64, what: String) -> Floor {
        Floor {
            seconds,
            what,
            first_touch_seconds: None,
        }
    }

    /// This floor, with the first touch of a new result of `bytes` beside it.
    pub fn with_result(self, bytes: usize, threads: usize, repeat: usize) -> Floor {
        Floor {
            first_touch_seconds: Some(first_touch(bytes, threads, repeat)),
            ..self
        }
    }
}

/// Allocating a new buffer of `bytes` and writing it once, `threads` threads,
/// best of `repeat`: the kernel maps and zeroes each fresh page on its first
/// write, which any computation returning a new array of that size pays. The
/// buffer is advised for huge pages, as ndchunk's (and NumPy's) large arrays
/// are, which makes those faults 2 MiB at a time.
pub fn first_touch(bytes: usize, threads: usize, repeat: usize) -> f64 {
    // The buffer is dropped outside the timing, as a workload's result is.
    let kept = std::cell::Cell::new(None);
    best_of(
        repeat,
        || drop(kept.take()),
        || {
            let mut fresh: Vec<u8> = ndchunk::huge_pages::zeroed(bytes);
            let step = bytes.div_ceil(threads.max(1)).max(1);
            std::thread::scope(|s| {
                for part in fresh.chunks_mut(step) {
                    s.spawn(move || part.fill(1));
                }
            });
            kept.set(Some(fresh));
        },
    )
}

/// Best of `repeat` runs of `run`, in seconds, calling `before` ahead of
/// each outside the timing.
fn best_of(repeat: usize, mut before: impl FnMut(), mut run: impl FnMut()) -> f64 {
    (0..repeat.max(1))
        .map(|_| {
            before();
            let t0 = Instant::now();
            run();
            t0.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// `0..n` cut into `parts` contiguous ranges (some empty when `n < parts`).
fn split(n: usize, parts: usize) -> Vec<Range<usize>> {
    let step = n.div_ceil(parts.max(1));
    (0..parts.max(1))
        .map(|p| (p * step).min(n)..((p + 1) * step).min(n))
        .collect()
}

/// Calls `fill(first_row, rows)` on `threads` threads, each with its own
/// contiguous share of `out`'s rows of `row_len` elements.
fn by_rows<T: Send>(
    out: &mut [T],
    row_len: usize,
    threads: usize,
    fill: impl Fn(usize, &mut [T]) + Sync,
) {
    let rows_each = (out.len() / row_len).div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        for (p, part) in out.chunks_mut(rows_each * row_len).enumerate() {
            let fill = &fill;
            s.spawn(move || fill(p * rows_each, part));
        }
    });
}

/// Largest buffer a memory floor copies between: well past the caches,
/// small enough to sit beside the workload's data.
const COPY_BUFFER: usize = 256 << 20;

/// A copy moving `traffic` bytes (half read, half written) with `threads`
/// threads, between buffers of at most [`COPY_BUFFER`] bytes, copied again
/// until the bytes are moved.
pub fn memory(traffic: u64, threads: usize, repeat: usize) -> Floor {
    let bytes = (traffic / 2) as usize;
    let len = bytes.clamp(1, COPY_BUFFER);
    let src = vec![1u8; len];
    let mut dst = vec![2u8; len];
    let passes = bytes.div_ceil(len);
    let seconds = best_of(
        repeat,
        || {},
        || {
            for _ in 0..passes {
                let step = len.div_ceil(threads.max(1));
                std::thread::scope(|s| {
                    for (d, from) in dst.chunks_mut(step).zip(src.chunks(step)) {
                        s.spawn(move || d.copy_from_slice(from));
                    }
                });
            }
        },
    );
    std::hint::black_box(&dst);
    Floor::new(
        seconds,
        format!(
            "copy of {} (read + written) through memory, {threads} threads",
            human_bytes(traffic)
        ),
    )
}

/// `idx` (negative from the end) taken along the rows of `source`, rows of
/// `row_len` elements, into a buffer of the result's size, `threads` threads.
pub fn gather<T: Copy + Default + Send + Sync>(
    source: &[T],
    row_len: usize,
    idx: &[i64],
    threads: usize,
    repeat: usize,
) -> Floor {
    let rows = (source.len() / row_len.max(1)) as i64;
    let mut out = vec![T::default(); idx.len() * row_len];
    // Written once (a zeroed allocation is only mapped, not touched).
    out.fill(T::default());
    let seconds = best_of(
        repeat,
        || {},
        || {
            by_rows(&mut out, row_len, threads, |first, part| {
                for (o, &i) in part.chunks_exact_mut(row_len).zip(&idx[first..]) {
                    let row = if i < 0 { i + rows } else { i } as usize * row_len;
                    o.copy_from_slice(&source[row..row + row_len]);
                }
            })
        },
    );
    std::hint::black_box(&out);
    Floor::new(
        seconds,
        format!(
            "plain-loop gather of {} rows of {} bytes, {threads} threads",
            idx.len(),
            row_len * std::mem::size_of::<T>()
        ),
    )
    .with_result(std::mem::size_of_val(&out[..]), threads, repeat)
}

/// W3's loop written out: for each row `i`, the mean over its `k` neighbours
/// of `||x[knn[i, j]] - x[i]||^2`, rows of `d` values, `threads` threads.
pub fn neighbour_distances(
    x: &[f32],
    d: usize,
    knn: &[i64],
    k: usize,
    threads: usize,
    repeat: usize,
) -> Floor {
    let n = x.len() / d;
    let mut out = vec![0f32; n];
    out.fill(0.0);
    let seconds = best_of(
        repeat,
        || {},
        || {
            by_rows(&mut out, 1, threads, |first, part| {
                for (i, o) in (first..).zip(part.iter_mut()) {
                    let xi = &x[i * d..(i + 1) * d];
                    let mut total = 0f32;
                    for &j in &knn[i * k..(i + 1) * k] {
                        let xj = &x[j as usize * d..(j as usize + 1) * d];
                        total += xi
                            .iter()
                            .zip(xj)
                            .map(|(a, b)| (b - a) * (b - a))
                            .sum::<f32>();
                    }
                    *o = total / k as f32;
                }
            })
        },
    );
    std::hint::black_box(&out);
    Floor::new(
        seconds,
        format!("plain loop over {n} rows x {k} neighbours, {threads} threads"),
    )
}

/// The zstd level of a Zarr v3 array whose codecs are `bytes` then `zstd`
/// (the harness's stores), else an error naming what it has.
fn zstd_level(store: &Path) -> BoxResult<i32> {
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(store.join("zarr.json"))?)?;
    let codecs = meta["codecs"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = codecs.iter().filter_map(|c| c["name"].as_str()).collect();
    if names != ["bytes", "zstd"] {
        return Err(format!("{}: codecs {names:?}, not [bytes, zstd]", store.display()).into());
    }
    Ok(codecs[1]["configuration"]["level"].as_i64().unwrap_or(0) as i32)
}

/// Every chunk file of the Zarr v3 array at `store`.
fn chunk_files(store: &Path) -> BoxResult<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![store.join("c")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// What a storage workload writes: `count` chunks of `bytes` each, encoded
/// with zstd at `level` into files under `dir`.
pub struct Writes<'a> {
    pub count: usize,
    pub bytes: usize,
    pub level: i32,
    pub dir: &'a Path,
}

/// Reading and decoding every chunk of `store` (`chunk_bytes` decoded each),
/// then encoding and writing `writes`, with `threads` threads; each thread
/// reuses its buffers. The data encoded is the first decoded chunk, repeated
/// to the written chunk's size. `before` runs ahead of each run, outside the
/// timing (the workload's page-cache eviction, with `--cold`).
pub fn storage(
    store: &Path,
    chunk_bytes: usize,
    writes: Option<Writes>,
    threads: usize,
    repeat: usize,
    before: impl FnMut(),
) -> BoxResult<Floor> {
    zstd_level(store)?;
    let files = chunk_files(store)?;
    let Some(first_file) = files.first() else {
        return Err(format!("{}: no chunk files", store.display()).into());
    };
    let first = zstd::bulk::decompress(&std::fs::read(first_file)?, chunk_bytes)?;
    let raw: Vec<u8> = match &writes {
        Some(w) => first.iter().copied().cycle().take(w.bytes).collect(),
        None => Vec::new(),
    };
    if let Some(w) = &writes {
        std::fs::create_dir_all(w.dir)?;
    }
    let read_ranges = split(files.len(), threads);
    let write_ranges = split(writes.as_ref().map_or(0, |w| w.count), threads);
    let failed = std::sync::Mutex::new(None::<String>);
    let seconds = best_of(repeat, before, || {
        std::thread::scope(|s| {
            for (reads, outs) in read_ranges.iter().zip(&write_ranges) {
                let (files, raw, writes, failed) = (&files, &raw, &writes, &failed);
                s.spawn(move || {
                    let outcome = read_and_write(files, reads, raw, writes, outs, chunk_bytes);
                    if let Err(e) = outcome {
                        *failed.lock().unwrap() = Some(e.to_string());
                    }
                });
            }
        });
    });
    if let Some(e) = failed.into_inner()? {
        return Err(e.into());
    }
    let (mut what, mut read_total) = (String::new(), 0u64);
    for f in &files {
        read_total += std::fs::metadata(f)?.len();
    }
    what.push_str(&format!(
        "read + zstd decode of {} chunks ({} on disk), {threads} threads",
        files.len(),
        human_bytes(read_total)
    ));
    if let Some(w) = &writes {
        what.push_str(&format!(
            "; zstd({}) encode + write of {} chunks of {}",
            w.level,
            w.count,
            human_bytes(w.bytes as u64)
        ));
        std::fs::remove_dir_all(w.dir)?;
    }
    Ok(Floor::new(seconds, what))
}

/// One thread's share of [`storage`]: the chunk files `reads` and the
/// written chunks `outs`.
fn read_and_write(
    files: &[PathBuf],
    reads: &Range<usize>,
    raw: &[u8],
    writes: &Option<Writes>,
    outs: &Range<usize>,
    chunk_bytes: usize,
) -> BoxResult<()> {
    use std::io::Read;
    let mut encoded = Vec::new();
    let mut decoded = vec![0u8; chunk_bytes];
    let mut decoder = zstd::bulk::Decompressor::new()?;
    for f in &files[reads.clone()] {
        encoded.clear();
        std::fs::File::open(f)?.read_to_end(&mut encoded)?;
        decoder.decompress_to_buffer(&encoded, &mut decoded)?;
    }
    if let Some(w) = writes {
        let mut encoder = zstd::bulk::Compressor::new(w.level)?;
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(raw.len()));
        for c in outs.clone() {
            out.clear();
            encoder.compress_to_buffer(raw, &mut out)?;
            std::fs::write(w.dir.join(format!("{c}")), &out)?;
        }
    }
    std::hint::black_box(&decoded);
    Ok(())
}
