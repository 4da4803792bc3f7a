//! The supported element types and their runtime descriptions.

use std::fmt;

use ndarray::ArrayD;
use num_traits::{AsPrimitive, Float};
use serde::{Deserialize, Serialize};

use crate::block::{DynArray, DynSliceMut, Tile};

/// Runtime description of an element type; names follow NumPy.
///
/// ```
/// use ndchunk::DType;
/// assert_eq!(DType::F32.size(), 4);
/// assert_eq!(DType::U16.to_string(), "uint16");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// `bool`
    Bool,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl DType {
    /// Every dtype, in NumPy's order.
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F32,
        DType::F64,
    ];

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::I64 | DType::U64 | DType::F64 => 8,
        }
    }

    /// NumPy's name for the dtype (`"float32"`, `"int64"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// True for `f32` and `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// True for the signed and unsigned integer dtypes.
    ///
    /// ```
    /// use ndchunk::DType;
    /// assert!(DType::U8.is_integer() && !DType::F32.is_integer() && !DType::Bool.is_integer());
    /// ```
    pub fn is_integer(self) -> bool {
        !self.is_float() && self != DType::Bool
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value of any supported dtype, the way constants travel through a plan.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Scalar {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
}

impl Scalar {
    /// The scalar's dtype.
    ///
    /// ```
    /// use ndchunk::{DType, Element};
    /// assert_eq!(2.5f32.to_scalar().dtype(), DType::F32);
    /// ```
    pub fn dtype(&self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::I8(_) => DType::I8,
            Scalar::I16(_) => DType::I16,
            Scalar::I32(_) => DType::I32,
            Scalar::I64(_) => DType::I64,
            Scalar::U8(_) => DType::U8,
            Scalar::U16(_) => DType::U16,
            Scalar::U32(_) => DType::U32,
            Scalar::U64(_) => DType::U64,
            Scalar::F32(_) => DType::F32,
            Scalar::F64(_) => DType::F64,
        }
    }

    /// The value cast to `T` by the rules of [`crate::Array::astype`].
    ///
    /// ```
    /// use ndchunk::{Element, Scalar};
    /// assert_eq!(Scalar::F64(2.7).cast::<i32>(), 2);
    /// ```
    pub fn cast<T: Element>(self) -> T {
        T::from_prim(match self {
            Scalar::Bool(v) => v.to_prim(),
            Scalar::I8(v) => v.to_prim(),
            Scalar::I16(v) => v.to_prim(),
            Scalar::I32(v) => v.to_prim(),
            Scalar::I64(v) => v.to_prim(),
            Scalar::U8(v) => v.to_prim(),
            Scalar::U16(v) => v.to_prim(),
            Scalar::U32(v) => v.to_prim(),
            Scalar::U64(v) => v.to_prim(),
            Scalar::F32(v) => v.to_prim(),
            Scalar::F64(v) => v.to_prim(),
        })
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(v) => write!(f, "{v}"),
            Scalar::I8(v) => write!(f, "{v}"),
            Scalar::I16(v) => write!(f, "{v}"),
            Scalar::I32(v) => write!(f, "{v}"),
            Scalar::I64(v) => write!(f, "{v}"),
            Scalar::U8(v) => write!(f, "{v}"),
            Scalar::U16(v) => write!(f, "{v}"),
            Scalar::U32(v) => write!(f, "{v}"),
            Scalar::U64(v) => write!(f, "{v}"),
            Scalar::F32(v) => write!(f, "{v}"),
            Scalar::F64(v) => write!(f, "{v}"),
        }
    }
}

/// A value on its way through a cast: the widest type of its kind.
#[derive(Clone, Copy, Debug)]
#[doc(hidden)]
pub enum Prim {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
}

mod sealed {
    pub trait Sealed {}
}

