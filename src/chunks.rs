//! How an array is cut into blocks: [`Chunks`] (the resolved lengths) and
//! [`ChunkSpec`] (what a user asks for).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::element::DType;
use crate::error::{Error, Result};

/// Per-axis chunk lengths of an array, irregular chunks allowed (as in dask).
///
/// An axis of length 0 has one chunk of length 0; every other chunk is non-empty.
///
/// ```
/// use ndchunk::Chunks;
/// let c = Chunks::new(vec![vec![3, 3, 1], vec![4]]).unwrap();
/// assert_eq!(c.shape(), vec![7, 4]);
/// assert_eq!(c.numblocks(), vec![3, 1]);
/// assert_eq!(c.locate(0, 6).unwrap(), (2, 0));
/// assert_eq!(c.block_shape(&[1, 0]), vec![3, 4]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ChunkLens")]
pub struct Chunks {
    // Shared, so that cloning chunks (done per stage and per leaf) costs O(1)
    // however many blocks there are.
    lens: Arc<Vec<Vec<usize>>>,
    #[serde(skip)]
    offsets: Arc<Vec<Vec<usize>>>,
    /// The largest block's element count (asked per task by the planner).
    #[serde(skip)]
    max_block_len: usize,
}

/// The serialised form of [`Chunks`]: the lengths, from which offsets are rebuilt.
#[derive(Deserialize)]
struct ChunkLens {
    lens: Vec<Vec<usize>>,
}

impl TryFrom<ChunkLens> for Chunks {
    type Error = Error;

    fn try_from(c: ChunkLens) -> Result<Chunks> {
        Chunks::new(c.lens)
    }
}

impl Chunks {
    /// Chunks from per-axis lengths; zero-length chunks are rejected except as the
    /// single chunk of an empty axis (an empty list also means an empty axis).
    pub fn new(lens: Vec<Vec<usize>>) -> Result<Chunks> {
        let mut checked = Vec::with_capacity(lens.len());
        for (axis, l) in lens.into_iter().enumerate() {
            if l.is_empty() || l == [0] {
                checked.push(vec![0]);
                continue;
            }
            if let Some(pos) = l.iter().position(|&c| c == 0) {
                return Err(Error::chunks(format!(
                    "axis {axis} has chunk length 0 at position {pos} in {l:?}; only an empty axis may have a zero-length chunk"
                )));
            }
            checked.push(l);
        }
        Ok(Chunks::from_checked(checked))
    }

    /// Chunks of `shape` with lengths `lens`, checking that they add up.
    ///
    /// ```
    /// use ndchunk::Chunks;
    /// assert!(Chunks::for_shape(&[5], vec![vec![2, 2]]).is_err());
    /// ```
    pub fn for_shape(shape: &[usize], lens: Vec<Vec<usize>>) -> Result<Chunks> {
        if lens.len() != shape.len() {
            return Err(Error::chunks(format!(
                "{} axes of chunk lengths for a shape of {} axes {shape:?}",
                lens.len(),
                shape.len()
            )));
        }
        let chunks = Chunks::new(lens)?;
        for (axis, (&n, l)) in shape.iter().zip(chunks.lens.iter()).enumerate() {
            let total: usize = l.iter().sum();
            if total != n {
                return Err(Error::chunks(format!(
                    "axis {axis}: chunk lengths {l:?} sum to {total}, but the axis has length {n}"
                )));
            }
        }
        Ok(chunks)
    }

    /// Regular chunks: `chunk[i]` along each axis, the last one shorter if needed.
    ///
    /// ```
    /// use ndchunk::Chunks;
    /// let c = Chunks::regular(&[10, 3], &[4, 3]).unwrap();
    /// assert_eq!(c.lens(0), &[4, 4, 2]);
    /// ```
    pub fn regular(shape: &[usize], chunk: &[usize]) -> Result<Chunks> {
        if chunk.len() != shape.len() {
            return Err(Error::chunks(format!(
                "chunk shape {chunk:?} has {} axes but the array shape {shape:?} has {}",
                chunk.len(),
                shape.len()
            )));
        }
        let mut lens = Vec::with_capacity(shape.len());
        for (axis, (&n, &c)) in shape.iter().zip(chunk).enumerate() {
            if c == 0 {
                return Err(Error::chunks(format!(
                    "axis {axis}: chunk length 0 in chunk shape {chunk:?}"
                )));
            }
            lens.push(regular_lens(n, c)?);
        }
        let chunks = Chunks::from_checked(lens);
        check_block_count(&chunks)?;
        Ok(chunks)
    }

