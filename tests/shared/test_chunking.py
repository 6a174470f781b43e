"""Chunks cover a range exactly once, in order; the automatic count bounds the overhead share."""

import pytest

from shared.chunking import auto_chunk_count, auto_chunk_size, split


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
    ("seconds", "most", "floor", "expected"),
    [
        (10.0, 8, 0.008, 8),  # plenty of work: balance decides
        (0.04, 8, 0.008, 5),  # 5 chunks of 8 ms affordable
        (0.01, 8, 0.008, 1),  # not enough for 2 chunks of 8 ms: one chunk
        (0.001, 16, 0.03, 1),  # a tiny job is one chunk
        (1.0, 16, 0.03, 16),  # queue chunks: capped by distributed_chunks
        (0.25, 16, 0.03, 8),
        (0.5, 12, 0.0, 12),  # no overhead: balance only
    ],
)
def test_auto_chunk_count(seconds: float, most: int, floor: float, expected: int) -> None:
    assert auto_chunk_count(seconds, most, floor) == expected


@pytest.mark.parametrize("seconds", [0.0005, 0.01, 0.05, 0.2, 1.0, 30.0])
def test_auto_chunks_keep_the_overhead_within_its_share(seconds: float) -> None:
    overhead, share, units = 0.0015, 0.05, 1_000_000
    chunks = len(split(range(units), auto_chunk_size(units, seconds, 16, overhead / share)))
    # Either the overhead is within its share, or the job is a single chunk (nothing to split).
    assert chunks * overhead <= share * seconds or chunks == 1
    assert 1 <= chunks <= 16


def test_the_auto_size_never_makes_more_chunks_than_its_count() -> None:
    # 10 units in 3 chunks: size 4 gives 4, 4, 2.
    assert auto_chunk_size(10, 1.0, 3, 0.0) == 4
    assert len(split(range(10), 4)) == 3
