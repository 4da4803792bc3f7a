#!/usr/bin/env python
"""Write the inputs of the comparison harness as .npy files (seeded, deterministic).

    python make_data.py --data DIR [--quick | --scale S] [--only W1,W3]

The data are exactly those of ../shared/anchors/bench_dask.py (same generator,
seed 0 and draw order, same row counts and chunk shapes), so at full size the
checksums can be compared with ../shared/anchors/results_dask.json. P4 is new here.

Files (C order, little endian):
  meta.json      sizes, chunk shapes, file names, seed, scale; read by every engine
  w1_X.npy       W1/W6 input, float32 (N1, 64)       N1 = 2e6,  chunks (100_000, 64)
  w1_idx.npy     W1 indices, int64 (1e6,) in [0, N1)
  w3_X.npy       W3 input, float32 (N3, 32)          N3 = 1e6,  chunks (50_000, 32)
  w3_knn.npy     W3 neighbour table, int64 (N3, 15) in [0, N3)
  w7_x.npy       W7/P4 input, float64 (N7,)          N7 = 1e7,  chunks (10_000,) = 1000 chunks
  w7_idx.npy     W7 indices, int64 (1e5,) in [0, N7)
  p4_perm.npy    P4 indices: a full random permutation of 0..N7, int64 (N7,)
  w2_X.zarr      W2 input: W1's X as a Zarr v3 array (zarr-python's default codec,
                 zstd level 0), chunks (100_000, 64)
  w4_big.zarr    W4/W5 input, float32 (R4, 20_000) Zarr v3, chunks (2000, 2000),
                 R4 = 20_000 (1.6 GB), written row block by row block

Workloads (same definitions in peers.py and examples/compare_ndchunk/main.rs):
  W1  X[idx] along axis 0 (np.take(X, idx, axis=0))
  W3  mean over k of ||X[knn[i, k]] - X[i]||^2 -> float32 vector of length N3
  W6  X[X[:, 0] > 0.5].sum()   (bench_dask.py's W6, on W1's X; a float32 scalar)
  W7  x[idx] on the 1-d float64 array
  P4  x[perm] on the same 1-d array (a full permutation: every chunk feeds every
      output chunk)
  W2  X[idx] along axis 0 read from w2_X.zarr (W1's idx)
  W4  mean((2x + 1)^2, axis 0) and x.sum() over w4_big.zarr (two timed lines:
      W4 and W4-sum)
  W5  w4_big.zarr rechunked to (R4, 200) and written to a new Zarr v3 array
  W5-mem  in-memory rechunk of an (n, n) float32 array held in (c, c) blocks to
      (n, c / 10) column strips and back: x.rechunk(strips).rechunk(blocks), the
      result persisted (kept in memory as blocks). n = 20000, c = 2000 (1.6 GB);
      --quick: n = 4000, c = 400. Generated in each process (no file):
      x[i, j] = float32((i * n + j) % 1000), held as blocks before the timed runs.
  M1  A @ B with A float32 (N, 1000) in (20_000, 1000) row blocks and B float32
      (1000, 256) in one block; N = 200_000 (800 MB), --quick: 40_000. Generated
      in each process (no file), in float32 arithmetic:
      A[i, j] = float32((7 i + 3 j) % 13) * 0.1,
      B[i, j] = float32((5 i + 11 j) % 17) * 0.05 (non-negative, so the
      checksum does not cancel).
  M2  The thin SVD (U, s and Vt all computed) of A float64 (N, 64) in
      (100_000, 64) row blocks: numpy.linalg.svd(full_matrices=False),
      da.linalg.svd (tsqr), ndchunk::linalg::svd (tsqr). N = 1_000_000 (512 MB),
      --quick: 200_000. Generated in each process (no file), in integers:
      A[i, j] = float64((2654435761 i + 40503 j) % 1000003) / 1000003 - 0.5.
      The checksum is that of s (signs of singular vectors are arbitrary).
  K1  The exact kNN graph (k = 15, each row itself included) of X float32
      (N, 32), Gaussian-like blobs around 16 centres, in (20_000, 32) row
      blocks: sklearn NearestNeighbors(algorithm="brute").kneighbors(X),
      dask's blocked formulation (distances by da.blockwise, then
      da.argtopk), ndchunk::neighbors::knn. N = 200_000, --quick: 20_000.
      Generated in each process (no file), in float64 then rounded once:
      X[i, j] = float32(u(i, j) + 0.25 * ((7 (i % 16) + 3 j) % 16)) with
      u(i, j) = ((2654435761 i + 40503 j) % 1000003) / 1000003 - 0.5.
      Each system also reports `recall`: over recall_rows evenly spaced rows,
      the fraction of the neighbours it found that are no farther than the
      true k-th nearest (f64 brute force), so ties count as found.

  S1  sort of x float32 (N,) in (1e6,) chunks, N = 1e8 (400 MB), --quick 1e7
      in (1e5,): np.sort in memory; ndchunk's sort under a 256 MiB memory
      limit (--quick: 32 MiB); dask has no sort, so its peer is a sample
      sort written with dask (splitters from a sample, one masked compute
      per bucket, each bucket sorted by np.sort). Generated in each process:
      x[i] = float32(u(i, 0)), u as K1's (1000003 distinct values: ties).
  S2  unique(return_counts=True) of x int64 (1.25e8,) in (1e6,) chunks
      (--quick: 1.25e7 in (1e5,)), values in [0, 500) (dask issue 10510's
      case): np.unique, da.unique, ndchunk's unique_with(counts). Generated
      in each process: x[i] = (2654435761 i) % 1000003 % 500.
  S3  cumsum along axis 0 of x float32 (n, n) held as (c, c) blocks, computed
      into one array: np.cumsum, da.cumsum, ndchunk's cumsum. n = 20000,
      c = 2000 (1.6 GB); --quick: n = 4000, c = 400. Generated in each process
      (no file): x[i, j] = float32(u(i, j)), u as K1's.
  S4  A 3 x 3 mean filter over S3's input (its own copy), dask's "reflect"
      boundary (NumPy's pad mode "symmetric"): np.pad then nine shifted
      slices added in order (row offset, then column offset) and divided by
      9 in float32; dask and ndchunk by map_overlap (depth 1) with the same
      sum per block.

  S5  percentile([5, 50, 95]) along axis 0 of X float64 (1e7, 8) in (1e6, 8)
      row blocks (--quick: 1e6 rows in (1e5, 8)): np.percentile (exact,
      linear), ndchunk's percentiles (exact), dask's da.percentile per
      column (approximate: merged from per-chunk percentiles). Generated in
      each process: X[i, j] = u(i, j), u as K1's.

Checksums (identical in Python and Rust; all accumulate in float64):
  W1, W3, W6, W7, M1:  sum_i float64(result_flat[i])
  P4:              sum_i float64(result[i]) * float64(i % 1000)
                   (order-sensitive: a plain sum of a permutation equals the
                   input's sum whatever the order)
  W5-mem:          s = result[::7, ::13]; sum_ij float64(s[i, j]) * ((i + 3 j) % 17)
                   (position-sensitive, on a sample: the full result is 1.6 GB)
  S1:              sum_i float64(result[::1000][i]) * (i % 17)
  S2:              sum_i values[i] * counts[i] * (i % 7 + 1)
  S5:              sum of the 24 percentiles' absolute values
  S3, S4:          sum_ij |float64(result[::97, ::89][i, j])| (the values'
                   signs vary, so a plain sum would cancel)
  K1:              sum over rows i and neighbours c of the exact float64
                   distance ||X[i] - X[idx[i, c]]||: equal distances are
                   interchangeable (X lies on a lattice, so ties at the k-th
                   neighbour are common and each engine breaks them its own way)
The summation order differs between engines, so checksums agree to about 1e-9
relative, not bit for bit; summarize.py checks agreement within 1e-6 relative.

With --quick the row counts are scaled by 0.1 (bench_dask.py's --scale rule,
with its floors); chunk shapes stay the same, so every workload still has at
least two chunks. Files already present with the same parameters are reused.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

SEED = 0          # bench_dask.py's seed for W1/W3/W6/W7
P4_SEED = 4       # permutation of P4
QUICK_SCALE = 0.1
W6_THRESHOLD = 0.5
P4_WEIGHT_MOD = 1000
WORKLOADS = ("W1", "W3", "W6", "W7", "P4", "W5-mem", "M1", "M2", "K1", "W2", "W4", "W4-sum", "W5", "W4-dask-cluster", "W4-slurm", "W5-spill", "S1", "S2", "S3", "S4", "S5")


def sizes(scale: float) -> dict:
    """bench_dask.py's sizes() (same floors), plus W6 and P4."""
    s = scale
    w1 = dict(N=max(int(2_000_000 * s), 1000), D=64, chunk=[100_000, 64],
              nidx=max(int(1_000_000 * s), 100))
    w3 = dict(N=max(int(1_000_000 * s), 1000), D=32, K=15, chunk=[50_000, 32])
    # bench_dask.sizes()["W4"]
    w4 = dict(R=max(int(20_000 * s), 2000), C=20_000, chunk=[2000, 2000], store="w4_big.zarr")
    w7 = dict(N=max(int(10_000_000 * s), 10_000), chunk=[10_000],
              nidx=max(int(100_000 * s), 100))
    return {
        "W1": w1,
        "W3": w3,
        "W6": dict(N=w1["N"], D=w1["D"], chunk=w1["chunk"], threshold=W6_THRESHOLD),
        "W7": w7,
        "P4": dict(N=w7["N"], chunk=w7["chunk"], weight_mod=P4_WEIGHT_MOD),
        "W5-mem": dict(N=20000, chunk=[2000, 2000], strips=[20000, 200]) if s >= 1
        else dict(N=4000, chunk=[400, 400], strips=[4000, 40]),
        "M1": dict(N=max(int(200_000 * s), 40_000), K=1000, M=256, chunk=[20_000, 1000]),
        "M2": dict(N=max(int(1_000_000 * s), 200_000), K=64, chunk=[100_000, 64]),
        "K1": dict(N=max(int(200_000 * s), 20_000), D=32, k=15, chunk=[20_000, 32], recall_rows=200),
        "W2": dict(w1, store="w2_X.zarr"),
        "W4": w4,
        "W4-sum": w4,
        "W5": dict(w4, strips=[w4["R"], 200]),
        "W4-dask-cluster": w4,
        "W4-slurm": w4,
        "W5-spill": dict(w4, strips=[w4["R"], 200], memory_limit=256 << 20),
        "S1": dict(N=100_000_000, chunk=[1_000_000], memory_limit=256 << 20) if s >= 1
        else dict(N=10_000_000, chunk=[100_000], memory_limit=32 << 20),
        "S2": dict(N=125_000_000, chunk=[1_000_000], high=500) if s >= 1
        else dict(N=12_500_000, chunk=[100_000], high=500),
        "S3": dict(N=20000, chunk=[2000, 2000]) if s >= 1 else dict(N=4000, chunk=[400, 400]),
        "S4": dict(N=20000, chunk=[2000, 2000]) if s >= 1 else dict(N=4000, chunk=[400, 400]),
        "S5": dict(N=10_000_000, D=8, chunk=[1_000_000, 8], q=[5.0, 50.0, 95.0]) if s >= 1
        else dict(N=1_000_000, D=8, chunk=[100_000, 8], q=[5.0, 50.0, 95.0]),
    }


