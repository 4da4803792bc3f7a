//! Radix selection: the exact elements at chosen sorted positions of lanes
//! too long to hold, found digit by digit. Each pass counts, per lane and
//! target, one digit of the elements' order keys among those whose higher
//! digits match the target's prefix; the counts say which digit holds the
//! wanted position, and the next pass looks only there. Once a target's
//! bucket is small its keys are collected instead.

use std::ops::Range;

use ndarray::{ArrayD, ArrayViewD, IxDyn};

use crate::block::DynArray;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::eval::order::Sortable;
use crate::expr::RadixPass;

/// An unsigned order key as wide as the element, sorting as NumPy sorts
/// (NaN last, `-0.0` equal to `0.0`), and back.
pub(crate) trait Radix: Sortable {
    /// The key's width in bits.
    const BITS: u32;
    /// The key of `self`.
    fn radix(self) -> u64;
    /// The element whose key is `key` (`0.0` for the zeros' key, a NaN for
    /// NaN's).
    fn from_radix(key: u64) -> Self;
}

macro_rules! radix_unsigned {
    ($($t:ty),*) => {$(
        impl Radix for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline(always)]
            fn radix(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_radix(key: u64) -> Self {
                key as $t
            }
        }
    )*};
}

radix_unsigned!(u8, u16, u32, u64);

macro_rules! radix_signed {
    ($($t:ty => $u:ty),*) => {$(
        impl Radix for $t {
            const BITS: u32 = <$u>::BITS;
            #[inline(always)]
            fn radix(self) -> u64 {
                ((self as $u) ^ (1 << (<$u>::BITS - 1))) as u64
            }
            #[inline(always)]
            fn from_radix(key: u64) -> Self {
                ((key as $u) ^ (1 << (<$u>::BITS - 1))) as $t
            }
        }
    )*};
}

radix_signed!(i8 => u8, i16 => u16, i32 => u32, i64 => u64);

macro_rules! radix_float {
    ($($t:ty => $u:ty, $s:ty),*) => {$(
        impl Radix for $t {
            const BITS: u32 = <$u>::BITS;
            #[inline(always)]
            fn radix(self) -> u64 {
                // `Sortable::sort_key` without its branch on the sign
                // (random signs would mispredict half the time).
                if self.is_nan() {
                    return <$u>::MAX as u64;
                }
                let bits = (self + 0.0).to_bits();
                let sign = 1 << (<$u>::BITS - 1);
                let flip = (((bits as $s) >> (<$u>::BITS - 1)) as $u) | sign;
                (bits ^ flip) as u64
            }
            #[inline(always)]
            fn from_radix(key: u64) -> Self {
                let key = key as $u;
                let sign = 1 << (<$u>::BITS - 1);
                <$t>::from_bits(if key & sign != 0 { key ^ sign } else { !key })
            }
        }
    )*};
}

radix_float!(f32 => u32, i32, f64 => u64, i64);

