//! Elementwise maths: NumPy broadcasting, chunk unification (dask's
//! `unify_chunks`), float functions, comparisons, logic, casts and user maps.
//!
//! Operators cannot return `Result`, so an expression that cannot be built (shapes
//! that do not broadcast, say) yields an array carrying the error: `compute`,
//! `plan` and [`Array::checked`] return it.

use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD};

use crate::array::{rechunk_node, Array};
use crate::block::Tile;
use crate::chunks::{check_size, Chunks};
use crate::element::{DType, Element, FloatElement, NumElement};
use crate::error::{Error, Result};
use crate::expr::{
    BinaryOp, BlockFn, BlockMap, BlockOp, CmpOp, ElemOp, Generator, Node, Op, TileFn, UnaryOp,
    UserFn,
};
use crate::registry::{block_fn_of, registered};

/// The right-hand side of a binary operation: an array or a scalar.
pub enum Operand<T: Element> {
    /// An array, broadcast against the left-hand side.
    Array(Array<T>),
    /// A scalar, applied to every element.
    Scalar(T),
}

impl<T: Element> From<T> for Operand<T> {
    fn from(v: T) -> Self {
        Operand::Scalar(v)
    }
}

impl<T: Element> From<Array<T>> for Operand<T> {
    fn from(a: Array<T>) -> Self {
        Operand::Array(a)
    }
}

impl<T: Element> From<&Array<T>> for Operand<T> {
    fn from(a: &Array<T>) -> Self {
        Operand::Array(a.clone())
    }
}

impl<T: Element> Operand<T> {
    pub(crate) fn node(&self) -> Arc<Node> {
        match self {
            Operand::Array(a) => a.node.clone(),
            Operand::Scalar(v) => constant(*v),
        }
    }
}

/// A 0-d constant node (fused into programs as an immediate).
pub(crate) fn constant<T: Element>(v: T) -> Arc<Node> {
    Node::new(
        Op::Generate(Generator::Full(v.to_scalar())),
        Vec::new(),
        Chunks::single(&[]),
        T::DTYPE,
    )
}

/// NumPy's broadcast shape of `a` and `b`.
///
/// ```
/// assert_eq!(ndchunk::array::elementwise::broadcast_shapes("add", &[3, 1], &[4])?, vec![3, 4]);
/// assert!(ndchunk::array::elementwise::broadcast_shapes("add", &[3], &[4]).is_err());
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], i: usize| {
        if i < n - s.len() {
            1
        } else {
            s[i - (n - s.len())]
        }
    };
    (0..n)
        .map(|i| match (get(a, i), get(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(Error::ShapeMismatch {
                op: op.to_string(),
                left: a.to_vec(),
                right: b.to_vec(),
            }),
        })
        .collect()
}

