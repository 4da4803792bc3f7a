#!/usr/bin/env python
"""numpy and dask side of the comparison harness (benches/compare/run).

    python peers.py --data DIR [--only W1,W3] [--skip P4:dask,W3] [--systems numpy,dask]
                    [--repeat 3] [--repeat-p4-dask 1] [--w3-dask take|vindex]

Reads the .npy inputs written by make_data.py and runs every (workload, system)
pair in its own subprocess (so peak-RSS numbers do not mix), measuring like
../shared/anchors/bench_dask.py:
  * each timed run is the whole operation: graph build + compute for dask, the
    plain call for numpy; `seconds` is the minimum over --repeat runs;
  * RSS is sampled with psutil every 5 ms during all the runs; `peak_rss_mb` is
    the peak minus the RSS just before the first run (inputs already resident);
  * dask: threaded scheduler, 2 workers, inputs `da.from_array` (created before
    the timed runs) with bench_dask.py's chunk shapes; `tasks` is
    len(result.__dask_graph__()) of the final collection; `plan_seconds` is the
    graph build time of the fastest run;
  * numpy: the plain single-threaded call (np.take for W1, W7 and P4; 50k-row
    blocks for W3, as bench_dask.py's numpy W3; X[X[:, 0] > 0.5].sum() for W6).

Prints one JSON line per pair on stdout as soon as it finishes.
Installs nothing: numpy, dask and psutil come from the project's .venv (./setup.sh).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
import traceback
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = ("W1", "W3", "W6", "W7", "P4", "W5-mem", "M1", "M2", "K1", "W2", "W4", "W4-sum", "W5", "W4-dask-cluster", "W4-slurm", "W5-spill", "S1", "S2", "S3", "S4", "S5")
STORAGE = ("W2", "W4", "W4-sum", "W5", "W4-dask-cluster", "W4-slurm", "W5-spill")  # read Zarr stores; "numpy" means zarr-python + numpy
# W4-dask-cluster runs on the Dask cluster at this address (benches/compare/run starts one).
SCHEDULER_ENV = "NDCHUNK_COMPARE_SCHEDULER"
# W4-slurm runs on the SLURMCluster (2 single-core jobs) at this address.
SLURM_SCHEDULER_ENV = "NDCHUNK_COMPARE_SLURM_SCHEDULER"
CLUSTER_ENV = {"W4-dask-cluster": SCHEDULER_ENV, "W4-slurm": SLURM_SCHEDULER_ENV}
PER_TASK_PROBE = 10_000  # trivial tasks timed to measure the per-task overhead
SYSTEMS = ("numpy", "dask", "sklearn", "ndchunk-py")
# The workloads the Python package runs (the rest have no ndchunk-py row).
NDCHUNK_PY = ("W1", "W3", "W6", "W7", "W2", "W4", "W4-sum", "W5")
DASK_WORKERS = 2
P4_WEIGHT_MOD = 1000  # make_data.P4_WEIGHT_MOD; checked against meta.json in main()


# --------------------------------------------------------------------------
# measurement (as bench_dask.py)
# --------------------------------------------------------------------------
class PeakRSS:
    """Sample RSS in a background thread every `interval` s while the block runs."""

    def __init__(self, interval=0.005):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self.base = 0
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            r = self.proc.memory_info().rss
            if r > self.peak:
                self.peak = r
            self._stop.wait(self.interval)

    def __enter__(self):
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        return False


def _cpu_now():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def measure(build, run, repeat, on_built=None, before=None):
    """Run build() then run(built) `repeat` times, timing both together.

    build may be None (numpy: the whole op is run()).  Returns a dict with the
    result of the last run and the timings; RSS is sampled over all runs and the
    previous result is freed before each run (bench_dask.timed).
    on_built(y, build_seconds) is called after the first build; its time is not
    counted."""
    total, plan, cpu = [], [], []
    res = y = None
    with PeakRSS() as pr:
        for i in range(repeat):
            res = y = None
            if before is not None:
                before()
            c0 = _cpu_now()
            t0 = time.perf_counter()
            y = build() if build is not None else None
            t1 = time.perf_counter()
            if i == 0 and on_built is not None:
                on_built(y, t1 - t0)
                pause = time.perf_counter() - t1
                t0 += pause
                t1 += pause
            res = run(y)
            t2 = time.perf_counter()
            total.append(t2 - t0)
            plan.append(t1 - t0)
            cpu.append(_cpu_now() - c0)
    i = int(np.argmin(total))
    return {
        "res": res,
        "y": y,
        "seconds": total[i],
        "plan_seconds": plan[i] if build is not None else None,
        "all_seconds": total,
        "cpu_seconds": cpu[i],
        "peak_mb": pr.peak / 2**20,
        "base_mb": pr.base / 2**20,
    }


def checksum(workload, res):
    """The harness checksum (make_data.py's docstring): float64 sum of the result;
    for P4 sum(result[i] * (i % weight_mod))."""
    a = np.asarray(res)
    if workload == "W5-mem":
        return w5_checksum(a)
    if workload in ("S3", "S4"):
        return float(np.abs(a[::97, ::89].astype(np.float64)).sum())
    if workload == "S5":
        return float(np.abs(a.astype(np.float64)).sum())
    if workload == "S2":
        values, counts = (np.asarray(r, np.float64) for r in res)
        return float((values * counts * (np.arange(values.size) % 7 + 1)).sum())
    if workload == "S1":
        s = a[::1000].astype(np.float64)
        return float(np.dot(s, (np.arange(s.size) % 17).astype(np.float64)))
    if workload == "P4":
        a = a.ravel()
        w = (np.arange(a.size, dtype=np.int64) % P4_WEIGHT_MOD).astype(np.float64)
        return float(np.dot(a.astype(np.float64, copy=False), w))
    return float(np.sum(a, dtype=np.float64))



# --------------------------------------------------------------------------
# workloads
# --------------------------------------------------------------------------
def w5_input(n):
    """W5-mem's input (make_data.py): x[i, j] = float32((i * n + j) % 1000)."""
    x = np.empty((n, n), np.float32)
    step = max(n // 20, 1)
    for i in range(0, n, step):
        rows = np.arange(i * n, min(i + step, n) * n, dtype=np.int64)
        x[i:i + step] = (rows % 1000).astype(np.float32).reshape(-1, n)
    return x


def by_row_blocks(n, d, dtype, value, step=20_000):
    """An (n, d) array of `dtype` filled `step` rows at a time with
    value(i, j), i a column of row numbers and j a row of column numbers
    (int64), so the temporaries stay small."""
    out = np.empty((n, d), dtype)
    j = np.arange(d, dtype=np.int64)[None, :]
    for i0 in range(0, n, step):
        i = np.arange(i0, min(i0 + step, n), dtype=np.int64)[:, None]
        out[i0:i0 + step] = value(i, j)
    return out


def hashed_uniform(i, j):
    """M2's and K1's u(i, j) in [-0.5, 0.5), from integers (make_data.py)."""
    return ((2654435761 * i + 40503 * j) % 1000003) / 1000003.0 - 0.5


def m1_inputs(sz):
    """M1's operands (make_data.py), in float32 arithmetic as the Rust side."""
    n, k, m = sz["N"], sz["K"], sz["M"]
    a = by_row_blocks(n, k, np.float32,
                      lambda i, j: ((7 * i + 3 * j) % 13).astype(np.float32) * np.float32(0.1))
    b = by_row_blocks(k, m, np.float32,
                      lambda i, j: ((5 * i + 11 * j) % 17).astype(np.float32) * np.float32(0.05))
    return a, b


def m2_input(sz):
    """M2's matrix (make_data.py), in integer arithmetic as the Rust side."""
    return by_row_blocks(sz["N"], sz["K"], np.float64, hashed_uniform, step=100_000)


def k1_input(sz):
    """K1's blobs (make_data.py), in float64 then rounded to float32 once."""
    return by_row_blocks(
        sz["N"], sz["D"], np.float32,
        lambda i, j: (hashed_uniform(i, j) + 0.25 * ((7 * (i % 16) + 3 * j) % 16)).astype(np.float32))


def k1_checksum(x, idx):
    """K1's checksum: the sum of the exact (f64) distances from each row to
    the neighbours found. Equal distances are interchangeable (the data sit
    on a lattice, so ties at the k-th neighbour are common and each engine
    breaks them its own way), so this agrees wherever the neighbours are
    correct, and moves when one is farther than the true k-th."""
    x64 = x.astype(np.float64)
    idx = np.asarray(idx, np.int64)
    total = 0.0
    for i0 in range(0, len(x), 10_000):
        g = x64[idx[i0:i0 + 10_000]]  # (rows, k, d)
        total += float(np.sqrt(((g - x64[i0:i0 + 10_000, None, :]) ** 2).sum(-1)).sum())
    return total


def k1_recall(x, idx, k, rows):
    """The fraction of the neighbours found, over `rows` evenly spaced rows,
    that are no farther than the true k-th nearest (f64 brute force): recall
    with ties counted as found."""
    x64 = x.astype(np.float64)
    good = 0
    for r in np.linspace(0, len(x) - 1, rows).astype(np.int64):
        d = ((x64 - x64[r]) ** 2).sum(1)
        kth = np.partition(d, k - 1)[k - 1]
        good += int((d[np.asarray(idx[r])] <= kth).sum())
    return good / (rows * k)


def w5_checksum(sample):
    """W5-mem's checksum of the sample result[::7, ::13]."""
    s = np.asarray(sample, dtype=np.float64)
    i, j = np.indices(s.shape)
    return float((s * ((i + 3 * j) % 17)).sum())


def s_input(n):
    """S3's and S4's input (make_data.py): float32(u(i, j)), u as K1's."""
    return by_row_blocks(n, n, np.float32, lambda i, j: hashed_uniform(i, j).astype(np.float32),
                         step=1000)


def mean3(grown):
    """The 3 x 3 mean of a block grown by one element on each side: nine
    shifted slices added in order (row offset, then column offset), / 9, in
    float32 (make_data.py's S4)."""
    rows, cols = grown.shape[0] - 2, grown.shape[1] - 2
    acc = np.zeros((rows, cols), np.float32)
    for di in range(3):
        for dj in range(3):
            acc += grown[di:di + rows, dj:dj + cols]
    acc /= np.float32(9)
    return acc


def load(data, name):
    # a full read (no mmap): the inputs are resident before the timed runs
    return np.load(os.path.join(data, name), allow_pickle=False)


def _w3_numpy_expr(X, knn_block, Xi):
    # bench_dask._w3_numpy_expr
    G = X[knn_block]  # (B, K, D)
    return ((G - Xi[:, None, :]) ** 2).sum(-1).mean(-1)


def child(workload, system, args, meta):
    sz = meta["sizes"][workload]
    rep = args.repeat
    if workload == "P4" and system == "dask":
        rep = args.repeat_p4_dask
    info = {"chunks": sz["chunk"]}

    if workload in ("W1", "W6"):
        X = load(args.data, "w1_X.npy")
        info["shape"] = list(X.shape)
    if workload == "W1":
        idx = load(args.data, "w1_idx.npy")
        info["nidx"] = len(idx)
    if workload == "W3":
        X = load(args.data, "w3_X.npy")
        knn = load(args.data, "w3_knn.npy")
        info.update(shape=list(X.shape), K=knn.shape[1])
    if workload in ("W7", "P4"):
        x = load(args.data, "w7_x.npy")
        info["shape"] = list(x.shape)
    if workload == "W7":
        idx = load(args.data, "w7_idx.npy")
        info["nidx"] = len(idx)
    if workload == "P4":
        idx = load(args.data, "p4_perm.npy")
        info["nidx"] = len(idx)

    if workload == "W5-mem":
        return w5_mem_dask(sz, rep, info)
    if workload == "M1":
        A, B = m1_inputs(sz)
        info["shape"] = [list(A.shape), list(B.shape)]
    if workload == "M2":
        A = m2_input(sz)
        info["shape"] = list(A.shape)
    if workload == "K1":
        return k1_child(system, sz, rep, info)
    if workload in ("S3", "S4"):
        X = s_input(sz["N"])
        info["shape"] = list(X.shape)
    if workload == "S2":
        x = ((2654435761 * np.arange(sz["N"], dtype=np.int64)) % 1000003) % sz["high"]
        info["shape"] = [sz["N"]]
    if workload == "S1":
        x = by_row_blocks(sz["N"], 1, np.float32, lambda i, j: hashed_uniform(i, j).astype(np.float32),
                          step=1_000_000).reshape(-1)
        info["shape"] = list(x.shape)
    if workload == "S5":
        X = by_row_blocks(sz["N"], sz["D"], np.float64, hashed_uniform, step=1_000_000)
        info.update(shape=list(X.shape), q=sz["q"])
    if system == "ndchunk-py":
        return ndchunk_py_child(workload, args, sz, rep, info, locals())
    if workload in STORAGE:
        return storage_child(workload, system, args, sz, rep, info)
    if system == "numpy":
        if workload in ("W1",):
            op = lambda _: np.take(X, idx, axis=0)
        elif workload in ("W7", "P4"):
            op = lambda _: np.take(x, idx)
        elif workload == "W6":
            thr = sz["threshold"]
            op = lambda _: X[X[:, 0] > thr].sum()
        elif workload == "M1":
            info["blas"] = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
            op = lambda _: A @ B
        elif workload == "M2":
            info["blas"] = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
            op = lambda _: np.linalg.svd(A, full_matrices=False)[1]
        elif workload == "S1":
            op = lambda _: np.sort(x)
        elif workload == "S2":
            op = lambda _: np.unique(x, return_counts=True)
        elif workload == "S5":
            op = lambda _: np.percentile(X, sz["q"], axis=0)
        elif workload == "S3":
            op = lambda _: np.cumsum(X, axis=0)
        elif workload == "S4":
            op = lambda _: mean3(np.pad(X, 1, mode="symmetric"))
        elif workload == "W3":
            B = sz["chunk"][0]
            info["block_rows"] = B

            def op(_):
                out = np.empty(len(X), np.float32)
                for i in range(0, len(X), B):
                    out[i:i + B] = _w3_numpy_expr(X, knn[i:i + B], X[i:i + B])
                return out
        m = measure(None, op, rep)
        tasks = None
    else:
        import dask
        import dask.array as da

        dask.config.set(scheduler="threads", num_workers=DASK_WORKERS)
        info["scheduler"] = f"threads, {DASK_WORKERS} workers"
        if workload in ("W1", "W6"):
            Xd = da.from_array(X, chunks=tuple(sz["chunk"]))
        if workload == "W1":
            build = lambda: Xd[idx]
        elif workload == "W6":
            thr = sz["threshold"]
            build = lambda: Xd[Xd[:, 0] > thr].sum()
        elif workload == "W3":
            Xd = da.from_array(X, chunks=tuple(sz["chunk"]))
            N, K, D = X.shape[0], knn.shape[1], X.shape[1]
            info["variant"] = args.w3_dask

            def build():
                if args.w3_dask == "take":
                    G = Xd[knn.ravel()].reshape(N, K, D)
                else:
                    G = Xd.vindex[knn]  # (N, K, D)
                return ((G - Xd[:, None, :]) ** 2).sum(-1).mean(-1)
        elif workload in ("W7", "P4"):
            xd = da.from_array(x, chunks=tuple(sz["chunk"]))
            build = lambda: xd[idx]
        elif workload == "M1":
            Ad = da.from_array(A, chunks=tuple(sz["chunk"]))
            build = lambda: Ad @ B
        elif workload == "M2":
            Ad = da.from_array(A, chunks=tuple(sz["chunk"]))
            build = lambda: da.linalg.svd(Ad)
        elif workload == "S1":
            xd = da.from_array(x, chunks=tuple(sz["chunk"]))
            info["method"] = "sample sort: one masked compute per bucket, np.sort of each"
            build = lambda: xd

            def run_s1(y):
                # Splitters from an evenly spaced sample, buckets of about
                # 16 M elements, each selected by a mask and sorted.
                n = y.shape[0]
                buckets = max(2, -(-n // 16_000_000))
                sample = np.sort(y[:: max(n // (256 * buckets), 1)].compute())
                bounds = [sample[len(sample) * k // buckets] for k in range(1, buckets)]
                out = np.empty(n, y.dtype)
                at = 0
                for k in range(buckets):
                    sel = y >= bounds[k - 1] if k else None
                    if k + 1 < buckets:
                        upper = y < bounds[k]
                        sel = upper if sel is None else sel & upper
                    part = np.sort(y[sel].compute())
                    out[at:at + part.size] = part
                    at += part.size
                return out
        elif workload == "S2":
            xd = da.from_array(x, chunks=tuple(sz["chunk"]))
            build = lambda: da.unique(xd, return_counts=True)
        elif workload == "S5":
            Xd = da.from_array(X, chunks=tuple(sz["chunk"]))
            info["method"] = "da.percentile per column"
            info["approximate"] = True
            build = lambda: [da.percentile(Xd[:, j], sz["q"]) for j in range(X.shape[1])]
        elif workload in ("S3", "S4"):
            # Held as blocks (persisted), as ndchunk's input.
            Xd = da.from_array(X, chunks=tuple(sz["chunk"])).persist()
            if workload == "S3":
                build = lambda: da.cumsum(Xd, axis=0)
            else:
                build = lambda: Xd.map_overlap(mean3, depth=1, boundary="reflect", trim=False,
                                               dtype=np.float32, chunks=Xd.chunks)
        seen = {}

        def on_built(y, build_s):
            # Task count right after the first build, printed as a partial line so
            # that a compute which times out (P4 at full size) still reports the
            # graph build time and size.  Not counted in the timings.
            # M2's (u, s, v): u's graph holds the whole tsqr.
            if isinstance(y, list):  # S5's columns, computed together
                merged = {}
                for v in y:
                    merged.update(dict(v.__dask_graph__()))
                seen["tasks"] = len(merged)
            else:
                seen["tasks"] = len((y[0] if isinstance(y, tuple) else y).__dask_graph__())
            print(json.dumps({"partial": True, "workload": workload, "system": system,
                              "tasks": seen["tasks"], "plan_seconds": round(build_s, 6)}),
                  flush=True)

        with warnings.catch_warnings(record=True) as wrec:
            warnings.simplefilter("always")
            # M2's result is (u, s, v), computed together; its checksum is s's.
            if workload == "M2":
                run = lambda y: dask.compute(*y)[1]
            elif workload == "S1":
                run = run_s1
            elif workload == "S5":
                run = lambda y: np.stack(dask.compute(*y), axis=1)
            elif workload == "S2":
                run = lambda y: dask.compute(*y)
            else:
                run = lambda y: y.compute()
            m = measure(build, run, rep, on_built)
        tasks = seen["tasks"]
        if wrec:
            info["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in wrec})

    return result_line(workload, system, m, tasks, checksum(workload, m["res"]), rep,
                       quick=bool(meta.get("quick")), **info)


def ndchunk_py_child(workload, args, sz, rep, info, inputs):
    """ndchunk from Python (the ``ndchunk`` package), timed from Python like the
    numpy and dask rows, with the same expressions as examples/compare_ndchunk/main.rs.
    Inputs are NumPy arrays read in place (``from_array``) or Zarr stores."""
    import shutil

    import ndchunk as nc

    info["engine"] = "ndchunk (Python package)"
    chunks = tuple(sz["chunk"]) if "chunk" in sz else None
    out_path = os.path.join(args.data, "w5_ndchunk-py_out.zarr")
    before = None
    # In-memory inputs as the Rust row holds them: copied once into ndchunk's
    # memory before the timed runs (from_array(copy=True)). NDCHUNK_PY_IN_PLACE=1
    # reads NumPy's buffer in place instead (from_array's default), inside
    # the timed build.
    in_place = os.environ.get("NDCHUNK_PY_IN_PLACE") == "1"
    info["input"] = "from_array, read in place, inside the build" if in_place else \
        "from_array(copy=True) once, before the timed runs (as the Rust row)"
    held = {}

    def source(name):
        if in_place:
            return nc.from_array(inputs[name], chunks=chunks)
        if name not in held:
            held[name] = nc.from_array(inputs[name], chunks=chunks, copy=True)
        return held[name]

    if workload == "W1":
        source("X")
        idx = inputs["idx"]
        build = lambda: source("X")[idx]
    elif workload == "W3":
        source("X")
        knn = inputs["knn"]

        def build():
            Xn = source("X")
            return ((Xn.vindex[knn] - Xn[:, None, :]) ** 2).sum(-1).mean(-1)
    elif workload == "W6":
        source("X")
        X, thr = inputs["X"], sz["threshold"]
        info["mask"] = "eager NumPy mask X[:, 0] > threshold, inside the timed run"
        build = lambda: source("X")[X[:, 0] > thr].sum()
    elif workload == "W7":
        source("x")
        idx = inputs["idx"]
        build = lambda: source("x")[idx]
    elif workload in STORAGE:
        store = os.path.join(args.data, sz["store"])
        evict = (lambda: evict_path(store)) if args.cold else (lambda: None)
        before = evict
        info["cold"] = args.cold
        if workload == "W2":
            idx = load(args.data, "w1_idx.npy")
            build = lambda: nc.from_zarr(store)[idx]
        elif workload == "W4":
            build = lambda: ((nc.from_zarr(store) * np.float32(2) + np.float32(1)) ** 2).mean(axis=0)
        elif workload == "W4-sum":
            build = lambda: nc.from_zarr(store).sum()
        else:
            build = lambda: nc.from_zarr(store).rechunk(tuple(sz["strips"]))
            before = lambda: (shutil.rmtree(out_path, ignore_errors=True), evict())
    else:
        raise ValueError(f"ndchunk-py runs {', '.join(NDCHUNK_PY)}, not {workload}")
    seen = {}

    def on_built(y, build_s):
        seen["tasks"] = y.explain().split("tasks: ", 1)[1].split(" ", 1)[0]

    if workload == "W5":
        run = lambda y: nc.to_zarr(y, out_path, codec="zstd", level=0)
    else:
        run = lambda y: y.compute()
    m = measure(build, run, rep, on_built, before=before)
    if workload == "W5":
        import zarr

        res = zarr.open_array(out_path, mode="r")[:, 0]
        shutil.rmtree(out_path, ignore_errors=True)
    else:
        res = m["res"]
    tasks = int(seen["tasks"]) if str(seen.get("tasks", "")).isdigit() else None
    return result_line(workload, "ndchunk-py", m, tasks, checksum(workload, res), rep, **info)


def result_line(workload, system, m, tasks, checksum_value, rep, **extra):
    """The JSON line of one (workload, system) pair from measure()'s timings."""
    return {
        "workload": workload,
        "system": system,
        "seconds": round(m["seconds"], 6),
        "peak_rss_mb": round(m["peak_mb"] - m["base_mb"], 1),
        "tasks": tasks,
        "checksum": checksum_value,
        "plan_seconds": None if m["plan_seconds"] is None else round(m["plan_seconds"], 6),
        "repeat": rep,
        "all_seconds": [round(t, 6) for t in m["all_seconds"]],
        "cpu_seconds": round(m["cpu_seconds"], 4),
        "base_rss_mb": round(m["base_mb"], 1),
        "peak_rss_abs_mb": round(m["peak_mb"], 1),
        **extra,
    }


def k1_child(system, sz, rep, info):
    """K1: the exact kNN graph by scikit-learn's brute force, or by dask's
    blocked formulation (blockwise squared distances ||a||^2 + ||b||^2 - 2 a.b^T
    in f64, then argtopk over the column blocks)."""
    X = k1_input(sz)
    k = sz["k"]
    info.update(shape=list(X.shape), k=k)
    if system == "sklearn":
        from sklearn.neighbors import NearestNeighbors
        import sklearn
        info["version"] = sklearn.__version__
        op = lambda _: NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X).kneighbors(X)[1]
        m = measure(None, op, rep)
        tasks = None
    else:
        import dask
        import dask.array as da

        dask.config.set(scheduler="threads", num_workers=DASK_WORKERS)
        info["scheduler"] = f"threads, {DASK_WORKERS} workers"
        # Square distance blocks of 2000 x 2000 f64 (32 MB), as ndchunk's.
        side = 2000
        info["distance_block"] = [side, side]

        def distances(a, b):
            a, b = a.astype(np.float64), b.astype(np.float64)
            d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
            return d

        def build():
            Xd = da.from_array(X, chunks=(side, X.shape[1]))
            d = da.blockwise(distances, "ij", Xd, "ik", Xd, "jk", dtype=np.float64,
                             concatenate=True)
            return da.argtopk(d, -k, axis=1)

        seen = {}

        def on_built(y, build_s):
            seen["tasks"] = len(y.__dask_graph__())

        m = measure(build, lambda y: y.compute(), rep, on_built)
        tasks = seen["tasks"]
        # argtopk(-k) gives the k smallest in ascending order; ties within a
        # row are left in dask's order (distinct distances make them rare).
    idx = np.asarray(m["res"])
    info["recall"] = k1_recall(X, idx, k, sz["recall_rows"])
    return result_line("K1", system, m, tasks, k1_checksum(X, idx), rep, **info)


def w5_mem_dask(sz, rep, info):
    """W5-mem with dask: blocks held in memory (persisted), rechunked to column
    strips and back, the result persisted."""
    import dask
    import dask.array as da

    dask.config.set(scheduler="threads", num_workers=DASK_WORKERS)
    n, chunk, strips = sz["N"], tuple(sz["chunk"]), tuple(sz["strips"])
    x = da.from_array(w5_input(n), chunks=chunk).persist()
    info.update(shape=[n, n], strips=list(strips), scheduler=f"threads, {DASK_WORKERS} workers")
    seen = {}

    def on_built(y, build_s):
        seen["tasks"] = len(y.__dask_graph__())

    m = measure(lambda: x.rechunk(strips).rechunk(chunk), lambda y: y.persist(), rep, on_built)
    y = m["res"]
    assert y.chunks == x.chunks, y.chunks
    return result_line("W5-mem", "dask", m, seen["tasks"], w5_checksum(y[::7, ::13].compute()), rep,
                       **info)


def evict_path(path):
    """Drop the page cache of every file under `path` (bench_dask.evict_path)."""
    for root, _, files in os.walk(path):
        for f in files:
            fd = os.open(os.path.join(root, f), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def cluster_probe(address):
    """Connects this process to the cluster at `address` (dask then computes
    there) and measures Dask's own per-task overhead: worker-milliseconds per
    trivial task, over PER_TASK_PROBE tasks."""
    from distributed import Client

    client = Client(address)
    workers = len(client.scheduler_info()["workers"])
    t0 = time.perf_counter()
    client.gather(client.map(lambda i: i, range(PER_TASK_PROBE), pure=False))
    wall = time.perf_counter() - t0
    return {"scheduler": address, "workers": workers,
            "per_task_ms": round(wall * workers / PER_TASK_PROBE * 1e3, 2)}


def storage_child(workload, system, args, sz, rep, info):
    """W2, W4, W4-sum and W5 on the Zarr stores, as bench_dask.py's w2/w4/w5 with
    dask, and with zarr-python + numpy ("numpy": read whole, then compute; W2
    uses zarr-python's oindex gather; W5 the hand-written strip-by-strip
    rechunk, bench_dask.w5_zarr)."""
    import shutil

    import zarr

    store = os.path.join(args.data, sz["store"])
    out_path = os.path.join(args.data, f"w5_{system}_out.zarr")
    evict = (lambda: evict_path(store)) if args.cold else (lambda: None)
    info.update(cold=args.cold, engine="dask" if system == "dask" else "zarr-python + numpy")
    if workload == "W5-spill":
        # dask's threaded scheduler takes no memory limit: peak_rss_mb beside
        # this says how far over it dask goes.
        info["memory_limit_mb"] = sz["memory_limit"] >> 20
    tasks = None
    if system == "dask":
        import dask
        import dask.array as da

        if workload in CLUSTER_ENV:
            info.update(cluster_probe(os.environ[CLUSTER_ENV[workload]]))
        else:
            dask.config.set(scheduler="threads", num_workers=DASK_WORKERS)
        seen = {}

        def on_built(y, build_s):
            seen["tasks"] = len(y.__dask_graph__())

        if workload == "W2":
            idx = load(args.data, "w1_idx.npy")
            build, run = (lambda: da.from_zarr(store)[idx]), (lambda y: y.compute())
        elif workload in ("W4", "W4-dask-cluster", "W4-slurm"):
            build = lambda: ((da.from_zarr(store) * 2 + 1) ** 2).mean(axis=0)
            run = lambda y: y.compute()
        elif workload == "W4-sum":
            build, run = (lambda: da.from_zarr(store).sum()), (lambda y: y.compute())
        else:
            build = lambda: da.from_zarr(store).rechunk(tuple(sz["strips"]))
            run = lambda y: da.to_zarr(y, out_path, overwrite=True)
        before = evict if workload not in ("W5", "W5-spill") else (lambda: (shutil.rmtree(out_path, ignore_errors=True), evict()))
        m = measure(build, run, rep, on_built, before=before)
        tasks = seen.get("tasks")
    else:
        z = zarr.open_array(store, mode="r")
        if workload == "W2":
            idx = load(args.data, "w1_idx.npy")
            op = lambda _: z.oindex[idx, :]
        elif workload == "W4":
            op = lambda _: ((z[...] * 2 + 1) ** 2).mean(axis=0)
        elif workload == "W4-sum":
            op = lambda _: z[...].sum()
        else:
            def op(_):
                zout = zarr.create_array(store=out_path, shape=z.shape, chunks=tuple(sz["strips"]),
                                         dtype=z.dtype, zarr_format=3, overwrite=True)
                cw = z.chunks[1]
                for c0 in range(0, z.shape[1], cw):
                    zout[:, c0:c0 + cw] = z[:, c0:c0 + cw]
        before = evict if workload not in ("W5", "W5-spill") else (lambda: (shutil.rmtree(out_path, ignore_errors=True), evict()))
        m = measure(None, op, rep, before=before)
    if workload in ("W5", "W5-spill"):
        res = zarr.open_array(out_path, mode="r")[:, 0]
        info["out_chunks"] = list(zarr.open_array(out_path, mode="r").chunks)
        shutil.rmtree(out_path, ignore_errors=True)
    else:
        res = m["res"]
    nbytes = zarr.open_array(store, mode="r").nbytes
    return result_line(workload, system, m, tasks, checksum(workload, res), rep,
                       GBps=round(nbytes / 1e9 / m["seconds"], 3), **info)


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------
def _busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(t) for t in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]  # non-idle, non-iowait


def cpu_busy_fraction(interval=1.0):
    """Fraction of all CPUs busy over `interval` s (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(t) for t in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]
    t0, i0 = snap()
    time.sleep(interval)
    t1, i1 = snap()
    return 1.0 - (i1 - i0) / max(t1 - t0, 1)


def wait_quiet(args):
    """With --wait-idle F, wait (up to --max-wait s) until the machine's busy
    fraction is below F (bench_dask.py's wait_quiet)."""
    if args.wait_idle <= 0:
        return {}
    busy = cpu_busy_fraction(1.0)
    waited = 0.0
    while busy > args.wait_idle and waited < args.max_wait:
        time.sleep(4.0)
        waited += 5.0
        busy = cpu_busy_fraction(1.0)
    return {"cpu_busy_before": round(busy, 3), "waited_s": waited}


def run_child(workload, system, args):
    """Run one pair; with --retries N re-run it while other processes used more
    than --max-others cores, keeping the least contended run (bench_dask.py)."""
    best = None
    for attempt in range(1 + args.retries):
        quiet = wait_quiet(args)
        res = run_child_once(workload, system, args)
        res.update(quiet)
        if args.retries:
            res["attempt"] = attempt
        if best is None or res.get("others_busy_cores", 9e9) < best.get("others_busy_cores", 9e9):
            best = res
        if res.get("error") is not None or res.get("others_busy_cores", 0) <= args.max_others:
            break
    return best


def run_child_once(workload, system, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", f"{workload}:{system}",
           "--data", args.data, "--repeat", str(args.repeat),
           "--repeat-p4-dask", str(args.repeat_p4_dask), "--w3-dask", args.w3_dask]
    if args.cold:
        cmd.append("--cold")
    hz = os.sysconf("SC_CLK_TCK")
    j0 = _busy_jiffies()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        res = {"workload": workload, "system": system, "seconds": None, "peak_rss_mb": None,
               "tasks": None, "checksum": None, "error": f"timeout after {args.timeout} s"}
        # keep what the child reported before the timeout (graph size and build time)
        for ln in out.splitlines():
            if ln.startswith("{"):
                part = json.loads(ln)
                res.update(tasks=part.get("tasks"), plan_seconds=part.get("plan_seconds"))
        return res
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    busy = (_busy_jiffies() - j0) / hz
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{") and '"partial"' not in ln]
    if p.returncode != 0 or not lines:
        return {"workload": workload, "system": system, "seconds": None, "peak_rss_mb": None,
                "tasks": None, "checksum": None, "error": f"child failed rc={p.returncode}",
                "stderr_tail": p.stderr[-2000:]}
    res = json.loads(lines[-1])
    res["child_wall_s"] = round(wall, 2)
    # average number of cores used by other processes while the child ran
    res["others_busy_cores"] = round(max(busy - child_cpu, 0.0) / wall, 2)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description="numpy and dask peers of the ndchunk comparison harness")
    ap.add_argument("--data", required=True, help="directory written by make_data.py")
    ap.add_argument("--only", default="", help="comma list of workloads (" + ",".join(WORKLOADS) + ")")
    ap.add_argument("--skip", default="", help="comma list of workloads or workload:system, e.g. P4:dask")
    ap.add_argument("--systems", default="numpy,dask", help="comma list of numpy,dask,sklearn,ndchunk-py")
    ap.add_argument("--repeat", type=int, default=3, help="runs per pair; the minimum is reported")
    ap.add_argument("--repeat-p4-dask", type=int, default=1,
                    help="runs for P4 with dask (2e6 tasks at full size: the graph build takes "
                         "about 20 s and the compute more than 30 min on 2 vCPUs)")
    ap.add_argument("--w3-dask", choices=("take", "vindex"), default="take",
                    help="dask W3 formulation: Xd[knn.ravel()].reshape(N, K, D) (default, dask's "
                         "faster one: 5.0 s against 7.5 s at full size) or Xd.vindex[knn] (the "
                         "same operation as ndchunk's)")
    ap.add_argument("--timeout", type=int, default=1800, help="per-pair timeout (s)")
    ap.add_argument("--wait-idle", type=float, default=0.0,
                    help="before each pair wait until the machine-wide CPU busy fraction is below "
                         "this (e.g. 0.15; 0 = don't wait)")
    ap.add_argument("--max-wait", type=float, default=300.0, help="longest wait for --wait-idle (s)")
    ap.add_argument("--retries", type=int, default=0,
                    help="re-run a pair up to N more times while other processes used more than "
                         "--max-others cores on average during it; the least contended run is kept")
    ap.add_argument("--max-others", type=float, default=0.25)
    ap.add_argument("--quick", action="store_true",
                    help="accepted for symmetry with run; sizes come from the data directory")
    ap.add_argument("--cold", action="store_true",
                    help="storage workloads: drop the input's page cache before each run")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    meta_path = os.path.join(args.data, "meta.json")
    if not os.path.exists(meta_path):
        print(f"peers.py: {meta_path} missing; run make_data.py --data {args.data} first", file=sys.stderr)
        return 2
    with open(meta_path) as f:
        meta = json.load(f)
    if meta["sizes"]["P4"]["weight_mod"] != P4_WEIGHT_MOD:
        print("peers.py: meta.json's P4 weight_mod differs from peers.py's", file=sys.stderr)
        return 2

    if args.child:
        workload, system = args.child.split(":")
        try:
            res = child(workload, system, args, meta)
        except Exception as e:
            res = {"workload": workload, "system": system, "seconds": None, "peak_rss_mb": None,
                   "tasks": None, "checksum": None, "error": repr(e),
                   "traceback": traceback.format_exc()[-3000:]}
        print(json.dumps(res), flush=True)
        return 0

    only = [w for w in args.only.split(",") if w] or list(WORKLOADS)
    skip = {s for s in args.skip.split(",") if s}
    systems = [s for s in args.systems.split(",") if s]
    for w in only:
        if w not in WORKLOADS:
            print(f"peers.py: unknown workload {w!r}; known: {','.join(WORKLOADS)}", file=sys.stderr)
            return 2
    for s in systems:
        if s not in SYSTEMS:
            print(f"peers.py: unknown system {s!r}; known: {','.join(SYSTEMS)}", file=sys.stderr)
            return 2
    failed = False
    for w in only:
        missing = [f for f in meta["files"][w] if not os.path.exists(os.path.join(args.data, f))]
        if missing:
            print(f"peers.py: {w} inputs missing in {args.data}: {missing}", file=sys.stderr)
            return 2
        for s in systems:
            if w in skip or f"{w}:{s}" in skip or (w, s) in (("W5-mem", "numpy"), ("W4-dask-cluster", "numpy"),
                                                                 ("W4-slurm", "numpy"), ("W5-spill", "numpy")):
                continue  # numpy has no chunks to rechunk, and no cluster
            if s == "ndchunk-py" and w not in NDCHUNK_PY:
                continue  # the Python package's rows: gathers, the mask and storage
            if (s == "sklearn" and w != "K1") or (w, s) == ("K1", "numpy"):
                continue  # scikit-learn runs K1 only; K1 has no plain-numpy peer
            res = run_child(w, s, args)
            failed |= res.get("error") is not None
            print(json.dumps(res), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
