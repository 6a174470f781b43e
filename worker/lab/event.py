"""Event: one `set()` releases every waiting process (broadcast start) or tells running ones to stop
(cooperative cancel: each checks `is_set()` between slices of work and exits cleanly, unlike
`terminate()`, which kills mid-slice and skips cleanup).
"""

import time
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import EVENT_WORKERS, JOIN_TIMEOUT, Sizes
from worker.lab.procs import context, join_all, start_all
from worker.lab.result import Result, fmt_time

SLICE = 0.001  # seconds of busy work between two looks at the cancel event


def _wait_for_start(ready: Any, start: Any, woke: Any, slot: int) -> None:
    """Say ready, block on the start event, stamp the moment of waking."""
    ready.release()
    if start.wait(JOIN_TIMEOUT):
        woke[slot] = time.perf_counter()


def _work_until_cancelled(ready: Any, cancel: Any, slices: Any, stopped: Any, slot: int) -> None:
    """Busy-work in short slices until cancel is set; record slices done and the moment of stopping."""
    ready.release()
    done = 0
    while not cancel.is_set():
        end = time.perf_counter() + SLICE
        while time.perf_counter() < end:
            pass
        done += 1
    slices[slot], stopped[slot] = done, time.perf_counter()


@dataclass
class Broadcast:
    """Wake-up latencies after `set()` (seconds; negative would mean a worker ran before it)."""

    latencies: list[float]
    clean: bool


@dataclass
class Cancel:
    """Slices each worker finished, seconds from `set()` until every worker had exited, clean exits."""

    slices: list[int]
    stop_latencies: list[float]
    to_all_joined: float
    clean: bool


def broadcast_start(workers: int) -> Broadcast:
    """Park `workers` processes on one Event and release them with one set()."""
    ctx = context()
    ready, start = ctx.Semaphore(0), ctx.Event()
    woke = ctx.Array("d", [0.0] * workers, lock=False)
    procs = start_all(
        ctx.Process(target=_wait_for_start, args=(ready, start, woke, i)) for i in range(workers)
    )
    for _ in range(workers):
        ready.acquire(timeout=JOIN_TIMEOUT)
    time.sleep(0.05)  # let the last worker reach wait() after releasing `ready`
    t_set = time.perf_counter()
    start.set()
    clean = join_all(procs)
    return Broadcast([w - t_set if w else float("nan") for w in woke], clean)


def cooperative_cancel(workers: int, run_for: float = 0.1) -> Cancel:
    """Let `workers` processes work for `run_for` seconds, then cancel them all with one set()."""
    ctx = context()
    ready, cancel = ctx.Semaphore(0), ctx.Event()
    slices = ctx.Array("q", workers, lock=False)
    stopped = ctx.Array("d", workers, lock=False)
    procs = start_all(
        ctx.Process(target=_work_until_cancelled, args=(ready, cancel, slices, stopped, i))
        for i in range(workers)
    )
    for _ in range(workers):
        ready.acquire(timeout=JOIN_TIMEOUT)
    time.sleep(run_for)
    t_set = time.perf_counter()
    cancel.set()
    clean = join_all(procs)
    return Cancel(list(slices), [s - t_set for s in stopped], time.perf_counter() - t_set, clean)


def run(sizes: Sizes) -> Result:
    """Broadcast a start to EVENT_WORKERS processes, then cancel the same number of busy ones."""
    b = broadcast_start(EVENT_WORKERS)
    c = cooperative_cancel(EVENT_WORKERS)
    woke = [x for x in b.latencies if x == x]  # NaN: never woke
    return Result(
        name="event",
        shows="one Event.set() starts every waiting process; another cancels busy ones cooperatively",
        headline=f"all {EVENT_WORKERS} woke within {fmt_time(max(woke, default=0.0))} of set(); "
        f"all stopped within {fmt_time(c.to_all_joined)} of cancel",
        design="cancel by a flag checked between chunks, so a stopped job leaves no half-merged state",
        figures={
            "start: wake-up after set(), fastest / slowest": f"{fmt_time(min(woke, default=0.0))} / "
            f"{fmt_time(max(woke, default=0.0))}",
            "cancel: set() to every worker joined": fmt_time(c.to_all_joined),
            "cancel: slices done per worker before the cancel": ", ".join(map(str, c.slices)),
        },
        facts={
            "start: every worker woke, and only after set()": len(woke) == EVENT_WORKERS and min(woke) >= 0,
            "cancel: every worker saw the flag and exited 0 (none terminated)": c.clean,
            "cancel: every worker stopped after set()": all(s >= 0 for s in c.stop_latencies),
        },
    )
