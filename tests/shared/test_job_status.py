"""One table of status changes, and every script of the store keeps to it (real redis-server)."""

import itertools
import uuid

import pytest
import redis

from shared import job_status
from shared.job_status import ACTIVE, ENDED, TRANSITIONS
from shared.job_store import _PRELUDE, JobStore
from shared.redis_script import NamedScript
from shared.tally import Tally

STATUSES = tuple(TRANSITIONS)


def test_an_ended_job_goes_nowhere_and_an_active_one_may_end() -> None:
    for current, new in itertools.product(STATUSES, STATUSES):
        assert job_status.may(current, new) == (current in ACTIVE)
    assert not job_status.may("nonsense", "started")


@pytest.mark.integration
def test_the_scripts_read_the_same_table(redis_client: redis.Redis) -> None:
    # The prelude every store script starts with answers may(from, to) as the Python table does.
    probe = NamedScript(
        redis_client, "return may(A.current, A.new) and 1 or 0", (), ("current", "new"), None, _PRELUDE
    )
    for current, new in itertools.product((*STATUSES, "nonsense"), STATUSES):
        assert probe(keys={}, args={"current": current, "new": new}) == int(job_status.may(current, new))


@pytest.fixture
def store(redis_client: redis.Redis) -> JobStore:
    return JobStore(redis_client, 600)


def _job(store: JobStore, chunks: int = 2) -> str:
    job_id = f"status-{uuid.uuid4().hex}"
    store.create(
        job_id,
        {"kernel": "primes", "params": {}},
        "distributed",
        chunk_size=1,
        chunks_total=chunks,
        chunking="fixed",
    )
    return job_id


def _ended(store: JobStore, status: str) -> str:
    job_id = _job(store)
    if status == "finished":
        store.merge_chunk(job_id, 0, Tally(1), 0.0, "here")
        store.merge_chunk(job_id, 1, Tally(1), 0.0, "here")
    elif status == "failed":
        store.fail(job_id, "E: boom", "")
    else:
        store.cancel(job_id)
    assert store.status(job_id) == status
    return job_id


@pytest.mark.integration
@pytest.mark.parametrize("status", ENDED)
def test_no_script_moves_an_ended_job(store: JobStore, status: str) -> None:
    job_id = _ended(store, status)
    before = store.read(job_id)
    assert store.begin(job_id, "here", 2) == (None, status)
    assert not store.requeued(job_id, "E: again", whole_job=True)
    assert not store.requeued(job_id, "E: again", whole_job=False)
    assert not store.fail(job_id, "E: late", "")
    assert not store.finish_local(job_id, Tally(5), 1.0, "here", 1)
    assert store.cancel(job_id) == status
    assert store.merge_chunk(job_id, 7, Tally(5), 0.0, "here") == -2
    assert store.read(job_id) == before


@pytest.mark.integration
def test_a_retried_whole_job_goes_back_to_queued_and_a_chunk_job_stays_started(store: JobStore) -> None:
    whole, chunked = _job(store), _job(store)
    for job_id in (whole, chunked):
        store.begin(job_id, "here", 1)
    store.set_progress(whole, 1)
    assert store.requeued(whole, "E: lost", whole_job=True)
    assert store.requeued(chunked, "E: lost", whole_job=False)
    first, second = store.read(whole), store.read(chunked)
    assert first is not None and second is not None
    assert (first.status, first.chunks_done, first.retries, first.last_error) == ("queued", 0, 1, "E: lost")
    assert (second.status, second.retries) == ("started", 1)


@pytest.mark.integration
def test_only_an_ending_status_ends_a_job(store: JobStore) -> None:
    with pytest.raises(ValueError):
        store._end_job(_job(store), "started")
