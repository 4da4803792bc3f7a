// Shared by the cargo-fuzz target `chunks_locate` and by tests/fuzz_corpus.rs,
// which replays fuzz/corpus/chunks_locate/* under plain `cargo test`.
//
// Decodes bytes into per-axis chunk lengths (zeros included, to exercise
// validation) and checks Chunks against a naive reference: validation, shape,
// locate, block shapes and offsets, ravel/unravel, and ChunkSpec resolution.

/// Checks one input; panics (the fuzzer's signal) on any disagreement.
pub fn check(data: &[u8]) {
    let mut bytes = data.iter().copied();
    let ndim = bytes.next().map(|b| (b % 4) as usize).unwrap_or(0);
    let mut lens: Vec<Vec<usize>> = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let count = bytes.next().map(|b| (b % 6) as usize).unwrap_or(0);
        lens.push((0..count).map(|_| bytes.next().map(|b| (b % 9) as usize).unwrap_or(1)).collect());
    }

    // Validation: a zero-length chunk is only allowed as the single chunk of an empty axis.
    let valid = lens.iter().all(|l| l.is_empty() || l == &[0] || l.iter().all(|&c| c > 0));
    let chunks = match ndchunk::Chunks::new(lens.clone()) {
        Ok(c) => {
            assert!(valid, "accepted invalid chunk lengths {lens:?}");
            c
        }
        Err(e) => {
            assert!(!valid, "rejected valid chunk lengths {lens:?}: {e}");
            return;
        }
    };

    let shape: Vec<usize> = lens.iter().map(|l| l.iter().sum()).collect();
    assert_eq!(chunks.shape(), shape);
    assert!(ndchunk::Chunks::for_shape(&shape, lens.clone()).is_ok());
    let mut wrong = shape.clone();
    if let Some(first) = wrong.first_mut() {
        *first += 1;
        assert!(ndchunk::Chunks::for_shape(&wrong, lens.clone()).is_err());
    }

    for (axis, l) in lens.iter().enumerate() {
        let n = shape[axis];
        for i in 0..n + 2 {
            let naive = naive_locate(l, i);
            match chunks.locate(axis, i) {
                Ok(found) => assert_eq!(Some(found), naive, "locate({axis}, {i}) in {l:?}"),
                Err(_) => assert!(naive.is_none(), "locate({axis}, {i}) failed in {l:?}"),
            }
        }
    }
    assert!(chunks.locate(ndim, 0).is_err());

    for linear in 0..chunks.nblocks() {
        let block = chunks.unravel(linear);
        assert_eq!(chunks.ravel(&block), linear);
        let offset = chunks.block_offset(&block);
        let bshape = chunks.block_shape(&block);
        for axis in 0..ndim {
            let expected_offset: usize = lens[axis].iter().take(block[axis]).sum();
            assert_eq!(offset[axis], expected_offset);
            assert_eq!(bshape[axis], chunks.lens(axis)[block[axis]]);
        }
    }

    // Regular chunking from a chunk shape derived from the bytes never panics and
    // always covers the shape.
    let chunk_shape: Vec<usize> = (0..ndim).map(|_| bytes.next().map(|b| (b % 5) as usize).unwrap_or(1)).collect();
    match ndchunk::Chunks::regular(&shape, &chunk_shape) {
        Ok(c) => assert_eq!(c.shape(), shape),
        Err(_) => assert!(chunk_shape.contains(&0)),
    }
    let signed: Vec<i64> = chunk_shape.iter().map(|&c| c as i64 - 1).collect();
    if let Ok(c) = ndchunk::ChunkSpec::from(signed).resolve(&shape, ndchunk::DType::F32) {
        assert_eq!(c.shape(), shape);
    }
}

fn naive_locate(lens: &[usize], i: usize) -> Option<(usize, usize)> {
    let mut start = 0;
    for (b, &l) in lens.iter().enumerate() {
        if i < start + l {
            return Some((b, i - start));
        }
        start += l;
    }
    None
}
