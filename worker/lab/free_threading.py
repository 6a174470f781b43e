"""Threads summing into one shared tally under one `threading.Lock`, with the GIL on or off: what the lock's
granularity costs, and whether threads add cores at all.

The same pure-Python loop (the sum of i*i over a range) runs on 1 thread, then split between
`CONTENDERS` threads that add into one tally three ways: the lock taken for every item (the most
contention there can be), once per batch of `BATCH` items, and once per thread at its end (a private
tally merged under the lock: the free-threaded analogue of the pool processes' `Value`/`Array` + `Lock`
merge, worker/runtimes/free_threaded.py's `LockedTally`). Every total is checked against the 1-thread
run's, and that one against the closed form.

With the GIL on (every CPython up to 3.12, and 3.13+ unless built `--disable-gil`), one thread runs
Python at a time: threads cannot add CPU, whatever the lock does. On a free-threaded build (3.14t, the
worker-py314t image) with the GIL off, they run at once, and the lock decides how much of that survives.
The experiment reports which it saw (`sys._is_gil_enabled()`, `Py_GIL_DISABLED`) and what it measured.
"""

import sys
import sysconfig
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.cgroup.quota import usable_cpus
from worker.lab.defaults import CONTENDERS, Sizes
from worker.lab.result import Result, fmt_ratio, fmt_time
from worker.runtimes.free_threaded import gil_enabled

# Items per lock in the per-batch variant: enough that the lock is taken rarely, as with a chunk's merge.
BATCH = 1000

# Interleaved rounds of every variant; each variant's fastest is reported (a busy machine only slows a
# run down, so the fastest is the nearest to what the threads can do). A quick run's are a few ms each.
ROUNDS = 5

# Below this speedup with the GIL off, the report says the threads did not run in parallel here.
PARALLEL = 1.3


class SharedTally:
    """One total for every thread, added to only under its lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0


def per_item(tally: SharedTally, lo: int, hi: int) -> None:
    """The lock taken for every item: as many acquisitions as items, and the most contention."""
    lock = tally.lock
    for i in range(lo, hi):
        square = i * i
        with lock:
            tally.total += square


def per_batch(tally: SharedTally, lo: int, hi: int) -> None:
    """A private sum per `BATCH` items, added under the lock once per batch."""
    for start in range(lo, hi, BATCH):
        subtotal = 0
        for i in range(start, min(start + BATCH, hi)):
            subtotal += i * i
        with tally.lock:
            tally.total += subtotal


def per_thread(tally: SharedTally, lo: int, hi: int) -> None:
    """A private sum over the whole range, merged under the lock once at the end."""
    subtotal = 0
    for i in range(lo, hi):
        subtotal += i * i
    with tally.lock:
        tally.total += subtotal


PER_ITEM, PER_BATCH, PER_THREAD = (
    "lock per item",
    f"lock per {BATCH:,}-item batch",
    "lock once per thread (private tally merged)",
)
VARIANTS: dict[str, Callable[[SharedTally, int, int], None]] = {
    PER_ITEM: per_item,
    PER_BATCH: per_batch,
    PER_THREAD: per_thread,
}


def closed_form(n: int) -> int:
    """The sum of i*i for i in range(n)."""
    return (n - 1) * n * (2 * n - 1) // 6


def timed(work: Callable[[SharedTally, int, int], None], threads: int, items: int) -> tuple[int, float]:
    """`items` split into `threads` contiguous ranges, one per thread, all started together: the total
    and the seconds from the first thread's start to the last one's end."""
    tally = SharedTally()
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * threads
    started = threading.Barrier(threads)

    def body(k: int) -> None:
        started.wait()
        t0 = time.perf_counter()
        work(tally, items * k // threads, items * (k + 1) // threads)
        spans[k] = (t0, time.perf_counter())

    workers = [threading.Thread(target=body, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally.total, max(end for _, end in spans) - min(start for start, _ in spans)


@dataclass
class Timing:
    """One variant's fastest run, and the first total that was not the expected one, if any."""

    seconds: float = float("inf")
    wrong: tuple[int, int] | None = None  # (total, expected)

    def add(self, total: int, seconds: float, expected: int) -> None:
        self.seconds = min(self.seconds, seconds)
        if total != expected and self.wrong is None:
            self.wrong = (total, expected)

    @property
    def answer(self) -> str:
        return "exact" if self.wrong is None else f"WRONG: {self.wrong[0]:,}, not {self.wrong[1]:,}"


@dataclass(frozen=True)
class Gil:
    """What this Python says about its GIL: the build, and whether it is on now."""

    free_threaded_build: bool
    enabled: bool
    build: str  # what was read, for the report
    now: str


