"""ndchunk's Dask driver: runs ndchunk plans on a Dask distributed cluster.

Started once per executor by the Rust side as `python driver.py`, it talks
JSON lines on stdin and stdout:

1. The first line says where to run: {"address": "tcp://...", "connect_timeout":
   "10s"}, {"address": null, "local_workers": N} for a LocalCluster, or
   {"address": null, "jobqueue": {"system": "slurm", "jobs": N, "adapt": null
   or [MIN, MAX], "options": {...}}} for a dask-jobqueue cluster. The
   answer is {"ok": true}, or {"ok": false, "code": 3 or 4, "error": ...} and
   the driver exits (3: `distributed` cannot be imported; 4: the scheduler
   cannot be reached or the local cluster cannot start).
2. Then each line is a scratch directory to run: SCRATCH/graph.json lists the
   tasks and the groups of them that may share a Dask task (see batches). Each
   Dask task hands `SCRATCH TASK STAGE BLOCK DEPS` of each of its tasks to a
   worker server, the program's own executable started once per Dask worker
   thread as

       EXE --ndchunk-worker-server

   which reads its inputs from, and commits its result to, SCRATCH/values. Dask
   moves only task ids. A task whose result is already committed (a retry
   after a lost worker) is not run again. A result file is deleted when the
   last of its consumers is done (see release_inputs). With "report" set in
   graph.json, each task also appends its worker thread, start, end and bytes
   read and written to SCRATCH/timeline/ (see record), from which the Rust
   side draws the run report. The servers are stopped after each run. The answer is {"ok": true}, or {"ok": false, "code": 5, ...} with the
   failed task's id, stage label, block, exit status and error.
3. At the end of stdin the client (and a cluster it started) is closed.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

STDERR_TAIL = 4000


def worker_env():
    """The environment of a task process: glibc's malloc backs its heap with
    transparent huge pages, since a fresh process faults in every block buffer
    (on the 2-core VM this took a Zarr-reading task from 41 to 26 ms)."""
    env = dict(os.environ)
    tunables = [t for t in env.get("GLIBC_TUNABLES", "").split(":") if t]
    if not any(t.startswith("glibc.malloc.hugetlb=") for t in tunables):
        tunables.append("glibc.malloc.hugetlb=1")
    env["GLIBC_TUNABLES"] = ":".join(tunables)
    return env


def reply(**answer):
    """One JSON answer line to the Rust side."""
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def servers():
    """This worker process's ndchunk worker servers, by (executable, thread): kept
    on the Dask worker object, since this module is shipped with each task."""
    try:
        from distributed import get_worker

        holder = get_worker()
    except ValueError:  # not inside a Dask worker (the driver's own tests)
        holder = sys.modules[__name__]
    if not hasattr(holder, "_ndchunk_servers"):
        holder._ndchunk_servers = {}
    return holder._ndchunk_servers


def server(exe):
    """A running `EXE --ndchunk-worker-server` for this thread, started if needed;
    its stderr goes to a temporary file so a task's part of it can be reported."""
    key = (exe, threading.get_ident())
    entry = servers().get(key)
    if entry is None or entry[0].poll() is not None:
        err = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [exe, "--ndchunk-worker-server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            env=worker_env(),
            text=True,
            bufsize=1,
        )
        entry = (proc, err)
        servers()[key] = entry
    return key, entry


def stop_servers(exe):
    """Ends this worker's servers of `exe` (run on every worker after a run)."""
    for key in [k for k in servers() if k[0] == exe]:
        proc, err = servers().pop(key)
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        err.close()


def release_inputs(scratch, tid, release):
    """Marks this task's inputs consumed by it and deletes the result file of
    each input all of whose consumers are done: `release` is "DEP:N,..." with N
    the input's number of consumers. Each consumer leaves a marker file
    (consumed/DEP/TID) before counting the markers, so the last one to finish
    sees them all; two finishing together may both delete, which is harmless.
    A task's markers outlive a retry of it, so a retried consumer is not
    counted twice."""
    for entry in filter(None, release.split(",")):
        dep, consumers = entry.split(":")
        marks = os.path.join(scratch, "consumed", dep)
        os.makedirs(marks, exist_ok=True)
        open(os.path.join(marks, str(tid)), "w").close()
        if len(os.listdir(marks)) >= int(consumers):
            try:
                os.remove(os.path.join(scratch, "values", f"{dep}.bin"))
            except FileNotFoundError:
                pass


