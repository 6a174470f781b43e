"""Submit over HTTP, real RQ workers run the job on their warm pools, the API returns the exact answer."""

import socket
import time

import httpx
import pytest
import redis

from shared.kernels.pi import count_hits
from tests.conftest import POOL_PROCESSES, WORKER_PROCESSES
from tests.helpers import submit, wait_for, wait_for_job
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6, PRIMES_BELOW_1E7

pytestmark = pytest.mark.integration
HOST = socket.gethostname()


def test_primes_below_a_million(api: httpx.Client) -> None:
    submitted = time.time()
    view = wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}}))
    answered = time.time()
    assert view["status"] == "finished", view
    assert view["mode"] == "local"
    assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
    # The plan's pool tasks (tests/shared/test_plan.py): POOL_TASKS (8) of them, whatever the pool.
    assert view["hosts"] == {HOST: 8}
    assert view["pool_processes"] == {HOST: POOL_PROCESSES}
    assert 1 <= len(view["pids"]) <= POOL_PROCESSES
    assert view["progress"] == {"chunks_done": 8, "chunks_total": 8, "percent": 100.0}
    assert view["chunk_size"] == 125_000
    assert view["chunking"] == "auto"
    assert view["cpu_seconds"] > 0
    # Accepted, started and ended in that order, while this test waited; the spans between them.
    assert submitted <= view["created_at"] <= view["started_at"] < view["ended_at"] <= answered
    assert view["queue_seconds"] == pytest.approx(view["started_at"] - view["created_at"])
    assert view["run_seconds"] == pytest.approx(view["ended_at"] - view["started_at"])


def test_primes_below_ten_million(api: httpx.Client) -> None:
    view = wait_for_job(
        api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 10_000_000}}), 300
    )
    assert view["result"]["count"] == PRIMES_BELOW_1E7


def test_pi_hits_do_not_depend_on_the_chunk_size(api: httpx.Client) -> None:
    samples, seed = 300_000, 2026
    views = [
        wait_for_job(
            api, submit(api, {"kernel": "pi", "params": {"samples": samples, "seed": seed}, **extra})
        )
        for extra in ({}, {"chunk_size": 12_345}, {"chunk_size": samples})
    ]
    expected = count_hits(seed, 0, samples)
    for view in views:
        assert view["result"]["count"] == expected.count
        assert view["result"]["histogram"] == expected.histogram
        assert view["result"]["estimate"] == 4 * expected.count / samples
    assert [v["progress"]["chunks_total"] for v in views[1:]] == [25, 1]
    # Automatic, from the cost model: 300,000 samples are 48 ms, 6 pool tasks of 8 ms.
    assert (views[0]["chunking"], views[0]["chunk_size"], views[0]["progress"]["chunks_total"]) == (
        "auto",
        50_000,
        6,
    )


