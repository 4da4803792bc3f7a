//! Values beyond an array's edges: the widths added on each side of each axis
//! and the rule that fills them (NumPy's `pad` modes; `map_overlap` boundaries).

use serde::{Deserialize, Serialize};

use crate::element::Scalar;

/// How elements beyond an axis's edges are filled.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Boundary {
    /// One value (NumPy's `constant`).
    Constant(Scalar),
    /// The nearest edge element (NumPy's `edge`, dask's `nearest`).
    Edge,
    /// Mirrored about the edge element, which is not repeated (NumPy's `reflect`).
    Reflect,
    /// Mirrored with the edge element repeated (NumPy's `symmetric`, dask's `reflect`).
    Symmetric,
    /// From the other end (NumPy's `wrap`, dask's `periodic`).
    Wrap,
}

impl Boundary {
    /// The input index that position `at` (counted from the axis's start, so
    /// negative before it) of an axis of length `n` reads; `None` for a
    /// constant, or when `n` is 0 and `at` is beyond the edge.
    ///
    /// ```
    /// use ndchunk::expr::Boundary;
    /// let read = |b: Boundary| (-3..7).map(|at| b.source_index(at, 4).unwrap()).collect::<Vec<_>>();
    /// assert_eq!(read(Boundary::Edge), [0, 0, 0, 0, 1, 2, 3, 3, 3, 3]);
    /// assert_eq!(read(Boundary::Reflect), [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    /// assert_eq!(read(Boundary::Symmetric), [2, 1, 0, 0, 1, 2, 3, 3, 2, 1]);
    /// assert_eq!(read(Boundary::Wrap), [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]);
    /// ```
    pub fn source_index(self, at: isize, n: usize) -> Option<usize> {
        let len = n as isize;
        if (0..len).contains(&at) {
            return Some(at as usize);
        }
        if n == 0 {
            return None;
        }
        let fold = |period: isize, mirror: isize| {
            let i = at.rem_euclid(period);
            if i < len {
                i
            } else {
                mirror - i
            }
        };
        let i = match self {
            Boundary::Constant(_) => return None,
            Boundary::Edge => at.clamp(0, len - 1),
            Boundary::Reflect if n == 1 => 0,
            Boundary::Reflect => fold(2 * (len - 1), 2 * (len - 1)),
            Boundary::Symmetric => fold(2 * len, 2 * len - 1),
            Boundary::Wrap => at.rem_euclid(len),
        };
        Some(i as usize)
    }
}

/// An input grown by `widths[axis] = (before, after)` elements, filled by
/// `rules[axis]`, axis after axis (as NumPy's `pad` and dask's boundaries
/// do: a corner takes the later axis's rule applied to the earlier axis's
/// padding).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PadSpec {
    /// Elements added before and after each axis.
    pub widths: Vec<(usize, usize)>,
    /// What they hold, per axis.
    pub rules: Vec<Boundary>,
}

impl PadSpec {
    /// `rule` on every axis.
    ///
    /// ```
    /// use ndchunk::expr::{Boundary, PadSpec};
    /// let p = PadSpec::uniform(vec![(1, 1), (0, 2)], Boundary::Wrap);
    /// assert_eq!(p.rules, [Boundary::Wrap, Boundary::Wrap]);
    /// assert_eq!(p.rules_name(), "Wrap");
    /// ```
    pub fn uniform(widths: Vec<(usize, usize)>, rule: Boundary) -> PadSpec {
        let rules = vec![rule; widths.len()];
        PadSpec { widths, rules }
    }

    /// The rules as `explain()` names them: one when every axis has it.
    pub fn rules_name(&self) -> String {
        match self.rules.split_first() {
            Some((first, rest)) if rest.iter().all(|r| r == first) => format!("{first:?}"),
            _ => format!("{:?}", self.rules),
        }
    }
}

/// What a [`BoxSpec`] does, as `explain()` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoxKind {
    /// Each block grown by its neighbours' edges (`overlap`).
    Overlap,
    /// Each block cut back (`trim_internal`).
    Trim,
}

impl BoxKind {
    /// The array method's name.
    pub fn name(self) -> &'static str {
        match self {
            BoxKind::Overlap => "overlap",
            BoxKind::Trim => "trim_internal",
        }
    }
}

/// Output blocks that are boxes of the input grown by `pad`, given per axis:
/// `boxes[axis][b]` is the range of grown-input indices output block `b`
/// covers along `axis`, so neighbouring boxes may overlap (`overlap`) or
/// leave gaps (`trim_internal`). The output's chunks are the boxes' lengths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoxSpec {
    /// What the boxes are for.
    pub kind: BoxKind,
    /// Elements beyond the input's edges, and how they are filled.
    pub pad: Option<PadSpec>,
    /// Per axis, per output block, its range of grown-input indices.
    pub boxes: Vec<Vec<std::ops::Range<usize>>>,
}

impl BoxSpec {
    /// Per axis, the lengths of the boxes (the output's chunk lengths).
    pub fn lens(&self) -> Vec<Vec<usize>> {
        self.boxes
            .iter()
            .map(|axis| axis.iter().map(|r| r.len()).collect())
            .collect()
    }
}
