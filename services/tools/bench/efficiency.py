"""Parallel efficiency T1 / (2 T) on ~20 ms CPU-bound chunks: ours (local, distributed, hybrid), the peers.

T1 is the same units run serially in this process, chunk by chunk, measured right before and right
after each run: one such timing drifts a few % with the machine from one to the next, and their mean
halves that and cancels a steady trend. Both are kept (`t1_before`, `t1_after`, per job).
"""

import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.api.enqueue import enqueue
from services.tools.bench import overhead, stack
from services.tools.bench.defaults import CHUNK_SECONDS, CPU_LO
from services.tools.bench.peers import measure
from services.tools.bench.peers.runners import PEERS
from services.tools.bench.timing import timed_run
from services.tools.stack import host_settings
from shared.chunking import split
from shared.job_status import FINISHED
from shared.job_store import JobStore
from shared.jobs import parse_job
from shared.kernels.primes import count_primes
from shared.tally import Tally

# name -> (worker processes, pool processes each, job mode). On 2 cores hybrid has one pool process per
# worker, and a hybrid chunk on a pool of one runs in the worker process: it is distributed's path.
TOPOLOGIES = {
    "local": (1, 2, "local"),
    "distributed": (2, 1, "distributed"),
    "hybrid": (2, 1, "hybrid"),
    # Not a topology of ours on 2 cores (no target): hybrid mode on one fat worker, every queue chunk
    # split again across its pool of 2, to show what that second split costs on 20 ms chunks.
    "hybrid-fat": (1, 2, "hybrid"),
}
CORES = 2


def calibrate(target: float = CHUNK_SECONDS) -> int:
    """The width of a primes range starting at CPU_LO that takes about `target` seconds here."""
    width = 10_000
    for _ in range(4):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            count_primes(CPU_LO, CPU_LO + width)
            times.append(time.perf_counter() - t0)
        width = max(100, int(width * target / statistics.median(times)))
    return width


def serial(chunks: list[tuple[int, int]]) -> tuple[float, Tally]:
    """Seconds to run the chunks one after the other in this process, and their merged answer."""
    total = Tally()
    t0 = time.perf_counter()
    for lo, hi in chunks:
        total.merge(count_primes(lo, hi))
    return time.perf_counter() - t0, total


R = TypeVar("R")


def bracketed(work: list[tuple[int, int]], run: Callable[[Tally], R]) -> tuple[dict[str, float], Tally, R]:
    """`run(answer)` between two serial timings of `work` (one job's chunks): the timings, the answer, and
    what run returned."""
    before, expected = serial(work)
    result = run(expected)
    after, _tally = serial(work)
    return {"t1_before": before, "t1_after": after, "one_job": (before + after) / 2}, expected, result


def _compute(chunks: list[tuple[int, int]]) -> None:
    for lo, hi in chunks:
        count_primes(lo, hi)


def ceiling(work: list[tuple[int, int]]) -> float:
    """This machine's own limit in one round: `work` on 2 bare forked processes, no IPC at all; T1/(2T).

    On a machine whose two cores do not slow each other down it is about 1.0; a virtual machine whose
    cores share a physical one shows less, and no runner on it can do better.
    """
    import os

    def forked(_answer: Tally) -> float:
        t0 = time.perf_counter()
        children = []
        for half in (work[0::2], work[1::2]):
            pid = os.fork()
            if pid == 0:
                try:
                    _compute(half)
                finally:
                    os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        return time.perf_counter() - t0

    timings, _tally, seconds = bracketed(work, forked)
    return timings["one_job"] / (CORES * seconds)


def one_run(
    connection: redis.Redis, url: str, topology: str, width: int, jobs: int, chunks: int, name: str
) -> dict[str, Any]:
    workers, pool, mode = TOPOLOGIES[topology]
    units = (CPU_LO, CPU_LO + width * chunks)
    queue = Queue(name, connection=connection, serializer=JSONSerializer)
    store = JobStore(connection, host_settings().result_ttl)
    spec = parse_job(
        {
            "kernel": "primes",
            "params": {"start": units[0], "stop": units[1]},
            "mode": mode,
            "chunk_size": width,
        }
    )
    planned = enqueue(store, queue, [spec] * jobs)
    ids = [entry for job in planned for entry in job.entry_ids]
    start = lambda: stack.our_workers(url, name, workers, pool)  # noqa: E731 - bound for timed_run
    timings, expected, window = bracketed(
        split(range(*units), width), lambda _answer: timed_run(connection, queue, ids, start, workers)
    )
    records = [store.read(job.job_id) for job in planned]
    wrong = sum(r is None or r.status != FINISHED or r.tally != expected for r in records)
    pids = {p for r in records if r is not None for p in r.pids}
    t1 = timings["one_job"] * jobs
    return {
        **timings,
        "t1_seconds": t1,
        "t_seconds": window.seconds,
        "efficiency": t1 / (CORES * window.seconds),
        "wrong": wrong,
        # The pool is warm if the jobs ran on no more processes than it has: none was started inside a job.
        "distinct_pids": len(pids),
        "expected_pids": workers * pool,
        "queue_entries": len(ids),
    }


