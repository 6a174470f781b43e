"""swarm-up and swarm-down: the stack file from `docker compose config`, deployed with `docker stack
deploy` under the compose project's name (so the host tools find it as they find compose's), waited on
until every task runs; and everything removed again."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import yaml

from services.tools import stack as host_stack
from services.tools.stack import STACK_LABEL, HostSettings
from services.tools.swarm import node, secrets
from services.tools.swarm.stack_file import removal_waves, stack_file
from services.tools.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
# How often the waits ask the engine.
POLL_SECONDS = 1.0
# A service's UpdateStatus.State while a rolling update (or its rollback) is under way.
UPDATING = ("updating", "paused", "rollback_started", "rollback_paused")


class Refused(Exception):
    """swarm-up will not deploy; the message says why and what to do."""


def compose_config() -> dict[str, Any]:
    """`docker compose config` as JSON: .env read, COMPOSE_FILE honoured, every variable substituted."""
    result = subprocess.run(
        ["docker", "compose", "config", "--format", "json"], cwd=REPO, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise Refused(f"docker compose config failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def document(settings: HostSettings) -> dict[str, Any]:
    """The stack file swarm-up deploys (it holds API_TOKEN, never Redis's password)."""
    config = compose_config()
    return stack_file(config, settings.compose_project_name, publish_mode=settings.swarm_publish_mode)


def render(settings: HostSettings) -> str:
    """The stack file as YAML."""
    return yaml.safe_dump(document(settings), sort_keys=False)


def _pending(client: docker.DockerClient, stack: str) -> list[str]:
    """The stack's services not yet at their replicas of running tasks, each with its last task error."""
    services = client.services.list(filters=host_stack.stack_filter(stack))
    if not services:
        return ["no service yet"]
    pending = []
    for service in services:
        wanted = service.attrs["Spec"]["Mode"].get("Replicated", {}).get("Replicas", 1)
        tasks = service.tasks(filters={"desired-state": "running"})
        running = sum(t["Status"]["State"] == "running" for t in tasks)
        # A redeploy's rolling update: the old tasks still run until it is done.
        updating = (service.attrs.get("UpdateStatus") or {}).get("State") in UPDATING
        if running != wanted or updating:
            errors = [t["Status"].get("Err") for t in tasks if t["Status"].get("Err")]
            pending.append(f"{service.name} {running}/{wanted}" + (f" ({errors[-1]})" if errors else ""))
    return pending


def wait_converged(client: docker.DockerClient, stack: str, seconds: float) -> None:
    """Until every service of the stack runs its replicas (a task with a healthcheck runs once healthy)."""
    last: list[list[str]] = [[]]

    def converged() -> bool | None:
        last[0] = _pending(client, stack)
        return True if not last[0] else None

    try:
        wait_for(converged, seconds, f"stack {stack}", interval=POLL_SECONDS)
    except TimeoutError:
        raise Refused(f"stack {stack} not running after {seconds:g} s: {'; '.join(last[0])}") from None


def up(client: docker.DockerClient, settings: HostSettings, say: Callable[[str], None]) -> None:
    stack = settings.compose_project_name
    compose_made = [
        c.name for c in host_stack.containers(client, stack) if STACK_LABEL not in host_stack.labels_of(c)
    ]
    if compose_made:
        raise Refused(f"the compose stack {stack!r} is running ({compose_made[0]}...): `make down` first")
    if settings.api_token is None:
        raise Refused(
            "a swarm publishes the API on every address of the node, where it requires its token: set "
            "API_TOKEN (`make env` writes one into .env)"
        )
    stack_yaml = render(settings)
    if node.start(client, settings.swarm_advertise_addr):
        say("started a single-node swarm (make swarm-down leaves it)")
    given = settings.redis_password.get_secret_value() if settings.redis_password else None
    created = secrets.ensure(client, stack, given)
    if created:
        say(f"created the secrets {', '.join(created)}")
    deployed = subprocess.run(
        ["docker", "stack", "deploy", "--resolve-image", "never", "--prune", "-c", "-", stack],
        input=stack_yaml,
        text=True,
    )
    if deployed.returncode != 0:
        raise Refused(f"docker stack deploy failed (exit {deployed.returncode}, its message above)")
    wait_converged(client, stack, settings.swarm_wait_seconds)


def _grace_seconds(client: docker.DockerClient, stack: str) -> float:
    """The longest stop grace period of the stack's services (a busy worker finishes its job first)."""
    graces = [
        s.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("StopGracePeriod", 10**10) / 1e9
        for s in client.services.list(filters=host_stack.stack_filter(stack))
    ]
    return max(graces, default=0.0)


def _gone(client: docker.DockerClient, stack: str, services: list[str], seconds: float) -> None:
    """Until no container of these services of the stack is left (running or exited)."""

    def none_left() -> bool | None:
        left = [
            c
            for c in host_stack.containers(client, stack, running=False)
            if host_stack.service_of(c) in services
        ]
        return True if not left else None

    wait_for(none_left, seconds, f"the containers of {', '.join(services)} to go", interval=POLL_SECONDS)


def down(client: docker.DockerClient, settings: HostSettings, say: Callable[[str], None]) -> None:
    """Remove the stack's services, dependants first (each wave once its containers are gone), then its
    networks, volumes and secrets; leave the swarm if swarm-up started it."""
    stack = settings.compose_project_name
    if node.active(client):
        seconds = _grace_seconds(client, stack) + settings.swarm_wait_seconds
        services = {
            s.name.removeprefix(f"{stack}_"): s
            for s in client.services.list(filters=host_stack.stack_filter(stack))
        }
        waves = [[n for n in wave if n in services] for wave in removal_waves(compose_config())]
        waves.append(sorted(set(services) - {n for wave in waves for n in wave}))
        for wave in filter(None, waves):
            for name in wave:
                services[name].remove()
                say(f"removed the service {services[name].name}")
            _gone(client, stack, wave, seconds)
        for network in client.networks.list(filters=host_stack.stack_filter(stack)):
            network.remove()
            say(f"removed the network {network.name}")
        for name in secrets.remove(client, stack):
            say(f"removed the secret {name}")
    for volume in client.volumes.list(filters=host_stack.stack_filter(stack)):
        volume.remove()
        say(f"removed the volume {volume.name}")
    why = node.leave_if_started_here(client)
    say("left the swarm swarm-up started" if why is None else why)
