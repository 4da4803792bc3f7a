//! Contractions against references: a naive Einstein sum over every label
//! assignment (exact for integers), ndarray's `dot`, and NumPy's documented
//! results; random shapes (empty and size-1 axes), irregular chunkings that
//! cut a contracted axis differently in the two operands, in-memory and
//! computed operands, f32/f64/integers; errors naming axes and subscripts;
//! plans that cut the contracted blocks under a small memory limit.

mod common;

use std::collections::HashMap;

use common::{array_of, chunking, computed, config};
use ndarray::{ArrayD, IxDyn};
use ndchunk::prelude::*;
use ndchunk::{einsum, Error, PlanOptions};
use proptest::prelude::*;

/// NumPy's einsum by definition: for every assignment of the labels, the
/// product of the operands' elements added into the output's (wrapping for
/// integers, in f64 for floats). `inputs` have no ellipsis.
fn naive_einsum(inputs: &[&str], output: &str, operands: &[ArrayD<i64>]) -> ArrayD<i64> {
    let mut sizes: HashMap<char, usize> = HashMap::new();
    for (labels, a) in inputs.iter().zip(operands) {
        for (l, &n) in labels.chars().zip(a.shape()) {
            sizes.insert(l, n);
        }
    }
    let mut all: Vec<char> = sizes.keys().copied().collect();
    all.sort_unstable();
    let out_shape: Vec<usize> = output.chars().map(|l| sizes[&l]).collect();
    let mut out = ArrayD::<i64>::zeros(IxDyn(&out_shape));
    let total: usize = all.iter().map(|l| sizes[l]).product();
    for mut linear in 0..total {
        let mut value: HashMap<char, usize> = HashMap::new();
        for l in all.iter().rev() {
            value.insert(*l, linear % sizes[l]);
            linear /= sizes[l];
        }
        let mut product = 1i64;
        for (labels, a) in inputs.iter().zip(operands) {
            let idx: Vec<usize> = labels.chars().map(|l| value[&l]).collect();
            product = product.wrapping_mul(a[IxDyn(&idx)]);
        }
        let at: Vec<usize> = output.chars().map(|l| value[&l]).collect();
        out[IxDyn(&at)] = out[IxDyn(&at)].wrapping_add(product);
    }
    out
}

fn ints(shape: &[usize]) -> BoxedStrategy<ArrayD<i64>> {
    let size: usize = shape.iter().product();
    let shape = shape.to_vec();
    prop::collection::vec(-4i64..5, size)
        .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap())
        .boxed()
}

/// Labels for `n` axes drawn from `a..=e` (repeats allowed: diagonals).
fn labels(n: usize) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(vec!['a', 'b', 'c', 'd', 'e']), n)
        .prop_map(|v| v.into_iter().collect())
        .boxed()
}

/// Two operands' labels, the length of each label, and an output: a subset
/// of the labels in a random order.
fn einsum_case() -> BoxedStrategy<(String, String, String, HashMap<char, usize>)> {
    (0usize..=3, 0usize..=3)
        .prop_flat_map(|(na, nb)| {
            (
                labels(na),
                labels(nb),
                prop::collection::vec(common::dim(), 5),
                any::<u64>(),
            )
        })
        .prop_map(|(a, b, lens, seed)| {
            let sizes: HashMap<char, usize> =
                ['a', 'b', 'c', 'd', 'e'].into_iter().zip(lens).collect();
            let mut present: Vec<char> = a.chars().chain(b.chars()).collect();
            present.sort_unstable();
            present.dedup();
            // A seeded choice of output labels and their order.
            let mut out: Vec<char> = present
                .iter()
                .enumerate()
                .filter(|(i, _)| seed >> i & 1 == 1)
                .map(|(_, &l)| l)
                .collect();
            let turn = (seed >> 8) as usize % out.len().max(1);
            out.rotate_left(turn);
            (a, b, out.into_iter().collect(), sizes)
        })
        .boxed()
}

