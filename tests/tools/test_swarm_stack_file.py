"""The swarm stack file derived from `docker compose config` (services/tools/swarm/stack_file.py): what
Docker 20.10's `docker stack deploy` would ignore or refuse is converted, and the secret volume becomes
swarm secrets at the same paths. No engine needed: compose's CLI renders the config."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.tools.swarm.stack_file import Unsupported, removal_waves, stack_file
from tests.helpers import require

REPO = Path(__file__).resolve().parents[2]
STACK = "st"


def config(**env_vars: str) -> dict[str, Any]:
    """`docker compose config` with `env_vars` and no .env (the official images' defaults)."""
    require(
        subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0,
        "Docker Compose v2",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "API_", "COMPOSE_"))}
    env.update(env_vars)
    result = subprocess.run(
        ["docker", "compose", "--env-file", os.devnull, "config", "--format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return stack_file(
        config(API_PORT="8201", API_TOKEN="t0k", WORKER_CPUS="1", WORKER_SHM_SIZE="256m"), STACK
    )


def test_the_secret_volume_becomes_swarm_secrets_at_the_same_paths(document: dict[str, Any]) -> None:
    assert document["version"] == "3.9"
    assert set(document["services"]) == {"redis", "api", "worker"}  # the one-shot redis-secret is gone
    names = {f"{STACK}_redis-password", f"{STACK}_redis-conf"}
    assert document["secrets"] == {name: {"external": True} for name in names}
    for name, service in document["services"].items():
        assert {(s["source"], s["target"]) for s in service["secrets"]} == {
            (f"{STACK}_redis-password", "/secrets/redis-password"),
            (f"{STACK}_redis-conf", "/secrets/redis.conf"),
        }, name
        assert all(v.get("source") != "redis-secret" for v in service.get("volumes", [])), name
    assert document["volumes"] == {"redis-data": {}}
    assert document["services"]["redis"]["command"][:2] == ["redis-server", "/secrets/redis.conf"]


def test_what_swarm_ignores_is_converted_or_dropped(document: dict[str, Any]) -> None:
    for name, service in document["services"].items():
        assert not set(service) & {
            "build",
            "depends_on",
            "restart",
            "tmpfs",
            "shm_size",
            "cpuset",
            "cpu_shares",
            "security_opt",
            "networks",
        }, name
        # compose's tmpfs /tmp as a mount swarm applies, its size kept.
        assert {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 64 * 2**20}} in service["volumes"], name
        assert service["deploy"]["endpoint_mode"] == "dnsrr", name
    worker = document["services"]["worker"]
    assert {"type": "tmpfs", "target": "/dev/shm", "tmpfs": {"size": 256 * 2**20}} in worker["volumes"]
    assert worker["deploy"]["resources"]["limits"]["cpus"] == "1"
    assert worker["deploy"]["replicas"] == 2 and worker["init"] is True
    # Every variable substituted: the stack deploy reads no .env.
    assert "${" not in json.dumps(document).replace("$${", "")


def test_the_published_api_says_it_is_on_every_address(document: dict[str, Any]) -> None:
    api = document["services"]["api"]
    assert api["ports"] == [{"target": 8000, "published": 8201, "protocol": "tcp", "mode": "host"}]
    assert api["environment"]["API_BIND"] == "0.0.0.0" and api["environment"]["API_TOKEN"] == "t0k"


def test_no_quota_is_no_cpu_limit_and_pinning_is_refused() -> None:
    unlimited = stack_file(config(WORKER_CPUS="0"), STACK)["services"]["worker"]["deploy"]["resources"]
    assert "cpus" not in unlimited["limits"]
    with pytest.raises(Unsupported, match="WORKER_CPUSET"):
        stack_file(config(WORKER_CPUSET="0"), STACK)


def test_the_routing_mesh_keeps_swarms_virtual_ip() -> None:
    document = stack_file(config(), STACK, publish_mode="ingress")
    assert document["services"]["api"]["ports"][0]["mode"] == "ingress"
    assert "endpoint_mode" not in document["services"]["api"]["deploy"]


def test_a_placement_in_the_compose_file_is_carried() -> None:
    """Redis's data volume is local to its node: a constraint pinning it there must reach the swarm."""
    compose = config()
    compose["services"]["redis"]["deploy"]["placement"] = {"constraints": ["node.hostname == db"]}
    deploy = stack_file(compose, STACK)["services"]["redis"]["deploy"]
    assert deploy["placement"] == {"constraints": ["node.hostname == db"]}
    assert "placement" not in stack_file(config(), STACK)["services"]["redis"]["deploy"]


def test_swarm_down_stops_the_dependants_before_redis() -> None:
    """swarm removes services at once; a worker whose Redis went first waits out its stop grace period."""
    waves = removal_waves(config())
    assert waves == [["api", "worker"], ["redis"], ["redis-secret"]]
