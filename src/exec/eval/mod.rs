//! Evaluating one task of a plan, given the results of its dependencies.

pub mod blocks;
pub mod contract;
pub mod counting;
pub mod disk;
pub mod fused;
pub mod gather;
pub mod generate;
pub mod linalg;
pub mod nearest;
pub mod order;
pub mod radix;
pub mod reduce;
pub mod region;
pub mod reshape;
pub mod scatter;
pub mod select;
pub mod tile_ops;

use std::sync::Arc;

use crate::block::DynSliceMut;
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::{Stage, StageKind, Task};

/// Computes `task` of `stage` from the results `deps` of its dependencies,
/// which are what [`StageKind::reads`] names, in its order (a result this
/// task is the last consumer of is held only here, so it may be reused in
/// place). The stage is all a task needs: a worker loads nothing else.
///
/// When `dest` holds a slice (the output's region of the caller's result) and the
/// task can write its block there directly, it takes it, writes, and returns
/// [`Value::Written`].
pub fn run_task(
    stage: &Stage,
    task: &Task,
    deps: Vec<Arc<Value>>,
    dest: &mut Option<DynSliceMut>,
) -> Result<Value> {
    match &stage.kind {
        StageKind::Fused(f) => fused::run(f, stage.dtype, &task.block, &deps, dest),
        StageKind::Combine(c) => {
            let states: Vec<&reduce::StateBlock> = deps
                .iter()
                .map(|d| match &**d {
                    Value::States(s) => Ok(s),
                    _ => Err(Error::invalid("combine", "input is not a reduction state")),
                })
                .collect::<Result<_>>()?;
            // A single input needs no merge (and no copy of its states).
            let merged = match states.as_slice() {
                [one] => std::borrow::Cow::Borrowed(*one),
                _ => std::borrow::Cow::Owned(reduce::combine(c.spec.kind, &states)?),
            };
            match &c.finish {
                Some(chunks) => {
                    let shape = chunks.block_shape(&task.block);
                    Ok(Value::Block(reduce::finish_block(
                        &c.spec,
                        stage.dtype,
                        &merged,
                        &shape,
                    )?))
                }
                None => Ok(Value::States(merged.into_owned())),
            }
        }
        StageKind::Region(r) => region::run(r, stage.dtype, &task.block, deps),
        StageKind::DiskRechunk(d) => disk::run(d, stage.dtype, &task.block, deps),
        StageKind::Reshape(r) => reshape::reshape(r, &task.block, deps),
        StageKind::Contract(c) => contract::run(c, stage.dtype, &task.block, &deps),
        StageKind::Sum(_) => contract::sum(stage.dtype, deps, &stage.name),
        StageKind::Select(s) => select::run(s, &task.block, &deps),
        StageKind::Nearest(n) => nearest::run(n, &task.block, &deps),
        StageKind::Linalg(l) => linalg::run(l, stage.dtype, &task.block, &deps),
        StageKind::Scatter(sc) => scatter::scatter_step(sc, stage.dtype, &task.block, deps),
        StageKind::Extract(ex) => scatter::extract(ex, stage.dtype, &task.block, &deps),
        // The first dependency is the block; a serial sink's second, the
        // previous block's store, only orders the writes.
        StageKind::Store { sink, .. } => {
            let value = deps
                .into_iter()
                .next()
                .ok_or_else(|| Error::invalid(&sink.name, "no block to store"))?;
            (sink.f)(&task.block, Value::take_block(value, &sink.name)?)?;
            Ok(Value::Written)
        }
        StageKind::Sort(sort) => order::run_sort(sort, stage.dtype, &task.block, deps),
        StageKind::MapBlocks {
            map,
            chunks,
            inputs,
        } => blocks::run(map, chunks, inputs, stage.dtype, &task.block, deps),
    }
}
