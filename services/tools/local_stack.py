"""The stack as plain processes on loopback: redis-server, `python -m worker`, the API under uvicorn.

For what runs without Docker on the host: the benchmarks (`make bench`) and the integration tests.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis

from services.tools.waiting import wait_for

# Seconds a process gets to stop after SIGTERM before it is killed.
STOP_GRACE = 15.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(procs: list[subprocess.Popen], grace: float = STOP_GRACE) -> None:
    """SIGTERM every process, then wait for each (killed after `grace` seconds)."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def redis_server(*options: str) -> Iterator[str]:
    """A throw-away redis-server on a free loopback port (no persistence unless `options` say so)."""
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *options],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: redis.Redis.from_url(url).ping() or None, 10, "redis-server")
        yield url
    finally:
        stop([proc])


def env(url: str, queue: str, pool: int = 1, **extra: str) -> dict[str, str]:
    """The environment of our processes: where Redis is, which queue, how many pool processes."""
    return {
        **os.environ,
        "REDIS_URL": url,
        "QUEUE_NAME": queue,
        "POOL_PROCESSES": str(pool),
        "REDIS_WAIT_SECONDS": "10",
        **extra,
    }


def our_workers(
    url: str, queue: str, count: int, pool: int, profile: Path | None = None, quiet: bool = True, **extra: str
) -> list[subprocess.Popen]:
    """`python -m worker` processes (warm pool of `pool`); with `profile`, the first runs under cProfile."""
    output = subprocess.DEVNULL if quiet else None
    procs = []
    for i in range(count):
        prefix = ["-m", "cProfile", "-o", str(profile)] if profile and i == 0 else []
        procs.append(
            subprocess.Popen(
                [sys.executable, *prefix, "-m", "worker"],
                env=env(url, queue, pool, **extra),
                stdout=output,
                stderr=output,
            )
        )
    return procs


@contextmanager
def api(
    url: str, queue: str, quiet: bool = True, started: list[subprocess.Popen] | None = None, **extra: str
) -> Iterator[str]:
    """Our API under uvicorn on a free loopback port; yields its base URL (its process into `started`)."""
    port = free_port()
    logging = ["--log-level", "warning", "--no-access-log"] if quiet else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.api",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *logging,
        ],
        env=env(url, queue, **extra),
    )
    base = f"http://127.0.0.1:{port}"
    if started is not None:
        started.append(proc)
    try:
        wait_for(lambda: httpx.get(f"{base}/health", timeout=2).status_code == 200 or None, 30, "API")
        yield base
    finally:
        stop([proc])
