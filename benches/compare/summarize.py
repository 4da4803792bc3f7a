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

Lines of a scale sweep (run --scale: they carry scale, sizes and sweep_limit_mb) get
a sweep table per workload and system instead: per scale the input's rows, elements
and MB, seconds, seconds per element relative to scale 1 (else to the largest scale
below 1, else to the smallest), peak RSS, tasks, plan seconds and whether the
systems' checksums agree at that scale; then a verdict: "linear" when the time per
element stays within +-20% of the reference's at every scale, else its spread, and
whether peak RSS stays within +-20% (of the smallest such scale's) across the scales
whose input exceeds the memory limit.
"""
from __future__ import annotations

import json
import math
import sys

WORKLOADS = ("W1", "W3", "W6", "W7", "P4", "W5-mem", "M1", "M2", "K1", "W2", "W4", "W4-sum", "W5", "W4-dask-cluster", "W4-slurm", "W5-spill", "S1", "S2", "S3", "S4", "S5")
SYSTEMS = ("ndchunk", "numpy", "dask", "sklearn", "ndchunk-py")
RTOL = 1e-6
TOL = 0.2  # a sweep's "linear" and "flat": within +-20%

# A workload's input from its sizes in meta.json (make_data.py's dtypes): rows of
# its main array, that array's elements, and the bytes of all the arrays it reads.
W4_INPUT = lambda z: (z["R"], z["R"] * z["C"], z["R"] * z["C"] * 4)
W1_INPUT = lambda z: (z["N"], z["N"] * z["D"], z["N"] * z["D"] * 4 + z["nidx"] * 8)
SQUARE_INPUT = lambda z: (z["N"], z["N"] ** 2, z["N"] ** 2 * 4)
INPUT = {
    "W1": W1_INPUT, "W2": W1_INPUT,
    "W6": lambda z: (z["N"], z["N"] * z["D"], z["N"] * z["D"] * 4),
    "W3": lambda z: (z["N"], z["N"] * z["D"], z["N"] * (z["D"] * 4 + z["K"] * 8)),
    "W7": lambda z: (z["N"], z["N"], (z["N"] + z["nidx"]) * 8),
    "P4": lambda z: (z["N"], z["N"], z["N"] * 16),
    "W4": W4_INPUT, "W4-sum": W4_INPUT, "W5": W4_INPUT, "W4-dask-cluster": W4_INPUT,
    "W4-slurm": W4_INPUT, "W5-spill": W4_INPUT,
    "W5-mem": SQUARE_INPUT, "S3": SQUARE_INPUT, "S4": SQUARE_INPUT,
    "M1": lambda z: (z["N"], z["N"] * z["K"], (z["N"] + z["M"]) * z["K"] * 4),
    "M2": lambda z: (z["N"], z["N"] * z["K"], z["N"] * z["K"] * 8),
    "K1": lambda z: (z["N"], z["N"] * z["D"], z["N"] * z["D"] * 4),
    "S1": lambda z: (z["N"], z["N"], z["N"] * 4),
    "S2": lambda z: (z["N"], z["N"], z["N"] * 8),
    "S5": lambda z: (z["N"], z["N"] * z["D"], z["N"] * z["D"] * 8),
}


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


def checksums_agree(cs, approx):
    """'yes' when the checksums in cs (system -> checksum or None) agree, 'NO' when
    not, 'n/a' with fewer than two; those of the systems in approx are not checked."""
    present = [v for k, v in cs.items() if v is not None and k not in approx]
    if len(present) < 2:
        return "n/a"
    ref = next(v for v in (cs["numpy"], cs["sklearn"], cs["dask"], cs["ndchunk"]) if v is not None)
    return "yes" if all(agree(v, ref) for v in present) else "NO"


def table(header, rows):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).rjust(n) if i else str(x).ljust(n) for i, (x, n) in enumerate(zip(r, w)))
    out = [line(header), "  ".join("-" * n for n in w)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def ratio_tables(rows):
    """The tables of one run; returns whether some checksum disagrees."""
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
        verdict = checksums_agree(cs, approx)
        bad |= verdict == "NO"
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
    return bad


def sweep_verdict(rel, ref, rss, over, limit_mb):
    """A sweep's verdict for one workload and system: whether the time per element
    (rel: scale -> relative to the reference scale ref's) is linear, and whether
    peak RSS (rss: scale -> MB) is flat over the scales whose input exceeds the
    memory limit (over)."""
    if len(rel) < 2:
        linear = "time per element at one scale only"
    else:
        lo, hi = min(rel.values()), max(rel.values())
        linear = "linear" if 1 - TOL <= lo and hi <= 1 + TOL else "not linear"
        linear += f": time per element {lo:.2f}x to {hi:.2f}x of scale {ref:g}'s"
    held = {sc: mb for sc, mb in sorted(rss.items()) if sc in over}
    where = f"the scales whose input exceeds the {limit_mb} MiB limit"
    if not over:
        flat = f"input under the {limit_mb} MiB limit at every scale"
    elif not held:
        flat = f"no peak RSS at {where} ({', '.join(f'{sc:g}' for sc in sorted(over))})"
    elif len(held) == 1:
        (sc, mb), = held.items()
        flat = f"input over the {limit_mb} MiB limit with a peak RSS only at {sc:g} ({mb:.0f} MB): too few scales to tell flat"
    else:
        first = next(iter(held.values()))
        flat = "peak RSS flat" if all(abs(mb / first - 1) <= TOL for mb in held.values()) else "peak RSS not flat"
        flat += f" over {where} ({', '.join(f'{sc:g}' for sc in held)}): " + \
            f"{min(held.values()):.0f} to {max(held.values()):.0f} MB"
    return f"{linear}; {flat}"


def sweep_tables(rows):
    """The tables of a scale sweep (lines with scale); returns whether some checksum
    disagrees."""
    by = {}
    for d in rows:  # a later line for the same pair and scale replaces an earlier one
        by[(d["workload"], d["system"], d["scale"])] = d
    present = {w for w, _, _ in by}
    workloads = [w for w in WORKLOADS if w in present] + sorted(present - set(WORKLOADS))
    limit_mb = rows[0]["sweep_limit_mb"]
    bad = False
    print(f"scale sweep: ndchunk and ndchunk-py under a {limit_mb} MiB memory limit, numpy and dask without one")
    print("s/elem: seconds per element relative to the reference scale's; input MB: all the arrays read")
    for w in workloads:
        scales = sorted({sc for ww, _, sc in by if ww == w})
        at = {sc: {s: by[(w, s, sc)] for s in SYSTEMS if (w, s, sc) in by} for sc in scales}
        size = {sc: INPUT[w](next(iter(at[sc].values()))["sizes"]) for sc in scales}  # rows, elements, bytes
        over = {sc for sc in scales if size[sc][2] > limit_mb << 20}
        agrees = {}
        for sc in scales:
            cs = {s: (at[sc].get(s) or {}).get("checksum") for s in SYSTEMS}
            agrees[sc] = checksums_agree(cs, {s for s, d in at[sc].items() if d.get("approximate")})
            bad |= agrees[sc] == "NO"
        print()
        print(f"== {w}")
        # make_data.py's sizes have minimums, and W5-mem and S1-S5 only two sizes
        top = scales[-1]
        expected = {sc: round(size[top][0] * sc / top) for sc in scales}
        off = [sc for sc in scales if size[sc][0] != expected[sc]]
        if off:
            print("rows not in proportion to the scale (make_data.py's sizes()) at " +
                  ", ".join(f"{sc:g}: {size[sc][0]}, not {expected[sc]}" for sc in off))
        for s in SYSTEMS:
            ds = [at[sc][s] for sc in scales if s in at[sc]]
            if not ds:
                continue
            per_elem = {d["scale"]: d["seconds"] / size[d["scale"]][1] for d in ds if d.get("seconds") is not None}
            ref = max((sc for sc in per_elem if sc <= 1), default=min(per_elem, default=None))
            rel = {sc: v / per_elem[ref] for sc, v in per_elem.items()}
            t_rows = []
            for d in ds:
                sc = d["scale"]
                t_rows.append([f"{sc:g}", size[sc][0], size[sc][1],
                               fmt_mb(size[sc][2] / 2**20) + (" > limit" if sc in over else ""),
                               fmt_s(d.get("seconds")), f"{rel[sc]:.2f}" if sc in rel else "-",
                               fmt_mb(d.get("peak_rss_mb")), "-" if d.get("tasks") is None else d["tasks"],
                               fmt_s(d.get("plan_seconds")), agrees[sc]])
            print()
            print(f"{w} {s}" + ("" if ref is None else f" (reference: scale {ref:g})"))
            print(table(["scale", "rows", "elements", "input MB", "seconds", "s/elem", "peak RSS MB",
                         "tasks", "plan s", "checksums agree"], t_rows))
            rss = {d["scale"]: d["peak_rss_mb"] for d in ds if d.get("peak_rss_mb") is not None}
            failed = [f"{d['scale']:g}" for d in ds if d.get("seconds") is None]
            print(f"verdict {w} {s}: {sweep_verdict(rel, ref, rss, over, limit_mb)}" +
                  (f"; failed at {', '.join(failed)}" if failed else ""))
    return bad


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    rows = read_lines(argv)
    plain = [d for d in rows if "scale" not in d]
    swept = [d for d in rows if "scale" in d]
    bad = False
    if plain or not swept:
        bad |= ratio_tables(plain)
    if swept:
        if plain:
            print()
        bad |= sweep_tables(swept)

    at = lambda d: f" at scale {d['scale']:g}" if "scale" in d else ""
    errors = [d for d in rows if d.get("error")]
    contended = [d for d in rows if (d.get("others_busy_cores") or 0) > 0.25]
    if errors:
        print()
        for d in errors:
            print(f"ERROR {d['workload']}:{d['system']}{at(d)}: {d['error']}")
    if contended:
        print()
        print("contended runs (other processes used > 0.25 cores on average): " +
              ", ".join(f"{d['workload']}:{d['system']}{at(d)} ({d['others_busy_cores']})" for d in contended))
    return 1 if bad or errors else 0


if __name__ == "__main__":
    sys.exit(main())
