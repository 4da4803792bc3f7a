"""The worker program of ndchunk's Dask executor, for computes started from
Python: ``python -m ndchunk.worker`` (or the ``ndchunk-worker`` command the
package installs) serves ndchunk tasks the way a Rust program's worker mode
does, so Dask workers need no Rust binary of the user's own.

The Dask executor starts it with ``--ndchunk-worker-server`` once per Dask
worker thread; it reads task after task from stdin and exits at EOF.
"""

from __future__ import annotations

import os
import shutil
import sys


def executable() -> str:
    """The path of the ``ndchunk-worker`` command next to this Python
    (installed by pip with the package)."""
    here = os.path.join(os.path.dirname(sys.executable), "ndchunk-worker")
    if os.access(here, os.X_OK):
        return here
    found = shutil.which("ndchunk-worker")
    if found is None:
        raise RuntimeError("ndchunk-worker is not installed next to this Python (pip install the ndchunk package)")
    return found


def main(argv: list[str] | None = None) -> int:
    """Serves tasks when started by the Dask executor; returns 2 otherwise."""
    from . import _ndchunk

    args = sys.argv[1:] if argv is None else argv
    if not _ndchunk.run_worker(["ndchunk-worker", *args]):
        print("ndchunk-worker: started by ndchunk's Dask executor only (--ndchunk-worker-server)",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
