//! Functions applied block by block: the user's (`map_blocks`, `blockwise`,
//! `map_overlap`) and ndchunk's own kernels (the scans), which travel as data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::element::{DType, Scalar};
use crate::expr::UserFn;
use crate::registry::BlockFn;

/// What a block-map node computes from its input blocks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum BlockOp {
    /// A user function (a closure, or one registered by name).
    User(UserFn<BlockFn>),
    /// A built-in kernel.
    Kernel(Kernel),
}

impl BlockOp {
    /// The name `explain()` prints.
    pub fn name(&self) -> String {
        match self {
            BlockOp::User(f) => f.name.clone(),
            BlockOp::Kernel(k) => k.to_string(),
        }
    }

    /// True when a worker process can run it: a kernel, a registered
    /// function or a storage reader (see [`UserFn::is_portable`]).
    pub fn is_portable(&self) -> bool {
        match self {
            BlockOp::User(f) => f.is_portable(),
            BlockOp::Kernel(_) => true,
        }
    }
}

/// A block map: output block `b` is `f` of one block of each input, the
/// block [`BlockMap::input_block`] names.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockMap {
    /// The function.
    pub f: BlockOp,
    /// Per input, per input axis: the output axis whose block index the
    /// input's block index follows, or `None` for an axis that is one block
    /// (a contracted axis of `blockwise`, read whole).
    pub index: Vec<Vec<Option<usize>>>,
}

impl BlockMap {
    /// A map reading block `b` of each of `inputs` inputs of `ndim` axes for
    /// output block `b`.
    pub fn aligned(f: BlockOp, inputs: usize, ndim: usize) -> BlockMap {
        BlockMap {
            f,
            index: vec![(0..ndim).map(Some).collect(); inputs],
        }
    }

    /// The block of input `k` that output block `block` reads.
    ///
    /// ```
    /// use ndchunk::expr::{BlockMap, BlockOp, Kernel, ScanKind, ScanSpec};
    /// let scan = BlockOp::Kernel(Kernel::Scan(ScanSpec { axis: 0, kind: ScanKind::Sum, exclusive: false }));
    /// // "ij,jk->ik": input 0 follows output axis 0 and reads axis j whole.
    /// let map = BlockMap { f: scan, index: vec![vec![Some(0), None], vec![None, Some(1)]] };
    /// assert_eq!(map.input_block(0, &[3, 5]), vec![3, 0]);
    /// assert_eq!(map.input_block(1, &[3, 5]), vec![0, 5]);
    /// ```
    pub fn input_block(&self, k: usize, block: &[usize]) -> Vec<usize> {
        self.index[k]
            .iter()
            .map(|axis| axis.map_or(0, |a| block[a]))
            .collect()
    }
}

