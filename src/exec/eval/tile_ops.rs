//! Elementwise ops on tiles: one monomorphic loop per (op, dtype), so each
//! inner loop is a plain slice loop the compiler can vectorise.

use num_traits::Zero;

use crate::block::Tile;
use crate::element::{DType, Element, FloatElement, IntElement, NumElement, Scalar};
use crate::error::{Error, Result};
use crate::expr::{BinaryOp, CmpOp, ElemOp, UnaryOp};

#[inline(always)]
fn map1<A: Element, O: Element>(a: &Tile, out: &mut Tile, n: usize, f: impl Fn(A) -> O) {
    let a = &A::tile(a)[..n];
    let o = O::tile_mut(out);
    o.clear();
    o.extend(a.iter().map(|&x| f(x)));
}

#[inline(always)]
fn map2<A: Element, B: Element, O: Element>(
    a: &Tile,
    b: &Tile,
    out: &mut Tile,
    n: usize,
    f: impl Fn(A, B) -> O,
) {
    let a = &A::tile(a)[..n];
    let b = &B::tile(b)[..n];
    let o = O::tile_mut(out);
    o.clear();
    o.extend(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
}

/// Fills `out` with `n` copies of `v`.
pub fn splat(v: Scalar, out: &mut Tile, n: usize) {
    with_dtype!(v.dtype(), T => {
        let o = T::tile_mut(out);
        o.clear();
        o.resize(n, v.cast::<T>());
    })
}

/// Applies `op` to the first `n` values of the input tiles, writing `out`.
pub fn apply(
    op: &ElemOp,
    ins: &[&Tile],
    in_dtypes: &[DType],
    out_dtype: DType,
    out: &mut Tile,
    n: usize,
) -> Result<()> {
    let dt = in_dtypes[0];
    match op {
        ElemOp::Unary(u) => unary(*u, dt, ins[0], out, n),
        ElemOp::Powi(k) => {
            let k = *k;
            with_float_dtype!(dt, F => powi::<F>(k, ins[0], out, n), else => return Err(bad(op, dt)))
        }
        ElemOp::Powf(p) => {
            let p = *p;
            with_float_dtype!(dt, F => {
                let p = p.cast::<F>();
                map1::<F, F>(ins[0], out, n, |x| x.powf(p))
            }, else => return Err(bad(op, dt)))
        }
        ElemOp::Clip(lo, hi) => with_num_dtype!(dt, N => {
            let (lo, hi) = (lo.cast::<N>(), hi.cast::<N>());
            // NumPy's minimum(maximum(x, lo), hi): `hi` wins when lo > hi.
            map1::<N, N>(ins[0], out, n, |x| {
                let y = if x < lo { lo } else { x };
                if y > hi { hi } else { y }
            })
        }, else => return Err(bad(op, dt))),
        ElemOp::Binary(b) => binary(*b, dt, ins[0], ins[1], out, n).ok_or_else(|| bad(op, dt))?,
        ElemOp::Compare(c) => with_dtype!(dt, T => compare::<T>(*c, ins[0], ins[1], out, n)),
        ElemOp::Where => {
            let vt = in_dtypes[1];
            with_dtype!(vt, T => {
                let c = &bool::tile(ins[0])[..n];
                let a = &T::tile(ins[1])[..n];
                let b = &T::tile(ins[2])[..n];
                let o = T::tile_mut(out);
                o.clear();
                o.extend(c.iter().zip(a.iter().zip(b)).map(|(&c, (&x, &y))| if c { x } else { y }));
            })
        }
        ElemOp::Cast(to) => {
            with_dtype!(dt, S => with_dtype!(*to, U => map1::<S, U>(ins[0], out, n, |x| x.cast::<U>())))
        }
        ElemOp::User(f, _) => {
            (f.f)(ins, out)?;
            let got = with_dtype!(out_dtype, T => T::tile_mut(out).len());
            if got != n {
                return Err(Error::invalid(
                    &f.name,
                    format!("returned {got} values for a tile of {n}"),
                ));
            }
        }
    }
    Ok(())
}

fn bad(op: &ElemOp, dt: DType) -> Error {
    Error::DtypeMismatch {
        op: op.to_string(),
        expected: "a supported dtype".into(),
        found: dt.to_string(),
    }
}

fn unary(u: UnaryOp, dt: DType, a: &Tile, out: &mut Tile, n: usize) {
    match u {
        UnaryOp::Not => map1::<bool, bool>(a, out, n, |x| !x),
        UnaryOp::IsNan => {
            with_dtype!(dt, T => map1::<T, bool>(a, out, n, |x| ndchunk_kernels::is_nan(&x)))
        }
        UnaryOp::IsFinite => {
            with_float_dtype!(dt, F => map1::<F, bool>(a, out, n, |x| x.is_finite()),
            else => with_dtype!(dt, T => map1::<T, bool>(a, out, n, |_| true)))
        }
        UnaryOp::Neg => {
            with_num_dtype!(dt, N => map1::<N, N>(a, out, n, NumElement::neg), else => ())
        }
        UnaryOp::Abs => {
            with_num_dtype!(dt, N => map1::<N, N>(a, out, n, NumElement::abs), else => ())
        }
        UnaryOp::IsInf => {
            with_float_dtype!(dt, F => map1::<F, bool>(a, out, n, |x| x.is_infinite()),
            else => with_dtype!(dt, T => map1::<T, bool>(a, out, n, |_| false)))
        }
        UnaryOp::SignBit => {
            with_float_dtype!(dt, F => map1::<F, bool>(a, out, n, |x| x.is_sign_negative()),
            else => with_num_dtype!(dt, N => map1::<N, bool>(a, out, n, |x| x < <N as Zero>::zero()), else => ()))
        }
        UnaryOp::Sign => with_num_dtype!(dt, N => map1::<N, N>(a, out, n, sign::<N>), else => ()),
        UnaryOp::Invert => with_int_dtype!(dt, I => map1::<I, I>(a, out, n, |x| !x), else => ()),
        _ => with_float_dtype!(dt, F => float_unary::<F>(u, a, out, n), else => ()),
    }
}

/// Each arm passes a distinct function item, so every loop is monomorphic and
/// inlined (a `fn` pointer here would cost an indirect call per element).
fn float_unary<F: FloatElement>(u: UnaryOp, a: &Tile, out: &mut Tile, n: usize) {
    match u {
        UnaryOp::Sqrt => map1::<F, F>(a, out, n, F::sqrt),
        UnaryOp::Exp => map1::<F, F>(a, out, n, F::exp),
        UnaryOp::Ln => map1::<F, F>(a, out, n, F::ln),
        UnaryOp::Log10 => map1::<F, F>(a, out, n, F::log10),
        UnaryOp::Log2 => map1::<F, F>(a, out, n, F::log2),
        UnaryOp::Sin => map1::<F, F>(a, out, n, F::sin),
        UnaryOp::Cos => map1::<F, F>(a, out, n, F::cos),
        UnaryOp::Tan => map1::<F, F>(a, out, n, F::tan),
        UnaryOp::Tanh => map1::<F, F>(a, out, n, F::tanh),
        UnaryOp::Floor => map1::<F, F>(a, out, n, F::floor),
        UnaryOp::Ceil => map1::<F, F>(a, out, n, F::ceil),
        UnaryOp::Round => map1::<F, F>(a, out, n, round_half_even::<F>),
        UnaryOp::Arcsin => map1::<F, F>(a, out, n, F::asin),
        UnaryOp::Arccos => map1::<F, F>(a, out, n, F::acos),
        UnaryOp::Arctan => map1::<F, F>(a, out, n, F::atan),
        UnaryOp::Sinh => map1::<F, F>(a, out, n, F::sinh),
        UnaryOp::Cosh => map1::<F, F>(a, out, n, F::cosh),
        UnaryOp::Arcsinh => map1::<F, F>(a, out, n, F::asinh),
        UnaryOp::Arccosh => map1::<F, F>(a, out, n, F::acosh),
        UnaryOp::Arctanh => map1::<F, F>(a, out, n, arctanh::<F>),
        UnaryOp::Exp2 => map1::<F, F>(a, out, n, F::exp2),
        UnaryOp::Log1p => map1::<F, F>(a, out, n, F::ln_1p),
        UnaryOp::Expm1 => map1::<F, F>(a, out, n, F::exp_m1),
        UnaryOp::Cbrt => map1::<F, F>(a, out, n, F::cbrt),
        UnaryOp::Trunc => map1::<F, F>(a, out, n, F::trunc),
        UnaryOp::Deg2Rad => map1::<F, F>(a, out, n, F::to_radians),
        UnaryOp::Rad2Deg => map1::<F, F>(a, out, n, F::to_degrees),
        _ => map1::<F, F>(a, out, n, |x| x),
    }
}

/// `x^k`; small exponents become multiplications the compiler can vectorise
/// (a runtime exponent would otherwise be a library call per element).
fn powi<F: FloatElement>(k: i32, a: &Tile, out: &mut Tile, n: usize) {
    match k {
        0 => map1::<F, F>(a, out, n, |_| F::one()),
        1 => map1::<F, F>(a, out, n, |x| x),
        2 => map1::<F, F>(a, out, n, |x| x * x),
        3 => map1::<F, F>(a, out, n, |x| x * x * x),
        4 => map1::<F, F>(a, out, n, |x| (x * x) * (x * x)),
        -1 => map1::<F, F>(a, out, n, |x| F::one() / x),
        -2 => map1::<F, F>(a, out, n, |x| F::one() / (x * x)),
        _ => map1::<F, F>(a, out, n, |x| x.powi(k)),
    }
}

/// Inverse hyperbolic tangent, computed from `|x|` and given `x`'s sign: the
/// standard library's `0.5 · ln_1p(2x / (1 − x))` loses digits near −1
/// (3e-6 relative in f32 at −0.996, where `1 + 2x / (1 − x)` cancels).
fn arctanh<F: FloatElement>(x: F) -> F {
    let a = x.abs();
    let two = F::one() + F::one();
    let half = F::one() / two;
    let y = if a < half {
        // glibc's form for small |x|: `2a + 2a² / (1 − a)` keeps its digits.
        let t = two * a;
        t + t * a / (F::one() - a)
    } else {
        two * a / (F::one() - a)
    };
    (half * y.ln_1p()).copysign(x)
}

/// NumPy's `sign`: -1, 0 or 1; NaN (not equal to itself) stays NaN.
#[inline(always)]
fn sign<N: NumElement>(x: N) -> N {
    if x > N::zero() {
        N::one()
    } else if x < N::zero() {
        N::neg(N::one())
    } else if x == N::zero() {
        N::zero()
    } else {
        x
    }
}

/// NumPy's `maximum` (`larger`) or `minimum`: `a` when it is the larger
/// (smaller) or NaN, else `b`: NaN when either is, and `b` for equal values
/// (so `maximum(-0.0, 0.0)` is `0.0`).
#[inline(always)]
fn extreme<N: NumElement>(a: N, b: N, larger: bool) -> N {
    let a_first = if larger { a > b } else { a < b };
    if a_first || ndchunk_kernels::is_nan(&a) {
        a
    } else {
        b
    }
}

/// NumPy's `fmax` (`larger`) or `fmin`: as [`extreme`], but a NaN loses.
#[inline(always)]
fn extreme_ignoring_nan<N: NumElement>(a: N, b: N, larger: bool) -> N {
    if ndchunk_kernels::is_nan(&b) {
        a
    } else if ndchunk_kernels::is_nan(&a) {
        b
    } else {
        extreme(a, b, larger)
    }
}

/// NumPy's float `floor_divide`: the floor of the quotient computed from
/// `fmod` (so `a - (a // b) * b` is the remainder), a zero carrying the
/// quotient's sign, and `a / b` for a zero divisor.
fn floor_divide<F: FloatElement>(a: F, b: F) -> F {
    if b == F::zero() {
        return a / b;
    }
    let rem = a % b;
    let mut div = (a - rem) / b;
    if rem != F::zero() && ((b < F::zero()) != (rem < F::zero())) {
        div = div - F::one();
    }
    if div == F::zero() {
        return F::zero().copysign(a / b);
    }
    let floor = div.floor();
    let half = F::one() / (F::one() + F::one());
    if div - floor > half {
        floor + F::one()
    } else {
        floor
    }
}

/// NumPy's `logaddexp`: `ln(e^a + e^b)`, exact for equal arguments
/// (infinities included) and without overflow.
fn logaddexp<F: FloatElement>(a: F, b: F) -> F {
    if a == b {
        return a + (F::one() + F::one()).ln();
    }
    let gap = a - b;
    if gap > F::zero() {
        a + (-gap).exp().ln_1p()
    } else if gap <= F::zero() {
        b + gap.exp().ln_1p()
    } else {
        gap
    }
}

/// Integer ops: bitwise (`and`/`or`/`xor`), shifts (NumPy's: a count outside
/// `0..bits` shifts everything out, leaving 0 or, for `>>` of a negative
/// value, -1) and C's remainder (`fmod`, 0 for a zero divisor).
fn int_binary<I: IntElement>(b: BinaryOp, x: &Tile, y: &Tile, out: &mut Tile, n: usize) {
    let bits = (std::mem::size_of::<I>() * 8) as i64;
    let count = |s: I| -> Option<usize> {
        let s: i64 = s.as_();
        (0..bits).contains(&s).then_some(s as usize)
    };
    match b {
        BinaryOp::And => map2::<I, I, I>(x, y, out, n, |p, q| p & q),
        BinaryOp::Or => map2::<I, I, I>(x, y, out, n, |p, q| p | q),
        BinaryOp::Xor => map2::<I, I, I>(x, y, out, n, |p, q| p ^ q),
        BinaryOp::Shl => {
            map2::<I, I, I>(x, y, out, n, |p, q| count(q).map_or(I::zero(), |s| p << s))
        }
        BinaryOp::Shr => map2::<I, I, I>(x, y, out, n, |p, q| match count(q) {
            Some(s) => p >> s,
            None if p < I::zero() => !I::zero(),
            None => I::zero(),
        }),
        // None for a zero divisor, and for MIN % -1 (whose remainder is 0).
        _ => map2::<I, I, I>(x, y, out, n, |p, q| p.checked_rem(&q).unwrap_or(I::zero())),
    }
}

/// NumPy's `round`: halves go to the even neighbour.
fn round_half_even<F: FloatElement>(x: F) -> F {
    let r = x.round();
    if (x - x.trunc()).abs() == F::from(0.5).unwrap_or(r) {
        let half = r / (F::one() + F::one());
        if half.trunc() != half {
            // -0.5 rounds to -0.0, as NumPy's.
            return (r - x.signum()).copysign(x);
        }
    }
    r
}

fn binary(b: BinaryOp, dt: DType, x: &Tile, y: &Tile, out: &mut Tile, n: usize) -> Option<()> {
    match b {
        BinaryOp::And if dt == DType::Bool => map2::<bool, bool, bool>(x, y, out, n, |p, q| p & q),
        BinaryOp::Or if dt == DType::Bool => map2::<bool, bool, bool>(x, y, out, n, |p, q| p | q),
        BinaryOp::Xor if dt == DType::Bool => map2::<bool, bool, bool>(x, y, out, n, |p, q| p ^ q),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Shl | BinaryOp::Shr => {
            with_int_dtype!(dt, I => int_binary::<I>(b, x, y, out, n), else => return None)
        }
        BinaryOp::FMod if dt.is_integer() => {
            with_int_dtype!(dt, I => int_binary::<I>(b, x, y, out, n), else => return None)
        }
        BinaryOp::Pow
        | BinaryOp::Hypot
        | BinaryOp::Atan2
        | BinaryOp::CopySign
        | BinaryOp::LogAddExp
        | BinaryOp::FMod => with_float_dtype!(dt, F => match b {
            BinaryOp::Pow => map2::<F, F, F>(x, y, out, n, F::powf),
            BinaryOp::Hypot => map2::<F, F, F>(x, y, out, n, F::hypot),
            BinaryOp::Atan2 => map2::<F, F, F>(x, y, out, n, F::atan2),
            BinaryOp::CopySign => map2::<F, F, F>(x, y, out, n, F::copysign),
            BinaryOp::LogAddExp => map2::<F, F, F>(x, y, out, n, logaddexp::<F>),
            _ => map2::<F, F, F>(x, y, out, n, |p, q| p % q),
        }, else => return None),
        BinaryOp::FloorDiv if dt.is_float() => {
            with_float_dtype!(dt, F => map2::<F, F, F>(x, y, out, n, floor_divide::<F>), else => return None)
        }
        _ => with_num_dtype!(dt, N => match b {
            BinaryOp::Add => map2::<N, N, N>(x, y, out, n, NumElement::add),
            BinaryOp::Sub => map2::<N, N, N>(x, y, out, n, NumElement::sub),
            BinaryOp::Mul => map2::<N, N, N>(x, y, out, n, NumElement::mul),
            // Integer division is floor division already.
            BinaryOp::Div | BinaryOp::FloorDiv => map2::<N, N, N>(x, y, out, n, NumElement::div),
            BinaryOp::Maximum => map2::<N, N, N>(x, y, out, n, |p, q| extreme(p, q, true)),
            BinaryOp::Minimum => map2::<N, N, N>(x, y, out, n, |p, q| extreme(p, q, false)),
            BinaryOp::FMax => map2::<N, N, N>(x, y, out, n, |p, q| extreme_ignoring_nan(p, q, true)),
            BinaryOp::FMin => map2::<N, N, N>(x, y, out, n, |p, q| extreme_ignoring_nan(p, q, false)),
            _ => map2::<N, N, N>(x, y, out, n, NumElement::rem),
        }, else => return None),
    }
    Some(())
}

fn compare<T: Element>(c: CmpOp, x: &Tile, y: &Tile, out: &mut Tile, n: usize) {
    match c {
        CmpOp::Eq => map2::<T, T, bool>(x, y, out, n, |a, b| a == b),
        CmpOp::Ne => map2::<T, T, bool>(x, y, out, n, |a, b| a != b),
        CmpOp::Lt => map2::<T, T, bool>(x, y, out, n, |a, b| a < b),
        CmpOp::Le => map2::<T, T, bool>(x, y, out, n, |a, b| a <= b),
        CmpOp::Gt => map2::<T, T, bool>(x, y, out, n, |a, b| a > b),
        CmpOp::Ge => map2::<T, T, bool>(x, y, out, n, |a, b| a >= b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_goes_to_even_like_numpy() {
        let cases = [
            (0.5, 0.0),
            (1.5, 2.0),
            (2.5, 2.0),
            (-0.5, -0.0),
            (-1.5, -2.0),
            (2.4, 2.0),
            (2.6, 3.0),
            (-2.5, -2.0),
        ];
        for (x, want) in cases {
            let got: f64 = round_half_even(x);
            assert!(
                got == want && got.is_sign_negative() == want.is_sign_negative(),
                "round({x}) = {got}, want {want}"
            );
        }
    }
}
