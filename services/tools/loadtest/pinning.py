"""Pinning worker containers to cores of their own (`cpuset`), each to its own, which compose cannot do.

Compose gives every replica of a service the same `cpuset` (WORKER_CPUSET). To pin thin containers to
one core each, make compare creates the containers (`up --no-start`), sets each one's cpuset through
the Docker API (as `docker update --cpuset-cpus` does), then starts them: their processes start on
their cores, and a restart keeps them there.
"""

import os

import docker
from docker.models.containers import Container

from services.tools.stack import containers

# Compose numbers the replicas of a service 1, 2, ...: the order cpusets are handed out in.
NUMBER_LABEL = "com.docker.compose.container-number"


def host_cores() -> list[int]:
    """The cores this process may run on (the host's, unless it is itself limited), in order."""
    return sorted(os.sched_getaffinity(0))


def worker_replicas(client: docker.DockerClient, project: str) -> list[Container]:
    """The project's worker containers, created or running, in replica order."""
    found = containers(client, project, "worker", running=False)
    return sorted(found, key=lambda c: int(c.labels.get(NUMBER_LABEL, "0")))


def pin_workers(client: docker.DockerClient, project: str, cpusets: tuple[str, ...]) -> None:
    """Set worker replica i's cpuset to cpusets[i]; ValueError unless there is one per replica."""
    replicas = worker_replicas(client, project)
    if len(replicas) != len(cpusets):
        raise ValueError(f"{len(replicas)} worker containers for {len(cpusets)} cpusets")
    for container, cpuset in zip(replicas, cpusets, strict=True):
        container.update(cpuset_cpus=cpuset)
