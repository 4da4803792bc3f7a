// Shared by the cargo-fuzz target `gather` and by tests/fuzz_corpus.rs.
//
// Decodes bytes into a small array (1 to 3 axes, irregular chunks, in memory or
// computed), an operation (take, vindex with one or two indexers, mask) and its
// indexer (any values, out of bounds included), and checks ndchunk's result
// against a naive reference: equal values, or an Err exactly when an index is
// out of bounds.

use ndarray::{ArrayD, Axis, IxDyn};

include!("bytes.rs");

fn wrap(i: i64, n: usize) -> Option<usize> {
    let w = if i < 0 { i + n as i64 } else { i };
    (0..n as i64).contains(&w).then_some(w as usize)
}

/// Checks one input; panics (the fuzzer's signal) on any disagreement.
pub fn check(data: &[u8]) {
    let mut b = Bytes(data.iter());
    let ndim = 1 + b.next(3);
    let shape: Vec<usize> = (0..ndim).map(|_| b.next(6)).collect();
    let chunks: Vec<Vec<usize>> = shape.iter().map(|&n| chunks_for(&mut b, n, n)).collect();
    let size: usize = shape.iter().product();
    let a = ArrayD::from_shape_vec(IxDyn(&shape), (0..size as i64).collect()).expect("shape");
    let x = ndchunk::from_array(a.clone(), chunks).expect("valid chunks");
    let x = if b.next(2) == 1 { x.mapv(|v| v) } else { x };
    let n0 = shape[0];
    let count = b.next(9);
    let idx: Vec<i64> = (0..count).map(|_| b.signed(n0 as i64 + 1)).collect();
    let wrapped: Option<Vec<usize>> = idx.iter().map(|&i| wrap(i, n0)).collect();

    match b.next(3) {
        0 => {
            // take along axis 0 (reference: rows in the given order).
            let got = x.take(&idx, Axis(0));
            match wrapped {
                None => assert!(got.is_err(), "out-of-bounds take {idx:?} on {shape:?} succeeded"),
                Some(rows) => {
                    let want = a.select(Axis(0), &rows);
                    assert_eq!(got.expect("take").compute().expect("compute"), want, "take {idx:?} on {shape:?}");
                }
            }
        }
        1 if ndim >= 2 => {
            // vindex with two indexers of the same length.
            let n1 = shape[1];
            let second: Vec<i64> = (0..count).map(|_| b.signed(n1 as i64 + 1)).collect();
            let w2: Option<Vec<usize>> = second.iter().map(|&i| wrap(i, n1)).collect();
            let got = x.vindex(&[ndarray::Array1::from(idx.clone()), ndarray::Array1::from(second.clone())]);
            match (wrapped, w2) {
                (Some(r), Some(c)) => {
                    let got = got.expect("vindex").compute().expect("compute");
                    for (k, (&i, &j)) in r.iter().zip(&c).enumerate() {
                        let want = a.index_axis(Axis(0), i).index_axis(Axis(0), j).to_owned();
                        assert_eq!(got.index_axis(Axis(0), k).to_owned(), want, "vindex point {k}");
                    }
                }
                _ => assert!(got.is_err(), "out-of-bounds vindex succeeded"),
            }
        }
        _ => {
            // mask along axis 0 from the index bytes' parity.
            let keep: Vec<bool> = (0..n0).map(|i| idx.get(i).is_some_and(|v| v % 2 == 0)).collect();
            let rows: Vec<usize> = (0..n0).filter(|&i| keep[i]).collect();
            let got = x.mask(&keep[..], Axis(0)).expect("mask").compute().expect("compute");
            assert_eq!(got, a.select(Axis(0), &rows), "mask {keep:?}");
        }
    }
}
