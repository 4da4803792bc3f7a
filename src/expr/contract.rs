//! Contractions as data: which axes of two operands are matched and kept,
//! matched and summed, or kept from one side only.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A contraction of two operands `a` and `b`:
/// `out[batch…, free_a…, free_b…] = Σ_contracted a[…] · b[…]`.
///
/// Every axis of `a` appears once in `batch`, `free_a` or `contracted`, and
/// every axis of `b` once in `batch`, `free_b` or `contracted`. The output's
/// axes are the batch axes, then `a`'s free axes, then `b`'s, in the order
/// given; `matmul`, `tensordot`, `dot`, `vdot` and `einsum` are all this
/// (followed by a view for another output order).
///
/// ```
/// use ndchunk::expr::ContractSpec;
/// // A batched matrix product: (b, m, k) · (b, k, n) → (b, m, n).
/// let spec = ContractSpec {
///     batch: vec![(0, 0)],
///     free_a: vec![1],
///     free_b: vec![2],
///     contracted: vec![(2, 1)],
///     origin: "matmul".into(),
/// };
/// assert_eq!(spec.output_axes(), vec![(0, 0), (0, 1), (1, 2)]);
/// assert_eq!((spec.a_order(), spec.b_order()), (vec![0, 1, 2], vec![0, 1, 2]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSpec {
    /// Axes matched and kept: (axis of `a`, axis of `b`).
    pub batch: Vec<(usize, usize)>,
    /// Axes of `a` kept.
    pub free_a: Vec<usize>,
    /// Axes of `b` kept.
    pub free_b: Vec<usize>,
    /// Axes matched and summed over: (axis of `a`, axis of `b`).
    pub contracted: Vec<(usize, usize)>,
    /// What built it (`matmul`, `tensordot`, `einsum(ij,jk->ik)`), for `explain`.
    pub origin: String,
}

impl ContractSpec {
    /// Per output axis, the operand (0 for `a`, 1 for `b`) and its axis
    /// there that gives the output axis its length and chunks.
    pub fn output_axes(&self) -> Vec<(usize, usize)> {
        let batch = self.batch.iter().map(|&(a, _)| (0, a));
        let free_a = self.free_a.iter().map(|&a| (0, a));
        let free_b = self.free_b.iter().map(|&b| (1, b));
        batch.chain(free_a).chain(free_b).collect()
    }

    /// The axis order that makes `a`'s block (batch…, free_a…, contracted…).
    pub fn a_order(&self) -> Vec<usize> {
        let batch = self.batch.iter().map(|&(a, _)| a);
        let contracted = self.contracted.iter().map(|&(a, _)| a);
        batch
            .chain(self.free_a.iter().copied())
            .chain(contracted)
            .collect()
    }

    /// The axis order that makes `b`'s block (batch…, contracted…, free_b…).
    pub fn b_order(&self) -> Vec<usize> {
        let batch = self.batch.iter().map(|&(_, b)| b);
        let contracted = self.contracted.iter().map(|&(_, b)| b);
        batch
            .chain(contracted)
            .chain(self.free_b.iter().copied())
            .collect()
    }
}

impl fmt::Display for ContractSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}(batch={:?}, contracted={:?})",
            self.origin, self.batch, self.contracted
        )
    }
}
