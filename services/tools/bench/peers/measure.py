"""A peer's two figures: the per-job cost of tiny jobs, and parallel efficiency on CPU-bound chunks."""

from typing import Any

import redis

from services.tools.bench.defaults import TINY_HI, TINY_LO
from services.tools.bench.peers.method import Run, timed_run
from services.tools.bench.peers.runners import PEERS, Bounds


def run(connection: redis.Redis, url: str, peer: str, jobs: Bounds, processes: int, name: str) -> Run:
    """`jobs` enqueued on queue `name` with no worker running, then run by `processes` fresh workers."""
    p = PEERS[peer]
    p.enqueue(url, name, jobs)
    start = lambda run: p.start(url, name, processes, run)  # noqa: E731 - bound for timed_run
    return timed_run(connection, p.key(name), start, p.ready(processes), len(jobs))


def wrong(r: Run, jobs: int, expected_total: int) -> int:
    """Jobs not run exactly once, or at least one if the answers do not add up to the expected total."""
    return max(abs(jobs - r.ran), int(r.total != expected_total))


def noop(connection: redis.Redis, url: str, peer: str, n: int, name: str) -> Run:
    """N tiny jobs on the peer's per-job layout."""
    return run(connection, url, peer, [(TINY_LO, TINY_HI)] * n, PEERS[peer].noop_processes, name)


def cpu(
    connection: redis.Redis, url: str, peer: str, chunks: Bounds, copies: int, name: str, expected: int
) -> dict[str, Any]:
    """`copies` times the chunks of one job, each chunk a job, on the peer's 2-core layout."""
    r = run(connection, url, peer, chunks * copies, PEERS[peer].cpu_processes, name)
    return {
        "t_seconds": r.window.seconds,
        "ran": r.ran,
        "total": r.total,
        "wrong": wrong(r, len(chunks) * copies, expected * copies),
    }
