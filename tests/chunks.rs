//! `Chunks` and `ChunkSpec` against naive references: validation, locate, block
//! geometry, chunk specs with -1 and explicit lengths, auto chunking with a byte
//! budget, byte-size parsing, and rechunking.

mod common;

use common::*;
use ndchunk::config::parse_bytes;
use ndchunk::{AxisChunks, ChunkSpec, Chunks, DType, Error};
use proptest::prelude::*;

/// Per-axis lengths that may contain zeros (to exercise validation).
fn raw_lens() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(
        prop::collection::vec(prop_oneof![1 => Just(0usize), 5 => 1usize..5], 0..5),
        0..4,
    )
}

fn valid_lens() -> impl Strategy<Value = Vec<Vec<usize>>> {
    shape(4).prop_flat_map(|s| chunking(&s))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn validation(lens in raw_lens()) {
        let valid = lens.iter().all(|l| l.is_empty() || l == &[0] || l.iter().all(|&c| c > 0));
        match Chunks::new(lens.clone()) {
            Ok(c) => {
                prop_assert!(valid, "accepted {:?}", lens);
                let shape: Vec<usize> = lens.iter().map(|l| l.iter().sum()).collect();
                prop_assert_eq!(c.shape(), shape.clone());
                prop_assert_eq!(c.ndim(), lens.len());
                prop_assert!(Chunks::for_shape(&shape, lens.clone()).is_ok());
                for axis in 0..shape.len() {
                    let mut wrong = shape.clone();
                    wrong[axis] += 1;
                    let e = Chunks::for_shape(&wrong, lens.clone()).unwrap_err();
                    prop_assert!(matches!(e, Error::InvalidChunks(_)), "{}", e);
                    let msg = e.to_string();
                    prop_assert!(msg.contains(&format!("axis {axis}")) && msg.contains(&format!("length {}", wrong[axis])), "{}", msg);
                }
                let mut extra = shape.clone();
                extra.push(1);
                prop_assert!(Chunks::for_shape(&extra, lens.clone()).is_err());
            }
            Err(e) => {
                prop_assert!(!valid, "rejected {:?}: {}", lens, e);
                prop_assert!(e.to_string().contains("chunk length 0"), "{}", e);
            }
        }
    }

    #[test]
    fn geometry_matches_naive(lens in valid_lens()) {
        let c = Chunks::new(lens.clone()).unwrap();
        let shape = c.shape();
        prop_assert_eq!(c.numblocks(), lens.iter().map(Vec::len).collect::<Vec<_>>());
        prop_assert_eq!(c.nblocks(), lens.iter().map(Vec::len).product::<usize>());
        prop_assert_eq!(c.all_lens(), &lens[..]);
        let max_block: usize = lens.iter().map(|l| *l.iter().max().unwrap()).product();
        prop_assert_eq!(c.max_block_len(), max_block);
        for (axis, l) in lens.iter().enumerate() {
            prop_assert_eq!(c.lens(axis), &l[..]);
            let mut offsets = vec![0];
            for &x in l {
                offsets.push(offsets.last().unwrap() + x);
            }
            prop_assert_eq!(c.offsets(axis), &offsets[..]);
            for i in 0..shape[axis] {
                prop_assert_eq!(c.locate(axis, i).unwrap(), block_of(l, i));
            }
            let e = c.locate(axis, shape[axis]).unwrap_err();
            prop_assert!(matches!(e, Error::IndexOutOfBounds { .. }), "{}", e);
            prop_assert!(e.to_string().contains(&format!("index {}", shape[axis])), "{}", e);
        }
        let e = c.locate(lens.len(), 0).unwrap_err();
        prop_assert!(matches!(e, Error::AxisOutOfBounds { .. }), "{}", e);
        let all: Vec<Vec<usize>> = c.block_indices().collect();
        prop_assert_eq!(all.len(), c.nblocks());
        let mut covered = 0usize;
        for (linear, block) in all.iter().enumerate() {
            prop_assert_eq!(c.ravel(block), linear);
            prop_assert_eq!(&c.unravel(linear), block);
            let bshape = c.block_shape(block);
            let boff = c.block_offset(block);
            let ranges = c.block_ranges(block);
            for axis in 0..lens.len() {
                prop_assert_eq!(bshape[axis], lens[axis][block[axis]]);
                prop_assert_eq!(boff[axis], lens[axis][..block[axis]].iter().sum::<usize>());
                prop_assert_eq!(ranges[axis].clone(), boff[axis]..boff[axis] + bshape[axis]);
            }
            covered += bshape.iter().product::<usize>();
        }
        prop_assert_eq!(covered, shape.iter().product::<usize>());
        // C order: the last axis varies fastest.
        if all.len() > 1 && !lens.is_empty() {
            let last = lens.len() - 1;
            if lens[last].len() > 1 {
                prop_assert_eq!(all[1][last], 1);
            }
        }
    }

    #[test]
    fn regular_chunks(s in shape(4), chunk in prop::collection::vec(1usize..5, 4)) {
        let chunk = &chunk[..s.len()];
        let c = Chunks::regular(&s, chunk).unwrap();
        for (axis, (&n, &k)) in s.iter().zip(chunk).enumerate() {
            let mut want = vec![k; n / k];
            if n % k != 0 {
                want.push(n % k);
            }
            if n == 0 {
                want = vec![0];
            }
            prop_assert_eq!(c.lens(axis), &want[..]);
        }
        // The same through ChunkSpec, with i32 and usize entries, and -1.
        let as_i32: Vec<i32> = chunk.iter().map(|&k| k as i32).collect();
        prop_assert_eq!(ChunkSpec::from(as_i32).resolve(&s, DType::F64).unwrap(), c.clone());
        prop_assert_eq!(ChunkSpec::from(chunk.to_vec()).resolve(&s, DType::F64).unwrap(), c.clone());
        let whole = ChunkSpec::from(vec![-1i64; s.len()]).resolve(&s, DType::U8).unwrap();
        prop_assert_eq!(whole, Chunks::single(&s));
        if !s.is_empty() {
            let mut zero = chunk.to_vec();
            zero[0] = 0;
            let e = Chunks::regular(&s, &zero).unwrap_err();
            prop_assert!(e.to_string().contains("chunk length 0"), "{}", e);
            prop_assert!(ChunkSpec::from(zero).resolve(&s, DType::U8).is_err());
        }
        prop_assert!(Chunks::regular(&s, &[1, 1, 1, 1, 1]).is_err());
    }

    #[test]
    fn explicit_lengths_are_checked((s, lens) in shape(4).prop_flat_map(|s| (Just(s.clone()), chunking(&s)))) {
        let c = ChunkSpec::from(lens.clone()).resolve(&s, DType::I32).unwrap();
        prop_assert_eq!(c.all_lens(), &lens[..]);
        let exact = ChunkSpec::from(Chunks::new(lens.clone()).unwrap());
        prop_assert_eq!(exact.resolve(&s, DType::I32).unwrap(), c.clone());
        let by_ref = ChunkSpec::from(&c);
        prop_assert_eq!(by_ref.resolve(&s, DType::I32).unwrap(), c.clone());
        if let Some(axis) = s.iter().position(|&n| n > 0) {
            let mut bad = lens.clone();
            bad[axis].push(1);
            let e = ChunkSpec::from(bad.clone()).resolve(&s, DType::I32).unwrap_err();
            prop_assert!(e.to_string().contains(&format!("sum to {}", s[axis] + 1)), "{}", e);
            let e = ChunkSpec::from(Chunks::new(bad).unwrap()).resolve(&s, DType::I32).unwrap_err();
            prop_assert!(matches!(e, Error::InvalidChunks(_)), "{}", e);
        }
    }

    #[test]
    fn auto_chunks_respect_the_budget(s in prop::collection::vec(prop_oneof![Just(0usize), 1usize..3000], 0..4), bytes in 1u64..100_000, dt in prop::sample::select(DType::ALL.to_vec())) {
        let c = ChunkSpec::AutoBytes(bytes).resolve(&s, dt).unwrap();
        prop_assert_eq!(c.shape(), s.clone());
        for axis in 0..s.len() {
            let l = c.lens(axis);
            prop_assert!(l.iter().all(|&k| k > 0) || l == [0]);
            // Regular: all chunks but the last of equal length.
            prop_assert!(l[..l.len() - 1].iter().all(|&k| k == l[0]));
        }
        let block_bytes = c.max_block_len() as u64 * dt.size() as u64;
        prop_assert!(block_bytes <= bytes.max(dt.size() as u64), "{} > {} for {:?} {}", block_bytes, bytes, s, c);
        // Mixed: fixed axes first, the Auto axes share the rest.
        if s.len() >= 2 {
            let mut axes = vec![AxisChunks::Auto; s.len()];
            axes[0] = AxisChunks::Len(2);
            axes[1] = AxisChunks::Whole;
            let c = ChunkSpec::PerAxis(axes).resolve(&s, dt).unwrap();
            prop_assert_eq!(c.shape(), s.clone());
            prop_assert_eq!(c.lens(1), &[s[1]][..]);
            prop_assert!(c.lens(0)[0] == 2 || s[0] < 2);
        }
    }

    #[test]
    fn rechunking_keeps_values(
        ((a, c1), c2, c3) in shape(4).prop_flat_map(|s| (array_of(s.clone(), i32::arb()), chunking(&s), chunking(&s))),
        threads in 1usize..3,
    ) {
        let ex = ndchunk::Executor::local().threads(threads).progress(false);
        let x = ndchunk::from_array(a.clone(), c1.clone()).unwrap();
        let y = x.rechunk(c2.clone()).unwrap();
        prop_assert_eq!(y.chunks().all_lens(), &c2[..]);
        prop_assert_eq!(y.compute_with(&ex).unwrap(), a.clone());
        // Rechunking a computed (non in-memory) array goes through a rechunk stage.
        let e = (&x * 2).rechunk(c2.clone()).unwrap().rechunk(c3.clone()).unwrap();
        prop_assert_eq!(e.chunks().all_lens(), &c3[..]);
        prop_assert_eq!(e.compute_with(&ex).unwrap(), a.mapv(|v| v.wrapping_mul(2)));
        let back = (&x + 1).rechunk(c3.clone()).unwrap() - 1;
        prop_assert_eq!(back.compute_with(&ex).unwrap(), a.clone());
        // Whole-axis and Auto specs.
        let whole = (&x * 1).rechunk(vec![-1i32; a.ndim()]).unwrap();
        prop_assert_eq!(whole.numblocks(), vec![1; a.ndim()]);
        prop_assert_eq!(whole.compute_with(&ex).unwrap(), a.clone());
        let auto = (&x * 1).rechunk(ChunkSpec::AutoBytes(16)).unwrap();
        prop_assert!(auto.chunks().max_block_len() <= 4);
        prop_assert_eq!(auto.compute_with(&ex).unwrap(), a.clone());
        // Rechunked reductions.
        if a.ndim() >= 1 {
            let s = x.sum_axis(ndarray::Axis(0)).unwrap();
            let rc = vec![-1i32; s.ndim()];
            let got = s.rechunk(rc).unwrap().compute_with(&ex).unwrap();
            prop_assert_eq!(got, a.mapv(|v| v as i64).sum_axis(ndarray::Axis(0)));
        }
    }
}

