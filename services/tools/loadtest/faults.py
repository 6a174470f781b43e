"""The faults `make chaos` injects into a running stack, each from the host through the Docker SDK.

Each fault acts on a victim worker container (one with a job in flight), and `restore` puts the stack
back as it was afterwards; `injected` does both, the restore in a `finally`.
"""

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from docker.models.containers import Container


@dataclass(frozen=True)
class Fault:
    name: str
    what: str
    inject: Callable[[Container, Container], None]  # (victim worker, redis)
    restore: Callable[[Container, Container], None]


@contextmanager
def injected(fault: Fault, victim: Container, redis: Container) -> Iterator[None]:
    """The fault in place while inside; restored on the way out whatever happens (an error, Ctrl-C),
    and also if injecting it failed halfway: every restore is safe to run on a healthy stack."""
    try:
        fault.inject(victim, redis)
        yield
    finally:
        fault.restore(victim, redis)


def _kill_worker(victim: Container, redis: Container) -> None:
    victim.kill()  # SIGKILL: no warm shutdown, its jobs are abandoned mid-run


def _kill_pool_process(victim: Container, redis: Container) -> None:
    """SIGKILL one pool process inside the container (from the host: they are host processes too)."""
    top = victim.top(ps_args="-o pid,ppid,args")
    rows = [dict(zip(top["Titles"], process, strict=True)) for process in top["Processes"]]
    servers = {row["PID"] for row in rows if "forkserver" in row["COMMAND"]}
    pool = [int(row["PID"]) for row in rows if row["PPID"] in servers]
    if not pool:
        raise RuntimeError(f"no pool process found in {victim.name}")
    os.kill(pool[0], signal.SIGKILL)


def _restart_redis(victim: Container, redis: Container) -> None:
    redis.restart(timeout=10)  # as `docker compose restart redis`: SIGTERM, AOF flushed, started again


def _stop_worker(victim: Container, redis: Container) -> None:
    # As `docker compose stop worker`: SIGTERM, then the warm shutdown finishes the running job.
    # In the background: stop() returns only once the container has exited.
    threading.Thread(target=victim.stop, kwargs={"timeout": 300}, daemon=True).start()


def _start_again(victim: Container, redis: Container) -> None:
    victim.reload()
    if victim.status != "running":
        victim.start()


def _nothing(victim: Container, redis: Container) -> None:
    pass


FAULTS = {
    fault.name: fault
    for fault in (
        Fault("kill-worker", "docker kill (SIGKILL) a worker container", _kill_worker, _start_again),
        Fault(
            "kill-pool-process",
            "SIGKILL one pool process inside a worker container",
            _kill_pool_process,
            _nothing,
        ),
        Fault("restart-redis", "docker compose restart redis", _restart_redis, _nothing),
        Fault("stop-worker", "docker compose stop (SIGTERM) a worker container", _stop_worker, _start_again),
    )
}
