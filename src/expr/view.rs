//! Affine views as data: slicing, flips, transposes, new and removed axes, and
//! broadcasts are all one kind of node, a [`ViewSpec`].
//!
//! Every output axis either reads one input axis at `start + step * i` (`step`
//! may be negative, or 0 for a broadcast) or is a new axis; every input axis not
//! read is held at one index. Views compose into one view
//! ([`ViewSpec::after`], applied by the planner), so a chain of them costs one
//! copy per block.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// What one output axis reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewAxis {
    /// Input axis `axis` at `start + step * i` for output index `i`.
    Input {
        /// The input axis.
        axis: usize,
        /// Input index of output index 0.
        start: usize,
        /// Input step per output index (negative: reversed; 0: broadcast).
        step: isize,
    },
    /// A new axis: every index reads the same input element.
    New,
}

/// An affine view of an input of `input_ndim` axes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSpec {
    /// One entry per output axis.
    pub axes: Vec<ViewAxis>,
    /// Input axes not read by any output axis, each held at one index.
    pub fixed: Vec<(usize, usize)>,
    /// Number of input axes.
    pub input_ndim: usize,
    /// What built it (`slice`, `transpose`, ...), for `explain`.
    pub origin: String,
}

impl ViewSpec {
    /// The view reading every axis of an `ndim`-axis input whole, in order:
    /// what a rechunk, a pad or a join assembles through.
    ///
    /// ```
    /// use ndchunk::expr::ViewSpec;
    /// assert!(ViewSpec::identity(3, "rechunk").is_identity());
    /// ```
    pub fn identity(ndim: usize, origin: &str) -> ViewSpec {
        ViewSpec {
            axes: (0..ndim)
                .map(|axis| ViewAxis::Input {
                    axis,
                    start: 0,
                    step: 1,
                })
                .collect(),
            fixed: Vec::new(),
            input_ndim: ndim,
            origin: origin.into(),
        }
    }

    /// True when output index `i` of each axis reads input index `i` of the
    /// same axis (see [`ViewSpec::identity`]).
    pub fn is_identity(&self) -> bool {
        self.fixed.is_empty()
            && self.axes.len() == self.input_ndim
            && self.axes.iter().enumerate().all(|(j, a)| {
                *a == ViewAxis::Input {
                    axis: j,
                    start: 0,
                    step: 1,
                }
            })
    }

    /// The output axes this view inserts, when it does nothing else (every
    /// input axis read whole, in order): the `insert_axis` views, which fused
    /// programs read as leaves with length-1 axes added. `input_shape` and
    /// `output_shape` are the view's input's and its own.
    pub fn inserted_axes(
        &self,
        input_shape: &[usize],
        output_shape: &[usize],
    ) -> Option<Vec<usize>> {
        if !self.fixed.is_empty() {
            return None;
        }
        let mut next = 0;
        let mut inserted = Vec::new();
        for (j, axis) in self.axes.iter().enumerate() {
            match *axis {
                ViewAxis::New => inserted.push(j),
                ViewAxis::Input {
                    axis,
                    start: 0,
                    step: 1,
                } if axis == next && input_shape.get(axis) == Some(&output_shape[j]) => next += 1,
                ViewAxis::Input { .. } => return None,
            }
        }
        (next == input_shape.len()).then_some(inserted)
    }

    /// The input index range output range `out` of output axis `j` reads (one
    /// index for a new axis, whose input is a fixed or absent axis).
    pub fn input_range(&self, j: usize, out: &Range<usize>) -> Option<Range<usize>> {
        let ViewAxis::Input { start, step, .. } = self.axes[j] else {
            return None;
        };
        if out.is_empty() {
            return Some(start..start);
        }
        let at = |i: usize| (start as isize + step * i as isize) as usize;
        let (first, last) = (at(out.start), at(out.end - 1));
        Some(first.min(last)..first.max(last) + 1)
    }