fn shape_of(labels: &str, sizes: &HashMap<char, usize>) -> Vec<usize> {
    labels.chars().map(|l| sizes[&l]).collect()
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn einsum_of_two_operands_matches_the_definition(
        (subscripts, (a, ca), (b, cb)) in einsum_case().prop_flat_map(|(la, lb, out, sizes)| {
            let (sa, sb) = (shape_of(&la, &sizes), shape_of(&lb, &sizes));
            (
                Just(format!("{la},{lb}->{out}")),
                (ints(&sa), chunking(&sa)),
                (ints(&sb), chunking(&sb)),
            )
        }),
    ) {
        let x = ndchunk::from_array(a.clone(), ca).unwrap();
        let y = computed(&b, &cb);
        let got = einsum(&subscripts, &[&x, &y]).unwrap().compute().unwrap();
        let (inputs, out) = subscripts.split_once("->").unwrap();
        let (la, lb) = inputs.split_once(',').unwrap();
        let want = naive_einsum(&[la, lb], out, &[a, b]);
        prop_assert_eq!(got, want, "{}", subscripts);
    }

    #[test]
    fn matmul_matches_ndarray_with_contracted_axes_cut_differently(
        ((m, k, n), ca, cb, seed) in (common::dim(), common::dim(), common::dim())
            .prop_flat_map(|(m, k, n)| (Just((m, k, n)), chunking(&[m, k]), chunking(&[k, n]), any::<u64>())),
    ) {
        let a = ArrayD::from_shape_fn(IxDyn(&[m, k]), |i| ((i[0] * 7 + i[1] * 3 + seed as usize) % 11) as f64 - 5.0);
        let b = ArrayD::from_shape_fn(IxDyn(&[k, n]), |i| ((i[0] * 5 + i[1] * 13 + seed as usize) % 7) as f64 * 0.25);
        let want = a.clone().into_dimensionality::<ndarray::Ix2>().unwrap()
            .dot(&b.clone().into_dimensionality::<ndarray::Ix2>().unwrap());
        let x = computed(&a, &ca);
        let y = ndchunk::from_array(b.clone(), cb).unwrap();
        let got = x.matmul(&y).unwrap().compute().unwrap();
        prop_assert_eq!(got.shape(), want.shape());
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()), "{} vs {}", g, w);
        }
    }

    #[test]
    fn batched_matmul_broadcasts_like_numpy(
        ((a, ca), (b, cb)) in (1usize..4, 1usize..4, common::dim(), 1usize..6, common::dim(), any::<bool>())
            .prop_flat_map(|(b1, b2, m, k, n, a_one)| {
                // a: (b1 or 1, 1, m, k) against b: (b2, k, n) → (b1, b2, m, n).
                let sa = vec![if a_one { 1 } else { b1 }, 1, m, k];
                (array_of(sa, (-3i64..4).boxed()), array_of(vec![b2, k, n], (-2i64..3).boxed()))
            }),
    ) {
        let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
        let (b2, m, n) = (sb[0], sa[2], sb[2]);
        let got = ndchunk::from_array(a.clone(), ca).unwrap()
            .matmul(&ndchunk::from_array(b.clone(), cb).unwrap()).unwrap()
            .compute().unwrap();
        let out_b0 = sa[0].max(1);
        prop_assert_eq!(got.shape(), &[out_b0, b2, m, n]);
        for i in 0..out_b0 {
            for j in 0..b2 {
                let ai = if sa[0] == 1 { 0 } else { i };
                let am = a.slice(ndarray::s![ai, 0, .., ..]).into_dimensionality::<ndarray::Ix2>().unwrap();
                let bm = b.slice(ndarray::s![j, .., ..]).into_dimensionality::<ndarray::Ix2>().unwrap();
                let want = am.dot(&bm);
                prop_assert_eq!(got.slice(ndarray::s![i, j, .., ..]), want.view());
            }
        }
    }

    #[test]
    fn f32_products_agree_with_f64_within_rounding(
        ((a, ca), (b, cb)) in (1usize..9, 1usize..40, 1usize..9).prop_flat_map(|(m, k, n)| (
            array_of(vec![m, k], (-2.0f32..2.0).boxed()),
            array_of(vec![k, n], (-2.0f32..2.0).boxed()),
        )),
    ) {
        let k = a.shape()[1];
        let got = ndchunk::from_array(a.clone(), ca).unwrap()
            .matmul(&computed(&b, &cb)).unwrap().compute().unwrap();
        let a64 = a.mapv(f64::from).into_dimensionality::<ndarray::Ix2>().unwrap();
        let b64 = b.mapv(f64::from).into_dimensionality::<ndarray::Ix2>().unwrap();
        let want = a64.dot(&b64);
        for (g, w) in got.iter().zip(want.iter()) {
            prop_assert!((f64::from(*g) - w).abs() <= 1e-5 * (k as f64) * (1.0 + w.abs()), "{} vs {}", g, w);
        }
    }

    #[test]
    fn diagonal_and_trace_match_numpy(
        (a, chunks) in (common::dim(), common::dim(), 1usize..3)
            .prop_flat_map(|(r, c, d)| array_of(vec![r, d, c], (-9i64..10).boxed())),
        offset in -4isize..5,
    ) {
        let x = ndchunk::from_array(a.clone(), chunks).unwrap();
        let (r, d, c) = (a.shape()[0], a.shape()[1], a.shape()[2]);
        let (row0, col0) = (offset.min(0).unsigned_abs(), offset.max(0).unsigned_abs());
        let len = r.saturating_sub(row0).min(c.saturating_sub(col0));
        // Axes 0 and 2: the diagonal is last, after axis 1.
        let want = ArrayD::from_shape_fn(IxDyn(&[d, len]), |i| a[[row0 + i[1], i[0], col0 + i[1]]]);
        prop_assert_eq!(x.diagonal(offset, 0, -1).unwrap().compute().unwrap(), want.clone());
        let trace = want.sum_axis(ndarray::Axis(1));
        prop_assert_eq!(x.trace(offset, 0, 2).unwrap().compute().unwrap(), trace);
    }
}

