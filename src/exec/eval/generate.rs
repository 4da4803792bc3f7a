//! Generated sources, produced tile by tile in C order within a block.
//!
//! A random block draws from its own stream, seeded from the array's seed and the
//! block's C-order index only, so results do not depend on threads or task order.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution as _, StandardNormal, Uniform};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::block::{DynArray, Tile};
use crate::element::{DType, Element, FloatElement, NumElement};
use crate::error::{Error, Result};
use crate::expr::{Distribution, Generator};

/// A generator positioned at one block, producing consecutive tiles.
pub struct GenStream {
    generator: Generator,
    dtype: DType,
    offset: Vec<usize>,
    shape: Vec<usize>,
    rng: Xoshiro256PlusPlus,
    next: usize,
}

/// The seed of block number `block` of an array seeded with `seed`.
pub fn block_seed(seed: u64, block: u64) -> u64 {
    splitmix64(seed ^ splitmix64(block.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl GenStream {
    /// A stream over the block at `offset` with `shape`, numbered `linear` in C order.
    pub fn new(
        generator: &Generator,
        dtype: DType,
        offset: Vec<usize>,
        shape: Vec<usize>,
        linear: usize,
    ) -> Self {
        let seed = match generator {
            Generator::Random { seed, .. } => block_seed(*seed, linear as u64),
            _ => 0,
        };
        GenStream {
            generator: generator.clone(),
            dtype,
            offset,
            shape,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            next: 0,
        }
    }

    /// Fills `out` with the next `n` values of the block (C order).
    pub fn fill(&mut self, n: usize, out: &mut Tile) -> Result<()> {
        let start = self.next;
        self.next += n;
        let dtype = self.dtype;
        with_dtype!(dtype, T => {
            let o = T::tile_mut(out);
            o.clear();
            self.fill_typed::<T>(start, n, o)
        })
    }

    /// The whole block as an array.
    pub fn block(mut self) -> Result<DynArray> {
        let n = self.shape.iter().product();
        let mut tile = Tile::new(self.dtype);
        self.fill(n, &mut tile)?;
        let shape = self.shape.clone();
        with_dtype!(self.dtype, T => {
            let data = std::mem::take(T::tile_mut(&mut tile));
            ndarray::ArrayD::from_shape_vec(shape, data)
                .map(T::wrap)
                .map_err(|e| Error::invalid("generate", e.to_string()))
        })
    }

    fn fill_typed<T: Element>(&mut self, start: usize, n: usize, o: &mut Vec<T>) -> Result<()> {
        match &self.generator {
            Generator::Full(v) => o.extend(std::iter::repeat_n(v.cast::<T>(), n)),
            Generator::Arange { start: a, step } => {
                let base = self.offset[0] + start;
                with_num_dtype!(T::DTYPE, N => {
                    let (a, step) = (a.cast::<N>(), step.cast::<N>());
                    o.extend((base..base + n).map(|i| {
                        NumElement::add(a, NumElement::mul((i as u64).cast::<N>(), step)).cast::<T>()
                    }))
                }, else => o.extend((base..base + n).map(|i| (i as u64).cast::<T>())))
            }
            Generator::Linspace {
                start: a,
                stop,
                num,
                endpoint,
            } => {
                let div = if *endpoint {
                    num.saturating_sub(1)
                } else {
                    *num
                };
                let step = if div > 0 {
                    (stop - a) / div as f64
                } else {
                    0.0
                };
                let base = self.offset[0] + start;
                o.extend((base..base + n).map(|i| {
                    let v = if *endpoint && i + 1 == *num && *num > 1 {
                        *stop
                    } else {
                        a + i as f64 * step
                    };
                    // Integer dtypes round toward -inf, as NumPy (>= 2.0) does.
                    if T::DTYPE.is_float() { v } else { v.floor() }.cast::<T>()
                }));
            }
            Generator::Eye { k } => {
                let cols = self.shape.get(1).copied().unwrap_or(1).max(1);
                let (r0, c0) = (
                    self.offset[0] as i64,
                    self.offset.get(1).copied().unwrap_or(0) as i64,
                );
                o.extend((start..start + n).map(|p| {
                    let (r, c) = (r0 + (p / cols) as i64, c0 + (p % cols) as i64);
                    (c - r == *k).cast::<T>()
                }));
            }
            Generator::Random { dist, .. } => {
                let dist = *dist;
                self.fill_random::<T>(dist, n, o)?;
            }
        }
        Ok(())
    }

    fn fill_random<T: Element>(
        &mut self,
        dist: Distribution,
        n: usize,
        o: &mut Vec<T>,
    ) -> Result<()> {
        let rng = &mut self.rng;
        match dist {
            Distribution::Uniform { low, high } => with_float_dtype!(T::DTYPE, F => {
                fill_uniform::<F, T>(rng, low, high, n, o)
            }, else => return Err(not_float("random.uniform", T::DTYPE))),
            Distribution::StandardNormal => with_float_dtype!(T::DTYPE, F => {
                o.extend((0..n).map(|_| {
                    let v: F = StandardNormal.sample(rng);
                    v.cast::<T>()
                }))
            }, else => return Err(not_float("random.standard_normal", T::DTYPE))),
            Distribution::Integers { low, high } => {
                let u = Uniform::new(low, high)
                    .map_err(|e| Error::invalid("random.integers", e.to_string()))?;
                o.extend((0..n).map(|_| u.sample(rng).cast::<T>()));
            }
        }
        Ok(())
    }
}

fn fill_uniform<F: FloatElement, T: Element>(
    rng: &mut Xoshiro256PlusPlus,
    low: f64,
    high: f64,
    n: usize,
    o: &mut Vec<T>,
) where
    rand::distr::StandardUniform: rand::distr::Distribution<F>,
{
    let (low, span) = (low.cast::<F>(), (high - low).cast::<F>());
    o.extend((0..n).map(|_| {
        let u: F = rng.random();
        (low + span * u).cast::<T>()
    }));
}

fn not_float(op: &str, dt: DType) -> Error {
    Error::DtypeMismatch {
        op: op.into(),
        expected: "a float dtype".into(),
        found: dt.to_string(),
    }
}
