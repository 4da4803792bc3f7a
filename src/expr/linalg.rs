//! Dense factorisations as data: the kernels `ndchunk::linalg` builds its
//! algorithms from. Each is applied to 2-d blocks: row block by row block
//! (its inputs have one column block), or to a single block.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A dense linear-algebra kernel (`Op::Linalg`). The row-blockwise kernels
/// make tall-and-skinny QR a tree (`linalg::tsqr`); the single-block ones
/// pack several factors into one block, which views cut apart.
///
/// ```
/// use ndchunk::expr::Factor;
/// assert_eq!(Factor::BlockR.to_string(), "qr.r (per row block)");
/// assert!(!Factor::Solve.blockwise());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Factor {
    /// Each row block `A_i` (`m_i × n`) to the `R` of its QR
    /// (`min(m_i, n) × n`).
    BlockR,
    /// Each row block `A_i` of the first input and the matching row block
    /// `W_i` of the second (`min(m_i, n) × p`) to `Q_i · W_i` (`m_i × p`),
    /// where `A_i = Q_i R_i`: the QR is computed again, and its Householder
    /// reflections applied to `W_i`, so `Q_i` is never held.
    ApplyQ,
    /// The one block `A` (`m × n`, `k = min(m, n)`) to its thin QR packed
    /// as `[Q; R]`: `(m + k) × n`, `Q` in the first `k` columns.
    QrPacked,
    /// The one block `A` (`m × n`, `m ≥ n`) to its thin SVD packed as
    /// `[U; s; Vᵀ]`: `(m + 1 + n) × n`. Signs are flipped so that each row
    /// of `Vᵀ` sums to zero or more (dask's `svd_flip`).
    SvdPacked,
    /// The one block to its singular values, largest first.
    SingularValues,
    /// The Cholesky factor of the one (symmetric positive definite) block,
    /// lower or upper triangular; only the lower triangle is read.
    Cholesky {
        /// `U` with `A = Uᵀ U` instead of `L` with `A = L Lᵀ`.
        upper: bool,
    },
    /// `x` with `A x = b`, `A` (square) and `b` (1-d or 2-d) one block each,
    /// by LU with partial pivoting.
    Solve,
}

impl Factor {
    /// True for the kernels applied row block by row block.
    pub fn blockwise(self) -> bool {
        matches!(self, Factor::BlockR | Factor::ApplyQ)
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Factor::BlockR => write!(f, "qr.r (per row block)"),
            Factor::ApplyQ => write!(f, "qr.q · w (per row block)"),
            Factor::QrPacked => write!(f, "qr"),
            Factor::SvdPacked => write!(f, "svd"),
            Factor::SingularValues => write!(f, "svdvals"),
            Factor::Cholesky { upper: false } => write!(f, "cholesky"),
            Factor::Cholesky { upper: true } => write!(f, "cholesky(upper)"),
            Factor::Solve => write!(f, "solve"),
        }
    }
}
