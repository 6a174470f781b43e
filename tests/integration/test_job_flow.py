"""Submit over HTTP, a real RQ worker runs the job on its warm pool, the API returns the exact answer."""

import socket

import httpx
import pytest
import redis

from shared.kernels.pi import count_hits
from tests.helpers import wait_for_job
from tests.integration.conftest import POOL_PROCESSES, WORKER_PROCESSES
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6, PRIMES_BELOW_1E7

pytestmark = pytest.mark.integration


def submit(api: httpx.Client, body: dict) -> str:
    response = api.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["Location"] == f"/jobs/{job_id}"
    return job_id


def test_primes_below_a_million(api: httpx.Client) -> None:
    job_id = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}})
    view = wait_for_job(api, job_id)
    assert view["status"] == "finished", view
    report = view["result"]
    assert report["result"]["count"] == PRIMES_BELOW_1E6
    assert report["result"]["histogram"] == LAST_DIGITS_BELOW_1E6
    assert report["host"] == socket.gethostname()
    assert report["pool"]["processes"] == POOL_PROCESSES
    assert 1 <= len(report["pool"]["pids"]) <= POOL_PROCESSES
    assert report["chunks"] == POOL_PROCESSES * 4
    assert report["cpu_seconds"] > 0 and report["wall_seconds"] > 0
    assert view["worker"].startswith(socket.gethostname() + ".")
    assert view["run_seconds"] >= 0 and view["queue_seconds"] >= 0


def test_primes_below_ten_million(api: httpx.Client) -> None:
    job_id = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 10_000_000}})
    view = wait_for_job(api, job_id, timeout=300)
    assert view["result"]["result"]["count"] == PRIMES_BELOW_1E7


def test_pi_hits_do_not_depend_on_the_chunk_size(api: httpx.Client) -> None:
    samples, seed = 300_000, 2026
    views = [
        wait_for_job(api, submit(api, {"kernel": "pi", "params": {"samples": samples, "seed": seed}, **extra}))
        for extra in ({}, {"chunk_size": 12_345}, {"chunk_size": samples})
    ]
    expected = count_hits(seed, 0, samples)
    for view in views:
        assert view["result"]["result"]["count"] == expected.count
        assert view["result"]["result"]["histogram"] == expected.histogram
        assert view["result"]["result"]["estimate"] == 4 * expected.count / samples
    assert [v["result"]["chunks"] for v in views] == [POOL_PROCESSES * 4, 25, 1]


def test_concurrent_jobs_are_shared_by_the_workers(api: httpx.Client) -> None:
    job_ids = [submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 400_000}}) for _ in range(6)]
    views = [wait_for_job(api, job_id) for job_id in job_ids]
    assert all(v["result"]["result"]["count"] == 33_860 for v in views)
    assert len({v["worker"] for v in views}) == WORKER_PROCESSES


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kernel": "primes", "params": {"start": 9, "stop": 3}}, "params"),
        ({"kernel": "primes", "params": {"start": 0, "stop": 10**13}}, "params"),
        ({"kernel": "pi", "params": {"samples": "many"}}, "samples"),
        ({"kernel": "nope", "params": {}}, "kernel"),
        ({"kernel": "pi"}, "params"),
        ([], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_enqueues_nothing(
    api: httpx.Client, redis_client: redis.Redis, body: object, field: str
) -> None:
    jobs_before = sorted(redis_client.scan_iter("rq:job:*"))
    response = api.post("/jobs", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(field in map(str, e["loc"]) for e in errors), errors
    assert all(e["msg"] for e in errors)
    assert sorted(redis_client.scan_iter("rq:job:*")) == jobs_before


def test_malformed_json_is_422(api: httpx.Client) -> None:
    response = api.post("/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_unknown_job_is_404(api: httpx.Client) -> None:
    response = api.get("/jobs/does-not-exist")
    assert response.status_code == 404
    assert "does-not-exist" in response.json()["detail"]


def test_health_and_openapi(api: httpx.Client) -> None:
    assert api.get("/health").json() == {"status": "ok", "redis": "ok"}
    assert api.get("/docs").status_code == 200
    assert "/jobs" in api.get("/openapi.json").json()["paths"]