/// An element type ndchunk can hold: `bool`, `i8`..`i64`, `u8`..`u64`, `f32`, `f64`.
///
/// ```
/// use ndchunk::{DType, Element};
/// assert_eq!(<u8 as Element>::DTYPE, DType::U8);
/// assert_eq!(3.9f64.cast::<u8>(), 3);
/// assert_eq!(true.cast::<f32>(), 1.0);
/// ```
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + PartialOrd
    + PartialEq
    + Default
    + fmt::Debug
    + fmt::Display
    + 'static
{
    /// The runtime dtype.
    const DTYPE: DType;
    /// Accumulator and result type of `sum` and `prod` (`i64`, `u64`, or the float itself).
    type Sum: Element;
    /// Result type of `mean`, `var` and `std` (`f64`, or `f32` for `f32`).
    type Mean: FloatElement;

    #[doc(hidden)]
    fn to_prim(self) -> Prim;
    #[doc(hidden)]
    fn from_prim(p: Prim) -> Self;
    /// Wrap the value as a [`Scalar`].
    fn to_scalar(self) -> Scalar;
    /// NumPy's truth value: non-zero (NaN counts as true).
    fn is_nonzero(self) -> bool;
    #[doc(hidden)]
    fn wrap(a: ArrayD<Self>) -> DynArray;
    #[doc(hidden)]
    fn unwrap_ref(a: &DynArray) -> Option<&ArrayD<Self>>;
    #[doc(hidden)]
    fn unwrap(a: DynArray) -> Result<ArrayD<Self>, DynArray>;
    #[doc(hidden)]
    fn tile(t: &Tile) -> &[Self];
    #[doc(hidden)]
    fn tile_mut(t: &mut Tile) -> &mut Vec<Self>;
    #[doc(hidden)]
    fn new_tile() -> Tile;
    #[doc(hidden)]
    fn wrap_slice_mut(s: &mut [Self]) -> DynSliceMut<'_>;
    #[doc(hidden)]
    fn unwrap_slice_mut(s: DynSliceMut<'_>) -> Option<&mut [Self]>;

    /// This value converted to `U` as [`crate::Array::astype`] documents: as
    /// NumPy's `astype` where NumPy defines the result (floats truncate toward
    /// zero, integers wrap, anything non-zero is `true`), Rust's saturating
    /// `as` where NumPy's is platform-defined (NaN to 0, out-of-range floats
    /// clamped to the integer type's range).
    #[inline(always)]
    fn cast<U: Element>(self) -> U {
        U::from_prim(self.to_prim())
    }
}

/// Elements that support arithmetic: integers and floats.
pub trait NumElement:
    Element
    + AsPrimitive<f64>
    + AsPrimitive<i64>
    + AsPrimitive<u64>
    + num_traits::Zero
    + num_traits::One
{
    /// `a + b` (integers wrap, as NumPy's do).
    fn add(a: Self, b: Self) -> Self;
    /// `a - b` (integers wrap).
    fn sub(a: Self, b: Self) -> Self;
    /// `a * b` (integers wrap).
    fn mul(a: Self, b: Self) -> Self;
    /// `a / b`: true division for floats, floor division for integers (NumPy's `//`),
    /// with integer division by zero giving 0 (NumPy warns and gives 0).
    fn div(a: Self, b: Self) -> Self;
    /// `a % b` with NumPy's sign rule (the result takes the divisor's sign);
    /// integer remainder by zero gives 0.
    fn rem(a: Self, b: Self) -> Self;
    /// `-a` (unsigned integers wrap).
    fn neg(a: Self) -> Self;
    /// `|a|` (wrapping for the most negative integer, as NumPy).
    fn abs(a: Self) -> Self;
}

/// Floating-point elements: `f32` and `f64`.
pub trait FloatElement: NumElement + Float {}

/// Integer elements (signed and unsigned): bitwise operations and shifts.
///
/// ```
/// fn low_bits<T: ndchunk::IntElement>(x: &ndchunk::Array<T>, mask: T) -> ndchunk::Array<T> {
///     x.bitwise_and(mask)
/// }
/// let x = ndchunk::arange::<u16>(0, 8, 1, [3])?;
/// assert_eq!(low_bits(&x, 3).compute()?.into_raw_vec_and_offset().0, vec![0, 1, 2, 3, 0, 1, 2, 3]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub trait IntElement: NumElement + num_traits::PrimInt + num_traits::CheckedRem {}

macro_rules! element_common {
    ($t:ty, $dt:ident) => {
        #[inline(always)]
        fn to_scalar(self) -> Scalar {
            Scalar::$dt(self)
        }
    };
}

macro_rules! element_boxing {
    ($dt:ident) => {
        fn wrap(a: ArrayD<Self>) -> DynArray {
            DynArray::$dt(a)
        }
        fn unwrap_ref(a: &DynArray) -> Option<&ArrayD<Self>> {
            match a {
                DynArray::$dt(x) => Some(x),
                _ => None,
            }
        }
        fn unwrap(a: DynArray) -> Result<ArrayD<Self>, DynArray> {
            match a {
                DynArray::$dt(x) => Ok(x),
                other => Err(other),
            }
        }
        #[inline(always)]
        fn tile(t: &Tile) -> &[Self] {
            match t {
                Tile::$dt(x) => x,
                _ => unreachable!("tile dtype is fixed when the program is compiled"),
            }
        }
        #[inline(always)]
        fn tile_mut(t: &mut Tile) -> &mut Vec<Self> {
            match t {
                Tile::$dt(x) => x,
                _ => unreachable!("tile dtype is fixed when the program is compiled"),
            }
        }
        fn new_tile() -> Tile {
            Tile::$dt(Vec::new())
        }
        fn wrap_slice_mut(s: &mut [Self]) -> DynSliceMut<'_> {
            DynSliceMut::$dt(s)
        }
        fn unwrap_slice_mut(s: DynSliceMut<'_>) -> Option<&mut [Self]> {
            match s {
                DynSliceMut::$dt(x) => Some(x),
                _ => None,
            }
        }
    };
}

