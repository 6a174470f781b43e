"""What the load test learns from Docker about the stack it loads: workers, CPU limits, a baseline."""

import json
import os
import subprocess
import sys
from typing import Any

import docker
from docker.models.containers import Container

from services.tools.loadtest.topologies import cpu_shares
from services.tools.stack import SERVICE_LABEL, containers

# The service label of the throwaway containers that measure references (ceiling, baseline).
REFERENCE_SERVICE = "reference"


def worker_containers(client: docker.DockerClient, project: str) -> list[Container]:
    """The project's running worker containers."""
    return containers(client, project, "worker")


def topology(client: docker.DockerClient, project: str) -> dict[str, Any]:
    """Worker containers, the CPU limit of each, and the CPU budget they share (capped by the host)."""
    workers = worker_containers(client, project)
    limits = [(c.attrs["HostConfig"].get("NanoCpus") or 0) / 1e9 or None for c in workers]
    host_cores = os.cpu_count() or 1
    budget = sum(limit or host_cores for limit in limits)
    return {
        "project": project,
        "workers": len(workers),
        "cpus_each": limits,
        "cpu_budget": min(budget, host_cores) if workers else 0,
        "host_cores": host_cores,
    }


def measure_baseline(
    client: docker.DockerClient | None, project: str, kernel: str, size: int
) -> dict[str, Any]:
    """Seconds for one job in one process, inside a worker container (same Python as the workers).

    Falls back to the host's Python when there is no worker container to run it in.
    """
    command = ["python", "-m", "worker.baseline", kernel, str(size)]
    workers = worker_containers(client, project) if client else []
    if workers:
        exit_code, output = workers[0].exec_run(command)
        if exit_code != 0:
            raise RuntimeError(f"baseline failed in {workers[0].name}: {output.decode(errors='replace')}")
        where = f"container {workers[0].name}"
    else:
        output = subprocess.run([sys.executable, *command[1:]], check=True, capture_output=True).stdout
        where = "host"
    result = json.loads(output.decode().strip().splitlines()[-1])
    return {
        "where": where,
        "seconds_per_job": result["seconds_per_job"],
        "units_per_second": size / result["seconds_per_job"],
    }


def worker_image(client: docker.DockerClient, project: str) -> str:
    """The image the project's workers run (its id): the ceiling and the baseline run in it too."""
    workers = worker_containers(client, project)
    if not workers:
        raise RuntimeError(f"no running worker container in project {project!r}")
    return workers[0].attrs["Image"]


def run_in_image(client: docker.DockerClient, image: str, cpus: float, command: list[str]) -> dict[str, Any]:
    """Run `command` in a throwaway container of `image` limited to `cpus` CPUs; its last line as JSON.

    No network, a read-only root and the workers' unprivileged user: as a worker container runs. The
    image carries compose's labels (a built service's image does): the container's own service label
    says `reference`, so that nothing takes it for a worker of the stack, even left running by a tool
    stopped mid-run.
    """
    output = client.containers.run(
        image,
        command,
        labels={SERVICE_LABEL: REFERENCE_SERVICE},
        nano_cpus=int(cpus * 1e9),
        # On a contended host, the weight of that many 1-CPU worker containers, as the lines it is
        # measured against (topologies.cpu_shares).
        cpu_shares=cpu_shares(cpus),
        network_disabled=True,
        read_only=True,
        tmpfs={"/tmp": "size=64m"},
        user="10001:10001",
        remove=True,
        stdout=True,
        stderr=True,
    )
    return json.loads(output.decode().strip().splitlines()[-1])
