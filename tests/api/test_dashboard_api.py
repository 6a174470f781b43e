"""The dashboard's page and figures against real workers: recent jobs, CPU series, queue depth, latency."""

import os
import random
import socket
import time
from collections import Counter

import httpx
import pytest
import redis

from shared.job_status import ENDED
from shared.job_store import RECENT
from shared.kernels.dataset import BLOCK
from shared.settings import get_settings
from tests.conftest import POOL_PROCESSES, WORKER_PROCESSES
from tests.helpers import BACKSTOP, submit, wait_for, wait_for_job
from tests.reference import PRIMES_BELOW_1E6

pytestmark = pytest.mark.integration
HOST = socket.gethostname()
MILLION = {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}}
# Several seconds of work on a worker's pool: it stays busy until canceled.
LONG = {"kernel": "primes", "params": {"start": 0, "stop": 10_000_000}}


def all_started(api: httpx.Client, job_ids: list[str]) -> bool | None:
    return all(api.get(f"/jobs/{j}").json()["status"] == "started" for j in job_ids) or None


def ended_views(api: httpx.Client, redis_client: redis.Redis) -> list[dict] | None:
    """GET /jobs/{id} of each job the dashboard's figures cover (the RECENT_JOBS newest ids), once none is
    queued or running (an ended job's view changes no more); expired ones left out. None while one is."""
    ids = redis_client.zrevrange(RECENT, 0, get_settings().recent_jobs - 1)
    views = []
    for job_id in (i.decode() for i in ids):
        response = api.get(f"/jobs/{job_id}")
        if response.status_code == 404:
            continue
        view = response.raise_for_status().json()
        if view["status"] not in ENDED:
            return None
        views.append(view)
    return views


def nearest_rank(values: list[float], p: int) -> float:
    """By brute force: the least of the values that has at least p % of them at or below it."""
    return min(v for v in values if 100 * sum(w <= v for w in values) >= p * len(values))


def test_recent_jobs_show_mode_progress_and_containers(api: httpx.Client, redis_client: redis.Redis) -> None:
    local = submit(api, {**MILLION, "mode": "local"})
    distributed = submit(api, {**MILLION, "mode": "distributed", "chunk_size": 250_000})
    for job_id in (local, distributed):
        assert wait_for_job(api, job_id)["status"] == "finished"

    body = api.get("/dashboard", params={"limit": 50}).raise_for_status().json()
    recent = {job["id"]: job for job in body["recent"]}
    # Newest first: the distributed job was submitted last.
    assert [j for j in recent if j in (local, distributed)] == [distributed, local]
    assert recent[local]["mode"] == "local"
    assert recent[local]["progress"] == {"chunks_done": 8, "chunks_total": 8, "percent": 100.0}
    assert recent[local]["hosts"] == {HOST: 8}  # the plan's POOL_TASKS (8) pool tasks
    assert recent[distributed]["mode"] == "distributed"
    assert recent[distributed]["progress"] == {"chunks_done": 4, "chunks_total": 4, "percent": 100.0}
    assert recent[distributed]["hosts"] == {HOST: 4}
    for job in (recent[local], recent[distributed]):
        assert job["result"]["count"] == PRIMES_BELOW_1E6

    assert api.get("/dashboard", params={"limit": 1}).json()["recent"][0]["id"] != local

    # The figures, against the views of every job they cover (earlier tests' too), once all have ended.
    views = wait_for(lambda: ended_views(api, redis_client), BACKSTOP, "every recent job ended")
    body = api.get("/dashboard").raise_for_status().json()
    now, window = body["now"], body["window_seconds"]
    assert window == 60
    assert body["statuses"] == dict(Counter(v["status"] for v in views))
    in_window = {
        v["id"]: v["ended_at"] - v["created_at"]
        for v in views
        if v["status"] == "finished" and now - v["ended_at"] <= window
    }
    assert {local, distributed} <= set(in_window)  # both ended moments ago
    assert body["latency"]["jobs"] == len(in_window)
    # Jobs per second over the window, to 3 decimals: times the window, the jobs (give or take the rounding).
    assert abs(body["jobs_per_second"] * window - len(in_window)) <= 0.0005 * window
    for p in (50, 95, 99):
        assert body["latency"][f"p{p}"] == round(nearest_rank(list(in_window.values()), p), 3), p


