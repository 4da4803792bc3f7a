"""Random arrays (dask's ``da.random`` names), reproducible from a seed:
the same seed and chunks give the same values on any executor."""

from __future__ import annotations

import numpy as np

from . import _ndchunk
from ._chunks import to_spec
from ._dtypes import held
from .core import Array


def _shape(size):
    if size is None:
        return []
    if isinstance(size, (int, np.integer)):
        return [int(size)]
    return [int(s) for s in size]


def _seed(seed) -> int:
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    return int(seed)


class RandomState:
    """A seeded source of random arrays (``nc.random.RandomState(42).uniform(...)``)."""

    def __init__(self, seed=None):
        self._seed = _seed(seed)
        self._draws = 0

    def _next(self) -> int:
        self._draws += 1
        return (self._seed * 0x9E3779B97F4A7C15 + self._draws) % 2**64

    def random(self, size=None, chunks="auto", dtype=np.float64) -> Array:
        """Uniform floats in ``[0, 1)``."""
        return self.uniform(0.0, 1.0, size, chunks=chunks, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, chunks="auto", dtype=np.float64) -> Array:
        """Uniform floats in ``[low, high)``."""
        shape = _shape(size)
        return Array(_ndchunk.random("uniform", shape, held(dtype).name, to_spec(chunks, len(shape)),
                                     self._next(), float(low), float(high)))

    def standard_normal(self, size=None, chunks="auto", dtype=np.float64) -> Array:
        """Standard normal floats."""
        shape = _shape(size)
        return Array(_ndchunk.random("normal", shape, held(dtype).name, to_spec(chunks, len(shape)), self._next()))

    def normal(self, loc=0.0, scale=1.0, size=None, chunks="auto", dtype=np.float64) -> Array:
        """Normal floats of mean ``loc`` and standard deviation ``scale``."""
        return self.standard_normal(size, chunks=chunks, dtype=dtype) * scale + loc

    def randint(self, low, high=None, size=None, chunks="auto", dtype=np.int64) -> Array:
        """Integers in ``[low, high)`` (``[0, low)`` without ``high``)."""
        if high is None:
            low, high = 0, low
        shape = _shape(size)
        return Array(_ndchunk.random("integers", shape, held(dtype).name, to_spec(chunks, len(shape)),
                                     self._next(), float(low), float(high)))


class Generator(RandomState):
    """``default_rng``'s generator: ``integers`` as well as ``RandomState``'s methods."""

    def integers(self, low, high=None, size=None, chunks="auto", dtype=np.int64, endpoint=False) -> Array:
        """Integers in ``[low, high)`` (``[low, high]`` with ``endpoint``)."""
        if high is None:
            low, high = 0, low
        return self.randint(low, high + 1 if endpoint else high, size, chunks=chunks, dtype=dtype)


def default_rng(seed=None) -> Generator:
    """A :class:`Generator` from ``seed``."""
    return Generator(seed)


_global = RandomState()


def seed(s) -> None:
    """Seeds the module's functions."""
    global _global
    _global = RandomState(s)


def random(size=None, chunks="auto", dtype=np.float64) -> Array:
    """Uniform floats in ``[0, 1)``."""
    return _global.random(size, chunks=chunks, dtype=dtype)


def uniform(low=0.0, high=1.0, size=None, chunks="auto", dtype=np.float64) -> Array:
    """Uniform floats in ``[low, high)``."""
    return _global.uniform(low, high, size, chunks=chunks, dtype=dtype)


def standard_normal(size=None, chunks="auto", dtype=np.float64) -> Array:
    """Standard normal floats."""
    return _global.standard_normal(size, chunks=chunks, dtype=dtype)


def normal(loc=0.0, scale=1.0, size=None, chunks="auto", dtype=np.float64) -> Array:
    """Normal floats."""
    return _global.normal(loc, scale, size, chunks=chunks, dtype=dtype)


def randint(low, high=None, size=None, chunks="auto", dtype=np.int64) -> Array:
    """Integers in ``[low, high)``."""
    return _global.randint(low, high, size, chunks=chunks, dtype=dtype)
