"""A real stack from docker-compose.yml: its own compose project, 2 CPU-limited workers, torn down always."""

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
import pytest

from services.tools.stack import label_filter
from tests.helpers import free_port, require, require_tool, wait_for

REPO = Path(__file__).resolve().parents[2]
# The stack's healthchecks run every 30 s so as not to eat the CPU it measures; these tests measure no
# speed and start many stacks, so theirs run every 2 s (`up --wait` returns about one interval in).
os.environ.setdefault("HEALTHCHECK_INTERVAL", "2s")
WORKER_REPLICAS = 2
WORKER_CPUS = 1


@dataclass
class Stack:
    project: str
    api: httpx.Client
    docker: docker.DockerClient

    def containers(self, service: str) -> list:
        return self.docker.containers.list(
            all=True,
            filters={"label": label_filter(self.project, service)},
        )


def compose(project: str, *args: str, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run `docker compose -p PROJECT ARGS` in the repo; raise with its output if it fails."""
    result = subprocess.run(
        ["docker", "compose", "-p", project, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    require_tool("docker")
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        require(False, f"a Docker engine ({exc})")
    require(
        subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0,
        "Docker Compose v2",
    )
    return client


@contextmanager
def running_stack(docker_client: docker.DockerClient, project: str, env: dict[str, str]) -> Iterator[Stack]:
    """`docker compose up` PROJECT with `env` (API_PORT included); logs on failure; always down."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{env['API_PORT']}", timeout=10)
    try:
        compose(project, "up", "-d", "--wait", "--build", env=env)
        wait_for(lambda: client.get("/health").status_code == 200 or None, 30, "API")
        yield Stack(project=project, api=client, docker=docker_client)
    except Exception:
        print(compose(project, "logs", "--no-color", "--tail", "200", env=env))
        raise
    finally:
        client.close()
        compose(project, "down", "-v", "--remove-orphans", "--timeout", "10", env=env)
        left = docker_client.containers.list(all=True, filters={"label": label_filter(project)})
        assert not left, f"containers left behind: {[c.name for c in left]}"


@pytest.fixture(scope="session")
def stack(docker_client: docker.DockerClient) -> Iterator[Stack]:
    env = {
        **os.environ,
        "API_PORT": str(free_port()),
        "WORKER_REPLICAS": str(WORKER_REPLICAS),
        "WORKER_CPUS": str(WORKER_CPUS),
        # Empty beats a password `make env` may have put in .env: the stack generates its own, as on a
        # fresh clone (test_remote_workers.py starts one with a password of its own).
        "REDIS_PASSWORD": "",
    }
    with running_stack(docker_client, f"cpu-contrast-e2e-{os.getpid()}", env) as started:
        yield started


@pytest.fixture(scope="session")
def exposed_stack(docker_client: docker.DockerClient) -> Iterator[tuple[Stack, str]]:
    """(stack, its API_TOKEN): published beyond loopback (API_BIND=0.0.0.0), so the token is required;
    one worker."""
    token = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "API_BIND": "0.0.0.0",
        "API_PORT": str(free_port()),
        "API_TOKEN": token,
        "WORKER_REPLICAS": "1",
        "REDIS_PASSWORD": "",
    }
    with running_stack(docker_client, f"cpu-contrast-exposed-{os.getpid()}", env) as started:
        yield started, token


def official_config(**env_vars: str) -> str:
    """`docker compose config` ignoring .env, i.e. what a user without stand-in images gets."""
    stand_ins = ("PYTHON_IMAGE", "REDIS_IMAGE", "PROMETHEUS_IMAGE", "PYTHON314_IMAGE", "REDIS_PASSWORD")
    env = {k: v for k, v in os.environ.items() if k not in stand_ins}
    env.update(env_vars)
    return compose(
        "config-check", "--env-file", os.devnull, "config", "--format", "json", env=env, timeout=60
    )
