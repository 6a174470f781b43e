"""The ceiling's shares on subinterpreters: `concurrent.futures.InterpreterPoolExecutor` (PEP 734,
CPython 3.14).

Each worker is a thread of this process running its own interpreter, and each interpreter has its own
GIL: pure-Python kernels run on every core at once, as the Pool's processes do, in one process.
- Sized from the quota, explicitly: `InterpreterPoolExecutor(max_workers=budget)`. Its default is a
  ThreadPoolExecutor's, `min(32, os.process_cpu_count() + 4)`, which follows CPU affinity but not the
  cgroup quota that `--cpus` sets: 6 interpreters on a 2-core host, 20 on 16 cores under a 2-CPU quota.
- What crosses: only "shareable" objects pass as they are (None, bool, int, float, str, bytes, tuples of
  them, memoryviews, interpreter queues: here the two warm-up queues); everything else is pickled. So
  each task's share (lists of tuples holding a params dict) is pickled into its interpreter, and its
  result (Tally objects per job, and the thread's CPU seconds) pickled back: once per share, as a Pool's
  reply is. Functions are pickled by reference: each interpreter imports this module and the kernels
  itself, so the share's code path must load in a subinterpreter (worker/shares.py imports no extension
  module without multi-phase init).
- Every interpreter is created, and has imported the share's code, before the clock: the warm-up's tasks
  each wait for all the others (`_arrive`), so `budget` interpreters exist and are idle when it starts.
- Their CPU: each task measures its own thread's (`time.thread_time`, worker/shares.run_timed), as
  the threads runner does; the rest of the process's CPU over the clock is the parent's.
`python -m worker.ceiling ... --executor interpreters` runs it; on a Python without it, a clear error.
"""

import sys
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from worker.shares import Dealt, Ran, run_timed

# What runs it: CPython's `concurrent.futures.InterpreterPoolExecutor`, new in 3.14.
NEEDS = (3, 14)


def unsupported(
    version: Sequence[int] = sys.version_info, implementation: str = sys.implementation.name
) -> str:
    """Why this Python cannot run the interpreters runner, or '' if it can."""
    if implementation == "cpython" and tuple(version[:2]) >= NEEDS:
        return ""
    found = ".".join(map(str, version[:3]))
    return (
        f"--executor interpreters needs CPython {NEEDS[0]}.{NEEDS[1]} or later "
        f"(concurrent.futures.InterpreterPoolExecutor, PEP 734); this is {implementation} {found}. "
        "make compare and make sweep run it in the worker-py314 image "
        "(docker compose --profile py314 build worker-py314)"
    )


def _arrive(arrived: Any, go: Any) -> None:
    """A warm-up task, in its interpreter: say it is up, then hold it until every other one is."""
    arrived.put(None)
    go.get()


def _wait_for_all(arrived: Any, warm: list[Future]) -> None:
    """One arrival per warm-up task; the first warm-up failure's error (an interpreter that could not
    start or import the share's code) instead of waiting for ever."""
    from concurrent.interpreters import QueueEmpty

    for _ in warm:
        while True:
            try:
                arrived.get(timeout=1)
                break
            except QueueEmpty:
                for future in warm:
                    if future.done():
                        future.result()


def run_interpreters(dealt: Dealt, interpreters: int) -> Ran:
    """The shares on a fresh `InterpreterPoolExecutor(interpreters)`, every one up before the clock."""
    reason = unsupported()
    if reason:
        raise RuntimeError(reason)
    from concurrent.futures import InterpreterPoolExecutor
    from concurrent.interpreters import create_queue

    arrived, go = create_queue(), create_queue()
    with InterpreterPoolExecutor(max_workers=interpreters) as executor:
        warm = [executor.submit(_arrive, arrived, go) for _ in range(interpreters)]
        try:
            _wait_for_all(arrived, warm)
        finally:
            for _ in warm:
                go.put(None)
        for future in warm:
            future.result()
        return run_timed(executor, dealt)