    /// The output sub-range of `out` (along output axis `j`) whose input indices
    /// fall in `input` (a contiguous range, since the map is affine).
    pub fn output_within(
        &self,
        j: usize,
        out: &Range<usize>,
        input: &Range<usize>,
    ) -> Range<usize> {
        let ViewAxis::Input { start, step, .. } = self.axes[j] else {
            return out.clone();
        };
        if step == 0 {
            return if input.contains(&start) {
                out.clone()
            } else {
                out.start..out.start
            };
        }
        let (s, st) = (start as isize, step);
        // Output indices i with input.start <= s + st * i < input.end.
        let (lo, hi) = if st > 0 {
            (
                ceil_div(input.start as isize - s, st),
                ceil_div(input.end as isize - s, st),
            )
        } else {
            (
                floor_div(input.end as isize - s, st) + 1,
                floor_div(input.start as isize - s, st) + 1,
            )
        };
        let lo = lo.max(out.start as isize).min(out.end as isize) as usize;
        let hi = hi.max(lo as isize).min(out.end as isize) as usize;
        lo..hi.max(lo)
    }

    /// The view `self` applied after `inner` (`self` views `inner`'s output).
    pub fn after(&self, inner: &ViewSpec) -> ViewSpec {
        let axes = self
            .axes
            .iter()
            .map(|a| match *a {
                ViewAxis::Input { axis, start, step } => match inner.axes[axis] {
                    ViewAxis::Input {
                        axis: m,
                        start: s2,
                        step: st2,
                    } => ViewAxis::Input {
                        axis: m,
                        start: (s2 as isize + st2 * start as isize) as usize,
                        step: st2 * step,
                    },
                    ViewAxis::New => ViewAxis::New,
                },
                ViewAxis::New => ViewAxis::New,
            })
            .collect();
        let mut fixed = inner.fixed.clone();
        for &(k, i) in &self.fixed {
            if let ViewAxis::Input {
                axis: m,
                start,
                step,
            } = inner.axes[k]
            {
                fixed.push((m, (start as isize + step * i as isize) as usize));
            }
        }
        fixed.sort_unstable();
        ViewSpec {
            axes,
            fixed,
            input_ndim: inner.input_ndim,
            origin: composed_origin(&inner.origin, &self.origin),
        }
    }
}

/// The origin of a view composed of `inner` then `outer`: the ops in order,
/// with those between the first and the last two elided past four, so a
/// chain of a million views has a short name.
fn composed_origin(inner: &str, outer: &str) -> String {
    const KEPT: usize = 4;
    let mut parts: Vec<&str> = inner.split(" → ").chain([outer]).collect();
    if parts.len() > KEPT {
        parts.drain(1..parts.len() - 2);
        parts.insert(1, "…");
    }
    parts.join(" → ")
}

fn floor_div(a: isize, b: isize) -> isize {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn ceil_div(a: isize, b: isize) -> isize {
    -floor_div(-a, b)
}

impl fmt::Display for ViewSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(start: usize, step: isize) -> ViewSpec {
        ViewSpec {
            axes: vec![ViewAxis::Input {
                axis: 0,
                start,
                step,
            }],
            fixed: Vec::new(),
            input_ndim: 1,
            origin: "t".into(),
        }
    }

    #[test]
    fn composed_names_stay_short() {
        let mut origin = String::from("slice");
        for op in ["flip", "t", "flip", "t", "squeeze"] {
            origin = composed_origin(&origin, op);
        }
        assert_eq!(origin, "slice → … → t → squeeze");
        assert_eq!(composed_origin("slice", "t"), "slice → t");
    }

    #[test]
    fn output_within_matches_a_scan() {
        for (start, step) in [(0, 1), (2, 3), (9, -1), (9, -2), (4, 0)] {
            let s = spec(start, step);
            let out = 0..4usize.min(if step < 0 {
                start / step.unsigned_abs() + 1
            } else {
                4
            });
            for lo in 0..12 {
                for hi in lo..12 {
                    let got = s.output_within(0, &out, &(lo..hi));
                    let want: Vec<usize> = out
                        .clone()
                        .filter(|&i| {
                            (lo..hi).contains(&((start as isize + step * i as isize) as usize))
                        })
                        .collect();
                    assert_eq!(
                        got.collect::<Vec<_>>(),
                        want,
                        "start {start} step {step} in {lo}..{hi}"
                    );
                }
            }
        }
    }

    #[test]
    fn input_range_covers_both_directions() {
        assert_eq!(spec(9, -2).input_range(0, &(1..3)), Some(5..8));
        assert_eq!(spec(2, 3).input_range(0, &(0..2)), Some(2..6));
    }
}
