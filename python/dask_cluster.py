"""A Dask LocalCluster for ndchunk's distributed tests.

    python dask_cluster.py N_WORKERS

starts a LocalCluster of N_WORKERS worker processes (one thread each) on
127.0.0.1, prints the scheduler's address on a line of its own, and keeps the
cluster up until its stdin is closed.
"""

import sys

from distributed import LocalCluster


def main():
    n = int(sys.argv[1])
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
    cluster.close()


if __name__ == "__main__":
    main()
