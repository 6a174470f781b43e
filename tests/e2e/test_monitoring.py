"""The optional profiles on a real stack: Prometheus scrapes GET /metrics, rq-dashboard sees our workers.

One stack with both profiles (`monitoring`, `rq-dashboard`), its own compose project and free ports.
Prometheus is asked through its HTTP API with PromQL, and what it stored is held against GET /workers
and the jobs' own records: job counts exactly, each container's CPU seconds between the two self-reports
GET /workers showed just before and just after the scrape.
"""

import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker
import httpx
import pytest

from services.tools.stack import label_filter
from tests.e2e.conftest import Stack, official_config, running_stack
from tests.helpers import free_port, submit, wait_for, wait_for_job

pytestmark = pytest.mark.e2e

JOBS = [
    {"kernel": "primes", "params": {"start": 0, "stop": 300_000}},
    {"kernel": "primes", "params": {"start": 0, "stop": 200_000}},
    {"kernel": "primes", "params": {"start": 0, "stop": 300_000}, "mode": "distributed"},
    {"kernel": "pi", "params": {"samples": 200_000, "seed": 5}, "mode": "distributed"},
    {"kernel": "pi", "params": {"samples": 200_000, "seed": 6}, "mode": "hybrid"},
]
# Prometheus scrapes every 15 s (services/prometheus/prometheus.yml): waits below allow a few intervals.
SCRAPES = 120


@dataclass
class Monitored:
    stack: Stack
    prometheus: httpx.Client
    dashboard: httpx.Client  # rq-dashboard
    views: list[dict]  # the finished JOBS, as GET /jobs/<id> shows them


@pytest.fixture(scope="module")
def monitored(docker_client: docker.DockerClient) -> Iterator[Monitored]:
    # Published beyond loopback with a token, so Prometheus's scrapes carry it (or nothing would be stored).
    token = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "COMPOSE_PROFILES": "monitoring,rq-dashboard",
        "API_BIND": "0.0.0.0",
        "API_TOKEN": token,
        "API_PORT": str(free_port()),
        "PROMETHEUS_PORT": str(free_port()),
        "RQ_DASHBOARD_PORT": str(free_port()),
        "REDIS_PASSWORD": "",
    }
    with (
        running_stack(docker_client, f"cpu-contrast-e2e-monitoring-{os.getpid()}", env) as stack,
        httpx.Client(base_url=f"http://127.0.0.1:{env['PROMETHEUS_PORT']}", timeout=10) as prometheus,
        httpx.Client(base_url=f"http://127.0.0.1:{env['RQ_DASHBOARD_PORT']}", timeout=10) as dashboard,
    ):
        assert stack.api.get("/metrics").status_code == 401
        stack.api.headers["Authorization"] = f"Bearer {token}"
        views = [wait_for_job(stack.api, submit(stack.api, body)) for body in JOBS]
        assert [v["status"] for v in views] == ["finished"] * len(JOBS), views
        yield Monitored(stack, prometheus, dashboard, views)


def promql(prometheus: httpx.Client, query: str) -> list[dict[str, Any]]:
    """An instant query through Prometheus's HTTP API: its result list."""
    reply = prometheus.get("/api/v1/query", params={"query": query}).raise_for_status().json()
    assert reply["status"] == "success", reply
    return reply["data"]["result"]


def settled_workers(stack: Stack, views: list[dict]) -> list[dict]:
    """GET /workers once every worker container has reported all the chunks the jobs credit it with."""
    expected: dict[str, int] = {}
    for view in views:
        for host, chunks in view["hosts"].items():
            expected[host] = expected.get(host, 0) + chunks

    def reported() -> list[dict] | None:
        workers = stack.api.get("/workers").raise_for_status().json()
        done = {w["host"]: w["chunks_done"] for w in workers}
        return workers if all(done.get(h) == n for h, n in expected.items()) else None

    return wait_for(reported, 60, "the workers' reports of the jobs' chunks")


