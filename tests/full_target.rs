//! A target that runs out of space mid-write: an `Err`, and nothing left at the
//! target or beside it. "Out of space" is a file-size limit (`RLIMIT_FSIZE`)
//! on this test process, so that writes past it fail with `EFBIG` as on a full
//! disk; this binary holds this one test so that no other test writes under it.

use std::fs;
use std::path::Path;

/// Runs `f` with files limited to `bytes` (writes past it fail with `EFBIG`).
fn with_file_size_limit<R>(bytes: u64, f: impl FnOnce() -> R) -> R {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on valid pointers. Ignoring SIGXFSZ makes an
    // oversized write return EFBIG instead of killing the process.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut old), 0);
        let limited = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limited), 0);
    }
    let result = f();
    // SAFETY: as above; restores the limit read before.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &old), 0);
    }
    result
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn running_out_of_space_is_an_error_and_leaves_nothing() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("full_target");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    // Uncompressed 256 KiB chunks against a 64 KiB file limit.
    let x = ndchunk::random::uniform::<f64>(&[256, 256], [128, 256], 5).unwrap();
    let zarr = with_file_size_limit(64 << 10, || {
        x.to_zarr(
            dir.join("a.zarr"),
            ndchunk::ZarrOptions::default().codec(ndchunk::ZarrCodec::None),
        )
    });
    let e = zarr.unwrap_err();
    assert!(
        matches!(
            e,
            ndchunk::Error::Task { .. } | ndchunk::Error::Storage { .. }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("a.zarr"), "{e}");
    let h5 = with_file_size_limit(64 << 10, || {
        x.to_hdf5(dir.join("b.h5"), "/x", ndchunk::Hdf5Options::default())
    });
    // HDF5 reports write errors only when its caches are flushed.
    let e = h5.unwrap_err();
    assert!(e.to_string().contains("b.h5"), "{e}");
    // One readable line: the first cause and the system's reason, without
    // HDF5's buffer addresses and `bytes actually written = 2^64 - 1`.
    let text = e.to_string();
    assert!(text.contains("File too large"), "{text}");
    assert!(
        !text.contains('\n') && !text.contains("18446744073709551615"),
        "{text}"
    );
    assert_eq!(entries(&dir), Vec::<String>::new());
    // Within the limit, the same writes succeed.
    x.to_zarr(dir.join("a.zarr"), ndchunk::ZarrOptions::default())
        .unwrap();
    assert_eq!(entries(&dir), ["a.zarr"]);
    fs::remove_dir_all(&dir).unwrap();
}
