"""The dashboard's page and figures against real workers: recent jobs, CPU series, queue depth, latency."""

import socket
import time

import httpx
import pytest

from tests.conftest import POOL_PROCESSES
from tests.helpers import submit, wait_for, wait_for_job
from tests.reference import PRIMES_BELOW_1E6

pytestmark = pytest.mark.integration
HOST = socket.gethostname()
MILLION = {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}}


def test_recent_jobs_show_mode_progress_and_containers(api: httpx.Client) -> None:
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

    # Both ended within the window, so they count towards throughput and latency.
    assert body["window_seconds"] == 60
    assert body["latency"]["jobs"] >= 2
    assert 0 < body["latency"]["p50"] <= body["latency"]["p95"] <= body["latency"]["p99"]
    assert body["jobs_per_second"] == round(body["latency"]["jobs"] / 60, 3)
    assert body["statuses"]["finished"] >= 2
    assert api.get("/dashboard", params={"limit": 1}).json()["recent"][0]["id"] != local


def test_queue_depth_pools_and_workers(api: httpx.Client) -> None:
    body = api.get("/dashboard").raise_for_status().json()
    assert type(body["queue"]["depth"]) is int and body["queue"]["depth"] >= 0
    assert body["queue"]["name"] == "integration"
    assert HOST in [w["host"] for w in body["workers"]]
    # The worker processes share this host's name, so they share one report.
    assert body["pool_processes"] == sum(w["pool_processes"] for w in body["workers"]) >= POOL_PROCESSES


def test_a_canceled_job_is_listed_as_canceled(api: httpx.Client) -> None:
    # Cancel while both worker processes are busy, so that no worker touches the job meanwhile.
    blockers = [
        submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 2_000_000}}) for _ in range(2)
    ]
    wait_for(
        lambda: all(api.get(f"/jobs/{b}").json()["status"] == "started" for b in blockers) or None,
        30,
        "both workers busy",
        interval=0.02,
    )
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

    first = wait_for(points, 15, "two CPU points")
    times = [t for t, _ in first]
    assert times == sorted(times)
    assert all(cpu >= 0 for _, cpu in first)
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
