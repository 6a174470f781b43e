"""The warm Pool: created once per worker, before any job, and reused for every job.

Where a job gets split: `WarmPool.run` hands one pool task per chunk; each pool process computes
its chunk locally and merges it into the SharedTally it inherited from the pool initializer, taking
the Lock once per chunk. That merge also counts the chunk, and the count is the job's progress: the
parent reads it from the shared memory, so a finished chunk sends no message of its own. The same
initializer hands every process an `Event` that the parent sets to stop the work early (cancel).

Per chunk, the parent wakes only once: the Pool's result-handler thread reads the chunk's reply. The
run waits on `map_async`'s one result for the whole job, not on `imap`'s per-chunk results, which would
wake its own thread for every chunk as well; on a 1-CPU container every wake-up is taken from the
core the pool computes on (`make sweep`'s local line at its shortest tasks).

A pool process that dies (killed, out of memory) breaks the Pool for good (worker.pool.health): a run
notices it while waiting for results, kills the pool and raises `PoolBroken`; the owner
(worker.runtime) then starts a fresh WarmPool, with fresh shared objects, for the next job.
"""

import logging
import multiprocessing
import multiprocessing.pool
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing import resource_tracker
from typing import Any

from shared.kernels import run_kernel
from shared.settings import get_settings
from shared.tally import Tally
from worker.pool.aggregation import SharedTally
from worker.pool.health import PoolBroken, PoolWatch, dispose

log = logging.getLogger(__name__)

# Units computed between two looks at the cancel Event. A multiple of the pi kernel's block, so that
# the pieces never start mid-block (which would cost a skip-ahead).
CANCEL_CHECK_UNITS = 1 << 16
# Seconds without a result after which a run checks that none of the pool's processes died.
HEALTH_CHECK_INTERVAL = 0.5
# Seconds `close` waits for the relay thread to end.
STOP_WAIT = 2.0


@dataclass
class _Shared:
    """What every pool process inherits through the initializer."""

    tally: SharedTally
    cancel: Any  # multiprocessing.Event


_shared: _Shared | None = None


