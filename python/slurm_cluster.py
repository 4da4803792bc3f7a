"""A dask-jobqueue SLURMCluster for ndchunk's harness (W4-slurm).

    python slurm_cluster.py JOBS WORKDIR

submits JOBS single-core worker jobs (one Dask worker of one thread each, on
the loopback interface) to the SLURM cluster that SLURM_CONF names
(``scripts/slurm start`` makes one on 127.0.0.1), waits until every worker
has joined, prints the scheduler's address on a line of its own and keeps the
cluster up until its stdin is closed; then it closes the cluster, which
cancels the jobs. Job logs and the workers' local space go under WORKDIR.
"""

import os
import sys

import dask
from dask_jobqueue import SLURMCluster
from distributed import Client


def main():
    jobs, workdir = int(sys.argv[1]), sys.argv[2]
    site = {
        "jobqueue.slurm.cores": 1,
        "jobqueue.slurm.processes": 1,
        "jobqueue.slurm.memory": "4GiB",
        "jobqueue.slurm.walltime": "02:00:00",
        "jobqueue.slurm.interface": "lo",
        "jobqueue.slurm.death-timeout": 60,
        "jobqueue.slurm.log-directory": os.path.join(workdir, "job-logs"),
        "jobqueue.slurm.local-directory": os.path.join(workdir, "worker-space"),
    }
    with dask.config.set(site):
        cluster = SLURMCluster()
        cluster.scale(jobs=jobs)
        with Client(cluster) as client:
            client.wait_for_workers(jobs, timeout=300)
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()
        cluster.close()


if __name__ == "__main__":
    main()
