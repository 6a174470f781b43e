"""What a peer's worker process writes, so the bench can time and check it without asking Redis.

Each worker process appends one line per job to its own file in the run's folder ("start end count",
Unix seconds from time.time()), and writes a ready file once it consumes. Files, not Redis keys, so that
a peer's command count is only its own.
"""

import os
import time
from pathlib import Path
from typing import TextIO

from shared.kernels.primes import count_primes

# The run's folder, given to the worker processes in their environment by the bench.
FOLDER_ENV = "BENCH_PEER_FOLDER"
# The name each peer registers `primes` under, and the bench sends its messages to.
TASK = "bench.primes"

_log: tuple[int, TextIO] | None = None


def folder() -> Path:
    return Path(os.environ[FOLDER_ENV])


def ready() -> None:
    """Say that this process consumes its queue now."""
    (folder() / f"ready-{os.getpid()}").touch()


def primes(lo: int, hi: int) -> int:
    """The peers' one job: the primes kernel over [lo, hi), timed and logged in this process's file."""
    global _log
    started = time.time()
    count = count_primes(lo, hi).count
    ended = time.time()
    if _log is None or _log[0] != os.getpid():  # a forked child opens its own file
        _log = (os.getpid(), (folder() / f"jobs-{os.getpid()}.log").open("a", buffering=1))
    _log[1].write(f"{started} {ended} {count}\n")
    return count


def done(run: Path) -> list[tuple[float, float, int]]:
    """Every job logged in `run` so far: (start, end, count)."""
    rows = []
    for path in run.glob("jobs-*.log"):
        for line in path.read_text().splitlines():
            started, ended, count = line.split()
            rows.append((float(started), float(ended), int(count)))
    return rows


def readies(run: Path) -> int:
    return sum(1 for _ in run.glob("ready-*"))