# Which files each workload reads, and how each file group is generated.
NEEDS = {"W1": ["w1"], "W3": ["w3"], "W6": ["w1"], "W7": ["w7"], "P4": ["w7", "p4"], "W5-mem": [], "M1": [], "M2": [], "K1": [],
         "W2": ["w1", "w2"], "W4": ["w4"], "W4-sum": ["w4"], "W5": ["w4"],
         "W4-dask-cluster": ["w4"], "W4-slurm": ["w4"], "W5-spill": ["w4"], "S1": [], "S2": [], "S3": [], "S4": [], "S5": []}
FILES = {
    "w1": ["w1_X.npy", "w1_idx.npy"],
    "w3": ["w3_X.npy", "w3_knn.npy"],
    "w7": ["w7_x.npy", "w7_idx.npy"],
    "p4": ["p4_perm.npy"],
    "w2": ["w2_X.zarr"],
    "w4": ["w4_big.zarr"],
}


def gen_w1(sz):
    # bench_dask.make_X1: same rng, same draw order
    rng = np.random.default_rng(SEED)
    X = rng.random((sz["N"], sz["D"]), dtype=np.float32)
    idx = rng.integers(0, sz["N"], sz["nidx"])
    return {"w1_X.npy": X, "w1_idx.npy": idx.astype(np.int64, copy=False)}


