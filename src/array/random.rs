//! Random arrays. Each block draws from its own stream, seeded from `seed` and the
//! block's index only: the same seed and chunks give the same values for any
//! number of threads and any execution order.

use crate::array::Array;
use crate::chunks::ChunkSpec;
use crate::element::{Element, FloatElement, NumElement};
use crate::error::{Error, Result};
use crate::expr::{Distribution, Generator, Node, Op};

fn random<T: crate::element::Element>(
    dist: Distribution,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<T>> {
    let chunks = chunks.into().resolve(shape, T::DTYPE)?;
    Ok(Array::from_node(Node::new(
        Op::Generate(Generator::Random { dist, seed }),
        Vec::new(),
        chunks,
        T::DTYPE,
    )))
}

/// Uniform values on `[0, 1)`.
///
/// ```
/// let u = ndchunk::random::uniform::<f32>(&[1000], [300], 42)?.compute()?;
/// assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn uniform<T: FloatElement>(
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<T>> {
    random(
        Distribution::Uniform {
            low: 0.0,
            high: 1.0,
        },
        shape,
        chunks,
        seed,
    )
}

/// Uniform values on `[low, high)`.
///
/// ```
/// let u = ndchunk::random::uniform_range::<f64>(-2.0, 2.0, &[100], [50], 1)?.compute()?;
/// assert!(u.iter().all(|&v| (-2.0..2.0).contains(&v)));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn uniform_range<T: FloatElement>(
    low: f64,
    high: f64,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<T>> {
    if !low.is_finite() || !high.is_finite() || low >= high {
        return Err(Error::invalid(
            "random.uniform",
            format!("low {low} must be below high {high}, both finite"),
        ));
    }
    random(Distribution::Uniform { low, high }, shape, chunks, seed)
}

/// Normal values with mean 0 and standard deviation 1.
///
/// ```
/// let n = ndchunk::random::standard_normal::<f64>(&[100_000], [25_000], 3)?;
/// assert!(n.mean()?.compute()?[[]].abs() < 0.02);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn standard_normal<T: FloatElement>(
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<T>> {
    random(Distribution::StandardNormal, shape, chunks, seed)
}

/// Uniform integers on `[low, high)`; both bounds must fit `T` (as NumPy).
///
/// ```
/// let k = ndchunk::random::integers::<i64>(0, 10, &[1000], [100], 5)?.compute()?;
/// assert!(k.iter().all(|&v| (0..10).contains(&v)));
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn integers<T: NumElement>(
    low: i64,
    high: i64,
    shape: &[usize],
    chunks: impl Into<ChunkSpec>,
    seed: u64,
) -> Result<Array<T>> {
    if low >= high {
        return Err(Error::invalid(
            "random.integers",
            format!("low {low} must be below high {high}"),
        ));
    }
    let fits = |v: i64| Element::cast::<f64>(Element::cast::<T>(v)) == v as f64;
    if !fits(low) || !fits(high - 1) {
        return Err(Error::invalid(
            "random.integers",
            format!(
                "low {low} and high {high} are out of bounds for {}",
                T::DTYPE
            ),
        ));
    }
    random(Distribution::Integers { low, high }, shape, chunks, seed)
}
