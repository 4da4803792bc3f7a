"""Writes the HDF5 datasets that tests/hdf5.rs reads, with h5py.

    python write_hdf5.py OUT_DIR

OUT_DIR/data.h5 holds every dataset; OUT_DIR/NAME.npy its values;
manifest.json maps NAME -> [dataset path, numpy dtype].
"""
import json
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
manifest = {}
with h5py.File(os.path.join(out, "data.h5"), "w") as f:
    def put(name, path, data, **kw):
        f.create_dataset(path, data=data, **kw)
        np.save(os.path.join(out, name + ".npy"), data)
        manifest[name] = [path, str(data.dtype)]

    put("gzip_f32", "/gzip_f32", rng.standard_normal((37, 23)).astype(np.float32),
        chunks=(10, 7), compression="gzip", compression_opts=4)
    put("contiguous_f64", "/contiguous_f64", rng.standard_normal((50, 8)))
    put("nested_i16", "/group/inner/i16", rng.integers(-999, 999, (20, 6, 3)).astype(np.int16),
        chunks=(8, 6, 3), shuffle=True, compression="gzip")
    put("chunked_u8", "/chunked_u8", rng.integers(0, 255, (31,)).astype(np.uint8), chunks=(4,))
    put("bool", "/bool", rng.random((9, 9)) > 0.5, chunks=(4, 4))
    put("i64", "/i64", rng.integers(-2**40, 2**40, (12, 12)), chunks=(5, 12))
with open(os.path.join(out, "manifest.json"), "w") as fh:
    json.dump(manifest, fh, indent=1)
