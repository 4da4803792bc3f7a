"""Per-operation cost of building ndchunk expressions from Python (issue 15's
target: under 20 us per op, a 1000-op expression in under 20 ms).

    .venv/bin/python benches/python_overhead.py

Each line builds a 1000-op expression (no compute) five times and prints the
best time.
"""

import time

import numpy as np

import ndchunk as nc


def best_of(build, reps=5):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        build()
        best = min(best, time.perf_counter() - t)
    return best


def chain(start, step, n=1000):
    def build():
        z = start()
        for _ in range(n):
            z = step(z)
        return z
    return build


ints = nc.ones((100,), chunks=10, dtype=np.int32)
CASES = {
    "x + 1.0": chain(lambda: nc.ones((100,), chunks=10), lambda z: z + 1.0),
    "np.sqrt(x)": chain(lambda: nc.ones((100,), chunks=10), np.sqrt),
    "x + int32 array (promoted)": chain(lambda: nc.ones((100,), chunks=10), lambda z: z + ints),
    "x[1:]": chain(lambda: nc.ones((2000,), chunks=10), lambda z: z[1:]),
    "x.sum(axis=0, keepdims=True)": chain(lambda: nc.ones((10, 10), chunks=5),
                                         lambda z: z.sum(axis=0, keepdims=True)),
}

if __name__ == "__main__":
    for name, build in CASES.items():
        t = best_of(build)
        print(f"{name:32s} 1000 ops in {t * 1e3:6.2f} ms ({t * 1e3:4.1f} us/op)")
