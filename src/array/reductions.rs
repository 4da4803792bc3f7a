//! Reductions over all axes, one axis or several, with `keepdims`, `ddof` and a
//! configurable tree fan-in (`split_every`). Result dtypes follow NumPy: integer
//! sums accumulate in `i64`/`u64`, means of integers are `f64`.

use ndarray::Axis;

use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::{Error, Result};
use crate::expr::{Node, Op, ReduceKind, ReduceSpec};

/// Default number of partial results one tree-reduction task merges.
pub const DEFAULT_SPLIT_EVERY: usize = 16;

/// Options of a reduction.
///
/// ```
/// use ndchunk::ReduceOptions;
/// let x = ndchunk::ones::<f32>(&[4, 6, 2], [2, 3, 2])?;
/// let s = x.sum_with(&ReduceOptions::new().axes(&[0, -1]).keepdims(true).split_every(2))?;
/// assert_eq!(s.shape(), &[1, 6, 1]);
/// assert!(s.compute()?.iter().all(|&v| v == 8.0));
/// # Ok::<(), ndchunk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReduceOptions {
    axes: Option<Vec<isize>>,
    keepdims: bool,
    ddof: usize,
    split_every: usize,
}

impl Default for ReduceOptions {
    fn default() -> Self {
        ReduceOptions {
            axes: None,
            keepdims: false,
            ddof: 0,
            split_every: DEFAULT_SPLIT_EVERY,
        }
    }
}

impl ReduceOptions {
    /// All axes, no keepdims, `ddof` 0, `split_every` 16.
    ///
    /// ```
    /// let opts = ndchunk::ReduceOptions::new();
    /// assert_eq!(ndchunk::arange::<i64>(0, 4, 1, [2])?.sum_with(&opts)?.compute()?[[]], 6);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Reduce these axes (negative counts from the end); all axes if never called.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]), [1, 2])?;
    /// let opts = ndchunk::ReduceOptions::new().axes(&[-2]);
    /// assert_eq!(x.sum_with(&opts)?.compute()?, ndarray::arr1(&[4.0, 6.0]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn axes(mut self, axes: &[isize]) -> Self {
        self.axes = Some(axes.to_vec());
        self
    }

    /// Keep reduced axes as length 1.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]), [1, 2])?;
    /// let opts = ndchunk::ReduceOptions::new().keepdims(true);
    /// assert_eq!(x.sum_with(&opts)?.shape(), &[1, 1]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn keepdims(mut self, keep: bool) -> Self {
        self.keepdims = keep;
        self
    }

    /// Delta degrees of freedom for `var` and `std`.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]), [1, 2])?;
    /// let opts = ndchunk::ReduceOptions::new().ddof(1);
    /// assert_eq!(x.var_with(&opts)?.compute()?[[]], 5.0 / 3.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn ddof(mut self, ddof: usize) -> Self {
        self.ddof = ddof;
        self
    }

    /// Partial results merged per task of the tree reduction (at least 2).
    ///
    /// ```
    /// let x = ndchunk::arange::<i64>(0, 64, 1, [1])?;
    /// let opts = ndchunk::ReduceOptions::new().split_every(4);
    /// assert_eq!(x.sum_with(&opts)?.compute()?[[]], 2016);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn split_every(mut self, n: usize) -> Self {
        self.split_every = n;
        self
    }
}

/// Normalises `axes` for an array of `ndim` dimensions: wraps negatives, sorts,
/// and rejects out-of-range or repeated axes.
pub(crate) fn normalize_axes(op: &str, axes: &[isize], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let wrapped = if a < 0 { a + ndim as isize } else { a };
        if wrapped < 0 || wrapped >= ndim as isize {
            return Err(Error::AxisOutOfBounds {
                op: op.into(),
                axis: a,
                ndim,
            });
        }
        let w = wrapped as usize;
        if out.contains(&w) {
            return Err(Error::RepeatedAxis {
                op: op.into(),
                axis: w,
            });
        }
        out.push(w);
    }
    out.sort_unstable();
    Ok(out)
}

