//! Block functions in their general forms: `map_blocks` with output chunks
//! of its own, and `blockwise` over several inputs named by index notation
//! (dask's `blockwise` with `concatenate=True`).

use std::collections::HashMap;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD};

use crate::array::elementwise::refine;
use crate::array::Array;
use crate::block::DynArray;
use crate::chunks::Chunks;
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::expr::{BlockMap, BlockOp, Node, Op, UserFn};
use crate::registry::BlockFn;

impl<T: Element> Array<T> {
    /// `f` applied to each block, giving the blocks of `chunks` (dask's
    /// `map_blocks(f, chunks=...)`): one list of lengths per axis, with as
    /// many blocks along each axis as the input has. A block of another
    /// shape is an error when computed.
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 6.0, 1.0, [4])?;
    /// // Each block's first and last element.
    /// let ends = x.map_blocks_with_chunks(vec![vec![2, 2]], |b| {
    ///     let n = b.len();
    ///     ndarray::arr1(&[b[[0]], b[[n - 1]]]).into_dyn()
    /// })?;
    /// assert_eq!(ends.compute()?.into_raw_vec_and_offset().0, vec![0.0, 3.0, 4.0, 5.0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn map_blocks_with_chunks<U: Element>(
        &self,
        chunks: Vec<Vec<usize>>,
        f: impl Fn(ArrayViewD<T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        self.try_map_blocks_with_chunks(chunks, move |b| Ok(f(b)))
    }

    /// [`Array::map_blocks_with_chunks`] with a function that may fail: its
    /// `Err` fails the compute (as a task error naming the block), for
    /// functions from other languages, such as Python's.
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 4, 1, [2])?;
    /// let y = x.try_map_blocks_with_chunks(vec![vec![2, 2]], |b| {
    ///     if b[[0]] > 0 { Err(ndchunk::Error::Executor("block too late".into())) } else { Ok(b.to_owned()) }
    /// })?;
    /// assert!(y.compute().unwrap_err().to_string().contains("block too late"));
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn try_map_blocks_with_chunks<U: Element>(
        &self,
        chunks: Vec<Vec<usize>>,
        f: impl Fn(ArrayViewD<T>) -> Result<ArrayD<U>> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let origin = "map_blocks_with_chunks";
        let chunks = Chunks::new(chunks)?;
        if chunks.numblocks() != self.chunks().numblocks() {
            return Err(Error::invalid(
                origin,
                format!(
                    "output chunks of {:?} blocks for an input of {:?} blocks",
                    chunks.numblocks(),
                    self.chunks().numblocks()
                ),
            ));
        }
        let f = UserFn::new(origin, crate::registry::block_fn_of(origin, f));
        Ok(self.map_blocks_node(f, chunks))
    }
}

