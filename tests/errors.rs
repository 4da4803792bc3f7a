//! User mistakes give `Err` values naming the offending value, never panics.

mod common;

use common::*;
use ndarray::{ArrayD, Axis, IxDyn};
use ndchunk::{Array, Error, ReduceOptions};
use proptest::prelude::*;

fn x2() -> Array<f64> {
    ndchunk::from_array(
        ndarray::Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as f64).into_dyn(),
        [3, 2],
    )
    .unwrap()
}

#[test]
fn out_of_bounds_axes() {
    let x = x2();
    let e = x.sum_axis(Axis(2)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::AxisOutOfBounds {
                axis: 2,
                ndim: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("axis 2") && e.to_string().contains("2 dimensions"),
        "{e}"
    );
    let e = x.mean_with(&ReduceOptions::new().axes(&[-3])).unwrap_err();
    assert!(matches!(e, Error::AxisOutOfBounds { axis: -3, .. }), "{e}");
    assert!(e.to_string().contains("-3"), "{e}");
    assert!(x.argmin_axis(Axis(7)).is_err());
    assert!(x.var_axis(Axis(9), 0).is_err());
    let z = ndchunk::from_array(ndarray::arr0(1.0f64).into_dyn(), Vec::<i32>::new()).unwrap();
    assert!(z.sum_axis(Axis(0)).is_err());
}

#[test]
fn repeated_axes() {
    let x = x2();
    let e = x
        .sum_with(&ReduceOptions::new().axes(&[0, -2]))
        .unwrap_err();
    assert!(matches!(e, Error::RepeatedAxis { axis: 0, .. }), "{e}");
    assert!(e.to_string().contains("axis 0"), "{e}");
    let e = x.max_with(&ReduceOptions::new().axes(&[1, 1])).unwrap_err();
    assert!(
        e.to_string().contains("axis 1") && e.to_string().contains("more than once"),
        "{e}"
    );
}

#[test]
fn argmin_takes_one_axis_or_none() {
    let x = x2();
    let e = x
        .argmin_with(&ReduceOptions::new().axes(&[0, 1]))
        .unwrap_err();
    assert!(e.to_string().contains("[0, 1]"), "{e}");
    assert!(x.argmax_with(&ReduceOptions::new().axes(&[])).is_err());
}

#[test]
fn split_every_below_two() {
    let x = x2();
    for s in [0, 1] {
        let e = x
            .sum_with(&ReduceOptions::new().split_every(s))
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
        assert!(e.to_string().contains(&format!("split_every {s}")), "{e}");
    }
    assert!(x.sum_with(&ReduceOptions::new().split_every(2)).is_ok());
}

#[test]
fn shapes_that_do_not_broadcast() {
    let a = ndchunk::zeros::<f32>(&[3, 4], [2, 2]).unwrap();
    let b = ndchunk::zeros::<f32>(&[5, 1], [2, 1]).unwrap();
    let c = &a + &b;
    let e = c.compute().unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("[3, 4]") && msg.contains("[5, 1]"), "{msg}");
    assert!(c.clone().checked().is_err());
    assert!(c.error().is_some());
    assert!(c.plan().is_err());
    assert!(c.persist().is_err());
    assert!(c.sum().is_err());
    assert!(c.rechunk([1, 1]).and_then(|r| r.compute()).is_err());
    // Errors survive further operations, both as left and right operand.
    assert!((&c * 2.0 + &a).compute().is_err());
    assert!((2.0 - &c).compute().is_err());
    assert!((&a - &c).checked().is_err());
    assert!(ndchunk::where_(&a.gt(0.0), &c, 0.0).compute().is_err());
    // A valid expression is Ok through checked().
    assert!((&a + &a).checked().is_ok());
    assert!((&a + &ndchunk::zeros::<f32>(&[4], [3]).unwrap())
        .checked()
        .is_ok());
}

proptest! {
    #![proptest_config(config(64))]

    /// Any pair of shapes: broadcasting works exactly when NumPy's does.
    #[test]
    fn broadcasting_agrees_with_numpy(sa in shape(3), sb in shape(3)) {
        let a = ndchunk::zeros::<i32>(&sa, ndchunk::ChunkSpec::AutoBytes(12)).unwrap();
        let b = ndchunk::ones::<i32>(&sb, ndchunk::ChunkSpec::AutoBytes(8)).unwrap();
        let sum = &a + &b;
        match np_broadcast(&sa, &sb) {
            Some(shape) => {
                prop_assert_eq!(sum.shape(), &shape[..]);
                let got = sum.compute().unwrap();
                prop_assert_eq!(got, ArrayD::from_elem(IxDyn(&shape), 1));
            }
            None => {
                let e = sum.checked().unwrap_err();
                prop_assert!(matches!(e, Error::ShapeMismatch { .. }), "{}", e);
            }
        }
    }
}

#[test]
fn from_fn_returning_a_wrong_shape() {
    let x = ndchunk::from_fn(&[5, 4], [2, 4], |block, shape| {
        if block[0] == 1 {
            ArrayD::<i64>::zeros(IxDyn(&[3]))
        } else {
            ArrayD::<i64>::zeros(IxDyn(shape))
        }
    })
    .unwrap();
    for result in [
        x.compute().map(|_| ()),
        x.sum().and_then(|s| s.compute()).map(|_| ()),
        (&x * 2).compute().map(|_| ()),
        x.rechunk([5, 1]).and_then(|r| r.compute()).map(|_| ()),
        x.persist().map(|_| ()),
    ] {
        match result {
            Err(Error::Task { task, source }) => {
                assert!(task.contains("[1, 0]"), "{task}");
                match *source {
                    Error::BlockShape {
                        ref block,
                        ref expected,
                        ref found,
                        ..
                    } => {
                        assert_eq!(block, &vec![1, 0]);
                        assert_eq!(expected, &vec![2, 4]);
                        assert_eq!(found, &vec![3]);
                        let msg = source.to_string();
                        assert!(msg.contains("[2, 4]") && msg.contains("[3]"), "{msg}");
                    }
                    ref other => panic!("expected BlockShape, got {other:?}"),
                }
            }
            other => panic!("expected a task error, got {other:?}"),
        }
    }
}