/// The common refinement of two chunkings of one axis: every boundary of either.
pub(crate) fn refine(a: &[usize], b: &[usize]) -> Vec<usize> {
    if a == b {
        return a.to_vec();
    }
    let mut cuts: Vec<usize> = Vec::with_capacity(a.len() + b.len());
    for lens in [a, b] {
        let mut acc = 0;
        for &l in lens {
            acc += l;
            cuts.push(acc);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut prev = 0;
    cuts.into_iter()
        .filter_map(|c| {
            let l = c - prev;
            prev = c;
            (l > 0).then_some(l)
        })
        .collect()
}

/// Builds an elementwise node over `inputs` with output dtype checked by `op`.
pub(crate) fn elementwise_node(op: ElemOp, inputs: &[Arc<Node>]) -> Arc<Node> {
    let name = op.to_string();
    let dtypes: Vec<DType> = inputs.iter().map(|n| n.dtype).collect();
    let out_dtype = op.output_dtype(&dtypes);
    // An expression that cannot be built still has the op's output dtype (the
    // typed handle checks it), e.g. `bool` for a comparison of invalid operands.
    let dtype_guess = match &out_dtype {
        Ok(d) => *d,
        Err(_) => dtypes.first().copied().unwrap_or(DType::F64),
    };
    if let Some(e) = inputs.iter().find_map(|n| n.error()) {
        return Node::invalid(e.clone(), Vec::new(), dtype_guess);
    }
    let mut shape: Vec<usize> = Vec::new();
    for n in inputs {
        shape = match broadcast_shapes(&name, &shape, &n.shape) {
            Ok(s) => s,
            Err(e) => return Node::invalid(e, shape, dtype_guess),
        };
    }
    let dtype = match out_dtype {
        Ok(d) => d,
        Err(e) => return Node::invalid(e, shape, dtype_guess),
    };
    if let Err(e) = check_size(&shape, dtype) {
        return Node::invalid(e, Vec::new(), dtype);
    }
    // Unify chunks: along each axis, every input spanning the whole axis gets the
    // common refinement of their chunkings.
    let ndim = shape.len();
    let mut lens: Vec<Vec<usize>> = shape.iter().map(|&n| vec![n]).collect();
    let mut first = vec![true; ndim];
    for n in inputs {
        let skip = ndim - n.shape.len();
        for (i, &len) in n.shape.iter().enumerate() {
            let axis = skip + i;
            if len == shape[axis] {
                lens[axis] = if first[axis] {
                    n.chunks.lens(i).to_vec()
                } else {
                    refine(&lens[axis], n.chunks.lens(i))
                };
                first[axis] = false;
            }
        }
    }
    let out_chunks = Chunks::from_checked(lens.clone());
    let unified: Vec<Arc<Node>> = inputs
        .iter()
        .map(|n| {
            let skip = ndim - n.shape.len();
            let own: Vec<Vec<usize>> = n
                .shape
                .iter()
                .enumerate()
                .map(|(i, &len)| {
                    if len == shape[skip + i] {
                        lens[skip + i].clone()
                    } else {
                        n.chunks.lens(i).to_vec()
                    }
                })
                .collect();
            rechunk_node(n, Chunks::from_checked(own), None)
        })
        .collect();
    Node::new(Op::Elementwise(op), unified, out_chunks, dtype)
}

impl<T: Element> Array<T> {
    pub(crate) fn unary<U: Element>(&self, op: ElemOp) -> Array<U> {
        Array::from_node(elementwise_node(op, std::slice::from_ref(&self.node)))
    }

    pub(crate) fn binary<U: Element>(&self, op: ElemOp, other: Operand<T>) -> Array<U> {
        Array::from_node(elementwise_node(op, &[self.node.clone(), other.node()]))
    }

    /// `self == other` elementwise.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 4, 1, [2])?;
    /// assert_eq!(x.eq(2).compute()?.into_raw_vec_and_offset().0, vec![false, false, true, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn eq(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary(ElemOp::Compare(CmpOp::Eq), other.into())
    }

    /// `self != other` elementwise.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 4, 1, [3])?;
    /// assert_eq!(x.ne(2).compute()?.into_raw_vec_and_offset().0, vec![true, true, false, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn ne(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary(ElemOp::Compare(CmpOp::Ne), other.into())
    }

    /// `self < other` elementwise.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 4, 1, [3])?;
    /// assert_eq!(x.lt(2).compute()?.into_raw_vec_and_offset().0, vec![true, true, false, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn lt(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary(ElemOp::Compare(CmpOp::Lt), other.into())
    }

    /// `self <= other` elementwise.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 4, 1, [3])?;
    /// let y = ndchunk::from_array(ndarray::arr1(&[1, 1, 1, 3]), [2])?;
    /// assert_eq!(x.le(&y).compute()?.into_raw_vec_and_offset().0, vec![true, true, false, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn le(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary(ElemOp::Compare(CmpOp::Le), other.into())
    }

    /// `self > other` elementwise.
    ///
    /// ```
    /// let x = ndchunk::linspace::<f64>(0.0, 1.0, 3, [2])?;
    /// let y = ndchunk::full(&[3], 0.4, [3])?;
    /// assert_eq!(x.gt(&y).compute()?.into_raw_vec_and_offset().0, vec![false, true, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn gt(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary(ElemOp::Compare(CmpOp::Gt), other.into())
    }

    /// `self >= other` elementwise.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 4, 1, [3])?;
    /// assert_eq!(x.ge(2).compute()?.into_raw_vec_and_offset().0, vec![false, false, true, true]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn ge(&self, other: impl Into<Operand<T>>) -> Array<bool> {
        self.binary(ElemOp::Compare(CmpOp::Ge), other.into())
    }

    /// Each element converted to `U`.
    ///
    /// Where NumPy's `astype` defines the result, this is it: integers wrap
    /// into a narrower type (`300` → `i8` gives `44`, `-1` → `u8` gives `255`),
    /// floats that fit the integer type truncate toward zero (`-2.7` → `-2`),
    /// anything non-zero is `true`, and `bool` is `0`/`1`.
    ///
    /// Where NumPy leaves it to the platform — a NaN, an infinity or a float
    /// outside the integer type's range — ndchunk uses **Rust's saturating
    /// `as` rule**: NaN gives `0` and other values clamp to the type's `MIN` or
    /// `MAX` (`1e20` → `i32::MAX`, `-1.0` → `u8` gives `0`). NumPy on x86-64
    /// gives what the processor's conversion leaves (`INT_MIN` for NaN and
    /// `1e20` as `i32`, `255` for `-1.0` as `u8`) and warns "invalid value
    /// encountered in cast"; those values are not portable, so they are not
    /// copied.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[-2.7f64, 0.5, 3.9, f64::NAN, 1e20, -1.0]), [3])?;
    /// assert_eq!(x.astype::<i32>().compute()?.into_raw_vec_and_offset().0, vec![-2, 0, 3, 0, i32::MAX, -1]);
    /// assert_eq!(x.astype::<u8>().compute()?.into_raw_vec_and_offset().0, vec![0, 0, 3, 0, 255, 0]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn astype<U: Element>(&self) -> Array<U> {
        self.unary(ElemOp::Cast(U::DTYPE))
    }

    /// True where the element is NaN (never for integers and bools).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0f64, f64::NAN, f64::INFINITY]), [2])?;
    /// assert_eq!(x.isnan().compute()?.into_raw_vec_and_offset().0, vec![false, true, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn isnan(&self) -> Array<bool> {
        self.unary(ElemOp::Unary(UnaryOp::IsNan))
    }

    /// True where the element is neither NaN nor infinite.
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[1.0f64, f64::NAN, f64::INFINITY]), [2])?;
    /// assert_eq!(x.isfinite().compute()?.into_raw_vec_and_offset().0, vec![true, false, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn isfinite(&self) -> Array<bool> {
        self.unary(ElemOp::Unary(UnaryOp::IsFinite))
    }

    /// `f` applied to every element; fused with neighbouring elementwise ops.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 4, 1, [3])?.mapv(|v| v as f64 / 2.0);
    /// assert_eq!(x.compute()?.into_raw_vec_and_offset().0, vec![0.0, 0.5, 1.0, 1.5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn mapv<U: Element>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Array<U> {
        let tile_fn: Arc<TileFn> = Arc::new(move |ins: &[&Tile], out: &mut Tile| {
            let o = U::tile_mut(out);
            o.clear();
            o.extend(T::tile(ins[0]).iter().map(|&v| f(v)));
            Ok(())
        });
        self.unary(ElemOp::User(UserFn::new("mapv", tile_fn), U::DTYPE))
    }

    /// `f(a, b)` for every pair of broadcast elements of `self` and `other`.
    ///
    /// ```
    /// let a = ndchunk::arange::<i64>(0, 3, 1, [2])?;
    /// let b = ndchunk::full(&[3], 0.5f32, [3])?;
    /// let c = a.zip_with(&b, |x, y| x as f32 + y);
    /// assert_eq!(c.compute()?.into_raw_vec_and_offset().0, vec![0.5, 1.5, 2.5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn zip_with<U: Element, V: Element>(
        &self,
        other: &Array<U>,
        f: impl Fn(T, U) -> V + Send + Sync + 'static,
    ) -> Array<V> {
        let tile_fn: Arc<TileFn> = Arc::new(move |ins: &[&Tile], out: &mut Tile| {
            let o = V::tile_mut(out);
            o.clear();
            let n = T::tile(ins[0]).len().min(U::tile(ins[1]).len());
            o.extend(
                T::tile(ins[0])[..n]
                    .iter()
                    .zip(&U::tile(ins[1])[..n])
                    .map(|(&a, &b)| f(a, b)),
            );
            Ok(())
        });
        let op = ElemOp::User(UserFn::new("zip_with", tile_fn), V::DTYPE);
        Array::from_node(elementwise_node(
            op,
            &[self.node.clone(), other.node.clone()],
        ))
    }

    /// `f` applied to each block; it must return a block of the same shape.
    ///
    /// ```
    /// let x = ndchunk::arange::<f64>(0.0, 6.0, 1.0, [4])?;
    /// let centred = x.map_blocks(|b| { let m = b.mean().unwrap_or(0.0); b.mapv(|v| v - m) });
    /// assert_eq!(centred.compute()?.into_raw_vec_and_offset().0, vec![-1.5, -0.5, 0.5, 1.5, -0.5, 0.5]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn map_blocks<U: Element>(
        &self,
        f: impl Fn(ArrayViewD<T>) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Array<U> {
        let f = UserFn::new("map_blocks", block_fn_of("map_blocks", move |b| Ok(f(b))));
        self.map_blocks_node(f, self.chunks().clone())
    }

    /// The block function registered as `name` (see [`crate::register_fn`])
    /// applied to each block; it must return a block of the same shape. This is
    /// the form of `map_blocks` the Dask executor can run: worker processes find
    /// the function by its name.
    ///
    /// An unregistered name, or a function registered for other dtypes, is an
    /// `Err`.
    ///
    /// ```
    /// ndchunk::register_fn("negate", |b: ndarray::ArrayViewD<i32>| b.mapv(|v| -v));
    /// let x = ndchunk::arange::<i32>(0, 3, 1, [2])?;
    /// assert_eq!(x.map_blocks_registered::<i32>("negate")?.compute()?.into_raw_vec_and_offset().0, vec![0, -1, -2]);
    /// assert!(x.map_blocks_registered::<f64>("negate").is_err());
    /// assert!(x.map_blocks_registered::<i32>("no such function").is_err());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn map_blocks_registered<U: Element>(&self, name: &str) -> Result<Array<U>> {
        let f = registered_block_fn::<T, U>(name)?;
        Ok(self.map_blocks_node(f, self.chunks().clone()))
    }

    /// The node applying `f` to each block, giving blocks of `chunks` (as
    /// many along each axis as this array has).
    pub(crate) fn map_blocks_node<U: Element>(
        &self,
        f: UserFn<BlockFn>,
        chunks: Chunks,
    ) -> Array<U> {
        if let Some(e) = self.error() {
            return Array::from_node(Node::invalid(e.clone(), chunks.shape(), U::DTYPE));
        }
        let map = BlockMap::aligned(BlockOp::User(f), 1, self.ndim());
        let node = Node::new(
            Op::MapBlocks(map),
            vec![self.node.clone()],
            chunks,
            U::DTYPE,
        );
        Array::from_node(node)
    }
}

