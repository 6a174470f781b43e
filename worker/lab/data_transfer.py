"""The same bytes to pool processes three ways: pickled with each task, inherited as a shared `Array`,
or attached by name as `shared_memory`. Each child checksums its slice; the parent times the whole trip.

Pickled, every byte crosses a pipe: the parent pickles and writes it, a child reads and unpickles it.
A `RawArray` is shared memory inherited when the pool starts (it cannot be sent to a running pool), so
the tasks carry only offsets. A `shared_memory` segment can be created at any time and sent by name:
what the worker does with a `bytes` job's slice for its warm pool (worker/data/staging.py).
"""

import pickle
import time
import zlib
from collections.abc import Sequence
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from typing import Any

from worker.lab.defaults import DATA_PROCESSES, Sizes
from worker.lab.procs import context
from worker.lab.result import Result, fmt_rate, fmt_ratio, fmt_time

_inherited: Any = None  # the RawArray a pool process got through its initializer


def _adopt(array: Any) -> None:
    global _inherited
    _inherited = array


def _crc_of_bytes(data: bytes) -> int:
    return zlib.crc32(data)


def _crc_of_inherited(span: tuple[int, int]) -> int:
    lo, hi = span
    with memoryview(_inherited).cast("B") as view:
        return zlib.crc32(view[lo:hi])


def _crc_of_segment(task: tuple[str, int, int]) -> int:
    name, lo, hi = task
    segment = SharedMemory(name=name)
    try:
        with segment.buf[lo:hi] as view:
            return zlib.crc32(view)
    finally:
        segment.close()


def spans(size: int, parts: int) -> list[tuple[int, int]]:
    step = -(-size // parts)
    return [(lo, min(lo + step, size)) for lo in range(0, size, step)]


def pickled(tasks: Sequence[Any]) -> int:
    """Bytes the tasks take pickled: what crosses the pipes to the pool processes."""
    return sum(len(pickle.dumps(task)) for task in tasks)


def by_pickle(pool: Any, data: bytes, parts: int) -> tuple[list[int], float, int]:
    """(checksums, seconds, bytes pickled): each task carries its slice to the running pool."""
    t0 = time.perf_counter()
    tasks = [data[lo:hi] for lo, hi in spans(len(data), parts)]
    sums = pool.map(_crc_of_bytes, tasks, chunksize=1)
    return sums, time.perf_counter() - t0, pickled(tasks)


def by_array(data: bytes, parts: int) -> tuple[list[int], float, int]:
    """A RawArray filled once and inherited by a new pool's processes (a running pool cannot be sent
    one): its time includes that pool's start. Each task carries offsets."""
    tasks = spans(len(data), parts)
    t0 = time.perf_counter()
    ctx = context()
    array = ctx.RawArray("B", len(data))
    memoryview(array).cast("B")[:] = data
    with ctx.Pool(DATA_PROCESSES, initializer=_adopt, initargs=(array,)) as pool:
        sums = pool.map(_crc_of_inherited, tasks, chunksize=1)
    return sums, time.perf_counter() - t0, pickled(tasks)


def by_shared_memory(pool: Any, data: bytes, parts: int) -> tuple[list[int], float, int]:
    """A segment filled once, attached by name in each task of the running pool."""
    t0 = time.perf_counter()
    segment = SharedMemory(create=True, size=len(data))
    try:
        segment.buf[: len(data)] = data
        tasks = [(segment.name, lo, hi) for lo, hi in spans(len(data), parts)]
        sums = pool.map(_crc_of_segment, tasks, chunksize=1)
        seconds = time.perf_counter() - t0
    finally:
        segment.close()
        segment.unlink()
    return sums, seconds, pickled(tasks)


def pool_start() -> float:
    """Seconds to start a Pool(DATA_PROCESSES) and have each process answer once."""
    t0 = time.perf_counter()
    with context().Pool(DATA_PROCESSES) as pool:
        pool.map(_crc_of_bytes, [b""] * DATA_PROCESSES, chunksize=1)
    return time.perf_counter() - t0


def run(sizes: Sizes) -> Result:
    """The three ways on the same bytes, each timed from the bytes in the parent to every answer back
    (a running pool for pickling and shared_memory; the Array needs a new one)."""
    data = bytes(range(256)) * (sizes.data_bytes // 256)
    parts = sizes.data_tasks
    expected = [zlib.crc32(data[lo:hi]) for lo, hi in spans(len(data), parts)]
    # Children attaching a segment register it with a resource tracker: started before the pool, the
    # parent's is theirs too; else each forked child starts its own, which unlinks the segment when
    # that child exits (and warns of a leak).
    resource_tracker.ensure_running()
    with context().Pool(DATA_PROCESSES) as pool:
        pool.map(_crc_of_bytes, [b""] * DATA_PROCESSES, chunksize=1)  # started before either is timed
        ways = {
            "pickled with each task": by_pickle(pool, data, parts),
            "inherited Array (RawArray), new pool": by_array(data, parts),
            "shared_memory, by name": by_shared_memory(pool, data, parts),
        }
    start = pool_start()
    seconds = {way: s for way, (_, s, _) in ways.items()}
    moved = {way: b for way, (_, _, b) in ways.items()}
    pickle_s, shm_s = seconds["pickled with each task"], seconds["shared_memory, by name"]
    figures = {}
    for way in ways:
        rate = fmt_rate(len(data) / seconds[way], "B")
        figures[f"{way}: {parts} tasks to Pool({DATA_PROCESSES}), answers back"] = (
            f"{fmt_time(seconds[way])} ({rate}), {moved[way]:,} bytes pickled"
        )
    figures[f"of which a Pool({DATA_PROCESSES})'s start (the Array's cost alone)"] = fmt_time(start)
    figures["pickled / shared_memory"] = fmt_ratio(pickle_s / shm_s)
    return Result(
        name="data",
        shows="the same bytes to pool processes: pickled with each task, inherited as an Array, or attached "
        "by name as shared_memory",
        headline=f"{len(data) >> 20} MiB to Pool({DATA_PROCESSES}): pickled {fmt_time(pickle_s)}, "
        f"Array {fmt_time(seconds['inherited Array (RawArray), new pool'])} (with a pool start), "
        f"shared_memory {fmt_time(shm_s)}",
        design="a bytes job's slice is read once into shared_memory; its warm pool's tasks carry its name",
        figures=figures,
        facts={f"{way}: every slice's checksum exact": sums == expected for way, (sums, _, _) in ways.items()}
        | {
            "pickling sends every byte; Array and shared_memory send under 1 % of them": (
                moved["pickled with each task"] >= len(data)
                and max(moved["inherited Array (RawArray), new pool"], moved["shared_memory, by name"])
                < len(data) / 100
            )
        },
    )
