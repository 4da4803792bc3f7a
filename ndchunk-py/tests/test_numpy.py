"""ndchunk from Python against NumPy: dtypes (promotion included), values,
chunkings, indexing and reductions, over random inputs (hypothesis)."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import ndchunk as nc
from conftest import DTYPES, arrays, assert_same, values

warnings.filterwarnings("ignore", category=RuntimeWarning)


@given(arrays())
def test_from_array_round_trip(case):
    data, chunks = case
    x = nc.from_array(data, chunks=chunks)
    assert x.chunks == chunks
    assert (x.shape, x.dtype, x.ndim, x.nbytes) == (data.shape, data.dtype, data.ndim, data.nbytes)
    assert x.numblocks == tuple(len(c) for c in chunks)
    assert_same(x.compute(), data)


@pytest.mark.parametrize("chunks", ["auto", 3, (2, -1), ((1, 4), (3, 3)), {0: 2}, -1, "1KiB", (None, 2)])
def test_chunk_forms_match_dask(chunks):
    da = pytest.importorskip("dask.array")
    data = np.zeros((5, 6))
    ours = nc.from_array(data, chunks=chunks).chunks
    theirs = da.from_array(data, chunks=chunks).chunks
    if chunks in ("auto", "1KiB") or chunks == (None, 2):
        # Automatic chunks: sizes under the target, and covering the shape.
        assert tuple(sum(c) for c in ours) == data.shape
    else:
        assert ours == theirs


SAFE_BINARY = [np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin,
               np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
               np.logical_and, np.logical_or, np.logical_xor]
DIVISION = [np.true_divide, np.floor_divide, np.remainder, np.fmod]
FLOAT_BINARY = [np.hypot, np.arctan2, np.copysign, np.logaddexp, np.power]
INT_BINARY = [np.bitwise_and, np.bitwise_or, np.bitwise_xor]


def numpy_or_error(f, *args):
    try:
        with np.errstate(all="ignore"):
            return f(*args), None
    except (TypeError, OverflowError, ValueError) as e:
        # The standard class (NumPy raises subclasses of its own).
        return None, next(c for c in (OverflowError, TypeError, ValueError) if isinstance(e, c))


@given(st.sampled_from(SAFE_BINARY + DIVISION + FLOAT_BINARY + INT_BINARY), arrays(max_dims=2),
       st.sampled_from(DTYPES), st.integers(0, 2**32 - 1), st.booleans())
def test_binary_ufuncs_promote_as_numpy(ufunc, case, other_dtype, seed, broadcast):
    a, chunks = case
    b = values(other_dtype, a.shape[1:] if broadcast and a.ndim else a.shape, seed)
    want, error = numpy_or_error(ufunc, a, b)
    x = nc.from_array(a, chunks=chunks)
    if ufunc is np.power and np.result_type(a, b).kind in "biu":
        return  # integer powers of arrays: only scalar exponents (tested below)
    if error is not None:
        with pytest.raises(error):
            ufunc(x, b)
        return
    if want.dtype == np.float16 or ufunc in DIVISION and want.dtype.kind in "iu":
        # float16 is held as float32; integer division by zero gives 0 in both.
        assume(want.dtype != np.float16)
    got = ufunc(x, b)
    assert isinstance(got, nc.Array)
    if ufunc in DIVISION and want.dtype.kind in "iu":
        want = np.where(b == 0, 0, want).astype(want.dtype)
    assert_same(got.compute(), want)


@given(arrays(max_dims=2), st.sampled_from([0, 1, -3, 2.5, True, 200, -1e3]),
       st.sampled_from(["add", "sub", "mul", "truediv", "lt", "eq", "ge"]), st.booleans())
def test_python_scalars_are_weak(case, scalar, op, reflected):
    a, chunks = case
    x = nc.from_array(a, chunks=chunks)
    name = f"__{'r' if reflected and op not in ('lt', 'eq', 'ge') else ''}{op}__"
    want, error = numpy_or_error(lambda: getattr(a, name)(scalar))
    if error is not None:
        with pytest.raises(error):
            getattr(x, name)(scalar)
        return
    if want is NotImplemented:
        return
    assume(want.dtype != np.float16)
    got = getattr(x, name)(scalar).compute()
    assert_same(got, want)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 7])
@pytest.mark.parametrize("dtype", ["int8", "uint16", "int64"])
def test_integer_power(dtype, exponent):
    a = np.arange(-4, 5).astype(dtype)
    assert_same((nc.from_array(a, chunks=4) ** exponent).compute(), a ** exponent)


UNARY = [np.negative, np.absolute, np.sign, np.sqrt, np.exp, np.log, np.log1p, np.sin, np.cos, np.tanh,
         np.floor, np.ceil, np.rint, np.trunc, np.arctan, np.cbrt, np.isnan, np.isfinite, np.isinf,
         np.logical_not, np.invert, np.square, np.signbit, np.positive, np.deg2rad]


@given(st.sampled_from(UNARY), arrays(max_dims=2))
def test_unary_ufuncs(ufunc, case):
    a, chunks = case
    want, error = numpy_or_error(ufunc, a)
    x = nc.from_array(a, chunks=chunks)
    if error is not None:
        with pytest.raises(error):
            ufunc(x)
        return
    got = ufunc(x).compute()
    if want.dtype == np.float16:
        want = ufunc(a.astype(np.float32))
    assert_same(got, want)


REDUCTIONS = ["sum", "prod", "mean", "min", "max", "argmin", "argmax", "any", "all", "var", "std",
              "nansum", "nanmean", "nanmin", "nanmax", "count_nonzero"]


@given(st.sampled_from(REDUCTIONS), arrays(dtypes=[d for d in DTYPES if d != np.uint64]),
       st.data(), st.booleans(), st.integers(0, 1))
def test_reductions(name, case, data, keepdims, ddof):
    a, chunks = case
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1) if a.ndim else st.none()))
    kwargs = {"axis": axis}
    if name not in ("argmin", "argmax", "count_nonzero") or axis is not None:
        kwargs["keepdims"] = keepdims
    if name in ("var", "std"):
        kwargs["ddof"] = ddof
    if name in ("argmin", "argmax") and a.dtype.kind == "f":
        assume(not np.isnan(a).any())
    want, error = numpy_or_error(lambda: getattr(np, name)(a, **kwargs))
    x = nc.from_array(a, chunks=chunks)
    if error is not None:
        with pytest.raises(error):
            getattr(np, name)(x, **kwargs).compute()
        return
    got = getattr(np, name)(x, **kwargs).compute()
    want = np.asarray(want)
    if name in ("sum", "prod", "nansum") and a.dtype.kind == "f" or name in ("mean", "var", "std", "nanmean"):
        np.testing.assert_allclose(got, want, rtol=1e-4 if a.dtype == np.float32 else 1e-9, equal_nan=True)
        assert got.dtype == want.dtype and got.shape == want.shape
    else:
        assert_same(got, want)


@st.composite
def basic_keys(draw, shape):
    key = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "none", "full"] if n else ["slice", "none", "full"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            key.append(slice(draw(st.one_of(st.none(), st.integers(-n - 2, n + 2))),
                             draw(st.one_of(st.none(), st.integers(-n - 2, n + 2))),
                             draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))))
        elif kind == "none":
            key.append(None)
            key.append(slice(None))
        else:
            key.append(slice(None))
    if key and draw(st.booleans()):
        cut = draw(st.integers(0, len(key)))
        key = key[:cut] + [Ellipsis]
    return tuple(key)


@given(arrays(min_dims=1), st.data())
def test_basic_indexing(case, data):
    a, chunks = case
    key = data.draw(basic_keys(a.shape))
    got = nc.from_array(a, chunks=chunks)[key].compute()
    assert_same(got, a[key])


@st.composite
def advanced_keys(draw, shape):
    key = []
    n_arrays = 0
    for n in shape:
        kind = draw(st.sampled_from(["array", "slice", "int", "bool"] if n else ["slice"]))
        if kind == "array":
            ishape = draw(st.sampled_from([(2,), (3,), (1,), (2, 1)])) if n_arrays == 0 else (2,)
            key.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(ishape)),
                                              max_size=int(np.prod(ishape))))).reshape(ishape))
            n_arrays += 1
        elif kind == "bool":
            key.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        else:
            key.append(slice(draw(st.integers(0, n)), None))
    return tuple(key)


@given(arrays(min_dims=1), st.data())
def test_advanced_indexing(case, data):
    a, chunks = case
    key = data.draw(advanced_keys(a.shape))
    try:
        want = a[key]
    except IndexError:
        with pytest.raises(IndexError):
            nc.from_array(a, chunks=chunks)[key].compute()
        return
    got = nc.from_array(a, chunks=chunks)[key].compute()
    assert_same(got, want)


def test_masks_lazy_indexers_vindex_oindex():
    a = np.arange(60.0).reshape(3, 4, 5)
    x = nc.from_array(a, chunks=(2, 3, 2))
    assert_same(x[x > 30].compute(), a[a > 30])
    idx = nc.from_array(np.array([2, 0, 2]), chunks=2)
    assert_same(x[idx].compute(), a[[2, 0, 2]])
    assert_same(x[:, [3, 1], [0, 4]].compute(), a[:, [3, 1], [0, 4]])
    assert_same(x[[0, 2], :, [1, 1]].compute(), a[[0, 2], :, [1, 1]])
    assert_same(x.vindex[[0, 2], :, [1, 1]].compute(), a[[0, 2], :, [1, 1]])
    assert_same(x.vindex[:, [3, 1], [0, 4]].compute(), np.moveaxis(a[:, [3, 1], [0, 4]], 1, 0))
    assert_same(x.oindex[[2, 0], :, [4, 1]].compute(), a[np.ix_([2, 0], range(4), [4, 1])])
    assert_same(x.oindex[1, [True, False, True, True]].compute(), a[1][[0, 2, 3]])
    assert_same(x[..., None, -1].compute(), a[..., None, -1])
    knn = np.array([[0, 1], [2, 2], [1, 0]])
    assert_same(x[knn].compute(), a[knn])


def test_index_errors():
    x = nc.from_array(np.arange(6).reshape(2, 3), chunks=2)
    with pytest.raises(IndexError, match="out of bounds"):
        x[2]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, [0, 5]]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="integer"):
        x[np.array([0.5])]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]


def test_joins_and_contractions():
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    b = np.arange(8, dtype=np.float32).reshape(4, 2)
    x, y = nc.from_array(a, chunks=2), nc.from_array(b, chunks=(3, 1))
    assert_same((x @ y).compute(), a @ b)
    assert_same(np.tensordot(x, y, axes=1).compute(), np.tensordot(a, b, axes=1))
    assert_same(np.einsum("ij,jk->ik", x, y).compute(), np.einsum("ij,jk->ik", a, b))
    assert_same(np.concatenate([x, x.astype(np.int64)], axis=1).compute(), np.concatenate([a, a.astype(np.int64)], axis=1))
    assert_same(np.stack([x, x], axis=-1).compute(), np.stack([a, a], axis=-1))
    assert_same(np.where(x > 5, x, 0.5).compute(), np.where(a > 5, a, 0.5))
    assert_same(np.clip(x, 2, 9).compute(), np.clip(a, 2, 9))
    assert_same(np.transpose(x).compute(), a.T)
    assert_same(x.reshape(4, 3).compute(), a.reshape(4, 3))
    assert_same(np.take(x, [2, 0], axis=1).compute(), np.take(a, [2, 0], axis=1))
    assert_same(np.moveaxis(x[None], 0, -1).compute(), np.moveaxis(a[None], 0, -1))


def test_compute_together_and_persist():
    x = nc.random.default_rng(3).random((1000,), chunks=100)
    values = x.compute()
    lo, hi, mean, seven = nc.compute(x.min(), x.max(), x.mean(), 7)
    assert (lo, hi, seven) == (values.min(), values.max(), 7)
    np.testing.assert_allclose(mean, values.mean())
    both = nc.compute(x.min(), x.astype(np.int32).sum(), "pass")
    assert both[0].dtype == np.float64 and both[1].dtype == np.int64 and both[2] == "pass"
    kept = x.persist()
    assert_same(kept.compute(), x.compute())


def test_creation_matches_numpy():
    assert_same(nc.arange(10, chunks=3).compute(), np.arange(10))
    assert_same(nc.arange(1.0, 2.0, 0.25, chunks=3).compute(), np.arange(1.0, 2.0, 0.25))
    assert_same(nc.ones((2, 3), dtype="int8", chunks=2).compute(), np.ones((2, 3), dtype="int8"))
    assert_same(nc.full((3,), 2.5).compute(), np.full((3,), 2.5))
    assert_same(nc.linspace(0, 1, 5, chunks=2).compute(), np.linspace(0, 1, 5))
    assert_same(nc.eye(4, k=1, chunks=2).compute(), np.eye(4, k=1))
    x = nc.zeros((4, 4), chunks=2)
    assert nc.ones_like(x).chunks == x.chunks


def test_map_blocks_calls_python():
    a = np.arange(10.0)
    x = nc.from_array(a, chunks=4)
    y = x.map_blocks(lambda b: b - b.mean())
    want = np.concatenate([b - b.mean() for b in np.split(a, [4, 8])])
    assert_same(y.compute(), want)
    firsts = x.map_blocks(lambda b: b[:1], chunks=((1, 1, 1),))
    assert_same(firsts.compute(), a[[0, 4, 8]])

    class Boom(Exception):
        pass

    def fail(b):
        raise Boom("from a block")

    with pytest.raises(Boom, match="from a block"):
        x.map_blocks(fail).compute()


def test_rechunk_forms_and_budget():
    a = np.arange(400.0).reshape(20, 20)
    x = nc.from_array(a, chunks=(2, 20))
    assert x.rechunk({1: 5}).chunks == ((2,) * 10, (5,) * 4)
    assert x.rechunk((-1, 3)).chunks == ((20,), (3,) * 6 + (2,))
    small = x.rechunk((20, 2), budget="2KiB")
    assert "(intermediate" in small.explain()
    assert_same(small.compute(), a)