#[test]
fn numpy_semantics_of_one_dimensional_operands() {
    let v = ndchunk::from_array(ndarray::array![1i64, 2, 3], [2]).unwrap();
    let m = ndchunk::from_array(ndarray::array![[1i64, 0], [2, 1], [0, 3]], [2, 1]).unwrap();
    // np.matmul([1,2,3], [[1,0],[2,1],[0,3]]) == [5, 11]; a 1-d pair is 0-d.
    assert_eq!(
        v.matmul(&m).unwrap().compute().unwrap(),
        ndarray::array![5, 11].into_dyn()
    );
    assert_eq!(v.matmul(&v).unwrap().compute().unwrap()[[]], 14);
    let w = ndchunk::from_array(ndarray::array![1i64, -1], [1]).unwrap();
    assert_eq!(
        m.matmul(&w).unwrap().compute().unwrap(),
        ndarray::array![1, 1, -3].into_dyn()
    );
    // np.dot of a (2, 3, 2) array and a (4, 2, 5) array is (2, 3, 4, 5).
    let a = ndchunk::ones::<f64>(&[2, 3, 2], [1, 2, 2]).unwrap();
    let b = ndchunk::ones::<f64>(&[4, 2, 5], [3, 1, 5]).unwrap();
    let d = a.dot(&b).unwrap();
    assert_eq!(d.shape(), &[2, 3, 4, 5]);
    assert!(d.compute().unwrap().iter().all(|&x| x == 2.0));
    // A 0-d operand multiplies.
    let s = ndchunk::full::<f64>(&[], 3.0, ndchunk::ChunkSpec::Auto).unwrap();
    assert_eq!(
        s.dot(&a).unwrap().compute().unwrap(),
        ndarray::ArrayD::from_elem(IxDyn(&[2, 3, 2]), 3.0)
    );
    // vdot flattens; outer flattens.
    assert_eq!(m.vdot(&m).unwrap().compute().unwrap()[[]], 1 + 4 + 1 + 9);
    assert_eq!(
        v.outer(&w).unwrap().compute().unwrap(),
        ndarray::array![[1, -1], [2, -2], [3, -3]].into_dyn()
    );
}

#[test]
fn einsum_forms_numpy_documents() {
    // Examples from NumPy's einsum documentation (a = arange(25).reshape(5, 5),
    // b = arange(5), c = arange(6).reshape(2, 3)), values computed by hand.
    let a = ndchunk::arange::<i64>(0, 25, 1, [7])
        .unwrap()
        .reshape(&[5, 5])
        .unwrap()
        .rechunk([2, 3])
        .unwrap();
    let b = ndchunk::arange::<i64>(0, 5, 1, [2]).unwrap();
    let c = ndchunk::arange::<i64>(0, 6, 1, [6])
        .unwrap()
        .reshape(&[2, 3])
        .unwrap();
    let an = ndarray::Array::from_iter(0i64..25)
        .into_shape_with_order((5, 5))
        .unwrap();
    let bn = ndarray::Array::from_iter(0i64..5);
    let cn = ndarray::Array::from_iter(0i64..6)
        .into_shape_with_order((2, 3))
        .unwrap();
    assert_eq!(einsum("ii", &[&a]).unwrap().compute().unwrap()[[]], 60);
    assert_eq!(
        einsum("ii->i", &[&a]).unwrap().compute().unwrap(),
        an.diag().to_owned().into_dyn()
    );
    assert_eq!(
        einsum("ij->i", &[&a]).unwrap().compute().unwrap(),
        an.sum_axis(ndarray::Axis(1)).into_dyn()
    );
    assert_eq!(
        einsum("ji", &[&c]).unwrap().compute().unwrap(),
        cn.t().to_owned().into_dyn()
    );
    assert_eq!(
        einsum("ij,j", &[&a, &b]).unwrap().compute().unwrap(),
        an.dot(&bn).into_dyn()
    );
    assert_eq!(einsum("i,i", &[&b, &b]).unwrap().compute().unwrap()[[]], 30);
    assert_eq!(
        einsum("i,j", &[&b, &b]).unwrap().compute().unwrap(),
        ndarray::Array2::from_shape_fn((5, 5), |(i, j)| (i * j) as i64).into_dyn()
    );
    // Ellipsis: "...ij,...jk->...ik" over a broadcast batch axis.
    let x = ndchunk::ones::<i64>(&[3, 2, 4], [2, 2, 3]).unwrap();
    let y = ndchunk::ones::<i64>(&[1, 4, 5], [1, 2, 5]).unwrap();
    let z = einsum("...ij,...jk->...ik", &[&x, &y]).unwrap();
    assert_eq!(z.shape(), &[3, 2, 5]);
    assert!(z.compute().unwrap().iter().all(|&v| v == 4));
    assert_eq!(
        einsum("...j,j", &[&x, &ndchunk::ones::<i64>(&[4], [4]).unwrap()])
            .unwrap()
            .shape(),
        &[3, 2]
    );
    // Three operands, contracted left to right.
    let abc = einsum("ij,jk,k->i", &[&a, &a, &b])
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(abc, an.dot(&an).dot(&bn).into_dyn());
}