#[test]
fn parse_bytes_units() {
    let cases: &[(&str, u64)] = &[
        ("4096", 4096),
        ("1", 1),
        ("1b", 1),
        ("10B", 10),
        ("1kB", 1000),
        ("1k", 1000),
        ("1KB", 1000),
        ("100 kB", 100_000),
        (" 2MB ", 2_000_000),
        ("1.5GB", 1_500_000_000),
        ("1TB", 1_000_000_000_000),
        ("1KiB", 1024),
        ("64MiB", 64 << 20),
        ("1.5GiB", 3 << 29),
        ("2TiB", 2 << 40),
        ("0.5kB", 500),
    ];
    for &(s, want) in cases {
        assert_eq!(parse_bytes(s), Ok(want), "{s}");
    }
    for bad in [
        "",
        "lots",
        "kB",
        "-5",
        "0",
        "0.1",
        "12 parsecs",
        "1e3",
        "1..2kB",
        "nan",
    ] {
        let e = parse_bytes(bad).unwrap_err();
        assert!(
            e.contains(&format!("{bad:?}")) || e.contains("unit"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn chunk_spec_messages_name_the_value() {
    let e = ChunkSpec::from([-2, 3])
        .resolve(&[4, 4], DType::U8)
        .unwrap_err();
    assert!(e.to_string().contains("-2"), "{e}");
    let e = ChunkSpec::from([0i64])
        .resolve(&[4], DType::U8)
        .unwrap_err();
    assert!(e.to_string().contains("chunk length 0"), "{e}");
    let e = ChunkSpec::from([2, 2])
        .resolve(&[4], DType::U8)
        .unwrap_err();
    assert!(e.to_string().contains("2 axes"), "{e}");
    let e = ChunkSpec::from(vec![vec![3, 0, 1]])
        .resolve(&[4], DType::U8)
        .unwrap_err();
    assert!(e.to_string().contains("[3, 0, 1]"), "{e}");
    let e = ChunkSpec::from(vec![vec![3, 2]])
        .resolve(&[4], DType::U8)
        .unwrap_err();
    assert!(e.to_string().contains("sum to 5"), "{e}");
    let c = Chunks::new(vec![vec![2, 2]]).unwrap();
    let e = ChunkSpec::from(c).resolve(&[5], DType::U8).unwrap_err();
    assert!(e.to_string().contains("[5]"), "{e}");
    // Through the array API.
    let x = ndchunk::zeros::<f32>(&[4, 4], [2, 2]).unwrap();
    let e = x.rechunk([-3, 2]).unwrap_err();
    assert!(e.to_string().contains("-3"), "{e}");
    let e = ndchunk::from_array(ndarray::Array1::<u8>::zeros(3), vec![vec![1, 1]]).unwrap_err();
    assert!(e.to_string().contains("sum to 2"), "{e}");
}

#[test]
fn chunks_display() {
    let c = Chunks::new(vec![vec![4, 4, 2], vec![3], vec![2, 1], vec![0]]).unwrap();
    let text = c.to_string();
    assert!(text.contains("2x4+2"), "{text}");
    assert!(text.contains("(2, 1)"), "{text}");
}

#[test]
fn empty_axes_have_one_empty_chunk() {
    let c = Chunks::new(vec![vec![], vec![0], vec![2]]).unwrap();
    assert_eq!(c.shape(), vec![0, 0, 2]);
    assert_eq!(c.lens(0), &[0]);
    assert_eq!(c.numblocks(), vec![1, 1, 1]);
    let r = Chunks::regular(&[0, 5], &[3, 2]).unwrap();
    assert_eq!(r.lens(0), &[0]);
    let a = ChunkSpec::AutoBytes(64)
        .resolve(&[0, 100], DType::F64)
        .unwrap();
    assert_eq!(a.lens(0), &[0]);
    assert!(a.lens(1).iter().all(|&k| k > 0));
    assert_eq!(Chunks::new(vec![]).unwrap().nblocks(), 1);
}
