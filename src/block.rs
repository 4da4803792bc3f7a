//! Blocks of any dtype (`DynArray`) and tile buffers (`Tile`), the untyped data
//! that flows between tasks.

use std::ops::Range;

use ndarray::{ArrayD, IxDyn, SliceInfoElem};

use crate::element::{DType, Element};

/// An n-dimensional block of any supported dtype.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum DynArray {
    Bool(ArrayD<bool>),
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
    U8(ArrayD<u8>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
}

impl DynArray {
    /// The block's dtype.
    pub fn dtype(&self) -> DType {
        dyn_match!(self, _a: T => T::DTYPE)
    }

    /// The block's shape.
    pub fn shape(&self) -> &[usize] {
        dyn_match!(self, a: T => a.shape())
    }

    /// Bytes held by the block's elements.
    pub fn nbytes(&self) -> u64 {
        (self.shape().iter().product::<usize>() * self.dtype().size()) as u64
    }

    /// An empty (all-zero) block of `dtype` and `shape`.
    pub fn zeros(dtype: DType, shape: &[usize]) -> DynArray {
        let n = shape.iter().product();
        with_dtype!(dtype, T => T::wrap(
            // Large blocks get huge pages (see `huge_pages`).
            ArrayD::from_shape_vec(IxDyn(shape), crate::huge_pages::zeroed::<T>(n))
                .unwrap_or_else(|_| ArrayD::<T>::default(IxDyn(shape)))
        ))
    }

    /// A standard-layout copy of the region `ranges` (one range per axis).
    pub fn region(&self, ranges: &[Range<usize>]) -> DynArray {
        dyn_match!(self, a: T => T::wrap(region_of(a, ranges)))
    }

    /// Each element converted to `dtype` with [`Element::cast`].
    pub fn cast(&self, dtype: DType) -> DynArray {
        dyn_match!(self, a: S => with_dtype!(dtype, U => U::wrap(a.mapv(|v: S| v.cast::<U>()))))
    }

    /// This block as `dtype`: itself when it has that dtype, else [`DynArray::cast`].
    pub fn into_dtype(self, dtype: DType) -> DynArray {
        if self.dtype() == dtype {
            self
        } else {
            self.cast(dtype)
        }
    }
}

/// A standard-layout copy of `ranges` of `a`: a plain copy when the region
/// is contiguous, else written row by row into an uninitialised buffer
/// (ndarray's `to_owned` of a strided view goes element by element, about
/// 9 ns an element here).
pub(crate) fn region_of<T: Copy>(a: &ArrayD<T>, ranges: &[Range<usize>]) -> ArrayD<T> {
    let info: Vec<SliceInfoElem> = ranges
        .iter()
        .map(|r| SliceInfoElem::Slice {
            start: r.start as isize,
            end: Some(r.end as isize),
            step: 1,
        })
        .collect();
    let view = a.slice(info.as_slice());
    if view.is_standard_layout() {
        return view.to_owned();
    }
    let mut out = ArrayD::<T>::uninit(view.raw_dim());
    view.assign_to(&mut out);
    // SAFETY: `assign_to` wrote every element of `out`, which has the view's shape.
    unsafe { out.assume_init() }
}

/// A mutable C-order slice of any supported dtype: where an output block is
/// written in place (its region of the caller's result).
#[derive(Debug)]
#[allow(missing_docs)]
pub enum DynSliceMut<'a> {
    Bool(&'a mut [bool]),
    I8(&'a mut [i8]),
    I16(&'a mut [i16]),
    I32(&'a mut [i32]),
    I64(&'a mut [i64]),
    U8(&'a mut [u8]),
    U16(&'a mut [u16]),
    U32(&'a mut [u32]),
    U64(&'a mut [u64]),
    F32(&'a mut [f32]),
    F64(&'a mut [f64]),
}

impl<'a> DynSliceMut<'a> {
    /// The slice's dtype.
    pub fn dtype(&self) -> DType {
        match self {
            DynSliceMut::Bool(_) => DType::Bool,
            DynSliceMut::I8(_) => DType::I8,
            DynSliceMut::I16(_) => DType::I16,
            DynSliceMut::I32(_) => DType::I32,
            DynSliceMut::I64(_) => DType::I64,
            DynSliceMut::U8(_) => DType::U8,
            DynSliceMut::U16(_) => DType::U16,
            DynSliceMut::U32(_) => DType::U32,
            DynSliceMut::U64(_) => DType::U64,
            DynSliceMut::F32(_) => DType::F32,
            DynSliceMut::F64(_) => DType::F64,
        }
    }

    /// The slice as `&mut [T]`, if it holds `T` and exactly `len` elements; else
    /// an error naming `op`.
    pub fn typed<T: Element>(self, len: usize, op: &str) -> crate::error::Result<&'a mut [T]> {
        let found = (self.dtype(), self.len());
        T::unwrap_slice_mut(self)
            .filter(|d| d.len() == len)
            .ok_or_else(|| {
                crate::error::Error::invalid(
                    op,
                    format!(
                        "{len} {} elements do not fit a destination of {} {}",
                        T::DTYPE,
                        found.1,
                        found.0
                    ),
                )
            })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            DynSliceMut::Bool(x) => x.len(),
            DynSliceMut::I8(x) => x.len(),
            DynSliceMut::I16(x) => x.len(),
            DynSliceMut::I32(x) => x.len(),
            DynSliceMut::I64(x) => x.len(),
            DynSliceMut::U8(x) => x.len(),
            DynSliceMut::U16(x) => x.len(),
            DynSliceMut::U32(x) => x.len(),
            DynSliceMut::U64(x) => x.len(),
            DynSliceMut::F32(x) => x.len(),
            DynSliceMut::F64(x) => x.len(),
        }
    }

    /// True when the slice holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `block` (same dtype and element count) into the slice in C order.
    pub fn write(self, block: &DynArray) -> crate::error::Result<()> {
        dyn_match!(block, b: T => {
            let dst = self.typed::<T>(b.len(), "write")?;
            match b.as_slice() {
                Some(src) => dst.copy_from_slice(src),
                None => dst.iter_mut().zip(b.iter()).for_each(|(d, v)| *d = *v),
            }
            Ok(())
        })
    }
}

/// A buffer of one register of a fused elementwise program.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Tile {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Tile {
    /// An empty buffer for `dtype`.
    pub fn new(dtype: DType) -> Tile {
        with_dtype!(dtype, T => T::new_tile())
    }
}
