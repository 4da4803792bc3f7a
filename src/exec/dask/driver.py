"""ndchunk's Dask driver: runs ndchunk plans on a Dask distributed cluster.

Started once per executor by the Rust side as `python driver.py`, it talks
JSON lines on stdin and stdout:

1. The first line says where to run: {"address": "tcp://...", "connect_timeout":
   "10s"}, or {"address": null, "local_workers": N} for a LocalCluster. The
   answer is {"ok": true}, or {"ok": false, "code": 3 or 4, "error": ...} and
   the driver exits (3: `distributed` cannot be imported; 4: the scheduler
   cannot be reached or the local cluster cannot start).
2. Then each line is a scratch directory to run: SCRATCH/graph.json lists the
   tasks, each one Dask task that hands `SCRATCH TASK STAGE BLOCK DEPS` to a
   worker server, the program's own executable started once per Dask worker
   thread as

       EXE --ndchunk-worker-server

   which reads its inputs from, and commits its result to, SCRATCH/values. Dask
   moves only the task ids. A task whose result is already committed (a retry
   after a lost worker) returns at once. The servers are stopped after each
   run. The answer is {"ok": true}, or {"ok": false, "code": 5, ...} with the
   failed task's id, stage label, block, exit status and error.
3. At the end of stdin the client (and a local cluster) is closed.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading

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


def run_task(exe, scratch, tid, stage, block, deps, label, *_inputs):
    """Runs task `tid` in this worker's server process; returns its id."""
    if os.path.exists(os.path.join(scratch, "values", f"{tid}.bin")):
        return tid
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
            return tid
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


def connect(where):
    """The client for `where` (the first line), or an error answer."""
    try:
        from distributed import Client, LocalCluster
    except Exception as e:  # ImportError, or a broken installation
        return None, {"code": 3, "error": f"cannot import distributed: {e!r}", "python": sys.executable}
    try:
        if where.get("address"):
            return Client(where["address"], timeout=where.get("connect_timeout", "10s")), None
        cluster = LocalCluster(
            n_workers=where["local_workers"],
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        return Client(cluster), None
    except Exception as e:
        return None, {"code": 4, "error": f"{e!r}", "address": where.get("address")}


def run_graph(client, scratch):
    """Runs SCRATCH/graph.json; returns None, or the failure's details."""
    with open(os.path.join(scratch, "graph.json")) as f:
        graph = json.load(f)
    run = graph["run"]
    keys = {}
    dsk = {}
    for t in graph["tasks"]:
        key = (key_prefix(t["label"]) + "-" + run, t["id"])
        keys[t["id"]] = key
        args = (
            graph["exe"],
            scratch,
            t["id"],
            t["stage"],
            ",".join(map(str, t["block"])),
            ",".join(map(str, t["deps"])),
            t["label"],
        )
        dsk[key] = (run_task, *args, *[keys[d] for d in t["deps"]])
    wanted = [keys[t] for t in graph["outputs"]]
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
    client, failure = connect(json.loads(sys.stdin.readline() or "{}"))
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


if __name__ == "__main__":
    main()
