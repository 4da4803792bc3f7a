//! Runs a fused stage at one block: leaves are read (or generated) tile by tile,
//! the program runs over each tile, and the output tile is either appended to the
//! result block or folded straight into a reduction state.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use smallvec::SmallVec;

use crate::block::{DynArray, DynSliceMut, Tile};
use crate::element::{DType, Element};
use crate::error::{Error, Result};
use crate::exec::eval::gather::{
    flat_range, gather_block, gather_block_into, gather_rows, GatherInput,
};
use crate::exec::eval::generate::GenStream;
use crate::exec::eval::reduce::{
    block_states, finish_block, identity, merge, ColumnSums, Reducible, State, StateBlock,
};
use crate::exec::eval::tile_ops::{apply, splat};
use crate::exec::Value;
use crate::expr::ReduceSpec;
use crate::grid::{broadcast_block, contiguous_runs};
use crate::plan::{FusedStage, Instr, Leaf, LeafSource, Source};

/// Elements per tile: small enough that a program's registers stay in L1/L2.
pub const TILE: usize = 2048;

/// How a leaf yields its tiles.
enum LeafData<'a> {
    /// A contiguous C-order run of `data` starting at flat position `start`.
    Flat { data: &'a DynArray, start: usize },
    /// Output rows of `row_len` elements, each a contiguous run of `data` found
    /// by `map`: a gather or a broadcast read in place, never materialised.
    Rows {
        data: &'a DynArray,
        row_len: usize,
        map: RowMap<'a>,
    },
    /// Values generated as the tiles go.
    Stream(GenStream),
}

/// Where output row `r` of a `LeafData::Rows` leaf starts in its data.
#[allow(missing_docs)] // the fields are described on each variant
pub enum RowMap<'a> {
    /// At `base + selected[r] * stride` (a gather of whole inner runs).
    Gather {
        selected: std::borrow::Cow<'a, [usize]>,
        base: usize,
        stride: usize,
    },
    /// At `start + sum(index[a] * strides[a])`, `r` unravelled over `rows_shape`
    /// (a broadcast: stride 0 on broadcast axes).
    Broadcast {
        rows_shape: Vec<usize>,
        strides: Vec<usize>,
        start: usize,
    },
}

impl RowMap<'_> {
    #[inline]
    fn offset(&self, r: usize) -> usize {
        match self {
            RowMap::Gather {
                selected,
                base,
                stride,
            } => base + selected[r] * stride,
            RowMap::Broadcast {
                rows_shape,
                strides,
                start,
            } => {
                let (mut rem, mut off) = (r, *start);
                for a in (0..rows_shape.len()).rev() {
                    let n = rows_shape[a].max(1);
                    off += (rem % n) * strides[a];
                    rem /= n;
                }
                off
            }
        }
    }
}

/// Where a prepared leaf's data lives.
enum Data<'a> {
    Borrowed(&'a DynArray),
    Owned(usize),
}

/// A leaf before the owned copies it needs are made.
enum Prepared<'a> {
    Borrowed(&'a DynArray, usize),
    Owned(usize),
    Rows(Data<'a>, usize, RowMap<'a>),
    Stream(GenStream),
}

