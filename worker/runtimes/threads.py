"""The ceiling's shares on a `ThreadPoolExecutor`: the counter-example.

The kernels are pure Python, so only the thread holding the GIL runs: however many threads and CPUs,
about one core's worth of work gets done (half the ceiling on 2 cores). The threads' own CPU time is
measured in each (`time.thread_time`), so the figures show it: workers' CPU ~ the wall time.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from worker.shares import Dealt, Ran, run_timed


def run_threads(dealt: Dealt, threads: int) -> Ran:
    """The shares on a fresh `ThreadPoolExecutor(threads)`, every thread started before the clock."""
    # Each thread waits at its start for all the others: the warm-up below ends with every one running.
    started = threading.Barrier(threads)
    with ThreadPoolExecutor(max_workers=threads, initializer=started.wait) as executor:
        list(executor.map(int, range(threads)))
        return run_timed(executor, dealt)
