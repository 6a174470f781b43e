"""POST /jobs/batch: every job accepted in one MULTI/EXEC, or none; at most MAX_BATCH jobs."""

import httpx
import pytest
import redis

from shared.job_store import PREFIX
from shared.kernels.pi import count_hits
from shared.kernels.primes import count_primes
from shared.settings import get_settings
from tests.helpers import wait_for_job

pytestmark = pytest.mark.integration


def _records(redis_client: redis.Redis) -> set[bytes]:
    """Every job record's key (not its helper keys)."""
    return {k for k in redis_client.scan_iter(match=PREFIX + "*", count=1000) if k.count(b":") == 2}


def test_ids_returned_in_order_and_every_job_finishes_exact(api: httpx.Client) -> None:
    jobs = [
        {"kernel": "primes", "params": {"start": 0, "stop": 20_000}},
        {
            "kernel": "primes",
            "params": {"start": 5_000, "stop": 60_000},
            "mode": "distributed",
            "chunk_size": 5_000,
        },
        {"kernel": "pi", "params": {"samples": 100_000, "seed": 7}, "mode": "hybrid", "chunk_size": 25_000},
    ]
    response = api.post("/jobs/batch", json={"jobs": jobs})
    assert response.status_code == 202, response.text
    body = response.json()
    assert len(body["ids"]) == len(set(body["ids"])) == 3
    assert body["queue_entries"] == 1 + 11 + 4
    views = [wait_for_job(api, job_id) for job_id in body["ids"]]
    assert [v["mode"] for v in views] == ["local", "distributed", "hybrid"]
    expected = [count_primes(0, 20_000), count_primes(5_000, 60_000), count_hits(7, 0, 100_000)]
    for view, tally in zip(views, expected, strict=True):
        assert view["status"] == "finished", view
        assert (view["result"]["count"], view["result"]["histogram"]) == (tally.count, tally.histogram)


def test_one_bad_job_refuses_the_whole_batch(api: httpx.Client, redis_client: redis.Redis) -> None:
    good = {"kernel": "primes", "params": {"start": 0, "stop": 1_000}}
    bad = {"kernel": "primes", "params": {"start": 10, "stop": 5}}
    before = _records(redis_client)
    response = api.post("/jobs/batch", json={"jobs": [good, bad, good]})
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert all(loc[:3] == ["body", "jobs", 1] for loc in locations), locations
    assert _records(redis_client) == before


def test_a_batch_over_max_batch_is_refused_before_any_job_is_read(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    limit = get_settings().max_batch  # the API runs with the default, as this process reads it
    before = _records(redis_client)
    # Over the limit by one, and the extra job invalid: the count is refused first, on its own.
    jobs = [{"kernel": "primes", "params": {"start": 0, "stop": 100}}] * limit + [{"kernel": "nope"}]
    response = api.post("/jobs/batch", json={"jobs": jobs})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "jobs"], "too_long")
    assert _records(redis_client) == before


def test_an_empty_batch_is_refused(api: httpx.Client) -> None:
    response = api.post("/jobs/batch", json={"jobs": []})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "jobs"]


def test_a_batch_of_too_many_queue_entries_is_refused_whole(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    limit = max(get_settings().max_chunks, get_settings().max_batch)  # 10,000 by default
    before = _records(redis_client)
    # Each job alone is within MAX_CHUNKS; the two together make twice as many queue entries.
    job = {"kernel": "primes", "params": {"start": 0, "stop": limit}, "mode": "distributed", "chunk_size": 1}
    response = api.post("/jobs/batch", json={"jobs": [job, job]})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "batch_too_large",
                "loc": ["body", "jobs"],
                "msg": f"the batch would make {2 * limit} queue entries (chunks), more than {limit}",
                "input": {"jobs": [job, job]},
                "ctx": {"entries": 2 * limit, "limit": limit, "field": "jobs"},
            }
        ]
    }
    assert _records(redis_client) == before
