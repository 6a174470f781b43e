"""What one WarmPool run costs besides its chunks, and how it reports and fails.

The kernels here nap instead of computing, so that results reach the parent one by one; they are added
to shared.kernels.KERNELS before the pool forks, so its processes have them too. Wake-ups are counted,
not timed (as in test_quiet_pool.py): a thread that blocks and is woken again costs one voluntary
context switch, which Linux counts per thread in /proc/self/task/<tid>/status.
"""

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from shared import kernels
from shared.tally import BINS, Tally
from tests.helpers import require
from tests.worker.pool.test_quiet_pool import voluntary_switches
from worker.pool.warm import WarmPool

CHUNKS = 400
NAP = 0.005


def _nap(_params: Mapping[str, Any], lo: int, hi: int) -> Tally:
    time.sleep(NAP)
    return Tally(hi - lo, [0] * BINS)


def _first_fails(params: Mapping[str, Any], lo: int, hi: int) -> Tally:
    if lo == 0:
        raise ValueError("chunk 0 cannot be computed")
    return _nap(params, lo, hi)


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[WarmPool]:
    require(Path("/proc/self/task").is_dir(), "/proc/self/task (Linux)")
    monkeypatch.setitem(kernels.KERNELS, "nap", _nap)  # type: ignore[index]
    monkeypatch.setitem(kernels.KERNELS, "first_fails", _first_fails)  # type: ignore[index]
    warm = WarmPool(2, "fork")  # after the kernels are added: the processes inherit them
    yield warm
    warm.close()


def chunks(n: int = CHUNKS) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(n)]


def test_a_run_wakes_its_own_thread_not_once_per_chunk(pool: WarmPool) -> None:
    me = threading.get_native_id()
    before = voluntary_switches(me)
    run = pool.run("nap", {}, chunks())
    woke = voluntary_switches(me) - before
    assert run.chunks == CHUNKS and run.tally.count == CHUNKS
    # It waits on the run's one result (map_async), waking each HEALTH_CHECK_INTERVAL (3 to 8 times here
    # beside CI's other tests), and for the GIL now and then: an imap would wake it for every chunk's
    # result (461 times for the same run).
    assert woke <= CHUNKS // 10, f"the run's thread woke {woke} times for {CHUNKS} chunks"


def test_pool_processes_send_nothing_per_chunk_but_the_reply(pool: WarmPool) -> None:
    done: list[int] = []
    run = pool.run("nap", {}, chunks(), on_progress=done.append)
    assert run.tally.count == CHUNKS and len(run.pids) == 2
    # A progress message per chunk (a multiprocessing.Queue) would have started a feeder thread in each.
    for pid in run.pids:
        threads = sorted(p.name for p in Path(f"/proc/{pid}/task").iterdir())
        assert len(threads) == 1, f"pool process {pid} runs {len(threads)} threads: {threads}"
    # Progress is the shared count of merged chunks, relayed as it grows during the ~1 s run.
    assert done, "no progress was relayed"
    assert done == sorted(set(done)) and done[0] > 0 and done[-1] <= CHUNKS, done


def test_a_failing_chunk_stops_the_others_and_the_pool_runs_the_next_job(pool: WarmPool) -> None:
    with pytest.raises(ValueError, match="chunk 0 cannot be computed"):
        pool.run("first_fails", {}, chunks())
    # The failing chunk set the cancel Event: the ~CHUNKS others are abandoned, not computed.
    assert pool.tally.merged() < CHUNKS // 4, f"{pool.tally.merged()} chunks merged after chunk 0 failed"
    assert pool.usable
    again = pool.run("nap", {}, chunks(10))
    assert again.tally.count == 10 and not again.canceled
