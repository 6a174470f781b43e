"""Admission control: past the bound, POST /jobs and the batch answer 429 and enqueue nothing; the
counters never overshoot under concurrent submitters, and come back to 0 however jobs end.

A real API process (MAX_QUEUED_ENTRIES=5) on a redis-server of its own, with no worker: jobs stay queued
until the test ends them through the job store's own end-of-job steps (or DELETE).
"""

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import redis

from services.api.admission import queued
from services.api.main import app
from services.tools.local_stack import api as api_process
from services.tools.local_stack import redis_server
from shared.job_store import JobKeys, JobStore
from shared.tally import Tally
from tests.helpers import submit

pytestmark = pytest.mark.integration

QUEUE = "admission-no-workers"
BOUND = 5
UNITS = 1000
LOCAL = {"kernel": "primes", "params": {"start": 0, "stop": UNITS}}
# Two queue entries, one per chunk.
SPLIT = {**LOCAL, "mode": "distributed", "chunk_size": UNITS // 2}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[httpx.Client, redis.Redis]]:
    with (
        redis_server() as url,
        api_process(url, QUEUE, MAX_QUEUED_ENTRIES=str(BOUND), QUEUE_FULL_RETRY_AFTER="3") as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        control = redis.Redis.from_url(url)
        yield client, control
        control.close()


@pytest.fixture
def stack(server: tuple[httpx.Client, redis.Redis]) -> tuple[httpx.Client, redis.Redis]:
    server[1].flushdb()
    return server


def _records(control: redis.Redis) -> int:
    return sum(1 for key in control.scan_iter("cpuc:job:*") if key.count(b":") == 2)


def _enqueued(control: redis.Redis) -> tuple[int, int, tuple[int, int]]:
    """(entries on the RQ queue, job records, the admission counters)."""
    return control.llen(f"rq:queue:{QUEUE}"), _records(control), queued(control)


def _assert_refused(response: httpx.Response, entries: int, units: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == "3"
    body = response.json()
    assert {k: v for k, v in body.items() if k != "detail"} == {
        "queued_entries": entries,
        "queued_units": units,
        "max_queued_entries": BOUND,
        "max_queued_units": 10**11,
    }
    assert "the queue is full" in body["detail"] and "Nothing was enqueued" in body["detail"]


def test_past_the_bound_a_job_is_429_with_retry_after_and_nothing_is_enqueued(stack: tuple) -> None:
    client, control = stack
    for _ in range(BOUND):
        submit(client, LOCAL)
    assert _enqueued(control) == (BOUND, BOUND, (BOUND, BOUND * UNITS))
    _assert_refused(client.post("/jobs", json=LOCAL), BOUND, BOUND * UNITS)
    _assert_refused(client.post("/jobs/batch", json={"jobs": [LOCAL]}), BOUND, BOUND * UNITS)
    assert _enqueued(control) == (BOUND, BOUND, (BOUND, BOUND * UNITS))


def test_a_batch_that_would_overshoot_is_refused_whole(stack: tuple) -> None:
    client, control = stack
    submit(client, SPLIT)
    submit(client, LOCAL)
    # 3 entries waiting: a batch of 3 more would make 6.
    _assert_refused(client.post("/jobs/batch", json={"jobs": [LOCAL, SPLIT]}), 3, 2 * UNITS)
    assert _enqueued(control) == (3, 2, (3, 2 * UNITS))
    accepted = client.post("/jobs/batch", json={"jobs": [LOCAL, LOCAL]})
    assert accepted.status_code == 202, accepted.text
    assert _enqueued(control) == (BOUND, 4, (BOUND, 4 * UNITS))


def test_a_request_bigger_than_the_bound_alone_is_422_and_enqueues_nothing(stack: tuple) -> None:
    client, control = stack
    response = client.post("/jobs", json={**LOCAL, "mode": "distributed", "chunk_size": 100})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["type"] == "too_much_work"
    assert error["msg"] == "this request alone is 10 of the 5 that MAX_QUEUED_ENTRIES admits at once"
    assert _enqueued(control) == (0, 0, (0, 0))


async def _flood(base: str, requests: int) -> list[int]:
    limits = httpx.Limits(max_connections=requests)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(*(client.post("/jobs", json=LOCAL) for _ in range(requests)))
    return [r.status_code for r in responses]


def test_concurrent_submitters_cannot_overshoot(stack: tuple) -> None:
    client, control = stack
    statuses = asyncio.run(_flood(str(client.base_url), 200))
    assert (statuses.count(202), statuses.count(429)) == (BOUND, 200 - BOUND)
    assert _enqueued(control) == (BOUND, BOUND, (BOUND, BOUND * UNITS))


def test_the_counters_come_back_to_zero_however_jobs_end(stack: tuple) -> None:
    client, control = stack
    store = JobStore(control, 600)
    finished, failed, canceled = (submit(client, LOCAL) for _ in range(3))
    split = submit(client, SPLIT)
    assert queued(control) == (5, 4 * UNITS)
    # Each job's record keeps its share, for its end to take off.
    assert control.hmget(JobKeys.of(split).record, "admitted_entries", "admitted_units") == [b"2", b"1000"]
    store.begin(finished, "test-host", 1)
    assert store.finish_local(finished, Tally(1, [1] + [0] * 9), 0.1, "test-host", 1)
    assert queued(control) == (4, 3 * UNITS)
    store.begin(failed, "test-host", 1)
    assert store.fail(failed, "ValueError: boom", "Traceback ...")
    assert queued(control) == (3, 2 * UNITS)
    assert client.post(f"/jobs/{canceled}/cancel").status_code == 200
    assert queued(control) == (2, UNITS)
    # A chunk merged does not end the job; merged twice it is refused; the last one ends it.
    assert store.merge_chunk(split, 0, Tally(1, [1] + [0] * 9), 0.1, "test-host") == 1
    assert store.merge_chunk(split, 0, Tally(1, [1] + [0] * 9), 0.1, "test-host") == -1
    assert queued(control) == (2, UNITS)
    assert store.merge_chunk(split, 1, Tally(1, [1] + [0] * 9), 0.1, "test-host") == 2
    assert queued(control) == (0, 0)
    # An end that comes too late changes nothing, the counters included.
    assert not store.finish_local(canceled, Tally(), 0.1, "test-host", 1)
    assert not store.fail(finished, "late", "")
    assert store.cancel(split) == "finished"
    assert queued(control) == (0, 0)
    # Given back, the share leaves the record: an ended record keeps only what it shows.
    assert control.hmget(JobKeys.of(split).record, "admitted_entries", "admitted_units") == [None, None]


def test_nothing_is_admitted_past_the_share_of_redis_maxmemory(stack: tuple) -> None:
    client, control = stack
    used = control.info("memory")["used_memory"]
    # Redis would still take writes, but past MAX_REDIS_MEMORY_SHARE (0.9) the API admits nothing more.
    control.config_set("maxmemory", str(int(used / 0.95)))
    try:
        response = client.post("/jobs", json=LOCAL)
    finally:
        control.config_set("maxmemory", "0")
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == "3"
    assert "MAX_REDIS_MEMORY_SHARE" in response.json()["detail"]
    assert _enqueued(control) == (0, 0, (0, 0))
    submit(client, LOCAL)


def test_the_429_is_in_the_openapi_of_both_posts() -> None:
    paths = app.openapi()["paths"]
    for path in ("/jobs", "/jobs/batch"):
        refused = paths[path]["post"]["responses"]["429"]
        assert refused["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/QueueFullView"
        }
        assert "Retry-After" in refused["headers"]