impl Radix for bool {
    const BITS: u32 = 1;
    #[inline(always)]
    fn radix(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_radix(key: u64) -> Self {
        key != 0
    }
}

/// The width in bits of `dtype`'s order keys.
pub fn key_bits(dtype: DType) -> u32 {
    match dtype {
        DType::Bool => 1,
        d => 8 * d.size() as u32,
    }
}

/// The element whose order key is `key`, as an `f64`-free [`Element`]
/// cast: `T` from a key of `dtype` (the array's own dtype is `T`'s).
pub fn from_key<T: Element>(key: u64) -> T {
    fn typed<S: Radix, T: Element>(key: u64) -> T {
        S::from_radix(key).cast::<T>()
    }
    match T::DTYPE {
        DType::Bool => typed::<bool, T>(key),
        DType::I8 => typed::<i8, T>(key),
        DType::I16 => typed::<i16, T>(key),
        DType::I32 => typed::<i32, T>(key),
        DType::I64 => typed::<i64, T>(key),
        DType::U8 => typed::<u8, T>(key),
        DType::U16 => typed::<u16, T>(key),
        DType::U32 => typed::<u32, T>(key),
        DType::U64 => typed::<u64, T>(key),
        DType::F32 => typed::<f32, T>(key),
        DType::F64 => typed::<f64, T>(key),
    }
}

/// One pass of `pass` over `block` (or its box `ranges`), block `index`
/// along the lanes' axis: its counts or collected keys, shaped as
/// [`RadixPass`] says.
pub fn radix_pass(
    pass: &RadixPass,
    block: &DynArray,
    ranges: Option<&[Range<usize>]>,
    index: usize,
) -> Result<DynArray> {
    dyn_match!(block, a: T => {
        let view = match ranges {
            Some(r) => a.slice_each_axis(|ax| ndarray::Slice::from(r[ax.axis.index()].clone())),
            None => a.view(),
        };
        pass_typed(pass, view, index)
    })
}

fn pass_typed<T: Radix>(pass: &RadixPass, a: ArrayViewD<T>, index: usize) -> Result<DynArray> {
    let shape = a.shape().to_vec();
    let axis = pass.axis;
    let (outer, n): (usize, usize) = (shape[..axis].iter().product(), shape[axis]);
    let inner: usize = shape[axis + 1..].iter().product();
    let slots = outer * inner * pass.targets;
    let bad = |what: String| Err(Error::invalid("radix selection", what));
    if pass.prefixes.len() != slots || pass.known >= T::BITS && pass.collect.is_none() {
        return bad(format!(
            "{} prefixes for {slots} slots, {} bits known of {}",
            pass.prefixes.len(),
            pass.known,
            T::BITS
        ));
    }
    if n > u32::MAX as usize {
        return bad(format!("a block of {n} elements along the axis"));
    }
    let standard = a.as_standard_layout();
    let Some(data) = standard.as_slice() else {
        return bad("a block not in memory order".into());
    };
    let targets = pass.targets;
    // Keys shifted right by `below` leave the known prefix.
    let below = T::BITS - pass.known;
    match &pass.collect {
        None => {
            let width = pass.width.min(below);
            let buckets = 1usize << width;
            let shift = below - width;
            let mask = (buckets - 1) as u64;
            let mut counts = vec![0u32; slots * buckets];
            if pass.known == 0 && targets == 1 {
                each_key(data, outer, n, inner, |lane, key| {
                    counts[lane * buckets + ((key >> shift) & mask) as usize] += 1;
                });
            } else {
                each_match(data, (outer, n, inner), pass, below, |slot, key| {
                    counts[slot * buckets + ((key >> shift) & mask) as usize] += 1;
                });
            }
            let mut out_shape = shape;
            out_shape[axis] = 1;
            out_shape.extend([targets, buckets]);
            Ok(u32::wrap(shaped(out_shape, counts)?))
        }
        Some(all_counts) => {
            let Some(expected) = all_counts.get(index * slots..(index + 1) * slots) else {
                return bad(format!("no key counts for block {index}"));
            };
            // The number of keys, then each slot's run of keys; how far
            // each run is filled.
            let mut next: Vec<usize> = Vec::with_capacity(slots);
            let mut at = 1;
            for &c in expected {
                next.push(at);
                at += c;
            }
            let ends: Vec<usize> = next.iter().zip(expected).map(|(s, c)| s + c).collect();
            let mut keys = vec![0u64; at];
            keys[0] = at as u64 - 1;
            let mut overflow = false;
            each_match(data, (outer, n, inner), pass, below, |slot, key| {
                match next[slot] < ends[slot] {
                    true => keys[next[slot]] = key,
                    false => overflow = true,
                }
                next[slot] += 1;
            });
            if overflow || next != ends {
                return bad(format!(
                    "block {index} holds other key counts than its count pass said"
                ));
            }
            Ok(u64::wrap(shaped(vec![at], keys)?))
        }
    }
}

/// `visit(slot, key)` for each element of the block (shaped `outer` × `n`
/// × `inner`) whose key, shifted right by `below`, is the prefix of a
/// (lane, target) slot of `pass`.
#[inline(always)]
fn each_match<T: Radix>(
    data: &[T],
    (outer, n, inner): (usize, usize, usize),
    pass: &RadixPass,
    below: u32,
    mut visit: impl FnMut(usize, u64),
) {
    let (prefixes, targets) = (&pass.prefixes, pass.targets);
    // Per lane, a bit for each value of the low six bits of its prefixes:
    // most keys match none of a lane's prefixes, and one test says so.
    let screens: Vec<u64> = prefixes
        .chunks(targets.max(1))
        .map(|lane| lane.iter().fold(0u64, |m, &p| m | 1 << (p & 63)))
        .collect();
    each_key(data, outer, n, inner, |lane, key| {
        let p = key.checked_shr(below).unwrap_or(0);
        if screens[lane] & (1 << (p & 63)) == 0 {
            return;
        }
        for t in 0..targets {
            let slot = lane * targets + t;
            if prefixes[slot] == p {
                visit(slot, key);
            }
        }
    });
}

/// `visit(lane, key)` for each element of a C-order block of `outer` × `n`
/// × `inner` elements (lanes along the middle axis), in memory order.
#[inline(always)]
fn each_key<T: Radix>(
    data: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    mut visit: impl FnMut(usize, u64),
) {
    for o in 0..outer {
        for k in 0..n {
            let row = &data[(o * n + k) * inner..(o * n + k + 1) * inner];
            for (i, &v) in row.iter().enumerate() {
                visit(o * inner + i, v.radix());
            }
        }
    }
}

fn shaped<T>(shape: Vec<usize>, values: Vec<T>) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(&shape), values)
        .map_err(|e| Error::invalid("radix selection", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_sort_as_numpy<T: Radix>(values: &[T]) {
        for w in values.windows(2) {
            assert!(w[0].radix() < w[1].radix(), "{:?} {:?}", w[0], w[1]);
        }
        for &v in values {
            assert_eq!(T::from_radix(v.radix()).radix(), v.radix());
        }
    }

    #[test]
    fn keys_order_and_invert() {
        keys_sort_as_numpy(&[
            f64::NEG_INFINITY,
            -1.5,
            -1e-300,
            0.0,
            2.0,
            f64::INFINITY,
            f64::NAN,
        ]);
        keys_sort_as_numpy(&[
            f32::NEG_INFINITY,
            -1.5f32,
            0.0,
            3.0,
            f32::INFINITY,
            f32::NAN,
        ]);
        keys_sort_as_numpy(&[i8::MIN, -1, 0, 1, i8::MAX]);
        keys_sort_as_numpy(&[i64::MIN, -7, 0, i64::MAX]);
        keys_sort_as_numpy(&[0u16, 9, u16::MAX]);
        keys_sort_as_numpy(&[false, true]);
        assert_eq!((-0.0f64).radix(), 0.0f64.radix());
        assert_eq!(f64::from_radix((-3.25f64).radix()), -3.25);
        assert_eq!(i32::from_radix((-5i32).radix()), -5);
        assert!(f32::from_radix(f32::NAN.radix()).is_nan());
    }

    #[test]
    fn counts_and_collects_per_lane() {
        // Two lanes (columns) of four rows.
        let block = f64::wrap(
            ArrayD::from_shape_vec(
                IxDyn(&[4, 2]),
                vec![1.0, -1.0, 2.0, -2.0, 1.0, 5.0, f64::NAN, 0.5],
            )
            .unwrap(),
        );
        let pass = RadixPass {
            axis: 0,
            known: 0,
            width: 1,
            targets: 1,
            prefixes: vec![0, 0],
            collect: None,
        };
        let counts = u32::unwrap(radix_pass(&pass, &block, None, 0).unwrap()).unwrap();
        assert_eq!(counts.shape(), &[1, 2, 1, 2]);
        // The top bit splits negatives from the rest.
        assert_eq!(counts.iter().copied().collect::<Vec<_>>(), vec![0, 4, 2, 2]);
        // 1.0's top four key bits hold 1.0 and 0.5, not 2.0, 5.0 or NaN.
        let one = (1.0f64).radix() >> 60;
        let collect = |counts: Vec<usize>| RadixPass {
            axis: 0,
            known: 4,
            width: 0,
            targets: 1,
            prefixes: vec![one, one],
            collect: Some(counts),
        };
        let keys =
            u64::unwrap(radix_pass(&collect(vec![9, 9, 2, 1]), &block, None, 1).unwrap()).unwrap();
        let values: Vec<f64> = keys.iter().map(|&k| f64::from_radix(k)).collect();
        assert_eq!(keys[0], 3);
        assert_eq!(values[1..], [1.0, 1.0, 0.5]);
        // Counts that disagree with the block are an error, not a wrong answer.
        assert!(radix_pass(&collect(vec![1, 1]), &block, None, 0).is_err());
        assert!(radix_pass(&collect(vec![2, 1]), &block, None, 1).is_err());
    }
}