    /// A single block covering `shape`.
    pub fn single(shape: &[usize]) -> Chunks {
        Chunks::from_checked(shape.iter().map(|&n| vec![n]).collect())
    }

    pub(crate) fn from_checked(lens: Vec<Vec<usize>>) -> Chunks {
        let offsets = lens
            .iter()
            .map(|l| {
                let mut acc = 0;
                let mut o = Vec::with_capacity(l.len() + 1);
                o.push(0);
                for &c in l {
                    acc += c;
                    o.push(acc);
                }
                o
            })
            .collect();
        let max_block_len = lens
            .iter()
            .map(|l| l.iter().copied().max().unwrap_or(0))
            .product();
        Chunks {
            lens: Arc::new(lens),
            offsets: Arc::new(offsets),
            max_block_len,
        }
    }

    /// Rebuilds the cached offsets after deserialisation.
    pub fn restore(self) -> Chunks {
        Chunks::from_checked(Arc::unwrap_or_clone(self.lens))
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.lens.len()
    }

    /// The array shape these chunks cover.
    pub fn shape(&self) -> Vec<usize> {
        self.offsets
            .iter()
            .map(|o| *o.last().unwrap_or(&0))
            .collect()
    }

    /// Chunk lengths along `axis`.
    pub fn lens(&self, axis: usize) -> &[usize] {
        &self.lens[axis]
    }

    /// All per-axis chunk lengths.
    pub fn all_lens(&self) -> &[Vec<usize>] {
        &self.lens
    }

    /// Start offsets of the chunks along `axis`, followed by the axis length.
    pub fn offsets(&self, axis: usize) -> &[usize] {
        &self.offsets[axis]
    }

    /// Number of blocks along each axis.
    pub fn numblocks(&self) -> Vec<usize> {
        self.lens.iter().map(Vec::len).collect()
    }

    /// Total number of blocks.
    pub fn nblocks(&self) -> usize {
        self.lens.iter().map(Vec::len).product()
    }

    /// Which block holds element `i` of `axis`, and at what offset within it.
    pub fn locate(&self, axis: usize, i: usize) -> Result<(usize, usize)> {
        let offsets = self
            .offsets
            .get(axis)
            .ok_or_else(|| Error::AxisOutOfBounds {
                op: "locate".into(),
                axis: axis as isize,
                ndim: self.ndim(),
            })?;
        let len = *offsets.last().unwrap_or(&0);
        if i >= len {
            return Err(Error::IndexOutOfBounds {
                op: "locate".into(),
                index: i as i64,
                axis,
                len,
            });
        }
        let block = offsets.partition_point(|&o| o <= i) - 1;
        Ok((block, i - offsets[block]))
    }

    /// Shape of the block at `block` (one index per axis).
    pub fn block_shape(&self, block: &[usize]) -> Vec<usize> {
        block
            .iter()
            .zip(self.lens.iter())
            .map(|(&b, l)| l[b])
            .collect()
    }

    /// Offset of the block's first element along each axis.
    pub fn block_offset(&self, block: &[usize]) -> Vec<usize> {
        block
            .iter()
            .zip(self.offsets.iter())
            .map(|(&b, o)| o[b])
            .collect()
    }

    /// The element ranges the block covers, one per axis.
    pub fn block_ranges(&self, block: &[usize]) -> Vec<Range<usize>> {
        block
            .iter()
            .zip(self.offsets.iter())
            .map(|(&b, o)| o[b]..o[b + 1])
            .collect()
    }

    /// The block index with C-order position `linear`.
    pub fn unravel(&self, linear: usize) -> Vec<usize> {
        crate::grid::unravel(linear, &self.numblocks())
    }

    /// The C-order position of `block`.
    pub fn ravel(&self, block: &[usize]) -> usize {
        block
            .iter()
            .zip(self.lens.iter())
            .fold(0, |acc, (&b, l)| acc * l.len() + b)
    }

    /// Every block index in C order.
    pub fn block_indices(&self) -> impl Iterator<Item = Vec<usize>> + '_ {
        (0..self.nblocks()).map(|i| self.unravel(i))
    }

    /// The largest block's element count.
    pub fn max_block_len(&self) -> usize {
        self.max_block_len
    }
}