/// The function registered as `name` for blocks of `T` to `U`: an `Err`
/// when none is, or one is for other dtypes.
pub(crate) fn registered_block_fn<T: Element, U: Element>(name: &str) -> Result<UserFn<BlockFn>> {
    let entry = registered(name).ok_or_else(|| {
        Error::invalid(
            "map_blocks_registered",
            format!("no function is registered as {name:?} (see ndchunk::register_fn)"),
        )
    })?;
    if (entry.input, entry.output) != (T::DTYPE, U::DTYPE) {
        return Err(Error::DtypeMismatch {
            op: format!("map_blocks_registered({name:?})"),
            expected: format!("{} -> {}", T::DTYPE, U::DTYPE),
            found: format!("{} -> {}", entry.input, entry.output),
        });
    }
    Ok(UserFn {
        name: name.to_string(),
        f: entry.f,
        recipe: None,
    })
}

impl<T: NumElement> Array<T> {
    /// Absolute value (wrapping for the most negative integer, as NumPy).
    ///
    /// ```
    /// let x = ndchunk::from_array(ndarray::arr1(&[-2i32, 3]), [1])?;
    /// assert_eq!(x.abs().compute()?, ndarray::arr1(&[2, 3]).into_dyn());
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn abs(&self) -> Array<T> {
        self.unary(ElemOp::Unary(UnaryOp::Abs))
    }

