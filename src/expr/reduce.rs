//! Reductions and their NumPy result dtypes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::element::DType;

/// Which reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ReduceKind {
    Sum,
    Prod,
    Mean,
    Min,
    Max,
    Var,
    Std,
    ArgMin,
    ArgMax,
    Any,
    All,
    CountNonzero,
    NanSum,
    NanMean,
    NanMin,
    NanMax,
}

impl ReduceKind {
    /// NumPy's name.
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Prod => "prod",
            ReduceKind::Mean => "mean",
            ReduceKind::Min => "min",
            ReduceKind::Max => "max",
            ReduceKind::Var => "var",
            ReduceKind::Std => "std",
            ReduceKind::ArgMin => "argmin",
            ReduceKind::ArgMax => "argmax",
            ReduceKind::Any => "any",
            ReduceKind::All => "all",
            ReduceKind::CountNonzero => "count_nonzero",
            ReduceKind::NanSum => "nansum",
            ReduceKind::NanMean => "nanmean",
            ReduceKind::NanMin => "nanmin",
            ReduceKind::NanMax => "nanmax",
        }
    }

    /// False for reductions that fail on zero elements (min, max, argmin, ...).
    pub fn has_identity(self) -> bool {
        !matches!(
            self,
            ReduceKind::Min
                | ReduceKind::Max
                | ReduceKind::ArgMin
                | ReduceKind::ArgMax
                | ReduceKind::NanMin
                | ReduceKind::NanMax
        )
    }

    /// The result dtype for an input of `input` dtype, following NumPy.
    pub fn output_dtype(self, input: DType) -> DType {
        use DType::*;
        match self {
            ReduceKind::Sum | ReduceKind::Prod | ReduceKind::NanSum => match input {
                Bool | I8 | I16 | I32 | I64 => I64,
                U8 | U16 | U32 | U64 => U64,
                f => f,
            },
            ReduceKind::Mean | ReduceKind::Var | ReduceKind::Std | ReduceKind::NanMean => {
                match input {
                    F32 => F32,
                    _ => F64,
                }
            }
            ReduceKind::Min | ReduceKind::Max | ReduceKind::NanMin | ReduceKind::NanMax => input,
            ReduceKind::ArgMin | ReduceKind::ArgMax | ReduceKind::CountNonzero => I64,
            ReduceKind::Any | ReduceKind::All => Bool,
        }
    }
}

/// A reduction over `axes` (sorted, distinct) of its input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReduceSpec {
    /// Which reduction.
    pub kind: ReduceKind,
    /// Axes reduced, sorted.
    pub axes: Vec<usize>,
    /// Keep reduced axes as length 1.
    pub keepdims: bool,
    /// Delta degrees of freedom for `var` and `std`.
    pub ddof: usize,
    /// Most partial results combined by one task of the tree reduction.
    pub split_every: usize,
    /// For argmin/argmax over all axes: return a flat (C-order) index.
    pub flat: bool,
}

impl fmt::Display for ReduceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(axes={:?}", self.kind.name(), self.axes)?;
        if self.keepdims {
            write!(f, ", keepdims")?;
        }
        if matches!(self.kind, ReduceKind::Var | ReduceKind::Std) {
            write!(f, ", ddof={}", self.ddof)?;
        }
        write!(f, ", split_every={})", self.split_every)
    }
}

/// A reduction finished inside the task that computes its input block: its
/// axes are whole in every block (see `Op::BlockwiseReduce`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockwiseReduce {
    /// The reduction.
    pub spec: ReduceSpec,
    /// Its result dtype.
    pub dtype: DType,
    /// Its result chunks.
    pub chunks: Chunks,
}
