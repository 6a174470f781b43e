"""QuietPool's worker-handler thread sleeps through results; the private Pool members we lean on still exist.

QuietPool overrides `Pool._get_sentinels`, and worker.pool.health reaches into a Pool's private members:
if CPython renamed any of them, QuietPool would quietly become a plain Pool (or `dispose` would break
only when a pool process dies). These tests fail loudly instead.

Wake-ups are counted, not timed: a thread that blocks and is woken again costs one voluntary context
switch, which Linux counts per thread in /proc/self/task/<tid>/status.
"""

import ast
import multiprocessing
import multiprocessing.pool
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import worker.pool.health
from tests.helpers import require
from worker.pool.warm import QuietPool

PROCESSES = 2
RESULTS = 1000
# Each task sleeps this long, so that results reach the parent one by one. With instant tasks they
# arrive in bursts, and the stdlib handler spins through a burst (its wait returns at once while a
# result is unread) without blocking: its voluntary switches then undercount its wake-ups.
TASK_SECONDS = 0.002
# QuietPool's handler wakes for no result; allow some wake-ups for anything else (the pool closing, the
# tasks' submission), at most one per 20 results, against the stdlib's one per result. 20 was too
# tight: 22 in the worker image under a 1-CPU limit while CI's other tests ran.
QUIET_MAX_WAKEUPS = RESULTS // 20


@pytest.fixture(autouse=True)
def proc_tasks() -> None:
    """The wake-ups are read from Linux's /proc: where it is missing, skip (fail in CI) as require() does."""
    require(Path("/proc/self/task").is_dir(), "/proc/self/task (Linux)")


def voluntary_switches(tid: int) -> int:
    for line in Path(f"/proc/self/task/{tid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError(f"no voluntary_ctxt_switches in /proc/self/task/{tid}/status")


def handler_wakeups(pool_class: type[multiprocessing.pool.Pool]) -> int:
    """How often the pool's worker-handler thread woke while RESULTS results came back."""
    with pool_class(PROCESSES, context=multiprocessing.get_context("forkserver")) as pool:
        assert pool.map(abs, range(-20, 0), chunksize=1) == list(range(20, 0, -1))  # processes up
        handler: threading.Thread = pool._worker_handler  # type: ignore[attr-defined]
        assert handler.is_alive() and handler.native_id is not None
        before = voluntary_switches(handler.native_id)
        pool.map(time.sleep, [TASK_SECONDS] * RESULTS, chunksize=1)
        after = voluntary_switches(handler.native_id)
    return after - before


def test_quiet_pool_handler_does_not_wake_per_result_where_the_stdlib_pools_does() -> None:
    stdlib = handler_wakeups(multiprocessing.pool.Pool)
    quiet = handler_wakeups(QuietPool)
    # The stdlib handler also waits on the result pipe: about one wake-up per result. Seeing them
    # proves the count sees the effect; without them the QuietPool figure below would prove nothing.
    assert stdlib >= RESULTS // 2, f"stdlib Pool handler woke {stdlib} times for {RESULTS} results"
    assert quiet <= QUIET_MAX_WAKEUPS, (
        f"QuietPool handler woke {quiet} times for {RESULTS} results (stdlib Pool: {stdlib}): "
        "it waits on the result pipe again"
    )


def test_the_method_quiet_pool_overrides_still_exists_in_the_stdlib() -> None:
    # Renamed in CPython, the override would be dead code and QuietPool a plain Pool.
    assert "_get_sentinels" in vars(QuietPool)
    assert callable(getattr(multiprocessing.pool.Pool, "_get_sentinels", None)), (
        "multiprocessing.pool.Pool._get_sentinels is gone: QuietPool's override no longer takes effect"
    )


@pytest.fixture(scope="module")
def quiet_pool() -> Iterator[QuietPool]:
    pool = QuietPool(1, context=multiprocessing.get_context("forkserver"))
    yield pool
    pool.terminate()
    pool.join()


def check_pool(pool: QuietPool) -> None:
    """What health.dispose and PoolWatch rely on: the list of processes."""
    assert isinstance(pool._pool, list) and len(pool._pool) == 1
    assert all(isinstance(p, multiprocessing.process.BaseProcess) for p in pool._pool)


def check_worker_handler(pool: QuietPool) -> None:
    """dispose stops the handler thread by setting its _state to TERMINATE."""
    assert isinstance(pool._worker_handler, threading.Thread)
    assert pool._worker_handler._state == multiprocessing.pool.RUN
    assert multiprocessing.pool.TERMINATE != multiprocessing.pool.RUN


def check_change_notifier(pool: QuietPool) -> None:
    """QuietPool waits on its reader; dispose wakes the handler through it."""
    assert callable(pool._change_notifier.put)
    assert not pool._change_notifier._reader.closed


def check_inqueue(pool: QuietPool) -> None:
    """dispose frees the task queue's reader lock that a killed process held."""
    assert callable(pool._inqueue._rlock.acquire) and callable(pool._inqueue._rlock.release)


# Every private Pool member worker.pool.health and QuietPool use, with what they rely on it being.
PRIVATE_MEMBERS = {
    "_pool": check_pool,
    "_worker_handler": check_worker_handler,
    "_change_notifier": check_change_notifier,
    "_inqueue": check_inqueue,
}


@pytest.mark.parametrize("member", sorted(PRIVATE_MEMBERS))
def test_private_pool_members_we_use_still_exist(quiet_pool: QuietPool, member: str) -> None:
    PRIVATE_MEMBERS[member](quiet_pool)


def test_every_private_pool_member_health_uses_is_checked_here() -> None:
    # A new private member used in health.py must join PRIVATE_MEMBERS, or it goes unchecked.
    tree = ast.parse(Path(worker.pool.health.__file__).read_text())
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "pool"
        and node.attr.startswith("_")
    }
    assert used, "found no pool._member in health.py: this check reads it wrongly"
    assert used <= set(PRIVATE_MEMBERS), f"unchecked private Pool members: {used - set(PRIVATE_MEMBERS)}"
