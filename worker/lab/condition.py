"""Condition: a producer and a consumer hand items over a one-slot buffer, each sleeping until the
other changes the state it waits for (no polling, no lost wake-up: the check and the wait happen
under the same lock).
"""

import time
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import JOIN_TIMEOUT, Sizes
from worker.lab.procs import context, join_all, start_all
from worker.lab.result import Result, fmt_time


def _producer(cond: Any, slot: Any, full: Any, n: int) -> None:
    """Put 0..n-1 into the slot, one at a time, waiting until the consumer has emptied it."""
    for i in range(n):
        with cond:
            # wait_for re-checks the predicate after every wake-up: spurious or stale wake-ups are harmless.
            if not cond.wait_for(lambda: not full.value, JOIN_TIMEOUT):
                return
            slot.value, full.value = i, 1
            cond.notify_all()


def _consumer(cond: Any, slot: Any, full: Any, received: Any, n: int) -> None:
    """Take n items out of the slot, in the order they were put."""
    for i in range(n):
        with cond:
            if not cond.wait_for(lambda: full.value, JOIN_TIMEOUT):
                return
            received[i], full.value = slot.value, 0
            cond.notify_all()


@dataclass
class Handoff:
    """What the consumer received, the seconds per handoff, and whether both exited 0."""

    received: list[int]
    per_handoff: float
    clean: bool


def handoff(n: int) -> Handoff:
    """Hand n items from a producer process to a consumer process through one Condition."""
    ctx = context()
    cond = ctx.Condition()
    # Raw memory: every access happens while holding `cond`'s lock.
    slot, full = ctx.Value("q", 0, lock=False), ctx.Value("b", 0, lock=False)
    received = ctx.Array("q", [-1] * n, lock=False)
    t0 = time.perf_counter()
    procs = start_all(
        [
            ctx.Process(target=_consumer, args=(cond, slot, full, received, n)),
            ctx.Process(target=_producer, args=(cond, slot, full, n)),
        ]
    )
    clean = join_all(procs)
    return Handoff(list(received), (time.perf_counter() - t0) / n, clean)


def run(sizes: Sizes) -> Result:
    """Hand over `sizes.handoffs` items and check they all arrived in order."""
    n = sizes.handoffs
    h = handoff(n)
    return Result(
        name="condition",
        shows="Condition.wait_for/notify wakes the other side exactly when the state it needs changes",
        headline=f"{n:,} handoffs in order, {fmt_time(h.per_handoff)} each (two wake-ups)",
        design="a blocked process sleeps on a Condition or a Queue, it never spins on shared state",
        figures={"per handoff (producer wakes consumer, consumer wakes producer)": fmt_time(h.per_handoff)},
        facts={
            "consumer received 0..n-1, each once, in order": h.received == list(range(n)),
            "producer and consumer exited 0": h.clean,
        },
    )
