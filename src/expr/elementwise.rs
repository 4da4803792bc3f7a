//! Elementwise operations, described as data so a fused plan can be shipped.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::element::{DType, Scalar};
use crate::error::{Error, Result};
use crate::expr::user::{TileFn, UserFn};

/// One-input elementwise operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum UnaryOp {
    Neg,
    Abs,
    Sqrt,
    Exp,
    Ln,
    Log10,
    Log2,
    Sin,
    Cos,
    Tan,
    Tanh,
    Floor,
    Ceil,
    /// Round half to even, as NumPy's `round`.
    Round,
    Not,
    IsNan,
    IsFinite,
    /// True for ±infinity (false for every integer).
    IsInf,
    /// True where the sign bit is set (`-0.0` and negative NaNs included).
    SignBit,
    /// -1, 0 or 1 by the sign; NaN stays NaN (NumPy's `sign`).
    Sign,
    /// Bitwise not of integers (NumPy's `invert`, `~x`).
    Invert,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Arcsinh,
    Arccosh,
    Arctanh,
    Exp2,
    Log1p,
    Expm1,
    Cbrt,
    Trunc,
    Deg2Rad,
    Rad2Deg,
}

/// Two-input arithmetic and logical operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    /// Float power with an array exponent.
    Pow,
    /// Logical (bool) or bitwise (integers) and.
    And,
    /// Logical (bool) or bitwise (integers) or.
    Or,
    /// Logical (bool) or bitwise (integers) exclusive or.
    Xor,
    /// The larger; NaN if either is NaN (NumPy's `maximum`).
    Maximum,
    /// The smaller; NaN if either is NaN (NumPy's `minimum`).
    Minimum,
    /// The larger, ignoring a NaN (NumPy's `fmax`).
    FMax,
    /// The smaller, ignoring a NaN (NumPy's `fmin`).
    FMin,
    /// Floor division (NumPy's `floor_divide`, `//`).
    FloorDiv,
    /// Remainder with the dividend's sign (C's `fmod`, NumPy's `fmod`).
    FMod,
    Hypot,
    Atan2,
    CopySign,
    /// `ln(e^a + e^b)` without overflow.
    LogAddExp,
    /// `a << b` for integers; 0 for shifts past the width (NumPy's `left_shift`).
    Shl,
    /// `a >> b` for integers, arithmetic for signed ones; past the width, the
    /// sign fill (NumPy's `right_shift`).
    Shr,
}

/// Comparisons, giving `bool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// An elementwise operation over broadcast inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElemOp {
    /// One input.
    Unary(UnaryOp),
    /// Float power with a constant integer exponent.
    Powi(i32),
    /// Float power with a constant float exponent.
    Powf(f64),
    /// Limit to `[lo, hi]` (`hi` when `lo > hi`); NaN stays NaN.
    Clip(Scalar, Scalar),
    /// Two inputs of one dtype.
    Binary(BinaryOp),
    /// Two inputs of one dtype, giving `bool`.
    Compare(CmpOp),
    /// `cond ? a : b` with inputs `(cond, a, b)`.
    Where,
    /// Conversion to another dtype.
    Cast(DType),
    /// A user function; the output dtype is fixed when it is built.
    User(UserFn<TileFn>, DType),
}

impl UnaryOp {
    fn accepts(self, dt: DType) -> bool {
        match self {
            UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Sign | UnaryOp::SignBit => dt != DType::Bool,
            UnaryOp::Not => dt == DType::Bool,
            UnaryOp::Invert => dt.is_integer(),
            UnaryOp::IsNan | UnaryOp::IsFinite | UnaryOp::IsInf => true,
            _ => dt.is_float(),
        }
    }

    /// NumPy-style name.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Exp => "exp",
            UnaryOp::Ln => "ln",
            UnaryOp::Log10 => "log10",
            UnaryOp::Log2 => "log2",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Round => "round",
            UnaryOp::Not => "not",
            UnaryOp::IsNan => "isnan",
            UnaryOp::IsFinite => "isfinite",
            UnaryOp::IsInf => "isinf",
            UnaryOp::SignBit => "signbit",
            UnaryOp::Sign => "sign",
            UnaryOp::Invert => "invert",
            UnaryOp::Arcsin => "arcsin",
            UnaryOp::Arccos => "arccos",
            UnaryOp::Arctan => "arctan",
            UnaryOp::Sinh => "sinh",
            UnaryOp::Cosh => "cosh",
            UnaryOp::Arcsinh => "arcsinh",
            UnaryOp::Arccosh => "arccosh",
            UnaryOp::Arctanh => "arctanh",
            UnaryOp::Exp2 => "exp2",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Cbrt => "cbrt",
            UnaryOp::Trunc => "trunc",
            UnaryOp::Deg2Rad => "deg2rad",
            UnaryOp::Rad2Deg => "rad2deg",
        }
    }
}

impl BinaryOp {
    fn accepts(self, dt: DType) -> bool {
        match self {
            BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => !dt.is_float(),
            BinaryOp::Shl | BinaryOp::Shr => dt.is_integer(),
            BinaryOp::Pow
            | BinaryOp::Hypot
            | BinaryOp::Atan2
            | BinaryOp::CopySign
            | BinaryOp::LogAddExp => dt.is_float(),
            _ => dt != DType::Bool,
        }
    }