/// Runs stage `f` (output dtype `dtype`) at `block`; `deps` are the results of its
/// stage leaves, in leaf order.
/// With a `dest`, a block of values is written there (see
/// [`run_task`](super::run_task)).
pub fn run(
    f: &FusedStage,
    dtype: DType,
    block: &[usize],
    deps: &[Arc<Value>],
    dest: &mut Option<DynSliceMut>,
) -> Result<Value> {
    let program_block = f.program_block(block);
    let block = program_block.as_slice();
    // After blockwise reductions the stage's dtype is theirs; the program's
    // own is its last register's.
    let dtype = match f.blockwise.is_empty() {
        true => dtype,
        false => f.program.dtypes.last().copied().unwrap_or(dtype),
    };
    let shape = f.chunks.block_shape(block);
    let offset = f.chunks.block_offset(block);
    let mut owned: Vec<DynArray> = Vec::new();
    let mut prepared = Vec::with_capacity(f.leaves.len());
    let mut next_dep = deps.iter();
    // A bare leaf is the result itself: it is built as a block, not tile by tile.
    let bare = f.reduce.is_none()
        && f.blockwise.is_empty()
        && matches!(f.program.instrs.as_slice(), [Instr::Leaf(0)]);
    if let (true, [leaf]) = (bare, f.leaves.as_slice()) {
        if let Some(d) = dest.take() {
            match gather_in_place(leaf, block, shape.len(), deps, d)? {
                None => return Ok(Value::Written),
                unused => *dest = unused,
            }
        }
    }
    for leaf in &f.leaves {
        prepared.push(prepare(
            leaf,
            block,
            &shape,
            bare,
            &mut next_dep,
            &mut owned,
        )?);
    }
    // A bare copy of a block made for this task (a user block, a non-contiguous
    // region) is the result itself.
    if bare && matches!(prepared.first(), Some(Prepared::Owned(0))) {
        if let Some(block) = owned.pop() {
            // The source block lacks the leaf's inserted axes.
            return Ok(Value::Block(reshaped(block, &shape)?));
        }
    }
    let mut leaves: Vec<LeafData> = prepared
        .into_iter()
        .map(|p| match p {
            Prepared::Borrowed(data, start) => LeafData::Flat { data, start },
            Prepared::Owned(i) => LeafData::Flat {
                data: &owned[i],
                start: 0,
            },
            Prepared::Rows(data, row_len, map) => LeafData::Rows {
                data: match data {
                    Data::Borrowed(d) => d,
                    Data::Owned(i) => &owned[i],
                },
                row_len,
                map,
            },
            Prepared::Stream(s) => LeafData::Stream(s),
        })
        .collect();

    let total: usize = shape.iter().product();
    let spec = match &f.reduce {
        None if !f.blockwise.is_empty() => {
            return blockwise_result(f, &mut leaves, dtype, block, &offset);
        }
        None => {
            return match dest.take() {
                Some(d) => collect_into(f, &mut leaves, dtype, total, d).map(|()| Value::Written),
                None => Ok(Value::Block(collect_block(f, &mut leaves, dtype, &shape)?)),
            }
        }
        Some(spec) => spec,
    };
    partial_states(f, &mut leaves, dtype, &shape, &offset, spec).map(Value::States)
}

/// Block `block` (of the program's grid) after the blockwise reductions of
/// `f`, the first folded from the program's tiles, each finished in turn.
fn blockwise_result(
    f: &FusedStage,
    leaves: &mut [LeafData],
    dtype: DType,
    block: &[usize],
    offset: &[usize],
) -> Result<Value> {
    let shape = f.chunks.block_shape(block);
    let mut at = block.to_vec();
    let mut result: Option<DynArray> = None;
    for r in &f.blockwise {
        let states = match &result {
            None => partial_states(f, leaves, dtype, &shape, offset, &r.spec)?,
            Some(values) => block_states(&r.spec, values, &vec![0; values.shape().len()])?,
        };
        if !r.spec.keepdims {
            at = (0..at.len())
                .filter(|a| !r.spec.axes.contains(a))
                .map(|a| at[a])
                .collect();
        }
        let out_shape = r.chunks.block_shape(&at);
        result = Some(finish_block(&r.spec, r.dtype, &states, &out_shape)?);
    }
    result
        .map(Value::Block)
        .ok_or_else(|| Error::invalid("fused", "no blockwise reduction"))
}

