"""Chunks cover a job's range exactly once, in order; the automatic size bounds the overhead share."""

import pytest

from shared.chunking import ChunkPlan, auto_chunk_count, plan_chunks, split


@pytest.mark.parametrize(
    ("start", "stop", "size"), [(0, 10, 3), (5, 6, 1), (0, 100, 100), (7, 1000, 999), (3, 3, 5)]
)
def test_split_covers_the_range_exactly(start: int, stop: int, size: int) -> None:
    chunks = split(range(start, stop), size)
    covered = [n for lo, hi in chunks for n in range(lo, hi)]
    assert covered == list(range(start, stop))
    assert all(0 < hi - lo <= size for lo, hi in chunks)


def test_split_rejects_a_zero_chunk_size() -> None:
    with pytest.raises(ValueError):
        split(range(10), 0)


@pytest.mark.parametrize(
    ("seconds", "ways", "per_way", "floor", "expected"),
    [
        (10.0, 2, 4, 0.02, 8),  # plenty of work: balance decides, ways x per_way
        (0.1, 2, 4, 0.02, 4),  # 5 chunks affordable: rounded down to a multiple of 2 ways
        (0.03, 2, 4, 0.02, 1),  # not enough for 2 chunks of 20 ms: one chunk
        (0.001, 1, 16, 0.03, 1),  # a tiny job is one chunk
        (1.0, 1, 16, 0.03, 16),  # queue chunks: capped by distributed_chunks
        (0.25, 1, 16, 0.03, 8),
        (0.5, 3, 4, 0.0, 12),  # no overhead: balance only
    ],
)
def test_auto_chunk_count(seconds: float, ways: int, per_way: int, floor: float, expected: int) -> None:
    assert auto_chunk_count(seconds, ways, per_way, floor) == expected


@pytest.mark.parametrize("seconds", [0.0005, 0.01, 0.05, 0.2, 1.0, 30.0])
def test_auto_chunks_keep_the_overhead_within_its_share(seconds: float) -> None:
    overhead, share, units = 0.0015, 0.05, 1_000_000
    plan = plan_chunks(units, None, lambda: seconds, 1, 16, overhead, share)
    chunks = len(split(range(units), plan.size))
    assert plan.auto
    # Either the overhead is within its share, or the job is a single chunk (nothing to split).
    assert chunks * overhead <= share * seconds or chunks == 1


def test_a_fixed_chunk_size_is_kept_and_nothing_is_estimated() -> None:
    def never() -> float:
        raise AssertionError("a fixed chunk size needs no estimate")

    assert plan_chunks(1000, 7, never, 2, 4, 0.001, 0.05) == ChunkPlan(7, auto=False)
