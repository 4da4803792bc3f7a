//! Top-k tasks: the candidates of one block, merges of neighbouring
//! selections, and the ordered result.

use std::cmp::Ordering;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

use crate::element::{Element, NumElement};
use crate::error::{Error, Result};
use crate::exec::Value;
use crate::plan::select::SelectStage;

/// The task at `block` of top-k level `s`.
pub fn run(s: &SelectStage, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let dtype = s.input_dtype;
    with_num_dtype!(dtype, T => select::<T>(s, block, deps),
        else => Err(Error::invalid("topk", format!("no order of {dtype} values"))))
}

/// `a` before `b` in NumPy's sort order, NaN after every number.
#[inline(always)]
pub(crate) fn ascending<T: PartialOrd>(a: &T, b: &T) -> Ordering {
    a.partial_cmp(b).unwrap_or_else(|| {
        #[allow(clippy::eq_op)] // NaN is the value not equal to itself
        let (a_nan, b_nan) = (a != a, b != b);
        a_nan.cmp(&b_nan)
    })
}

/// One input of a task: values along the axis and their positions (given,
/// or the block's offset plus the index).
struct Candidates<'a, T> {
    values: ArrayViewD<'a, T>,
    positions: Option<ArrayViewD<'a, i64>>,
    offset: i64,
}

fn select<T: NumElement>(s: &SelectStage, block: &[usize], deps: &[Arc<Value>]) -> Result<Value> {
    let axis = s.spec.axis;
    let wrong = || Error::invalid("topk", "an input of another kind or dtype");
    let mut inputs = Vec::with_capacity(deps.len());
    for ((_, at), dep) in s.reads(block).iter().zip(deps) {
        let offset = s.prev_chunks.offsets(axis)[at[axis]] as i64;
        inputs.push(match &**dep {
            Value::Block(b) if s.partial => Candidates {
                values: T::unwrap_ref(b).ok_or_else(wrong)?.view(),
                positions: None,
                offset,
            },
            Value::Selection { values, positions } if !s.partial => Candidates {
                values: T::unwrap_ref(values).ok_or_else(wrong)?.view(),
                positions: Some(i64::unwrap_ref(positions).ok_or_else(wrong)?.view()),
                offset: 0,
            },
            _ => return Err(wrong()),
        });
    }
    let first = inputs
        .first()
        .ok_or_else(|| Error::invalid("topk", "no input"))?;
    let total: usize = inputs.iter().map(|c| c.values.shape()[axis]).sum();
    let mut shape = first.values.shape().to_vec();
    shape[axis] = total.min(s.spec.count());
    let mut values = ArrayD::<T>::zeros(IxDyn(&shape));
    let mut positions = ArrayD::<i64>::zeros(IxDyn(&shape));
    let mut lanes: Vec<_> = inputs
        .iter()
        .map(|c| {
            let positions = c
                .positions
                .as_ref()
                .map(|p| p.lanes(Axis(axis)).into_iter());
            (c.values.lanes(Axis(axis)).into_iter(), positions, c.offset)
        })
        .collect();
    let largest = s.spec.largest();
    let order = |a: &(T, i64), b: &(T, i64)| {
        let by_value = if largest {
            ascending(&b.0, &a.0)
        } else {
            ascending(&a.0, &b.0)
        };
        by_value.then(a.1.cmp(&b.1))
    };
    let mut best = Best::new(shape[axis]);
    for (mut out_v, mut out_p) in values
        .lanes_mut(Axis(axis))
        .into_iter()
        .zip(positions.lanes_mut(Axis(axis)))
    {
        best.clear();
        for (vals, pos, offset) in &mut lanes {
            let lane = vals.next().ok_or_else(wrong)?;
            match pos {
                Some(pos) => {
                    let p = pos.next().ok_or_else(wrong)?;
                    for pair in lane.iter().copied().zip(p.iter().copied()) {
                        best.offer(pair, order);
                    }
                }
                None => {
                    for (i, &v) in lane.iter().enumerate() {
                        best.offer((v, *offset + i as i64), order);
                    }
                }
            }
        }
        for ((v, p), (ov, op)) in best
            .finish(order)
            .iter()
            .zip(out_v.iter_mut().zip(out_p.iter_mut()))
        {
            (*ov, *op) = (*v, *p);
        }
    }
    Ok(match (&s.finish, s.spec.arg) {
        (Some(_), false) => Value::Block(T::wrap(values)),
        (Some(_), true) => Value::Block(i64::wrap(positions)),
        (None, _) => Value::Selection {
            values: T::wrap(values),
            positions: i64::wrap(positions),
        },
    })
}

/// The first `count` candidates of a lane in an order, kept in a buffer of
/// up to `2 × count`: a full buffer is cut back to its first `count` by a
/// linear-time selection, and the last of those becomes the bar a candidate
/// must pass to be kept, so most candidates cost one comparison (a kNN's 15
/// of a block's thousands) and none costs more than amortised O(1).
pub(crate) struct Best<V> {
    count: usize,
    kept: Vec<V>,
    bar: Option<V>,
}

impl<V: Copy> Best<V> {
    pub(crate) fn new(count: usize) -> Self {
        Best {
            count,
            kept: Vec::with_capacity(2 * count),
            bar: None,
        }
    }

    fn clear(&mut self) {
        self.kept.clear();
        self.bar = None;
    }

    /// The candidate a new one must come before to be kept, once the
    /// buffer has been cut (before, every candidate is kept).
    #[inline(always)]
    pub(crate) fn bar(&self) -> Option<&V> {
        self.bar.as_ref()
    }

    #[inline(always)]
    pub(crate) fn offer(&mut self, v: V, order: impl Fn(&V, &V) -> Ordering + Copy) {
        if self.count == 0 {
            return;
        }
        if let Some(bar) = &self.bar {
            if order(&v, bar) != Ordering::Less {
                return;
            }
        }
        self.kept.push(v);
        if self.kept.len() == 2 * self.count {
            self.cut(order);
        }
    }

    /// Keeps the first `count` (unordered) and raises the bar to the last.
    fn cut(&mut self, order: impl Fn(&V, &V) -> Ordering) {
        let last = self.count - 1;
        self.kept.select_nth_unstable_by(last, &order);
        self.kept.truncate(self.count);
        self.bar = Some(self.kept[last]);
    }

    pub(crate) fn finish(&mut self, order: impl Fn(&V, &V) -> Ordering + Copy) -> &[V] {
        if self.kept.len() > self.count {
            self.cut(order);
        }
        self.kept.sort_unstable_by(order);
        &self.kept
    }
}
