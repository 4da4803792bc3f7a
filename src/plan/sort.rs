//! The buckets of a sample sort: output block `j` holds the input's keys
//! (value, position) between splitters `j - 1` and `j`, sorted. A task reads
//! every input block and keeps its bucket's elements, so each input block is
//! read once per bucket; buckets are sized to a task's budget, so a 1-d
//! array larger than memory is read a bounded number of times
//! (`ceil(bytes / bucket bytes)`), and with `reread` each bucket computes a
//! computed input again rather than holding it for all buckets.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunks::Chunks;
use crate::element::DType;
use crate::expr::SortSpec;
use crate::plan::Source;

/// A stage of sample-sort buckets.
#[derive(Debug, Serialize, Deserialize)]
pub struct SortStage {
    /// Splitters, and values or positions.
    pub spec: Arc<SortSpec>,
    /// The 1-d input.
    pub source: Source,
    /// Its chunks.
    pub from: Chunks,
    /// The output's chunks: one block per bucket.
    pub to: Chunks,
    /// Dtype of the input.
    pub input_dtype: DType,
    /// True when each bucket reads the input under a replica of its own
    /// (the input is computed and larger than half the memory limit).
    pub reread: bool,
}

impl SortStage {
    /// Every input block, for a computed input.
    pub fn reads(&self) -> Vec<(usize, Vec<usize>)> {
        match self.source {
            Source::Stage(s) => (0..self.from.lens(0).len()).map(|b| (s, vec![b])).collect(),
            Source::Resident(_) => Vec::new(),
        }
    }

    /// Result and working bytes of bucket `block`: the bucket's values
    /// (which become the result) and the radix sort's second buffer; for
    /// positions, (key, position) pairs twice and the result.
    pub fn cost(&self, dtype: DType, block: &[usize]) -> (u64, u64) {
        let n = self.to.lens(0)[block[0]] as u64;
        let out = n * dtype.size() as u64;
        let work = match self.spec.arg {
            false => 2 * out,
            true => out + 2 * n * 16,
        };
        (out, work)
    }
}
