"""The end of a job is signalled once, in the step that ends it: its id on ENDED_CHANNEL.

The API's one subscription per process (services/api/watch.py) wakes the job's watchers on that message;
tests/api/test_watchers.py holds the API to it. Real redis-server.
"""

import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from shared.job_store import ENDED_CHANNEL, JobStore
from shared.tally import Tally
from tests.helpers import BACKSTOP, wait_for

pytestmark = pytest.mark.integration

SPEC = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
TTL = 600


@pytest.fixture
def store(redis_client: redis.Redis) -> JobStore:
    return JobStore(redis_client, TTL)


@pytest.fixture
def ends(redis_client: redis.Redis) -> Iterator[Callable[[], list[str]]]:
    """Every job id published on ENDED_CHANNEL since the test began, in order (once subscribed)."""
    pubsub = redis_client.pubsub()
    pubsub.subscribe(ENDED_CHANNEL)
    wait_for(lambda: pubsub.get_message(timeout=0.1) or None, BACKSTOP, "the subscription")
    seen: list[str] = []

    def published() -> list[str]:
        while (message := pubsub.get_message(timeout=0.2)) is not None:
            if message["type"] == "message":
                seen.append(message["data"].decode())
        return list(seen)

    yield published
    pubsub.close()


def _new_job(store: JobStore, mode: str = "local", chunks_total: int = 0) -> str:
    job_id = f"end-{uuid.uuid4().hex}"
    store.create(job_id, SPEC, mode, chunk_size=500, chunks_total=chunks_total, chunking="fixed")
    return job_id


def _tally(count: int) -> Tally:
    return Tally(count, [count] + [0] * 9)


ENDINGS: dict[str, tuple[Callable[[JobStore, str], object], str]] = {
    "finish": (lambda s, j: s.finish_local(j, _tally(7), 0.5, "here", 2), "finished"),
    "fail": (lambda s, j: s.fail(j, "ValueError: boom", "Traceback ..."), "failed"),
    "cancel": (lambda s, j: s.cancel(j), "canceled"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_each_way_a_job_ends_publishes_its_id_once(
    store: JobStore, ends: Callable[[], list[str]], ending: str
) -> None:
    end, status = ENDINGS[ending]
    job_id = _new_job(store)
    end(store, job_id)
    assert ends() == [job_id]
    assert store.read(job_id).status == status
    # A second end changes nothing and signals nothing more.
    for again, _ in ENDINGS.values():
        again(store, job_id)
    assert ends() == [job_id]
    assert store.read(job_id).status == status


def test_only_the_last_chunk_merged_signals_the_end(store: JobStore, ends: Callable[[], list[str]]) -> None:
    job_id = _new_job(store, "distributed", chunks_total=3)
    assert store.merge_chunk(job_id, 0, _tally(1), 0.1, "here", [11]) == 1
    assert store.merge_chunk(job_id, 1, _tally(2), 0.1, "here", [11]) == 2
    # A chunk merged twice does not end the job either.
    assert store.merge_chunk(job_id, 1, _tally(2), 0.1, "here", [11]) == -1
    assert ends() == []
    assert store.merge_chunk(job_id, 2, _tally(3), 0.1, "here", [12]) == 3
    assert ends() == [job_id]
    record = store.read(job_id)
    assert (record.status, record.tally.count, record.chunks_done) == ("finished", 6, 3)
    # A cancel after the answer changes nothing, and signals nothing more.
    assert store.cancel(job_id) == "finished"
    assert ends() == [job_id]
