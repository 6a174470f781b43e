"""The whole stack in real containers: jobs over HTTP finish with exact answers on CPU-limited workers."""

import json

import pytest

from tests.e2e.conftest import WORKER_CPUS, WORKER_REPLICAS, Stack, official_config
from tests.helpers import submit, wait_for_job
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6

pytestmark = pytest.mark.e2e


def test_primes_below_a_million_in_a_worker_container(stack: Stack) -> None:
    view = wait_for_job(
        stack.api, submit(stack.api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}})
    )
    assert view["status"] == "finished", view
    assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
    worker_hosts = {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}
    ((host, _chunks),) = view["hosts"].items()
    assert host in worker_hosts
    # The pool follows the container's CPU quota (1 CPU), not the host's 2 cores.
    assert view["pool_processes"] == {host: WORKER_CPUS}


def test_jobs_are_spread_over_the_worker_containers(stack: Stack) -> None:
    job_ids = [
        submit(stack.api, {"kernel": "primes", "params": {"start": 0, "stop": 400_000}}) for _ in range(6)
    ]
    views = [wait_for_job(stack.api, job_id) for job_id in job_ids]
    assert [v["result"]["count"] for v in views] == [33_860] * 6
    worker_hosts = {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}
    assert len(worker_hosts) == WORKER_REPLICAS
    assert {host for v in views for host in v["hosts"]} == worker_hosts


@pytest.mark.parametrize("mode", ["distributed", "hybrid"])
def test_chunks_of_one_job_spread_over_the_containers(stack: Stack, mode: str) -> None:
    body = {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}, "mode": mode, "chunk_size": 50_000}
    view = wait_for_job(stack.api, submit(stack.api, body))
    assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
    worker_hosts = {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}
    assert set(view["hosts"]) == worker_hosts
    assert sum(view["hosts"].values()) == 20


def test_workers_report_their_container_cpu(stack: Stack) -> None:
    from tests.helpers import wait_for

    worker_hosts = {c.attrs["Config"]["Hostname"] for c in stack.containers("worker")}
    reports = wait_for(
        lambda: (
            (r := stack.api.get("/workers").json()) and {x["host"] for x in r} == worker_hosts and r or None
        ),
        15,
        "worker reports",
    )
    for report in reports:
        assert report["cpu_quota"] == WORKER_CPUS
        assert report["pool_processes"] == WORKER_CPUS
        assert report["cpu_seconds"] > 0


def test_pi_in_containers_matches_the_host(stack: Stack) -> None:
    from shared.kernels.pi import count_hits

    view = wait_for_job(
        stack.api, submit(stack.api, {"kernel": "pi", "params": {"samples": 200_000, "seed": 11}})
    )
    assert view["result"]["count"] == count_hits(11, 0, 200_000).count


def test_bad_input_is_refused_by_the_containerised_api(stack: Stack) -> None:
    response = stack.api.post("/jobs", json={"kernel": "primes", "params": {"start": 10, "stop": 1}})
    assert response.status_code == 422
    assert "stop must be greater than start" in response.text
    assert stack.api.get("/jobs/nope").status_code == 404


def test_containers_are_limited_unprivileged_and_redis_is_not_published(stack: Stack) -> None:
    workers = stack.containers("worker")
    assert len(workers) == WORKER_REPLICAS
    for container in workers:
        assert container.attrs["HostConfig"]["NanoCpus"] == WORKER_CPUS * 10**9
        assert container.attrs["HostConfig"]["Init"] is True
    for service in ("api", "worker"):
        for container in stack.containers(service):
            assert container.attrs["Config"]["User"] == "10001:10001"
    (redis,) = stack.containers("redis")
    assert not any(redis.attrs["NetworkSettings"]["Ports"].get("6379/tcp") or [])
    (api,) = stack.containers("api")
    assert api.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostIp"] == "127.0.0.1"
    for container in workers + [redis, api]:
        assert not any("docker.sock" in m.get("Source", "") for m in container.attrs["Mounts"])


def test_compose_defaults_to_the_official_images(docker_client: object) -> None:
    config = json.loads(official_config())
    services = config["services"]
    assert services["redis"]["image"] == services["redis-secret"]["image"] == "redis:8"
    for name in ("api", "worker"):
        assert services[name]["build"]["args"]["PYTHON_IMAGE"] == "python:3.13-slim"
    # The subinterpreters row's image: the worker's Dockerfile on the official 3.14, built only by the tools.
    assert "worker-py314" not in services
    py314 = json.loads(official_config(COMPOSE_PROFILES="py314"))["services"]["worker-py314"]
    assert py314["build"]["args"]["PYTHON_IMAGE"] == "python:3.14-slim"
    assert py314["build"]["dockerfile"] == services["worker"]["build"]["dockerfile"] == "worker/Dockerfile"
    # The queue peers' images (make compare PEERS=...): on the same official Python, built only by the tools.
    for profile, service in (
        ("celery", "celery-worker"),
        ("dramatiq", "dramatiq-worker"),
        ("dask", "dask-scheduler"),
    ):
        assert service not in services
        peer = json.loads(official_config(COMPOSE_PROFILES=profile))["services"][service]
        assert peer["build"]["args"]["PYTHON_IMAGE"] == "python:3.13-slim", profile
        assert peer["build"]["dockerfile"] == f"services/peers/{profile}/Dockerfile"
    assert services["redis"].get("ports") is None
