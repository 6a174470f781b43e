"""A distributed job's answer: each chunk's count and histogram wait in the job's merged hash, and the
last chunk sums them into the record as it ends the job (shared/job_store_steps.lua)."""

import uuid

import pytest
import redis

from shared.job_store import JobKeys, JobStore
from shared.tally import BINS, Tally


@pytest.fixture
def store(redis_client: redis.Redis) -> JobStore:
    return JobStore(redis_client, 600)


def _job(store: JobStore, chunks: int) -> str:
    job_id = f"tally-{uuid.uuid4().hex}"
    store.create(job_id, {"kernel": "primes", "params": {}}, "distributed", 1, chunks, "fixed")
    return job_id


@pytest.mark.integration
def test_the_last_chunk_sums_every_chunk_once_exactly(store: JobStore, redis_client: redis.Redis) -> None:
    job_id = _job(store, 3)
    assert store.begin(job_id, "a", 1)[1] == "started"
    # Counts past 10^15, where a double written by Lua's tostring would read 1e+15; a sum of 3 * 2^51 + 3
    # stays below 2^53, so it is exact only if every digit is kept.
    big = 2**51 + 1
    partials = [Tally(big, [big if b == i else i for b in range(BINS)]) for i in range(3)]
    assert store.merge_chunk(job_id, 2, partials[2], 0.25, "a") == 1
    assert store.merge_chunk(job_id, 2, partials[2], 0.25, "a") == -1  # a chunk run twice counts once
    assert store.merge_chunk(job_id, 0, partials[0], 0.5, "b") == 2
    running = store.read(job_id)
    assert running is not None and running.status == "started"
    assert running.cpu_seconds == 0.75  # CPU shows as chunks merge; the answer only once whole
    assert store.merge_chunk(job_id, 1, partials[1], 0.25, "a") == 3
    record = store.read(job_id)
    assert record is not None and record.status == "finished"
    expected = Tally()
    for partial in partials:
        expected.merge(partial)
    assert (record.tally.count, record.tally.histogram) == (3 * big, expected.histogram)
    assert expected.histogram[0] == big + 1 + 2  # bin 0: chunk 0's big, chunks 1 and 2 their index
    assert record.cpu_seconds == 1.0
    assert not redis_client.exists(JobKeys.of(job_id).merged)