def gen_w3(sz):
    # bench_dask.make_X3
    rng = np.random.default_rng(SEED)
    X = rng.random((sz["N"], sz["D"]), dtype=np.float32)
    knn = rng.integers(0, sz["N"], (sz["N"], sz["K"]))
    return {"w3_X.npy": X, "w3_knn.npy": knn.astype(np.int64, copy=False)}


def gen_w7(sz):
    # bench_dask.make_X7
    rng = np.random.default_rng(SEED)
    x = rng.random(sz["N"])  # float64
    idx = rng.integers(0, sz["N"], sz["nidx"])
    return {"w7_x.npy": x, "w7_idx.npy": idx.astype(np.int64, copy=False)}


def gen_p4(sz):
    perm = np.random.default_rng(P4_SEED).permutation(sz["N"])
    return {"p4_perm.npy": perm.astype(np.int64, copy=False)}


def gen_w2(sz, data):
    # bench_dask.prep's W2: W1's X with zarr-python's defaults
    import zarr
    X = np.load(os.path.join(data, "w1_X.npy"))
    z = zarr.create_array(store=os.path.join(data, sz["store"]), shape=X.shape,
                          chunks=tuple(sz["chunk"]), dtype="float32", zarr_format=3, overwrite=True)
    z[:] = X
    return {}


