"""What REDIS_APPENDFSYNC=always costs a 202: POST /jobs on two AOF Redis servers, everysec and always.

Two redis-servers with the stack's persistence (appendonly yes), one per appendfsync policy, their
folders side by side in one folder (so on one disk), and an API process on each. In every round each
way of sending (one client at a time, then `concurrency` at once) posts the same jobs to everysec, then
to always: neighbours in time, so a round's ratio compares like with like. Each run starts on an
emptied Redis (FLUSHALL) whose AOF is never rewritten meanwhile (auto rewrite off), and ends by counting
every 202's record and queue entry in that Redis. The disk's cache flushes over each run (disk.py) say
how many fsyncs reached it.
"""

import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from rq import Queue

from services.tools import api_auth
from services.tools.bench import disk, stack
from shared.job_store import JobKeys

# The policies compared, in the order each round runs them: the stack's default first.
POLICIES = ("everysec", "always")
# One client at a time (every accept waits for its own fsync), then many (Redis may fsync once for
# the writes of several clients that arrived together).
WAYS = ("sequential", "concurrent")
# The queue the API processes enqueue to (no worker takes from it).
QUEUE = "bench-fsync"
# POST /jobs sent to each API before the first run: connections open, code paths imported.
WARM_POSTS = 5
# The job posted: tiny and local (one queue entry), as figure 4 posts it.
BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1_000}}


@dataclass(frozen=True)
class Server:
    """One redis-server with its appendfsync policy, and the API process in front of it."""

    policy: str
    connection: redis.Redis
    client: httpx.Client  # to its API

    def config(self) -> dict[str, str]:
        """Its persistence as the running redis-server reports it (CONFIG GET)."""
        got = self.connection.config_get("appendonly")
        got |= self.connection.config_get("appendfsync")
        return {str(k): str(v) for k, v in got.items()}


def aof_options(policy: str, folder: Path) -> tuple[str, ...]:
    """The stack's persistence (docker-compose.yml) with this policy, in `folder`; no rewrite meanwhile."""
    return (
        "--appendonly", "yes", "--appendfsync", policy, "--dir", str(folder),
        "--auto-aof-rewrite-percentage", "0",
    )  # fmt: skip


@contextmanager
def servers(folder: Path, concurrency: int) -> Iterator[dict[str, Server]]:
    """A redis-server per policy, each in its own folder under `folder`, with an API process on each."""
    with ExitStack() as on_exit:
        out = {}
        for policy in POLICIES:
            data = folder / policy
            data.mkdir()
            url = on_exit.enter_context(stack.redis_server(*aof_options(policy, data)))
            base_url = on_exit.enter_context(stack.api(url, QUEUE))
            client = on_exit.enter_context(
                httpx.Client(
                    base_url=base_url,
                    headers=api_auth.headers(),
                    timeout=30,
                    limits=httpx.Limits(max_connections=concurrency + 2),
                )
            )
            out[policy] = Server(policy, redis.Redis.from_url(url, decode_responses=True), client)
        yield out


def _post(client: httpx.Client) -> str:
    response = client.post("/jobs", json=BODY)
    response.raise_for_status()
    return response.json()["id"]


def post_jobs(client: httpx.Client, jobs: int, concurrency: int) -> tuple[list[str], float]:
    """POST `jobs` jobs, `concurrency` in flight; the ids of the 202s and the seconds it took."""
    with ThreadPoolExecutor(concurrency) as pool:  # started before the clock: not part of the rate
        t0 = time.perf_counter()
        ids = list(pool.map(lambda _: _post(client), range(jobs)))
        return ids, time.perf_counter() - t0


def present(server: Server, ids: list[str]) -> tuple[int, int]:
    """How many of these jobs have their record in Redis, and the queue's entries."""
    pipe = server.connection.pipeline(transaction=False)
    for job_id in ids:
        pipe.exists(JobKeys.of(job_id).record)
    records = sum(pipe.execute())
    return records, int(server.connection.llen(Queue(QUEUE, connection=server.connection).key))


def one_run(server: Server, folder: Path, jobs: int, concurrency: int) -> dict[str, Any]:
    """Jobs accepted per second on this server from an empty Redis, and every job counted there."""
    server.connection.flushall()
    aof_before = int(server.connection.info("persistence")["aof_current_size"])
    flushes_before = disk.flushes(folder)
    ids, seconds = post_jobs(server.client, jobs, concurrency)
    flushes_after = disk.flushes(folder)
    aof_bytes = int(server.connection.info("persistence")["aof_current_size"]) - aof_before
    records, entries = present(server, ids)
    flushed = None if flushes_before is None or flushes_after is None else flushes_after - flushes_before
    return {
        "policy": server.policy,
        "jobs": jobs,
        "accepted": len(set(ids)),
        "records": records,
        "entries": entries,
        "seconds": seconds,
        "jobs_per_second": len(ids) / seconds,
        "aof_bytes": aof_bytes,
        "disk_flushes": flushed,
    }


def measure(
    on: dict[str, Server], folder: Path, jobs: int, rounds: int, concurrency: int, log: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Every run, rounds outermost, then the ways of sending, then the policies in turn."""
    for server in on.values():
        for _ in range(WARM_POSTS):
            _post(server.client)
    runs = []
    for i in range(rounds):
        for way in WAYS:
            for policy in POLICIES:
                run = one_run(on[policy], folder, jobs, 1 if way == "sequential" else concurrency)
                runs.append({"round": i, "way": way, **run})
        log(f"   round {i + 1}/{rounds}")
    return runs


def run(folder: Path, jobs: int, rounds: int, concurrency: int, log: Callable[[str], None]) -> dict[str, Any]:
    """The raw figure: every run, each server's persistence as it reported it, and the disk used."""
    folder.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(dir=folder, prefix=".fsync-") as tmp,
        servers(Path(tmp), concurrency) as on,
    ):
        config = {policy: server.config() for policy, server in on.items()}
        for policy, got in config.items():
            if got != {"appendonly": "yes", "appendfsync": policy}:
                raise RuntimeError(f"the {policy} redis-server runs with {got}")
        runs = measure(on, Path(tmp), jobs, rounds, concurrency, log)
        where = disk.disk_of(Path(tmp))
    return {
        "jobs": jobs,
        "rounds": rounds,
        "concurrency": concurrency,
        "config": config,
        "disk": {"fstype": where.fstype, "device": where.device, "folder": str(folder.resolve())},
        "runs": runs,
    }