impl<T: Element> Array<T> {
    /// Builds a reduction node of `kind` with output dtype `U`.
    fn reduce<U: Element>(&self, kind: ReduceKind, opts: &ReduceOptions) -> Result<Array<U>> {
        let op = kind.name();
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let ndim = self.ndim();
        let all: Vec<isize> = (0..ndim as isize).collect();
        let axes = normalize_axes(op, opts.axes.as_deref().unwrap_or(&all), ndim)?;
        if opts.split_every < 2 {
            return Err(Error::invalid(
                op,
                format!("split_every {} must be at least 2", opts.split_every),
            ));
        }
        let flat = opts.axes.is_none();
        if matches!(kind, ReduceKind::ArgMin | ReduceKind::ArgMax) && !flat && axes.len() != 1 {
            return Err(Error::invalid(
                op,
                format!("takes one axis or none (flat index), got axes {axes:?}"),
            ));
        }
        let shape = self.shape();
        let reduced: usize = axes.iter().map(|&a| shape[a]).product();
        // As NumPy: an error whenever a reduced axis is empty, even when the
        // result is empty too (`zeros((0, 0)).min(axis=1)` raises).
        if reduced == 0 && !kind.has_identity() {
            return Err(Error::EmptyReduction {
                op: op.into(),
                axes,
                shape: shape.to_vec(),
            });
        }
        let lens: Vec<Vec<usize>> = (0..ndim)
            .filter_map(|a| match (axes.contains(&a), opts.keepdims) {
                (false, _) => Some(self.chunks().lens(a).to_vec()),
                (true, true) => Some(vec![1]),
                (true, false) => None,
            })
            .collect();
        let spec = ReduceSpec {
            kind,
            axes,
            keepdims: opts.keepdims,
            ddof: opts.ddof,
            split_every: opts.split_every,
            flat: flat && ndim > 0,
        };
        let node = Node::new(
            Op::Reduce(spec),
            vec![self.node.clone()],
            Chunks::from_checked(lens),
            U::DTYPE,
        );
        Ok(Array::from_node(node))
    }
}

macro_rules! reductions {
    ($($name:ident, $axis:ident, $with:ident => $kind:ident -> $out:ty, $doc:literal;)*) => {
        impl<T: Element> Array<T> {$(
            #[doc = concat!($doc, " over all axes; `", stringify!($axis), "` reduces one axis and `",
                stringify!($with), "` takes [`ReduceOptions`].\n\n```\n",
                "use ndchunk::prelude::*;\n",
                "let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 5.0, 3.0], [4.0, 2.0, 6.0]]), [1, 2])?;\n",
                "let all = x.", stringify!($name), "()?;\n",
                "let rows = x.", stringify!($axis), "(Axis(1))?;\n",
                "let kept = x.", stringify!($with), "(&ReduceOptions::new().axes(&[1]).keepdims(true))?;\n",
                "assert_eq!((all.shape(), rows.shape(), kept.shape()), (&[][..], &[2][..], &[2, 1][..]));\n",
                "assert_eq!(rows.compute()?.into_raw_vec_and_offset().0, kept.compute()?.into_raw_vec_and_offset().0);\n",
                "# Ok::<(), ndchunk::Error>(())\n```")]
            pub fn $name(&self) -> Result<Array<$out>> {
                self.reduce(ReduceKind::$kind, &ReduceOptions::new())
            }

            #[doc = concat!($doc, " along `axis`, which is removed.\n\n```\n",
                "use ndchunk::prelude::*;\n",
                "let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 5.0], [4.0, 2.0], [0.0, 3.0]]), [2, 1])?;\n",
                "let cols = x.", stringify!($axis), "(Axis(0))?;\n",
                "assert_eq!(cols.shape(), &[2]);\n",
                "let same = x.", stringify!($with), "(&ReduceOptions::new().axes(&[0]))?;\n",
                "assert_eq!(cols.compute()?, same.compute()?);\n",
                "# Ok::<(), ndchunk::Error>(())\n```")]
            pub fn $axis(&self, axis: Axis) -> Result<Array<$out>> {
                self.reduce(ReduceKind::$kind, &ReduceOptions::new().axes(&[axis.0 as isize]))
            }

            #[doc = concat!($doc, " with explicit [`ReduceOptions`]: axes (negative ",
                "ones count from the end), `keepdims` and the tree's `split_every`.\n\n```\n",
                "use ndchunk::prelude::*;\n",
                "let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 5.0], [4.0, 2.0], [0.0, 3.0]]), [1, 1])?;\n",
                "let opts = ReduceOptions::new().axes(&[-1]).keepdims(true).split_every(2);\n",
                "let kept = x.", stringify!($with), "(&opts)?;\n",
                "assert_eq!(kept.shape(), &[3, 1]);\n",
                "let rows = x.", stringify!($axis), "(Axis(1))?.compute()?;\n",
                "assert_eq!(kept.compute()?.into_raw_vec_and_offset().0, rows.into_raw_vec_and_offset().0);\n",
                "# Ok::<(), ndchunk::Error>(())\n```")]
            pub fn $with(&self, opts: &ReduceOptions) -> Result<Array<$out>> {
                self.reduce(ReduceKind::$kind, opts)
            }
        )*}
    };
}

