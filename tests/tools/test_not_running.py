"""The host-side tools refuse in one line naming the fix when what they need is not running: the API, the
Docker engine, the stack's containers, a worker consuming the queue. Each runs as `make` runs it."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.tools import preflight
from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, redis_server, stop
from services.tools.preflight import NOT_READY
from tests.helpers import free_port, require, require_tool, wait_for

REPO = Path(__file__).resolve().parents[2]
# A Docker engine nobody runs: what a stopped Docker looks like to a client.
NO_DOCKER = "unix:///nonexistent/cpu-contrast-test/docker.sock"


def run_tool(
    module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    """`python -m MODULE ARGS` from the repo, as the Makefile runs it: exit status, stdout, stderr."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.returncode, result.stdout, result.stderr


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("module", "prog"), [("services.tools.loadtest", "load-test"), ("services.tools.loadtest.chaos", "chaos")]
)
def test_the_load_tools_say_the_api_is_down_and_how_to_start_it(module: str, prog: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, stdout, stderr = run_tool(module, "--url", url)
    assert code == NOT_READY, (stdout, stderr)
    line = one_line(stderr)
    assert line.startswith(f"{prog}: the API at {url} is not answering"), line
    assert line.endswith("start the stack with `make up`"), line
    assert "Traceback" not in stdout + stderr


@pytest.mark.parametrize(
    ("module", "prog", "args"),
    [
        ("services.tools.loadtest.compare", "compare", ("--rounds", "1")),
        ("services.tools.monitor.stats", "stats", ()),
        ("services.tools.monitor.idle", "idle", ("--seconds", "1")),
    ],
)
def test_the_docker_tools_say_docker_is_not_reachable(module: str, prog: str, args: tuple[str, ...]) -> None:
    code, stdout, stderr = run_tool(module, *args, env={"DOCKER_HOST": NO_DOCKER})
    assert code == NOT_READY, (stdout, stderr)
    line = one_line(stderr)
    assert line.startswith(f"{prog}: Docker is not reachable at {NO_DOCKER} ("), line
    assert line.endswith("start Docker (or fix DOCKER_HOST), then `make up`"), line
    assert "Traceback" not in stdout + stderr


@pytest.fixture
def api_without_workers() -> Iterator[str]:
    """Only Redis and the API (what `docker compose up redis api` gives): nobody consumes the queue."""
    require_tool("redis-server")
    with redis_server() as url, api_process(url, "no-workers") as base:
        yield base


@pytest.mark.integration
def test_load_test_says_no_worker_is_consuming_waits_visibly_then_stops(api_without_workers: str) -> None:
    health = httpx.get(f"{api_without_workers}/health").json()
    assert health == {"status": "ok", "redis": "ok", "workers": 0, "workers_ready": 0}
    started = time.monotonic()
    code, stdout, stderr = run_tool(
        "services.tools.loadtest", "--url", api_without_workers, "--jobs", "1", "--wait-workers", "2"
    )
    elapsed = time.monotonic() - started
    assert code == NOT_READY, (stdout, stderr)
    # Said at once, before the wait ...
    assert stdout.startswith(
        f"load-test: no worker is consuming the queue (the API at {api_without_workers} lists no ready "
        "worker): waiting up to 2 s for one"
    ), stdout
    # ... then the refusal, once the bound has passed; nothing was submitted.
    line = one_line(stderr)
    assert line.startswith("load-test: no worker is consuming the queue after 2 s"), line
    assert "`make up`" in line
    assert elapsed >= 2  # it waited the bound (how much longer is the machine's business)
    assert httpx.get(f"{api_without_workers}/dashboard").json()["statuses"] == {}


@pytest.fixture
def api_with_a_worker() -> Iterator[str]:
    """Redis, the API and one ready worker of their own (no other test's state can unready it)."""
    require_tool("redis-server")
    with redis_server() as url, api_process(url, "one-worker") as base:
        workers = our_workers(url, "one-worker", 1, 1)
        try:
            wait_for(
                lambda: httpx.get(f"{base}/health").json()["workers_ready"] == 1 or None, 60, "a ready worker"
            )
            yield base
        finally:
            stop(workers)


@pytest.mark.integration
def test_load_test_with_a_worker_but_no_docker_says_so(api_with_a_worker: str) -> None:
    """The API and a ready worker, but no Docker engine to watch the containers with."""
    code, stdout, stderr = run_tool(
        "services.tools.loadtest", "--url", api_with_a_worker, env={"DOCKER_HOST": NO_DOCKER}
    )
    assert code == NOT_READY, (stdout, stderr)
    assert one_line(stderr).startswith(f"load-test: Docker is not reachable at {NO_DOCKER} (")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("module", "prog", "args"),
    [
        ("services.tools.monitor.stats", "stats", ()),
        ("services.tools.monitor.idle", "idle", ("--seconds", "1")),
    ],
)
def test_the_docker_tools_say_the_stack_is_not_running(module: str, prog: str, args: tuple[str, ...]) -> None:
    try:
        preflight.docker_client().close()
    except preflight.NotReady as exc:
        require(False, f"a Docker engine ({exc})")
    project = f"cpu-contrast-never-started-{free_port()}"
    code, stdout, stderr = run_tool(module, "--project", project, *args)
    assert code == NOT_READY, (stdout, stderr)
    assert one_line(stderr) == (
        f"{prog}: no container of the compose project {project!r} is running: start the stack with `make up`"
    )
