"""Small helpers shared by the test suites: the CI rule for missing services, submitting and waiting,
the processes under one of ours (psutil) and killing them.

free_port and wait_for come from services.tools.local_stack, which starts the same processes for `make bench`.
"""

import contextlib
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psutil
import pytest
import redis

from services.tools.local_stack import free_port, redis_server, wait_for
from shared.job_status import ENDED

if TYPE_CHECKING:
    import httpx

__all__ = [
    "IN_CI",
    "client_address",
    "command_calls",
    "free_port",
    "monitored",
    "records_and_queue",
    "children",
    "dead",
    "descendants",
    "free_port",
    "kill",
    "require",
    "require_tool",
    "sigint_default",
    "submit",
    "wait_for",
    "wait_for_job",
]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip when a service is missing locally; in CI a missing service is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} is not available")


def own_redis_server() -> Iterator[str]:
    """A redis-server of our own on a free loopback port, for a fixture to yield from; stopped after."""
    require_tool("redis-server")
    with redis_server() as url:
        yield url


def require_tool(name: str) -> str:
    """The path of an executable, or skip/fail as `require` does."""
    path = shutil.which(name)
    require(path is not None, f"`{name}`")
    assert path is not None
    return path


def wait_for_job(client: "httpx.Client", job_id: str, timeout: float = 120) -> dict:
    """Poll GET /jobs/{id} until the job has ended; return its last view."""

    def ended() -> dict | None:
        view = client.get(f"/jobs/{job_id}").raise_for_status().json()
        return view if view["status"] in ENDED else None

    return wait_for(ended, timeout, f"job {job_id}", interval=0.05)


def submit(client: "httpx.Client", body: dict) -> str:
    """POST /jobs; assert 202 and the Location header; return the job id."""
    response = client.post("/jobs", json=body)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["Location"] == f"/jobs/{job_id}"
    return job_id


def records_and_queue(db: redis.Redis, queue: str) -> tuple[int, int]:
    """(job records, entries in the RQ queue `queue`); a record's helper keys (`cpuc:job:<id>:hosts`,
    ...) are not counted."""
    records = sum(1 for key in db.scan_iter("cpuc:job:*", count=1000) if key.count(b":") == 2)
    return records, db.llen(f"rq:queue:{queue}")


def command_calls(client: redis.Redis, command: str) -> int:
    """How many times this redis-server has run `command` (lower case) since it started."""
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


@contextmanager
def monitored(url: str) -> Iterator[list[dict]]:
    """The commands that the redis-server at `url` runs while inside, from MONITOR (filled on exit).

    Each is redis-py's parse: `command` ("XREAD BLOCK 100 ..."), `client_address` and `client_port`
    ("lua" for the commands of a script).
    """
    listener = redis.Redis.from_url(url, socket_timeout=None)
    control = redis.Redis.from_url(url)
    control.ping()  # connected now, so that none of its handshake is seen
    sentinel = f"end-of-monitor-{uuid.uuid4().hex}"
    seen: list[dict] = []

    with listener.monitor() as monitor:

        def listen() -> None:
            while (command := monitor.next_command())["command"] != f"ECHO {sentinel}":
                seen.append(command)

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        try:
            yield seen
        finally:
            control.echo(sentinel)
            thread.join(30)
            control.close()
    assert not thread.is_alive(), "MONITOR never saw the end of its watch"


def client_address(client: redis.Redis) -> tuple[str, str]:
    """(address, port) of the one connection `client` uses, as MONITOR names it."""
    address, port = client.client_info()["addr"].rsplit(":", 1)
    return address, port


def children(pid: int) -> list[int]:
    """Direct children of a process (none once it is gone)."""
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.NoSuchProcess:
        return []


def descendants(pid: int) -> list[int]:
    """Children, grandchildren and so on of a process (none once it is gone)."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def sigint_default() -> None:
    """For `Popen(preexec_fn=sigint_default)` when a test will Ctrl-C the child: SIGINT's default action.

    A shell that runs a command in the background (`make test &`, CI runners) starts it with SIGINT
    ignored, every descendant inherits that, and Python then installs no KeyboardInterrupt handler: the
    child would never see the test's SIGINT. Set in the child between fork and exec, so Python starts
    with the default and installs its own handler.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def dead(pid: int) -> bool:
    """True once a process has exited: gone, or a zombie that its parent has not reaped yet."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
