"""`python -m services.peers.dramatiq.start`: the `dramatiq` CLI with its processes from the quota.

PEER_PROCESSES, else the container's CPU quota (shared/cgroup/quota.py), one thread each: Dramatiq's
own `--processes` default is the host's CPU count, whatever the container's `cpus:` says.
"""

import os

from services.peers.dramatiq.app import QUEUE
from shared.cgroup.quota import usable_cpus
from shared.settings import get_settings


def main() -> None:
    processes = get_settings().peer_processes or usable_cpus()
    argv = ["dramatiq", "services.peers.dramatiq.app", "--processes", str(processes), "--threads", "1"]
    os.execvp("dramatiq", [*argv, "--queues", QUEUE])


if __name__ == "__main__":
    main()
