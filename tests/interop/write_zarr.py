"""Writes the Zarr arrays that tests/zarr.rs reads, with zarr-python.

    python write_zarr.py OUT_DIR

Each array NAME is written to OUT_DIR/NAME.zarr (or inside a group) with the
values also saved as OUT_DIR/NAME.npy for comparison. manifest.json lists
name -> (array path relative to OUT_DIR, numpy dtype).
"""
import json
import os
import sys

import numcodecs
import numpy as np
import zarr
from zarr.codecs import BloscCodec, ZstdCodec

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
manifest = {}


def values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 100).astype(dtype)


def save(name, rel, data):
    np.save(os.path.join(out, name + ".npy"), data)
    manifest[name] = [rel, str(data.dtype)]


def v3(name, shape, dtype, chunks, compressors, shards=None, seed=0, fill_value=None):
    data = values(shape, np.dtype(dtype), seed)
    rel = name + ".zarr"
    z = zarr.create_array(os.path.join(out, rel), shape=shape, dtype=dtype, chunks=chunks,
                          shards=shards, compressors=compressors, zarr_format=3,
                          fill_value=fill_value, dimension_names=[f"d{i}" for i in range(len(shape))])
    z[...] = data
    save(name, rel, data)


def v2(name, shape, dtype, chunks, compressor, seed=0):
    data = values(shape, np.dtype(dtype), seed)
    rel = name + ".zarr"
    z = zarr.create_array(os.path.join(out, rel), shape=shape, dtype=dtype, chunks=chunks,
                          compressors=compressor, zarr_format=2)
    z[...] = data
    save(name, rel, data)


v3("v3_zstd_f32", (37, 23), "float32", (10, 7), ZstdCodec(level=3), seed=1)
v3("v3_blosc_i16", (50, 6, 4), "int16", (16, 6, 3), BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"), seed=2)
v3("v3_none_u64", (19,), "uint64", (4,), None, seed=3)
v3("v3_zstd_bool", (33, 9), "bool", (8, 8), ZstdCodec(level=1), seed=4)
v3("v3_sharded_f64", (40, 30), "float64", (5, 5), ZstdCodec(level=3), shards=(20, 15), seed=5)
v2("v2_zstd_f64", (25, 11), "float64", (6, 4), numcodecs.Zstd(level=3), seed=6)
v2("v2_blosc_u8", (30, 30), "uint8", (7, 9), numcodecs.Blosc(cname="zstd", clevel=3), seed=7)
v2("v2_none_i32", (12, 5), "int32", (5, 5), None, seed=8)

# An array inside a group.
root = zarr.open_group(os.path.join(out, "grouped.zarr"), mode="w", zarr_format=3)
data = values((14, 8), np.dtype("int64"), 9)
g = root.create_group("inner")
z = g.create_array("arr", shape=data.shape, dtype=data.dtype, chunks=(5, 8), compressors=ZstdCodec(level=3))
z[...] = data
save("grouped_i64", "grouped.zarr/inner/arr", data)

# Missing chunks read as the fill value: only the first row of chunks is written.
data = np.full((20, 20), 7.5, dtype=np.float32)
z = zarr.create_array(os.path.join(out, "sparse.zarr"), shape=(20, 20), dtype="float32",
                      chunks=(5, 5), fill_value=7.5, compressors=ZstdCodec(level=3), zarr_format=3)
part = values((5, 20), np.dtype("float32"), 10)
z[:5, :] = part
data[:5, :] = part
save("sparse_f32", "sparse.zarr", data)

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
