"""Dask's side of examples/plan_at_scale.rs (issue 17, item 4): the same
graphs built and optimised by dask.array without computing them; prints,
per size, the tasks after optimisation, the seconds of graph build +
optimisation, and the growth of this process's peak RSS.

    .venv/bin/python benches/compare/plan_at_scale_dask.py [--max-blocks N]
"""
import argparse
import resource
import time

import dask
import dask.array as da
import numpy as np


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name, build):
    before = peak_mb()
    t0 = time.perf_counter()
    (array,) = dask.optimize(build())
    tasks = len(dict(array.__dask_graph__()))
    seconds = time.perf_counter() - t0
    grown = peak_mb() - before
    print(f"{name:<44} {tasks:>9} tasks  {seconds:>7.3f} s  peak RSS +{grown:.0f} MB", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-blocks", type=int, default=1_000_000)
    ap.add_argument("--max-permutation", type=int, default=100_000_000)
    args = ap.parse_args()
    print("dask: graph build + dask.optimize(), without computing")
    for blocks in [b for b in (10_000, 100_000, 1_000_000) if b <= args.max_blocks]:
        n = blocks * 100
        measure(f"sum((2x + 1)^2), {blocks} blocks of 100",
                lambda: ((da.random.random(n, chunks=100).astype(np.float32) * 2 + 1) ** 2).sum())
    for n in [n for n in (10_000_000, 100_000_000) if n <= args.max_permutation]:
        chunk = 1000
        # The permutation is drawn inside the timing, as ndchunk's is.
        measure(f"permutation of {n} over {n // chunk} chunks",
                lambda: da.arange(n, chunks=chunk, dtype=np.float64)[np.random.default_rng(7).permutation(n)])


if __name__ == "__main__":
    main()
