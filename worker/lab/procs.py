"""Starting and joining the lab's children: one context, bounded joins, spans measured inside children."""

import multiprocessing
import time
from collections.abc import Iterable, Sequence
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from worker.lab.defaults import JOIN_TIMEOUT, START_METHOD


def context(method: str = START_METHOD) -> BaseContext:
    """A context for an explicit start method: never rely on the platform's (or Python's) default."""
    return multiprocessing.get_context(method)


def start_all(procs: Iterable[BaseProcess]) -> list[BaseProcess]:
    """Start every process; return them as a list."""
    started = list(procs)
    for proc in started:
        proc.start()
    return started


def join_all(procs: Sequence[BaseProcess], timeout: float = JOIN_TIMEOUT) -> bool:
    """Join every process within `timeout` in total; terminate stragglers. True if all exited 0."""
    deadline = time.monotonic() + timeout
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    clean = True
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
            proc.join()
            clean = False
        elif proc.exitcode != 0:
            clean = False
    return clean


class Gate:
    """A start line: children block until the parent has seen all of them arrive, then start together.

    Without it, children forked a millisecond apart may each finish a short loop before the next
    one starts, and a race between them (lost updates) never gets the chance to happen. An Event
    alone is not enough: waking its waiters takes up to ~2 ms, longer than a 50k-increment loop, so
    the parent also sets a start time a few ms ahead and every child spins until that moment.
    """

    LEAD = 0.005  # seconds between open() and the common start: longer than an Event wake-up

    def __init__(self, ctx: BaseContext) -> None:
        self._ready = ctx.Semaphore(0)
        self._go = ctx.Event()
        self._start_at = ctx.Value("d", 0.0, lock=False)  # written once, before the Event is set

    def wait(self) -> None:
        """In a child: report ready, block until the gate opens, then spin to the common start time."""
        self._ready.release()
        self._go.wait(JOIN_TIMEOUT)
        start_at = self._start_at.value
        while time.perf_counter() < start_at:
            pass

    def open(self, n: int) -> None:
        """In the parent: wait for n children to be ready (bounded), then release them together."""
        for _ in range(n):
            self._ready.acquire(timeout=JOIN_TIMEOUT)
        self._start_at.value = time.perf_counter() + self.LEAD
        self._go.set()


def span(spans: Any, n: int) -> float:
    """Wall time of a concurrent section from per-child [start0, end0, start1, end1, ...] stamps.

    Children stamp `time.perf_counter()` (CLOCK_MONOTONIC on Linux, one clock for every process)
    around their loop, so process start-up is kept out of per-item figures.
    """
    starts = [spans[2 * i] for i in range(n)]
    ends = [spans[2 * i + 1] for i in range(n)]
    return max(ends) - min(starts)
