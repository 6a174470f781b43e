"""The peers as the bench runs them: how to enqueue their jobs, their queue key, and their workers."""

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.tools.bench import stack
from services.tools.bench.peers import record

Bounds = list[tuple[int, int]]


def _bin(name: str) -> str:
    """A console script installed beside this Python (the venv's)."""
    return str(Path(sys.executable).with_name(name))


def _spawn(argv: list[str], url: str, queue: str, run: Path) -> subprocess.Popen:
    return subprocess.Popen(
        argv,
        env=stack.env(url, queue, **{record.FOLDER_ENV: str(run)}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def celery_enqueue(url: str, queue: str, jobs: Bounds) -> None:
    """One message per job, each its own round trip, as an application sends them."""
    from services.tools.bench.peers.celery_app import make_app

    app = make_app(url)
    with app.producer_or_acquire() as producer:
        for lo, hi in jobs:
            app.send_task(record.TASK, args=(lo, hi), queue=queue, producer=producer)


def celery_workers(pool: str, concurrency: int) -> Callable[[str, str, int, Path], list[subprocess.Popen]]:
    """`processes` `celery worker` processes with this pool (solo: one job at a time, in the process)."""

    def start(url: str, queue: str, processes: int, run: Path) -> list[subprocess.Popen]:
        return [
            _spawn(
                [
                    *(_bin("celery"), "-A", "services.tools.bench.peers.celery_app", "worker"),
                    *(f"--pool={pool}", f"--concurrency={concurrency}", "-Q", queue, "-n", f"{queue}-{i}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"),
                ],
                url,
                queue,
                run,
            )
            for i in range(processes)
        ]

    return start


def dramatiq_enqueue(url: str, queue: str, jobs: Bounds) -> None:
    """One message per job, each its own round trip (the broker's enqueue script)."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=url)
    for lo, hi in jobs:
        broker.enqueue(
            dramatiq.Message(queue_name=queue, actor_name=record.TASK, args=(lo, hi), kwargs={}, options={})
        )
    broker.close()


def dramatiq_workers(url: str, queue: str, processes: int, run: Path) -> list[subprocess.Popen]:
    """One `dramatiq` command with `processes` worker processes of 1 thread each."""
    argv = [_bin("dramatiq"), "services.tools.bench.peers.dramatiq_app", "--processes", str(processes)]
    return [_spawn([*argv, "--threads", "1", "--queues", queue], url, queue, run)]


@dataclass(frozen=True)
class Peer:
    label: str
    noop_processes: int  # worker processes for the tiny jobs
    cpu_processes: int  # for the CPU-bound jobs: the 2 cores
    enqueue: Callable[[str, str, Bounds], None]
    start: Callable[[str, str, int, Path], list[subprocess.Popen]]
    key: Callable[[str], str]  # the queue's list key, for RENAME
    ready: Callable[[int], int]  # ready files to wait for, given the worker processes


PEERS = {
    "celery-solo": Peer(
        label="Celery --pool=solo",
        noop_processes=1,
        cpu_processes=2,
        enqueue=celery_enqueue,
        start=celery_workers("solo", 1),
        key=lambda queue: queue,
        ready=lambda processes: processes,
    ),
    "celery-prefork": Peer(
        label="Celery prefork -c 2",
        noop_processes=2,
        cpu_processes=2,
        enqueue=celery_enqueue,
        # One `celery worker` whose pool forks the 2 processes: `processes` is its concurrency.
        start=lambda url, queue, processes, run: celery_workers("prefork", processes)(url, queue, 1, run),
        key=lambda queue: queue,
        ready=lambda processes: 1,
    ),
    "dramatiq": Peer(
        label="Dramatiq, 1 thread per process",
        noop_processes=1,
        cpu_processes=2,
        enqueue=dramatiq_enqueue,
        start=dramatiq_workers,
        key=lambda queue: f"dramatiq:{queue}",
        ready=lambda processes: processes,
    ),
}