/// A built-in block function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// A scan of the first input's block along an axis, started from the
    /// second input's block when there is one (the carry: the scan of every
    /// earlier block, one element along the axis).
    Scan(ScanSpec),
    /// Each lane along `axis` sorted (NaN last, equal values in their order:
    /// NumPy's `kind="stable"`), or with `arg` the lane positions that sort
    /// it (`i64`).
    Sort {
        /// The sorted axis (whole in every block).
        axis: usize,
        /// True for the positions (`argsort`).
        arg: bool,
    },
    /// Per 1-d block, how many of its elements fall in each bucket between
    /// the splitters (`i64`, one count per bucket): the sizes of a sample
    /// sort's buckets. Keys are (value, global position), so equal values
    /// spread over buckets too.
    BucketCounts(std::sync::Arc<Splitters>),
    /// Quantiles of each lane along `axis` by NumPy's default (linear)
    /// method, the quantiles' axis first (dropped for a single one given
    /// as a scalar); `nan` skips NaN (`nanquantile`), else a lane with NaN
    /// gives NaN.
    Quantile {
        /// The reduced axis (whole in every block).
        axis: usize,
        /// Quantiles in [0, 1].
        q: Vec<f64>,
        /// True when the result has an axis for the quantiles.
        q_axis: bool,
        /// True to skip NaN.
        nan: bool,
        /// NumPy's `median` instead (the mean of the two middle elements
        /// of an even lane, NaN for an empty one).
        median: bool,
    },
    /// For each element of the second input's block, how many elements of
    /// the first input's block (1-d, sorted) sort before it (`right`: not
    /// after it), as `i64`, with a leading axis of length 1: summed over the
    /// first input's blocks, NumPy's `searchsorted`.
    SearchSorted {
        /// NumPy's `side="right"`.
        right: bool,
    },
    /// Per block of the first input, how many of its elements fall in each
    /// bin between `edges` (the last bin closed; NaN and values outside
    /// none), as `i64`, or with `weighted` the sums of the second input's
    /// matching elements (`f64`); the block's counts have one element per
    /// axis besides the bins' axis, last.
    Histogram {
        /// Increasing bin edges.
        edges: std::sync::Arc<Vec<f64>>,
        /// True to sum the second input's elements instead of counting.
        weighted: bool,
    },
    /// Per pair of blocks of the two inputs (equal shapes), how many
    /// element pairs fall in each cell of the bins `x_edges` × `y_edges`
    /// (`i64`, the block's counts shaped `(1, ..., 1, x bins, y bins)`).
    Histogram2d {
        /// Increasing edges along the first input.
        x_edges: std::sync::Arc<Vec<f64>>,
        /// Increasing edges along the second input.
        y_edges: std::sync::Arc<Vec<f64>>,
    },
    /// Per 1-d block of non-negative integers, how often each of
    /// `0..len` occurs (`i64`), or with `weighted` the sums of the second
    /// input's matching elements (`f64`), with a leading axis of length 1.
    BinCount {
        /// The counts' length.
        len: usize,
        /// True to sum the second input's elements instead of counting.
        weighted: bool,
    },
    /// For each element of the second input's block, whether it equals an
    /// element of the first input (1-d, sorted, one block); NaN equals
    /// nothing, `-0.0` equals `0.0` (NumPy's `isin`).
    IsIn {
        /// NumPy's `invert=True`.
        invert: bool,
    },
    /// One pass of a radix selection: per lane of the block along the
    /// pass's axis, the counts of one digit of the elements' order keys, or
    /// the keys themselves, among the elements whose higher digits match a
    /// prefix (see [`RadixPass`]).
    Radix(std::sync::Arc<RadixPass>),
}

/// One pass of a radix selection over lanes along `axis` (every other axis
/// whole in each block). Elements are compared by an order key of the
/// dtype's width that sorts as NumPy does (NaN last, `-0.0` equal to
/// `0.0`); lane `l`'s target `t` takes the elements whose key's top `known`
/// bits equal `prefixes[l * targets + t]`.
///
/// A count pass gives per block, with a leading axis of length 1 in place
/// of `axis` and the other axes as they are, then `(targets, 2^width)`
/// `u32` counts of the next `width` bits. A collect pass (`collect` given:
/// per block, per (lane, target) slot, how many keys match there) gives a
/// 1-d `u64` block per input block: each slot's keys, slot after slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RadixPass {
    /// The lanes' axis.
    pub axis: usize,
    /// How many of the key's top bits the prefixes fix.
    pub known: u32,
    /// The width of the digit a count pass counts.
    pub width: u32,
    /// Targets per lane.
    pub targets: usize,
    /// The targets' prefixes, lane by lane (lanes in C order of the other
    /// axes).
    pub prefixes: Vec<u64>,
    /// For a collect pass, block by block, each slot's count of matching
    /// keys.
    pub collect: Option<Vec<usize>>,
}

/// The splitters of a sample sort: keys (value, global position) in
/// ascending order (NaN last); bucket `j` holds the keys from splitter
/// `j - 1` (or the start) up to splitter `j` (or the end), and
/// `block_starts` are the input blocks' global positions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Splitters {
    /// The splitting keys.
    pub keys: Vec<(Scalar, u64)>,
    /// Where each input block starts, in elements.
    pub block_starts: Vec<u64>,
}

