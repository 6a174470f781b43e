"""Subinterpreters (PEP 734, CPython 3.14) beside threads and processes, in the same run: what starting
one costs, and what handing it bytes costs.

- Start-up: a thread started and joined; an interpreter created, made to run `pass`, and closed; an
  `InterpreterPoolExecutor(2)` created, given a tiny task per interpreter and shut down; against a fork
  and a forkserver Process and a fork `Pool(2)` cycle (start_methods), timed here too.
- Bytes: the same data to the 2 interpreters of a warm `InterpreterPoolExecutor`, in tasks, each task's
  slice checksummed where it runs. As `bytes`, a slice is shareable by copy: it is copied into the other
  interpreter. As a `memoryview`, it is shareable as a buffer: the other interpreter reads the parent's
  bytes in place, and nothing is copied or pickled: the subinterpreters' `Array`/`shared_memory`. Beside
  them, timed here too, the data experiment's three ways to a fork `Pool(2)`: pickled with each task,
  an inherited `RawArray` (with a new pool's start), and `shared_memory` attached by name.
On a Python without `concurrent.interpreters` it says what runs it and measures nothing.
"""

import statistics
import threading
import time
import zlib
from collections.abc import Callable
from multiprocessing import resource_tracker
from typing import Any

from worker.lab import data_transfer, start_methods
from worker.lab.data_transfer import spans
from worker.lab.defaults import DATA_PROCESSES, Sizes
from worker.lab.procs import context
from worker.lab.result import Result, fmt_rate, fmt_ratio, fmt_time
from worker.runtimes.interpreters import unsupported


def _noop() -> None:
    """A thread's whole job: nothing, so only start-up and exit are timed."""


def _crc_where(data: Any) -> tuple[int, int]:
    """In an interpreter of the executor: the slice's checksum, and which interpreter computed it."""
    from concurrent import interpreters

    return zlib.crc32(data), interpreters.get_current().id


def median_of(repeats: int, once: Callable[[], None]) -> float:
    """The median of `repeats` timings of `once()`."""
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        once()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def thread_start() -> None:
    thread = threading.Thread(target=_noop)
    thread.start()
    thread.join()


def interpreter_start() -> None:
    from concurrent import interpreters

    interp = interpreters.create()
    try:
        interp.exec("pass")
    finally:
        interp.close()


def executor_cycle() -> None:
    from concurrent.futures import InterpreterPoolExecutor

    with InterpreterPoolExecutor(max_workers=DATA_PROCESSES) as executor:
        if list(executor.map(abs, [-2, -3])) != [2, 3]:
            raise RuntimeError("an InterpreterPoolExecutor task gave a wrong answer")


def by_interpreters(executor: Any, data: bytes, tasks: int, view: bool) -> tuple[list[int], float, set[int]]:
    """Each slice to the executor as bytes (copied) or as a memoryview (shared in place): the checksums in
    order, the seconds, and the interpreters that computed them."""
    t0 = time.perf_counter()
    with memoryview(data) as whole:
        slices = [whole[lo:hi] if view else data[lo:hi] for lo, hi in spans(len(data), tasks)]
        done = [future.result() for future in [executor.submit(_crc_where, s) for s in slices]]
        for s in slices:
            if isinstance(s, memoryview):
                s.release()
    return [crc for crc, _ in done], time.perf_counter() - t0, {where for _, where in done}


def run(sizes: Sizes) -> Result:
    """Measure start-up and data hand-over on subinterpreters, beside threads and processes."""
    reason = unsupported()
    if reason:
        return Result(
            name="interpreters",
            shows="subinterpreters' start-up and data sharing beside threads and processes",
            headline="not run: " + reason.split(";")[0],
            design="see `make lab-container WORKER_IMAGE=cpu-contrast-worker-py314`",
            notes=[reason],
        )
    from concurrent import interpreters
    from concurrent.futures import InterpreterPoolExecutor

    repeats = sizes.start_repeats
    starts = {
        "thread": median_of(repeats, thread_start),
        "interpreter (create, run, close)": median_of(repeats, interpreter_start),
        f"InterpreterPoolExecutor({DATA_PROCESSES}) create+use+shutdown": median_of(
            sizes.pool_cycles, executor_cycle
        ),
        "fork Process": statistics.median(start_methods.start_join("fork")[0] for _ in range(repeats)),
        "forkserver Process": statistics.median(
            start_methods.start_join("forkserver")[0] for _ in range(repeats)
        ),
        f"fork Pool({DATA_PROCESSES}) create+use+join": statistics.median(
            start_methods.pool_cycle("fork")[0] for _ in range(sizes.pool_cycles)
        ),
    }
    data = bytes(range(256)) * (sizes.data_bytes // 256)
    expected = [zlib.crc32(data[lo:hi]) for lo, hi in spans(len(data), sizes.data_tasks)]
    with InterpreterPoolExecutor(max_workers=DATA_PROCESSES) as executor:
        by_interpreters(executor, data[:4096], DATA_PROCESSES, view=True)  # every interpreter up first
        copied = by_interpreters(executor, data, sizes.data_tasks, view=False)
        shared = by_interpreters(executor, data, sizes.data_tasks, view=True)
    resource_tracker.ensure_running()  # the pool's processes share it (see data_transfer.run)
    with context().Pool(DATA_PROCESSES) as pool:
        pool.map(abs, [0] * DATA_PROCESSES, chunksize=1)  # started before either is timed
        processes = {
            "pickled with each task": data_transfer.by_pickle(pool, data, sizes.data_tasks),
            "shared_memory, by name": data_transfer.by_shared_memory(pool, data, sizes.data_tasks),
        }
    processes["inherited RawArray, new pool"] = data_transfer.by_array(data, sizes.data_tasks)
    here = interpreters.get_current().id
    figures = {f"start-up: {name}": fmt_time(seconds) for name, seconds in starts.items()}
    for way, (_, seconds, _where) in (("bytes (copied in)", copied), ("memoryview (shared)", shared)):
        figures[f"{len(data) >> 20} MiB to {DATA_PROCESSES} interpreters as {way}"] = (
            f"{fmt_time(seconds)} ({fmt_rate(len(data) / seconds, 'B')})"
        )
    for way, (_, seconds, _sent) in processes.items():
        figures[f"{len(data) >> 20} MiB to fork Pool({DATA_PROCESSES}), {way}"] = (
            f"{fmt_time(seconds)} ({fmt_rate(len(data) / seconds, 'B')})"
        )
    interpreter = starts["interpreter (create, run, close)"]
    return Result(
        name="interpreters",
        shows="subinterpreters' start-up and data sharing beside threads and processes",
        headline=(
            f"interpreter {fmt_time(interpreter)} vs thread {fmt_time(starts['thread'])}, "
            f"fork {fmt_time(starts['fork Process'])}; bytes as memoryview "
            f"{fmt_ratio(copied[1] / shared[1])} faster than copied"
        ),
        design="keep interpreters warm as the pool's processes are, and hand them buffers, not copies",
        figures=figures,
        facts={
            "every slice's checksum exact, copied and shared": copied[0] == expected == shared[0],
            "and through each way to the pool processes": all(
                sums == expected for sums, _, _ in processes.values()
            ),
            "every slice ran in another interpreter than this one": here not in copied[2] | shared[2],
            "a memoryview is shareable as it is (no pickling)": interpreters.is_shareable(memoryview(data)),
        },
        notes=[
            "each start-up figure is a median of this run's own repeats; the bytes figures include the "
            "checksum, the same work both ways"
        ],
    )