/// The partial states of the program's block (`shape` at `offset`) reduced
/// by `spec`: folded tile by tile when the reduced axes are contiguous runs.
fn partial_states(
    f: &FusedStage,
    leaves: &mut [LeafData],
    dtype: DType,
    shape: &[usize],
    offset: &[usize],
    spec: &ReduceSpec,
) -> Result<StateBlock> {
    let Some(run) = contiguous_runs(shape, &spec.axes) else {
        if let Some(states) = streamed_column_sums(f, leaves, dtype, shape, spec)? {
            return Ok(states);
        }
        let values = collect_block(f, leaves, dtype, shape)?;
        return block_states(spec, &values, offset);
    };
    // Each kept position owns the run [k * run, (k + 1) * run): fold the program's
    // output tiles straight into per-position states.
    let kept_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(a, &n)| if spec.axes.contains(&a) { 1 } else { n })
        .collect();
    let mut states: Vec<Option<State>> = vec![None; kept_shape.iter().product()];
    let index_of = |q: usize| -> i64 {
        if spec.flat {
            let mut rem = q;
            let mut local = vec![0; shape.len()];
            for a in (0..shape.len()).rev() {
                local[a] = rem % shape[a].max(1);
                rem /= shape[a].max(1);
            }
            (0..shape.len()).fold(0i64, |acc, a| {
                acc * f.full_shape[a] as i64 + (offset[a] + local[a]) as i64
            })
        } else {
            spec.axes.first().map(|&a| offset[a] as i64).unwrap_or(0) + (q % run.max(1)) as i64
        }
    };
    let total: usize = shape.iter().product();
    run_tiles(f, leaves, total, |tile, p, n| {
        let mut done = 0;
        while done < n {
            let q = p + done;
            let (k, j) = (q / run, q % run);
            let seg = (run - j).min(n - done);
            let s = with_dtype!(dtype, T => T::state(spec.kind, &T::tile(tile)[done..done + seg], &|i| index_of(q + i)))?;
            states[k] = Some(match states[k] {
                Some(a) => merge(spec.kind, a, s),
                None => s,
            });
            done += seg;
        }
        Ok(())
    })?;
    let states = states
        .into_iter()
        .map(|s| {
            s.or_else(|| identity(spec.kind, dtype))
                .ok_or_else(|| Error::EmptyReduction {
                    op: spec.kind.name().into(),
                    axes: spec.axes.clone(),
                    shape: shape.to_vec(),
                })
        })
        .collect::<Result<Vec<State>>>()?;
    Ok(StateBlock {
        shape: kept_shape,
        states,
    })
}

/// A float sum or mean over the block's leading axes, added up column by
/// column from the program's tiles as they are made (the block is never
/// collected); `None` for other reductions. The same sums, in the same
/// order, as `block_states` of the collected block.
fn streamed_column_sums(
    f: &FusedStage,
    leaves: &mut [LeafData],
    dtype: DType,
    shape: &[usize],
    spec: &ReduceSpec,
) -> Result<Option<StateBlock>> {
    let reduced = spec.axes.len();
    let leading = spec.axes.iter().enumerate().all(|(i, &a)| a == i);
    if !leading || reduced == 0 || reduced >= shape.len() {
        return Ok(None);
    }
    let run: usize = shape[..reduced].iter().product();
    let positions: usize = shape[reduced..].iter().product();
    let Some(mut sums) = ColumnSums::new(spec.kind, dtype, positions) else {
        return Ok(None);
    };
    if run == 0 || positions == 0 {
        return Ok(None);
    }
    run_tiles(f, leaves, run * positions, |tile, p, n| {
        match dtype {
            DType::F32 => sums.add(&f32::tile(tile)[..n], p),
            _ => sums.add(&f64::tile(tile)[..n], p),
        }
        Ok(())
    })?;
    let kept_shape = shape
        .iter()
        .enumerate()
        .map(|(a, &n)| if a < reduced { 1 } else { n })
        .collect();
    Ok(Some(StateBlock {
        shape: kept_shape,
        states: sums.into_states(run),
    }))
}

fn collect_block(
    f: &FusedStage,
    leaves: &mut [LeafData],
    dtype: DType,
    shape: &[usize],
) -> Result<DynArray> {
    let total: usize = shape.iter().product();
    with_dtype!(dtype, T => {
        let mut out: Vec<T> = crate::exec::pool::take(total);
        run_tiles(f, leaves, total, |tile, _, n| {
            out.extend_from_slice(&T::tile(tile)[..n]);
            Ok(())
        })?;
        ArrayD::from_shape_vec(IxDyn(shape), out)
            .map(T::wrap)
            .map_err(|e| Error::invalid("fused", e.to_string()))
    })
}

