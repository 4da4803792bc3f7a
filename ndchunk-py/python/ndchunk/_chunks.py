"""dask.array's chunk forms, turned into the specification the Rust layer reads.

The Rust layer takes ``None`` (automatic, ``NDCHUNK_CHUNK_SIZE`` bytes, 128 MiB
by default), an ``int`` (automatic, about that many bytes per chunk), or a list
with one entry per axis: ``-1`` (the whole axis), a positive length, ``None``
(automatic) or a list of lengths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


def parse_bytes(text: str) -> int:
    """Bytes in a size such as ``"128MiB"``, ``"1 GB"`` or ``"4096"`` (dask's forms).

    >>> parse_bytes("128MiB"), parse_bytes("1.5 kB")
    (134217728, 1500)
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"chunks: cannot read {text!r} as a size in bytes (e.g. '128MiB')")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def _axis_entry(entry, axis: int, current):
    if entry is None or (isinstance(entry, str) and entry == "auto"):
        return None
    if isinstance(entry, str):
        raise ValueError(f"chunks: axis {axis}: a size in bytes applies to the whole array, not to one axis ({entry!r})")
    if isinstance(entry, bool):
        raise TypeError(f"chunks: axis {axis}: {entry!r} is not a chunk length")
    if isinstance(entry, Sequence):
        lens = [int(v) for v in entry]
        return lens
    try:
        n = int(entry)
    except (TypeError, ValueError):
        raise TypeError(f"chunks: axis {axis}: {entry!r} is not a chunk length") from None
    if n == -1:
        return -1
    if n <= 0:
        raise ValueError(f"chunks: axis {axis}: chunk length {n} must be positive (or -1 for the whole axis)")
    return n


def to_spec(chunks, ndim: int, current=None):
    """The Rust layer's chunk specification for dask's ``chunks`` argument.

    ``current`` (the array's chunks, for ``rechunk``) fills axes a dict leaves
    out; without it, they are automatic.

    >>> to_spec("auto", 2), to_spec(10, 2), to_spec((5, -1), 2), to_spec({1: 3}, 2, ((4,), (2, 2)))
    (None, [10, 10], [5, -1], [[4], 3])
    """
    if chunks is None or (isinstance(chunks, str) and chunks == "auto"):
        return None
    if isinstance(chunks, str):
        return parse_bytes(chunks)
    if isinstance(chunks, Mapping):
        out = [list(current[a]) if current is not None else None for a in range(ndim)]
        for axis, entry in chunks.items():
            a = int(axis)
            if not -ndim <= a < ndim:
                raise ValueError(f"chunks: axis {axis} is out of range for an array of {ndim} dimensions")
            out[a % ndim] = _axis_entry(entry, a, current)
        return out
    if isinstance(chunks, bool):
        raise TypeError(f"chunks: {chunks!r} is not a chunk specification")
    if isinstance(chunks, Sequence):
        if len(chunks) != ndim:
            raise ValueError(f"chunks {chunks!r} have {len(chunks)} entries for an array of {ndim} dimensions")
        return [_axis_entry(e, a, current) for a, e in enumerate(chunks)]
    entry = _axis_entry(chunks, 0, current)
    return [entry] * ndim