def peer_run(
    connection: redis.Redis, url: str, peer: str, width: int, jobs: int, chunks: int, name: str
) -> dict[str, Any]:
    """The same chunks as one_run's jobs, each chunk one job of the peer, on its 2-process layout."""
    work = split(range(CPU_LO, CPU_LO + width * chunks), width)
    timings, _answer, run = bracketed(
        work, lambda answer: measure.cpu(connection, url, peer, work, jobs, name, answer.count)
    )
    t1 = timings["one_job"] * jobs
    return {
        **run,
        **timings,
        "t1_seconds": t1,
        "efficiency": t1 / (CORES * run["t_seconds"]),
        "jobs": jobs * chunks,
    }


def stock_run(
    connection: redis.Redis, url: str, width: int, jobs: int, chunks: int, name: str
) -> dict[str, Any]:
    """The same chunks, each chunk one stock RQ job, on 2 stock SimpleWorker processes."""
    work = split(range(CPU_LO, CPU_LO + width * chunks), width)
    timings, expected, (window, total) = bracketed(
        work,
        lambda _answer: overhead.stock(connection, url, work * jobs, name, overhead.STOCK["simple"], CORES),
    )
    t1 = timings["one_job"] * jobs
    return {
        **timings,
        "t_seconds": window.seconds,
        "t1_seconds": t1,
        "efficiency": t1 / (CORES * window.seconds),
        "jobs": jobs * chunks,
        "total": total,
        "wrong": int(total != expected.count * jobs),
    }


def run(connection: redis.Redis, url: str, jobs: int, chunks: int, rounds: int, log: Any) -> dict[str, Any]:
    """Calibrate, then the ceiling, every topology and every peer `rounds` times, interleaved; medians.

    Each run's `of_ceiling` is its efficiency over the ceiling of its own round: the machine's speed
    drifts by tens of % over minutes (`make soak`'s probe), and a ceiling taken in the same round, a few
    seconds away, drifts with it.
    """
    width = calibrate()
    chunk_seconds = serial([(CPU_LO, CPU_LO + width)])[0]
    work = split(range(CPU_LO, CPU_LO + width * chunks * jobs), width)
    ceilings: list[float] = []
    results: dict[str, list[dict[str, Any]]] = {t: [] for t in TOPOLOGIES}
    peers: dict[str, list[dict[str, Any]]] = {p: [] for p in PEERS}
    stock: list[dict[str, Any]] = []

    def beside(run: dict[str, Any]) -> dict[str, Any]:
        return {**run, "of_ceiling": run["efficiency"] / ceilings[-1]}

    for r in range(rounds):
        ceilings.append(ceiling(work))
        log(f"  round {r + 1}: ceiling (2 bare forks) {ceilings[-1]:.3f}")
        for topology in TOPOLOGIES:
            results[topology].append(
                beside(one_run(connection, url, topology, width, jobs, chunks, f"bench-eff-{topology}-{r}"))
            )
            log(f"  round {r + 1}: {topology} efficiency {results[topology][-1]['efficiency']:.3f}")
        stock.append(beside(stock_run(connection, url, width, jobs, chunks, f"bench-eff-simple-{r}")))
        log(f"  round {r + 1}: stock RQ SimpleWorker efficiency {stock[-1]['efficiency']:.3f}")
        for peer in PEERS:
            peers[peer].append(
                beside(peer_run(connection, url, peer, width, jobs, chunks, f"bench-eff-{peer}-{r}"))
            )
            log(f"  round {r + 1}: {peer} efficiency {peers[peer][-1]['efficiency']:.3f}")

    def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "efficiency": statistics.median(r["efficiency"] for r in runs),
            "of_ceiling": statistics.median(r["of_ceiling"] for r in runs),
            "runs": runs,
        }

    out: dict[str, Any] = {
        "ceiling": statistics.median(ceilings),
        "ceiling_rounds": ceilings,
        "chunk_width": width,
        "chunk_seconds": chunk_seconds,
        "jobs": jobs,
        "chunks_per_job": chunks,
    }
    for topology, runs in results.items():
        workers, pool, mode = TOPOLOGIES[topology]
        out[topology] = {
            "layout": f"{workers} worker(s) x pool {pool}" + ("" if mode == topology else f", mode {mode}"),
            **medians(runs),
            "exact": not any(r["wrong"] for r in runs),
            "warm_pool": all(r["distinct_pids"] <= r["expected_pids"] for r in runs),
        }
    out["stock"] = medians(stock)
    out["peers"] = {peer: medians(runs) for peer, runs in peers.items()}
    return out
