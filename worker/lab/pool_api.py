"""Pool: map, imap, imap_unordered, apply_async and starmap give the same answers; chunksize sets the cost.

Every task crosses two pipes (to the pool process and back) as a pickle; chunksize batches items per
crossing, so a tiny function's cost per item falls with it until the function itself dominates.
"""

import operator
import time
from typing import NamedTuple

from shared.cgroup.quota import usable_cpus
from worker.lab.defaults import Sizes
from worker.lab.procs import context
from worker.lab.result import Result, fmt_time


def square(x: int) -> int:
    """A task so small that its cost is the Pool's own overhead."""
    return x * x


def api_variants(n: int, processes: int) -> dict[str, list[int]]:
    """The squares of range(n) through each Pool API, in input order (imap_unordered sorted)."""
    xs = list(range(n))
    with context().Pool(processes) as pool:
        results = {
            "map": pool.map(square, xs),
            "imap": list(pool.imap(square, xs, chunksize=8)),
            # Completion order, not input order: sort to compare.
            "imap_unordered": sorted(pool.imap_unordered(square, xs, chunksize=8)),
            "starmap": pool.starmap(operator.mul, zip(xs, xs, strict=True)),
        }
        # Submit everything before the first get(): get() inside the loop would run one at a time.
        pending = [pool.apply_async(square, (x,)) for x in xs]
        results["apply_async"] = [p.get(timeout=30) for p in pending]
    return results


class ChunkRun(NamedTuple):
    """Pool.map over range(n) at one chunksize: its cost per item, and what it answered."""

    seconds_per_item: float
    results: list[int]


def per_item(n: int, chunksizes: tuple[int, ...], processes: int) -> dict[int, ChunkRun]:
    """Pool.map of square over range(n) at each chunksize, on one warm pool: seconds per item, results."""
    runs: dict[int, ChunkRun] = {}
    with context().Pool(processes) as pool:
        pool.map(square, range(processes * 4))  # warm: every pool process has started
        for chunksize in chunksizes:
            t0 = time.perf_counter()
            results = pool.map(square, range(n), chunksize=chunksize)
            runs[chunksize] = ChunkRun((time.perf_counter() - t0) / n, results)
    return runs


def run(sizes: Sizes) -> Result:
    """Check the API variants agree, then sweep chunksize."""
    processes = usable_cpus()
    variants = api_variants(500, processes)
    expected = [x * x for x in range(500)]
    runs = per_item(sizes.pool_items, sizes.chunksizes, processes)
    costs = {chunksize: run.seconds_per_item for chunksize, run in runs.items()}
    squares = [x * x for x in range(sizes.pool_items)]
    lo, hi = min(costs), max(costs)
    return Result(
        name="pool",
        shows="the Pool APIs agree; per-item overhead falls as chunksize grows",
        headline=f"{fmt_time(costs[lo])}/item at chunksize {lo} → {fmt_time(costs[hi])} at {hi} "
        f"(Pool({processes}))",
        design="hand the pool a few large chunks per process, never one item per task",
        figures={
            f"Pool({processes}).map, chunksize {cs}": f"{fmt_time(c)} per item" for cs, c in costs.items()
        },
        facts={
            **{f"{name} == [x*x for x in range(500)]": got == expected for name, got in variants.items()},
            **{f"map, chunksize {cs}: the squares": run.results == squares for cs, run in runs.items()},
        },
    )
