"""Small helpers shared by the test suites: the CI rule for missing services, submitting and waiting,
the processes under one of ours (psutil) and killing them.

free_port comes from services.tools.local_stack, which starts the same processes for `make bench`;
wait_for from services.tools.waiting, the host tools' one poll loop.
"""

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

import psutil
import pytest
import redis

from services.tools import redis_stats
from services.tools.local_stack import free_port, redis_server
from services.tools.redis_monitor import monitored
from services.tools.waiting import wait_for
from shared.job_status import ENDED

# A backstop for a wait on something that must come: generous, since a loaded 2-core machine may take
# tens of seconds where a quiet one takes a fraction of one. Never a speed target.
BACKSTOP = 60

if TYPE_CHECKING:
    import httpx
    from rq import SimpleWorker

__all__ = [
    "IN_CI",
    "burst",
    "client_address",
    "command_calls",
    "free_port",
    "monitored",
    "own_redis_client",
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


def require(condition: bool, what: str, ci_may_lack: bool = False) -> None:
    """Skip when a service is missing locally; in CI a missing service is a failure, never a skip.

    `ci_may_lack`: what no setup step can give a machine of ours (a CPython source kept by hand, where
    python.org is out of reach): a skip in CI too.
    """
    if condition:
        return
    if IN_CI and not ci_may_lack:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} is not available")


def own_redis_server() -> Iterator[str]:
    """A redis-server of our own on a free loopback port, for a fixture to yield from; stopped after."""
    require_tool("redis-server")
    with redis_server() as url:
        yield url


def own_redis_client(*options: str) -> Iterator[redis.Redis]:
    """A client of a redis-server of our own started with `options`, for a fixture to yield from."""
    require_tool("redis-server")
    with redis_server(*options) as url:
        client = redis.Redis.from_url(url)
        yield client
        client.close()


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
    """(job records, entries in the RQ queue `queue`); a record's helper key (`cpuc:job:<id>:merged`)
    is not counted."""
    records = sum(1 for key in db.scan_iter("cpuc:job:*", count=1000) if key.count(b":") == 2)
    return records, db.llen(f"rq:queue:{queue}")


def command_calls(client: redis.Redis, command: str) -> int:
    """How many times this redis-server has run `command` (lower case) since it started."""
    return redis_stats.command_calls(client).get(command, 0)


def burst(worker: "SimpleWorker") -> "SimpleWorker":
    """Run an RQ worker in this process until its queues are empty (burst mode); RQ's signal handlers out.

    RQ installs its SIGTERM/SIGINT handlers for good: put ours back, or every process this test session
    forks later (a Pool's) would run RQ's warm shutdown on SIGTERM instead of exiting.
    """
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.work(burst=True)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return worker


def client_address(client: redis.Redis) -> tuple[str, str]:
    """(address, port) of the one connection `client` uses, as MONITOR names it."""
    address, port = client.client_info()["addr"].rsplit(":", 1)
    return address, port


def children(pid: int) -> list[int]:
    """Direct children of a process (psutil); none if it is gone."""
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