def test_queue_depth_pools_and_workers(api: httpx.Client) -> None:
    # Every worker process busy, then three jobs wait on the queue: the depth counts them.
    blockers = [submit(api, {**LONG, "mode": "local"}) for _ in range(WORKER_PROCESSES)]
    wait_for(lambda: all_started(api, blockers), 30, "every worker busy", interval=0.02)
    waiting = [submit(api, MILLION) for _ in range(3)]
    body = api.get("/dashboard").raise_for_status().json()
    for job_id in (*waiting, *blockers):
        assert api.post(f"/jobs/{job_id}/cancel").status_code == 200
    assert body["queue"] == {"name": "integration", "depth": 3}
    # The worker processes share this host's name, so they share one report: their pools summed.
    assert [(w["host"], w["consumers"]) for w in body["workers"]] == [(HOST, WORKER_PROCESSES)]
    assert body["pool_processes"] == WORKER_PROCESSES * POOL_PROCESSES


def test_a_canceled_job_is_listed_as_canceled(api: httpx.Client) -> None:
    # Cancel while both worker processes are busy, so that no worker touches the job meanwhile.
    blockers = [
        submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 2_000_000}}) for _ in range(2)
    ]
    wait_for(lambda: all_started(api, blockers), 30, "both workers busy", interval=0.02)
    job_id = submit(api, MILLION)
    assert api.post(f"/jobs/{job_id}/cancel").status_code == 200
    [job] = [j for j in api.get("/dashboard").json()["recent"] if j["id"] == job_id]
    assert job["status"] == "canceled"
    assert job["progress"]["chunks_done"] == 0 and job["hosts"] == {}
    for blocker in blockers:
        assert wait_for_job(api, blocker)["status"] == "finished"


def test_cpu_series_of_the_worker_host(api: httpx.Client) -> None:
    def points() -> list | None:
        body = api.get("/workers/series").raise_for_status().json()
        series = {s["host"]: s["points"] for s in body["series"]}
        return series[HOST] if len(series.get(HOST, [])) >= 2 else None

    first = wait_for(points, BACKSTOP, "two CPU points")
    times = [t for t, _ in first]
    assert times == sorted(times)
    # Percent of one core: at most every core of this host busy (give or take the second's edges: 5 %).
    assert all(0 <= cpu <= 105 * (os.cpu_count() or 1) for _, cpu in first), first
    assert abs(times[-1] - time.time()) < 10

    # `since` returns only newer points: the poll the page makes each second.
    body = api.get("/workers/series", params={"since": times[-1]}).json()
    newer = {s["host"]: s["points"] for s in body["series"]}.get(HOST, [])
    assert all(t > times[-1] for t, _ in newer)
    later = api.get("/workers/series", params={"since": body["now"] + 3600}).json()
    assert later["series"] == []
    assert api.get("/workers/series", params={"since": -1}).status_code == 422


def test_the_page_and_its_files_are_served(api: httpx.Client) -> None:
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="/static/dashboard.js"' in page.text
    for name in ("dashboard.js", "dashboard.css"):
        assert api.get(f"/static/{name}").status_code == 200
    # Nothing from elsewhere: the page works offline.
    assert "http" not in page.text.replace("http-equiv", "")


def test_bytes_moved_by_a_dataset_job(api: httpx.Client) -> None:
    """Cumulative: the job's bytes read and pickled are added; Redis sent at least the bytes it read."""
    data = random.Random(11).randbytes(32 * BLOCK + 5)
    before = api.get("/dashboard").raise_for_status().json()["bytes"]
    upload = api.post("/datasets", content=data, headers={"Content-Type": "application/octet-stream"})
    assert upload.status_code == 201, upload.text
    body = {"kernel": "bytes", "params": {"dataset": upload.json()["id"], "work": 0}, "mode": "distributed"}
    view = wait_for_job(api, submit(api, body))
    after = api.get("/dashboard").raise_for_status().json()["bytes"]
    assert view["status"] == "finished" and view["bytes_read"] == len(data)
    assert after["jobs_read"] - before["jobs_read"] == len(data)
    assert after["jobs_pickled"] - before["jobs_pickled"] == view["bytes_pickled"] == 0
    assert after["redis_in"] - before["redis_in"] >= len(data)
    assert after["redis_out"] - before["redis_out"] >= len(data)
