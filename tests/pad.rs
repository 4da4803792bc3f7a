//! `pad` in every mode against NumPy's `np.pad` (expected values computed with
//! NumPy 2 and pasted here: widths larger than the axis included), over in-memory
//! and computed inputs cut into irregular chunks; and the shape of its plan: one
//! region stage whose interior tasks pass the input blocks through and whose
//! constant tasks read nothing.

mod common;

use common::computed;
use ndarray::{ArrayD, IxDyn};
use ndchunk::{Array, PadMode};

/// `np.arange(12).reshape(3, 4)`, in memory and computed, in several chunkings.
fn inputs() -> Vec<Array<i64>> {
    let a = ArrayD::from_shape_vec(IxDyn(&[3, 4]), (0..12).collect()).unwrap();
    let mut out = Vec::new();
    for chunks in [
        vec![vec![3], vec![4]],
        vec![vec![1, 2], vec![3, 1]],
        vec![vec![1, 1, 1], vec![1, 1, 1, 1]],
    ] {
        out.push(ndchunk::from_array(a.clone(), chunks.clone()).unwrap());
        out.push(computed(&a, &chunks));
    }
    out
}

fn padded(x: &Array<i64>, widths: &[(usize, usize)], mode: PadMode<i64>) -> Vec<i64> {
    let y = x.pad(widths, mode).unwrap();
    y.compute().unwrap().iter().copied().collect()
}

#[test]
fn two_dimensional_modes_match_numpy() {
    // np.pad(np.arange(12).reshape(3, 4), ((4, 2), (1, 5)), mode=m).ravel()
    let cases: [(PadMode<i64>, [i64; 90]); 4] = [
        (
            PadMode::Reflect,
            [
                1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 5, 4, 5, 6, 7, 6, 5, 4, 5, 6, 9, 8, 9, 10, 11, 10, 9,
                8, 9, 10, 5, 4, 5, 6, 7, 6, 5, 4, 5, 6, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 5, 4, 5, 6,
                7, 6, 5, 4, 5, 6, 9, 8, 9, 10, 11, 10, 9, 8, 9, 10, 5, 4, 5, 6, 7, 6, 5, 4, 5, 6,
                1, 0, 1, 2, 3, 2, 1, 0, 1, 2,
            ],
        ),
        (
            PadMode::Symmetric,
            [
                8, 8, 9, 10, 11, 11, 10, 9, 8, 8, 8, 8, 9, 10, 11, 11, 10, 9, 8, 8, 4, 4, 5, 6, 7,
                7, 6, 5, 4, 4, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 4, 4, 5,
                6, 7, 7, 6, 5, 4, 4, 8, 8, 9, 10, 11, 11, 10, 9, 8, 8, 8, 8, 9, 10, 11, 11, 10, 9,
                8, 8, 4, 4, 5, 6, 7, 7, 6, 5, 4, 4,
            ],
        ),
        (
            PadMode::Wrap,
            [
                11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 7, 4, 5, 6, 7, 4,
                5, 6, 7, 4, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 7, 4,
                5, 6, 7, 4, 5, 6, 7, 4, 11, 8, 9, 10, 11, 8, 9, 10, 11, 8, 3, 0, 1, 2, 3, 0, 1, 2,
                3, 0, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4,
            ],
        ),
        (
            PadMode::Edge,
            [
                0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 0, 0, 1, 2, 3, 3, 3, 3,
                3, 3, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 4, 4, 5, 6, 7, 7,
                7, 7, 7, 7, 8, 8, 9, 10, 11, 11, 11, 11, 11, 11, 8, 8, 9, 10, 11, 11, 11, 11, 11,
                11, 8, 8, 9, 10, 11, 11, 11, 11, 11, 11,
            ],
        ),
    ];
    for x in inputs() {
        for (mode, want) in &cases {
            assert_eq!(
                padded(&x, &[(4, 2), (1, 5)], *mode),
                want,
                "{mode:?} of {}",
                x.chunks()
            );
        }
        let c = padded(&x, &[(1, 0), (0, 1)], PadMode::Constant(-1));
        assert_eq!(
            c,
            [-1, -1, -1, -1, -1, 0, 1, 2, 3, -1, 4, 5, 6, 7, -1, 8, 9, 10, 11, -1]
        );
    }
}

