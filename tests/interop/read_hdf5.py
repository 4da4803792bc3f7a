"""Checks the HDF5 file that tests/hdf5.rs wrote with ndchunk, with h5py.

    python read_hdf5.py FILE DATASET EXPECTED.npy CHUNKS DEFLATE

CHUNKS is a comma list (the dataset's chunk shape); DEFLATE a level or "none".
Exits 1 with a message on any difference.
"""
import sys

import h5py
import numpy as np

path, name, expected, chunks, deflate = sys.argv[1:6]
want = np.load(expected)
with h5py.File(path, "r") as f:
    ds = f[name]
    problems = []
    if ds.dtype != want.dtype:
        problems.append(f"dtype {ds.dtype} != {want.dtype}")
    if not np.array_equal(ds[...], want):
        problems.append("values differ")
    if list(ds.chunks) != [int(c) for c in chunks.split(",")]:
        problems.append(f"chunks {ds.chunks} != {chunks}")
    if deflate == "none":
        if ds.compression is not None:
            problems.append(f"compression {ds.compression}")
    elif ds.compression != "gzip" or ds.compression_opts != int(deflate):
        problems.append(f"compression {ds.compression} {ds.compression_opts} != gzip {deflate}")
if problems:
    print("; ".join(problems))
    sys.exit(1)
