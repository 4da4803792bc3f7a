//! `einsum`: subscripts parsed into one label per axis, then per operand its
//! diagonals (repeated labels) and sums (labels no one else needs), then the
//! operands contracted pairwise, left to right, and the result's axes put in
//! the output's order.

use std::collections::{BTreeSet, HashMap};

use ndarray::Axis;

use crate::array::contract::contract;
use crate::array::Array;
use crate::element::NumElement;
use crate::error::{Error, Result};
use crate::expr::ContractSpec;

/// Labels for the axes an ellipsis stands for: private-use characters,
/// numbered from the right so that broadcast axes line up across operands.
const ELLIPSIS_LABEL: u32 = 0xE000;

fn ellipsis_labels(count: usize) -> impl Iterator<Item = char> {
    (0..count)
        .rev()
        .filter_map(|d| char::from_u32(ELLIPSIS_LABEL + d as u32))
}

fn is_ellipsis(label: char) -> bool {
    (ELLIPSIS_LABEL..ELLIPSIS_LABEL + 64).contains(&(label as u32))
}

fn describe(label: char) -> String {
    if is_ellipsis(label) {
        "an axis of `...`".into()
    } else {
        format!("label '{label}'")
    }
}

/// Einstein summation over `operands`, as NumPy's `einsum`: `"ij,jk->ik"`
/// (explicit output), `"ij,jk"` (implicit: the labels that appear once, in
/// alphabetical order), repeated labels in one operand for diagonals
/// (`"ii->i"`), labels summed away (`"ij->"`), and `...` for broadcast axes
/// (`"...ij,...jk->...ik"`). Operands are contracted left to right, each pair
/// as one contraction (NumPy's `optimize=False` order). For dask users:
/// `da.einsum`.
///
/// ```
/// let a = ndchunk::from_array(ndarray::array![[1, 2], [3, 4]], [1, 2])?;
/// let b = ndchunk::from_array(ndarray::array![[1, 0], [0, 1]], [2, 1])?;
/// let c = ndchunk::einsum("ij,jk->ki", &[&a, &b])?;
/// assert_eq!(c.compute()?, ndarray::array![[1, 3], [2, 4]].into_dyn());
/// assert_eq!(ndchunk::einsum("ii", &[&a])?.compute()?[[]], 5);
/// # Ok::<(), ndchunk::Error>(())
/// ```
pub fn einsum<T: NumElement>(subscripts: &str, operands: &[&Array<T>]) -> Result<Array<T>> {
    for operand in operands {
        if let Some(e) = operand.error() {
            return Err(e.clone());
        }
    }
    let origin = format!("einsum({subscripts})");
    let ndims: Vec<usize> = operands.iter().map(|a| a.ndim()).collect();
    let (inputs, output) = parse(subscripts, &ndims).map_err(|m| Error::invalid(&origin, m))?;
    let sizes = label_sizes(&inputs, operands).map_err(|m| Error::invalid(&origin, m))?;
    let mut terms = Vec::with_capacity(operands.len());
    for (operand, labels) in operands.iter().zip(inputs) {
        terms.push(Term::new(operand, labels, &sizes)?.diagonals()?);
    }
    let wanted: BTreeSet<char> = output.iter().copied().collect();
    let mut rest = terms.into_iter();
    let mut acc = rest
        .next()
        .ok_or_else(|| Error::invalid(&origin, "no operands"))?;
    let rest: Vec<Term<T>> = rest.collect();
    for (i, next) in rest.iter().enumerate() {
        // Labels still needed after this pair: the output's and later operands'.
        let mut keep = wanted.clone();
        for later in &rest[i + 1..] {
            keep.extend(later.labels.iter().copied());
        }
        acc = acc.times(next, &keep, &origin)?;
    }
    let acc = acc.sum_except(&wanted)?;
    let order: Vec<usize> = output
        .iter()
        .filter_map(|l| acc.labels.iter().position(|m| m == l))
        .collect();
    if order.iter().enumerate().all(|(i, &j)| i == j) {
        Ok(acc.array)
    } else {
        acc.array.permuted_axes(&order)
    }
}

