"""A warm pool for the data tests, and the shared memory segments that exist."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from worker.pool.warm import WarmPool


@pytest.fixture(scope="module")
def pool() -> Iterator[WarmPool]:
    warm = WarmPool(2, "forkserver")
    yield warm
    warm.close()


def segments() -> set[str]:
    """The shared memory segments that exist (multiprocessing.shared_memory's, by their prefix)."""
    return {p.name for p in Path("/dev/shm").iterdir() if p.name.startswith("psm_")}
