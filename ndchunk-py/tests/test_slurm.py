"""ndchunk from Python on a real SLURM cluster: the README's recipe
(``SLURMCluster``, ``scale(jobs=2)``, ``compute(scheduler=client)``) against
the one-node SLURM of ``scripts/slurm``, started and stopped here on
127.0.0.1. Skipped without SLURM (``./setup.sh --hpc`` installs it) unless
``NDCHUNK_REQUIRE_HPC=1`` (set by ./test.sh after ./setup.sh --hpc)."""

import os
import shutil
import subprocess

import numpy as np
import pytest

import ndchunk as nc
from conftest import assert_same

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "slurm")


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    missing = [p for p in ("slurmctld", "slurmd", "munged", "sbatch") if shutil.which(p) is None]
    if missing:
        if os.environ.get("NDCHUNK_REQUIRE_HPC") == "1":
            pytest.fail(f"SLURM is not installed ({', '.join(missing)} missing)")
        pytest.skip(f"SLURM is not installed ({', '.join(missing)} missing; ./setup.sh --hpc)")
    root = tmp_path_factory.mktemp("slurm")
    env = dict(os.environ, NDCHUNK_SLURM_DIR=str(root / "cluster"))
    subprocess.run([SCRIPT, "start"], env=env, check=True, capture_output=True)
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(root / "cluster" / "slurm.conf")
    try:
        yield root
    finally:
        subprocess.run([SCRIPT, "stop"], env=env, capture_output=True)
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old


def test_readme_recipe_on_slurm(slurm):
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    dask_jobqueue = pytest.importorskip("dask_jobqueue")
    # What jobqueue.yaml holds on a supercomputer, set here for the test's
    # one-node cluster.
    site = {
        "jobqueue.slurm.cores": 1,
        "jobqueue.slurm.processes": 1,
        "jobqueue.slurm.memory": "2GiB",
        "jobqueue.slurm.walltime": "00:20:00",
        "jobqueue.slurm.interface": "lo",
        "jobqueue.slurm.log-directory": str(slurm / "job-logs"),
        "jobqueue.slurm.local-directory": str(slurm / "worker-space"),
    }
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 8)).astype(np.float32)
    knn = rng.integers(-4000, 4000, (4000, 6))
    x = nc.from_array(X, chunks=(1000, -1))
    d2 = ((x.vindex[knn] - x[:, None, :]) ** 2).sum(-1).mean(-1)
    with dask.config.set(site):
        # The README's three lines:
        cluster = dask_jobqueue.SLURMCluster()
        cluster.scale(jobs=2)
        with distributed.Client(cluster) as client:
            remote = d2.compute(scheduler=client)
            stats = nc.compute(x.std(axis=0), x.max(axis=0), scheduler=client)
        cluster.close()
    assert_same(remote, d2.compute())
    assert_same(stats[0], X.std(axis=0))
    assert_same(stats[1], X.max(axis=0))
    assert list((slurm / "job-logs").glob("*.err")), "no SLURM job ran"
