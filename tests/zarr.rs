//! Zarr reading: arrays written by zarr-python (v2 and v3; zstd, blosc and no
//! compression; sharded; inside a group; with missing chunks) read by ndchunk
//! and compared value by value; errors for wrong dtypes, missing paths, bad
//! metadata and corrupt chunks; slices read only the chunks they touch;
//! zstd-compressed arrays of any shape and several dtypes read back equal
//! (whole chunks are decoded straight into their blocks).
//!
//! The fixtures are written by `tests/interop/write_zarr.py` with the project's
//! Python (`NDCHUNK_PYTHON`, else `.venv/bin/python`, made by `./setup.sh`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;
use common::{fresh_dir, npy_fixture, python_fixtures, run_interop_script};

use ndarray::{s, ArrayD};
use ndarray_npy::{ReadableElement, WriteNpyExt};
use ndchunk::{Element, Error};

/// The fixture directory, written once per test run.
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    python_fixtures(&DIR, "write_zarr.py", "zarr_fixtures")
}

/// A copy of fixture `rel` in a fresh directory named `name`, to damage.
fn scratch_copy(rel: &str, name: &str) -> PathBuf {
    let dest = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dest);
    copy_dir(&fixtures().join(rel), &dest);
    dest
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn expected<T: ReadableElement>(name: &str) -> ArrayD<T> {
    npy_fixture(fixtures(), name)
}

/// Reads fixture `name` as stored and with other blocks, and compares.
fn check<T: Element + ReadableElement + PartialEq + std::fmt::Debug>(name: &str, rel: &str) {
    let want = expected::<T>(name);
    let path = fixtures().join(rel);
    let x = ndchunk::from_zarr::<T>(&path).unwrap();
    assert_eq!(x.shape(), want.shape(), "{name}");
    assert_eq!(x.compute().unwrap(), want, "{name}");
    let whole = vec![-1i64; want.ndim()];
    let y = ndchunk::from_zarr_with::<T>(&path, whole).unwrap();
    assert_eq!(y.numblocks(), vec![1; want.ndim()], "{name}");
    assert_eq!(y.compute().unwrap(), want, "{name}");
}

#[test]
fn arrays_written_by_zarr_python_read_back_equal() {
    check::<f32>("v3_zstd_f32", "v3_zstd_f32.zarr");
    check::<i16>("v3_blosc_i16", "v3_blosc_i16.zarr");
    check::<u64>("v3_none_u64", "v3_none_u64.zarr");
    check::<bool>("v3_zstd_bool", "v3_zstd_bool.zarr");
    check::<f64>("v3_sharded_f64", "v3_sharded_f64.zarr");
    check::<f64>("v2_zstd_f64", "v2_zstd_f64.zarr");
    check::<u8>("v2_blosc_u8", "v2_blosc_u8.zarr");
    check::<i32>("v2_none_i32", "v2_none_i32.zarr");
    check::<i64>("grouped_i64", "grouped.zarr/inner/arr");
    // Only the first row of chunks was written: the rest is the fill value.
    check::<f32>("sparse_f32", "sparse.zarr");
}

#[test]
fn blocks_follow_the_stored_chunks() {
    let x = ndchunk::from_zarr::<f32>(fixtures().join("v3_zstd_f32.zarr")).unwrap();
    assert_eq!(x.chunks().lens(0), &[10, 10, 10, 7]);
    assert_eq!(x.chunks().lens(1), &[7, 7, 7, 2]);
    // A sharded array's blocks are its shards.
    let s = ndchunk::from_zarr::<f64>(fixtures().join("v3_sharded_f64.zarr")).unwrap();
    assert_eq!(s.numblocks(), vec![2, 2]);
    // Asked-for blocks are rounded up to whole stored chunks.
    let w = ndchunk::from_zarr_with::<f32>(fixtures().join("v3_zstd_f32.zarr"), [15, 7]).unwrap();
    assert_eq!(w.chunks().lens(0), &[20, 17]);
    assert_eq!(w.chunks().lens(1), &[7, 7, 7, 2]);
    assert_eq!(w.compute().unwrap(), expected::<f32>("v3_zstd_f32"));
}

