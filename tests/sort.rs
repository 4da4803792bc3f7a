//! The sample sort of 1-d arrays beyond the chunk budget (64 KiB in this
//! binary): buckets from a sample, balanced even when every value is equal
//! (keys are value and position), stable `argsort`, NaN last, and a
//! computed input larger than the memory limit read again per bucket. The
//! values against NumPy are the conformance suite's (`tests/conformance/`).

use ndarray::{ArrayD, Axis, IxDyn};
use ndchunk::Array;

fn budget() {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| std::env::set_var("NDCHUNK_CHUNK_SIZE", "64KiB"));
}

fn sort_stage_tasks<T: ndchunk::Element>(a: &Array<T>) -> usize {
    let plan = a.plan().unwrap();
    let stage = plan
        .stages
        .iter()
        .position(|s| s.kind.label() == "sort")
        .unwrap_or_else(|| panic!("no sort stage in\n{}", a.explain()));
    plan.tasks.iter().filter(|t| t.stage == stage).count()
}

#[test]
fn large_arrays_sort_by_buckets() {
    budget();
    let x = ndchunk::random::uniform::<f32>(&[200_000], [10_000], 9).unwrap();
    let sorted = x.sort(Axis(0)).unwrap();
    // 800 KB in buckets of about 8192 elements.
    let buckets = sort_stage_tasks(&sorted);
    assert!((20..=40).contains(&buckets), "{buckets} buckets");
    let mut want: Vec<f32> = x.compute().unwrap().iter().copied().collect();
    want.sort_by(f32::total_cmp);
    assert_eq!(
        sorted
            .compute()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        want
    );
    let order = x.argsort(Axis(0)).unwrap().compute().unwrap();
    let data = x.compute().unwrap();
    assert!(order
        .iter()
        .zip(order.iter().skip(1))
        .all(|(&a, &b)| data[[a as usize]] <= data[[b as usize]]));
}

#[test]
fn equal_values_spread_over_buckets_and_keep_their_order() {
    budget();
    let n = 100_000;
    let zeros = ndchunk::zeros::<f64>(&[n], [7_000]).unwrap();
    let order = zeros.argsort(Axis(0)).unwrap();
    let longest = order.chunks().lens(0).iter().copied().max().unwrap();
    assert!(longest <= 4096, "a bucket of {longest} elements");
    let got = order.compute().unwrap();
    assert!(got.iter().enumerate().all(|(i, &p)| p == i as i64));
}

#[test]
fn nan_sorts_last_and_signed_zeros_keep_their_order() {
    budget();
    let n = 30_000;
    let a = ArrayD::from_shape_fn(IxDyn(&[n]), |ix| match ix[0] % 7 {
        0 => f64::NAN,
        1 => -0.0,
        2 => 0.0,
        k => (ix[0] % 101) as f64 - k as f64,
    });
    let x = ndchunk::from_array(a.clone(), [4_000]).unwrap();
    let got = x.sort(Axis(0)).unwrap().compute().unwrap();
    let nans = got.iter().filter(|v| v.is_nan()).count();
    assert_eq!(nans, n.div_ceil(7));
    assert!(got.iter().skip(n - nans).all(|v| v.is_nan()));
    // The zeros come in their input order: -0.0, 0.0, -0.0, 0.0, ...
    let zeros: Vec<bool> = got
        .iter()
        .filter(|v| **v == 0.0)
        .map(|v| v.is_sign_negative())
        .collect();
    let input: Vec<bool> = a
        .iter()
        .filter(|v| **v == 0.0)
        .map(|v| v.is_sign_negative())
        .collect();
    assert_eq!(zeros, input);
}

#[test]
fn a_computed_input_beyond_the_limit_is_read_again_per_bucket() {
    budget();
    let n = 400_000;
    let x = ndchunk::from_fn(&[n], [20_000], |b, shape| {
        ArrayD::from_shape_fn(shape, |ix| {
            ((b[0] * 20_000 + ix[0]) * 7919 % 100_003) as i64
        })
    })
    .unwrap();
    let executor = ndchunk::Executor::local()
        .threads(2)
        .memory_limit(1 << 20)
        .progress(false);
    let sorted = x.sort(Axis(0)).unwrap();
    let got = sorted.compute_with(&executor).unwrap();
    let mut want: Vec<i64> = x.compute().unwrap().iter().copied().collect();
    want.sort();
    assert_eq!(got.iter().copied().collect::<Vec<_>>(), want);
    let plan = sorted
        .plan_with(&ndchunk::PlanOptions::for_memory_limit(1 << 20).unwrap())
        .unwrap();
    let source = plan
        .stages
        .iter()
        .position(|s| s.name.starts_with("from_fn"))
        .expect("a source stage");
    let reads = plan.tasks.iter().filter(|t| t.stage == source).count();
    assert!(
        reads > 20 * 10,
        "the source's 20 blocks read {reads} times in all"
    );
}

