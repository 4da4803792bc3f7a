//! Where kernels put their output: appended to a `Vec`, or written in order into a
//! slice that already exists (a block's region of a larger result).

/// An output that elements are appended to, in order.
pub trait Append<T: Copy> {
    /// Appends all of `values`.
    fn append(&mut self, values: &[T]);
    /// Appends every item of `values`.
    fn append_iter(&mut self, values: impl Iterator<Item = T>);
    /// Room for `n` more elements, where that means anything.
    fn reserve_more(&mut self, _n: usize) {}
}

impl<T: Copy> Append<T> for Vec<T> {
    #[inline]
    fn append(&mut self, values: &[T]) {
        self.extend_from_slice(values);
    }
    #[inline]
    fn append_iter(&mut self, values: impl Iterator<Item = T>) {
        self.extend(values);
    }
    fn reserve_more(&mut self, n: usize) {
        self.reserve(n);
    }
}

/// Writes into a slice from its start, in order.
///
/// ```
/// use ndchunk_kernels::append::{Append, SliceWriter};
/// let mut buf = [0; 5];
/// let mut w = SliceWriter::new(&mut buf);
/// w.append(&[1, 2]);
/// w.append_iter([3, 4, 5].into_iter());
/// assert_eq!(w.written(), 5);
/// assert_eq!(buf, [1, 2, 3, 4, 5]);
/// ```
pub struct SliceWriter<'a, T> {
    buf: &'a mut [T],
    pos: usize,
}

impl<'a, T> SliceWriter<'a, T> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [T]) -> Self {
        SliceWriter { buf, pos: 0 }
    }

    /// Elements written so far.
    pub fn written(&self) -> usize {
        self.pos
    }
}

impl<T: Copy> Append<T> for SliceWriter<'_, T> {
    /// Panics if `values` do not fit in what is left of the slice.
    #[inline]
    fn append(&mut self, values: &[T]) {
        let end = self.pos + values.len();
        self.buf[self.pos..end].copy_from_slice(values);
        self.pos = end;
    }
    /// Items beyond the end of the slice are dropped; [`SliceWriter::written`]
    /// then counts only those that fit.
    #[inline]
    fn append_iter(&mut self, values: impl Iterator<Item = T>) {
        for (dst, v) in self.buf[self.pos..].iter_mut().zip(values) {
            *dst = v;
            self.pos += 1;
        }
    }
}