def gil_state() -> Gil:
    """The build's `Py_GIL_DISABLED`, and `sys._is_gil_enabled()` where it exists (3.13+)."""
    flag = sysconfig.get_config_var("Py_GIL_DISABLED")
    build = f"{'free-threaded' if flag else 'with a GIL'} (Py_GIL_DISABLED={flag})"
    enabled = gil_enabled()
    if getattr(sys, "_is_gil_enabled", None) is None:
        now = "on (no sys._is_gil_enabled before 3.13: the GIL is always on)"
    else:
        now = f"{'on' if enabled else 'off'} (sys._is_gil_enabled() is {enabled})"
    return Gil(bool(flag), enabled, build, now)


def explain(gil: Gil, item: float, batch: float, merged: float, cpus: int) -> list[str]:
    """What the figures say, from what was seen (the GIL) and what was measured (speedups of 1 thread)."""
    best = max(batch, merged)
    if gil.enabled:
        reason = (
            "a free-threaded build, but PYTHON_GIL=1, -X gil=1, or an extension module imported without "
            "free-threading support turned it back on"
            if gil.free_threaded_build
            else "a build with a GIL"
        )
        notes = [
            f"the GIL was on ({reason}): one thread runs Python at a time; {CONTENDERS} threads measured "
            f"{fmt_ratio(best)} of 1 thread at best, and {fmt_ratio(item)} with the lock per item: there, "
            "what costs is taking the lock for every item, not waiting for it (the other thread rarely "
            "runs while it is held)"
        ]
        if best >= PARALLEL:
            notes.append(
                f"{fmt_ratio(best)} with the GIL on is not parallelism: something else on the machine slowed "
                "every 1-thread run of this one; compare a quieter run's figures"
            )
        notes.append(
            "threads with the GIL off: this experiment in the worker-py314t image "
            "(docker compose --profile py314t build worker-py314t)"
        )
        return notes
    notes = [
        f"the GIL was off: {CONTENDERS} threads may run Python at once, here on {cpus} usable CPU(s) "
        f"(at most {fmt_ratio(min(CONTENDERS, cpus))} of 1 thread); merging per batch measured "
        f"{fmt_ratio(batch)} and once per thread {fmt_ratio(merged)}"
    ]
    if best < PARALLEL:
        notes.append(
            f"no parallel speedup measured (below {fmt_ratio(PARALLEL)}): fewer free CPUs than threads "
            "(a busy machine, a quota, an affinity) keeps the threads from running at once"
        )
    if item < best / PARALLEL:
        notes.append(
            f"the lock per item measured {fmt_ratio(item)}: the threads contend for it on every item, and "
            "handing it between cores costs more than the item's work"
        )
    else:
        notes.append(f"the lock per item measured {fmt_ratio(item)}: little contention on this run")
    return notes


def run(sizes: Sizes) -> Result:
    """Time the same sum on 1 thread and on `CONTENDERS` threads at three lock granularities."""
    items = sizes.increments * CONTENDERS  # as many per thread as the value experiment's processes add
    expected = closed_form(items)
    single = Timing()
    timings = {name: Timing() for name in VARIANTS}
    for _ in range(ROUNDS):
        # Interleaved: a slower stretch of the machine falls on every variant, not on one.
        reference, seconds = timed(per_thread, 1, items)
        single.add(reference, seconds, expected)
        for name, work in VARIANTS.items():
            timings[name].add(*timed(work, CONTENDERS, items), expected=reference)
    gil = gil_state()
    speedups = {name: single.seconds / t.seconds for name, t in timings.items()}
    figures = {
        "build": gil.build,
        "GIL": gil.now,
        f"1 thread, {items:,} items": f"{fmt_time(single.seconds)}, {single.answer}",
    }
    for name, t in timings.items():
        figures[f"{CONTENDERS} threads, {name}"] = (
            f"{fmt_time(t.seconds)}, {fmt_ratio(speedups[name])} of 1 thread, {t.answer}"
        )
    item, batch, merged = speedups[PER_ITEM], speedups[PER_BATCH], speedups[PER_THREAD]
    return Result(
        name="free-threading",
        shows="threads adding into one tally under a threading.Lock, per item, per batch or once per "
        "thread, against 1 thread, with the GIL on or off",
        headline=f"GIL {'on' if gil.enabled else 'off'}: {CONTENDERS} threads {fmt_ratio(merged)} "
        f"(merge once), {fmt_ratio(batch)} (per batch), {fmt_ratio(item)} (lock per item) of 1 thread",
        design="merge once per chunk under the lock, whatever runs the chunks; threads add cores only with "
        "the GIL off (the free-threaded row of make compare)",
        figures=figures,
        facts={
            "1 thread: total = the closed form": single.wrong is None,
            **{f"{name}: total = 1 thread's": t.wrong is None for name, t in timings.items()},
        },
        notes=[
            *explain(gil, item, batch, merged, usable_cpus()),
            f"each time is the fastest of {ROUNDS} interleaved rounds",
        ],
    )