#[test]
fn integer_products_wrap_as_numpys() {
    // np.matmul of int8: 100 * 100 + 100 * 100 = 20000 wraps to 32 (mod 256).
    let a = ndchunk::full::<i8>(&[1, 2], 100, [1, 1]).unwrap();
    let b = ndchunk::full::<i8>(&[2, 1], 100, [1, 1]).unwrap();
    assert_eq!(
        a.matmul(&b).unwrap().compute().unwrap()[[0, 0]],
        20000i32 as i8
    );
    let u = ndchunk::full::<u16>(&[3], 300, [2]).unwrap();
    assert_eq!(
        u.dot(&u).unwrap().compute().unwrap()[[]],
        (270_000u32 % 65_536) as u16
    );
}

#[test]
fn empty_axes_give_numpys_shapes_and_zeros() {
    let a = ndchunk::zeros::<f64>(&[3, 0], [2, 1]).unwrap();
    let b = ndchunk::zeros::<f64>(&[0, 4], [1, 3]).unwrap();
    let c = a.matmul(&b).unwrap();
    assert_eq!(
        c.compute().unwrap(),
        ndarray::ArrayD::<f64>::zeros(IxDyn(&[3, 4]))
    );
    let d = b
        .matmul(&ndchunk::zeros::<f64>(&[4, 2], [4, 2]).unwrap())
        .unwrap();
    assert_eq!(d.shape(), &[0, 2]);
    assert_eq!(d.compute().unwrap().len(), 0);
}

#[test]
fn errors_name_the_axes_and_subscripts() {
    let a = ndchunk::ones::<f64>(&[2, 3], [2, 3]).unwrap();
    let b = ndchunk::ones::<f64>(&[4, 2], [4, 2]).unwrap();
    let text = |e: Error| e.to_string();
    let e = text(a.matmul(&b).unwrap_err());
    assert!(
        e.contains("matmul")
            && e.contains("axis 1")
            && e.contains("axis 0")
            && e.contains('3')
            && e.contains('4'),
        "{e}"
    );
    let s = ndchunk::full::<f64>(&[], 1.0, ndchunk::ChunkSpec::Auto).unwrap();
    assert!(text(s.matmul(&a).unwrap_err()).contains("at least one axis"));
    let e = text(a.tensordot(&b, &[0, 0], &[0, 1]).unwrap_err());
    assert!(e.contains("tensordot") && e.contains('0'), "{e}");
    assert!(matches!(
        a.tensordot(&b, &[2], &[0]).unwrap_err(),
        Error::AxisOutOfBounds { .. }
    ));
    let e = text(einsum("ij,jk->ik", &[&a]).unwrap_err());
    assert!(
        e.contains("einsum(ij,jk->ik)") && e.contains("1 operands but 2"),
        "{e}"
    );
    let e = text(einsum("ij,jk->ik", &[&a, &a]).unwrap_err());
    assert!(
        e.contains("label 'j' has length 3 in operand 0 and 2 in operand 1"),
        "{e}"
    );
    assert!(
        text(einsum("i1", &[&a]).unwrap_err()).contains("'1' in 'i1' is not a subscript letter")
    );
    assert!(text(einsum("ijk", &[&a]).unwrap_err()).contains("names 3 axes but the operand has 2"));
    assert!(text(einsum("ij->q", &[&a]).unwrap_err()).contains("label 'q' appears in no operand"));
    assert!(text(einsum("ij->ii", &[&a]).unwrap_err()).contains("label 'i' is repeated"));
    assert!(text(einsum("...i...", &[&a]).unwrap_err()).contains("more than one ellipsis"));
    assert!(matches!(
        a.diagonal(0, 1, -1).unwrap_err(),
        Error::RepeatedAxis { .. }
    ));
}