    /// Each element limited to `[lo, hi]`; NaN stays NaN. As NumPy's
    /// `minimum(maximum(x, lo), hi)`, every element becomes `hi` when `lo > hi`.
    ///
    /// ```
    /// let x = ndchunk::arange::<i32>(0, 5, 1, [5])?.clip(1, 3);
    /// assert_eq!(x.compute()?.into_raw_vec_and_offset().0, vec![1, 1, 2, 3, 3]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn clip(&self, lo: T, hi: T) -> Array<T> {
        self.unary(ElemOp::Clip(lo.to_scalar(), hi.to_scalar()))
    }
}

macro_rules! float_unary {
    ($($name:ident => $op:ident, $doc:literal;)*) => {
        impl<T: FloatElement> Array<T> {
            $(
                #[doc = $doc]
                pub fn $name(&self) -> Array<T> {
                    self.unary(ElemOp::Unary(UnaryOp::$op))
                }
            )*

            /// Each element raised to the integer power `n`.
            ///
            /// ```
            /// let x = ndchunk::full(&[2], 3.0f32, [1])?.powi(2);
            /// assert_eq!(x.compute()?.into_raw_vec_and_offset().0, vec![9.0, 9.0]);
            /// # Ok::<(), ndchunk::Error>(())
            /// ```
            pub fn powi(&self, n: i32) -> Array<T> {
                self.unary(ElemOp::Powi(n))
            }

            /// Each element raised to `p`: a float power, or an array of powers.
            ///
            /// ```
            /// let x = ndchunk::from_array(ndarray::arr1(&[4.0f64, 9.0]), [1])?;
            /// assert_eq!(x.powf(0.5).compute()?, ndarray::arr1(&[2.0, 3.0]).into_dyn());
            /// # Ok::<(), ndchunk::Error>(())
            /// ```
            pub fn powf(&self, p: impl Into<Operand<T>>) -> Array<T> {
                match p.into() {
                    Operand::Scalar(v) => self.unary(ElemOp::Powf(v.cast::<f64>())),
                    other => self.binary(ElemOp::Binary(BinaryOp::Pow), other),
                }
            }
        }
    };
}

