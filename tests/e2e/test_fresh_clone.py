"""A fresh clone, no `.env`, no step before it: `docker compose up -d --wait` starts a healthy stack whose
Redis has a password generated inside it, serves an exact answer, and shows the password nowhere."""

import contextlib
import os
import subprocess
import uuid
from pathlib import Path

import docker
import httpx
import pytest

from services.tools.stack import SERVICE_LABEL, label_filter
from tests.e2e.conftest import REPO
from tests.helpers import free_port, submit, wait_for_job
from tests.reference import PRIMES_BELOW_1E6

pytestmark = pytest.mark.e2e

# What a machine with no registry (ours) must tell compose; nothing else comes from the caller.
IMAGE_OVERRIDES = ("PYTHON_IMAGE", "REDIS_IMAGE")
# What the Docker client itself needs to find the engine.
DOCKER_CLIENT = ("DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")


def image_overrides() -> dict[str, str]:
    """PYTHON_IMAGE and REDIS_IMAGE from the environment (`make` exports them from .env), else from
    this checkout's .env, where `make offline-images` records them."""
    found = {name: os.environ[name] for name in IMAGE_OVERRIDES if os.environ.get(name)}
    env_file = REPO / ".env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            name, _, value = line.partition("=")
            if name in IMAGE_OVERRIDES and value:
                found.setdefault(name, value)
    return found


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def test_a_fresh_clone_starts_with_a_generated_password(docker_client: docker.DockerClient, tmp_path) -> None:
    head = run(["git", "rev-parse", "HEAD"], REPO, dict(os.environ)).strip()
    clone = tmp_path / "cpu-contrast"
    run(["git", "clone", "--quiet", str(REPO), str(clone)], tmp_path, dict(os.environ))
    run(["git", "checkout", "--quiet", head], clone, dict(os.environ))
    assert not (clone / ".env").exists()

    tag = uuid.uuid4().hex[:12]
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        **{name: os.environ[name] for name in DOCKER_CLIENT if name in os.environ},
        **image_overrides(),
        "HEALTHCHECK_INTERVAL": "2s",
        # Not the user's choices but this shared machine's: port 8000 and the default image names may
        # belong to a stack someone else runs here.
        "API_PORT": str(port),
        "API_IMAGE": f"cpu-contrast-api:fresh-{tag}",
        "WORKER_IMAGE": f"cpu-contrast-worker:fresh-{tag}",
    }
    project = f"cpu-contrast-e2e-fresh-{tag}"
    compose = ["docker", "compose", "-p", project]
    try:
        run([*compose, "up", "-d", "--wait"], clone, env)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:
            body = {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}}
            view = wait_for_job(api, submit(api, body))
            assert view["status"] == "finished", view
            assert view["result"]["count"] == PRIMES_BELOW_1E6 == 78_498
            health = api.get("/health").json()
            assert health["workers_ready"] == health["workers"] == 2, health

        containers = docker_client.containers.list(all=True, filters={"label": label_filter(project)})
        services = sorted(c.labels[SERVICE_LABEL] for c in containers)
        assert services == ["api", "redis", "redis-secret", "worker", "worker"]
        (redis,) = [c for c in containers if c.labels[SERVICE_LABEL] == "redis"]
        code, output = redis.exec_run(["cat", "/secrets/redis-password"])
        password = output.decode().strip()
        assert code == 0 and len(password) == 43, code
        for container in containers:
            config = container.attrs["Config"]
            shown = [*(config["Env"] or []), *(config["Cmd"] or []), *(config["Entrypoint"] or [])]
            shown += [container.attrs["Path"], *container.attrs["Args"]]
            assert not any(password in item for item in shown), container.name

        # Where to go, in the API's log, as the host reaches it.
        logs = run([*compose, "logs", "--no-color"], clone, env)
        url = f"http://127.0.0.1:{port}"
        assert f"cpu-contrast is up: the dashboard at {url}/ and the API docs at {url}/docs" in logs
        assert password not in logs
    except Exception:
        print(
            subprocess.run(
                [*compose, "logs", "--no-color", "--tail", "100"],
                cwd=clone,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
        )
        raise
    finally:
        subprocess.run(
            [*compose, "down", "-v", "--remove-orphans", "--timeout", "10"],
            cwd=clone,
            env=env,
            capture_output=True,
        )
        for image in (env["API_IMAGE"], env["WORKER_IMAGE"]):
            with contextlib.suppress(docker.errors.ImageNotFound):
                docker_client.images.remove(image)
        left = docker_client.containers.list(all=True, filters={"label": label_filter(project)})
        assert not left, f"containers left behind: {[c.name for c in left]}"
