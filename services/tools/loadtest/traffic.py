"""The bytes a run moved, from the kernel's and Redis's own counters, read at the run's start and end.

- each container's network bytes in and out: its namespace's interface counters, read on the host from
  `/proc/<pid>/net/dev` of its first process (shared/net/counters.py), one small file each;
- Redis's bytes in and out as Redis counts them (INFO stats `total_net_input_bytes` and
  `total_net_output_bytes`), through a redis-cli run inside its container (Redis need not be published);
- the bytes the jobs read out of Redis and pickled to pool processes: their records', summed.

Nothing is sampled in between: two readings a run, like the CPU ledger (accounting.py) beside it.
"""

from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container

from services.tools.stack import containers, service_of
from shared.net.counters import ZERO, NetBytes, namespace_bytes, redis_info_bytes

# Redis's password, if it has one, is a file only its container reads.
_INFO = (
    'p=$(cat /secrets/redis-password 2>/dev/null); [ -n "$p" ] && export REDISCLI_AUTH="$p"; '
    "redis-cli INFO stats"
)


def parse_info_bytes(text: str) -> NetBytes | None:
    """Redis's network bytes in (rx) and out (tx) from an INFO text; None if they are not in it."""
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    try:
        return redis_info_bytes(fields)
    except (KeyError, ValueError):
        return None


def redis_bytes(redis: Container | None) -> NetBytes | None:
    """What the stack's Redis says it received and sent since it started; None if it cannot be asked."""
    if redis is None:
        return None
    try:
        code, output = redis.exec_run(["sh", "-c", _INFO])
    except docker.errors.APIError:
        return None  # not running (stopped or restarting): the run's Redis figures are unknown
    return parse_info_bytes(output.decode(errors="replace")) if code == 0 else None


@dataclass
class _Reading:
    containers: dict[str, NetBytes]
    redis: NetBytes | None


class TrafficLedger:
    """Opened at a run's start and closed at its end; `account()` then gives the bytes each part moved."""

    def __init__(self, client: docker.DockerClient, project: str) -> None:
        running = containers(client, project)
        self._services = {c.name: service_of(c) for c in running}
        self._pids = {c.name: c.attrs["State"]["Pid"] for c in running}
        self._redis = next((c for c in running if service_of(c) == "redis"), None)
        self._start: _Reading | None = None
        self._end: _Reading | None = None

    def _read(self) -> _Reading:
        found = {name: namespace_bytes(pid) for name, pid in self._pids.items()}
        return _Reading({name: b for name, b in found.items() if b is not None}, redis_bytes(self._redis))

    def open(self) -> "TrafficLedger":
        self._start = self._read()
        return self

    def close(self) -> None:
        self._end = self._read()

    def account(self, views: list[dict[str, Any]], dataset_bytes: int | None = None) -> dict[str, Any]:
        """Bytes in and out per container and per service, Redis's, and the jobs' read and pickled.

        `views`: the finished jobs' GET /jobs views. With `dataset_bytes` (the jobs ran on a dataset of
        that size), each figure is also given per job as a multiple of the dataset.
        """
        assert self._start and self._end, "open() and close() first"
        start, end = self._start, self._end
        per_container = {
            name: moved.since(start.containers[name])
            for name, moved in end.containers.items()
            if name in start.containers
        }
        by_service: dict[str, NetBytes] = {}
        for name, moved in per_container.items():
            service = self._services.get(name, "?")
            by_service[service] = by_service.get(service, ZERO) + moved
        redis = end.redis.since(start.redis) if end.redis and start.redis else None
        jobs = {
            "bytes_read": sum(v.get("bytes_read", 0) for v in views),
            "bytes_pickled": sum(v.get("bytes_pickled", 0) for v in views),
        }
        account: dict[str, Any] = {
            "containers": {
                name: {"service": self._services.get(name, "?"), **moved.as_dict()}
                for name, moved in sorted(per_container.items())
            },
            "services": {service: moved.as_dict() for service, moved in sorted(by_service.items())},
            "redis": None if redis is None else {"in_bytes": redis.rx, "out_bytes": redis.tx},
            "jobs": jobs,
            "unreadable": sorted(set(self._pids) - set(per_container)),
        }
        if dataset_bytes and views:
            whole = dataset_bytes * len(views)
            account["per_dataset"] = {
                "bytes_read": jobs["bytes_read"] / whole,
                "bytes_pickled": jobs["bytes_pickled"] / whole,
                "redis_out": None if redis is None else redis.tx / whole,
            }
        return account
