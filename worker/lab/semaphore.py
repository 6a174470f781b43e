"""Semaphore: at most `bound` processes inside the guarded section at once, however many are waiting.

Each worker, once inside, increments a shared "active" count and records the highest value it saw;
the highest value over the run must equal the bound (no more: the guarantee; no less: the workers
hold the semaphore long enough to overlap).
"""

import math
import time
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import SEMAPHORE_BOUND, SEMAPHORE_WORKERS, Sizes
from worker.lab.procs import Gate, context, join_all, start_all
from worker.lab.result import Result, fmt_time


def _guarded(sem: Any, active: Any, peak: Any, hold: float, gate: Gate) -> None:
    """Enter the semaphore, count this process as active, hold for `hold` seconds, leave."""
    gate.wait()  # every worker asks at once: the bound is tested, not the fork order
    with sem:
        with active.get_lock():
            active.value += 1
            peak.value = max(peak.value, active.value)
        time.sleep(hold)  # sleeping, not computing: the overlap does not depend on free CPUs
        with active.get_lock():
            active.value -= 1


@dataclass
class Concurrency:
    """The highest number of workers seen inside at once, the run's wall time, and a clean exit."""

    peak: int
    seconds: float
    clean: bool


def bounded(bound: int, workers: int, hold: float) -> Concurrency:
    """Run `workers` processes through a Semaphore(bound)."""
    ctx = context()
    sem = ctx.Semaphore(bound)
    active, peak = ctx.Value("i", 0), ctx.Value("i", 0, lock=False)  # peak: written under active's lock
    gate = Gate(ctx)
    t0 = time.perf_counter()
    procs = start_all(
        ctx.Process(target=_guarded, args=(sem, active, peak, hold, gate)) for _ in range(workers)
    )
    gate.open(workers)
    clean = join_all(procs)
    return Concurrency(peak.value, time.perf_counter() - t0, clean)


def acquire_release_cost(n: int = 100_000) -> float:
    """Seconds per uncontended acquire+release of a Semaphore (a POSIX semaphore in shared memory)."""
    sem = context().Semaphore(1)
    t0 = time.perf_counter()
    for _ in range(n):
        sem.acquire()
        sem.release()
    return (time.perf_counter() - t0) / n


def run(sizes: Sizes) -> Result:
    """Check the bound and report the wall time against the ideal ceil(workers / bound) × hold."""
    bound, workers, hold = SEMAPHORE_BOUND, SEMAPHORE_WORKERS, sizes.semaphore_hold
    c = bounded(bound, workers, hold)
    ideal = math.ceil(workers / bound) * hold
    cost = acquire_release_cost()
    return Result(
        name="semaphore",
        shows=f"Semaphore({bound}) admits at most {bound} of {workers} processes at once",
        headline=f"max concurrency {c.peak} (bound {bound}); acquire+release {fmt_time(cost)}",
        design="bound concurrent access to a scarce resource; the pool's size already bounds CPU work",
        figures={
            "max concurrency observed": f"{c.peak} (bound {bound}, {workers} workers)",
            "wall time": f"{fmt_time(c.seconds)} (ideal {fmt_time(ideal)} + process start-up)",
            "uncontended acquire+release": fmt_time(cost),
        },
        facts={
            "max concurrency observed == bound": c.peak == bound,
            "every worker exited 0": c.clean,
        },
    )