#[test]
fn unique_beyond_the_budget_by_sorted_runs() {
    budget();
    // 200 000 floats (1.6 MB, beyond the 64 KiB budget) with ties, NaN,
    // and both zeros.
    let n = 200_000;
    let values: Vec<f64> = (0..n)
        .map(|i| match i % 1009 {
            3 => f64::NAN,
            5 => -0.0,
            _ => ((i * 7919) % 50_021) as f64 / 4.0 - 3000.0,
        })
        .collect();
    let x = ndchunk::from_array(
        ArrayD::from_shape_vec(IxDyn(&[n]), values.clone()).unwrap(),
        [9_000],
    )
    .unwrap();
    let u = x
        .unique_with(ndchunk::UniqueOptions {
            index: true,
            inverse: true,
            counts: true,
        })
        .unwrap();
    // The reference: a stable sort of (value, position), NaN last and once.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    let (mut want, mut first, mut count) =
        (Vec::<f64>::new(), Vec::<i64>::new(), Vec::<i64>::new());
    for &i in &order {
        let v = if values[i] == 0.0 { 0.0 } else { values[i] };
        match want.last() {
            Some(&last) if last == v || (last.is_nan() && v.is_nan()) => {
                *count.last_mut().unwrap() += 1
            }
            _ => {
                want.push(v);
                first.push(i as i64);
                count.push(1);
            }
        }
    }
    let got: Vec<f64> = u.values.compute().unwrap().iter().copied().collect();
    assert_eq!(got.len(), want.len());
    assert!(got
        .iter()
        .zip(&want)
        .all(|(g, w)| g == w || (g.is_nan() && w.is_nan())));
    let listed = |a: Option<Array<i64>>| -> Vec<i64> {
        a.unwrap().compute().unwrap().iter().copied().collect()
    };
    assert_eq!(listed(u.index), first);
    assert_eq!(listed(u.counts), count);
    let inverse = u.inverse.unwrap().compute().unwrap();
    assert!(inverse.iter().enumerate().all(|(i, &k)| {
        let (g, v) = (got[k as usize], values[i]);
        g == v || (g.is_nan() && v.is_nan())
    }));
}

#[test]
fn lanes_beyond_the_budget_along_any_axis_sort_one_by_one() {
    budget();
    // Three lanes of 30 000 f32 along axis 1 (120 KB each, beyond the 64
    // KiB budget): each sample-sorted, the results stacked back.
    let (lanes, n) = (3, 30_000);
    let x = ndchunk::from_fn(&[lanes, n], [1, 7_000], |b, shape| {
        ArrayD::from_shape_fn(shape, |ix| {
            let (l, i) = (b[0] + ix[0], b[1] * 7_000 + ix[1]);
            ((i * 7919 + l * 104_729) % 10_007) as f32 - 5_000.0
        })
    })
    .unwrap();
    let sorted = x.sort(Axis(1)).unwrap();
    let plan = sorted.plan().unwrap();
    let sorts = plan
        .stages
        .iter()
        .filter(|s| s.kind.label() == "sort")
        .count();
    assert_eq!(sorts, lanes, "{}", sorted.explain());
    let order = x.argsort(Axis(1)).unwrap().compute().unwrap();
    let (data, got) = (x.compute().unwrap(), sorted.compute().unwrap());
    for l in 0..lanes {
        let mut want: Vec<f32> = (0..n).map(|i| data[[l, i]]).collect();
        want.sort_by(f32::total_cmp);
        assert_eq!((0..n).map(|i| got[[l, i]]).collect::<Vec<_>>(), want);
        // Stable: equal values keep their positions' order.
        assert!((1..n).all(|i| {
            let (a, b) = (order[[l, i - 1]] as usize, order[[l, i]] as usize);
            data[[l, a]] < data[[l, b]] || (data[[l, a]] == data[[l, b]] && a < b)
        }));
    }
}
