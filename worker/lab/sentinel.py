"""Producer/consumer over a Queue that shuts down with a sentinel, never by polling `empty()`.

Why not `while not q.empty(): q.get()`: `empty()` is a snapshot of the pipe, not of the work.
- `put()` hands the item to a feeder thread and returns; until that thread has written it,
  `empty()` says True although an item is on its way (the lab counts how often, right after put()).
- With several consumers, another one can take the last item between `empty()` and `get()`,
  and the `get()` then blocks forever.
- An empty queue says nothing about whether producers are finished: a slow producer's next item
  may still come.
A sentinel is an item: it is delivered in order after everything its sender put before it, so a
consumer that reads it knows no more work is coming from that sender.
"""

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import JOIN_TIMEOUT, Sizes
from worker.lab.procs import context, join_all, start_all
from worker.lab.result import Result, fmt_rate

SENTINEL = None  # no producer ever sends None as work, so it can mean "stop"


def _produce(work: Any, producer: int, n: int) -> None:
    """Put n items tagged with this producer's id."""
    for seq in range(n):
        work.put((producer, seq))


def _consume(work: Any, results: Any, consumer: int) -> None:
    """Take items until the sentinel, then report everything taken (blocking get: no polling)."""
    taken = [item for item in iter(work.get, SENTINEL)]
    results.put((consumer, taken))


@dataclass
class Pipeline:
    """What each consumer received, how long the run took, and whether every process exited 0."""

    received: dict[int, list[tuple[int, int]]]
    seconds: float
    clean: bool


def pipeline(producers: int, consumers: int, items: int) -> Pipeline:
    """Run `producers` × `items` through `consumers`, then stop the consumers with one sentinel each."""
    ctx = context()
    work, results = ctx.Queue(), ctx.Queue()
    t0 = time.perf_counter()
    consumer_procs = start_all(
        ctx.Process(target=_consume, args=(work, results, c)) for c in range(consumers)
    )
    producer_procs = start_all(ctx.Process(target=_produce, args=(work, p, items)) for p in range(producers))
    clean = join_all(producer_procs)
    # Only after every producer has exited (and so flushed its feeder thread) is "no more work" true.
    # One sentinel per consumer: each consumer stops at the first one it reads.
    for _ in range(consumers):
        work.put(SENTINEL)
    # Read the results before joining: a child that put data does not exit until a reader drains it.
    received = dict(results.get(timeout=JOIN_TIMEOUT) for _ in range(consumers))
    seconds = time.perf_counter() - t0
    clean = join_all(consumer_procs) and clean
    for q in (work, results):
        q.close()
        q.join_thread()
    return Pipeline(received, seconds, clean)


def empty_right_after_put(probes: int, queue: Any = None) -> int:
    """How many of `probes` single put()s leave `empty()` saying True immediately afterwards.

    On a Queue of its own by default; `queue` probes another (a SimpleQueue writes in put(): never).
    """
    q = context().Queue() if queue is None else queue
    wrong = 0
    for i in range(probes):
        q.put(i)
        wrong += q.empty()
        q.get()  # the item is on its way: get() returns once the feeder thread has written it
    if queue is None:
        q.close()
        q.join_thread()
    return wrong


def run(sizes: Sizes) -> Result:
    """Two producers, two consumers; every item must arrive exactly once."""
    producers, consumers, items = 2, 2, sizes.sentinel_items
    result = pipeline(producers, consumers, items)
    got = Counter(item for taken in result.received.values() for item in taken)
    expected = Counter((p, s) for p in range(producers) for s in range(items))
    wrong = empty_right_after_put(sizes.empty_probes)
    total = producers * items
    per_consumer = ", ".join(f"{len(result.received[c]):,}" for c in sorted(result.received))
    notes = []
    if wrong == 0:
        notes.append("empty() was right every time on this run: the race is timing-dependent, not absent")
    return Result(
        name="sentinel",
        shows="a sentinel per consumer stops a producer/consumer pipeline; empty() is not a stop signal",
        headline=f"{total:,} items exactly once at {fmt_rate(total / result.seconds, 'item')}; "
        f"empty() wrongly True after put() {wrong}/{sizes.empty_probes}",
        design="stop consumers with sentinels (or by joining the pool), never by polling empty()",
        figures={
            "items through the pipeline": f"{total:,} ({producers} producers → {consumers} consumers)",
            "throughput, start to last consumer report": fmt_rate(total / result.seconds, "item"),
            "items per consumer": per_consumer,
            "empty() == True right after put()": f"{wrong} of {sizes.empty_probes} probes",
        },
        facts={
            "every item received exactly once": got == expected,
            "every consumer stopped on its sentinel and exited 0": result.clean
            and sorted(result.received) == list(range(consumers)),
        },
        notes=notes,
    )
