//! HDF5: datasets written by h5py (chunked with gzip and shuffle, contiguous,
//! nested in groups; float, integer and bool) read by ndchunk and compared value
//! by value; arrays written by ndchunk read back by h5py; errors for wrong
//! dtypes, missing files and datasets, and corrupt files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{fresh_dir, npy_fixture, python_fixtures, run_interop_script};
use ndarray::ArrayD;
use ndarray_npy::{ReadableElement, WritableElement, WriteNpyExt};
use ndchunk::{Element, Error, Hdf5Options};

fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    python_fixtures(&DIR, "write_hdf5.py", "hdf5_fixtures")
}

fn expected<T: ReadableElement>(name: &str) -> ArrayD<T> {
    npy_fixture(fixtures(), name)
}

fn check<T: Element + ReadableElement + PartialEq + std::fmt::Debug>(name: &str, dataset: &str) {
    let want = expected::<T>(name);
    let x = ndchunk::from_hdf5::<T>(fixtures().join("data.h5"), dataset).unwrap();
    assert_eq!(x.compute().unwrap(), want, "{name}");
    let y =
        ndchunk::from_hdf5_with::<T>(fixtures().join("data.h5"), dataset, vec![3i64; want.ndim()])
            .unwrap();
    assert_eq!(y.compute().unwrap(), want, "{name}");
}

#[test]
fn datasets_written_by_h5py_read_back_equal() {
    check::<f32>("gzip_f32", "/gzip_f32");
    check::<f64>("contiguous_f64", "/contiguous_f64");
    check::<i16>("nested_i16", "/group/inner/i16");
    check::<u8>("chunked_u8", "/chunked_u8");
    check::<bool>("bool", "/bool");
    check::<i64>("i64", "i64");
    // Blocks follow the dataset's chunks.
    let x = ndchunk::from_hdf5::<f32>(fixtures().join("data.h5"), "/gzip_f32").unwrap();
    assert_eq!(x.chunks().lens(0), &[10, 10, 10, 7]);
    assert_eq!(x.chunks().lens(1), &[7, 7, 7, 2]);
}

#[test]
fn wrong_dtype_missing_file_dataset_and_corrupt_file_are_errors() {
    let file = fixtures().join("data.h5");
    let e = ndchunk::from_hdf5::<f64>(&file, "/gzip_f32").unwrap_err();
    assert!(matches!(e, Error::DtypeMismatch { .. }), "{e}");
    let e = ndchunk::from_hdf5::<f32>(&file, "/nope").unwrap_err();
    assert!(
        matches!(&e, Error::Storage { path, .. } if path.ends_with("data.h5:/nope")),
        "{e}"
    );
    let e = ndchunk::from_hdf5::<f32>(fixtures().join("missing.h5"), "/x").unwrap_err();
    assert!(e.to_string().contains("missing.h5"), "{e}");
    let garbage = Path::new(env!("CARGO_TARGET_TMPDIR")).join("garbage.h5");
    fs::write(&garbage, b"this is not an HDF5 file").unwrap();
    let e = ndchunk::from_hdf5::<f32>(&garbage, "/x").unwrap_err();
    assert!(matches!(e, Error::Storage { .. }), "{e}");
    fs::remove_file(garbage).unwrap();
}

/// Checks with h5py that dataset `name` of `file` holds `x`, with `chunks`
/// (comma separated) and `deflate` (a level or `none`).
fn h5py_reads<T: Element + WritableElement>(
    file: &Path,
    name: &str,
    x: &ndchunk::Array<T>,
    chunks: &str,
    deflate: &str,
) {
    let npy = file.with_extension("npy");
    x.compute()
        .unwrap()
        .write_npy(fs::File::create(&npy).unwrap())
        .unwrap();
    run_interop_script(
        "read_hdf5.py",
        &[
            file.as_os_str(),
            name.as_ref(),
            npy.as_os_str(),
            chunks.as_ref(),
            deflate.as_ref(),
        ],
    );
    fs::remove_file(npy).unwrap();
}

#[test]
fn arrays_written_by_ndchunk_read_back_in_h5py() {
    // HDF5 opens files without close-on-exec: a Python child spawned while
    // this test writes (the fixtures, by another test) would inherit the file's
    // lock. Let the fixtures be written first.
    fixtures();
    let dir = fresh_dir("hdf5_written");
    let x = ndchunk::random::uniform::<f64>(&[45, 7], vec![vec![20, 25], vec![7]], 3).unwrap();
    let file = dir.join("out.h5");
    x.to_hdf5(
        &file,
        "/results/run1",
        Hdf5Options::default().chunks(&[10, 7]).deflate(4),
    )
    .unwrap();
    h5py_reads(&file, "/results/run1", &x, "10,7", "4");
    let back = ndchunk::from_hdf5::<f64>(&file, "/results/run1").unwrap();
    assert_eq!(back.compute().unwrap(), x.compute().unwrap());

    // Exists: an error unless overwriting; a failed write keeps the old file.
    assert!(x.to_hdf5(&file, "/a", Hdf5Options::default()).is_err());
    let failing = ndchunk::from_fn(&[20], [5], |b, shape| {
        assert!(b[0] < 2, "block {b:?} fails");
        ndarray::ArrayD::from_elem(shape, 1u8)
    })
    .unwrap();
    assert!(failing
        .to_hdf5(&file, "/a", Hdf5Options::default().overwrite(true))
        .is_err());
    assert!(ndchunk::from_hdf5::<f64>(&file, "/results/run1").is_ok());
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["out.h5"]);
    let b = ndchunk::arange::<u16>(0, 30, 1, [7]).unwrap();
    b.to_hdf5(&file, "flat", Hdf5Options::default().overwrite(true))
        .unwrap();
    h5py_reads(&file, "flat", &b, "7", "none");
    fs::remove_dir_all(&dir).unwrap();
}
