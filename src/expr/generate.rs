//! Sources whose values depend only on position, block index and a seed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::element::Scalar;

/// How a generated source computes its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generator {
    /// Every element equal to the value.
    Full(Scalar),
    /// 1-d: element `i` is `start + i * step`, computed in the dtype.
    Arange {
        /// First value.
        start: Scalar,
        /// Increment.
        step: Scalar,
    },
    /// 1-d: `num` values from `start` to `stop`, computed in `f64`.
    Linspace {
        /// First value.
        start: f64,
        /// Last value (included when `endpoint`).
        stop: f64,
        /// Number of values.
        num: usize,
        /// Whether `stop` is the last value.
        endpoint: bool,
    },
    /// 2-d: one where `col - row == k`, zero elsewhere.
    Eye {
        /// Diagonal offset.
        k: i64,
    },
    /// Random values; each block's stream depends only on the seed and the block index.
    Random {
        /// The distribution.
        dist: Distribution,
        /// The seed.
        seed: u64,
    },
}

/// Distributions for [`Generator::Random`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Uniform on `[low, high)` (floats).
    Uniform {
        /// Lower bound, included.
        low: f64,
        /// Upper bound, excluded.
        high: f64,
    },
    /// Normal with mean 0 and standard deviation 1 (floats).
    StandardNormal,
    /// Uniform integers on `[low, high)`.
    Integers {
        /// Lower bound, included.
        low: i64,
        /// Upper bound, excluded.
        high: i64,
    },
}

impl Generator {
    /// True when the value at a position does not depend on the block structure,
    /// so any region can be produced on its own (random streams do depend on it).
    pub fn is_positional(&self) -> bool {
        !matches!(self, Generator::Random { .. })
    }
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Generator::Full(v) => write!(f, "full({v})"),
            Generator::Arange { start, step } => write!(f, "arange(start={start}, step={step})"),
            Generator::Linspace {
                start,
                stop,
                num,
                endpoint,
            } => {
                write!(
                    f,
                    "linspace({start}, {stop}, num={num}, endpoint={endpoint})"
                )
            }
            Generator::Eye { k } => write!(f, "eye(k={k})"),
            Generator::Random { dist, seed } => match dist {
                Distribution::Uniform { low, high } => {
                    write!(f, "random.uniform({low}, {high}, seed={seed})")
                }
                Distribution::StandardNormal => write!(f, "random.standard_normal(seed={seed})"),
                Distribution::Integers { low, high } => {
                    write!(f, "random.integers({low}, {high}, seed={seed})")
                }
            },
        }
    }
}