/// The program's `total` output values written in order into `dest`.
fn collect_into(
    f: &FusedStage,
    leaves: &mut [LeafData],
    dtype: DType,
    total: usize,
    dest: DynSliceMut,
) -> Result<()> {
    with_dtype!(dtype, T => {
        let out = dest.typed::<T>(total, "fused")?;
        run_tiles(f, leaves, total, |tile, p, n| {
            out[p..p + n].copy_from_slice(&T::tile(tile)[..n]);
            Ok(())
        })
    })
}

/// A bare gather leaf written straight into `dest`; `dest` back when the leaf
/// is not a gather.
fn gather_in_place<'d>(
    leaf: &Leaf,
    block: &[usize],
    ndim: usize,
    deps: &[Arc<Value>],
    dest: DynSliceMut<'d>,
) -> Result<Option<DynSliceMut<'d>>> {
    let LeafSource::Gather {
        spec,
        source_shape,
        block_lens,
        from,
    } = &leaf.source
    else {
        return Ok(Some(dest));
    };
    let input = GatherInput {
        blocks: gather_input(from, block_lens.len(), &mut deps.iter())?,
        block_lens,
        shape: source_shape,
    };
    let src_block = leaf.source_block(&broadcast_block(&leaf.shape, ndim, block));
    gather_block_into(spec, &input, leaf.source_chunks(), &src_block, dest)?;
    Ok(None)
}

/// The resident input of a gather leaf, block by block along the gathered axis:
/// its own array, its persisted blocks or its stage's blocks (`count` of them).
fn gather_input<'a>(
    from: &'a Source,
    count: usize,
    deps: &mut std::slice::Iter<'a, Arc<Value>>,
) -> Result<Vec<&'a DynArray>> {
    match from {
        Source::Resident(r) => r.blocks.all(),
        Source::Stage(_) => (0..count)
            .map(|_| match deps.next().map(|v| &**v) {
                Some(Value::Block(b)) => Ok(b),
                _ => Err(missing_input()),
            })
            .collect(),
    }
}

/// Runs the program over `total` elements tile by tile, handing each output tile,
/// its start and its length to `sink`.
fn run_tiles(
    f: &FusedStage,
    leaves: &mut [LeafData],
    total: usize,
    mut sink: impl FnMut(&Tile, usize, usize) -> Result<()>,
) -> Result<()> {
    let prog = &f.program;
    let mut regs: Vec<Tile> = prog.dtypes.iter().map(|&d| Tile::new(d)).collect();
    let first = TILE.min(total);
    for (i, instr) in prog.instrs.iter().enumerate() {
        if let Instr::Const(v) = instr {
            splat(*v, &mut regs[i], first);
        }
    }
    let out = prog.instrs.len() - 1;
    let mut p = 0;
    while p < total {
        let n = TILE.min(total - p);
        for (i, instr) in prog.instrs.iter().enumerate() {
            match instr {
                // Constant tiles must hold exactly `n` values: user functions
                // see whole tiles, so re-splat for a shorter last tile.
                Instr::Const(v) if n != first => splat(*v, &mut regs[i], n),
                Instr::Const(_) => {}
                Instr::Leaf(l) => fill_leaf(&mut leaves[*l], p, n, &mut regs[i])?,
                Instr::Op(op, args) => {
                    let (before, rest) = regs.split_at_mut(i);
                    let ins: SmallVec<[&Tile; 4]> = args.iter().map(|&a| &before[a]).collect();
                    let dts: SmallVec<[DType; 4]> = args.iter().map(|&a| prog.dtypes[a]).collect();
                    apply(op, &ins, &dts, prog.dtypes[i], &mut rest[0], n)?;
                }
            }
        }
        sink(&regs[out], p, n)?;
        p += n;
    }
    Ok(())
}

