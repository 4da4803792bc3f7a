"""Errors arrive as the exception classes NumPy raises; results and inputs
cross without copies; Ctrl-C cancels a running compute."""

import _thread
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import ndchunk as nc


def test_error_classes_name_the_value():
    x = nc.from_array(np.arange(6.0).reshape(2, 3), chunks=2)
    with pytest.raises(np.exceptions.AxisError):
        x.sum(axis=5)
    with pytest.raises(ValueError, match="broadcast"):
        x + nc.ones((4,))
    with pytest.raises(ValueError, match="chunk"):
        nc.from_array(np.zeros(4), chunks=((1, 2),))
    with pytest.raises(ValueError, match="chunk length 0"):
        nc.zeros((4,), chunks=0)
    with pytest.raises(TypeError, match="not supported by ndchunk"):
        nc.from_array(np.zeros(3, dtype=complex))
    with pytest.raises(TypeError):
        nc.from_array(np.array(["a", "b"]))
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, [0, 7]].compute()
    with pytest.raises(ValueError, match="zero-size"):
        nc.zeros((0, 3), chunks=1).min(axis=0).compute()
    with pytest.raises(MemoryError, match="memory limit"):
        nc.from_array(np.ones((1000, 1000)), chunks=-1).sum().compute(memory_limit=1000)
    with pytest.raises(OverflowError):
        nc.ones((3,), dtype="int8") + 1000
    with pytest.raises(ValueError, match="negative"):
        nc.ones((3,), dtype="int8") ** -1
    with pytest.raises(TypeError, match="unknown compute options"):
        x.compute(thread=2)


def test_compute_hands_over_the_buffer():
    x = nc.arange(1000, chunks=300) * 2
    out = x.compute()
    # The NumPy array does not own the memory: a Rust container does, and
    # freeing the array frees it (no copy was made).
    assert not out.flags.owndata
    assert type(out.base).__name__ == "PySliceContainer"
    assert out.flags.writeable and out.flags.c_contiguous


def test_from_array_reads_in_place():
    a = np.zeros(1000)
    x = nc.from_array(a, chunks=100)
    a[:] = 1.0  # written after from_array: the compute reads the new values
    assert float(x.sum().compute()) == 1000.0
    del a
    assert float(x.sum().compute()) == 1000.0  # the lazy array holds a reference


def _peak_rss_of(code: str) -> int:
    script = textwrap.dedent(code) + textwrap.dedent("""
        with open("/proc/self/status") as f:
            print(next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


def test_one_gigabyte_result_and_input_without_copies():
    gb = 1 << 30
    baseline = _peak_rss_of("import numpy as np, ndchunk as nc")
    # A 1 GiB result: the peak is one result buffer (no second copy).
    made = _peak_rss_of("""
        import numpy as np, ndchunk as nc
        out = (nc.ones((gb // 8,), chunks=gb // 64) * 3).compute()
        assert out[-1] == 3.0
    """.replace("gb", str(gb)))
    assert made - baseline < 1.5 * gb, (made - baseline) / gb
    # A 1 GiB input read in place: the peak stays near the input alone.
    read = _peak_rss_of("""
        import numpy as np, ndchunk as nc
        a = np.full(gb // 8, 2.0)
        assert float(nc.from_array(a, chunks=gb // 64).sum().compute(threads=2)) == 2.0 * (gb // 8)
    """.replace("gb", str(gb)))
    assert read - baseline < 1.5 * gb, (read - baseline) / gb


def test_ctrl_c_cancels_a_running_compute():
    x = nc.random.default_rng(0).random((4_000_000_000,), chunks=1_000_000)  # ~10 s uncancelled
    threading.Timer(0.5, _thread.interrupt_main).start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        x.sum().compute(threads=1)
    assert time.perf_counter() - start < 10
    # The executor is usable afterwards.
    assert float(nc.ones((10,), chunks=3).sum().compute()) == 10.0