def test_concurrent_jobs_are_shared_by_the_worker_processes(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    job_ids = [submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 400_000}}) for _ in range(6)]
    views = [wait_for_job(api, job_id) for job_id in job_ids]
    assert all(v["result"]["count"] == 33_860 for v in views)
    # Two worker processes with a pool of 2 each: between them, more than one pool's processes worked.
    assert len({pid for v in views for pid in v["pids"]}) > POOL_PROCESSES
    assert WORKER_PROCESSES == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kernel": "primes", "params": {"start": 9, "stop": 3}}, "params"),
        ({"kernel": "primes", "params": {"start": 0, "stop": 10**13}}, "params"),
        ({"kernel": "pi", "params": {"samples": "many"}}, "samples"),
        ({"kernel": "nope", "params": {}}, "kernel"),
        ({"kernel": "pi"}, "params"),
        ({"kernel": "pi", "params": {"samples": 5}, "mode": "everywhere"}, "mode"),
        ([], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_enqueues_nothing(
    api: httpx.Client, redis_client: redis.Redis, body: object, field: str
) -> None:
    keys_before = sorted(redis_client.scan_iter("cpuc:job:*")), sorted(redis_client.scan_iter("rq:job:*"))
    response = api.post("/jobs", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(field in map(str, e["loc"]) for e in errors), errors
    assert all(e["msg"] for e in errors)
    assert (
        sorted(redis_client.scan_iter("cpuc:job:*")),
        sorted(redis_client.scan_iter("rq:job:*")),
    ) == keys_before


def test_malformed_json_is_422(api: httpx.Client) -> None:
    response = api.post("/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_unknown_job_is_404(api: httpx.Client) -> None:
    unknown = "0" * 32  # the shape of a job id (uuid4().hex), but no job's
    response = api.get(f"/jobs/{unknown}")
    assert (response.status_code, response.json()) == (404, {"detail": f"no job with id '{unknown}'"})
    response = api.post(f"/jobs/{unknown}/cancel")
    assert (response.status_code, response.json()) == (404, {"detail": f"no job with id '{unknown}'"})
    # Not the shape of a job id: no job route matches, so it is no job's either.
    for path in ("/jobs/does-not-exist", "/jobs/does-not-exist/cancel", "/jobs/" + "F" * 32):
        response = api.request("POST" if path.endswith("cancel") else "GET", path)
        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), path


def test_a_canceled_job_stays_canceled_and_other_methods_are_405_naming_the_right_ones(
    api: httpx.Client,
) -> None:
    job_id = submit(api, {"kernel": "pi", "params": {"samples": 10_000_000}, "mode": "distributed"})
    canceled = api.post(f"/jobs/{job_id}/cancel")
    assert (canceled.status_code, canceled.json()["status"]) == (200, "canceled")
    again = api.get(f"/jobs/{job_id}")
    assert (again.status_code, again.json()["status"]) == (200, "canceled")
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 409
    # Each path's documented methods, and only those, in `Allow`.
    for method, path, allowed in [
        ("DELETE", f"/jobs/{job_id}", "GET"),
        ("PUT", f"/jobs/{job_id}", "GET"),
        ("GET", f"/jobs/{job_id}/cancel", "POST"),
        ("GET", "/jobs/batch", "POST"),  # not a lookup of a job "batch"
        ("GET", "/jobs", "POST"),
        ("OPTIONS", "/jobs/batch", "POST"),
    ]:
        response = api.request(method, path)
        assert (response.status_code, response.headers.get("allow")) == (405, allowed), (method, path)
    assert api.get(f"/jobs/{job_id}").json()["status"] == "canceled"


def test_health_and_openapi(api: httpx.Client) -> None:
    # The fixture's worker processes all run on this host: one "container", ready once both report so.
    health = wait_for(
        lambda: (h := api.get("/health").json())["workers_ready"] == 1 and h or None, 15, "ready"
    )
    assert health == {"status": "ok", "redis": "ok", "workers": 1, "workers_ready": 1}
    assert api.get("/docs").status_code == 200
    assert {"/jobs", "/jobs/{job_id}", "/workers"} <= set(api.get("/openapi.json").json()["paths"])


@pytest.mark.parametrize(
    ("params", "chunks"),
    [
        # ~0.2 ms of work by the cost model: one queue chunk, any split would cost more than 5 % of it.
        ({"start": 0, "stop": 1_000}, 1),
        # ~1.4 s: as many chunks as balance asks for (DISTRIBUTED_CHUNKS), each still ~85 ms of work.
        ({"start": 0, "stop": 2_000_000}, 16),
    ],
)
def test_distributed_chunks_are_sized_from_the_work(api: httpx.Client, params: dict, chunks: int) -> None:
    view = wait_for_job(api, submit(api, {"kernel": "primes", "params": params, "mode": "distributed"}), 120)
    assert view["status"] == "finished", view
    assert view["chunking"] == "auto"
    assert view["progress"]["chunks_total"] == chunks
    assert view["chunk_size"] == -(-params["stop"] // chunks)


def test_a_chunk_size_set_by_the_job_is_kept(api: httpx.Client) -> None:
    body = {
        "kernel": "primes",
        "params": {"start": 0, "stop": 1_000},
        "mode": "distributed",
        "chunk_size": 100,
    }
    view = wait_for_job(api, submit(api, body))
    assert (view["chunking"], view["chunk_size"], view["progress"]["chunks_total"]) == ("fixed", 100, 10)
    assert view["result"]["count"] == 168
