"""Manager proxies (list, dict, Value) against shared memory: same answers, very different cost.

A Manager keeps the real object in a server process; every proxy call is a pickled request and reply
over a socket, plus two context switches. `Value`/`Array` live in memory both processes map, so an
update is a memory write (and a lock, when one is needed).
"""

import time
from dataclasses import dataclass
from typing import Any

from worker.lab.defaults import CONTENDERS, Sizes
from worker.lab.procs import Gate, context, join_all, span, start_all
from worker.lab.result import Result, fmt_ratio, fmt_time

BINS = 10  # keys of the dict / slots of the Array that the items are counted into


def _manager_value(value: Any, lock: Any, n: int, slot: int, spans: Any, gate: Gate) -> None:
    """n increments of a Manager Value under a Manager Lock: four round trips each."""
    gate.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        with lock:
            value.value += 1
    spans[2 * slot], spans[2 * slot + 1] = t0, time.perf_counter()


def _manager_dict(counts: Any, lock: Any, n: int, slot: int, spans: Any, gate: Gate) -> None:
    """n counts into a Manager dict; `d[k] += 1` is a get and a set, so it needs the lock too."""
    gate.wait()
    t0 = time.perf_counter()
    for i in range(n):
        with lock:
            counts[i % BINS] += 1
    spans[2 * slot], spans[2 * slot + 1] = t0, time.perf_counter()


def _manager_list(items: Any, n: int, slot: int, spans: Any, gate: Gate) -> None:
    """n appends to a Manager list: one round trip each, atomic in the server, no lock needed."""
    gate.wait()
    t0 = time.perf_counter()
    for i in range(n):
        items.append(slot * n + i)
    spans[2 * slot], spans[2 * slot + 1] = t0, time.perf_counter()


def _shared_value(value: Any, n: int, slot: int, spans: Any, gate: Gate) -> None:
    """n increments of a shared-memory Value under its own lock."""
    gate.wait()
    t0 = time.perf_counter()
    lock = value.get_lock()
    for _ in range(n):
        with lock:
            value.value += 1
    spans[2 * slot], spans[2 * slot + 1] = t0, time.perf_counter()


def _shared_array(counts: Any, n: int, slot: int, spans: Any, gate: Gate) -> None:
    """n counts into a shared-memory Array under its own lock (the dict's counterpart)."""
    gate.wait()
    t0 = time.perf_counter()
    lock = counts.get_lock()
    for i in range(n):
        with lock:
            counts[i % BINS] += 1
    spans[2 * slot], spans[2 * slot + 1] = t0, time.perf_counter()


@dataclass
class Comparison:
    """Final contents and seconds per operation of each variant."""

    manager_value: int
    manager_dict: dict[int, int]
    manager_list: list[int]
    shared_value: int
    shared_array: dict[int, int]
    per_op: dict[str, float]
    clean: bool


def compare(n: int, contenders: int = CONTENDERS) -> Comparison:
    """Run `contenders` processes of `n` operations through each Manager proxy and shared object."""
    ctx = context()
    per_op: dict[str, float] = {}
    clean = True

    def timed(label: str, target: Any, *args: Any) -> None:
        nonlocal clean
        spans = ctx.Array("d", 2 * contenders, lock=False)
        gate = Gate(ctx)
        procs = start_all(
            ctx.Process(target=target, args=(*args, n, i, spans, gate)) for i in range(contenders)
        )
        gate.open(contenders)
        clean = join_all(procs) and clean
        per_op[label] = span(spans, contenders) / (n * contenders)

    with ctx.Manager() as manager:
        m_value, m_lock = manager.Value("q", 0), manager.Lock()
        m_dict, m_list = manager.dict(dict.fromkeys(range(BINS), 0)), manager.list()
        timed("Manager Value + Manager Lock", _manager_value, m_value, m_lock)
        timed("Manager dict[k] += 1 + Manager Lock", _manager_dict, m_dict, m_lock)
        timed("Manager list.append", _manager_list, m_list)
        # Copy out before the manager (and every proxy's referent) shuts down.
        got_value, got_dict, got_list = m_value.value, dict(m_dict), list(m_list)

    s_value, s_array = ctx.Value("q", 0), ctx.Array("q", BINS)
    timed("shared Value + get_lock()", _shared_value, s_value)
    timed("shared Array[k] += 1 + get_lock()", _shared_array, s_array)
    return Comparison(
        manager_value=got_value,
        manager_dict=got_dict,
        manager_list=got_list,
        shared_value=s_value.value,
        shared_array=dict(enumerate(s_array[:])),
        per_op=per_op,
        clean=clean,
    )


def run(sizes: Sizes) -> Result:
    """Compare at the same size and check that both sides end with the same contents."""
    n = sizes.manager_ops
    c = compare(n)
    total = n * CONTENDERS
    ratio = c.per_op["Manager Value + Manager Lock"] / c.per_op["shared Value + get_lock()"]
    dict_ratio = (
        c.per_op["Manager dict[k] += 1 + Manager Lock"] / c.per_op["shared Array[k] += 1 + get_lock()"]
    )
    figures = {label: f"{fmt_time(seconds)} per op" for label, seconds in c.per_op.items()}
    figures["Manager Value / shared Value"] = fmt_ratio(ratio)
    figures["Manager dict / shared Array"] = fmt_ratio(dict_ratio)
    return Result(
        name="manager",
        shows="Manager proxies give the same results as shared memory at a far higher cost per operation",
        headline=f"Manager Value {fmt_time(c.per_op['Manager Value + Manager Lock'])} vs shared Value "
        f"{fmt_time(c.per_op['shared Value + get_lock()'])} per op: {fmt_ratio(ratio)}",
        design="avoid Manager on the hot path: Value/Array + Lock, or return partial results",
        figures=figures,
        facts={
            "Manager Value == shared Value == expected": c.manager_value == c.shared_value == total,
            "Manager dict == shared Array, bin by bin": c.manager_dict == c.shared_array,
            "Manager list holds every item exactly once": sorted(c.manager_list) == list(range(total)),
            "every child exited 0": c.clean,
        },
    )
