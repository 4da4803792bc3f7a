//! Settings read from the environment, and the options a plan is made under.
//!
//! The environment is the default; an executor with settings of its own (a
//! local executor's memory limit) hands its [`PlanOptions`] to the planner, so
//! a plan is sized for the executor that runs it.

use crate::chunks::bytes_from_env;
use crate::error::Result;

/// Environment variable setting the default memory limit, e.g. `8GiB`.
pub const MEMORY_LIMIT_ENV: &str = "NDCHUNK_MEMORY_LIMIT";

/// Environment variable setting how many bytes a gather may hold at once (see
/// [`gather_budget`]), e.g. `256MiB`.
pub const GATHER_BYTES_ENV: &str = "NDCHUNK_GATHER_BYTES";

/// Environment variable setting how many bytes a rechunk task may hold (see
/// [`rechunk_budget`]), e.g. `128MiB`.
pub const RECHUNK_BYTES_ENV: &str = "NDCHUNK_RECHUNK_BYTES";

/// Memory limit when `NDCHUNK_MEMORY_LIMIT` is not set and the machine's memory
/// cannot be read: 4 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 4 << 30;

/// What a plan is sized for.
///
/// ```
/// let options = ndchunk::PlanOptions::for_memory_limit(1 << 30)?;
/// assert_eq!(options.memory_limit, 1 << 30);
/// let x = ndchunk::arange::<i64>(0, 100, 1, [10])?;
/// let plan = x.permutation(ndchunk::Axis(0), 1)?.plan_with(&options)?;
/// assert!(!plan.tasks.is_empty());
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Bytes the executor may hold at once. Plans are made to fit it (a gather
    /// that would hold more streams or re-reads its input instead), and one
    /// whose index alone exceeds it is an error.
    pub memory_limit: u64,
    /// Bytes a gather may hold at once: a computed input up to this size is
    /// held whole; a larger one streams in output groups of this size
    /// ([`gather_budget`]).
    pub gather_bytes: u64,
    /// Bytes a rechunk task may hold ([`rechunk_budget`]).
    pub rechunk_bytes: u64,
}

impl PlanOptions {
    /// Options for a memory limit of `limit` bytes: the gather and rechunk
    /// budgets from `NDCHUNK_GATHER_BYTES` and `NDCHUNK_RECHUNK_BYTES`, else a
    /// quarter of `limit` each.
    ///
    /// ```
    /// let options = ndchunk::PlanOptions::for_memory_limit(8 << 20)?;
    /// assert!(options.gather_bytes > 0 && options.rechunk_bytes > 0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn for_memory_limit(limit: u64) -> Result<PlanOptions> {
        Ok(PlanOptions {
            memory_limit: limit,
            gather_bytes: bytes_from_env(GATHER_BYTES_ENV)?.unwrap_or(limit / 4),
            rechunk_bytes: bytes_from_env(RECHUNK_BYTES_ENV)?.unwrap_or(limit / 4),
        })
    }

    /// Options for the default memory limit ([`default_memory_limit`]).
    ///
    /// ```
    /// let options = ndchunk::PlanOptions::from_env()?;
    /// assert!(options.memory_limit > 0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn from_env() -> Result<PlanOptions> {
        PlanOptions::for_memory_limit(default_memory_limit()?)
    }
}

/// The memory limit from `NDCHUNK_MEMORY_LIMIT`, else half the machine's memory
/// (`MemTotal` in `/proc/meminfo`), else [`DEFAULT_MEMORY_LIMIT`].
///
/// ```
/// assert!(ndchunk::exec::default_memory_limit()? > 0);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn default_memory_limit() -> Result<u64> {
    Ok(bytes_from_env(MEMORY_LIMIT_ENV)?
        .unwrap_or_else(|| half_of_physical_memory().unwrap_or(DEFAULT_MEMORY_LIMIT)))
}

/// Bytes a gather may hold at once under the default memory limit: a computed
/// input up to this size is gathered whole (split along the gathered axis,
/// read in place by every output task); a larger one streams, each source
/// block read once per output group of at most this size.
/// `NDCHUNK_GATHER_BYTES`, else a quarter of the default memory limit.
///
/// ```
/// assert!(ndchunk::exec::gather_budget()? > 0);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn gather_budget() -> Result<u64> {
    Ok(PlanOptions::from_env()?.gather_bytes)
}

/// Bytes a rechunk task may hold under the default memory limit: its output
/// block plus the input blocks it reads. A rechunk whose direct tasks would
/// hold more is planned through intermediate chunks (see
/// [`crate::plan::rechunk::intermediate_chunks`]). `NDCHUNK_RECHUNK_BYTES`,
/// else a quarter of the default memory limit.
///
/// ```
/// let budget = ndchunk::exec::rechunk_budget()?;
/// assert!(budget > 0);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn rechunk_budget() -> Result<u64> {
    Ok(PlanOptions::from_env()?.rechunk_bytes)
}

fn half_of_physical_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024 / 2)
}
