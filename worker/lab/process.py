"""The Process lifecycle: start, join, is_alive, exitcode, terminate, and what each exit looks like.

exitcode is None while the child runs, 0 on a normal return, the argument of sys.exit(n), 1 after an
uncaught exception, and -N when signal N killed it (terminate() sends SIGTERM).
"""

import os
import signal
import sys
import time

from worker.lab.defaults import Sizes
from worker.lab.procs import context
from worker.lab.result import Result, fmt_time


def _return() -> None:
    """Child that returns normally."""


def _exit_three() -> None:
    """Child that calls sys.exit(3)."""
    sys.exit(3)


def _raise() -> None:
    """Child that dies of an uncaught exception."""
    # The child prints the traceback to stderr; the lab expects it, so keep it out of the report.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    raise RuntimeError("expected by the lab")


def _sleep() -> None:
    """Child that would outlive the experiment unless terminated."""
    time.sleep(60)


def lifecycle() -> tuple[dict[str, bool], dict[str, float]]:
    """Drive children through every state; return (facts, timings in seconds)."""
    ctx = context()
    facts: dict[str, bool] = {}
    timings: dict[str, float] = {}

    proc = ctx.Process(target=_return)
    facts["before start(): not alive, exitcode None"] = not proc.is_alive() and proc.exitcode is None
    t0 = time.perf_counter()
    proc.start()
    timings["start()"] = time.perf_counter() - t0
    facts["after start(): has a pid"] = proc.pid is not None
    proc.join(10)
    timings["start() to join() of an empty child"] = time.perf_counter() - t0
    facts["normal return: exitcode 0"] = proc.exitcode == 0 and not proc.is_alive()

    proc = ctx.Process(target=_exit_three)
    proc.start()
    proc.join(10)
    facts["sys.exit(3): exitcode 3"] = proc.exitcode == 3

    proc = ctx.Process(target=_raise)
    proc.start()
    proc.join(10)
    facts["uncaught exception: exitcode 1"] = proc.exitcode == 1

    proc = ctx.Process(target=_sleep)
    proc.start()
    proc.join(0.05)
    # join(timeout) returns silently: only is_alive() tells a timeout from an exit.
    facts["join(timeout) on a running child: still alive, exitcode None"] = (
        proc.is_alive() and proc.exitcode is None
    )
    t0 = time.perf_counter()
    proc.terminate()
    proc.join(10)
    timings["terminate() to join()"] = time.perf_counter() - t0
    facts["terminate(): exitcode -SIGTERM"] = proc.exitcode == -signal.SIGTERM
    return facts, timings


def run(sizes: Sizes) -> Result:
    """Run the lifecycle once and report its facts and timings."""
    facts, timings = lifecycle()
    return Result(
        name="process",
        shows="start/join/is_alive/exitcode/terminate, and how each kind of exit is reported",
        headline=f"fork start→join {fmt_time(timings['start() to join() of an empty child'])}; "
        f"terminate→join {fmt_time(timings['terminate() to join()'])}",
        design="check exitcode after join(timeout): a silent timeout or a signal is not success",
        figures={label: fmt_time(seconds) for label, seconds in timings.items()},
        facts=facts,
    )
