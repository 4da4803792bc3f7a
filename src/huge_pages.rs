//! Transparent huge pages for large buffers.
//!
//! A large buffer is mapped fresh by the allocator and every 4 KiB page is faulted
//! in on first write, which on small VMs costs more than the work that fills it
//! (0.5–0.8 GB/s here). Where the kernel's transparent huge pages are in
//! `madvise` mode (Debian's default), advising a buffer makes those faults 2 MiB
//! at a time, as NumPy does for its own large arrays.

/// Buffers at least this large are advised (NumPy's threshold too).
pub const MIN_BYTES: usize = 4 << 20;

const HUGE_PAGE: usize = 2 << 20;

/// Advises the kernel to back `buf`'s allocation (its whole capacity) with huge
/// pages. Best effort: a no-op on small buffers, off Linux, or if the kernel says
/// no.
pub fn advise<T>(buf: &mut Vec<T>) {
    let bytes = buf.capacity() * std::mem::size_of::<T>();
    if bytes < MIN_BYTES {
        return;
    }
    let start = buf.as_mut_ptr() as usize;
    let aligned = start.next_multiple_of(HUGE_PAGE);
    let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > aligned {
        advise_range(aligned, end - aligned);
    }
}

#[cfg(target_os = "linux")]
fn advise_range(addr: usize, len: usize) {
    // SAFETY: the range lies inside a live allocation owned by the caller's Vec;
    // MADV_HUGEPAGE changes only how its pages are backed, never their contents.
    unsafe {
        libc::madvise(addr as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_addr: usize, _len: usize) {}

/// `n` copies of `T::default()` (zero for every element type) in a buffer advised
/// for huge pages. The zeroed pages come lazily from the allocator's fresh mapping,
/// so the caller's writes, not this call, fault them in.
pub fn zeroed<T: Clone + Default>(n: usize) -> Vec<T> {
    let mut v = vec![T::default(); n];
    advise(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advised_buffers_keep_their_contents() {
        let v: Vec<f32> = zeroed(3 << 20);
        assert!(v.iter().all(|&x| x == 0.0));
        let mut w: Vec<u8> = Vec::with_capacity(MIN_BYTES + 1);
        w.extend(std::iter::repeat_n(7, 100));
        advise(&mut w);
        assert_eq!(w, vec![7; 100]);
    }
}
