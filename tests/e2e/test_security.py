"""The stack's security settings in real containers: Redis wants its password even on the compose
network, the password stays out of the logs, and every container is locked down."""

import pytest

from tests.e2e.conftest import Stack, compose, official_config
from tests.helpers import submit, wait_for_job

pytestmark = pytest.mark.e2e

# What the official image's entrypoint needs to hand /data to the redis user and switch to it.
REDIS_ENTRYPOINT_CAPS = {"CHOWN", "SETUID", "SETGID", "SETPCAP"}


def redis_password(stack: Stack) -> str:
    """The password the stack's Redis was started with (from its container's environment)."""
    (container,) = stack.containers("redis")
    env = dict(line.split("=", 1) for line in container.attrs["Config"]["Env"])
    return env["REDISCLI_AUTH"]


def exec_in(stack: Stack, service: str, *command: str) -> tuple[int, str]:
    """Run `command` in the service's (first) container; its exit code and output."""
    container = stack.containers(service)[0]
    exit_code, output = container.exec_run(list(command))
    return exit_code, output.decode()


def test_redis_refuses_clients_without_the_password_inside_the_network(stack: Stack) -> None:
    # redis-cli in the Redis container itself, once without the password its environment gives it.
    code, output = exec_in(stack, "redis", "env", "-u", "REDISCLI_AUTH", "redis-cli", "ping")
    assert "NOAUTH" in output, (code, output)
    code, output = exec_in(stack, "redis", "env", "REDISCLI_AUTH=wrong", "redis-cli", "ping")
    assert "WRONGPASS" in output, (code, output)
    assert exec_in(stack, "redis", "redis-cli", "ping") == (0, "PONG\n")
    # A neighbour on the compose network (the API container) that knows the address but not the password.
    probe = (
        "import redis\n"
        "try:\n"
        "    redis.Redis(host='redis', socket_timeout=5).ping()\n"
        "except redis.exceptions.AuthenticationError as exc:  # NOAUTH\n"
        "    print('refused:', exc)\n"
    )
    code, output = exec_in(stack, "api", "python", "-c", probe)
    assert code == 0 and output.startswith("refused:"), (code, output)
    # ... while the API, which has the password, still serves jobs end to end.
    view = wait_for_job(
        stack.api, submit(stack.api, {"kernel": "primes", "params": {"start": 0, "stop": 100_000}})
    )
    assert view["result"]["count"] == 9_592


def test_no_container_logs_the_redis_password(stack: Stack) -> None:
    password = redis_password(stack)
    assert len(password) >= 16
    # Make every service log something past start-up: a job through the API and a worker.
    wait_for_job(stack.api, submit(stack.api, {"kernel": "pi", "params": {"samples": 10_000, "seed": 1}}))
    logs = compose(stack.project, "logs", "--no-color")
    assert "redis" in logs and "api" in logs and "worker" in logs
    assert password not in logs


def test_containers_are_read_only_without_capabilities_and_limited(stack: Stack) -> None:
    for service in ("redis", "api", "worker"):
        for container in stack.containers(service):
            host = container.attrs["HostConfig"]
            assert host["ReadonlyRootfs"] is True, service
            assert "/tmp" in (host["Tmpfs"] or {}), service
            assert host["CapDrop"] == ["ALL"], service
            assert "no-new-privileges:true" in host["SecurityOpt"], service
            assert host["Memory"] > 0, service
            assert host["PidsLimit"] > 0, service
            expected_caps = REDIS_ENTRYPOINT_CAPS if service == "redis" else set()
            assert {cap.removeprefix("CAP_") for cap in host["CapAdd"] or []} == expected_caps, service
    # The root filesystem refuses writes; /tmp (the forkserver's socket directory) takes them.
    code, output = exec_in(stack, "worker", "touch", "/app/probe")
    assert code != 0 and "Read-only file system" in output, output
    assert exec_in(stack, "worker", "touch", "/tmp/probe")[0] == 0
    # Redis still persists to its volume.
    assert exec_in(stack, "redis", "redis-cli", "bgrewriteaof")[0] == 0


def test_compose_refuses_to_start_without_a_redis_password(docker_client: object) -> None:
    with pytest.raises(RuntimeError, match="REDIS_PASSWORD is not set: run `make env`"):
        official_config()


def test_api_and_workers_get_the_password_in_their_redis_url(stack: Stack) -> None:
    password = redis_password(stack)
    for service in ("api", "worker"):
        env = dict(line.split("=", 1) for line in stack.containers(service)[0].attrs["Config"]["Env"])
        assert env["REDIS_URL"] == f"redis://:{password}@redis:6379/0"
    # The password really is the one: an authenticated client from the API container gets PONG.
    probe = f"import redis; print(redis.Redis(host='redis', password='{password}').ping())"
    assert exec_in(stack, "api", "python", "-c", probe) == (0, "True\n")
