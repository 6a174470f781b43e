"""Value and Array: `+=` without a lock loses updates; a lock per item is exact but slow; accumulating
locally and merging once under the lock is exact and fast.

`v.value += 1` is a read then a write. A synchronized `Value` takes its lock for each of the two
separately, never around both, so two processes can read the same old value and one increment
vanishes. How many vanish depends on scheduling: it can be zero on a quiet run, which proves nothing.
"""

import time
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import CONTENDERS, Sizes
from worker.lab.procs import Gate, context, join_all, span, start_all
from worker.lab.result import Result, fmt_ratio, fmt_time

BINS = 10  # the merged histogram's width, as in shared.tally


def _stamp(spans: Any, slot: int, start: float, end: float) -> None:
    """Record one child's loop start and end, for `procs.span`."""
    spans[2 * slot], spans[2 * slot + 1] = start, end


def _unlocked(counter: Any, n: int, spans: Any, slot: int, gate: Gate) -> None:
    """n increments with no lock around the read-modify-write."""
    gate.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        counter.value += 1
    _stamp(spans, slot, t0, time.perf_counter())


def _locked(counter: Any, n: int, spans: Any, slot: int, gate: Gate) -> None:
    """n increments, each under the Value's own lock."""
    gate.wait()
    t0 = time.perf_counter()
    lock = counter.get_lock()
    for _ in range(n):
        with lock:
            counter.value += 1
    _stamp(spans, slot, t0, time.perf_counter())


def _merged(counter: Any, histogram: Any, n: int, spans: Any, slot: int, gate: Gate) -> None:
    """n increments into locals, then one locked merge of the count and its histogram."""
    gate.wait()
    t0 = time.perf_counter()
    count = 0
    local = [0] * BINS
    for i in range(n):
        count += 1
        local[i % BINS] += 1
    # One lock for both: a reader never sees a count that disagrees with the histogram.
    with counter.get_lock():
        counter.value += count
        for b, k in enumerate(local):
            histogram[b] += k
    _stamp(spans, slot, t0, time.perf_counter())


@dataclass
class Outcome:
    """One variant: the final count, the expected count, and seconds per increment."""

    count: int
    expected: int
    per_increment: float
    clean: bool
    histogram_total: int | None = None

    @property
    def lost(self) -> int:
        return self.expected - self.count


def contend(variant: str, n: int, contenders: int = CONTENDERS) -> Outcome:
    """Run `contenders` processes of `n` increments each through one variant: raw, synced, locked, merged."""
    ctx = context()
    spans = ctx.Array("d", 2 * contenders, lock=False)
    histogram = ctx.Array("q", BINS, lock=False)
    # raw: no lock exists at all; synced: the default Value, whose lock `+=` does not hold throughout.
    counter = ctx.Value("q", 0, lock=(variant != "raw"))
    if variant in ("raw", "synced"):
        target, extra = _unlocked, ()
    elif variant == "locked":
        target, extra = _locked, ()
    elif variant == "merged":
        target, extra = _merged, (histogram,)
    else:
        raise ValueError(f"unknown variant {variant!r}")
    gate = Gate(ctx)
    procs = start_all(
        ctx.Process(target=target, args=(counter, *extra, n, spans, i, gate)) for i in range(contenders)
    )
    gate.open(contenders)
    clean = join_all(procs)
    total = n * contenders
    return Outcome(
        count=counter.value,
        expected=total,
        per_increment=span(spans, contenders) / total,
        clean=clean,
        histogram_total=sum(histogram) if variant == "merged" else None,
    )


def run(sizes: Sizes) -> Result:
    """Run the four variants at the same size and compare counts and costs."""
    n = sizes.increments
    raw, synced, locked, merged = (contend(v, n) for v in ("raw", "synced", "locked", "merged"))
    total = raw.expected
    notes = []
    if raw.lost == 0 or synced.lost == 0:
        notes.append(
            "no lost update on this run for at least one unlocked variant: the race is timing-dependent, "
            "a zero proves nothing"
        )
    return Result(
        name="value",
        shows="Value/Array updates are lost without the lock; lock per item is exact but slow; "
        "local accumulation + one merge is exact and fast",
        headline=f"unlocked += lost {raw.lost:,} (RawValue) and {synced.lost:,} (Value) of {total:,}; "
        f"lock per item {fmt_time(locked.per_increment)}, "
        f"merge once {fmt_time(merged.per_increment)} per increment",
        design="accumulate per chunk in the pool process, merge once per chunk under the Lock",
        figures={
            "updates lost, RawValue `+=`": f"{raw.lost:,} of {total:,} ({raw.lost / total:.1%})",
            "updates lost, synchronized Value `+=` (no get_lock)": f"{synced.lost:,} of {total:,} "
            f"({synced.lost / total:.1%})",
            "per increment, get_lock() each time": fmt_time(locked.per_increment),
            "per increment, local sum + one locked merge": fmt_time(merged.per_increment),
            "lock per item / merge once": fmt_ratio(locked.per_increment / merged.per_increment),
        },
        facts={
            "unlocked counts never exceed the true count": raw.count <= total and synced.count <= total,
            "with the lock per increment: count exact": locked.count == total,
            "local + one merge: count exact": merged.count == total,
            "local + one merge: Array histogram sums to the count": merged.histogram_total == total,
            "every child exited 0": all(o.clean for o in (raw, synced, locked, merged)),
        },
        notes=notes,
    )