fn fill_leaf(leaf: &mut LeafData, p: usize, n: usize, out: &mut Tile) -> Result<()> {
    match leaf {
        LeafData::Flat { data, start } => {
            dyn_match!(*data, a: T => {
                let src = a.as_slice().ok_or_else(|| Error::invalid("fused", "leaf is not contiguous"))?;
                let o = T::tile_mut(out);
                o.clear();
                o.extend_from_slice(&src[*start + p..*start + p + n]);
            });
            Ok(())
        }
        LeafData::Rows { data, row_len, map } => {
            dyn_match!(*data, a: T => {
                let src = a.as_slice().ok_or_else(|| Error::invalid("fused", "leaf is not contiguous"))?;
                let o = T::tile_mut(out);
                o.clear();
                let mut q = p;
                while q < p + n {
                    let (r, c) = (q / *row_len, q % *row_len);
                    let seg = (*row_len - c).min(p + n - q);
                    let from = map.offset(r) + c;
                    o.extend_from_slice(&src[from..from + seg]);
                    q += seg;
                }
            });
            Ok(())
        }
        LeafData::Stream(s) => s.fill(n, out),
    }
}

/// The row map reading a compact C-order block of `leaf_shape` (padded to the
/// output's axes) broadcast to `out_shape`, when its last axis is not broadcast.
fn broadcast_rows(
    leaf_shape: &[usize],
    out_shape: &[usize],
    start: usize,
) -> Option<(usize, RowMap<'static>)> {
    let nd = out_shape.len();
    if nd == 0 || leaf_shape[nd - 1] != out_shape[nd - 1] {
        return None;
    }
    let mut strides = vec![0; nd - 1];
    let mut s = leaf_shape[nd - 1];
    for a in (0..nd - 1).rev() {
        strides[a] = if leaf_shape[a] == 1 && out_shape[a] != 1 {
            0
        } else {
            s
        };
        s *= leaf_shape[a];
    }
    let rows_shape = out_shape[..nd - 1].to_vec();
    Some((
        out_shape[nd - 1],
        RowMap::Broadcast {
            rows_shape,
            strides,
            start,
        },
    ))
}

/// Shape `leaf` with leading ones so it lines up with an output of `ndim` axes.
fn padded(shape: &[usize], ndim: usize) -> Vec<usize> {
    let mut v = vec![1; ndim - shape.len()];
    v.extend_from_slice(shape);
    v
}

fn prepare<'a>(
    leaf: &'a Leaf,
    block: &[usize],
    out_shape: &[usize],
    bare: bool,
    deps: &mut std::slice::Iter<'a, Arc<Value>>,
    owned: &mut Vec<DynArray>,
) -> Result<Prepared<'a>> {
    let leaf_block = broadcast_block(&leaf.shape, out_shape.len(), block);
    let leaf_shape = leaf.chunks.block_shape(&leaf_block);
    // The source lacks the leaf's inserted axes; its data has the same C order.
    let src_chunks = leaf.source_chunks();
    let src_block = leaf.source_block(&leaf_block);
    let src_shape = src_chunks.block_shape(&src_block);
    let padded_leaf = padded(&leaf_shape, out_shape.len());
    let same = padded_leaf == out_shape;
    // A broadcast leaf whose last axis is not broadcast is read row by row from
    // its compact data; others are materialised at the output's shape.
    let rows = broadcast_rows(&padded_leaf, out_shape, 0);
    let mut keep = |a: DynArray| -> Result<Prepared<'a>> {
        if same {
            owned.push(standard(a));
            return Ok(Prepared::Owned(owned.len() - 1));
        }
        if let Some((row_len, map)) = broadcast_rows(&padded_leaf, out_shape, 0) {
            owned.push(standard(a));
            return Ok(Prepared::Rows(Data::Owned(owned.len() - 1), row_len, map));
        }
        owned.push(broadcast(&reshaped(a, &leaf_shape)?, out_shape)?);
        Ok(Prepared::Owned(owned.len() - 1))
    };
    match &leaf.source {
        LeafSource::Resident(r) => {
            let (arr, ranges) = r.locate(&src_chunks.block_ranges(&src_block))?;
            if arr.shape() == src_shape.as_slice() {
                return borrow_or_keep(arr, same, rows, keep);
            }
            match contiguous_start(arr, &ranges) {
                Some(start) if same => Ok(Prepared::Borrowed(arr, start)),
                Some(start) => match broadcast_rows(&padded_leaf, out_shape, start) {
                    Some((row_len, map)) => Ok(Prepared::Rows(Data::Borrowed(arr), row_len, map)),
                    None => keep(arr.region(&ranges)),
                },
                None => keep(arr.region(&ranges)),
            }
        }
        LeafSource::Stage(_) => match deps.next().map(|v| &**v) {
            Some(Value::Block(b)) => borrow_or_keep(b, same, rows, keep),
            _ => Err(missing_input()),
        },
        LeafSource::Generate(g) => {
            let linear = src_chunks.ravel(&src_block);
            let offset = src_chunks.block_offset(&src_block);
            let stream = GenStream::new(g, leaf.dtype, offset, src_shape, linear);
            if same {
                Ok(Prepared::Stream(stream))
            } else {
                keep(stream.block()?)
            }
        }
        LeafSource::FromFn(f) => {
            let b = (f.f)(&src_block, &[])?;
            if b.shape() != src_shape.as_slice() || b.dtype() != leaf.dtype {
                return Err(Error::BlockShape {
                    op: format!("{} (dtype {})", f.name, leaf.dtype),
                    block: src_block,
                    expected: src_shape,
                    found: b.shape().to_vec(),
                });
            }
            keep(b)
        }
        LeafSource::Gather {
            spec,
            source_shape,
            block_lens,
            from,
        } => {
            let input = GatherInput {
                blocks: gather_input(from, block_lens.len(), deps)?,
                block_lens,
                shape: source_shape,
            };
            let rows = match input.blocks.as_slice() {
                [whole] => gather_rows(spec, source_shape, src_chunks, &src_block)?
                    .map(|(row_len, map)| (*whole, row_len, map)),
                _ => None,
            };
            match rows {
                Some((whole, row_len, map)) if same && !bare => {
                    Ok(Prepared::Rows(Data::Borrowed(whole), row_len, map))
                }
                _ => keep(gather_block(spec, &input, src_chunks, &src_block)?),
            }
        }
    }
}