impl sealed::Sealed for bool {}
impl sealed::Sealed for i8 {}
impl sealed::Sealed for i16 {}
impl sealed::Sealed for i32 {}
impl sealed::Sealed for i64 {}
impl sealed::Sealed for u8 {}
impl sealed::Sealed for u16 {}
impl sealed::Sealed for u32 {}
impl sealed::Sealed for u64 {}
impl sealed::Sealed for f32 {}
impl sealed::Sealed for f64 {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    type Sum = i64;
    type Mean = f64;
    #[inline(always)]
    fn to_prim(self) -> Prim {
        Prim::Bool(self)
    }
    #[inline(always)]
    fn from_prim(p: Prim) -> Self {
        match p {
            Prim::Bool(v) => v,
            Prim::Int(v) => v != 0,
            Prim::UInt(v) => v != 0,
            Prim::Float(v) => v != 0.0,
        }
    }
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Bool(self)
    }
    #[inline(always)]
    fn is_nonzero(self) -> bool {
        self
    }
    element_boxing!(Bool);
}

macro_rules! int_element {
    ($t:ty, $dt:ident, $prim:ident, $wide:ty, $sum:ty) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            type Sum = $sum;
            type Mean = f64;
            #[inline(always)]
            fn to_prim(self) -> Prim {
                Prim::$prim(self as $wide)
            }
            #[inline(always)]
            fn from_prim(p: Prim) -> Self {
                match p {
                    Prim::Bool(v) => v as $t,
                    Prim::Int(v) => v as $t,
                    Prim::UInt(v) => v as $t,
                    Prim::Float(v) => v as $t,
                }
            }
            element_common!($t, $dt);
            #[inline(always)]
            fn is_nonzero(self) -> bool {
                self != 0
            }
            element_boxing!($dt);
        }

        impl NumElement for $t {
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a.wrapping_add(b)
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a.wrapping_sub(b)
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a.wrapping_mul(b)
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn div(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let q = a.wrapping_div(b);
                if (a.wrapping_rem(b) != 0) && ((a < 0) != (b < 0)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn rem(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let r = a.wrapping_rem(b);
                if r != 0 && ((r < 0) != (b < 0)) {
                    r.wrapping_add(b)
                } else {
                    r
                }
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                a.wrapping_neg()
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn abs(a: Self) -> Self {
                if a < 0 {
                    a.wrapping_neg()
                } else {
                    a
                }
            }
        }
    };
}

impl<T: NumElement + num_traits::PrimInt + num_traits::CheckedRem> IntElement for T {}

int_element!(i8, I8, Int, i64, i64);
int_element!(i16, I16, Int, i64, i64);
int_element!(i32, I32, Int, i64, i64);
int_element!(i64, I64, Int, i64, i64);
int_element!(u8, U8, UInt, u64, u64);
int_element!(u16, U16, UInt, u64, u64);
int_element!(u32, U32, UInt, u64, u64);
int_element!(u64, U64, UInt, u64, u64);

macro_rules! float_element {
    ($t:ty, $dt:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            type Sum = $t;
            type Mean = $t;
            #[inline(always)]
            fn to_prim(self) -> Prim {
                Prim::Float(self as f64)
            }
            #[inline(always)]
            fn from_prim(p: Prim) -> Self {
                match p {
                    Prim::Bool(v) => v as u8 as $t,
                    Prim::Int(v) => v as $t,
                    Prim::UInt(v) => v as $t,
                    Prim::Float(v) => v as $t,
                }
            }
            element_common!($t, $dt);
            #[inline(always)]
            fn is_nonzero(self) -> bool {
                self != 0.0
            }
            element_boxing!($dt);
        }

        impl NumElement for $t {
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                a / b
            }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self {
                let r = a % b;
                if r == 0.0 {
                    // An exact zero takes the divisor's sign, as NumPy's.
                    <$t>::copysign(0.0, b)
                } else if (r < 0.0) != (b < 0.0) {
                    r + b
                } else {
                    r
                }
            }
            #[inline(always)]
            fn neg(a: Self) -> Self {
                -a
            }
            #[inline(always)]
            fn abs(a: Self) -> Self {
                a.abs()
            }
        }

        impl FloatElement for $t {}
    };
}

float_element!(f32, F32);
float_element!(f64, F64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_floors_like_numpy() {
        assert_eq!(NumElement::div(-7i32, 2), -4);
        assert_eq!(NumElement::rem(-7i32, 2), 1);
        assert_eq!(NumElement::rem(7i32, -2), -1);
        assert_eq!(NumElement::div(7u8, 0), 0);
        assert_eq!(NumElement::div(i8::MIN, -1), i8::MIN);
    }

    #[test]
    fn float_remainder_takes_divisor_sign() {
        assert_eq!(NumElement::rem(-7.0f64, 2.0), 1.0);
        assert_eq!(NumElement::rem(7.0f64, -2.0), -1.0);
    }

    #[test]
    fn casts_follow_astype() {
        assert_eq!((-1i32).cast::<u8>(), 255);
        assert!(f64::NAN.cast::<bool>());
        assert!(!0.0f32.cast::<bool>());
        assert_eq!(300i64.cast::<i8>(), 44);
        assert_eq!(u64::MAX.cast::<f64>(), 18446744073709551615.0);
    }
}
