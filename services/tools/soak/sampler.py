"""What the soak watches, every few seconds: each container's memory (Docker's one-shot stats) and CPU
seconds (its cgroup, monitor/cgroups.py), Redis's memory and keys (INFO, read inside its container as its
healthcheck reads it), the jobs accepted so far, and what else ran on the same cores: the engine's
processes, this process (the soak's own submitters, watchers and sampler) and the host's CPU times (steal:
time the hypervisor gave to others), and the machine's speed (a fixed loop's CPU time); and, at the start
and the end, each container's restarts."""

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
import psutil

from services.tools import stack
from services.tools.monitor.cgroups import CgroupMeter, process_cpu_seconds
from shared.redis_script import LuaScript, lua_file

# redis-cli in the Redis container, authenticated with the stack's password file (never on a command line).
_REDIS_CLI = 'REDISCLI_AUTH=$(</secrets/redis-password) && export REDISCLI_AUTH && exec redis-cli "$@"'
# Fields of INFO kept in each sample.
REDIS_FIELDS = ("used_memory", "maxmemory", "evicted_keys", "expired_keys", "rejected_calls")


def containers(client: docker.DockerClient, project: str) -> list[Any]:
    """The project's containers, running or not."""
    return stack.containers(client, project, running=False)


def restarts(client: docker.DockerClient, project: str) -> dict[str, dict[str, Any]]:
    """Each container's restart count, state and start time, by name."""
    found = {}
    for container in containers(client, project):
        container.reload()
        state = container.attrs["State"]
        found[container.name] = {
            "service": stack.service_of(container),
            "restart_count": container.attrs.get("RestartCount", 0),
            "status": state.get("Status"),
            "health": (state.get("Health") or {}).get("Status"),
            "started_at": state.get("StartedAt"),
        }
    return found


def _redis(client: docker.DockerClient, project: str) -> Any:
    (redis,) = stack.containers(client, project, "redis", running=False)
    return redis


def redis_info(client: docker.DockerClient, project: str) -> dict[str, int]:
    """Redis's memory, evictions and key counts (db0) from INFO, read in its container."""
    code, output = _redis(client, project).exec_run(["bash", "-c", _REDIS_CLI, "redis-cli", "info"])
    if code != 0:
        raise RuntimeError(f"redis-cli info failed: {output.decode()[:200]}")
    info = dict(
        line.split(":", 1)
        for line in output.decode().splitlines()
        if ":" in line and not line.startswith("#")
    )
    found = {name: int(info[name]) for name in REDIS_FIELDS if name in info}
    db0 = dict(item.split("=") for item in info.get("db0", "keys=0,expires=0").split(","))
    found["keys"], found["expires"] = int(db0["keys"]), int(db0["expires"])
    return found


# MEMORY USAGE summed by key kind, over the first keys SCAN gives (footprint.lua).
_FOOTPRINT = LuaScript(lua_file(__file__, "footprint.lua"), (), ("limit",))


def footprint(client: docker.DockerClient, project: str, limit: int = 20_000) -> dict[str, dict[str, int]]:
    """Keys and bytes (MEMORY USAGE) per kind of key, over at most `limit` keys, biggest kind first."""
    words = _FOOTPRINT.eval_args({}, {"limit": limit})
    code, output = _redis(client, project).exec_run(
        ["bash", "-c", _REDIS_CLI, "redis-cli", "eval", *map(str, words)]
    )
    if code != 0:
        raise RuntimeError(f"redis-cli eval failed: {output.decode()[:200]}")
    rows = [line.rsplit(" ", 2) for line in output.decode().splitlines() if line.strip()]
    kinds = {kind: {"keys": int(keys), "bytes": int(size)} for kind, keys, size in rows}
    for row in kinds.values():
        row["bytes_per_key"] = row["bytes"] // max(1, row["keys"])
    return dict(sorted(kinds.items(), key=lambda item: -item[1]["bytes"]))


def memory(client: docker.DockerClient, project: str) -> dict[str, int]:
    """Each running container's memory use in bytes (Docker's one-shot stats: no wait for a second sample)."""
    found = {}
    for container in containers(client, project):
        if container.status != "running":
            continue
        stats = container.stats(stream=False, one_shot=True)
        usage = stats.get("memory_stats", {}).get("usage")
        if usage is not None:
            found[container.name] = usage
    return found


def cpu_meter(client: docker.DockerClient, project: str) -> CgroupMeter:
    """A meter of the CPU seconds of the project's running containers (by name), read on the host."""
    return CgroupMeter({c.name: c.attrs["State"]["Pid"] for c in stack.containers(client, project)})


# The speed probe's loop length: a few ms of pure Python on our machines.
PROBE_LOOP = 100_000


def probe_ms(runs: int = 3) -> float:
    """The machine's speed now: the CPU time (this thread's, in ms: time waiting for the GIL or for a core
    is not in it) of a fixed pure-Python loop, the least of `runs`. Machines drift by tens of % from
    minute to minute (other tenants of the host, clock speed) without any steal: a loop that takes 20 %
    longer means every process on these cores does 20 % less per CPU second."""
    best = float("inf")
    for _ in range(runs):
        began = time.thread_time()
        total = 0
        for i in range(PROBE_LOOP):
            total += i * i
        best = min(best, time.thread_time() - began)
    return 1000 * best


def cpu(meter: CgroupMeter) -> dict[str, Any]:
    """CPU seconds so far: each container's, the engine's processes', this process's and the host's."""
    counters = meter.read(time.time())
    host = dict(psutil.cpu_times()._asdict())
    return {
        "containers": counters.containers,
        "engine": sum(counters.engine.values()),
        "soak": process_cpu_seconds(os.getpid(), children=False),
        "host": host,  # seconds since boot by kind (user, system, idle, iowait, steal...), all cores summed
    }


class Sampler:
    """Samples every `period` seconds in a thread until stopped; `samples` holds them, oldest first."""

    def __init__(self, project: str, period: float, accepted: Callable[[], int]) -> None:
        self.project, self.period, self.accepted = project, period, accepted
        self.samples: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        client = docker.from_env()
        meter = cpu_meter(client, self.project)
        try:
            while True:
                at = time.time()
                try:
                    sample = {
                        "at": at,
                        "accepted": self.accepted(),
                        "redis": redis_info(client, self.project),
                        "cpu": cpu(meter),
                        "probe_ms": probe_ms(),
                    }
                    sample["containers"] = memory(client, self.project)
                    self.samples.append(sample)
                except (docker.errors.DockerException, RuntimeError, ValueError) as exc:
                    self.errors.append(f"{time.strftime('%H:%M:%S')}: {exc}")
                if self._stop.wait(max(0.0, at + self.period - time.time())):
                    return
        finally:
            client.close()