#[test]
fn lazy_operations_on_a_zarr_source_match_numpy_values() {
    let want = expected::<f64>("v3_sharded_f64");
    let x = ndchunk::from_zarr::<f64>(fixtures().join("v3_sharded_f64.zarr")).unwrap();
    let got = x.slice(s![3..31;2, ..;-3]).unwrap().compute().unwrap();
    assert_eq!(got, want.slice(s![3..31;2, ..;-3]).into_dyn().to_owned());
    let mean = x.mean_axis(ndarray::Axis(0)).unwrap().compute().unwrap();
    let want_mean = want.mean_axis(ndarray::Axis(0)).unwrap();
    for (a, b) in mean.iter().zip(want_mean.iter()) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} {b}");
    }
    let rows = x
        .take(&[39, 0, 17, 17], ndarray::Axis(0))
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(rows, want.select(ndarray::Axis(0), &[39, 0, 17, 17]));
}

#[test]
fn wrong_dtype_missing_path_and_bad_metadata_are_errors() {
    let e = ndchunk::from_zarr::<f64>(fixtures().join("v3_zstd_f32.zarr")).unwrap_err();
    assert!(
        matches!(&e, Error::DtypeMismatch { expected, found, .. } if expected == "float64" && found.contains("float32")),
        "{e}"
    );
    let e = ndchunk::from_zarr::<u8>(fixtures().join("v2_zstd_f64.zarr")).unwrap_err();
    assert!(matches!(e, Error::DtypeMismatch { .. }), "{e}");

    let missing = fixtures().join("no_such.zarr");
    let e = ndchunk::from_zarr::<f32>(&missing).unwrap_err();
    assert!(
        matches!(&e, Error::Storage { path, .. } if path.ends_with("no_such.zarr")),
        "{e}"
    );
    // A group is not an array.
    assert!(ndchunk::from_zarr::<i64>(fixtures().join("grouped.zarr")).is_err());

    let bad = scratch_copy("v3_zstd_f32.zarr", "bad_metadata.zarr");
    fs::write(bad.join("zarr.json"), b"{ not json").unwrap();
    let e = ndchunk::from_zarr::<f32>(&bad).unwrap_err();
    assert!(matches!(&e, Error::Storage { .. }), "{e}");
    fs::remove_dir_all(bad).unwrap();
}

