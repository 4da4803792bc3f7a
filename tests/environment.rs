//! `NDCHUNK_CHUNK_SIZE` and `NDCHUNK_MEMORY_LIMIT`. Environment variables are
//! process-global, so this test binary holds exactly one test and nothing else
//! races with it.

use ndchunk::config::MEMORY_LIMIT_ENV;
use ndchunk::config::{CHUNK_SIZE_ENV, DEFAULT_CHUNK_BYTES};
use ndchunk::{AxisChunks, ChunkSpec, DType, Error, Executor};

#[test]
fn environment_variables() {
    // Unset: 128 MiB chunks.
    std::env::remove_var(CHUNK_SIZE_ENV);
    let c = ChunkSpec::Auto
        .resolve(&[10_000, 10_000], DType::F64)
        .unwrap();
    let bytes = c.max_block_len() as u64 * 8;
    assert!(
        bytes <= DEFAULT_CHUNK_BYTES && bytes > DEFAULT_CHUNK_BYTES / 2,
        "{c}"
    );

    // A small size, in several spellings.
    for (value, budget) in [
        ("1KiB", 1024u64),
        ("1kB", 1000),
        ("4096", 4096),
        (" 2 KiB ", 2048),
    ] {
        std::env::set_var(CHUNK_SIZE_ENV, value);
        let c = ChunkSpec::Auto.resolve(&[1000, 1000], DType::F64).unwrap();
        let bytes = c.max_block_len() as u64 * 8;
        assert!(bytes <= budget && bytes > budget / 2, "{value}: {c}");
        let x = ndchunk::zeros::<f32>(&[100, 100], ChunkSpec::Auto).unwrap();
        assert!(x.chunks().max_block_len() as u64 * 4 <= budget, "{value}");
        assert_eq!(x.sum().unwrap().compute().unwrap()[[]], 0.0);
    }
    std::env::set_var(CHUNK_SIZE_ENV, "1KiB");
    let c = ChunkSpec::PerAxis(vec![AxisChunks::Whole, AxisChunks::Auto])
        .resolve(&[4, 1000], DType::U8)
        .unwrap();
    assert_eq!(c.lens(0), &[4]);
    assert_eq!(c.lens(1)[0], 256);
    // AutoBytes ignores the variable.
    let c = ChunkSpec::AutoBytes(64)
        .resolve(&[1000], DType::U8)
        .unwrap();
    assert_eq!(c.lens(0)[0], 64);

    // A value that cannot be parsed is an error naming it, for Auto only.
    std::env::set_var(CHUNK_SIZE_ENV, "lots");
    let e = ChunkSpec::Auto.resolve(&[10], DType::U8).unwrap_err();
    match &e {
        Error::Environment { name, value, .. } => {
            assert_eq!(name, CHUNK_SIZE_ENV);
            assert_eq!(value, "lots");
        }
        other => panic!("expected an environment error, got {other:?}"),
    }
    assert!(
        e.to_string().contains("lots") && e.to_string().contains(CHUNK_SIZE_ENV),
        "{e}"
    );
    assert!(ndchunk::from_array(ndarray::Array1::<u8>::zeros(5), ChunkSpec::Auto).is_err());
    assert!(ChunkSpec::from([2]).resolve(&[10], DType::U8).is_ok());
    std::env::set_var(CHUNK_SIZE_ENV, "0");
    assert!(ChunkSpec::Auto.resolve(&[10], DType::U8).is_err());
    std::env::remove_var(CHUNK_SIZE_ENV);
    assert!(ChunkSpec::Auto.resolve(&[10], DType::U8).is_ok());

    // The default executor's memory limit.
    let x = ndchunk::zeros::<f64>(&[1000], [1000]).unwrap();
    std::env::set_var(MEMORY_LIMIT_ENV, "1kB");
    match x.compute() {
        Err(Error::MemoryLimit {
            needed: 8000,
            limit: 1000,
            ..
        }) => {}
        other => panic!("expected a memory limit error, got {other:?}"),
    }
    // An explicit limit wins over the variable.
    let ok = x
        .compute_with(&Executor::local().memory_limit(8000))
        .unwrap();
    assert_eq!(ok.len(), 1000);
    std::env::set_var(MEMORY_LIMIT_ENV, "much");
    let e = x.compute().unwrap_err();
    assert!(matches!(e, Error::Environment { .. }), "{e}");
    assert!(e.to_string().contains("much"), "{e}");
    std::env::remove_var(MEMORY_LIMIT_ENV);
    assert!(x.compute().is_ok());
}
