//! `reshape` and `ravel`, blockwise where chunk boundaries allow (dask's rule).
//!
//! The axes of both shapes are matched into groups with equal products (C
//! order). Within a group only its first axis stays split: the input's other
//! axes of the group become whole, and its first axis is cut into multiples of
//! what keeps each block a whole number of output rows. Each input block then
//! reshapes on its own into one output block; axes outside changed groups keep
//! their chunks, and the whole array is never gathered into one block.

use std::ops::Range;

use crate::array::{rechunk_node, Array};
use crate::chunks::{regular_lens, Chunks};
use crate::element::Element;
use crate::error::{Error, Result};
use crate::expr::{Node, Op};

impl<T: Element> Array<T> {
    /// The array with `shape` in C order; one entry may be `-1`, inferred from
    /// the others.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 12, 1, [4])?;
    /// let y = x.reshape(&[-1, 3])?;
    /// assert_eq!(y.shape(), &[4, 3]);
    /// // Blocks of 4 elements cannot hold whole rows of 3: the input is cut into
    /// // blocks of 6 first, giving blocks of 2 rows.
    /// assert_eq!(y.chunks().lens(0), &[2, 2]);
    /// assert_eq!(y.compute()?.slice(ndarray::s![2, ..]).to_vec(), vec![6, 7, 8]);
    /// assert!(x.reshape(&[5, -1]).is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Result<Array<T>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let out = resolve_shape(self.shape(), shape)?;
        if out == self.shape() {
            return Ok(self.clone());
        }
        let input = self.shape();
        if self.is_empty() {
            let one = rechunk_node(&self.node, Chunks::single(input), None);
            let groups = vec![(0..input.len(), 0..out.len())];
            let node = Node::new(
                Op::Reshape(groups),
                vec![one],
                Chunks::single(&out),
                T::DTYPE,
            );
            return Ok(Array::from_node(node));
        }
        let groups = match_groups(input, &out);
        let mut in_lens = self.chunks().all_lens().to_vec();
        let mut out_lens: Vec<Vec<usize>> = out.iter().map(|&n| vec![n]).collect();
        for (ins, outs) in &groups {
            if ins.is_empty() || outs.is_empty() {
                continue;
            }
            let inner_in: usize = input[ins.start + 1..ins.end].iter().product();
            let inner_out: usize = out[outs.start + 1..outs.end].iter().product();
            let unit = inner_out / gcd(inner_out, inner_in);
            let first = ins.start;
            let whole_rest = (first + 1..ins.end).all(|a| in_lens[a].len() == 1);
            if !whole_rest || in_lens[first].iter().any(|&c| c % unit != 0) {
                // Keep a block's elements in this group about what they were.
                let block: usize = (first..ins.end).map(|a| max_len(&in_lens[a])).product();
                let len = (block / inner_in.max(1)).max(1).div_ceil(unit) * unit;
                in_lens[first] = regular_lens(input[first], len.min(input[first]))?;
                for a in first + 1..ins.end {
                    in_lens[a] = vec![input[a]];
                }
            }
            out_lens[outs.start] = in_lens[first]
                .iter()
                .map(|&c| c * inner_in / inner_out)
                .collect();
        }
        let rechunked = rechunk_node(&self.node, Chunks::new(in_lens)?, None);
        let node = Node::new(
            Op::Reshape(groups),
            vec![rechunked],
            Chunks::new(out_lens)?,
            T::DTYPE,
        );
        Ok(Array::from_node(node))
    }

    /// The array as one dimension, in C order.
    ///
    /// ```
    /// let x = ndchunk::zeros::<u8>(&[3, 4], [2, 4])?;
    /// assert_eq!(x.ravel()?.chunks().lens(0), &[8, 4]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn ravel(&self) -> Result<Array<T>> {
        self.reshape(&[-1])
    }
}

fn max_len(lens: &[usize]) -> usize {
    lens.iter().copied().max().unwrap_or(1).max(1)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// `shape` with its `-1` inferred, checked against `input`'s element count.
fn resolve_shape(input: &[usize], shape: &[isize]) -> Result<Vec<usize>> {
    let total: usize = input.iter().product();
    let bad = |message: String| Error::invalid("reshape", message);
    let inferred: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == -1).collect();
    if inferred.len() > 1 {
        return Err(bad(format!("more than one -1 in {shape:?}")));
    }
    if let Some(&n) = shape.iter().find(|&&n| n < -1) {
        return Err(bad(format!("negative length {n} in {shape:?}")));
    }
    let known: usize = shape
        .iter()
        .filter(|&&n| n >= 0)
        .map(|&n| n as usize)
        .product();
    let mut out: Vec<usize> = shape.iter().map(|&n| n.max(0) as usize).collect();
    if let Some(&i) = inferred.first() {
        if known == 0 || total % known != 0 {
            return Err(bad(format!(
                "cannot infer -1 in {shape:?} for {total} elements of shape {input:?}"
            )));
        }
        out[i] = total / known;
    }
    if out.iter().product::<usize>() != total {
        return Err(bad(format!(
            "cannot reshape {total} elements of shape {input:?} into {shape:?}"
        )));
    }
    Ok(out)
}

/// Groups of input and output axes with equal products, in order; trailing
/// length-1 axes on one side form a group with no axes on the other.
fn match_groups(input: &[usize], out: &[usize]) -> Vec<(Range<usize>, Range<usize>)> {
    let (mut i, mut j) = (0, 0);
    let mut groups = Vec::new();
    while i < input.len() && j < out.len() {
        let (gi, gj) = (i, j);
        let (mut pin, mut pout) = (input[i], out[j]);
        i += 1;
        j += 1;
        while pin != pout {
            if pin < pout {
                pin *= input[i];
                i += 1;
            } else {
                pout *= out[j];
                j += 1;
            }
        }
        groups.push((gi..i, gj..j));
    }
    if i < input.len() || j < out.len() {
        groups.push((i..input.len(), j..out.len()));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_match_products() {
        assert_eq!(match_groups(&[6, 4], &[24]), vec![(0..2, 0..1)]);
        assert_eq!(
            match_groups(&[2, 3, 4], &[6, 2, 2]),
            vec![(0..2, 0..1), (2..3, 1..3)]
        );
        assert_eq!(match_groups(&[4, 6], &[3, 8]), vec![(0..2, 0..2)]);
        assert_eq!(
            match_groups(&[6, 1], &[6]),
            vec![(0..1, 0..1), (1..2, 1..1)]
        );
        assert_eq!(match_groups(&[], &[1, 1]), vec![(0..0, 0..2)]);
    }

    #[test]
    fn minus_one_is_inferred() {
        assert_eq!(resolve_shape(&[4, 6], &[-1, 8]).unwrap(), vec![3, 8]);
        assert!(resolve_shape(&[4, 6], &[-1, -1]).is_err());
        assert!(resolve_shape(&[4, 6], &[5, -1]).is_err());
        assert!(resolve_shape(&[4, 6], &[-2, 12]).is_err());
        assert_eq!(resolve_shape(&[0, 6], &[-1, 6]).unwrap(), vec![0, 6]);
        assert!(resolve_shape(&[0, 6], &[-1, 0]).is_err());
    }
}
