"""The ceiling's shares on a `ThreadPoolExecutor`: the counter-example.

The kernels are pure Python, so only the thread holding the GIL runs: however many threads and CPUs,
about one core's worth of work gets done (half the ceiling on 2 cores). The threads' own CPU time is
measured in each (`time.thread_time`), so the figures show it: workers' CPU ~ the wall time.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from worker.shares import Dealt, Ran, merge_into, timed_share


def run_threads(dealt: Dealt, threads: int) -> Ran:
    """The shares on a fresh `ThreadPoolExecutor(threads)`, every thread started before the clock."""
    answers = dealt.blank()
    # Each thread waits at its start for all the others: the warm-up below ends with every one running.
    started = threading.Barrier(threads)
    with ThreadPoolExecutor(max_workers=threads, initializer=started.wait) as executor:
        list(executor.map(int, range(threads)))
        start, process_start = time.perf_counter(), time.process_time()
        threads_cpu = 0.0
        for future in as_completed([executor.submit(timed_share, share) for share in dealt.shares]):
            partial, cpu = future.result()
            threads_cpu += cpu
            merge_into(answers, partial)
        wall, process_cpu = time.perf_counter() - start, time.process_time() - process_start
    # The process's CPU besides the threads' tasks: the main thread dealing out and merging.
    return Ran(answers, wall, threads_cpu, max(0.0, process_cpu - threads_cpu))