    /// NumPy-style name.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Rem => "rem",
            BinaryOp::Pow => "pow",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Xor => "xor",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::FMax => "fmax",
            BinaryOp::FMin => "fmin",
            BinaryOp::FloorDiv => "floor_divide",
            BinaryOp::FMod => "fmod",
            BinaryOp::Hypot => "hypot",
            BinaryOp::Atan2 => "arctan2",
            BinaryOp::CopySign => "copysign",
            BinaryOp::LogAddExp => "logaddexp",
            BinaryOp::Shl => "left_shift",
            BinaryOp::Shr => "right_shift",
        }
    }
}

impl CmpOp {
    /// Name (`lt`, `ge`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }
}

impl ElemOp {
    /// Number of inputs the op takes (`None` for any number).
    pub fn arity(&self) -> Option<usize> {
        match self {
            ElemOp::Unary(_)
            | ElemOp::Powi(_)
            | ElemOp::Powf(_)
            | ElemOp::Clip(..)
            | ElemOp::Cast(_) => Some(1),
            ElemOp::Binary(_) | ElemOp::Compare(_) => Some(2),
            ElemOp::Where => Some(3),
            ElemOp::User(..) => None,
        }
    }

    /// The output dtype for inputs of `inputs` dtypes, or an error naming the mismatch.
    pub fn output_dtype(&self, inputs: &[DType]) -> Result<DType> {
        let op = self.to_string();
        if let Some(n) = self.arity() {
            if inputs.len() != n {
                return Err(Error::invalid(
                    &op,
                    format!("takes {n} inputs, got {}", inputs.len()),
                ));
            }
        }
        let mismatch = |expected: &str, found: DType| Error::DtypeMismatch {
            op: op.clone(),
            expected: expected.to_string(),
            found: found.to_string(),
        };
        let same = |a: DType, b: DType| {
            if a == b {
                Ok(a)
            } else {
                Err(mismatch(a.name(), b))
            }
        };
        match self {
            ElemOp::Unary(u) => {
                if !u.accepts(inputs[0]) {
                    return Err(mismatch(unary_domain(*u), inputs[0]));
                }
                Ok(match u {
                    UnaryOp::IsNan | UnaryOp::IsFinite | UnaryOp::IsInf | UnaryOp::SignBit => {
                        DType::Bool
                    }
                    _ => inputs[0],
                })
            }
            ElemOp::Powi(_) | ElemOp::Powf(_) => {
                if inputs[0].is_float() {
                    Ok(inputs[0])
                } else {
                    Err(mismatch("a float dtype", inputs[0]))
                }
            }
            ElemOp::Clip(lo, hi) => {
                if inputs[0] == DType::Bool {
                    return Err(mismatch("a numeric dtype", inputs[0]));
                }
                same(inputs[0], lo.dtype())?;
                same(inputs[0], hi.dtype())
            }
            ElemOp::Binary(b) => {
                let dt = same(inputs[0], inputs[1])?;
                if !b.accepts(dt) {
                    let want = match b {
                        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => "bool or an integer dtype",
                        BinaryOp::Shl | BinaryOp::Shr => "an integer dtype",
                        BinaryOp::Pow
                        | BinaryOp::Hypot
                        | BinaryOp::Atan2
                        | BinaryOp::CopySign
                        | BinaryOp::LogAddExp => "a float dtype",
                        _ => "a numeric dtype",
                    };
                    return Err(mismatch(want, dt));
                }
                Ok(dt)
            }
            ElemOp::Compare(_) => same(inputs[0], inputs[1]).map(|_| DType::Bool),
            ElemOp::Where => {
                if inputs[0] != DType::Bool {
                    return Err(mismatch("bool (the condition)", inputs[0]));
                }
                same(inputs[1], inputs[2])
            }
            ElemOp::Cast(to) => Ok(*to),
            ElemOp::User(_, out) => Ok(*out),
        }
    }
}

fn unary_domain(u: UnaryOp) -> &'static str {
    match u {
        UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Sign | UnaryOp::SignBit => "a numeric dtype",
        UnaryOp::Not => "bool",
        UnaryOp::Invert => "an integer dtype",
        _ => "a float dtype",
    }
}

impl fmt::Display for ElemOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElemOp::Unary(u) => write!(f, "{}", u.name()),
            ElemOp::Powi(n) => write!(f, "powi({n})"),
            ElemOp::Powf(p) => write!(f, "powf({p})"),
            ElemOp::Clip(lo, hi) => write!(f, "clip({lo}, {hi})"),
            ElemOp::Binary(b) => write!(f, "{}", b.name()),
            ElemOp::Compare(c) => write!(f, "{}", c.name()),
            ElemOp::Where => write!(f, "where"),
            ElemOp::Cast(dt) => write!(f, "astype({dt})"),
            ElemOp::User(u, _) => write!(f, "{}", u.name),
        }
    }
}