float_unary! {
    sqrt => Sqrt, "Square root.";
    exp => Exp, "`e` raised to each element.";
    ln => Ln, "Natural logarithm.";
    log10 => Log10, "Base-10 logarithm.";
    log2 => Log2, "Base-2 logarithm.";
    sin => Sin, "Sine.";
    cos => Cos, "Cosine.";
    tan => Tan, "Tangent.";
    tanh => Tanh, "Hyperbolic tangent.";
    floor => Floor, "Largest integer not above each element.";
    ceil => Ceil, "Smallest integer not below each element.";
    round => Round, "Nearest integer, halves to even (NumPy's `round`).";
    rint => Round, "Nearest integer, halves to even (NumPy's `rint`, the same as `round`).";
    arcsin => Arcsin, "Inverse sine (NaN outside [-1, 1]).";
    arccos => Arccos, "Inverse cosine (NaN outside [-1, 1]).";
    arctan => Arctan, "Inverse tangent.";
    sinh => Sinh, "Hyperbolic sine.";
    cosh => Cosh, "Hyperbolic cosine.";
    arcsinh => Arcsinh, "Inverse hyperbolic sine.";
    arccosh => Arccosh, "Inverse hyperbolic cosine (NaN below 1).";
    arctanh => Arctanh, "Inverse hyperbolic tangent (±inf at ±1, NaN beyond).";
    exp2 => Exp2, "2 raised to each element.";
    log1p => Log1p, "`ln(1 + x)`, accurate near 0.";
    expm1 => Expm1, "`e^x − 1`, accurate near 0.";
    cbrt => Cbrt, "Cube root (negative for negative elements).";
    trunc => Trunc, "The integer part, towards zero.";
    deg2rad => Deg2Rad, "Degrees to radians (NumPy's `deg2rad`, `radians`).";
    rad2deg => Rad2Deg, "Radians to degrees (NumPy's `rad2deg`, `degrees`).";
}

