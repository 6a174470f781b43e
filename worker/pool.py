"""The warm Pool: created once per worker, before any job, and reused for every job.

Where a job gets split: `WarmPool.run` hands one pool task per chunk; each pool process computes
its chunk locally and merges it into the SharedTally it inherited from the pool initializer, taking
the Lock once per chunk.
"""

import multiprocessing
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.aggregation import SharedTally
from shared.kernels import run_kernel
from shared.tally import Tally

# Set in each pool process by the initializer: the parent's SharedTally, inherited, not copied.
_tally: SharedTally | None = None


def _adopt(tally: SharedTally) -> None:
    """Pool initializer: keep the inherited SharedTally; leave Ctrl-C to the parent."""
    global _tally
    _tally = tally
    # A terminal's Ctrl-C reaches the whole process group; a pool process killed by it mid-task
    # would leave its chunk unanswered. The parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunk(task: tuple[str, Mapping[str, Any], int, int]) -> tuple[int, float]:
    """Pool task: compute one chunk, merge it under the lock, report (pid, CPU seconds)."""
    kernel, params, lo, hi = task
    cpu_start = time.process_time()
    part = run_kernel(kernel, params, lo, hi)
    assert _tally is not None, "pool process started without the initializer"
    _tally.merge(part)
    return os.getpid(), time.process_time() - cpu_start


@dataclass
class PoolRun:
    """What one job's run on the pool produced."""

    tally: Tally
    chunks: int
    pids: list[int]
    cpu_seconds: float


class WarmPool:
    """A multiprocessing Pool plus the shared aggregate its processes merge into."""

    def __init__(self, processes: int, start_method: str) -> None:
        ctx = multiprocessing.get_context(start_method)
        self.processes = processes
        self.start_method = start_method
        self.tally = SharedTally(ctx)
        self._pool = ctx.Pool(processes, initializer=_adopt, initargs=(self.tally,))

    def run(self, kernel: str, params: Mapping[str, Any], chunks: list[tuple[int, int]]) -> PoolRun:
        """Run every chunk on the pool and return the aggregate. One job at a time."""
        self.tally.reset()
        tasks = [(kernel, dict(params), lo, hi) for lo, hi in chunks]
        pids: set[int] = set()
        cpu_seconds = 0.0
        for pid, cpu in self._pool.imap_unordered(_run_chunk, tasks, chunksize=1):
            pids.add(pid)
            cpu_seconds += cpu
        tally, merged = self.tally.snapshot()
        if merged != len(chunks):
            raise RuntimeError(f"{merged} chunks merged, expected {len(chunks)}")
        return PoolRun(tally=tally, chunks=len(chunks), pids=sorted(pids), cpu_seconds=cpu_seconds)

    def close(self) -> None:
        """Stop the pool processes."""
        self._pool.terminate()
        self._pool.join()
