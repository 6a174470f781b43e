"""The compose stack make compare drives: built once, brought to each topology, left or taken down."""

import functools
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from services.tools import api_auth
from services.tools.loadtest.pinning import pin_workers
from services.tools.loadtest.stack_info import worker_containers
from services.tools.loadtest.topologies import Topology

REPO = Path(__file__).resolve().parents[4]
# Up to here a stack being recreated is still starting; beyond, something is wrong with it.
READY_SECONDS = 90


class NotReadyYet(Exception):
    """The workers of a topology are not (all, or only) the ones reporting ready yet."""


@dataclass(frozen=True)
class ComposeStack:
    """A compose project of this repository, its API published on `port` of the loopback."""

    project: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def invocation(self, *args: str, env: dict[str, str] | None = None) -> dict:
        """`docker compose -p PROJECT ARGS` in the repo, with this stack's environment: subprocess's
        keyword arguments (`args`, `cwd`, `env`), for a run that streams its output."""
        return {
            "args": ["docker", "compose", "-p", self.project, *args],
            "cwd": REPO,
            "env": {**os.environ, **(env or {}), "API_PORT": str(self.port)},
        }

    def compose(self, *args: str, env: dict[str, str] | None = None) -> str:
        """`docker compose -p PROJECT ARGS` in the repo, failing loudly with its output; its stdout."""
        result = subprocess.run(**self.invocation(*args, env=env), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def build(self, profiles: Sequence[str] = ()) -> None:
        """The stack's images, and those of these profiles' services (worker-py314: profile py314)."""
        self.compose(*(arg for profile in profiles for arg in ("--profile", profile)), "build")

    def image(self, service: str, profile: str) -> str:
        """The name of the image compose builds for a service of a profile: resolved once per stack and
        run (`docker compose config` takes a second; the rows ask for it every round and point)."""
        return _service(self, service, profile)["image"]

    def build_arg(self, service: str, profile: str, name: str) -> str:
        """A build argument of a service of a profile, as compose resolves it (`.env` and defaults)."""
        return _service(self, service, profile)["build"]["args"][name]

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans")

    def reconfigure(self, topology: Topology, client: docker.DockerClient) -> None:
        """Bring the stack to this topology and wait until exactly its workers are ready, with their pools.

        Not `up --wait`: Docker's health shows a minute late with the healthcheck every 30 s; the workers'
        own reports (registered with RQ, pool whole) say it within a second.
        """
        env = topology.env()
        if topology.pinned:
            # Created, pinned, then started: no worker process ever runs off its cores.
            self.compose("up", "--no-start", "--remove-orphans", env=env)
            pin_workers(client, self.project, topology.cpusets)
        self.compose("up", "-d", "--remove-orphans", env=env)
        hosts = {c.attrs["Config"]["Hostname"] for c in worker_containers(client, self.project)}
        try:
            for attempt in Retrying(
                stop=stop_after_delay(READY_SECONDS),
                wait=wait_fixed(0.5),
                retry=retry_if_exception_type((httpx.HTTPError, NotReadyYet)),
                reraise=True,
            ):
                with attempt:
                    self.require_ready(topology, hosts)
        except (httpx.HTTPError, NotReadyYet) as exc:
            raise RuntimeError(
                f"workers of {topology.describe()} were not all ready within {READY_SECONDS} s ({exc})"
            ) from exc

    def require_ready(self, topology: Topology, hosts: set[str]) -> None:
        """NotReadyYet unless the workers reporting are exactly `hosts`, each ready with its whole pools."""
        reports = httpx.get(f"{self.url}/workers", headers=api_auth.headers(), timeout=5).json()
        # Each container's report sums its consumers' pools.
        want = (topology.consumers, topology.pool * topology.consumers)
        if {r["host"] for r in reports} != hosts:
            raise NotReadyYet(f"reporting: {sorted(r['host'] for r in reports)}, expected {sorted(hosts)}")
        unready = [
            r["host"] for r in reports if not r["ready"] or (r["consumers"], r["pool_processes"]) != want
        ]
        if unready:
            raise NotReadyYet(f"not ready with {want[0]} consumers and {want[1]} pool processes: {unready}")


@functools.cache
def _service(stack: ComposeStack, service: str, profile: str) -> dict:
    config = json.loads(stack.compose("--profile", profile, "config", "--format", "json"))
    return config["services"][service]