#[test]
fn a_corrupt_chunk_is_an_error_naming_its_key() {
    let dir = scratch_copy("v3_zstd_f32.zarr", "corrupt_chunk.zarr");
    // Truncate one chunk and fill another with garbage.
    let truncated = dir.join("c/1/2");
    let bytes = fs::read(&truncated).unwrap();
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    fs::write(dir.join("c/3/0"), b"garbage, not zstd").unwrap();
    let x = ndchunk::from_zarr::<f32>(&dir).unwrap();
    let e = x.compute().unwrap_err().to_string();
    assert!(e.contains("corrupt_chunk.zarr"), "{e}");
    assert!(
        e.contains("chunk c/1/2") || e.contains("chunk c/3/0"),
        "{e}"
    );
    // Blocks that do not touch the damaged chunks still read.
    let want = expected::<f32>("v3_zstd_f32");
    let ok = x.slice(s![..10, ..]).unwrap().compute().unwrap();
    assert_eq!(ok, want.slice(s![..10, ..]).into_dyn().to_owned());
    let e = x
        .slice(s![12..13, 15..16])
        .unwrap()
        .compute()
        .unwrap_err()
        .to_string();
    assert!(e.contains("chunk c/1/2"), "{e}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn v2_chunk_keys_are_named_too() {
    let dir = scratch_copy("v2_zstd_f64.zarr", "corrupt_v2.zarr");
    fs::write(dir.join("2.1"), b"nope").unwrap();
    let x = ndchunk::from_zarr::<f64>(&dir).unwrap();
    let e = x.compute().unwrap_err().to_string();
    assert!(e.contains("chunk 2.1"), "{e}");
    fs::remove_dir_all(dir).unwrap();
}

/// An array written by ndchunk, described for `read_zarr.py`.
struct Written {
    name: &'static str,
    dims: Option<Vec<&'static str>>,
    attrs: serde_json::Value,
    chunks: Vec<usize>,
    shards: Option<Vec<usize>>,
}

fn write_case<T: Element + ndarray_npy::WritableElement>(
    dir: &Path,
    x: &ndchunk::Array<T>,
    w: &Written,
    options: ndchunk::ZarrOptions,
) -> serde_json::Value {
    x.to_zarr(dir.join(format!("{}.zarr", w.name)), options)
        .unwrap();
    let file = fs::File::create(dir.join(format!("{}.npy", w.name))).unwrap();
    x.compute().unwrap().write_npy(file).unwrap();
    serde_json::json!({
        "path": format!("{}.zarr", w.name),
        "dims": w.dims,
        "attrs": w.attrs,
        "chunks": w.chunks,
        "shards": w.shards,
    })
}

#[test]
fn arrays_written_by_ndchunk_read_back_in_zarr_python_and_dask() {
    use ndchunk::{ZarrCodec, ZarrOptions};
    let dir = fresh_dir("written_by_ndchunk");
    let mut manifest = serde_json::Map::new();

    // Irregular blocks: rechunked to the stored chunks before writing.
    let x = ndchunk::random::uniform::<f32>(&[37, 23], vec![vec![5, 20, 12], vec![23]], 1).unwrap();
    let w = Written {
        name: "zstd_f32",
        dims: Some(vec!["y", "x"]),
        attrs: serde_json::json!({"units": "K", "scale": 2.5}),
        chunks: vec![10, 7],
        shards: None,
    };
    let options = ZarrOptions::default()
        .chunks(&[10, 7])
        .dimension_names(&["y", "x"])
        .attribute("units", "K")
        .attribute("scale", 2.5);
    manifest.insert(w.name.into(), write_case(&dir, &x, &w, options));

    let b = ndchunk::random::uniform::<f64>(&[50, 6], [16, 6], 2)
        .unwrap()
        .gt(0.5);
    let w = Written {
        name: "blosc_bool",
        dims: None,
        attrs: serde_json::json!({}),
        chunks: vec![16, 6],
        shards: None,
    };
    manifest.insert(
        w.name.into(),
        write_case(
            &dir,
            &b,
            &w,
            ZarrOptions::default().codec(ZarrCodec::Blosc(5)),
        ),
    );

    let i = ndchunk::arange::<i64>(-500, 700, 1, [100])
        .unwrap()
        .reshape(&[40, 30])
        .unwrap();
    let w = Written {
        name: "sharded_i64",
        dims: None,
        attrs: serde_json::json!({}),
        chunks: vec![5, 5],
        shards: Some(vec![20, 15]),
    };
    manifest.insert(
        w.name.into(),
        write_case(
            &dir,
            &i,
            &w,
            ZarrOptions::default().chunks(&[5, 5]).shards(&[20, 15]),
        ),
    );

    let u = ndchunk::arange::<u16>(0, 19, 1, [4]).unwrap();
    let w = Written {
        name: "none_u16",
        dims: None,
        attrs: serde_json::json!({}),
        chunks: vec![4],
        shards: None,
    };
    manifest.insert(
        w.name.into(),
        write_case(
            &dir,
            &u,
            &w,
            ZarrOptions::default()
                .codec(ZarrCodec::None)
                .direct_io(true),
        ),
    );

    fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    run_interop_script("read_zarr.py", &[dir.as_os_str()]);
    // ndchunk reads its own arrays back too.
    let back = ndchunk::from_zarr::<i64>(dir.join("sharded_i64.zarr")).unwrap();
    assert_eq!(back.numblocks(), vec![2, 2]);
    assert_eq!(back.compute().unwrap(), i.compute().unwrap());
    fs::remove_dir_all(&dir).unwrap();
}

/// Element 3 of the 1-d f64 Zarr array at `path`.
fn element_3(path: &Path) -> f64 {
    ndchunk::from_zarr::<f64>(path).unwrap().compute().unwrap()[3]
}

#[test]
fn writing_fails_cleanly_and_never_leaves_a_partial_array() {
    use ndchunk::ZarrOptions;
    let dir = fresh_dir("write_failures");
    let target = dir.join("a.zarr");
    let x = ndchunk::arange::<f64>(0.0, 20.0, 1.0, [5]).unwrap();
    x.to_zarr(&target, ZarrOptions::default()).unwrap();
    // Exists: an error unless overwriting.
    let e = x.to_zarr(&target, ZarrOptions::default()).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let doubled = (&x * 2.0).to_zarr(&target, ZarrOptions::default().overwrite(true));
    doubled.unwrap();
    assert_eq!(element_3(&target), 6.0);
    // A task that fails half-way: the old array stays, no temporary is left.
    let failing = ndchunk::from_fn(&[20], [5], |b, shape| {
        assert!(b[0] < 3, "block {b:?} fails");
        ndarray::ArrayD::from_elem(shape, 1.0f64)
    })
    .unwrap();
    let e = failing.to_zarr(&target, ZarrOptions::default().overwrite(true));
    assert!(e.is_err());
    assert_eq!(element_3(&target), 6.0);
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["a.zarr".to_string()]);
    // Bad options are errors naming the target.
    assert!(x
        .to_zarr(dir.join("b.zarr"), ZarrOptions::default().chunks(&[0]))
        .is_err());
    assert!(x
        .to_zarr(
            dir.join("b.zarr"),
            ZarrOptions::default().chunks(&[4]).shards(&[6])
        )
        .is_err());
    assert!(x
        .to_zarr(
            dir.join("b.zarr"),
            ZarrOptions::default().codec(ndchunk::ZarrCodec::Blosc(12))
        )
        .is_err());
    assert!(!dir.join("b.zarr").exists());
    // A read-only parent directory: an error, nothing written.
    let ro = dir.join("ro");
    fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let result = x.to_zarr(ro.join("c.zarr"), ZarrOptions::default());
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
    // Root ignores directory permissions; only check the outcome when it applies.
    if result.is_err() {
        assert_eq!(fs::read_dir(&ro).unwrap().count(), 0);
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn store_writes_several_arrays_in_one_pass_reading_shared_inputs_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = fresh_dir("store_one_pass");
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    let x = ndchunk::from_fn(&[40, 6], [10, 6], move |b, shape| {
        counter.fetch_add(1, Ordering::Relaxed);
        ArrayD::from_shape_fn(shape, |ix| (b[0] * 10 + ix[0]) as f64 + ix[1] as f64 / 10.0)
    })
    .unwrap();
    let doubled = &x * 2.0;
    let positive = x.gt(5.0);
    let rows = x.sum_axis(ndarray::Axis(1)).unwrap();
    let options = ndchunk::ZarrOptions::default();
    let (pa, pb, pc) = (dir.join("a.zarr"), dir.join("b.zarr"), dir.join("c.zarr"));
    ndchunk::store(&[
        (
            (&doubled).into(),
            pa.as_path(),
            options.clone().chunks(&[7, 6]),
        ),
        ((&positive).into(), pb.as_path(), options.clone()),
        ((&rows).into(), pc.as_path(), options.clone()),
    ])
    .unwrap();
    assert_eq!(
        reads.load(Ordering::Relaxed),
        4,
        "each source block read once"
    );
    let want = ndchunk::from_fn(&[40, 6], [10, 6], |b, shape| {
        ArrayD::from_shape_fn(shape, |ix| (b[0] * 10 + ix[0]) as f64 + ix[1] as f64 / 10.0)
    })
    .unwrap()
    .compute()
    .unwrap();
    assert_eq!(
        ndchunk::from_zarr::<f64>(&pa).unwrap().compute().unwrap(),
        &want * 2.0
    );
    assert_eq!(
        ndchunk::from_zarr::<bool>(&pb).unwrap().compute().unwrap(),
        want.mapv(|v| v > 5.0)
    );
    assert_eq!(
        ndchunk::from_zarr::<f64>(&pc).unwrap().compute().unwrap(),
        want.sum_axis(ndarray::Axis(1))
    );
    // One target that cannot be written: none is replaced or left behind.
    let e = ndchunk::store(&[
        (
            (&doubled).into(),
            dir.join("d.zarr").as_path(),
            options.clone(),
        ),
        ((&positive).into(), pb.as_path(), options.clone()),
    ]);
    assert!(e.unwrap_err().to_string().contains("already exists"));
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.zarr", "b.zarr", "c.zarr"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn blocks_of_inner_chunks_read_shards_partially() {
    let want = expected::<f64>("v3_sharded_f64");
    let x = ndchunk::from_zarr_with::<f64>(fixtures().join("v3_sharded_f64.zarr"), [5, 5]).unwrap();
    assert_eq!(x.numblocks(), vec![8, 6]);
    assert_eq!(x.compute().unwrap(), want);
    // Damage the first inner chunk of shard (0, 0) (the start of its file; the
    // shard index is at the end). Blocks that do not need it still read.
    let dir = scratch_copy("v3_sharded_f64.zarr", "damaged_shard.zarr");
    let shard = dir.join("c/0/0");
    let mut bytes = fs::read(&shard).unwrap();
    bytes[..8].copy_from_slice(b"garbage!");
    fs::write(&shard, bytes).unwrap();
    let inner = ndchunk::from_zarr_with::<f64>(&dir, [5, 5]).unwrap();
    let rows = inner.slice(s![5..20, 3..15]).unwrap().compute().unwrap();
    assert_eq!(rows, want.slice(s![5..20, 3..15]).into_dyn().to_owned());
    assert!(inner.slice(s![..5, ..5]).unwrap().compute().is_err());
    // Whole-shard blocks need the damaged chunk for the same rows.
    let whole = ndchunk::from_zarr::<f64>(&dir).unwrap();
    let e = whole
        .slice(s![5..20, 3..15])
        .unwrap()
        .compute()
        .unwrap_err();
    assert!(e.to_string().contains("chunk c/0/0"), "{e}");
    fs::remove_dir_all(dir).unwrap();
}

/// Round trip through zstd-compressed Zarr v3, which reads whole chunks
/// straight into the block's buffer: any shape (edge chunks, length-1 and
/// empty axes), whole-chunk blocks and blocks that cut chunks, several
/// dtypes and zstd levels; each reads back equal to what was written.
fn zstd_round_trip<T>(values: ArrayD<T>, chunks: &[usize], blocks: &[usize], level: i32, case: &str)
where
    T: Element + PartialEq + std::fmt::Debug,
{
    let dir = fresh_dir(&format!("zstd-round-trip-{case}"));
    let path = dir.join("x.zarr");
    let options = ndchunk::ZarrOptions::default()
        .codec(ndchunk::ZarrCodec::Zstd(level))
        .chunks(chunks);
    ndchunk::from_array(values.clone(), chunks.to_vec())
        .unwrap()
        .to_zarr(&path, options)
        .unwrap();
    let whole_chunks = ndchunk::from_zarr::<T>(&path).unwrap().compute().unwrap();
    assert_eq!(whole_chunks, values, "{case}: blocks = stored chunks");
    let cut = ndchunk::from_zarr_with::<T>(&path, blocks.to_vec())
        .unwrap()
        .compute()
        .unwrap();
    assert_eq!(
        cut, values,
        "{case}: blocks {blocks:?} over chunks {chunks:?}"
    );
    fs::remove_dir_all(dir).unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    #[test]
    fn zstd_chunks_read_back_equal(
        shape in proptest::collection::vec(0usize..23, 1..4),
        chunk_seed in proptest::collection::vec(1usize..9, 3),
        block_seed in proptest::collection::vec(1usize..9, 3),
        level in -1i32..6,
        seed in 0u64..1000,
    ) {
        let chunks: Vec<usize> = shape.iter().zip(&chunk_seed).map(|(_, &c)| c).collect();
        let blocks: Vec<usize> = shape.iter().zip(&block_seed).map(|(_, &b)| b).collect();
        let n: usize = shape.iter().product();
        let at = |i: usize| (i as u64).wrapping_mul(2654435761).wrapping_add(seed);
        let f64s = ArrayD::from_shape_vec(shape.clone(), (0..n).map(|i| at(i) as f64 / 7.0 - 3e5).collect()).unwrap();
        zstd_round_trip(f64s, &chunks, &blocks, level, "f64");
        let i16s = ArrayD::from_shape_vec(shape.clone(), (0..n).map(|i| at(i) as i16).collect()).unwrap();
        zstd_round_trip(i16s, &chunks, &blocks, level, "i16");
        let u8s = ArrayD::from_shape_vec(shape.clone(), (0..n).map(|i| (at(i) % 251) as u8).collect()).unwrap();
        zstd_round_trip(u8s, &chunks, &blocks, level, "u8");
        let bools = ArrayD::from_shape_vec(shape, (0..n).map(|i| at(i) % 3 == 0).collect()).unwrap();
        zstd_round_trip(bools, &chunks, &blocks, level, "bool");
    }
}
