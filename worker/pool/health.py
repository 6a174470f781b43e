"""Whether a multiprocessing Pool lost a process, and how to get rid of a Pool that did without hanging.

A Pool never recovers from a process killed under it (SIGKILL, the OOM killer): the task that process
was running never returns, and if it died while waiting for work it still holds the task queue's
reader lock, so every later task and `Pool.terminate()` itself wait forever. The only safe answer is
to notice the death, kill the whole pool and start a new one; `WarmPool` does that with these helpers.

They use the Pool's private attributes (`_pool`, `_worker_handler`, `_inqueue`): the stdlib offers no
public view of a Pool's processes.
"""

import logging
import threading
from multiprocessing import pool as mp_pool
from typing import Any

log = logging.getLogger(__name__)

# Seconds `dispose` waits for each step of the teardown before giving up on it.
DISPOSE_WAIT = 2.0


class PoolBroken(RuntimeError):
    """A pool process died during a run: the run's answer is incomplete; the pool was replaced."""


class PoolWatch:
    """The processes a Pool started with; any of them gone means the Pool is broken for good."""

    def __init__(self, pool: mp_pool.Pool) -> None:
        self._processes = list(pool._pool)  # type: ignore[attr-defined]

    def lost(self) -> list[int]:
        """Pids of the pool's original processes that have died (the Pool silently replaces them)."""
        return [p.pid for p in self._processes if p.exitcode is not None]


def dispose(pool: mp_pool.Pool) -> None:
    """Stop a Pool, broken or not, in bounded time: kill its processes, then let its threads finish."""
    # 1. Stop the worker handler first, or it would fork replacements for the processes we kill.
    handler: Any = pool._worker_handler  # type: ignore[attr-defined]
    handler._state = mp_pool.TERMINATE
    pool._change_notifier.put(None)  # type: ignore[attr-defined]
    handler.join(DISPOSE_WAIT)
    # 2. Kill every process: a SIGTERM handler or a task half done must not delay us.
    processes = list(pool._pool)  # type: ignore[attr-defined]
    for process in processes:
        process.kill()
    for process in processes:
        process.join(DISPOSE_WAIT)
    # 3. A process killed while waiting for work still holds the task queue's reader lock, which
    # terminate() takes. Every user of that lock is dead now, so freeing it races with no one.
    reader_lock = pool._inqueue._rlock  # type: ignore[attr-defined]
    reader_lock.acquire(False)
    reader_lock.release()
    # 4. terminate() now only has the pool's threads to stop. It could still block if a process died
    # while writing a result (holding the result queue's lock, which the parent shares): never wait
    # on it for long. A thread left behind is idle and costs nothing but its stack.
    closer = threading.Thread(target=pool.terminate, name="pool-dispose", daemon=True)
    closer.start()
    closer.join(DISPOSE_WAIT)
    if closer.is_alive():
        log.warning("pool threads did not stop within %gs; left behind", DISPOSE_WAIT)