impl Array<bool> {
    /// Logical and.
    ///
    /// ```
    /// let a = ndchunk::from_array(ndarray::arr1(&[true, true, false, false]), [3])?;
    /// let b = ndchunk::from_array(ndarray::arr1(&[true, false, true, false]), [2])?;
    /// assert_eq!(a.and(&b).compute()?.into_raw_vec_and_offset().0, vec![true, false, false, false]);
    /// assert_eq!(a.and(true).compute()?, a.compute()?);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn and(&self, other: impl Into<Operand<bool>>) -> Array<bool> {
        self.binary(ElemOp::Binary(BinaryOp::And), other.into())
    }

    /// Logical or.
    ///
    /// ```
    /// let a = ndchunk::from_array(ndarray::arr1(&[true, true, false, false]), [3])?;
    /// let b = ndchunk::from_array(ndarray::arr1(&[true, false, true, false]), [2])?;
    /// assert_eq!(a.or(&b).compute()?.into_raw_vec_and_offset().0, vec![true, true, true, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn or(&self, other: impl Into<Operand<bool>>) -> Array<bool> {
        self.binary(ElemOp::Binary(BinaryOp::Or), other.into())
    }

    /// Logical exclusive or.
    ///
    /// ```
    /// let a = ndchunk::from_array(ndarray::arr1(&[true, true, false, false]), [3])?;
    /// let b = ndchunk::from_array(ndarray::arr1(&[true, false, true, false]), [2])?;
    /// assert_eq!(a.xor(&b).compute()?.into_raw_vec_and_offset().0, vec![false, true, true, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn xor(&self, other: impl Into<Operand<bool>>) -> Array<bool> {
        self.binary(ElemOp::Binary(BinaryOp::Xor), other.into())
    }

    /// Logical not.
    ///
    /// ```
    /// let t = ndchunk::ones::<bool>(&[2], [1])?;
    /// assert_eq!(t.not().compute()?.into_raw_vec_and_offset().0, vec![false, false]);
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn not(&self) -> Array<bool> {
        self.unary(ElemOp::Unary(UnaryOp::Not))
    }
}

/// `a` where `cond` is true, else `b`; all three broadcast together.
///
/// ```
/// let x = ndchunk::arange::<f64>(-2.0, 2.0, 1.0, [2])?;
/// let relu = ndchunk::where_(&x.gt(0.0), &x, 0.0);
/// assert_eq!(relu.compute()?.into_raw_vec_and_offset().0, vec![0.0, 0.0, 0.0, 1.0]);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn where_<T: Element>(
    cond: &Array<bool>,
    a: impl Into<Operand<T>>,
    b: impl Into<Operand<T>>,
) -> Array<T> {
    Array::from_node(elementwise_node(
        ElemOp::Where,
        &[cond.node.clone(), a.into().node(), b.into().node()],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refine_merges_boundaries() {
        assert_eq!(refine(&[3, 3, 1], &[2, 5]), vec![2, 1, 3, 1]);
        assert_eq!(refine(&[4], &[4]), vec![4]);
    }

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes("t", &[0], &[1]).unwrap(), vec![0]);
        assert!(broadcast_shapes("t", &[3], &[4]).is_err());
    }
}
