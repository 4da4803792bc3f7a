//! Per-worker reuse of block buffers within one compute.
//!
//! Large buffers are mapped fresh by the allocator each time and every page is
//! faulted in again, which costs more than the work on them. An output block's
//! buffer, once copied into the result, is handed back here; the next block built
//! on the same worker takes it. Each worker keeps at most [`KEEP`] buffers and
//! drops them when it leaves the compute, so nothing outlives it.

use std::any::{Any, TypeId};
use std::cell::RefCell;

/// Buffers kept per worker thread.
const KEEP: usize = 2;

thread_local! {
    static FREE: RefCell<Vec<(TypeId, Box<dyn Any>)>> = const { RefCell::new(Vec::new()) };
}

/// An empty `Vec<T>` with room for `capacity` elements, reused when possible
/// (a kept buffer at most twice that size, so that a small block is not held
/// in a large allocation the memory estimates do not count).
pub fn take<T: 'static>(capacity: usize) -> Vec<T> {
    let reused = FREE.with(|free| {
        let mut free = free.borrow_mut();
        let pos = free.iter().position(|(id, b)| {
            *id == TypeId::of::<Vec<T>>()
                && b.downcast_ref::<Vec<T>>()
                    .is_some_and(|v| (capacity..=2 * capacity.max(1)).contains(&v.capacity()))
        })?;
        free.swap_remove(pos)
            .1
            .downcast::<Vec<T>>()
            .ok()
            .map(|b| *b)
    });
    reused.unwrap_or_else(|| {
        let mut fresh = Vec::with_capacity(capacity);
        crate::huge_pages::advise(&mut fresh);
        fresh
    })
}

/// Hands `buffer` back for reuse by this worker.
pub fn give<T: 'static>(mut buffer: Vec<T>) {
    buffer.clear();
    FREE.with(|free| {
        let mut free = free.borrow_mut();
        if free.len() < KEEP {
            free.push((TypeId::of::<Vec<T>>(), Box::new(buffer)));
        }
    });
}

/// Drops this worker's buffers (at the end of a compute).
pub fn clear() {
    FREE.with(|free| free.borrow_mut().clear());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_by_type_and_size() {
        let v: Vec<f32> = take(1000);
        let ptr = v.as_ptr();
        give(v);
        let small: Vec<f64> = take(10);
        assert_ne!(small.as_ptr() as usize, ptr as usize);
        let again: Vec<f32> = take(500);
        assert_eq!(again.as_ptr(), ptr);
        assert!(again.is_empty());
        give(again);
        let much_smaller: Vec<f32> = take(100);
        assert_ne!(much_smaller.as_ptr(), ptr);
        clear();
        let fresh: Vec<f32> = take(2000);
        assert!(fresh.capacity() >= 2000);
    }
}
