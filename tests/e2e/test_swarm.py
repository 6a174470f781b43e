"""`make swarm-up` on a single-node swarm: the compose stack deployed by `docker stack deploy`, loaded by
the unchanged `make load-test` (every job exact, CPU per task), workers scaled with `docker service scale`
up and back during a load (nothing lost), and `make swarm-down` leaving no service, secret, network or
volume, nor the swarm it started."""

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from services.tools.stack import stack_filter
from services.tools.swarm import node
from tests.e2e.conftest import REPO
from tests.helpers import free_port, require, wait_for

pytestmark = pytest.mark.e2e

WORKERS = 2
# Backstops for waits on events that do come (a test stuck on one fails instead of hanging), not speeds.
EVENT_SECONDS = 600


def make(target: str, variables: dict[str, str], timeout: float = 1200) -> subprocess.CompletedProcess:
    """`make TARGET VAR=value...`: on the command line, so that nothing in .env overrides them."""
    result = subprocess.run(
        ["make", "--no-print-directory", target, *(f"{k}={v}" for k, v in variables.items())],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "160", "HEALTHCHECK_INTERVAL": "2s"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    print(result.stdout[-6000:], result.stderr[-3000:])
    return result


def report(folder: Path) -> dict[str, Any]:
    (path,) = folder.glob("loadtest-*.json")
    return json.loads(path.read_text())


def leftovers(client: docker.DockerClient, stack: str) -> dict[str, list[str]]:
    """What is left of the stack on this engine, by kind (the swarm's own kinds only while in one)."""
    label = stack_filter(stack)
    found = {
        "containers": [c.name for c in client.containers.list(all=True, filters=label)],
        "networks": [n.name for n in client.networks.list(filters=label)],
        "volumes": [v.name for v in client.volumes.list(filters=label)],
    }
    if node.active(client):
        found["services"] = [s.name for s in client.services.list(filters=label)]
        found["secrets"] = [s.name for s in client.secrets.list(filters=label)]
    return found


@pytest.fixture(scope="module")
def swarm(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    """The stack on a swarm `make swarm-up` starts; the make variables that address it. Torn down always."""
    require(not node.active(docker_client), "an engine in no swarm (this test starts its own, and leaves it)")
    variables = {
        "COMPOSE_PROJECT_NAME": f"cpu-contrast-swarm-{os.getpid()}",
        "API_PORT": str(free_port()),
        "API_TOKEN": secrets.token_urlsafe(32),
        "WORKER_REPLICAS": str(WORKERS),
        "WORKER_CPUS": "1",
        # Empty beats one in .env: swarm-up generates the secret's password, as compose's stack does.
        "REDIS_PASSWORD": "",
    }
    try:
        assert make("swarm-up", variables).returncode == 0
        yield variables
    finally:
        if any(leftovers(docker_client, variables["COMPOSE_PROJECT_NAME"]).values()):
            make("swarm-down", variables)
        if node.active(docker_client):  # swarm-down failed: never leave a swarm behind
            docker_client.swarm.leave(force=True)


def scale(service: str, replicas: int) -> None:
    """`docker service scale`, which changes the replicas alone (the SDK's Service.scale sends the whole
    spec back, and swarm then replaces every task of the service as a rolling update)."""
    subprocess.run(["docker", "service", "scale", "--detach", f"{service}={replicas}"], check=True)


def api(variables: dict[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{variables['API_PORT']}",
        headers={"Authorization": f"Bearer {variables['API_TOKEN']}"},
        timeout=10,
    )


def test_the_stack_runs_on_swarm_with_its_password_from_swarm_secrets(
    swarm: dict[str, str], docker_client: docker.DockerClient
) -> None:
    stack = swarm["COMPOSE_PROJECT_NAME"]
    services = {s.name: s for s in docker_client.services.list(filters=stack_filter(stack))}
    assert set(services) == {f"{stack}_{name}" for name in ("redis", "api", "worker")}
    worker = services[f"{stack}_worker"].attrs["Spec"]
    assert worker["Mode"]["Replicated"]["Replicas"] == WORKERS
    assert worker["TaskTemplate"]["Resources"]["Limits"]["NanoCPUs"] == 10**9
    for service in services.values():
        mounted = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
        assert {s["File"]["Name"] for s in mounted} == {"/secrets/redis-password", "/secrets/redis.conf"}
        assert {s["SecretName"] for s in mounted} == {f"{stack}_redis-password", f"{stack}_redis-conf"}
    with api(swarm) as client:
        # The port binds every address, so the API wants its token: without it, 401.
        assert client.get("/workers", headers={"Authorization": ""}).status_code == 401

        def all_ready() -> dict | None:
            health = client.get("/health").raise_for_status().json()
            return health if health["workers_ready"] == WORKERS else None

        # Each task is healthy (its ready file fresh); the API counts it once its next report is in Redis.
        health = wait_for(all_ready, EVENT_SECONDS, "the workers' reports", interval=0.5)
    assert health["redis"] == "ok" and health["workers"] == WORKERS


@pytest.mark.parametrize("mode", ["local", "distributed"])
def test_make_load_test_against_the_swarm_stack(
    swarm: dict[str, str], docker_client: docker.DockerClient, mode: str, tmp_path: Path
) -> None:
    stack = swarm["COMPOSE_PROJECT_NAME"]
    result = make(
        "load-test", {**swarm, "JOBS": "20", "MODE": mode, "SIZE": "300000", "REPORTS": str(tmp_path)}
    )
    assert result.returncode == 0
    run = report(tmp_path)
    assert run["submitted"] == run["exact"] == 20 and run["lost"] == 0 and run["wrong"] == 0
    assert run["topology"]["workers"] == WORKERS
    # CPU per task: every swarm task's container, named <stack>_<service>.<slot>.<task id>, by service.
    tasks = docker_client.containers.list(filters=stack_filter(stack))
    sampled = {name for name, points in run["series"]["docker"].items() if points}
    assert {c.name for c in tasks} <= sampled
    assert all(c.name.startswith(f"{stack}_") for c in tasks)
    services = run["cpu"]["services"]
    assert set(services) == {"api", "redis", "worker"}
    # The worker service is its tasks added up: one container and one CPU each, busy under the load.
    worker = services["worker"]
    assert (worker["containers"], worker["cpu_limit"]) == (WORKERS, WORKERS * 1.0), worker
    assert worker["mean_percent"] > 0, worker


def test_scaling_workers_during_a_load_loses_nothing(
    swarm: dict[str, str], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    stack = swarm["COMPOSE_PROJECT_NAME"]
    service = docker_client.services.get(f"{stack}_worker")
    jobs = 40
    with api(swarm) as client:
        before = {w["host"]: w["chunks_done"] for w in client.get("/workers").raise_for_status().json()}
        load = subprocess.Popen(
            ["make", "--no-print-directory", "load-test",
             *(f"{k}={v}" for k, v in {**swarm, "JOBS": str(jobs), "MODE": "distributed",
                                       "REPORTS": str(tmp_path)}.items())],
            cwd=REPO, env={**os.environ, "COLUMNS": "160"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        try:

            def workers() -> dict[str, dict]:
                return {w["host"]: w for w in client.get("/workers").raise_for_status().json()}

            # The load has begun once the workers have taken chunks of it.
            wait_for(
                lambda: sum(w["chunks_done"] for w in workers().values()) > sum(before.values()) or None,
                EVENT_SECONDS,
                "the load's first chunks",
                interval=0.5,
            )
            scale(service.name, WORKERS + 1)
            # The new worker is ready and has taken chunks of this load.
            new = wait_for(
                lambda: (
                    [h for h, w in workers().items() if h not in before and w["ready"] and w["chunks_done"]]
                    or None
                ),
                EVENT_SECONDS,
                "a third worker taking chunks",
                interval=0.5,
            )
            assert load.poll() is None, "the load ended before the scale-down: nothing was tested"
            scale(service.name, WORKERS)
            output, _ = load.communicate(timeout=EVENT_SECONDS)
        finally:
            if load.poll() is None:
                load.kill()
    print(output[-6000:])
    assert load.returncode == 0
    run = report(tmp_path)
    assert run["submitted"] == run["exact"] == jobs and run["lost"] == 0 and run["wrong"] == 0
    assert set(new) <= set(run["jobs_per_host"])
    wait_for(
        lambda: len(service.tasks(filters={"desired-state": "running"})) == WORKERS or None,
        EVENT_SECONDS,
        "the scale-down",
        interval=0.5,
    )


def test_make_swarm_down_leaves_nothing_behind(
    swarm: dict[str, str], docker_client: docker.DockerClient
) -> None:
    """First with another service on the swarm (so swarm-down keeps the swarm, and what is left of the stack
    in it can be listed), then without: swarm-down leaves the swarm it started."""
    stack = swarm["COMPOSE_PROJECT_NAME"]
    image = docker_client.services.get(f"{stack}_redis").attrs["Spec"]["TaskTemplate"]["ContainerSpec"][
        "Image"
    ]
    other = docker_client.services.create(
        image,
        ["sleep", "infinity"],
        name=f"not-{stack}",
        mode=docker.types.ServiceMode("replicated", replicas=0),
    )
    try:
        assert make("swarm-down", swarm).returncode == 0
        assert node.active(docker_client)
        assert leftovers(docker_client, stack) == {
            "containers": [], "networks": [], "volumes": [], "services": [], "secrets": []
        }  # fmt: skip
    finally:
        other.remove()
    assert make("swarm-down", swarm).returncode == 0
    assert not node.active(docker_client)
    assert leftovers(docker_client, stack) == {"containers": [], "networks": [], "volumes": []}
    assert not docker_client.networks.list(names=[node.GATEWAY_BRIDGE])