impl fmt::Display for Chunks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(")?;
        for (i, l) in self.lens.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            let body = &l[..l.len().saturating_sub(1)];
            let regular = l.len() > 2 && body.iter().all(|&c| c == l[0]);
            if regular && l[l.len() - 1] == l[0] {
                write!(f, "{}x{}", l.len(), l[0])?;
            } else if regular {
                write!(f, "{}x{}+{}", body.len(), l[0], l[l.len() - 1])?;
            } else {
                let items: Vec<String> = l.iter().map(usize::to_string).collect();
                write!(f, "({})", items.join(", "))?;
            }
        }
        write!(f, ")")
    }
}

/// Most blocks an array may have: beyond this a plan could not be enumerated
/// (dask's graphs stop being practical far earlier).
pub const MAX_BLOCKS: usize = 1 << 32;

/// Each of `lens` cut into the fewest near-equal pieces of at most `most`
/// (so the pieces nest in the original chunks).
///
/// ```
/// assert_eq!(ndchunk::chunks::nested_lens(&[10, 3], 4), vec![4, 3, 3, 3]);
/// ```
pub fn nested_lens(lens: &[usize], most: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for &c in lens {
        let parts = c.div_ceil(most.max(1)).max(1);
        out.extend((0..parts).map(|i| c / parts + usize::from(i < c % parts)));
    }
    out
}

/// Lengths of chunks of `c` covering `n`, the last one shorter if needed.
pub(crate) fn regular_lens(n: usize, c: usize) -> Result<Vec<usize>> {
    if n == 0 {
        return Ok(vec![0]);
    }
    let count = n.div_ceil(c);
    if count > MAX_BLOCKS {
        return Err(Error::chunks(format!(
            "chunk length {c} cuts an axis of length {n} into {count} blocks, more than the limit of {MAX_BLOCKS}"
        )));
    }
    let mut lens = vec![c; n / c];
    if n % c != 0 {
        lens.push(n % c);
    }
    Ok(lens)
}

/// Rejects chunkings with more than [`MAX_BLOCKS`] blocks in all.
fn check_block_count(chunks: &Chunks) -> Result<()> {
    let total = chunks
        .lens
        .iter()
        .try_fold(1usize, |acc, l| acc.checked_mul(l.len()));
    match total {
        Some(t) if t <= MAX_BLOCKS => Ok(()),
        _ => Err(Error::chunks(format!(
            "{:?} blocks per axis is more than the limit of {MAX_BLOCKS} blocks",
            chunks.numblocks()
        ))),
    }
}

/// How to chunk one axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AxisChunks {
    /// Chunks of this length (the last one shorter if needed).
    Len(usize),
    /// One chunk covering the axis (`-1` in a chunk shape).
    Whole,
    /// Chosen automatically together with the other `Auto` axes.
    Auto,
    /// Exactly these lengths.
    Lens(Vec<usize>),
}

/// What a user asks for when creating or rechunking an array.
///
/// Build one from a chunk shape (`[100_000, 64]`, with `-1` for a whole axis), from
/// per-axis lists (`vec![vec![3, 3, 1], vec![4]]`), or use `ChunkSpec::Auto`, which
/// aims at [`crate::config::DEFAULT_CHUNK_BYTES`] per chunk, or the size in `NDCHUNK_CHUNK_SIZE`.
///
/// ```
/// use ndchunk::{ChunkSpec, DType};
/// let c = ChunkSpec::from([4, -1]).resolve(&[10, 3], DType::F32).unwrap();
/// assert_eq!(c.lens(0), &[4, 4, 2]);
/// assert_eq!(c.lens(1), &[3]);
/// let auto = ChunkSpec::AutoBytes(1024).resolve(&[1000, 1000], DType::F64).unwrap();
/// assert_eq!(auto.lens(0)[0] * auto.lens(1)[0] * 8 <= 1024, true);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkSpec {
    /// Chunks of about 128 MiB (or `NDCHUNK_CHUNK_SIZE`), as square as the shape allows.
    Auto,
    /// Chunks of about this many bytes (at least one element; 0 is an error).
    AutoBytes(u64),
    /// One rule per axis.
    PerAxis(Vec<AxisChunks>),
    /// Chunk lengths given in full.
    Exact(Chunks),
    /// A chunk-shape entry that cannot be used (kept to report it when resolving).
    Invalid(String),
}

