//! Elementwise ops on tiles: one monomorphic loop per (op, dtype), so each
//! inner loop is a plain slice loop the compiler can vectorise.

use crate::block::Tile;
use crate::element::{DType, Element, FloatElement, NumElement, Scalar};
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
        BinaryOp::And => map2::<bool, bool, bool>(x, y, out, n, |p, q| p & q),
        BinaryOp::Or => map2::<bool, bool, bool>(x, y, out, n, |p, q| p | q),
        BinaryOp::Xor => map2::<bool, bool, bool>(x, y, out, n, |p, q| p ^ q),
        BinaryOp::Pow => {
            with_float_dtype!(dt, F => map2::<F, F, F>(x, y, out, n, F::powf), else => return None)
        }
        _ => with_num_dtype!(dt, N => match b {
            BinaryOp::Add => map2::<N, N, N>(x, y, out, n, NumElement::add),
            BinaryOp::Sub => map2::<N, N, N>(x, y, out, n, NumElement::sub),
            BinaryOp::Mul => map2::<N, N, N>(x, y, out, n, NumElement::mul),
            BinaryOp::Div => map2::<N, N, N>(x, y, out, n, NumElement::div),
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