def worker_row():
    """The run report's row for this thread: the Dask worker's address and the
    thread's number in it."""
    try:
        from distributed import get_worker

        worker = get_worker()
        holder, name = worker, worker.address
    except ValueError:  # not inside a Dask worker (the driver's own tests)
        holder, name = sys.modules[__name__], f"pid {os.getpid()}"
    if not hasattr(holder, "_ndchunk_threads"):
        holder._ndchunk_threads = {}
    threads = holder._ndchunk_threads
    number = threads.setdefault(threading.get_ident(), len(threads))
    return f"{name} thread {number}"


def record(scratch, tid, start, end, answer):
    """Appends task `tid`'s line to this thread's file in SCRATCH/timeline/:
    its row, start and end (seconds since the epoch) and the bytes its server
    says it read and wrote."""
    folder = os.path.join(scratch, "timeline")
    os.makedirs(folder, exist_ok=True)
    line = {"task": tid, "worker": worker_row(), "start": start, "end": end,
            "read": answer.get("read", 0), "written": answer.get("written", 0)}
    path = os.path.join(folder, f"{os.getpid()}-{threading.get_ident()}.jsonl")
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")


def run_batch(exe, scratch, report, specs, *_inputs):
    """Runs the tasks of one Dask task (a batch, see batches) one after the
    other: `specs` is a JSON list of [TID, STAGE, BLOCK, DEPS, LABEL, RELEASE]
    (see run_task); returns the first task's id."""
    specs = json.loads(specs)
    for spec in specs:
        run_task(exe, scratch, *spec, report)
    return specs[0][0]


def run_task(exe, scratch, tid, stage, block, deps, label, release, report):
    """Runs task `tid` in this worker's server process (unless its result is
    committed already: a retry after a lost worker), records it for the run
    report if `report`, then releases its inputs."""
    if not os.path.exists(os.path.join(scratch, "values", f"{tid}.bin")):
        # Made again (a lost task needed it after it was deleted): its
        # consumers count again from none.
        shutil.rmtree(os.path.join(scratch, "consumed", str(tid)), ignore_errors=True)
        start = time.time()
        answer = run_in_server(exe, scratch, tid, stage, block, deps, label)
        if report:
            record(scratch, tid, start, time.time(), answer)
    release_inputs(scratch, tid, release)