impl ChunkSpec {
    /// The chunks this spec gives an array of `shape` and `dtype`.
    pub fn resolve(&self, shape: &[usize], dtype: DType) -> Result<Chunks> {
        check_size(shape, dtype)?;
        match self {
            ChunkSpec::Auto => {
                let target = crate::config::chunk_bytes()?;
                auto_chunks(shape, dtype, target, &vec![AxisChunks::Auto; shape.len()])
            }
            ChunkSpec::AutoBytes(0) => Err(Error::chunks(
                "ChunkSpec::AutoBytes(0): a chunk size in bytes must be positive",
            )),
            ChunkSpec::AutoBytes(b) => {
                auto_chunks(shape, dtype, *b, &vec![AxisChunks::Auto; shape.len()])
            }
            ChunkSpec::PerAxis(axes) => {
                if axes.len() != shape.len() {
                    return Err(Error::chunks(format!(
                        "chunk spec has {} axes but the array shape {shape:?} has {}",
                        axes.len(),
                        shape.len()
                    )));
                }
                let target = if axes.contains(&AxisChunks::Auto) {
                    crate::config::chunk_bytes()?
                } else {
                    0
                };
                auto_chunks(shape, dtype, target, axes)
            }
            ChunkSpec::Exact(c) => {
                if c.shape() != shape {
                    return Err(Error::chunks(format!(
                        "chunks {c} cover shape {:?}, not the array shape {shape:?}",
                        c.shape()
                    )));
                }
                Ok(c.clone())
            }
            ChunkSpec::Invalid(msg) => Err(Error::chunks(msg.clone())),
        }
    }
}

/// Checks that an array of `shape` and `dtype` stays within ndarray's limit of
/// `isize::MAX` bytes, counting non-empty axes only (as NumPy), so element counts
/// and byte sizes never overflow.
pub(crate) fn check_size(shape: &[usize], dtype: DType) -> Result<()> {
    let bytes = shape
        .iter()
        .filter(|&&n| n > 0)
        .try_fold(dtype.size(), |acc, &n| acc.checked_mul(n));
    match bytes {
        Some(b) if b <= isize::MAX as usize => Ok(()),
        _ => Err(Error::invalid(
            "shape",
            format!("shape {shape:?} of {dtype} exceeds isize::MAX bytes"),
        )),
    }
}

/// Resolves `axes` for `shape`: fixed axes first, then the `Auto` axes share the
/// remaining byte budget as evenly as the shape allows.
fn auto_chunks(shape: &[usize], dtype: DType, target: u64, axes: &[AxisChunks]) -> Result<Chunks> {
    let mut lens: Vec<Option<Vec<usize>>> = Vec::with_capacity(shape.len());
    for (axis, (spec, &n)) in axes.iter().zip(shape).enumerate() {
        lens.push(match spec {
            AxisChunks::Len(0) => {
                return Err(Error::chunks(format!("axis {axis}: chunk length 0")));
            }
            AxisChunks::Len(c) => Some(regular_lens(n, *c)?),
            AxisChunks::Whole => Some(regular_lens(n, n.max(1))?),
            AxisChunks::Lens(l) => Some(l.clone()),
            AxisChunks::Auto => None,
        });
    }
    // Bytes per element times the largest fixed chunk along fixed axes.
    let fixed: f64 = lens
        .iter()
        .flatten()
        .map(|l| l.iter().copied().max().unwrap_or(1).max(1) as f64)
        .product::<f64>()
        * dtype.size() as f64;
    let mut free: Vec<usize> = (0..shape.len()).filter(|&a| lens[a].is_none()).collect();
    let mut budget = (target as f64 / fixed).max(1.0);
    // Axes shorter than the even share take their whole length; repeat until stable.
    loop {
        if free.is_empty() {
            break;
        }
        let side = budget.powf(1.0 / free.len() as f64);
        let (small, large): (Vec<usize>, Vec<usize>) =
            free.iter().partition(|&&a| (shape[a] as f64) <= side);
        if small.is_empty() {
            for &a in &large {
                let c = (side.floor() as usize).max(1);
                lens[a] = Some(regular_lens(shape[a], c)?);
            }
            break;
        }
        for &a in &small {
            budget /= shape[a].max(1) as f64;
            budget = budget.max(1.0);
            lens[a] = Some(regular_lens(shape[a], shape[a].max(1))?);
        }
        free = large;
    }
    let chunks = Chunks::for_shape(
        shape,
        lens.into_iter().map(|l| l.unwrap_or_default()).collect(),
    )?;
    check_block_count(&chunks)?;
    Ok(chunks)
}

impl From<Chunks> for ChunkSpec {
    fn from(c: Chunks) -> Self {
        ChunkSpec::Exact(c)
    }
}

