"""The Redis pod's own commands, as deploy/k8s renders them, run against a real redis-server on loopback:
the init container's script turns the Secret's password into Redis's config (and refuses a bad one),
Redis starts with the container's arguments, and its probe is healthy only when it gets PONG.

Kubernetes itself is not here: the pod's paths (/secrets, /conf, /data) are moved under a temporary
folder, and Redis listens on a free loopback port, which its probe's redis-cli is pointed at.
"""

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from services.tools.local_stack import free_port, stop
from tests.deploy.test_k8s import render, workloads
from tests.helpers import BACKSTOP, require_tool, wait_for

pytestmark = pytest.mark.integration


class Pod:
    """The Redis pod's volumes, under a temporary folder."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        for folder in ("secrets", "conf", "data"):
            (root / folder).mkdir()

    def moved(self, text: str) -> str:
        """A command of the pod, with its paths under the temporary folder and redis-cli on our port."""
        for folder in ("/secrets/", "/conf/"):
            text = text.replace(folder, f"{self.root}{folder}")
        return text.replace("redis-cli ping", f"redis-cli -p {self.port} ping")

    def run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.moved(word) for word in command], capture_output=True, text=True)


@pytest.fixture
def spec() -> dict[str, Any]:
    return workloads(render("base"))["redis"]["spec"]["template"]["spec"]


@pytest.fixture
def pod(tmp_path: Path) -> Pod:
    require_tool("redis-server")
    require_tool("redis-cli")
    return Pod(tmp_path, free_port())


def init_command(spec: dict[str, Any]) -> list[str]:
    (init,) = spec["initContainers"]
    return init["command"]


def redis_container(spec: dict[str, Any]) -> dict[str, Any]:
    (found,) = spec["containers"]
    return found


@pytest.fixture
def server(spec: dict[str, Any], pod: Pod) -> Iterator[str]:
    """Redis, started with the init container's config and the container's arguments; its password."""
    password = secrets.token_hex(16)
    (pod.root / "secrets" / "redis-password").write_text(password)
    assert pod.run(init_command(spec)).returncode == 0
    args = [pod.moved(word) for word in redis_container(spec)["args"]]
    args[args.index("--dir") + 1] = str(pod.root / "data")
    proc = subprocess.Popen(
        [require_tool(args[0]), *args[1:], "--port", str(pod.port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=pod.port, password=password)
        wait_for(lambda: client.ping() or None, BACKSTOP, "redis-server")
        yield password
    finally:
        stop([proc])


def test_the_init_container_writes_the_password_into_redis_config(spec: dict[str, Any], pod: Pod) -> None:
    (pod.root / "secrets" / "redis-password").write_text("pw-1.x_~")
    result = pod.run(init_command(spec))
    assert result.returncode == 0, result.stderr
    assert (pod.root / "conf" / "redis.conf").read_text() == "requirepass pw-1.x_~\n"


def test_the_init_container_refuses_a_password_redis_conf_cannot_hold(spec: dict[str, Any], pod: Pod) -> None:
    (pod.root / "secrets" / "redis-password").write_text("a b\nrequirepass x")
    result = pod.run(init_command(spec))
    assert result.returncode == 1
    assert "may hold only" in result.stderr
    assert not (pod.root / "conf" / "redis.conf").exists()


def test_redis_wants_the_password_and_its_probe_is_healthy_only_with_it(
    spec: dict[str, Any], pod: Pod, server: str
) -> None:
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=pod.port).ping()
    config = redis.Redis(port=pod.port, password=server).config_get("maxmemory-policy")
    assert config == {"maxmemory-policy": "volatile-lru"}
    probes = redis_container(spec)
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert pod.run(probes[kind]["exec"]["command"]).returncode == 0, kind
    # redis-cli exits 0 on a refused password too: the probe must not.
    (pod.root / "secrets" / "redis-password").write_text("wrong")
    assert pod.run(probes["readinessProbe"]["exec"]["command"]).returncode != 0
