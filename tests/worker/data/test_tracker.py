"""Pool processes attach to shared memory segments by name: the segment stays its creator's to free.

Unit tests (no Redis), so that they run on the worker image's Python too (tests/e2e/test_worker_python.py):
how multiprocessing tracks segments changed in 3.13 (`track`), and may again.
"""

import random
import subprocess
import sys
from multiprocessing.shared_memory import SharedMemory

import pytest

from shared.kernels.dataset import BLOCK, tally
from tests.worker.data.conftest import segments
from worker.pool.warm import WarmPool

DATA = random.Random(5).randbytes(BLOCK)


def test_a_segment_attached_by_a_pool_process_stays_the_creators_to_free(pool: WarmPool) -> None:
    """Pool processes attach by name (registering it with the resource tracker they share with us):
    the creator's unlink frees it, and no process exit does before it."""
    segment = SharedMemory(create=True, size=BLOCK)
    try:
        segment.buf[:BLOCK] = DATA[:BLOCK]
        staged = {"segment": segment.name, "first_block": 0, "bytes": BLOCK}
        run = pool.run("bytes", {"work": 0, "staged": staged}, [(0, 1)])
        assert run.tally == tally(DATA[:BLOCK], 0)
        assert segment.name.lstrip("/") in segments()
    finally:
        segment.close()
        segment.unlink()
    assert segment.name.lstrip("/") not in segments()


_ATTACH_AND_EXIT = """
import sys
from multiprocessing.shared_memory import SharedMemory
from tests.worker.data.conftest import segments
from worker.pool.warm import WarmPool

pool = WarmPool(2, sys.argv[1])  # before this process ever used shared memory
segment = SharedMemory(create=True, size=4096)
staged = {"segment": segment.name, "first_block": 0, "bytes": 4096}
print(pool.run("bytes", {"work": 0, "staged": staged}, [(0, 1)] * 4).tally.count)
pool.close()  # its processes exit while the segment still exists: they must not unlink it
segment.buf[0] = 1  # still ours
print(segment.name.lstrip("/") in __import__("os").listdir("/dev/shm"))
segment.close()
segment.unlink()
"""


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_pool_processes_share_the_resource_tracker_whatever_the_start_method(method: str) -> None:
    """A pool process that attaches a segment registers it with a resource tracker (3.11 to 3.13): the
    pool's, started before its processes, so their exit unlinks nothing and nothing warns of a leak.
    Fails if the WarmPool stops starting the tracker first, or if multiprocessing changes how it tracks."""
    done = subprocess.run(
        [sys.executable, "-c", _ATTACH_AND_EXIT, method], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["16384", "True"], done.stdout
    assert "resource_tracker" not in done.stderr, done.stderr