reductions! {
    sum, sum_axis, sum_with => Sum -> T::Sum, "Sum (pairwise for floats; integers in `i64`/`u64`)";
    prod, prod_axis, prod_with => Prod -> T::Sum, "Product";
    mean, mean_axis, mean_with => Mean -> T::Mean, "Arithmetic mean";
    min, min_axis, min_with => Min -> T, "Minimum (NaN propagates; empty is an error)";
    max, max_axis, max_with => Max -> T, "Maximum (NaN propagates; empty is an error)";
    argmin, argmin_axis, argmin_with => ArgMin -> i64, "Position of the first minimum (flat C-order index over all axes)";
    argmax, argmax_axis, argmax_with => ArgMax -> i64, "Position of the first maximum (flat C-order index over all axes)";
    any, any_axis, any_with => Any -> bool, "Whether any element is non-zero";
    all, all_axis, all_with => All -> bool, "Whether every element is non-zero";
    count_nonzero, count_nonzero_axis, count_nonzero_with => CountNonzero -> i64, "Number of non-zero elements";
    nansum, nansum_axis, nansum_with => NanSum -> T::Sum, "Sum treating NaN as zero";
    nanmean, nanmean_axis, nanmean_with => NanMean -> T::Mean, "Mean of the non-NaN elements";
    nanmin, nanmin_axis, nanmin_with => NanMin -> T, "Minimum ignoring NaN (NaN where all are NaN)";
    nanmax, nanmax_axis, nanmax_with => NanMax -> T, "Maximum ignoring NaN (NaN where all are NaN)";
}

impl<T: Element> Array<T> {
    /// Variance with `ddof` delta degrees of freedom, over all axes.
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [3])?;
    /// assert_eq!(x.var(0)?.compute()?[[]], 1.25);
    /// assert_eq!(x.std(1)?.compute()?[[]], (5.0f64 / 3.0).sqrt());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn var(&self, ddof: usize) -> Result<Array<T::Mean>> {
        self.reduce(ReduceKind::Var, &ReduceOptions::new().ddof(ddof))
    }

    /// Variance along `axis`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 2.0], [3.0, 6.0]]), [1, 2])?;
    /// let a = x.var_axis(Axis(0), 0)?.compute()?;
    /// let b = x.var_with(&ReduceOptions::new().axes(&[0]).ddof(0))?.compute()?;
    /// assert_eq!(a, b);
    /// assert_eq!(a[[0]], 1.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn var_axis(&self, axis: Axis, ddof: usize) -> Result<Array<T::Mean>> {
        self.reduce(
            ReduceKind::Var,
            &ReduceOptions::new().axes(&[axis.0 as isize]).ddof(ddof),
        )
    }

    /// Variance with explicit [`ReduceOptions`] (including `ddof`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [3])?;
    /// let all = x.var_with(&ReduceOptions::new().ddof(1))?.compute()?;
    /// assert_eq!(all[[]], x.var(1)?.compute()?[[]]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn var_with(&self, opts: &ReduceOptions) -> Result<Array<T::Mean>> {
        self.reduce(ReduceKind::Var, opts)
    }

    /// Standard deviation with `ddof` delta degrees of freedom, over all axes.
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [3])?;
    /// assert_eq!(x.std(0)?.compute()?[[]], 1.25f64.sqrt());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn std(&self, ddof: usize) -> Result<Array<T::Mean>> {
        self.reduce(ReduceKind::Std, &ReduceOptions::new().ddof(ddof))
    }

    /// Standard deviation along `axis`.
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::from_array(ndarray::arr2(&[[1.0f64, 2.0], [3.0, 6.0]]), [1, 2])?;
    /// let a = x.std_axis(Axis(0), 0)?.compute()?;
    /// let b = x.std_with(&ReduceOptions::new().axes(&[0]).ddof(0))?.compute()?;
    /// assert_eq!(a, b);
    /// assert_eq!(a[[0]], 1.0);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn std_axis(&self, axis: Axis, ddof: usize) -> Result<Array<T::Mean>> {
        self.reduce(
            ReduceKind::Std,
            &ReduceOptions::new().axes(&[axis.0 as isize]).ddof(ddof),
        )
    }

    /// Standard deviation with explicit [`ReduceOptions`] (including `ddof`).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::arange::<f64>(0.0, 4.0, 1.0, [3])?;
    /// let all = x.std_with(&ReduceOptions::new().ddof(1))?.compute()?;
    /// assert_eq!(all[[]], x.std(1)?.compute()?[[]]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn std_with(&self, opts: &ReduceOptions) -> Result<Array<T::Mean>> {
        self.reduce(ReduceKind::Std, opts)
    }
}
