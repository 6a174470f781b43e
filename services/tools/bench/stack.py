"""The processes a benchmark runs: those of services.tools.local_stack, plus stock RQ workers."""

import subprocess
import sys
from pathlib import Path

import redis
from rq import Queue, Worker

from services.tools.local_stack import api, env, free_port, our_workers, redis_server, stop, wait_for

# Seconds to wait for a process to be ready.
READY_TIMEOUT = 60.0

__all__ = [
    "api",
    "env",
    "free_port",
    "our_workers",
    "redis_server",
    "stock_workers",
    "stop",
    "wait_for",
    "wait_workers",
]


def stock_workers(url: str, queue: str, count: int, worker_class: str) -> list[subprocess.Popen]:
    """Stock `rq worker` processes of `worker_class` (rq.worker.Worker forks per job)."""
    rq = Path(sys.executable).with_name("rq")
    return [
        subprocess.Popen(
            [str(rq), "worker", "--url", url, "-w", worker_class, queue],
            env=env(url, queue),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def wait_workers(connection: redis.Redis, queue: Queue, count: int) -> None:
    """Until `count` RQ workers listen on `queue`."""
    wait_for(
        lambda: Worker.count(connection=connection, queue=queue) >= count or None,
        READY_TIMEOUT,
        f"{count} worker(s) on {queue.name}",
    )