impl From<&Chunks> for ChunkSpec {
    fn from(c: &Chunks) -> Self {
        ChunkSpec::Exact(c.clone())
    }
}

impl From<Vec<AxisChunks>> for ChunkSpec {
    fn from(axes: Vec<AxisChunks>) -> Self {
        ChunkSpec::PerAxis(axes)
    }
}

impl From<Vec<Vec<usize>>> for ChunkSpec {
    fn from(lens: Vec<Vec<usize>>) -> Self {
        ChunkSpec::PerAxis(lens.into_iter().map(AxisChunks::Lens).collect())
    }
}

fn axis_from_signed(v: i64) -> std::result::Result<AxisChunks, String> {
    match v {
        -1 => Ok(AxisChunks::Whole),
        n if n > 0 => Ok(AxisChunks::Len(n as usize)),
        n => Err(format!(
            "chunk length {n} (use a positive length, or -1 for the whole axis)"
        )),
    }
}

fn spec_from_signed(vals: impl IntoIterator<Item = i64>) -> ChunkSpec {
    let parsed: std::result::Result<Vec<AxisChunks>, String> =
        vals.into_iter().map(axis_from_signed).collect();
    match parsed {
        Ok(axes) => ChunkSpec::PerAxis(axes),
        Err(msg) => ChunkSpec::Invalid(msg),
    }
}

macro_rules! chunk_spec_from_ints {
    ($($t:ty),*) => {$(
        impl<const N: usize> From<[$t; N]> for ChunkSpec {
            fn from(c: [$t; N]) -> Self {
                spec_from_signed(c.iter().map(|&v| v as i64))
            }
        }
        impl From<&[$t]> for ChunkSpec {
            fn from(c: &[$t]) -> Self {
                spec_from_signed(c.iter().map(|&v| v as i64))
            }
        }
        impl From<Vec<$t>> for ChunkSpec {
            fn from(c: Vec<$t>) -> Self {
                spec_from_signed(c.iter().map(|&v| v as i64))
            }
        }
    )*};
}

chunk_spec_from_ints!(i32, i64, isize);

macro_rules! chunk_spec_from_uints {
    ($($t:ty),*) => {$(
        impl<const N: usize> From<[$t; N]> for ChunkSpec {
            fn from(c: [$t; N]) -> Self {
                ChunkSpec::PerAxis(c.iter().map(|&v| AxisChunks::Len(v as usize)).collect())
            }
        }
        impl From<&[$t]> for ChunkSpec {
            fn from(c: &[$t]) -> Self {
                ChunkSpec::PerAxis(c.iter().map(|&v| AxisChunks::Len(v as usize)).collect())
            }
        }
        impl From<Vec<$t>> for ChunkSpec {
            fn from(c: Vec<$t>) -> Self {
                ChunkSpec::PerAxis(c.iter().map(|&v| AxisChunks::Len(v as usize)).collect())
            }
        }
    )*};
}

chunk_spec_from_uints!(usize, u32, u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_chunks_respect_the_budget_and_cover_the_shape() {
        let c = auto_chunks(
            &[10_000, 10_000],
            DType::F64,
            128 << 20,
            &[AxisChunks::Auto, AxisChunks::Auto],
        )
        .unwrap();
        assert_eq!(c.shape(), vec![10_000, 10_000]);
        assert!(c.max_block_len() * 8 <= 128 << 20);
        assert!(c.lens(0)[0] > 3000, "{c}");
    }

    #[test]
    fn short_axes_are_taken_whole() {
        let c = auto_chunks(
            &[1_000_000, 3],
            DType::F32,
            1200,
            &[AxisChunks::Auto, AxisChunks::Auto],
        )
        .unwrap();
        assert_eq!(c.lens(1), &[3]);
        assert_eq!(c.lens(0)[0], 100);
    }

    #[test]
    fn negative_chunk_lengths_are_errors() {
        let e = ChunkSpec::from([-2, 3])
            .resolve(&[4, 4], DType::U8)
            .unwrap_err();
        assert!(e.to_string().contains("-2"), "{e}");
    }

    #[test]
    fn locate_past_the_end_is_an_error() {
        let c = Chunks::regular(&[5], &[2]).unwrap();
        assert_eq!(c.locate(0, 4).unwrap(), (2, 0));
        assert!(c.locate(0, 5).is_err());
        assert!(c.locate(1, 0).is_err());
    }
}
