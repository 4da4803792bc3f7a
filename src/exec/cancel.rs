//! Stopping a running compute from another thread (a Ctrl-C handler, a
//! timeout, a Python binding's signal check).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag that stops the local executor's computes it is given to: once
/// [`CancelToken::cancel`] is called, no new task starts, the tasks running
/// finish, and the compute returns [`crate::Error::Cancelled`]. Clones share
/// the flag; a token stays cancelled.
///
/// ```
/// use ndchunk::exec::CancelToken;
/// let token = CancelToken::new();
/// let ex = ndchunk::Executor::local().cancel_on(token.clone()).progress(false);
/// let x = ndchunk::arange::<i64>(0, 1000, 1, [10])?;
/// assert_eq!(x.sum()?.compute_with(&ex)?[[]], 499_500);
/// token.cancel();
/// assert!(matches!(x.sum()?.compute_with(&ex), Err(ndchunk::Error::Cancelled { .. })));
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Stops the computes using this token (and every later one).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// True once [`CancelToken::cancel`] has been called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}