/// One operand's labels (ellipses expanded), and the output's.
fn parse(
    subscripts: &str,
    ndims: &[usize],
) -> std::result::Result<(Vec<Vec<char>>, Vec<char>), String> {
    let s: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match s.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (s.as_str(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ndims.len() {
        return Err(format!(
            "{} operands but {} input subscripts",
            ndims.len(),
            terms.len()
        ));
    }
    let mut inputs = Vec::with_capacity(terms.len());
    let mut widest = 0;
    for (i, (term, &ndim)) in terms.iter().zip(ndims).enumerate() {
        let (labels, ellipsis) =
            expand(term, Some(ndim)).map_err(|m| format!("operand {i}: {m}"))?;
        widest = widest.max(ellipsis);
        inputs.push(labels);
    }
    let output = match rhs {
        Some(r) => {
            let (mut labels, _) = expand(r, None).map_err(|m| format!("output: {m}"))?;
            if let Some(at) = r.find("...") {
                let before = r[..at].chars().count();
                labels.splice(before..before, ellipsis_labels(widest));
            }
            let mut seen = BTreeSet::new();
            for &l in &labels {
                if !seen.insert(l) {
                    return Err(format!("output {} is repeated", describe(l)));
                }
                if !inputs.iter().any(|t| t.contains(&l)) {
                    return Err(format!("output {} appears in no operand", describe(l)));
                }
            }
            labels
        }
        None => {
            let mut counts: HashMap<char, usize> = HashMap::new();
            for &l in inputs.iter().flatten() {
                *counts.entry(l).or_default() += 1;
            }
            let once: BTreeSet<char> = counts
                .into_iter()
                .filter(|&(l, c)| c == 1 && !is_ellipsis(l))
                .map(|(l, _)| l)
                .collect();
            ellipsis_labels(widest).chain(once).collect()
        }
    };
    Ok((inputs, output))
}

/// The labels of one subscript term, its ellipsis standing for the axes of
/// `ndim` the letters leave (none for the output, whose ellipsis the caller
/// fills), and how many axes that ellipsis stands for.
fn expand(term: &str, ndim: Option<usize>) -> std::result::Result<(Vec<char>, usize), String> {
    let parts: Vec<&str> = term.split("...").collect();
    if parts.len() > 2 {
        return Err(format!("'{term}' has more than one ellipsis"));
    }
    for c in parts.iter().flat_map(|p| p.chars()) {
        if !c.is_ascii_alphabetic() {
            return Err(format!(
                "'{c}' in '{term}' is not a subscript letter (a-z, A-Z)"
            ));
        }
    }
    let letters: usize = parts.iter().map(|p| p.chars().count()).sum();
    let Some(ndim) = ndim else {
        return Ok((parts.concat().chars().collect(), 0));
    };
    let ellipsis = match parts.len() {
        2 if letters <= ndim => ndim - letters,
        1 if letters == ndim => 0,
        _ => {
            return Err(format!(
                "'{term}' names {letters} axes but the operand has {ndim}"
            ))
        }
    };
    let mut labels: Vec<char> = parts[0].chars().collect();
    if parts.len() == 2 {
        labels.extend(ellipsis_labels(ellipsis));
        labels.extend(parts[1].chars());
    }
    Ok((labels, ellipsis))
}

/// Each label's length; a label on several operands must have one length,
/// except that an ellipsis axis of length 1 broadcasts.
fn label_sizes<T: NumElement>(
    inputs: &[Vec<char>],
    operands: &[&Array<T>],
) -> std::result::Result<HashMap<char, (usize, usize)>, String> {
    // Per label: its length and the first operand that gave it.
    let mut sizes: HashMap<char, (usize, usize)> = HashMap::new();
    for (i, (labels, operand)) in inputs.iter().zip(operands).enumerate() {
        for (&l, &n) in labels.iter().zip(operand.shape()) {
            match sizes.get(&l).copied() {
                None => {
                    sizes.insert(l, (n, i));
                }
                Some((m, _)) if m == n => {}
                Some((1, _)) if is_ellipsis(l) => {
                    sizes.insert(l, (n, i));
                }
                Some(_) if is_ellipsis(l) && n == 1 => {}
                Some((m, j)) => {
                    return Err(format!(
                        "{} has length {m} in operand {j} and {n} in operand {i}",
                        describe(l)
                    ))
                }
            }
        }
    }
    Ok(sizes)
}

/// An operand on its way through `einsum`, one label per axis.
struct Term<T: NumElement> {
    array: Array<T>,
    labels: Vec<char>,
}

impl<T: NumElement> Term<T> {
    /// `operand` with its broadcast (ellipsis) axes stretched to `sizes`.
    fn new(
        operand: &Array<T>,
        labels: Vec<char>,
        sizes: &HashMap<char, (usize, usize)>,
    ) -> Result<Self> {
        let shape: Vec<usize> = labels
            .iter()
            .zip(operand.shape())
            .map(|(l, &n)| sizes.get(l).map_or(n, |&(m, _)| m))
            .collect();
        let array = if shape == operand.shape() {
            operand.clone()
        } else {
            operand.broadcast_to(&shape)?
        };
        Ok(Term { array, labels })
    }

    /// The term with each repeated label replaced by its diagonal (last).
    fn diagonals(mut self) -> Result<Self> {
        while let Some((i, j)) = self.repeated() {
            let label = self.labels[i];
            self.array = self.array.diagonal(0, i as isize, j as isize)?;
            self.labels.remove(j);
            self.labels.remove(i);
            self.labels.push(label);
        }
        Ok(self)
    }

    fn repeated(&self) -> Option<(usize, usize)> {
        self.labels.iter().enumerate().find_map(|(i, l)| {
            self.labels[i + 1..]
                .iter()
                .position(|m| m == l)
                .map(|d| (i, i + 1 + d))
        })
    }

    /// The term summed over the labels not in `keep`.
    fn sum_except(mut self, keep: &BTreeSet<char>) -> Result<Self> {
        for axis in (0..self.labels.len()).rev() {
            if !keep.contains(&self.labels[axis]) {
                self.array = self.array.sum_axis(Axis(axis))?.astype::<T>();
                self.labels.remove(axis);
            }
        }
        Ok(self)
    }

    /// This term contracted with `other`: labels on both are matched (kept
    /// when in `keep`, else summed), and each side's own labels outside
    /// `keep` summed first.
    fn times(self, other: &Term<T>, keep: &BTreeSet<char>, origin: &str) -> Result<Self> {
        let with =
            |t: &Term<T>| -> BTreeSet<char> { keep.iter().chain(&t.labels).copied().collect() };
        let a = self.sum_except(&with(other))?;
        let b = Term {
            array: other.array.clone(),
            labels: other.labels.clone(),
        }
        .sum_except(&with(&a))?;
        let position = |t: &Term<T>, l: char| t.labels.iter().position(|&m| m == l);
        let mut spec = ContractSpec {
            batch: Vec::new(),
            free_a: Vec::new(),
            free_b: Vec::new(),
            contracted: Vec::new(),
            origin: origin.into(),
        };
        let mut batch_labels = Vec::new();
        let mut free_a_labels = Vec::new();
        for (x, &l) in a.labels.iter().enumerate() {
            match position(&b, l) {
                Some(y) if keep.contains(&l) => {
                    spec.batch.push((x, y));
                    batch_labels.push(l);
                }
                Some(y) => spec.contracted.push((x, y)),
                None => {
                    spec.free_a.push(x);
                    free_a_labels.push(l);
                }
            }
        }
        let mut labels = batch_labels;
        labels.extend(free_a_labels);
        for (y, &l) in b.labels.iter().enumerate() {
            if position(&a, l).is_none() {
                spec.free_b.push(y);
                labels.push(l);
            }
        }
        Ok(Term {
            array: contract(&a.array, &b.array, spec)?,
            labels,
        })
    }
}