/// `f` applied to blocks of several inputs lined up by index notation, as
/// dask's `blockwise(f, out_ind, *args, concatenate=True)`: `"ij,jk->ik"`
/// names each input's axes and the output's. Axes with one label are
/// rechunked to the common refinement of their chunks (their lengths must
/// agree); a label the output lacks is read whole (each input is made one
/// block along it), so `f` receives, for output block `(i, k)`, row block `i`
/// of the first input and column block `k` of the second, and returns the
/// output block, of the output labels' block lengths. Every output label
/// must appear in an input, and no label twice in one input.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[1.0, 2.0], [3.0, 4.0]], [1, 1])?;
/// let b = ndchunk::from_array(ndarray::array![[1.0, 0.0], [0.0, 1.0]], [2, 1])?;
/// let c = ndchunk::blockwise("ij,jk->ik", &[&a, &b], |blocks| {
///     let (x, y) = (blocks[0].view().into_dimensionality::<ndarray::Ix2>().unwrap(),
///                   blocks[1].view().into_dimensionality::<ndarray::Ix2>().unwrap());
///     x.dot(&y).into_dyn()
/// })?;
/// assert_eq!(c.compute()?, ndarray::array![[1.0, 2.0], [3.0, 4.0]].into_dyn());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn blockwise<T: Element, U: Element>(
    subscripts: &str,
    inputs: &[&Array<T>],
    f: impl Fn(&[ArrayViewD<T>]) -> ArrayD<U> + Send + Sync + 'static,
) -> Result<Array<U>> {
    let origin = format!("blockwise({subscripts})");
    for input in inputs {
        if let Some(e) = input.error() {
            return Err(e.clone());
        }
    }
    let (labels, out) = parse(&origin, subscripts, inputs)?;
    // Per label: its length and the common refinement of its chunks.
    let mut lens: HashMap<char, (usize, Vec<usize>)> = HashMap::new();
    for (input, labels) in inputs.iter().zip(&labels) {
        for (axis, &label) in labels.iter().enumerate() {
            let (n, chunks) = (input.shape()[axis], input.chunks().lens(axis));
            match lens.get_mut(&label) {
                None => {
                    lens.insert(label, (n, chunks.to_vec()));
                }
                Some((m, _)) if *m != n => {
                    return Err(Error::invalid(
                        &origin,
                        format!("label '{label}' has lengths {m} and {n}"),
                    ))
                }
                Some((_, common)) => *common = refine(common, chunks),
            }
        }
    }
    let axis_lens = |label: char| {
        let (n, common) = &lens[&label];
        if out.contains(&label) {
            common.clone()
        } else {
            vec![*n]
        }
    };
    let mut nodes = Vec::with_capacity(inputs.len());
    let mut index = Vec::with_capacity(inputs.len());
    for (input, labels) in inputs.iter().zip(&labels) {
        let target: Vec<Vec<usize>> = labels.iter().map(|&l| axis_lens(l)).collect();
        let aligned = if target.as_slice() == input.chunks().all_lens() {
            (*input).clone()
        } else {
            input.rechunk(target)?
        };
        nodes.push(aligned.node().clone());
        index.push(
            labels
                .iter()
                .map(|l| out.iter().position(|o| o == l))
                .collect(),
        );
    }
    let chunks = Chunks::new(out.iter().map(|&l| axis_lens(l)).collect())?;
    let op = origin.clone();
    let block_fn: Arc<BlockFn> = Arc::new(move |_: &[usize], blocks: &[&DynArray]| {
        let views = blocks
            .iter()
            .map(|b| {
                T::unwrap_ref(b)
                    .map(|a| a.view())
                    .ok_or_else(|| dtype_error(&op, T::DTYPE, b.dtype()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(U::wrap(f(&views)))
    });
    let map = BlockMap {
        f: BlockOp::User(UserFn::new("blockwise", block_fn)),
        index,
    };
    Ok(Array::from_node(Node::new(
        Op::MapBlocks(map),
        nodes,
        chunks,
        U::DTYPE,
    )))
}

fn dtype_error(op: &str, expected: DType, found: DType) -> Error {
    Error::DtypeMismatch {
        op: op.into(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// The labels of each input and of the output, checked against the inputs.
fn parse<T: Element>(
    origin: &str,
    subscripts: &str,
    inputs: &[&Array<T>],
) -> Result<(Vec<Vec<char>>, Vec<char>)> {
    let bad = |why: String| Error::invalid(origin, why);
    let (ins, out) = subscripts
        .split_once("->")
        .ok_or_else(|| bad("subscripts need an output after '->'".into()))?;
    let labels: Vec<Vec<char>> = ins.split(',').map(|s| s.trim().chars().collect()).collect();
    let out: Vec<char> = out.trim().chars().collect();
    if labels.len() != inputs.len() {
        return Err(bad(format!(
            "{} input subscripts for {} inputs",
            labels.len(),
            inputs.len()
        )));
    }
    for (k, (l, input)) in labels.iter().zip(inputs).enumerate() {
        if l.len() != input.ndim() {
            return Err(bad(format!(
                "input {k} has {} labels and {} axes",
                l.len(),
                input.ndim()
            )));
        }
        if let Some(c) = repeated(l) {
            return Err(bad(format!("label '{c}' appears twice in input {k}")));
        }
        if let Some(c) = l.iter().find(|c| !c.is_alphabetic()) {
            return Err(bad(format!("'{c}' is not a label")));
        }
    }
    if let Some(c) = repeated(&out) {
        return Err(bad(format!("label '{c}' appears twice in the output")));
    }
    if let Some(c) = out.iter().find(|c| !labels.iter().any(|l| l.contains(c))) {
        return Err(bad(format!("output label '{c}' is in no input")));
    }
    Ok((labels, out))
}

fn repeated(labels: &[char]) -> Option<char> {
    labels
        .iter()
        .enumerate()
        .find(|(i, c)| labels[..*i].contains(c))
        .map(|(_, &c)| c)
}
