//! Nearest rows: each task compares one block of query rows with one block
//! of corpus rows and keeps, per query row, the `k` corpus rows at the
//! smallest squared Euclidean distance (with their global positions); a
//! top-k tree over the corpus blocks ([`crate::plan::select`]) merges them.

use serde::{Deserialize, Serialize};

use crate::plan::Operand;
use crate::plan::Source;

/// The distance tiles of a nearest-rows search over f64 rows.
#[derive(Debug, Serialize, Deserialize)]
pub struct NearestStage {
    /// Rows kept per query row and corpus block (at most the block's rows).
    pub k: usize,
    /// The query rows: `(m, d)`, one block along `d`.
    pub queries: Operand,
    /// The corpus rows: `(n, d)`, one block along `d`.
    pub corpus: Operand,
}

impl NearestStage {
    /// The (stage, block) pairs the task at `[query block, corpus block]`
    /// reads: the query block, then the corpus block, each when it comes
    /// from a stage.
    pub fn reads(&self, block: &[usize]) -> Vec<(usize, Vec<usize>)> {
        [(&self.queries, block[0]), (&self.corpus, block[1])]
            .into_iter()
            .filter_map(|(operand, row_block)| match operand.source {
                Source::Stage(s) => Some((s, vec![row_block, 0])),
                Source::Resident(_) => None,
            })
            .collect()
    }

    /// Rows kept per query row by the task reading corpus block `corpus_block`.
    pub fn kept(&self, corpus_block: usize) -> usize {
        self.k.min(self.corpus.chunks.lens(0)[corpus_block])
    }

    /// Result and working bytes of the task at `block`: per query row, the
    /// kept distances (f64) and positions (i64); while running, both blocks
    /// as f64, their row norms, a product tile and the candidate buffers.
    pub fn cost(&self, block: &[usize]) -> (u64, u64) {
        let rows = self.queries.chunks.lens(0)[block[0]] as u64;
        let columns = self.corpus.chunks.lens(0)[block[1]] as u64;
        let d = self.queries.chunks.shape().get(1).copied().unwrap_or(0) as u64;
        let result = rows * self.kept(block[1]) as u64 * 16;
        let tile = (TILE_ROWS * TILE_COLUMNS) as u64 * 8;
        let working = (rows + columns) * (d + 1) * 8 + tile + 2 * result;
        (result, result + working)
    }
}

/// Query rows of one distance tile: with [`TILE_COLUMNS`], a product tile of
/// 256 KiB that stays in the core's L2 cache while its rows are scanned.
pub const TILE_ROWS: usize = 128;

/// Corpus rows of one distance tile.
pub const TILE_COLUMNS: usize = 256;

/// Corpus rows every query tile of a task meets before the next ones: 512
/// KiB of f64 rows of 32 values, held in cache while the query block
/// streams past.
pub const PANEL_ROWS: usize = 2048;
