"""Reads the Zarr arrays that tests/zarr.rs wrote with ndchunk, with zarr-python
and with dask, and compares them with the values saved beside them.

    python read_zarr.py DIR

DIR/manifest.json maps each name to {"path", "dims", "attrs", "chunks",
"shards"}; DIR/NAME.npy holds the expected values. Prints one line per array
and exits 1 on the first mismatch.
"""
import json
import os
import sys

import dask.array as da
import numpy as np
import zarr

root = sys.argv[1]
with open(os.path.join(root, "manifest.json")) as f:
    manifest = json.load(f)
for name, spec in manifest.items():
    want = np.load(os.path.join(root, name + ".npy"))
    path = os.path.join(root, spec["path"])
    z = zarr.open_array(path, mode="r")
    problems = []
    if z.dtype != want.dtype:
        problems.append(f"dtype {z.dtype} != {want.dtype}")
    if not np.array_equal(z[...], want):
        problems.append("zarr-python values differ")
    if not np.array_equal(da.from_zarr(path).compute(), want):
        problems.append("dask values differ")
    if spec.get("dims") is not None and list(z.metadata.dimension_names) != spec["dims"]:
        problems.append(f"dimension names {z.metadata.dimension_names} != {spec['dims']}")
    for k, v in spec.get("attrs", {}).items():
        if z.attrs.get(k) != v:
            problems.append(f"attribute {k}={z.attrs.get(k)!r} != {v!r}")
    if spec.get("chunks") is not None and list(z.chunks) != spec["chunks"]:
        problems.append(f"chunks {z.chunks} != {spec['chunks']}")
    if spec.get("shards") is not None and list(z.shards or []) != spec["shards"]:
        problems.append(f"shards {z.shards} != {spec['shards']}")
    if problems:
        print(f"{name}: " + "; ".join(problems))
        sys.exit(1)
    print(f"{name}: ok")