impl Kernel {
    /// The result dtype for inputs of `input` dtype.
    pub fn output_dtype(&self, input: DType) -> DType {
        match self {
            Kernel::Scan(s) => s.output_dtype(input),
            Kernel::Sort { arg: false, .. } => input,
            Kernel::Sort { arg: true, .. }
            | Kernel::BucketCounts(_)
            | Kernel::SearchSorted { .. } => DType::I64,
            Kernel::Histogram { weighted, .. } | Kernel::BinCount { weighted, .. } => {
                match weighted {
                    true => DType::F64,
                    false => DType::I64,
                }
            }
            Kernel::IsIn { .. } => DType::Bool,
            Kernel::Histogram2d { .. } => DType::I64,
            Kernel::Radix(p) => match p.collect {
                Some(_) => DType::U64,
                None => DType::U32,
            },
            Kernel::Quantile { q_axis: true, .. } => DType::F64,
            Kernel::Quantile { q_axis: false, .. } => quantile_dtype(input),
        }
    }
}

/// NumPy's result dtype of a single `quantile`/`percentile`/`median`
/// (the quantile a weak scalar): `f32` for `f32`, else `f64`. Several
/// quantiles (an array) give `f64`.
pub fn quantile_dtype(input: DType) -> DType {
    match input {
        DType::F32 => DType::F32,
        _ => DType::F64,
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kernel::Scan(s) => {
                let name = match s.kind {
                    ScanKind::Sum => "cumsum",
                    ScanKind::Prod => "cumprod",
                };
                let exclusive = if s.exclusive { ", exclusive" } else { "" };
                write!(f, "{name}(axis={}{exclusive})", s.axis)
            }
            Kernel::Sort { axis, arg } => {
                write!(f, "{}(axis={axis})", if *arg { "argsort" } else { "sort" })
            }
            Kernel::BucketCounts(s) => write!(f, "bucket_counts({} buckets)", s.keys.len() + 1),
            Kernel::Quantile { axis, q, nan, .. } => write!(
                f,
                "{}quantile(axis={axis}, {} quantiles)",
                if *nan { "nan" } else { "" },
                q.len()
            ),
            Kernel::SearchSorted { right } => {
                write!(f, "searchsorted({})", if *right { "right" } else { "left" })
            }
            Kernel::Histogram { edges, .. } => {
                write!(f, "histogram({} bins)", edges.len().saturating_sub(1))
            }
            Kernel::BinCount { len, .. } => write!(f, "bincount(length {len})"),
            Kernel::Histogram2d { x_edges, y_edges } => write!(
                f,
                "histogram2d({} x {} bins)",
                x_edges.len().saturating_sub(1),
                y_edges.len().saturating_sub(1)
            ),
            Kernel::IsIn { invert } => write!(f, "isin{}", if *invert { "(invert)" } else { "" }),
            Kernel::Radix(p) => match &p.collect {
                Some(counts) => write!(
                    f,
                    "radix_collect(axis={}, {} keys)",
                    p.axis,
                    counts.iter().sum::<usize>()
                ),
                None => write!(f, "radix_counts(axis={}, {} bits)", p.axis, p.width),
            },
        }
    }
}

/// Which scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScanKind {
    /// Running sums (`cumsum`).
    Sum,
    /// Running products (`cumprod`).
    Prod,
}

/// A scan along `axis`: element `i` combines elements `0..=i` (inclusive)
/// or `0..i` (exclusive, the identity first).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanSpec {
    /// The scanned axis.
    pub axis: usize,
    /// Sum or product.
    pub kind: ScanKind,
    /// True for an exclusive scan.
    pub exclusive: bool,
}

impl ScanSpec {
    /// NumPy's result dtype of `cumsum`/`cumprod`: that of `sum`/`prod`
    /// (integers narrower than 64 bits and `bool` widen to `i64`/`u64`).
    pub fn output_dtype(&self, input: DType) -> DType {
        crate::expr::ReduceKind::Sum.output_dtype(input)
    }
}
