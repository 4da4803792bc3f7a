"""ndchunk's Dask executor from Python: a LocalCluster on 127.0.0.1 (started
and stopped here), workers running ``ndchunk-worker``; results equal the
local executor's."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ndchunk as nc
from conftest import assert_same

pytest.importorskip("distributed")
CLUSTER = os.path.join(os.path.dirname(__file__), "..", "..", "python", "dask_cluster.py")


@pytest.fixture(scope="module")
def scheduler():
    proc = subprocess.Popen([sys.executable, CLUSTER, "2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    address = proc.stdout.readline().strip()
    assert address.startswith("tcp://127.0.0.1:"), address
    yield address
    proc.stdin.close()
    proc.wait(timeout=60)


def test_compute_on_a_cluster_equals_local(scheduler, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 8)).astype(np.float32)
    knn = rng.integers(0, 2000, (2000, 5))
    x = nc.from_array(X, chunks=(500, -1))     # a NumPy input: shipped in the plan
    d2 = ((x.vindex[knn] - x[:, None, :]) ** 2).sum(-1).mean(-1)
    stats = x.std(axis=0)
    local = nc.compute(d2, stats)
    remote = nc.compute(d2, stats, scheduler=scheduler)
    for a, b in zip(remote, local):
        assert_same(a, b)
    distributed = pytest.importorskip("distributed")
    with distributed.Client(scheduler) as client:
        assert_same(d2.compute(scheduler=client), local[0])
    nc.from_array(X, chunks=(500, -1)).to_zarr(tmp_path / "x.zarr")
    z = nc.from_zarr(tmp_path / "x.zarr")
    assert_same(z.rechunk((2000, 2)).sum(axis=0).compute(scheduler=scheduler), X.sum(axis=0))


def test_python_functions_are_refused_before_running(scheduler):
    x = nc.from_array(np.arange(10.0), chunks=5).map_blocks(lambda b: b + 1)
    with pytest.raises(ValueError, match="closure"):
        x.compute(scheduler=scheduler)


def test_worker_command_refuses_other_arguments():
    out = subprocess.run([sys.executable, "-m", "ndchunk.worker", "--help"], capture_output=True, text=True)
    assert out.returncode == 2 and "Dask executor" in out.stderr
