//! Operator overloads: `+ - * / %` and unary `-` between arrays (owned or borrowed)
//! and with scalars on either side; `& | ^ !` on bool arrays.

use std::ops::{Add, BitAnd, BitOr, BitXor, Div, Mul, Neg, Not, Rem, Sub};

use crate::array::elementwise::Operand;
use crate::array::Array;
use crate::element::NumElement;
use crate::expr::{BinaryOp, ElemOp, UnaryOp};

macro_rules! binary_ops {
    ($($trait:ident $method:ident => $op:ident),*) => {$(
        impl<T: NumElement> $trait<&Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary(ElemOp::Binary(BinaryOp::$op), Operand::from(rhs))
            }
        }
        impl<T: NumElement> $trait<Array<T>> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary(ElemOp::Binary(BinaryOp::$op), Operand::from(rhs))
            }
        }
        impl<T: NumElement> $trait<&Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: &Array<T>) -> Array<T> {
                self.binary(ElemOp::Binary(BinaryOp::$op), Operand::from(rhs))
            }
        }
        impl<T: NumElement> $trait<Array<T>> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: Array<T>) -> Array<T> {
                self.binary(ElemOp::Binary(BinaryOp::$op), Operand::from(rhs))
            }
        }
        impl<T: NumElement> $trait<T> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.binary(ElemOp::Binary(BinaryOp::$op), Operand::Scalar(rhs))
            }
        }
        impl<T: NumElement> $trait<T> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                self.binary(ElemOp::Binary(BinaryOp::$op), Operand::Scalar(rhs))
            }
        }
    )*};
}

binary_ops!(Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div, Rem rem => Rem);

/// Scalar on the left: `2.0 * &x`. One impl per concrete type (orphan rules).
macro_rules! scalar_left {
    ($($t:ty),*) => {$(
        scalar_left!(@one $t, Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div, Rem rem => Rem);
    )*};
    (@one $t:ty, $($trait:ident $method:ident => $op:ident),*) => {$(
        impl $trait<&Array<$t>> for $t {
            type Output = Array<$t>;
            fn $method(self, rhs: &Array<$t>) -> Array<$t> {
                Array::from_node(crate::array::elementwise::elementwise_node(
                    ElemOp::Binary(BinaryOp::$op),
                    &[crate::array::elementwise::constant(self), rhs.node().clone()],
                ))
            }
        }
        impl $trait<Array<$t>> for $t {
            type Output = Array<$t>;
            fn $method(self, rhs: Array<$t>) -> Array<$t> {
                self.$method(&rhs)
            }
        }
    )*};
}

scalar_left!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl<T: NumElement> Neg for &Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        self.unary(ElemOp::Unary(UnaryOp::Neg))
    }
}

impl<T: NumElement> Neg for Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        -&self
    }
}

macro_rules! bool_ops {
    ($($trait:ident $method:ident => $op:ident),*) => {$(
        impl<R: Into<Operand<bool>>> $trait<R> for &Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: R) -> Array<bool> {
                self.binary(ElemOp::Binary(BinaryOp::$op), rhs.into())
            }
        }
        impl<R: Into<Operand<bool>>> $trait<R> for Array<bool> {
            type Output = Array<bool>;
            fn $method(self, rhs: R) -> Array<bool> {
                self.binary(ElemOp::Binary(BinaryOp::$op), rhs.into())
            }
        }
    )*};
}

bool_ops!(BitAnd bitand => And, BitOr bitor => Or, BitXor bitxor => Xor);

impl Not for &Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        Array::not(self)
    }
}

impl Not for Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        Array::not(&self)
    }
}
