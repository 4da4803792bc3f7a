//! Settings read from the environment, and the options a plan is made under.
//!
//! This is the one module that reads sizes from the environment. The
//! environment is the default; an executor with settings of its own (a local
//! executor's memory limit, or options given with
//! [`Executor::with_plan_options`](crate::Executor::with_plan_options)) hands
//! its [`PlanOptions`] to the planner, so a plan is sized for the executor
//! that runs it. It depends on nothing of the crate but [`crate::error`].

use crate::error::{Error, Result};

/// Default target size of one chunk for `ChunkSpec::Auto`: 128 MiB.
pub const DEFAULT_CHUNK_BYTES: u64 = 128 << 20;

/// Environment variable overriding [`DEFAULT_CHUNK_BYTES`], e.g. `64MiB`.
pub const CHUNK_SIZE_ENV: &str = "NDCHUNK_CHUNK_SIZE";

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

/// Environment variable naming the directory that the local executor's spill
/// directories and disk rechunks' intermediates are made in (default: the
/// system's temporary directory).
pub const SPILL_DIR_ENV: &str = "NDCHUNK_SPILL_DIR";

/// Where spill directories and disk intermediates are made: `explicit`, else
/// [`SPILL_DIR_ENV`], else the temporary directory.
pub fn spill_parent(explicit: Option<&std::path::Path>) -> std::path::PathBuf {
    explicit
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os(SPILL_DIR_ENV).map(std::path::PathBuf::from))
        .unwrap_or_else(std::env::temp_dir)
}

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
    /// Target bytes of a block where the plan chooses block sizes itself
    /// ([`chunk_bytes`]).
    pub chunk_bytes: u64,
    /// A rechunk whose block columns (the input blocks one output block
    /// overlaps) exceed the memory limit goes through files on disk
    /// ([`crate::plan::disk`]); without this it is planned in memory. The
    /// local executor's plans have it; the Dask executor's do not (its
    /// workers hold task results on their own disks).
    pub disk_rechunk: bool,
}

impl PlanOptions {
    /// Options for a memory limit of `limit` bytes: the gather and rechunk
    /// budgets from `NDCHUNK_GATHER_BYTES` and `NDCHUNK_RECHUNK_BYTES`, else a
    /// quarter of `limit` each; the chunk size from [`chunk_bytes`].
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
            chunk_bytes: chunk_bytes()?,
            disk_rechunk: true,
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
/// assert!(ndchunk::config::default_memory_limit()? > 0);
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
/// assert!(ndchunk::config::gather_budget()? > 0);
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
/// let budget = ndchunk::config::rechunk_budget()?;
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

/// The chunk size for `ChunkSpec::Auto` and for axes cut to about a chunk:
/// `NDCHUNK_CHUNK_SIZE` if set, else [`DEFAULT_CHUNK_BYTES`].
///
/// ```
/// assert!(ndchunk::config::chunk_bytes()? > 0);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn chunk_bytes() -> Result<u64> {
    match bytes_from_env(CHUNK_SIZE_ENV)? {
        Some(0) => Err(Error::Environment {
            name: CHUNK_SIZE_ENV.into(),
            value: std::env::var(CHUNK_SIZE_ENV).unwrap_or_default(),
            message: "a chunk size in bytes must be positive".into(),
        }),
        Some(b) => Ok(b),
        None => Ok(DEFAULT_CHUNK_BYTES),
    }
}

/// The byte size in environment variable `name` (see [`parse_bytes`]), if set.
fn bytes_from_env(name: &str) -> Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) => parse_bytes(&v)
            .map(Some)
            .map_err(|message| Error::Environment {
                name: name.into(),
                value: v.clone(),
                message,
            }),
        Err(_) => Ok(None),
    }
}

/// Parses a byte size such as `64MiB`, `1.5GB`, `4096` or `100 kB`.
///
/// ```
/// assert_eq!(ndchunk::config::parse_bytes("64MiB").unwrap(), 64 << 20);
/// assert_eq!(ndchunk::config::parse_bytes("1kB").unwrap(), 1000);
/// assert!(ndchunk::config::parse_bytes("lots").is_err());
/// ```
pub fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} does not start with a number"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} (use B, kB, MB, GB, KiB, MiB, GiB)"
            ))
        }
    };
    let bytes = value * mult;
    if bytes < 1.0 || !bytes.is_finite() {
        return Err(format!("{s:?} is not a positive byte size"));
    }
    Ok(bytes as u64)
}

/// Bytes in a human unit (binary prefixes), as `explain()` prints them.
///
/// ```
/// assert_eq!(ndchunk::config::human_bytes(512), "512 B");
/// assert_eq!(ndchunk::config::human_bytes(3 << 20), "3.0 MiB");
/// ```
pub fn human_bytes(b: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}
