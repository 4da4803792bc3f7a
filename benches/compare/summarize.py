#!/usr/bin/env python
"""Ratio table for the comparison harness's JSON lines.

    python summarize.py results.jsonl [more.jsonl ...]     # or JSON lines on stdin

Per workload: seconds and peak_rss_mb (extra over the inputs) of ndchunk, its floor
(floor_seconds, measured in the same run: see examples/compare_ndchunk/floors.rs) and ndchunk/floor, numpy,
dask, scikit-learn (K1 only) and ndchunk-py (the Python package); the ratios to
ndchunk (above 1 means ndchunk is faster or smaller), and ndchunk-py's to ndchunk
(py/ndchunk, the Python package's overhead) and dask's to ndchunk-py; tasks and plan seconds; the checksums side by side and
whether they agree within 1e-6 relative (equal, for the integer checksum of K1). Uses only the standard library.
Exits 1 when some checksum disagrees or a line reports an error.
"""
from __future__ import annotations

import json
import math
import sys

WORKLOADS = ("W1", "W3", "W6", "W7", "P4", "W5-mem", "M1", "M2", "K1", "W2", "W4", "W4-sum", "W5", "W4-dask-cluster", "W4-slurm", "W5-spill", "S1", "S2", "S3", "S4", "S5")
SYSTEMS = ("ndchunk", "numpy", "dask", "sklearn", "ndchunk-py")
RTOL = 1e-6


def read_lines(paths):
    rows = []
    streams = [open(p) for p in paths] if paths else [sys.stdin]
    for f in streams:
        for ln in f:
            ln = ln.strip()
            if not ln.startswith("{"):
                continue
            try:
                d = json.loads(ln)
            except json.JSONDecodeError:
                continue
            if "workload" in d and "system" in d:
                rows.append(d)
    return rows


def fmt_s(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 1:
        return f"{v:.2f}"
    if v >= 0.01:
        return f"{v:.3f}"
    return f"{v:.2g}"


def fmt_mb(v):
    return "-" if v is None else f"{v:.0f}"


def ratio(num, den, floor=0.0):
    """num/den, or '-' when either is missing or den is at most `floor`."""
    if num is None or den is None or den <= floor:
        return "-"
    r = num / den
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def agree(a, b):
    return a is not None and b is not None and math.isclose(a, b, rel_tol=RTOL, abs_tol=0.0)


def table(header, rows):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).rjust(n) if i else str(x).ljust(n) for i, (x, n) in enumerate(zip(r, w)))
    out = [line(header), "  ".join("-" * n for n in w)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    rows = read_lines(argv)
    by = {}
    for d in rows:  # a later line for the same pair replaces an earlier one
        by[(d["workload"], d["system"])] = d
    workloads = [w for w in WORKLOADS if any((w, s) in by for s in SYSTEMS)]
    workloads += sorted({w for w, _ in by} - set(workloads))
    get = lambda w, s, k: (by.get((w, s)) or {}).get(k)

    t_rows, m_rows, c_rows, p_rows = [], [], [], []
    bad = False
    for w in workloads:
        s = {sys_: get(w, sys_, "seconds") for sys_ in SYSTEMS}
        m = {sys_: get(w, sys_, "peak_rss_mb") for sys_ in SYSTEMS}
        floor = get(w, "ndchunk", "floor_seconds")
        t_rows.append([w, fmt_s(s["ndchunk"]), fmt_s(floor), ratio(s["ndchunk"], floor),
                       fmt_s(s["numpy"]), fmt_s(s["dask"]), fmt_s(s["sklearn"]),
                       fmt_s(s["ndchunk-py"]),
                       ratio(s["dask"], s["ndchunk"]), ratio(s["numpy"], s["ndchunk"]),
                       ratio(s["sklearn"], s["ndchunk"]), ratio(s["ndchunk-py"], s["ndchunk"]),
                       ratio(s["dask"], s["ndchunk-py"])])
        # RSS ratios only against at least 1 MB: below that the sampler's noise dominates
        m_rows.append([w, fmt_mb(m["ndchunk"]), fmt_mb(m["numpy"]), fmt_mb(m["dask"]), fmt_mb(m["sklearn"]),
                       fmt_mb(m["ndchunk-py"]),
                       ratio(m["dask"], m["ndchunk"], 1.0), ratio(m["numpy"], m["ndchunk"], 1.0),
                       ratio(m["sklearn"], m["ndchunk"], 1.0)])
        p_rows.append([w, get(w, "ndchunk", "tasks") if get(w, "ndchunk", "tasks") is not None else "-",
                       get(w, "dask", "tasks") if get(w, "dask", "tasks") is not None else "-",
                       fmt_s(get(w, "ndchunk", "plan_seconds")), fmt_s(get(w, "dask", "plan_seconds"))])
        cs = {sys_: get(w, sys_, "checksum") for sys_ in SYSTEMS}
        # An approximate result (dask's percentile) is shown, not checked.
        approx = {sys_ for sys_ in SYSTEMS if get(w, sys_, "approximate")}
        present = [v for k, v in cs.items() if v is not None and k not in approx]
        if len(present) < 2:
            verdict = "n/a"
        else:
            ref = next(v for v in (cs["numpy"], cs["sklearn"], cs["dask"], cs["ndchunk"]) if v is not None)
            ok = all(agree(v, ref) for v in present)
            verdict = "yes" if ok else "NO"
            bad |= not ok
        c_rows.append([w] + ["-" if cs[x] is None else repr(cs[x]) + (" (approx.)" if x in approx else "")
                             for x in SYSTEMS] + [verdict])

    print("seconds (min of N runs, graph build included); ratio > 1: ndchunk faster, except")
    print("ndchunk/floor: ndchunk's time over its workload's floor (the floor field of the JSON line says what it times)")
    print(table(["workload", "ndchunk", "floor", "ndchunk/floor", "numpy", "dask", "sklearn", "ndchunk-py", "dask/ndchunk", "numpy/ndchunk",
                 "sklearn/ndchunk", "py/ndchunk", "dask/py"], t_rows))
    print()
    print("peak_rss_mb (extra over the inputs); ratio > 1: ndchunk smaller")
    print(table(["workload", "ndchunk", "numpy", "dask", "sklearn", "ndchunk-py", "dask/ndchunk", "numpy/ndchunk",
                 "sklearn/ndchunk"], m_rows))
    print()
    print("tasks and plan seconds (ndchunk: build + plan(); dask: graph build)")
    print(table(["workload", "ndchunk tasks", "dask tasks", "ndchunk plan s", "dask plan s"], p_rows))
    print()
    print(f"checksums (agree = within {RTOL:g} relative)")
    print(table(["workload"] + list(SYSTEMS) + ["agree"], c_rows))

    errors = [d for d in rows if d.get("error")]
    contended = [d for d in rows if (d.get("others_busy_cores") or 0) > 0.25]
    if errors:
        print()
        for d in errors:
            print(f"ERROR {d['workload']}:{d['system']}: {d['error']}")
    if contended:
        print()
        print("contended runs (other processes used > 0.25 cores on average): " +
              ", ".join(f"{d['workload']}:{d['system']} ({d['others_busy_cores']})" for d in contended))
    return 1 if bad or errors else 0


if __name__ == "__main__":
    sys.exit(main())
