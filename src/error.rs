//! The one error type of ndchunk.
//!
//! Every user mistake is an `Err` naming the offending value and where it was;
//! nothing in the crate panics on user input.

/// Result alias used throughout ndchunk.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when building or computing an array.
///
/// `Debug` prints the same sentence as `Display` (as `std::io::Error` and
/// anyhow do), so `main() -> Result<(), ndchunk::Error>` reports a failure in
/// words rather than as a struct dump.
///
/// ```
/// let err = ndchunk::zeros::<f32>(&[4], [0]).unwrap_err();
/// assert!(err.to_string().contains("chunk length 0"));
/// assert_eq!(format!("{err:?}"), err.to_string());
/// ```
#[derive(Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two shapes that had to agree (or broadcast) did not.
    #[error("{op}: shapes {left:?} and {right:?} do not broadcast together")]
    ShapeMismatch {
        /// The operation that needed them to agree.
        op: String,
        /// Shape of the left operand.
        left: Vec<usize>,
        /// Shape of the right operand.
        right: Vec<usize>,
    },
    /// An axis number beyond the array's dimensions.
    #[error("{op}: axis {axis} is out of bounds for an array of {ndim} dimensions")]
    AxisOutOfBounds {
        /// The operation that got the axis.
        op: String,
        /// The axis asked for.
        axis: isize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// An axis given twice.
    #[error("{op}: axis {axis} is given more than once")]
    RepeatedAxis {
        /// The operation that got the axes.
        op: String,
        /// The repeated axis.
        axis: usize,
    },
    /// An index beyond an axis' length.
    #[error("{op}: index {index} is out of bounds for axis {axis} of length {len}")]
    IndexOutOfBounds {
        /// The operation that got the index.
        op: String,
        /// The index asked for.
        index: i64,
        /// The axis it was for.
        axis: usize,
        /// That axis' length.
        len: usize,
    },
    /// An entry of an integer indexer beyond the axis it indexes.
    #[error("{op}: index {index} at position {position:?} is out of bounds for axis {axis} of length {len}")]
    IndexerOutOfBounds {
        /// The operation that got the indexer.
        op: String,
        /// The offending index value.
        index: i128,
        /// Its position in the indexer.
        position: Vec<usize>,
        /// The axis it indexes.
        axis: usize,
        /// That axis' length.
        len: usize,
    },
    /// A chunking that does not fit the shape, or a malformed chunk specification.
    #[error("invalid chunks: {0}")]
    InvalidChunks(String),
    /// A reduction with no identity over no elements (NumPy's "zero-size array").
    #[error(
        "{op}: zero-size reduction has no identity (reduced axes {axes:?} of shape {shape:?})"
    )]
    EmptyReduction {
        /// The reduction.
        op: String,
        /// The axes reduced.
        axes: Vec<usize>,
        /// Shape of the reduced array.
        shape: Vec<usize>,
    },
    /// An argument outside what an operation accepts.
    #[error("{op}: invalid argument: {message}")]
    InvalidArgument {
        /// The operation.
        op: String,
        /// What was wrong with the argument.
        message: String,
    },
    /// Data of another dtype than the one asked for.
    #[error("{op}: expected dtype {expected}, found {found}")]
    DtypeMismatch {
        /// Where the mismatch was found.
        op: String,
        /// The dtype asked for.
        expected: String,
        /// The dtype that was there.
        found: String,
    },
    /// A user function returned a block of the wrong shape.
    #[error(
        "{op}: block {block:?} should have shape {expected:?} but the function returned {found:?}"
    )]
    BlockShape {
        /// The operation that called the function.
        op: String,
        /// The block index.
        block: Vec<usize>,
        /// The shape the block must have.
        expected: Vec<usize>,
        /// The shape that was returned.
        found: Vec<usize>,
    },
    /// A single task needs more memory than the executor's memory limit.
    #[error("task {task} needs {needed} bytes, more than the memory limit of {limit} bytes")]
    MemoryLimit {
        /// The task's description.
        task: String,
        /// Bytes it needs.
        needed: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A failure while executing a task, with the task it happened in.
    #[error("while computing {task}: {source}")]
    Task {
        /// The task's description.
        task: String,
        /// What went wrong.
        source: Box<Error>,
    },
    /// An environment variable with a value that cannot be used.
    #[error("environment variable {name}={value:?}: {message}")]
    Environment {
        /// Variable name.
        name: String,
        /// Its value.
        value: String,
        /// Why it cannot be used.
        message: String,
    },
    /// The compute was cancelled (see [`crate::exec::CancelToken`]) after
    /// `done` of its `total` tasks.
    #[error("cancelled after {done} of {total} tasks")]
    Cancelled {
        /// Tasks that had finished.
        done: usize,
        /// Tasks in the plan.
        total: usize,
    },
    /// The executor could not be set up (thread pool, progress bar).
    #[error("executor: {0}")]
    Executor(String),
    /// A store that cannot be read or written: missing, bad metadata, a chunk
    /// that fails to decode. `chunk` is the chunk's key when one is to blame.
    #[error("{path}{}: {message}", chunk.as_ref().map(|k| format!(" chunk {k}")).unwrap_or_default())]
    Storage {
        /// The array's path.
        path: String,
        /// The key of the chunk at fault, if any.
        chunk: Option<String>,
        /// What went wrong.
        message: String,
    },
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error {
    pub(crate) fn invalid(op: &str, message: impl Into<String>) -> Error {
        Error::InvalidArgument {
            op: op.to_string(),
            message: message.into(),
        }
    }

    #[cfg(any(feature = "zarr", feature = "hdf5"))]
    pub(crate) fn storage(path: &std::path::Path, message: impl std::fmt::Display) -> Error {
        Error::Storage {
            path: path.display().to_string(),
            chunk: None,
            message: message.to_string(),
        }
    }

    /// A storage error at `chunk` (its key in the store) of the array at `path`.
    #[cfg(feature = "zarr")]
    pub(crate) fn storage_chunk(
        path: &std::path::Path,
        chunk: impl Into<String>,
        message: impl std::fmt::Display,
    ) -> Error {
        Error::Storage {
            path: path.display().to_string(),
            chunk: Some(chunk.into()),
            message: message.to_string(),
        }
    }

    pub(crate) fn chunks(message: impl Into<String>) -> Error {
        Error::InvalidChunks(message.into())
    }
}
