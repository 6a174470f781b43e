"""In-node aggregation is exact with several processes contending on the shared Value/Array."""

import multiprocessing

import pytest

from shared.chunking import split
from shared.kernels.primes import count_primes
from shared.tally import BINS, Tally
from worker.pool.aggregation import SharedTally
from worker.pool.warm import WarmPool

MERGES_PER_PROCESS = 2_000


def _hammer(tally: SharedTally, worker_index: int) -> None:
    # Every merge touches the count and two histogram bins, so lost updates would show.
    for i in range(MERGES_PER_PROCESS):
        part = Tally(1, [0] * BINS)
        part.histogram[(worker_index + i) % BINS] += 1
        part.histogram[(worker_index * 7 + i * 3) % BINS] += 2
        tally.merge(part)


@pytest.mark.parametrize("start_method", ["fork", "forkserver", "spawn"])
def test_concurrent_merges_from_four_processes_lose_nothing(start_method: str) -> None:
    ctx = multiprocessing.get_context(start_method)
    tally = SharedTally(ctx)
    processes = [ctx.Process(target=_hammer, args=(tally, w)) for w in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    expected = Tally()
    for w in range(4):
        for i in range(MERGES_PER_PROCESS):
            expected.histogram[(w + i) % BINS] += 1
            expected.histogram[(w * 7 + i * 3) % BINS] += 2
    expected.count = 4 * MERGES_PER_PROCESS
    total, merged = tally.snapshot()
    assert total == expected
    assert merged == 4 * MERGES_PER_PROCESS


def test_reset_zeroes_the_aggregate() -> None:
    tally = SharedTally(multiprocessing.get_context("fork"))
    tally.merge(Tally(3, [1, 2, 0, 0, 0, 0, 0, 0, 0, 0]))
    tally.reset()
    assert tally.snapshot() == (Tally(), 0)


@pytest.fixture(scope="module", params=["fork", "forkserver"])
def warm_pool(request: pytest.FixtureRequest):
    pool = WarmPool(3, request.param)
    yield pool
    pool.close()


def test_warm_pool_many_small_chunks_aggregate_exactly(warm_pool: WarmPool) -> None:
    units = range(0, 300_000)
    run = warm_pool.run("primes", {"start": 0, "stop": 300_000}, split(units, 1_000))
    assert run.chunks == 300
    assert run.tally == count_primes(0, 300_000)
    assert 1 <= len(run.pids) <= 3
    assert run.cpu_seconds > 0


def test_warm_pool_is_reused_across_jobs_without_leaking_state(warm_pool: WarmPool) -> None:
    first = warm_pool.run("primes", {"start": 0, "stop": 50_000}, split(range(50_000), 5_000))
    second = warm_pool.run("primes", {"start": 0, "stop": 50_000}, split(range(50_000), 7_000))
    pi = warm_pool.run("pi", {"samples": 100_000, "seed": 5}, split(range(100_000), 9_999))
    assert first.tally == second.tally == count_primes(0, 50_000)
    assert pi.tally.count == sum(pi.tally.histogram) > 0
