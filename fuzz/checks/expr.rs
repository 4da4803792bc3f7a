// Shared by the cargo-fuzz target `expr` and by tests/fuzz_corpus.rs.
//
// Decodes bytes into a random expression DAG over one small array with
// irregular chunks down to size-1 blocks: up to 8 steps, each taking earlier
// arrays (any of them, so arrays are reused) through add, sub, mul, scaling,
// flip, take (indices negative, repeated or out of bounds), a sum over an axis,
// insert_axis, or a rechunk. Every array of the DAG is built and the last is
// planned and computed, then checked against the same steps on plain ndarray:
// equal values (to rounding), or an Err exactly where the reference fails
// (shapes that do not broadcast, an index out of bounds).

use ndarray::{ArrayD, Axis, IxDyn};

include!("bytes.rs");

/// NumPy's broadcast shape, or None.
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], i: usize| if i < n - s.len() { 1 } else { s[i - (n - s.len())] };
    (0..n)
        .map(|i| match (get(a, i), get(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// One array of the DAG: the lazy one and its reference (None where the
/// reference says building it is an error).
type Entry = (ndchunk::Array<f64>, Option<ArrayD<f64>>);

fn binary(
    a: &Entry,
    b: &Entry,
    lazy: impl Fn(&ndchunk::Array<f64>, &ndchunk::Array<f64>) -> ndchunk::Array<f64>,
    eager: impl Fn(f64, f64) -> f64,
) -> Entry {
    let want = match (&a.1, &b.1) {
        (Some(x), Some(y)) => broadcast(x.shape(), y.shape()).map(|s| {
            let (x, y) = (x.broadcast(IxDyn(&s)).unwrap(), y.broadcast(IxDyn(&s)).unwrap());
            ndarray::Zip::from(&x).and(&y).map_collect(|&p, &q| eager(p, q))
        }),
        _ => None,
    };
    (lazy(&a.0, &b.0), want)
}

/// Checks one input; panics (the fuzzer's signal) on any disagreement.
pub fn check(data: &[u8]) {
    let mut b = Bytes(data.iter());
    let ndim = 1 + b.next(2);
    let shape: Vec<usize> = (0..ndim).map(|_| b.next(6)).collect();
    let chunks: Vec<Vec<usize>> = shape.iter().map(|&n| chunks_for(&mut b, n, 3)).collect();
    let size: usize = shape.iter().product();
    let values = (0..size).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
    let a = ArrayD::from_shape_vec(IxDyn(&shape), values).expect("shape");
    let x = ndchunk::from_array(a.clone(), chunks).expect("valid chunks");
    // Computed (a user map) or in memory.
    let x = if b.next(2) == 1 { x.mapv(|v| v) } else { x };
    let mut dag: Vec<Entry> = vec![(x, Some(a))];
    let steps = 1 + b.next(8);
    for _ in 0..steps {
        let pick = |b: &mut Bytes, n: usize| b.next(n);
        let i = pick(&mut b, dag.len());
        let j = pick(&mut b, dag.len());
        let (p, q) = (&dag[i], &dag[j]);
        let entry: Entry = match b.next(9) {
            0 => binary(p, q, |x, y| x + y, |u, v| u + v),
            1 => binary(p, q, |x, y| x - y, |u, v| u - v),
            2 => binary(p, q, |x, y| x * y, |u, v| u * v),
            3 => (&p.0 * 0.5 + 1.0, p.1.as_ref().map(|r| r.mapv(|v| v * 0.5 + 1.0))),
            4..=7 => {
                let nd = p.0.ndim();
                if nd == 0 {
                    continue;
                }
                let axis = b.next(nd);
                match b.next(4) {
                    0 => {
                        let want = p.1.as_ref().map(|r| {
                            let mut r = r.clone();
                            r.invert_axis(Axis(axis));
                            r
                        });
                        match p.0.flip(Axis(axis)) {
                            Ok(y) => (y, want),
                            Err(_) if p.1.is_none() => continue,
                            Err(e) => panic!("flip failed: {e}"),
                        }
                    }
                    1 => {
                        let len = p.0.shape()[axis];
                        let idx: Vec<i64> =
                            (0..b.next(5)).map(|_| b.signed(len as i64)).collect();
                        let wrapped: Option<Vec<usize>> = idx
                            .iter()
                            .map(|&i| {
                                let w = if i < 0 { i + len as i64 } else { i };
                                (0..len as i64).contains(&w).then_some(w as usize)
                            })
                            .collect();
                        let want = match (&p.1, wrapped) {
                            (Some(r), Some(w)) => Some(r.select(Axis(axis), &w)),
                            _ => None,
                        };
                        match (p.0.take(&idx[..], Axis(axis)), &want) {
                            (Ok(y), _) => (y, want),
                            // An out-of-bounds index (or a bad input) is an Err.
                            (Err(_), None) => continue,
                            (Err(e), Some(_)) => panic!("take {idx:?} failed: {e}"),
                        }
                    }
                    2 => match p.0.sum_axis(Axis(axis)) {
                        Ok(y) => (y, p.1.as_ref().map(|r| r.sum_axis(Axis(axis)))),
                        Err(_) if p.1.is_none() => continue,
                        Err(e) => panic!("sum_axis failed: {e}"),
                    },
                    _ => match p.0.insert_axis(Axis(axis)) {
                        Ok(y) => (y, p.1.as_ref().map(|r| r.clone().insert_axis(Axis(axis)))),
                        Err(_) if p.1.is_none() => continue,
                        Err(e) => panic!("insert_axis failed: {e}"),
                    },
                }
            }
            _ => {
                let lens: Vec<Vec<usize>> =
                    p.0.shape().iter().map(|&n| chunks_for(&mut b, n, 3)).collect();
                match p.0.rechunk(lens) {
                    Ok(y) => (y, p.1.clone()),
                    Err(_) if p.1.is_none() => continue,
                    Err(e) => panic!("rechunk failed: {e}"),
                }
            }
        };
        dag.push(entry);
    }
    let (last, want) = dag.last().expect("at least the input");
    match (last.compute(), want) {
        (Ok(got), Some(want)) => {
            assert_eq!(got.shape(), want.shape(), "shapes");
            for (g, w) in got.iter().zip(want.iter()) {
                let close = g == w
                    || (g.is_nan() && w.is_nan())
                    || (g - w).abs() <= 1e-9 * w.abs().max(1.0);
                assert!(close, "got {g}, want {w}\n{got}\n{want}");
            }
        }
        (Err(_), None) => {}
        (Ok(got), None) => panic!("computed {got} where the reference fails"),
        (Err(e), Some(_)) => panic!("failed where the reference succeeds: {e}"),
    }
}
