"""Start-up cost of fork, forkserver and spawn, for one Process and for a Pool(2) cycle.

fork copies the parent (cheap, but unsafe once the parent runs threads); forkserver forks from a
clean single-threaded server started once per parent; spawn starts a fresh interpreter that
re-imports the target's module (and the main module). The worker keeps one warm pool for its whole
life, so it pays this once, not per job.
"""

import multiprocessing
import statistics
import time
from dataclasses import dataclass, field

from worker.lab.defaults import Sizes
from worker.lab.procs import context
from worker.lab.result import Result, fmt_time

METHODS = ("fork", "forkserver", "spawn")


def _noop() -> None:
    """The child's whole job: nothing, so only start-up and exit are timed."""


def _square(x: int) -> int:
    """A pool task small enough that the Pool cycle is all start-up and tear-down."""
    return x * x


@dataclass
class MethodCost:
    """One start method's measured costs (seconds) and whether every child exited cleanly."""

    method: str
    first: float  # the first Process: includes starting the fork server, for forkserver
    median: float  # Process start() to join(), later starts
    pool_cycle: float  # Pool(2) created, used once, closed and joined
    clean: bool = True
    samples: list[float] = field(default_factory=list)


def start_join(method: str) -> tuple[float, bool]:
    """Seconds from start() to join() of an empty child, and whether it exited 0."""
    proc = context(method).Process(target=_noop)
    t0 = time.perf_counter()
    proc.start()
    proc.join(30)
    return time.perf_counter() - t0, proc.exitcode == 0


def pool_cycle(method: str) -> tuple[float, bool]:
    """Seconds to create a Pool(2), map one tiny task per process, close and join it."""
    t0 = time.perf_counter()
    with context(method).Pool(2) as pool:
        ok = pool.map(_square, [2, 3]) == [4, 9]
        pool.close()
        pool.join()
    return time.perf_counter() - t0, ok


def measure(method: str, repeats: int, cycles: int) -> MethodCost:
    """Time `repeats` Process start/join cycles and `cycles` Pool cycles under one start method."""
    first, clean = start_join(method)
    samples = []
    for _ in range(repeats):
        seconds, ok = start_join(method)
        samples.append(seconds)
        clean = clean and ok
    pools = []
    for _ in range(cycles):
        seconds, ok = pool_cycle(method)
        pools.append(seconds)
        clean = clean and ok
    return MethodCost(method, first, statistics.median(samples), statistics.median(pools), clean, samples)


def run(sizes: Sizes) -> Result:
    """Measure every start method this platform has."""
    available = [m for m in METHODS if m in multiprocessing.get_all_start_methods()]
    costs = [measure(m, sizes.start_repeats, sizes.pool_cycles) for m in available]
    figures: dict[str, str] = {}
    for cost in costs:
        figures[f"{cost.method}: Process start→join (median of {len(cost.samples)})"] = fmt_time(cost.median)
        figures[f"{cost.method}: first Process"] = fmt_time(cost.first)
        figures[f"{cost.method}: Pool(2) create+use+join"] = fmt_time(cost.pool_cycle)
    by_method = {c.method: c for c in costs}
    notes = []
    if "forkserver" in by_method:
        fs = by_method["forkserver"]
        notes.append(
            f"forkserver's first Process ({fmt_time(fs.first)}) includes starting the server, "
            "once per parent process"
        )
    return Result(
        name="start-methods",
        shows="what a new process costs under each start method",
        headline="; ".join(f"{c.method} {fmt_time(c.median)}" for c in costs) + " per Process",
        design="start the pool once per worker and reuse it: never a process per job",
        figures=figures,
        facts={f"{c.method}: every child and pool ran and exited 0": c.clean for c in costs},
        notes=notes,
    )