#[test]
fn map_blocks_returning_a_wrong_shape() {
    let x = ndchunk::arange::<i32>(0, 10, 1, [4]).unwrap();
    let y = x.map_blocks(|b| {
        b.iter()
            .map(|&v| v as u8)
            .collect::<ndarray::Array1<u8>>()
            .into_dyn()
            .slice_move(ndarray::s![..1])
            .into_dyn()
    });
    match y.compute() {
        Err(Error::Task { source, .. }) => {
            assert!(matches!(*source, Error::BlockShape { .. }), "{source}");
            let msg = source.to_string();
            assert!(msg.contains("[4]") && msg.contains("[1]"), "{msg}");
        }
        other => panic!("expected a task error, got {other:?}"),
    }
    assert!(y.sum().unwrap().compute().is_err());
    // A block with the right length but the wrong number of axes.
    let z = x.map_blocks(|b| {
        b.to_owned()
            .into_shape_with_order(IxDyn(&[1, b.len()]))
            .unwrap()
    });
    assert!(z.compute().is_err());
}

#[test]
fn empty_min_max() {
    let e = ndchunk::zeros::<i32>(&[0], [1]).unwrap();
    for r in [e.min(), e.max(), e.nanmin(), e.nanmax()] {
        let err = r.unwrap_err();
        assert!(matches!(err, Error::EmptyReduction { .. }), "{err}");
        assert!(err.to_string().contains("zero-size"), "{err}");
    }
    for r in [e.argmin(), e.argmax()] {
        assert!(matches!(r, Err(Error::EmptyReduction { .. })));
    }
    let m = ndchunk::zeros::<f64>(&[3, 0], [2, 1]).unwrap();
    let err = m.max_axis(Axis(1)).unwrap_err();
    assert!(err.to_string().contains("[3, 0]"), "{err}");
    assert_eq!(
        m.max_axis(Axis(0)).unwrap().compute().unwrap().shape(),
        &[0]
    );
}

#[test]
fn bad_chunk_specs() {
    let a = ndarray::Array2::<f32>::zeros((4, 6));
    let cases: Vec<(ndchunk::ChunkSpec, &str)> = vec![
        ([0, 2].into(), "chunk length 0"),
        ([-2, 2].into(), "-2"),
        ([2, -5].into(), "-5"),
        ([2].into(), "1 axes"),
        ([2, 2, 2].into(), "3 axes"),
        (vec![vec![2, 2], vec![6, 1]].into(), "sum to 7"),
        (vec![vec![4], vec![3, 0, 3]].into(), "[3, 0, 3]"),
        (vec![vec![4]].into(), "1 axes"),
    ];
    for (spec, needle) in cases {
        let e = ndchunk::from_array(a.clone(), spec.clone()).unwrap_err();
        assert!(matches!(e, Error::InvalidChunks(_)), "{spec:?}: {e}");
        assert!(e.to_string().contains(needle), "{spec:?}: {e}");
        let x = ndchunk::zeros::<f32>(&[4, 6], [2, 3]).unwrap();
        assert!(x.rechunk(spec.clone()).is_err(), "{spec:?}");
        assert!(ndchunk::random::uniform::<f32>(&[4, 6], spec, 0).is_err());
    }
    let e = ndchunk::Chunks::regular(&[4], &[0]).unwrap_err();
    assert!(e.to_string().contains("[0]"), "{e}");
}

#[test]
fn huge_shapes_do_not_panic() {
    // 2^80 elements do not fit in memory, let alone in usize: building such an
    // array must be an error or a lazy array, never an overflow panic.
    let big = 1usize << 40;
    match ndchunk::zeros::<f64>(&[big, big], [big, big]) {
        Err(e) => assert!(e.to_string().contains(&big.to_string()), "{e}"),
        Ok(x) => {
            let _ = (x.len(), x.nbytes(), x.numblocks());
            assert!(x.sum().and_then(|s| s.compute()).is_err());
        }
    }
    // Also when an empty axis comes last (the product overflows before the 0).
    let e = ndchunk::zeros::<u8>(&[1 << 62, 1 << 62, 0], [1, 1, 1]).unwrap_err();
    assert!(e.to_string().contains("4611686018427387904"), "{e}");
    assert!(ndchunk::zeros::<u8>(&[0, 1 << 40], [1usize, 1 << 40]).is_ok());
}

#[test]
fn huge_broadcasts_do_not_panic() {
    let big = 1usize << 40;
    let col = ndchunk::zeros::<u8>(&[big, 1], [1 << 20, 1]).unwrap();
    let row = ndchunk::zeros::<u8>(&[1, big], [1, 1 << 20]).unwrap();
    let sum = &col + &row;
    let _ = (sum.len(), sum.nbytes());
    let e = sum.checked().unwrap_err();
    assert!(e.to_string().contains(&big.to_string()), "{e}");
}
