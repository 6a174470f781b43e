"""Chunks cover a job's range exactly once, in order, within the chunk size."""

import pytest

from shared.chunking import default_chunk_size, split


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


def test_default_chunk_size_gives_each_process_about_n_chunks() -> None:
    assert default_chunk_size(1_000_000, 4, 4) == 62_500
    assert len(split(range(1_000_001), default_chunk_size(1_000_001, 4, 4))) == 16
    assert default_chunk_size(3, 4, 4) == 1