def _adopt(shared: _Shared) -> None:
    """Pool initializer: keep the inherited shared objects; leave Ctrl-C to the parent."""
    global _shared
    _shared = shared
    # A terminal's Ctrl-C reaches the whole process group; a pool process killed by it mid-task
    # would leave its chunk unanswered. The parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunk(task: tuple[int, str, Mapping[str, Any], int, int]) -> tuple[int, float, bool]:
    """Pool task: compute one chunk, merge (and count) it under the lock; reply (pid, CPU seconds, merged)."""
    generation, kernel, params, lo, hi = task
    assert _shared is not None, "pool process started without the initializer"
    cpu_start = time.process_time()
    part = Tally()
    piece_lo = lo
    try:
        while piece_lo < hi:
            if _shared.cancel.is_set():
                return os.getpid(), time.process_time() - cpu_start, False
            piece_hi = min(hi, (piece_lo // CANCEL_CHECK_UNITS + 1) * CANCEL_CHECK_UNITS)
            part.merge(run_kernel(kernel, params, piece_lo, piece_hi))
            piece_lo = piece_hi
    except BaseException:
        # The job has failed: its other chunks stop at their next look, and the run's one result
        # (which waits for every chunk) raises this error soon after.
        _shared.cancel.set()
        raise
    merged = _shared.tally.merge(part, generation)
    return os.getpid(), time.process_time() - cpu_start, merged


class QuietPool(multiprocessing.pool.Pool):
    """The stdlib Pool, minus a wake-up per result in the parent.

    Since Python 3.8 (bpo-35493) a Pool's worker-handler thread also waits on the result pipe, so every
    task's result wakes it, and it loops (checking every process's exit code) until the result-handler
    thread has read that result: about 0.4 ms of the parent's CPU per task on our machines, taken from
    the cores the pool computes on (`make bench`, figure 5). It needs to wake only when a process exits
    (it still waits on every process's sentinel) or the pool changes state: ThreadPool does the same.
    """

    def _get_sentinels(self) -> list[Any]:
        return [self._change_notifier._reader]  # type: ignore[attr-defined]


@dataclass
class PoolRun:
    """What one job's run on the pool produced."""

    tally: Tally
    chunks: int
    pids: list[int]
    cpu_seconds: float
    canceled: bool = False
    pickled_bytes: int = 0  # the tasks as pickled to the pool processes (their params included)


class WarmPool:
    """A multiprocessing Pool plus its processes' shared aggregate (whose chunk count is the progress)
    and cancel Event."""

    def __init__(self, processes: int, start_method: str) -> None:
        ctx = multiprocessing.get_context(start_method)
        # Pool processes attach to shared memory by name (worker/data/staging.py): with the tracker
        # running first, it is theirs too (any start method), so no process's exit unlinks a segment.
        resource_tracker.ensure_running()
        self.processes = processes
        self.start_method = start_method
        self._shared = _Shared(SharedTally(ctx), ctx.Event())
        self._generation = 0
        self._pool = QuietPool(processes, initializer=_adopt, initargs=(self._shared,), context=ctx)
        self._watch = PoolWatch(self._pool)
        self._closed = False
        # Started after the pool: its processes must not be forked from a process running threads.
        self._relay = _Relay(self._shared)
        self._relay.start()

    @property
    def usable(self) -> bool:
        """False once the pool was closed or lost a process: it must then be replaced."""
        return not self._closed and not self._watch.lost()

    @property
    def tally(self) -> SharedTally:
        return self._shared.tally

    def cancel(self) -> None:
        """Stop the current run early: pool processes abandon their chunks at the next check."""
        self._shared.cancel.set()

    def run(
        self,
        kernel: str,
        params: Mapping[str, Any],
        chunks: list[tuple[int, int]],
        on_progress: Callable[[int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> PoolRun:
        """Run every chunk on the pool and return the aggregate. One run at a time.

        While it runs, the pool's relay thread passes progress to `on_progress(chunks_done)` and,
        every PROGRESS_RELAY_SECONDS (a setting), asks `should_cancel()` whether to stop the pool work early.
        """
        if not self.usable:
            # Checked first: the dead process may hold the locks that clear() and reset() take.
            raise PoolBroken("the pool lost a process before this run; it must be replaced")
        self._generation += 1
        generation = self._generation
        self._shared.cancel.clear()
        self.tally.reset(generation)
        tasks = [(generation, kernel, dict(params), lo, hi) for lo, hi in chunks]
        pickled = sum(len(pickle.dumps(task)) for task in tasks)
        pids: set[int] = set()
        cpu_seconds = 0.0
        self._relay.follow(generation, on_progress, should_cancel)
        try:
            results = self._pool.map_async(_run_chunk, tasks, chunksize=1)
            while not results.ready():
                results.wait(HEALTH_CHECK_INTERVAL)
                if not results.ready():
                    self._check_health()
            for pid, cpu, _merged in results.get():
                pids.add(pid)
                cpu_seconds += cpu
        except BaseException:
            if self.usable:
                # A timeout or an error in the middle: let the remaining tasks end quickly.
                self.cancel()
            else:
                # Not the Event: a dead process may hold its lock. Killing the pool stops every task.
                self.close()
            raise
        finally:
            self._relay.follow(None)
        tally, merged = self.tally.snapshot()
        canceled = self._shared.cancel.is_set()
        if merged != len(chunks) and not canceled:
            raise RuntimeError(f"{merged} chunks merged, expected {len(chunks)}")
        return PoolRun(tally, len(chunks), sorted(pids), cpu_seconds, canceled, pickled)

    def _check_health(self) -> None:
        """Raise PoolBroken (after killing the pool) if a pool process died: its chunk will never return."""
        lost = self._watch.lost()
        if lost:
            self.close()
            raise PoolBroken(
                f"pool process(es) {lost} died mid-run; the pool was killed, to be replaced"
            ) from None

    def close(self) -> None:
        """Stop the pool processes, in bounded time even if the pool is broken (no Pool.terminate() hang)."""
        if not self._closed:
            self._closed = True
            self._relay.stop()
            dispose(self._pool)


class _Relay(threading.Thread):
    """For the pool's life: passes the current run's progress to `on_progress`, and turns its
    `should_cancel` into the Event, once per PROGRESS_RELAY_SECONDS (one Redis write at most per pass,
    however many chunks ended).

    One thread per pool, not per run: starting and joining a thread for every run cost more than a
    small run's work. It reads the chunks merged so far without the tally's Lock (SharedTally.merged),
    so a pool process killed while holding it cannot stop the relay.
    """

    def __init__(self, shared: _Shared) -> None:
        super().__init__(name="pool-relay", daemon=True)
        self._shared = shared
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._on_progress: Callable[[int], None] | None = None
        self._should_cancel: Callable[[], bool] | None = None
        self._done = 0
        self._stopping = threading.Event()
        # Set while a run is followed: between runs the thread sleeps on it instead of waking 10 times
        # a second (that poll was the largest CPU cost of an idle worker).
        self._following = threading.Event()

    def follow(
        self,
        generation: int | None,
        on_progress: Callable[[int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> None:
        """Report for this run from now on (None: for no run)."""
        with self._lock:
            self._generation, self._on_progress, self._should_cancel = generation, on_progress, should_cancel
            self._done = 0
        if generation is None:
            self._following.clear()
        else:
            self._following.set()

    def run(self) -> None:
        interval = get_settings().progress_relay_seconds
        while self._following.wait() and not self._stopping.wait(interval):
            try:
                self._pass()
            except Exception:  # noqa: BLE001 - a failed progress write or cancel check must not end it
                log.exception("pool relay pass failed")

    def _pass(self) -> None:
        with self._lock:
            generation, on_progress, should_cancel = self._generation, self._on_progress, self._should_cancel
            if generation is None:
                return
            # The run resets the tally to its generation before it is followed, and is no longer
            # followed when the next one resets it: while this lock is held the count is this run's.
            done = self._shared.tally.merged()
            moved, self._done = done != self._done, done
        if moved and on_progress:
            on_progress(done)
        if should_cancel and should_cancel():
            self._shared.cancel.set()

    def stop(self) -> None:
        """End the thread (bounded wait)."""
        self._stopping.set()
        self._following.set()
        self.join(STOP_WAIT)
