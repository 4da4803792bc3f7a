//! The rest of NumPy's elementwise functions (ufuncs): extremes with NaN
//! rules, division variants, two-argument float functions, bitwise
//! operations and shifts of integers, sign tests, and the comparisons built
//! on them (`isclose`, `allclose`, `array_equal`). Each is one elementwise
//! op, or a few, and fuses into its consumers' tile programs like `+`.

use crate::array::elementwise::{where_, Operand};
use crate::array::Array;
use crate::element::{Element, FloatElement, IntElement, NumElement};
use crate::error::Result;
use crate::expr::{BinaryOp, ElemOp, UnaryOp};

macro_rules! binary_methods {
    ($bound:ident: $($name:ident => $op:ident, $doc:literal, $example:literal;)*) => {
        impl<T: $bound> Array<T> {
            $(
                #[doc = $doc]
                ///
                /// ```
                #[doc = $example]
                /// # Ok::<(), ndchunk::Error>(())
                /// ```
                pub fn $name(&self, other: impl Into<Operand<T>>) -> Array<T> {
                    self.binary(ElemOp::Binary(BinaryOp::$op), other.into())
                }
            )*
        }
    };
}

binary_methods! { NumElement:
    maximum => Maximum,
        "The larger of each pair; NaN where either is NaN (NumPy's `maximum`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN, 5.0]), [2])?;\n\
         let m = x.maximum(3.0).compute()?;\n\
         assert!(m[0] == 3.0 && m[1].is_nan() && m[2] == 5.0);";
    minimum => Minimum,
        "The smaller of each pair; NaN where either is NaN (NumPy's `minimum`).",
        "let x = ndchunk::arange::<i32>(0, 4, 1, [3])?;\n\
         assert_eq!(x.minimum(2).compute()?.into_raw_vec_and_offset().0, vec![0, 1, 2, 2]);";
    fmax => FMax,
        "The larger of each pair, ignoring a NaN (NaN only where both are; NumPy's `fmax`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN]), [2])?;\n\
         assert_eq!(x.fmax(0.5).compute()?.into_raw_vec_and_offset().0, vec![1.0, 0.5]);";
    fmin => FMin,
        "The smaller of each pair, ignoring a NaN (NumPy's `fmin`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN]), [2])?;\n\
         assert_eq!(x.fmin(0.5).compute()?.into_raw_vec_and_offset().0, vec![0.5, 0.5]);";
    floor_divide => FloorDiv,
        "Floor division (NumPy's `floor_divide`, Python's `//`): integers by \
         zero give 0, floats follow NumPy (`x // 0.0` is ±inf or NaN).",
        "let x = ndchunk::from_array(ndarray::arr1(&[7.0, -7.0]), [2])?;\n\
         assert_eq!(x.floor_divide(2.0).compute()?.into_raw_vec_and_offset().0, vec![3.0, -4.0]);";
    remainder => Rem,
        "The remainder with the divisor's sign (NumPy's `remainder` and `mod`, \
         Python's `%`, the same as the `%` operator); integers by zero give 0.",
        "let x = ndchunk::from_array(ndarray::arr1(&[7, -7]), [2])?;\n\
         assert_eq!(x.remainder(3).compute()?.into_raw_vec_and_offset().0, vec![1, 2]);";
    fmod => FMod,
        "The remainder with the dividend's sign (C's and NumPy's `fmod`); \
         integers by zero give 0, floats NaN.",
        "let x = ndchunk::from_array(ndarray::arr1(&[7, -7]), [2])?;\n\
         assert_eq!(x.fmod(3).compute()?.into_raw_vec_and_offset().0, vec![1, -1]);";
}

