"""A job's plan: exact sizes from the settings (the cost model's coefficients among them), the same on
any machine, and counts the worker's mechanical split reproduces."""

from collections.abc import Iterator

import pytest

from shared.chunking import split
from shared.cost import estimate_seconds
from shared.jobs import parse_job
from shared.plan import BatchTooLarge, JobPlan, plan_batch, plan_job
from shared.settings import Settings, get_settings

MILLION = {"start": 0, "stop": 1_000_000}


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The defaults, whatever this shell's environment sets."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _plan(**request: object) -> JobPlan:
    return plan_job(parse_job(request))


def test_the_defaults_these_sizes_follow_from() -> None:
    # primes [0, 10^6) is ~0.58 s by the model: 72 pool tasks of 8 ms (POOL_TASK_OVERHEAD_SECONDS /
    # CHUNK_OVERHEAD_SHARE) or 19 queue chunks of 30 ms would be affordable; POOL_TASKS and
    # DISTRIBUTED_CHUNKS cap them at 8 and 16.
    settings = get_settings()
    assert (settings.pool_tasks, settings.distributed_chunks) == (8, 16)
    assert settings.pool_task_overhead_seconds / settings.chunk_overhead_share == pytest.approx(0.008)
    assert settings.queue_chunk_overhead_seconds / settings.chunk_overhead_share == pytest.approx(0.03)
    assert estimate_seconds("primes", 0, 1_000_000) == pytest.approx(0.5792, abs=1e-4)
    assert estimate_seconds("pi", 0, 100_000) == pytest.approx(0.016)


@pytest.mark.parametrize(
    ("request_body", "entry_size", "task_size", "chunk_size", "chunks_total"),
    [
        # local: one queue entry, pool tasks sized by the API whatever the pool
        ({"kernel": "primes", "params": MILLION}, 1_000_000, 125_000, 125_000, 8),
        ({"kernel": "pi", "params": {"samples": 300_000}}, 300_000, 50_000, 50_000, 6),  # 48 ms: 6 tasks
        ({"kernel": "pi", "params": {"samples": 100_000}}, 100_000, 50_000, 50_000, 2),  # 16 ms: 2 tasks
        ({"kernel": "pi", "params": {"samples": 30_000}}, 30_000, 30_000, 30_000, 1),  # 4.8 ms: 1 task
        # distributed: queue chunks, one process each
        (
            {"kernel": "primes", "params": {"start": 0, "stop": 1_000}, "mode": "distributed"},
            1_000,
            None,
            1_000,
            1,
        ),
        ({"kernel": "primes", "params": MILLION, "mode": "distributed"}, 62_500, None, 62_500, 16),
        (
            {"kernel": "primes", "params": {"start": 0, "stop": 2_000_000}, "mode": "distributed"},
            125_000,
            None,
            125_000,
            16,
        ),
        # hybrid: queue chunks, each cut into pool tasks from an average chunk's work (36 ms: 4 tasks)
        ({"kernel": "primes", "params": MILLION, "mode": "hybrid"}, 62_500, 15_625, 62_500, 16),
    ],
)
def test_automatic_sizes_are_exact(
    request_body: dict, entry_size: int, task_size: int | None, chunk_size: int, chunks_total: int
) -> None:
    plan = _plan(**request_body)
    assert (plan.entry_size, plan.task_size, plan.auto) == (entry_size, task_size, True)
    assert (plan.chunk_size, plan.chunks_total) == (chunk_size, chunks_total)


def test_sizes_follow_the_cost_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # 100,000 pi samples at 1 µs each: 0.1 s, 12 tasks affordable, POOL_TASKS (8) of them.
    monkeypatch.setenv("COST_PI_SAMPLE_SECONDS", "1e-6")
    get_settings.cache_clear()
    assert _plan(kernel="pi", params={"samples": 100_000}).task_size == 12_500


def test_a_size_the_job_fixes_is_kept() -> None:
    local = _plan(kernel="primes", params=MILLION, chunk_size=1_000)
    assert (local.task_size, local.chunks_total, local.auto) == (1_000, 1_000, False)
    distributed = _plan(kernel="primes", params=MILLION, mode="distributed", chunk_size=300_000)
    assert (distributed.entries, distributed.task_size) == (split(range(1_000_000), 300_000), None)
    # hybrid: the queue chunks are the job's; their pool tasks still come from the estimate (4 x 12 ms).
    hybrid = _plan(kernel="pi", params={"samples": 400_000}, mode="hybrid", chunk_size=200_000)
    assert (hybrid.entry_size, hybrid.task_size, hybrid.chunks_total) == (200_000, 50_000, 2)


@pytest.mark.parametrize("mode", ["local", "distributed", "hybrid"])
def test_the_worker_split_gives_the_planned_count(mode: str) -> None:
    plan = _plan(kernel="primes", params={"start": 7, "stop": 1_234_567}, mode=mode)
    assert plan.entry_count == len(plan.entries)
    covered = [n for lo, hi in plan.entries for n in (lo, hi)]
    assert covered[0] == 7 and covered[-1] == 1_234_567
    if mode == "local":
        ((lo, hi),) = plan.entries
        assert len(split(range(lo, hi), plan.task_size)) == plan.chunks_total
    else:
        assert len(plan.entries) == plan.chunks_total


def test_a_batch_is_planned_job_by_job_within_its_entry_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # One MULTI/EXEC carries the batch: at most max(MAX_CHUNKS, MAX_BATCH) queue entries, here 30.
    monkeypatch.setenv("MAX_CHUNKS", "30")
    monkeypatch.setenv("MAX_BATCH", "5")
    get_settings.cache_clear()
    local = parse_job({"kernel": "primes", "params": {"start": 0, "stop": 100}})  # 1 entry
    chunked = parse_job(
        {"kernel": "primes", "params": {"start": 0, "stop": 100}, "mode": "distributed", "chunk_size": 7}
    )  # ceil(100 / 7) = 15 entries
    plans = plan_batch([local, chunked, local])
    assert [(p.mode, p.entry_count) for p in plans] == [("local", 1), ("distributed", 15), ("local", 1)]
    assert [p.entry_count for p in plan_batch([chunked, chunked])] == [15, 15]  # 30: at the limit
    with pytest.raises(BatchTooLarge) as refused:
        plan_batch([chunked, chunked, local])
    assert (refused.value.entries, refused.value.limit) == (31, 30)
    assert str(refused.value) == "the batch would make 31 queue entries (chunks), more than 30"