def run_in_server(exe, scratch, tid, stage, block, deps, label):
    """Hands task `tid` to this thread's worker server; returns its answer
    (with the bytes it read and wrote), or raises its failure."""
    key, (proc, err) = server(exe)
    start = err.seek(0, os.SEEK_END)
    try:
        proc.stdin.write("\t".join([scratch, str(tid), str(stage), block, deps]) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
    except BrokenPipeError:  # the server died before this task
        line = ""
    if line:
        answer = json.loads(line)
        if answer["ok"]:
            return answer
        status, message = None, answer["error"]
    else:  # the server died (killed, or a crash that was not a panic)
        status, message = proc.wait(), ""
        servers().pop(key, None)
    err.seek(start)
    tail = (message + "\n" + err.read().decode("utf-8", "replace"))[-STDERR_TAIL:]
    raise RuntimeError(
        json.dumps({"task": tid, "op": label, "block": block, "exit": status, "stderr": tail})
    )


def key_prefix(label):
    """The dashboard's name for a stage: `ndchunk-` and the last four words of its
    label (`ndchunk-add-powi-mean-partial`). Dask groups tasks by the alphabetic
    words at the start of their keys."""
    words = re.findall(r"[A-Za-z]+", label)[-4:]
    return "-".join(["ndchunk", *words])


# dask-jobqueue's cluster class of each batch system.
JOBQUEUE_CLASSES = {
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "sge": "SGECluster",
    "lsf": "LSFCluster",
    "htcondor": "HTCondorCluster",
    "moab": "MoabCluster",
    "oar": "OARCluster",
}


def start_jobqueue(spec):
    """A dask-jobqueue cluster as `spec` says: its options over those of
    jobqueue.yaml, then scale(jobs=N) or adapt(minimum_jobs, maximum_jobs)."""
    import dask_jobqueue

    name = JOBQUEUE_CLASSES.get(spec["system"])
    if name is None:
        known = ", ".join(sorted(JOBQUEUE_CLASSES))
        raise ValueError(f"unknown batch system {spec['system']!r} (known: {known})")
    cluster = getattr(dask_jobqueue, name)(**spec["options"])
    if spec.get("adapt"):
        minimum, maximum = spec["adapt"]
        cluster.adapt(minimum_jobs=minimum, maximum_jobs=maximum)
    else:
        cluster.scale(jobs=spec["jobs"])
    return cluster


def connect(where):
    """The client for `where` (the first line) and the cluster it started (to
    close at the end), or an error answer."""
    try:
        from distributed import Client, LocalCluster

        if where.get("jobqueue"):
            import dask_jobqueue  # noqa: F401 (an import error is code 3)
    except Exception as e:  # ImportError, or a broken installation
        return None, None, {"code": 3, "error": f"cannot import: {e!r}", "python": sys.executable}
    try:
        if where.get("address"):
            return Client(where["address"], timeout=where.get("connect_timeout", "10s")), None, None
        if where.get("jobqueue"):
            cluster = start_jobqueue(where["jobqueue"])
        else:
            cluster = LocalCluster(
                n_workers=where["local_workers"],
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        return Client(cluster), cluster, None
    except Exception as e:
        return None, None, {"code": 4, "error": f"{e!r}", "address": where.get("address")}


def batches(graph, threads):
    """The graph's tasks grouped into Dask tasks: each of graph["groups"]
    (small tasks of one stage, none reading another, see exec/dask/batch.rs)
    cut into batches of at most its per_batch tasks, and into at least four
    per worker thread (16 at least) so that every thread stays busy; every
    other task alone. A batch's tasks are in task order."""
    tasks = graph["tasks"]
    pieces = max(4 * threads, 16)
    grouped = set()
    for group in graph.get("groups", []):
        ids = group["tasks"]
        per = max(1, min(group["per_batch"], -(-len(ids) // pieces)))
        for j in range(0, len(ids), per):
            yield [tasks[i] for i in ids[j:j + per]]
        grouped.update(ids)
    for t in tasks:
        if t["id"] not in grouped:
            yield [t]


def run_graph(client, scratch):
    """Runs SCRATCH/graph.json; returns None, or the failure's details."""
    with open(os.path.join(scratch, "graph.json")) as f:
        graph = json.load(f)
    run = graph["run"]
    grouped = list(batches(graph, sum(client.nthreads().values())))
    keys = {}
    for batch in grouped:
        key = (key_prefix(batch[0]["label"]) + "-" + run, batch[0]["id"])
        keys.update((t["id"], key) for t in batch)
    dsk = {}
    for batch in grouped:
        specs = [
            [
                t["id"],
                t["stage"],
                ",".join(map(str, t["block"])),
                ",".join(map(str, t["deps"])),
                t["label"],
                ",".join(f"{d}:{n}" for d, n in t["release"]),
            ]
            for t in batch
        ]
        # A batch reads only batches of earlier stages, never itself.
        inputs = dict.fromkeys(keys[d] for t in batch for d in t["deps"])
        dsk[keys[batch[0]["id"]]] = (run_batch, graph["exe"], scratch,
                                     graph.get("report", False), json.dumps(specs), *inputs)
    wanted = list(dict.fromkeys(keys[t] for t in graph["outputs"]))
    try:
        client.get(dsk, wanted, sync=True)
        return None
    except Exception as e:
        message = str(e)
        try:
            return json.loads(message)
        except ValueError:
            return {"error": f"{type(e).__name__}: {message}"}
    finally:
        try:
            client.run(stop_servers, graph["exe"])
        except Exception:
            pass  # a lost worker's servers end with it


def main():
    client, cluster, failure = connect(json.loads(sys.stdin.readline() or "{}"))
    if failure:
        reply(ok=False, **failure)
        return
    reply(ok=True)
    try:
        for line in sys.stdin:
            failure = run_graph(client, line.rstrip("\n"))
            if failure:
                reply(ok=False, code=5, **failure)
            else:
                reply(ok=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()  # a jobqueue cluster cancels its jobs


if __name__ == "__main__":
    main()
