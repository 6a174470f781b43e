"""Workers on other hosts: docker-compose.workers.yml, as a second compose project on its own network,
joins a stack whose Redis is published (docker-compose.publish-redis.yml) and does all of its jobs."""

import ipaddress
import json
import os
import secrets
import socket
import subprocess

import docker
import pytest

from services.tools.stack import label_filter
from tests.e2e.conftest import REPO, Stack, compose, running_stack
from tests.helpers import free_port, submit, wait_for_job
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6

pytestmark = pytest.mark.e2e

REMOTE_WORKERS = 2


def bridge_gateway(docker_client: docker.DockerClient) -> str:
    """The Docker host's address on the default bridge: what `host-gateway` resolves to in containers."""
    (config,) = docker_client.networks.get("bridge").attrs["IPAM"]["Config"]
    # Engine 20.10 may give only the subnet; docker0 then takes its first address.
    return config.get("Gateway") or str(ipaddress.ip_network(config["Subnet"])[1])


def free_port_on(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def test_workers_file_needs_redis_url_and_defaults_to_the_official_image(docker_client) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_IMAGE", "REDIS_URL")}
    args = ("-f", "docker-compose.workers.yml", "--env-file", os.devnull, "config", "--format", "json")
    with pytest.raises(RuntimeError, match="set REDIS_URL="):
        compose("config-check", *args, env=env, timeout=60)
    config = json.loads(compose("config-check", *args, env={**env, "REDIS_URL": "redis://:pw@h:1/0"}))
    assert set(config["services"]) == {"worker"}
    worker = config["services"]["worker"]
    assert worker["build"]["args"]["PYTHON_IMAGE"] == "python:3.13-slim"
    assert worker["environment"]["REDIS_URL"] == "redis://:pw@h:1/0"
    assert worker["read_only"] is True and worker["cap_drop"] == ["ALL"]


def test_workers_of_a_second_project_take_every_job(docker_client: docker.DockerClient) -> None:
    # Published on the bridge gateway, in this test only: 127.0.0.1 would not be reachable from
    # containers through host-gateway. A password of its own: REDIS_PASSWORD wins over a generated one.
    gateway = bridge_gateway(docker_client)
    redis_port = free_port_on(gateway)
    password = secrets.token_urlsafe(24)
    main_env = {
        **os.environ,
        "COMPOSE_FILE": "docker-compose.yml:docker-compose.publish-redis.yml",
        "REDIS_PUBLISH": f"{gateway}:{redis_port}",
        "REDIS_PASSWORD": password,
        "API_PORT": str(free_port()),
        # No workers of its own: every job must be done by the other project's.
        "WORKER_REPLICAS": "0",
    }
    remote = f"cpu-contrast-e2e-remote-{os.getpid()}"
    remote_env = {
        **os.environ,
        "COMPOSE_FILE": "docker-compose.workers.yml",
        "REDIS_URL": f"redis://:{password}@host.docker.internal:{redis_port}/0",
        "WORKER_REPLICAS": str(REMOTE_WORKERS),
        "WORKER_CPUS": "1",
    }
    with running_stack(docker_client, f"cpu-contrast-e2e-main-{os.getpid()}", main_env) as stack:
        try:
            assert stack.containers("worker") == []
            # What the stack's host gives the other hosts' operator, on purpose: the password in use.
            printed = subprocess.run(
                ["make", "-s", "redis-password"],
                cwd=REPO,
                env={**main_env, "COMPOSE_PROJECT_NAME": stack.project},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert printed == password + "\n"
            compose(remote, "up", "-d", "--wait", "--build", env=remote_env)
            workers = Stack(project=remote, api=stack.api, docker=docker_client).containers("worker")
            assert len(workers) == REMOTE_WORKERS
            remote_hosts = {c.attrs["Config"]["Hostname"] for c in workers}
            # Their own network: nothing shared with the main stack but the published port.
            (redis_container,) = stack.containers("redis")
            main_networks = set(redis_container.attrs["NetworkSettings"]["Networks"])
            for container in workers:
                assert not set(container.attrs["NetworkSettings"]["Networks"]) & main_networks

            view = wait_for_job(
                stack.api, submit(stack.api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}})
            )
            assert view["status"] == "finished", view
            assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
            assert set(view["hosts"]) <= remote_hosts

            body = {
                "kernel": "primes",
                "params": {"start": 0, "stop": 1_000_000},
                "mode": "distributed",
                "chunk_size": 50_000,
            }
            view = wait_for_job(stack.api, submit(stack.api, body))
            assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
            assert set(view["hosts"]) == remote_hosts
            assert sum(view["hosts"].values()) == 20
        except Exception:
            print(compose(remote, "logs", "--no-color", "--tail", "200", env=remote_env))
            raise
        finally:
            compose(remote, "down", "-v", "--remove-orphans", "--timeout", "10", env=remote_env)
            left = docker_client.containers.list(all=True, filters={"label": label_filter(remote)})
            assert not left, f"containers left behind: {[c.name for c in left]}"