/// Axis length, widths, mode and NumPy's result.
type Case = (usize, (usize, usize), PadMode<i64>, &'static [i64]);

#[test]
fn short_axes_repeat_their_pattern_as_numpy_does() {
    // np.pad(np.arange(n), w, mode=m) for n = 1, 2, 3.
    let cases: [Case; 9] = [
        (1, (3, 2), PadMode::Reflect, &[0, 0, 0, 0, 0, 0]),
        (1, (3, 2), PadMode::Symmetric, &[0, 0, 0, 0, 0, 0]),
        (1, (3, 2), PadMode::Wrap, &[0, 0, 0, 0, 0, 0]),
        (
            2,
            (5, 4),
            PadMode::Reflect,
            &[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
        ),
        (
            2,
            (5, 4),
            PadMode::Symmetric,
            &[0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1],
        ),
        (2, (5, 4), PadMode::Wrap, &[1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),
        (
            3,
            (7, 8),
            PadMode::Reflect,
            &[1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2],
        ),
        (
            3,
            (7, 8),
            PadMode::Symmetric,
            &[0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 1],
        ),
        (
            3,
            (7, 8),
            PadMode::Wrap,
            &[2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1],
        ),
    ];
    for (n, w, mode, want) in cases {
        let a = ArrayD::from_shape_vec(IxDyn(&[n]), (0..n as i64).collect()).unwrap();
        for x in [
            ndchunk::from_array(a.clone(), [1]).unwrap(),
            computed(&a, &[vec![n]]),
        ] {
            assert_eq!(padded(&x, &[w], mode), want, "n = {n}, {w:?}, {mode:?}");
        }
    }
}

#[test]
fn empty_axes_take_constants_and_refuse_the_other_modes() {
    let x = ndchunk::zeros::<f32>(&[0, 3], [1, 3]).unwrap();
    let c = x.pad(&[(1, 1), (0, 0)], PadMode::Constant(2.0)).unwrap();
    assert_eq!(c.compute().unwrap(), ArrayD::from_elem(IxDyn(&[2, 3]), 2.0));
    for mode in [
        PadMode::Edge,
        PadMode::Reflect,
        PadMode::Symmetric,
        PadMode::Wrap,
    ] {
        let err = x.pad(&[(1, 0), (0, 0)], mode).unwrap_err().to_string();
        assert!(err.contains("axis 0") && err.contains("empty"), "{err}");
    }
    // Nothing to add along the empty axis: every mode is fine.
    let e = x.pad(&[(0, 0), (2, 1)], PadMode::Reflect).unwrap();
    assert_eq!(e.shape(), &[0, 6]);
    assert_eq!(e.compute().unwrap().len(), 0);
    let wrong = x.pad(&[(1, 1)], PadMode::Edge).unwrap_err().to_string();
    assert!(
        wrong.contains("1 pad widths") && wrong.contains("2 dimensions"),
        "{wrong}"
    );
}

#[test]
fn a_pad_is_one_region_stage_passing_interior_blocks_through() {
    let x = &ndchunk::arange::<f64>(0.0, 100.0, 1.0, [25]).unwrap() * 2.0;
    let y = x.pad(&[(10, 5)], PadMode::Constant(0.0)).unwrap();
    assert_eq!(y.chunks().lens(0), &[10, 25, 25, 25, 25, 5]);
    let plan = y.plan().unwrap();
    let pads: Vec<_> = plan
        .tasks
        .iter()
        .filter(|t| plan.stages[t.stage].kind.label() == "pad")
        .collect();
    assert_eq!(
        plan.stages
            .iter()
            .filter(|s| s.kind.label() == "pad")
            .count(),
        1
    );
    assert_eq!(pads.len(), 6);
    // The two constant blocks read nothing; the four interior ones read
    // their input block and pass it on (no working memory of their own).
    let reads: Vec<usize> = pads.iter().map(|t| t.deps.len()).collect();
    assert_eq!(reads, [0, 1, 1, 1, 1, 0]);
    assert!(pads[1..5].iter().all(|t| t.work_bytes == 0));
    assert!(y.explain().contains("[pad]"), "{}", y.explain());
    let got = y.compute().unwrap();
    assert_eq!(got.len(), 115);
    assert_eq!(got[[10]], 0.0);
    assert_eq!(got[[11]], 2.0);
    assert_eq!(got[[109]], 198.0);
    assert!(got
        .iter()
        .take(10)
        .chain(got.iter().skip(110))
        .all(|&v| v == 0.0));
}
