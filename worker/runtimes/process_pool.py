"""The ceiling's shares on a fork `concurrent.futures.ProcessPoolExecutor`: the stdlib's other pool."""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from worker.shares import Dealt, Ran, children_cpu, merge_into, run_share


def run_process_pool(dealt: Dealt, processes: int) -> Ran:
    """The shares on a fresh fork `ProcessPoolExecutor(processes)`, every process started before the clock."""
    answers = dealt.blank()
    context = multiprocessing.get_context("fork")
    # Each process waits at its start for all the others (a forked child inherits the barrier, nothing is
    # pickled): the warm-up below ends with every one running, whenever the executor starts them.
    started = context.Barrier(processes)
    before = children_cpu()
    with ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=started.wait) as executor:
        list(executor.map(int, range(processes)))
        start, parent_start = time.perf_counter(), time.process_time()
        for future in as_completed([executor.submit(run_share, share) for share in dealt.shares]):
            merge_into(answers, future.result())
        wall, parent = time.perf_counter() - start, time.process_time() - parent_start
    # The executor's processes, joined when it shut down (their start-up's few ms included).
    return Ran(answers, wall, children_cpu() - before, parent)
