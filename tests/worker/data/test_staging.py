"""Each mode's data path on a real redis-server and a real WarmPool: a slice staged in shared memory once
and read in place by the pool processes (freed after), or read with one GETRANGE; a dataset gone is
the job's failure; the bytes moved land in the job's record."""

import random
from collections.abc import Iterator

import pytest
import redis

from shared import bytes_moved
from shared.datasets import DatasetKeys
from shared.job_store import JobKeys
from shared.kernels.dataset import BLOCK, blocks, tally
from tests.worker.data.conftest import segments
from worker.data import accounting, source, staging
from worker.pool.warm import WarmPool

pytestmark = pytest.mark.integration

DATA = random.Random(5).randbytes(40 * BLOCK + 99)
DATASET = "d" * 32
JOB = "e" * 32


@pytest.fixture
def dataset(rclient: redis.Redis) -> Iterator[str]:
    rclient.set(DatasetKeys.of(DATASET).data, DATA)
    rclient.hset(JobKeys.of(JOB).record, mapping={"id": JOB})
    yield DATASET
    rclient.delete(DatasetKeys.of(DATASET).data, JobKeys.of(JOB).record)


def test_reads_a_slice_or_fills_a_buffer_and_says_when_the_dataset_is_gone(
    rclient: redis.Redis, dataset: str
) -> None:
    assert source.read_slice(rclient, dataset, BLOCK, 3 * BLOCK) == DATA[BLOCK : 3 * BLOCK]
    # The last block is short: the slice ends with the dataset.
    assert source.read_slice(rclient, dataset, 40 * BLOCK, 41 * BLOCK) == DATA[40 * BLOCK :]
    assert source.slice_size(rclient, dataset, 40 * BLOCK, 41 * BLOCK) == 99
    buffer = bytearray(3 * source.READ_PIECE // 2 if len(DATA) > source.READ_PIECE else len(DATA) - 7)
    source.read_into(rclient, dataset, 7, memoryview(buffer))
    assert bytes(buffer) == DATA[7 : 7 + len(buffer)]
    with pytest.raises(source.DatasetGone, match=f"dataset {'f' * 32} is gone"):
        source.read_slice(rclient, "f" * 32, 0, BLOCK)
    with pytest.raises(source.DatasetGone):
        source.read_into(rclient, "f" * 32, 0, memoryview(bytearray(10)))


@pytest.mark.parametrize(("work", "piece"), [(0, source.READ_PIECE), (2, source.READ_PIECE), (2, 4 * BLOCK)])
def test_the_pool_reads_a_slice_staged_once_in_shared_memory_then_freed(
    rclient: redis.Redis, dataset: str, pool: WarmPool, work: int, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The slice (37 blocks) in one read, or (pieces of 4 blocks) filled a piece at a time.
    monkeypatch.setattr(staging, "READ_PIECE", piece)
    monkeypatch.setattr(source, "READ_PIECE", piece)
    spec = {"kernel": "bytes", "params": {"dataset": dataset, "work": work}}
    before = segments()
    totals = bytes_moved.totals(rclient)
    run = staging.on_pool(JOB, pool, spec, [(3, 10), (10, 30), (30, 41)], redis=rclient)
    assert (run.tally, run.chunks) == (tally(DATA[3 * BLOCK :], work), 3)
    assert segments() == before  # the segment was unlinked
    size = len(DATA) - 3 * BLOCK
    # Read once; the three tasks pickled are a few hundred bytes: names, not data.
    assert run.pickled_bytes < 1000 < size
    record = rclient.hgetall(JobKeys.of(JOB).record)
    assert (int(record[b"bytes_read"]), int(record[b"bytes_pickled"])) == (size, run.pickled_bytes)
    assert bytes_moved.totals(rclient) == {
        "read": totals["read"] + size,
        "pickled": totals["pickled"] + run.pickled_bytes,
    }


def test_a_chunk_here_reads_only_its_slice(rclient: redis.Redis, dataset: str) -> None:
    spec = {"kernel": "bytes", "params": {"dataset": dataset, "work": 1}}
    assert staging.here(JOB, spec, 5, 9, redis=rclient) == tally(DATA[5 * BLOCK : 9 * BLOCK], 1)
    record = rclient.hgetall(JobKeys.of(JOB).record)
    assert (int(record[b"bytes_read"]), int(record[b"bytes_pickled"])) == (4 * BLOCK, 0)


def test_the_totals_count_a_run_whose_record_is_gone(rclient: redis.Redis) -> None:
    totals = bytes_moved.totals(rclient)
    accounting.add(rclient, "0" * 32, 123, 45)
    assert not rclient.exists(JobKeys.of("0" * 32).record)  # no record of two fields made
    assert bytes_moved.totals(rclient) == {"read": totals["read"] + 123, "pickled": totals["pickled"] + 45}


def test_a_dataset_gone_fails_the_run_and_leaves_no_segment(rclient: redis.Redis, pool: WarmPool) -> None:
    spec = {"kernel": "bytes", "params": {"dataset": "f" * 32, "work": 0}}
    before = segments()
    with pytest.raises(source.DatasetGone):
        staging.on_pool(JOB, pool, spec, [(0, blocks(len(DATA)))], redis=rclient)
    with pytest.raises(source.DatasetGone):
        staging.here(JOB, spec, 0, 2, redis=rclient)
    assert segments() == before
    assert not rclient.exists(JobKeys.of(JOB).record)  # nothing written for it