def test_prometheus_scrapes_the_jobs_and_each_worker_containers_cpu(monitored: Monitored) -> None:
    stack, prometheus, views = monitored.stack, monitored.prometheus, monitored.views
    before = {w["host"]: w for w in settled_workers(stack, views)}
    after_before = time.time()  # every scrape that starts from now on reads reports at least this new

    def scraped_since() -> dict[str, tuple[float, float]] | None:
        """{container: (time, CPU seconds)} of the first scrape that began after `after_before`."""
        found = {}
        for series in promql(prometheus, "cpu_contrast_worker_cpu_seconds_total[5m]"):
            later = [(float(t), float(v)) for t, v in series["values"] if float(t) > after_before]
            if later:
                found[series["metric"]["container"]] = later[0]
        return found if set(found) >= set(before) else None

    scraped = wait_for(scraped_since, SCRAPES, "a scrape after the workers settled", interval=1)
    after = {w["host"]: w for w in stack.api.get("/workers").raise_for_status().json()}

    # The CPU of each worker container, labelled by its hostname (Docker's short id) and its service.
    hostnames = {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}
    assert set(scraped) == set(before) == hostnames
    for host, (_, cpu) in scraped.items():
        assert before[host]["cpu_seconds"] <= cpu <= after[host]["cpu_seconds"], host
        assert cpu > 0
    cpu = promql(prometheus, "cpu_contrast_worker_cpu_seconds_total")
    assert {s["metric"]["service"] for s in cpu} == {"worker"}

    # Job counts, exactly: accepted and finished by mode and kernel, as submitted.
    submitted: dict[tuple[str, str], int] = {}
    for body in JOBS:
        key = (body.get("mode", "local"), body["kernel"])
        submitted[key] = submitted.get(key, 0) + 1

    def by_mode_kernel(query: str) -> dict[tuple[str, str], float]:
        return {
            (s["metric"]["mode"], s["metric"]["kernel"]): float(s["value"][1])
            for s in promql(prometheus, query)
        }

    assert by_mode_kernel("sum by (mode, kernel) (cpu_contrast_jobs_accepted_total)") == submitted
    assert (
        by_mode_kernel('sum by (mode, kernel) (cpu_contrast_jobs_ended_total{status="finished"})')
        == submitted
    )
    assert by_mode_kernel("sum by (mode, kernel) (cpu_contrast_job_latency_seconds_count)") == submitted
    assert not promql(prometheus, 'cpu_contrast_jobs_ended_total{status!="finished"}')

    # Each container's jobs and chunks, as GET /workers shows them (settled: nothing runs any more).
    for field in ("jobs_done", "chunks_done"):
        per_container = {
            s["metric"]["container"]: float(s["value"][1])
            for s in promql(prometheus, f"cpu_contrast_worker_{field}_total")
        }
        assert per_container == {h: w[field] for h, w in after.items()}, field
    assert sum(w["jobs_done"] for w in after.values()) == sum(v["mode"] == "local" for v in views)
    queued = promql(prometheus, 'cpu_contrast_queue_jobs{state="queued"}')
    assert {s["metric"]["queue"]: float(s["value"][1]) for s in queued} == {"jobs": 0.0}

    # What one scrape costs, for the record (Prometheus times every scrape of its target).
    duration = promql(prometheus, 'max_over_time(scrape_duration_seconds{job="cpu-contrast"}[5m])')
    samples = promql(prometheus, 'scrape_samples_scraped{job="cpu-contrast"}')
    print(
        f"\nmetrics: slowest scrape {float(duration[0]['value'][1]) * 1000:.1f} ms, "
        f"{samples[0]['value'][1]} samples"
    )


def test_rq_dashboard_lists_our_workers_and_queue(monitored: Monitored) -> None:
    stack, dashboard = monitored.stack, monitored.dashboard
    page = dashboard.get("/")
    assert page.status_code == 200 and "RQ" in page.text
    queues = dashboard.get("/0/data/queues.json").raise_for_status().json()["queues"]
    assert "jobs" in {q["name"] for q in queues}
    workers = dashboard.get("/0/data/workers.json").raise_for_status().json()["workers"]
    hostnames = {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}
    # RQ names our workers <hostname>.<pid>.<token>; each listens on our queue, as LeanWorker.
    assert {w["name"].split(".", 1)[0] for w in workers} == hostnames
    assert all(w["queues"] == ["jobs"] for w in workers), workers
    # The finished queue entries are there too: a local job's entry has the job's id.
    finished = dashboard.get("/0/data/jobs/jobs/finished/100/asc/1.json").raise_for_status().json()["jobs"]
    local_ids = {v["id"] for v in monitored.views if v["mode"] == "local"}
    assert local_ids <= {j["id"] for j in finished}, finished
    # It took Redis's password from the secret volume: not from its environment or command line.
    password = (
        stack.docker.containers.list(filters={"label": label_filter(stack.project, "redis")})[0]
        .exec_run(["cat", "/secrets/redis-password"])
        .output.decode()
        .strip()
    )
    container = stack.containers("rq-dashboard")[0]
    shown = [*(container.attrs["Config"]["Env"] or []), *(container.attrs["Config"]["Cmd"] or [])]
    assert password and not any(password in item for item in shown)


def test_the_profiles_are_off_by_default_and_use_the_official_images(docker_client: object) -> None:
    assert not {"prometheus", "rq-dashboard"} & set(json.loads(official_config())["services"])
    services = json.loads(official_config(COMPOSE_PROFILES="monitoring,rq-dashboard"))["services"]
    assert services["prometheus"]["image"] == "prom/prometheus:v3.5.0"
    assert services["rq-dashboard"]["build"]["args"]["PYTHON_IMAGE"] == "python:3.13-slim"
    for name in ("prometheus", "rq-dashboard"):
        assert services[name]["read_only"] and services[name]["cap_drop"] == ["ALL"], name
        assert all(port["host_ip"] == "127.0.0.1" for port in services[name]["ports"]), name