/// Every contraction task of `plan` holds (inputs and working bytes) at most `budget`.
fn assert_contract_tasks_fit(plan: &ndchunk::plan::Plan, budget: u64, text: &str) {
    for t in &plan.tasks {
        if plan.stages[t.stage].kind.label() == "contract" {
            let held: u64 =
                t.deps.iter().map(|&d| plan.tasks[d].out_bytes).sum::<u64>() + t.work_bytes;
            assert!(held <= budget, "a task holds {held} bytes\n{text}");
        }
    }
}

#[test]
fn a_contraction_that_does_not_fit_a_task_is_cut_and_summed_by_a_tree() {
    // (64, 4096) @ (4096, 64) f64 in 64 contracted blocks of 64: each pair of
    // operand blocks is 64 KiB, so a 4 MiB limit (a 1 MiB task) takes about
    // 13 pairs per task; the plan adds 5 groups with one sum level.
    let a = ndarray::Array2::from_shape_fn((64, 4096), |(i, j)| ((i * 7 + j) % 13) as f64);
    let b = ndarray::Array2::from_shape_fn((4096, 64), |(i, j)| ((i + j * 3) % 5) as f64);
    let want = a.dot(&b);
    let x = computed(&a.clone().into_dyn(), &[vec![64], vec![64; 64]]);
    let y = computed(&b.clone().into_dyn(), &[vec![64; 64], vec![64]]);
    let c = x.matmul(&y).unwrap();
    let small = Executor::local().memory_limit(4 << 20);
    let options = small.plan_options().unwrap();
    let plan = c.plan_with(&options).unwrap();
    let text = c.explain_with(&small);
    assert!(text.contains("groups"), "{text}");
    assert!(
        plan.stages.iter().any(|s| s.kind.label() == "sum"),
        "{text}"
    );
    assert_contract_tasks_fit(&plan, options.memory_limit / 4, &text);
    assert_eq!(c.compute_with(&small).unwrap(), want.clone().into_dyn());
    // With the default limit it is one task reading all 64 pairs.
    let roomy = c.plan_with(&PlanOptions::from_env().unwrap()).unwrap();
    assert_eq!(
        roomy
            .tasks
            .iter()
            .filter(|t| roomy.stages[t.stage].kind.label() == "contract")
            .count(),
        1
    );
    assert_eq!(c.compute().unwrap(), want.into_dyn());
}

#[test]
fn a_contracted_axis_too_long_for_a_task_is_cut_in_both_operands() {
    // (64, 4096) @ (4096, 64) f64 with the contracted axis in one block: one
    // product holds 4 MiB, over the 1 MiB a task may hold under a 4 MiB
    // limit. The rule cuts the axis in both operands; the plan then groups
    // the pieces, and no task holds more than 1 MiB.
    let a = ndarray::Array2::from_shape_fn((64, 4096), |(i, j)| ((i * 7 + j) % 13) as f64);
    let b = ndarray::Array2::from_shape_fn((4096, 64), |(i, j)| ((i + j * 3) % 5) as f64);
    let x = computed(&a.clone().into_dyn(), &[vec![64], vec![4096]]);
    let y = ndchunk::from_array(b.clone(), [4096, 64]).unwrap();
    let c = x.matmul(&y).unwrap();
    let small = Executor::local().memory_limit(4 << 20);
    let options = small.plan_options().unwrap();
    let plan = c.plan_with(&options).unwrap();
    let text = c.explain_with(&small);
    assert!(
        plan.rules.iter().any(|f| f.rule == "contraction cut"),
        "{text}"
    );
    assert_contract_tasks_fit(&plan, options.memory_limit / 4, &text);
    assert_eq!(c.compute_with(&small).unwrap(), a.dot(&b).into_dyn());
    // Under the default limit nothing is cut.
    let roomy = c.plan().unwrap();
    assert!(roomy.rules.iter().all(|f| f.rule != "contraction cut"));
}
