"""The ceiling's shares on threads of a free-threaded CPython ("3.14t", `--disable-gil`, PEP 703/779).

With no GIL, pure-Python kernels run on every core at once in one process, as the Pool's processes do
in several. Each thread runs its share and merges its partial answer into one tally for all of them,
under one `threading.Lock` (`LockedTally`): the free-threaded analogue of the local mode's
`Value`/`Array` + `Lock` (worker/pool/aggregation.py), where plain objects are shared and only the lock
is needed. Sized from the quota, as every runner is.

A free-threaded build turns the GIL back on, silently but for a warning, when it imports an extension
module that does not declare free-threading support (or with PYTHON_GIL=1). So the runner checks that
the GIL is off before the clock and again after it, and fails with the reason otherwise: a run with the
GIL on would measure GIL-bound threads (`--executor threads`) under this row's name.
`python -m worker.ceiling ... --executor free-threaded` runs it (the worker-py314t image).
"""

import sys
import sysconfig
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from shared.tally import Tally
from worker.shares import Dealt, Ran, Task, merge_into, run_share


def gil_enabled() -> bool:
    """Whether this process runs with the GIL now (always, on a Python that cannot run without it)."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def gil_reason(free_threaded_build: bool, enabled: bool, version: str = sys.version) -> str:
    """Why the free-threaded runner cannot run here, or '' if the GIL is off."""
    if not free_threaded_build:
        return (
            "--executor free-threaded needs a free-threaded CPython (built --disable-gil, 3.13t or later); "
            f"this one has a GIL: {version}. make compare and make sweep run it in the worker-py314t image"
        )
    if enabled:
        return (
            "the GIL is on in this free-threaded CPython: PYTHON_GIL=1 or -X gil=1, or an extension module "
            "imported without free-threading support turned it back on (`python -W default` names it)"
        )
    return ""


def gil_off_or_why() -> str:
    """'' if this process runs free-threaded now, else why not."""
    return gil_reason(bool(sysconfig.get_config_var("Py_GIL_DISABLED")), gil_enabled())


class LockedTally:
    """Every job's answer, one for all threads, merged into under one `threading.Lock`."""

    def __init__(self, jobs: int) -> None:
        self.lock = threading.Lock()
        self.answers = [Tally() for _ in range(jobs)]

    def merge(self, partial: dict[int, Tally]) -> None:
        """One share's partial answers added to every job's, atomically."""
        with self.lock:
            merge_into(self.answers, partial)


def _share_into(tally: LockedTally, share: list[Task]) -> float:
    """A share run and merged into the tally; the CPU seconds its thread spent (`time.thread_time`)."""
    start = time.thread_time()
    tally.merge(run_share(share))
    return time.thread_time() - start


def _check_gil(when: str) -> None:
    reason = gil_off_or_why()
    if reason:
        raise RuntimeError(f"{when}: {reason}")


def run_free_threaded(dealt: Dealt, threads: int) -> Ran:
    """The shares on a fresh `ThreadPoolExecutor(threads)` with no GIL, every thread started before the
    clock, merging into one `LockedTally`; RuntimeError if the GIL is on before or after the clock."""
    _check_gil("before the run")
    tally = LockedTally(dealt.jobs)
    started = threading.Barrier(threads)
    with ThreadPoolExecutor(max_workers=threads, initializer=started.wait) as executor:
        list(executor.map(int, range(threads)))
        start, process_start = time.perf_counter(), time.process_time()
        workers_cpu = sum(f.result() for f in [executor.submit(_share_into, tally, s) for s in dealt.shares])
        wall, process_cpu = time.perf_counter() - start, time.process_time() - process_start
    _check_gil("after the run")
    return Ran(tally.answers, wall, workers_cpu, max(0.0, process_cpu - workers_cpu))
