"""`python -m services.peers.dask.start`: `dask worker` with its processes from the quota, 1 thread each.

PEER_PROCESSES, else the container's CPU quota (shared/cgroup/quota.py), as the other peers are sized.
"""

import os

from services.peers.dask.app import SCHEDULER
from shared.cgroup.quota import usable_cpus
from shared.settings import get_settings


def main() -> None:
    processes = get_settings().peer_processes or usable_cpus()
    argv = ["dask", "worker", SCHEDULER, "--nworkers", str(processes), "--nthreads", "1"]
    os.execvp("dask", [*argv, "--no-dashboard", "--preload", "services.peers.dask.preload"])


if __name__ == "__main__":
    main()