binary_methods! { FloatElement:
    hypot => Hypot,
        "`sqrt(a² + b²)` without intermediate overflow (NumPy's `hypot`).",
        "let x = ndchunk::full(&[2], 3.0f64, [1])?;\n\
         assert_eq!(x.hypot(4.0).compute()?.into_raw_vec_and_offset().0, vec![5.0, 5.0]);";
    arctan2 => Atan2,
        "The angle of the point `(other, self)`: `atan(self / other)` in the \
         right quadrant (NumPy's `arctan2(self, other)`).",
        "let y = ndchunk::full(&[1], 1.0f64, [1])?;\n\
         assert_eq!(y.arctan2(-1.0).compute()?[0], 0.75 * std::f64::consts::PI);";
    copysign => CopySign,
        "`|self|` with the sign of `other` (NumPy's `copysign`).",
        "let x = ndchunk::full(&[1], 2.0f64, [1])?;\n\
         assert_eq!(x.copysign(-0.0).compute()?[0], -2.0);";
    logaddexp => LogAddExp,
        "`ln(e^self + e^other)`, without overflow (NumPy's `logaddexp`).",
        "let x = ndchunk::full(&[1], 1000.0f64, [1])?;\n\
         assert_eq!(x.logaddexp(1000.0).compute()?[0], 1000.0 + std::f64::consts::LN_2);";
}

binary_methods! { IntElement:
    bitwise_and => And,
        "Bitwise and (NumPy's `bitwise_and`, `&`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[0b1100u8, 0b1010]), [2])?;\n\
         assert_eq!(x.bitwise_and(0b0110).compute()?.into_raw_vec_and_offset().0, vec![0b0100, 0b0010]);";
    bitwise_or => Or,
        "Bitwise or (NumPy's `bitwise_or`, `|`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[0b1100u8]), [1])?;\n\
         assert_eq!(x.bitwise_or(0b0011).compute()?[0], 0b1111);";
    bitwise_xor => Xor,
        "Bitwise exclusive or (NumPy's `bitwise_xor`, `^`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[0b1100u8]), [1])?;\n\
         assert_eq!(x.bitwise_xor(0b0110).compute()?[0], 0b1010);";
    left_shift => Shl,
        "`self << other`; counts outside `0..bits` give 0 (NumPy's `left_shift`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[1i8, 1]), [2])?;\n\
         let y = ndchunk::from_array(ndarray::arr1(&[3i8, 9]), [2])?;\n\
         assert_eq!(x.left_shift(&y).compute()?.into_raw_vec_and_offset().0, vec![8, 0]);";
    right_shift => Shr,
        "`self >> other`, arithmetic for signed integers; counts outside \
         `0..bits` give 0, or -1 for negative values (NumPy's `right_shift`).",
        "let x = ndchunk::from_array(ndarray::arr1(&[-16i32, 16]), [2])?;\n\
         assert_eq!(x.right_shift(2).compute()?.into_raw_vec_and_offset().0, vec![-4, 4]);\n\
         assert_eq!(x.right_shift(40).compute()?.into_raw_vec_and_offset().0, vec![-1, 0]);";
}

impl<T: IntElement> Array<T> {
    /// Bitwise not (NumPy's `invert`, `~x`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[0u8, 5]), [2])?;
    /// assert_eq!(x.invert().compute()?.into_raw_vec_and_offset().0, vec![255, 250]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn invert(&self) -> Array<T> {
        self.unary(ElemOp::Unary(UnaryOp::Invert))
    }
}

impl<T: Element> Array<T> {
    /// True where the element is infinite (never for integers and bools;
    /// NumPy's `isinf`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, f64::NAN, f64::NEG_INFINITY]), [2])?;
    /// assert_eq!(x.isinf().compute()?.into_raw_vec_and_offset().0, vec![false, false, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn isinf(&self) -> Array<bool> {
        self.unary(ElemOp::Unary(UnaryOp::IsInf))
    }

    /// True when `other` has the same shape and equal elements (NumPy's
    /// `array_equal`; NaN is never equal). Computes both.
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 5, 1, [2])?;
    /// let y = ndchunk::arange::<i64>(0, 5, 1, [3])?;
    /// assert!(x.array_equal(&y)?);
    /// assert!(!x.array_equal(&(&y + 1))?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn array_equal(&self, other: &Array<T>) -> Result<bool> {
        if self.shape() != other.shape() {
            return Ok(false);
        }
        let all = self.eq(other).all()?.compute()?;
        Ok(all.iter().all(|&v| v))
    }
}

