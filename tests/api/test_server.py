"""The API's server loop (services/api/server.py) wakes once a second, and uvicorn still has its shape."""

import asyncio
import inspect
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from services.api.server import UVICORN_TICKS_PER_SECOND, QuietServer
from services.tools.local_stack import env, free_port, stop
from tests.helpers import wait_for

pytestmark = pytest.mark.integration


def test_uvicorn_still_has_the_loop_we_replace() -> None:
    """main_loop and on_tick(counter) are uvicorn's internals: a change of shape fails here first."""
    assert inspect.iscoroutinefunction(uvicorn.Server.main_loop)
    assert list(inspect.signature(uvicorn.Server.on_tick).parameters) == ["self", "counter"]
    # uvicorn ticks 10 times a second and refreshes its headers on every tenth tick: we pass its counter.
    assert "asyncio.sleep(0.1)" in inspect.getsource(uvicorn.Server.main_loop)
    assert f"counter % {UVICORN_TICKS_PER_SECOND} == 0" in inspect.getsource(uvicorn.Server.on_tick)


def test_each_quiet_tick_refreshes_the_date_header() -> None:
    config = uvicorn.Config(app=lambda scope, receive, send: None, lifespan="off")
    config.load()
    server = QuietServer(config)
    assert asyncio.run(server.on_tick(UVICORN_TICKS_PER_SECOND)) is False
    assert any(name == b"date" for name, _ in server.server_state.default_headers)


@contextmanager
def api(redis_url: str, command: list[str]) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            *command,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env(redis_url, "server-test"),
    )
    try:
        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200 or None,
            30,
            "API",
        )
        yield proc.pid
    finally:
        stop([proc])


def wakeups(pid: int, seconds: float) -> int:
    """Voluntary context switches of the process's main thread (its event loop) over `seconds` at rest:
    /proc per thread, since psutil counts them only per process (its other threads wake too)."""

    def count() -> int:
        status = Path(f"/proc/{pid}/task/{pid}/status").read_text()
        return int(status.split("voluntary_ctxt_switches:")[1].split()[0])

    before = count()
    time.sleep(seconds)
    return count() - before


def test_the_idle_api_wakes_about_once_a_second_where_uvicorn_wakes_ten_times(redis_url: str) -> None:
    with api(redis_url, ["uvicorn", "services.api.main:app"]) as pid:
        stock = wakeups(pid, 3)
    with api(redis_url, ["services.api"]) as pid:
        quiet = wakeups(pid, 3)
    assert stock >= 25, f"the measurement should see uvicorn's 10 ticks a second: {stock} in 3 s"
    assert quiet <= 8, f"our server woke {quiet} times in 3 s at rest (uvicorn: {stock})"
