"""Only Redis and the API in containers (`docker compose up redis api`): the API is healthy and says no
worker is ready; `make load-test` and `make chaos` say nobody consumes the queue, wait visibly, then stop."""

import os
import time

import docker
import pytest

from services.tools.preflight import NOT_READY
from tests.e2e.conftest import running_stack
from tests.e2e.test_load_and_compare import make
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


def test_make_load_test_and_chaos_say_no_worker_is_consuming(docker_client: docker.DockerClient) -> None:
    env = {**os.environ, "API_PORT": str(free_port()), "WORKER_REPLICAS": "0", "REDIS_PASSWORD": ""}
    with running_stack(docker_client, f"cpu-contrast-e2e-noworkers-{os.getpid()}", env) as stack:
        assert stack.containers("worker") == []
        health = stack.api.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "redis": "ok", "workers": 0, "workers_ready": 0}
        tools = {"API_PORT": env["API_PORT"], "COMPOSE_PROJECT_NAME": stack.project}
        for target, prog in (("load-test", "load-test"), ("chaos", "chaos")):
            started = time.monotonic()
            result = make(target, tools, "WAIT_WORKERS=3", "JOBS=1")
            elapsed = time.monotonic() - started
            assert result.returncode == NOT_READY, target
            assert f"{prog}: no worker is consuming the queue (the API at http://127.0.0.1:" in result.stdout
            assert "waiting up to 3 s for one" in result.stdout
            (refusal,) = [line for line in result.stderr.splitlines() if line.startswith(f"{prog}:")]
            assert refusal.startswith(f"{prog}: no worker is consuming the queue after 3 s"), refusal
            assert refusal.endswith("start them with `make up` (or `docker compose up -d worker`)")
            assert elapsed >= 3, elapsed  # it waited the bound
        # Nothing was submitted.
        assert stack.api.get("/dashboard").json()["statuses"] == {}