impl<T: NumElement> Array<T> {
    /// -1, 0 or 1 by the sign of each element; NaN stays NaN (NumPy's `sign`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[-3i32, 0, 7]), [2])?;
    /// assert_eq!(x.sign().compute()?.into_raw_vec_and_offset().0, vec![-1, 0, 1]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn sign(&self) -> Array<T> {
        self.unary(ElemOp::Unary(UnaryOp::Sign))
    }

    /// True where the sign bit is set: negative values, `-0.0` and negative
    /// NaNs (NumPy's `signbit`).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[-0.0f64, 0.0, -2.0]), [2])?;
    /// assert_eq!(x.signbit().compute()?.into_raw_vec_and_offset().0, vec![true, false, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn signbit(&self) -> Array<bool> {
        self.unary(ElemOp::Unary(UnaryOp::SignBit))
    }
}

impl<T: FloatElement> Array<T> {
    /// NaN replaced by `nan`, +inf by `posinf` and -inf by `neginf` (NumPy's
    /// `nan_to_num`; its defaults are 0 and the dtype's largest and smallest
    /// finite values, as [`Array::nan_to_num_default`] gives).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[f64::NAN, f64::INFINITY, -1.0]), [2])?;
    /// let y = x.nan_to_num(0.0, 9.0, -9.0).compute()?;
    /// assert_eq!(y.into_raw_vec_and_offset().0, vec![0.0, 9.0, -1.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nan_to_num(&self, nan: T, posinf: T, neginf: T) -> Array<T> {
        let infinite = where_(&self.gt(T::zero()), posinf, neginf);
        let finite = where_(&self.isinf(), &infinite, self);
        where_(&self.isnan(), nan, &finite)
    }

    /// [`Array::nan_to_num`] with NumPy's defaults: 0, and the largest and
    /// smallest finite values.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[f32::NAN, f32::NEG_INFINITY]), [2])?;
    /// let y = x.nan_to_num_default().compute()?;
    /// assert_eq!(y.into_raw_vec_and_offset().0, vec![0.0, f32::MIN]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn nan_to_num_default(&self) -> Array<T> {
        self.nan_to_num(T::zero(), T::max_value(), T::min_value())
    }

    /// True where `|self − other| ≤ atol + rtol · |other|` (NumPy's
    /// `isclose`, not symmetric in its arguments), or the two are equal
    /// (infinities of one sign), or, with `equal_nan`, both are NaN.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0, 1.1, f64::NAN]), [2])?;
    /// let close = x.isclose(1.0, 1e-5, 1e-8, true).compute()?;
    /// assert_eq!(close.into_raw_vec_and_offset().0, vec![true, false, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn isclose(
        &self,
        other: impl Into<Operand<T>>,
        rtol: f64,
        atol: f64,
        equal_nan: bool,
    ) -> Array<bool> {
        let other: Array<T> = Array::from_node(other.into().node());
        let (rtol, atol) = (
            T::from(rtol).unwrap_or(T::zero()),
            T::from(atol).unwrap_or(T::zero()),
        );
        let gap = (self - &other).abs();
        let bound = &(&other.abs() * rtol) + atol;
        let finite = self.isfinite().and(other.isfinite());
        let close = finite.and(gap.le(&bound)).or(self.eq(&other));
        if equal_nan {
            close.or(self.isnan().and(other.isnan()))
        } else {
            close
        }
    }

    /// True when every element pair is [`Array::isclose`] (NumPy's
    /// `allclose`). Computes it.
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [3])?;
    /// assert!(x.allclose(&(&x + 1e-9), 1e-5, 1e-8, false)?);
    /// assert!(!x.allclose(&(&x + 1e-3), 1e-5, 1e-8, false)?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn allclose(
        &self,
        other: impl Into<Operand<T>>,
        rtol: f64,
        atol: f64,
        equal_nan: bool,
    ) -> Result<bool> {
        let all = self
            .isclose(other, rtol, atol, equal_nan)
            .all()?
            .compute()?;
        Ok(all.iter().all(|&v| v))
    }
}
