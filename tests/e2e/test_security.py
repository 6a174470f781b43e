"""The stack's security settings in real containers: Redis wants its password even on the compose
network, the password stays out of the logs, and every container is locked down."""

import json
import re

import pytest

from services.tools.stack import SERVICE_LABEL, label_filter
from tests.e2e.conftest import Stack, compose, official_config
from tests.helpers import submit, wait_for_job

pytestmark = pytest.mark.e2e

# What the official image's entrypoint needs to hand /data to the redis user and switch to it.
REDIS_ENTRYPOINT_CAPS = {"CHOWN", "SETUID", "SETGID", "SETPCAP"}


def redis_password(stack: Stack) -> str:
    """The password the stack's Redis was started with: the one redis-secret generated into its volume."""
    code, output = exec_in(stack, "redis", "cat", "/secrets/redis-password")
    assert code == 0, output
    return output.strip()


def redis_cli(stack: Stack, *args: str) -> tuple[int, str]:
    """redis-cli in the Redis container, authenticated as its healthcheck is (bash reads the file)."""
    script = 'REDISCLI_AUTH=$(</secrets/redis-password) && export REDISCLI_AUTH && exec redis-cli "$@"'
    return exec_in(stack, "redis", "bash", "-c", script, "redis-cli", *args)


def exec_in(stack: Stack, service: str, *command: str) -> tuple[int, str]:
    """Run `command` in the service's (first) container; its exit code and output."""
    container = stack.containers(service)[0]
    exit_code, output = container.exec_run(list(command))
    return exit_code, output.decode()


def test_redis_refuses_clients_without_the_password_inside_the_network(stack: Stack) -> None:
    # redis-cli in the Redis container itself: nothing in its environment authenticates it ...
    code, output = exec_in(stack, "redis", "redis-cli", "ping")
    assert "NOAUTH" in output, (code, output)
    code, output = exec_in(stack, "redis", "env", "REDISCLI_AUTH=wrong", "redis-cli", "ping")
    assert "WRONGPASS" in output, (code, output)
    # ... the password file does, as in the healthcheck.
    assert redis_cli(stack, "ping") == (0, "PONG\n")
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
    for service in ("redis-secret", "redis", "api", "worker"):
        assert stack.containers(service), service
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
    assert redis_cli(stack, "bgrewriteaof")[0] == 0
    # The secret's volume is read-only to all but its one-shot writer.
    for service in ("redis", "api", "worker"):
        code, output = exec_in(stack, service, "touch", "/secrets/probe")
        assert code != 0 and "Read-only file system" in output, (service, output)


def test_compose_needs_no_password_and_its_config_holds_none(docker_client: object) -> None:
    """What a fresh clone's `docker compose up` gets (no .env): a valid stack with no password in it."""
    config = json.loads(official_config())
    services = config["services"]
    assert services["redis"]["depends_on"]["redis-secret"]["condition"] == "service_completed_successfully"
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["REDIS_PASSWORD_FILE"] == "/secrets/redis-password"
        assert services[name]["depends_on"]["redis-secret"]["condition"] == "service_completed_successfully"
    assert "REDISCLI_AUTH" not in (services["redis"].get("environment") or {})
    assert not any("requirepass" in arg for arg in services["redis"]["command"])
    assert services["redis-secret"]["environment"]["REDIS_PASSWORD"] == ""


def test_the_password_is_in_no_container_environment_or_command_line(stack: Stack) -> None:
    password = redis_password(stack)
    # Generated: 43 letters and digits, from the kernel's generator.
    assert re.fullmatch(r"[A-Za-z0-9]{43}", password), len(password)
    containers = stack.docker.containers.list(all=True, filters={"label": label_filter(stack.project)})
    assert {c.labels[SERVICE_LABEL] for c in containers} == {
        "redis-secret",
        "redis",
        "api",
        "worker",
    }
    for container in containers:
        config = container.attrs["Config"]
        shown = [*(config["Env"] or []), *(config["Cmd"] or []), *(config["Entrypoint"] or [])]
        shown += [container.attrs["Path"], *container.attrs["Args"]]
        assert not any(password in item for item in shown), container.name
    # The password really is the one: an authenticated client from the API container gets PONG.
    probe = f"import redis; print(redis.Redis(host='redis', password='{password}').ping())"
    assert exec_in(stack, "api", "python", "-c", probe) == (0, "True\n")


def queued_and_records(stack: Stack) -> tuple[int, int]:
    """(entries in the jobs queue, job records) in the stack's Redis."""
    code, length = redis_cli(stack, "llen", "rq:queue:jobs")
    assert code == 0, length
    code, keys = redis_cli(stack, "--scan", "--pattern", "cpuc:job:*")
    assert code == 0, keys
    return int(length), sum(1 for key in keys.split() if key.count(":") == 2)


def test_an_exposed_stack_refuses_requests_without_its_token(exposed_stack: tuple[Stack, str]) -> None:
    stack, token = exposed_stack
    body = {"kernel": "primes", "params": {"start": 0, "stop": 100_000}}
    # The healthcheck's route stays open: the stack came up healthy with it.
    assert stack.api.get("/health").status_code == 200
    before = queued_and_records(stack)
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        response = stack.api.post("/jobs", json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert stack.api.post("/jobs/batch", json={"jobs": [body]}, headers=headers).status_code == 401
        assert stack.api.get("/workers", headers=headers).status_code == 401
    assert queued_and_records(stack) == before
    # With the token: accepted, and answered exactly.
    authorized = {"Authorization": f"Bearer {token}"}
    response = stack.api.post("/jobs", json=body, headers=authorized)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    view = stack.api.get(f"/jobs/{job_id}", params={"wait": 60}, headers=authorized).json()
    assert (view["status"], view["result"]["count"]) == ("finished", 9_592)
    # No container logs the token.
    logs = compose(stack.project, "logs", "--no-color")
    assert token not in logs
