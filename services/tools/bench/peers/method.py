"""The RENAME method for a peer: its jobs waiting, its queue key hidden while its workers start, then timed.

The same steps as timing.timed_run for RQ, with the peer's own queue key, readiness and job log
(record.py) in place of RQ's worker registry and job hashes.
"""

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from services.tools.bench import stack
from services.tools.bench.defaults import PHASE_TIMEOUT
from services.tools.bench.peers import record
from services.tools.bench.timing import Window, redis_cpu
from services.tools.redis_stats import command_calls


@dataclass(frozen=True)
class Run:
    """One timed run of a peer: the window, and what its jobs answered."""

    window: Window
    ran: int  # jobs logged by the workers (a job run twice counts twice)
    total: int  # the sum of their answers


def timed_run(
    connection: redis.Redis,
    key: str,
    start_workers: Callable[[Path], list[subprocess.Popen]],
    ready: int,
    jobs: int,
) -> Run:
    """Run the `jobs` already waiting on the list `key` on fresh workers (`ready` of them say so)."""
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as name:
        run = Path(name)
        hidden = key + ":hidden"
        connection.rename(key, hidden)
        procs = start_workers(run)
        try:
            stack.wait_for(
                lambda: record.readies(run) >= ready or None, stack.READY_TIMEOUT, f"{key} workers"
            )
            before, cpu_before = command_calls(connection), redis_cpu(connection)
            connection.rename(hidden, key)
            stack.wait_for(
                lambda: len(record.done(run)) >= jobs or None, PHASE_TIMEOUT, f"{jobs} jobs on {key}"
            )
            after, cpu_after = command_calls(connection), redis_cpu(connection)
        finally:
            stack.stop(procs)
        rows = record.done(run)
    commands = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0) > 0}
    for own in ("info", "rename"):  # the bench's own reads and reveal, not the peer's doing
        commands.pop(own, None)
    seconds = max(end for _, end, _ in rows) - min(start for start, _, _ in rows)
    window = Window(len(rows), seconds, commands, cpu_after - cpu_before)
    return Run(window, len(rows), sum(count for _, _, count in rows))