def gen_w4(sz, data):
    # bench_dask.prep's W4: rows of default_rng(0).random, one row block at a time
    import zarr
    rng = np.random.default_rng(SEED)
    z = zarr.create_array(store=os.path.join(data, sz["store"]), shape=(sz["R"], sz["C"]),
                          chunks=tuple(sz["chunk"]), dtype="float32", zarr_format=3, overwrite=True)
    rb = sz["chunk"][0]
    for r0 in range(0, sz["R"], rb):
        r1 = min(r0 + rb, sz["R"])
        z[r0:r1, :] = rng.random((r1 - r0, sz["C"]), dtype=np.float32)
    return {}


GEN = {"w1": (gen_w1, "W1"), "w3": (gen_w3, "W3"), "w7": (gen_w7, "W7"), "p4": (gen_p4, "P4"),
       "w2": (gen_w2, "W2"), "w4": (gen_w4, "W4")}
WRITES_ITSELF = {"w2", "w4"}  # generators that write their store into the data directory


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="output directory")
    ap.add_argument("--quick", action="store_true", help=f"row counts x{QUICK_SCALE}")
    ap.add_argument("--scale", type=float, default=None, help="row-count factor (overrides --quick)")
    ap.add_argument("--only", default="", help="comma list of workloads (default: all)")
    args = ap.parse_args(argv)

    scale = args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0)
    only = [w for w in args.only.split(",") if w] or list(WORKLOADS)
    bad = [w for w in only if w not in WORKLOADS]
    if bad:
        print(f"make_data.py: unknown workload(s) {bad}; known: {','.join(WORKLOADS)}", file=sys.stderr)
        return 2
    os.makedirs(args.data, exist_ok=True)
    sz = sizes(scale)

    meta_path = os.path.join(args.data, "meta.json")
    old = {}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            old = json.load(f)
    groups_done = old.get("groups", {}) if old.get("scale") == scale else {}

    groups = sorted({g for w in only for g in NEEDS[w]})
    for g in groups:
        fn, w = GEN[g]
        params = json.dumps({"sizes": sz[w], "seed": SEED, "p4_seed": P4_SEED}, sort_keys=True)
        paths = [os.path.join(args.data, f) for f in FILES[g]]
        if groups_done.get(g) == params and all(os.path.exists(p) for p in paths):
            print(f"make_data: {g} present, reusing", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        if g in WRITES_ITSELF:
            for p in paths:
                shutil.rmtree(p, ignore_errors=True)
            fn(sz[w], args.data)
            groups_done[g] = params
            print(f"make_data: wrote {g} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            continue
        arrays = fn(sz[w])
        for name, a in arrays.items():
            np.save(os.path.join(args.data, name), np.ascontiguousarray(a), allow_pickle=False)
        mb = sum(a.nbytes for a in arrays.values()) / 2**20
        del arrays
        groups_done[g] = params
        print(f"make_data: wrote {g} ({mb:.0f} MiB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    meta = {
        "scale": scale,
        "quick": scale != 1.0,
        "seed": SEED,
        "p4_seed": P4_SEED,
        "sizes": sz,
        "files": {w: [f for g in NEEDS[w] for f in FILES[g]] for w in WORKLOADS},
        "groups": groups_done,
        "checksum": {
            "default": "sum(float64(result))",
            "P4": f"sum(float64(result[i]) * (i % {P4_WEIGHT_MOD}))",
        },
    }
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
