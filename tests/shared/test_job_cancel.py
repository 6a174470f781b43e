"""Canceling a job (POST /jobs/{id}/cancel's logic): only a job not yet ended; a second cancel is refused.

Real redis-server.
"""

import uuid

import pytest
import redis

from shared.job_cancel import AlreadyEnded, UnknownJob, cancel
from shared.job_store import JobStore
from shared.tally import Tally

pytestmark = pytest.mark.integration

SPEC = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}


@pytest.fixture
def store(redis_client: redis.Redis) -> JobStore:
    return JobStore(redis_client, 600)


def new_job(store: JobStore) -> str:
    job_id = f"cancel-{uuid.uuid4().hex}"
    store.create(job_id, SPEC, "local", chunk_size=500, chunks_total=2, chunking="fixed")
    return job_id


@pytest.mark.parametrize("started", [False, True], ids=["queued", "started"])
def test_a_job_not_yet_ended_is_canceled_once(store: JobStore, started: bool) -> None:
    job_id = new_job(store)
    if started:
        assert store.begin(job_id, "here", 2)[1] == "started"
    record = cancel(store, job_id)
    assert (record.id, record.status, record.tally) == (job_id, "canceled", Tally(0, [0] * 10))
    assert record.ended_at is not None
    with pytest.raises(AlreadyEnded, match="has already ended: canceled") as again:
        cancel(store, job_id)
    assert again.value.status == "canceled"


def test_a_finished_job_is_not_canceled(store: JobStore) -> None:
    job_id = new_job(store)
    store.begin(job_id, "here", 2)
    assert store.finish_local(job_id, Tally(3, [3] + [0] * 9), 0.5, "here", 2)
    with pytest.raises(AlreadyEnded, match="has already ended: finished"):
        cancel(store, job_id)
    assert store.read(job_id).status == "finished"  # its answer kept


def test_an_unknown_job_is_unknown(store: JobStore) -> None:
    with pytest.raises(UnknownJob, match="no job with id 'cancel-nothing'"):
        cancel(store, "cancel-nothing")