fn missing_input() -> Error {
    Error::invalid("fused", "a stage input is missing or is not a block")
}

/// `a` (standard layout) viewed with `shape`, which has the same element count.
fn reshaped(a: DynArray, shape: &[usize]) -> Result<DynArray> {
    if a.shape() == shape {
        return Ok(a);
    }
    dyn_match!(a, x: T => x
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(shape))
        .map(T::wrap)
        .map_err(|e| Error::invalid("insert_axis", e.to_string())))
}

fn borrow_or_keep<'a>(
    b: &'a DynArray,
    same: bool,
    rows: Option<(usize, RowMap<'a>)>,
    keep: impl FnOnce(DynArray) -> Result<Prepared<'a>>,
) -> Result<Prepared<'a>> {
    let contiguous = dyn_match!(b, a: T => a.is_standard_layout());
    match (contiguous, same, rows) {
        (true, true, _) => Ok(Prepared::Borrowed(b, 0)),
        (true, false, Some((row_len, map))) => Ok(Prepared::Rows(Data::Borrowed(b), row_len, map)),
        _ => keep(b.clone()),
    }
}

/// Flat start of `ranges` in `arr` when that region is one contiguous C-order run.
fn contiguous_start(arr: &DynArray, ranges: &[std::ops::Range<usize>]) -> Option<usize> {
    if !dyn_match!(arr, a: T => a.is_standard_layout()) {
        return None;
    }
    flat_range(arr.shape(), ranges).map(|r| r.start)
}

fn standard(a: DynArray) -> DynArray {
    dyn_match!(a, x: T => {
        if x.is_standard_layout() {
            T::wrap(x)
        } else {
            T::wrap(x.as_standard_layout().into_owned())
        }
    })
}

fn broadcast(a: &DynArray, to: &[usize]) -> Result<DynArray> {
    dyn_match!(a, x: T => {
        let v = x.broadcast(IxDyn(to)).ok_or_else(|| Error::ShapeMismatch {
            op: "broadcast".into(),
            left: x.shape().to_vec(),
            right: to.to_vec(),
        })?;
        Ok(T::wrap(v.as_standard_layout().into_owned()))
    })
}
