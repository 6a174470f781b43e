"""The worker container's healthcheck, at the cost of a shell builtin per check.

Docker runs a container's healthcheck every few seconds on the very cores the pool computes on. Starting
an interpreter that imports rq, redis and pydantic cost ~0.8 CPU-seconds per check: a quarter of an idle
1-CPU worker. Instead each worker process keeps a ready file that its heartbeat thread (which runs
anyway) refreshes once a beat, and only while the process is ready:

- it is registered with RQ (its worker hash, with its `birth`, exists: RQ tools and the reaper see it);
- its warm pool has every process it started with (a lost process breaks a Pool; worker.pool.health).

Otherwise the file is removed at once, so the check fails at its next run. `healthcheck.sh` beside this
file is the check: bash builtins only (no `date`, no `stat`, no Python), healthy while every worker
process in the container has a ready file younger than its max age.
"""

import os
from pathlib import Path


class ReadyFile:
    """One worker process's ready file: `<directory>/<worker name>`, holding the unix time of its beat."""

    def __init__(self, directory: str | Path, worker_name: str) -> None:
        self.path = Path(directory) / worker_name
        self._staging = self.path.with_name(f".{worker_name}.tmp")  # dotfiles escape the check's glob

    def mark(self, ready: bool, now: float) -> None:
        """Refresh the file when ready (atomic rename: never half a write seen); else remove it."""
        if not ready:
            self.remove()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._staging.write_text(f"{int(now)}\n")
        os.replace(self._staging, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
