"""Where the host tools find the stack: the API's address, the compose project, the project's containers.

The API's address comes from the same Settings the stack runs with (API_BIND, API_PORT: compose
publishes the API there), the project from COMPOSE_PROJECT_NAME (compose's own variable; without it,
the `name:` of docker-compose.yml), and containers from the labels compose puts on them, or, for the
same stack deployed on Docker Swarm under the project's name (`make swarm-up`), from the labels swarm
puts on its tasks. No host tool reads these from the environment or writes the label filter itself.
"""

from typing import Literal

from docker import DockerClient
from docker.models.containers import Container
from pydantic import Field, SecretStr

from shared.settings import Settings

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# A swarm task's container: its stack, and its service as `<stack>_<service>`. It may carry compose's
# labels too, inherited from an image compose built (for whichever project built it): its stack's win.
STACK_LABEL = "com.docker.stack.namespace"
SWARM_SERVICE_LABEL = "com.docker.swarm.service.name"
# The project compose names the stack after when COMPOSE_PROJECT_NAME is unset (docker-compose.yml's `name:`).
DEFAULT_PROJECT = "cpu-contrast"


class HostSettings(Settings):
    """The stack's Settings as the host reads them, and the compose project the host tools address."""

    compose_project_name: str = DEFAULT_PROJECT
    # `make swarm-up` (services/tools/swarm/): the stack is deployed under the project's name. How long
    # it waits for every service's tasks to run (healthy, where a healthcheck says so) before giving up.
    swarm_wait_seconds: float = Field(default=300.0, gt=0)
    # The address `docker swarm init` advertises when swarm-up starts a swarm (empty: Docker's choice,
    # which fails on a host with several addresses and no default route; other nodes join there).
    swarm_advertise_addr: str | None = None
    # How the API's port is published: `host` binds it on the node running the API (works anywhere);
    # `ingress`, swarm's routing mesh, on every node (needs the kernel's IPVS). Either way every address.
    swarm_publish_mode: Literal["host", "ingress"] = "host"
    # Redis's password, if you choose it (`make env` writes one into .env): compose's redis-secret service
    # and swarm-up's secret take it; unset, each generates a random one.
    redis_password: SecretStr | None = None


def host_settings() -> HostSettings:
    """Read now (not cached): tools and tests set the environment before they ask."""
    return HostSettings()


def default_project() -> str:
    """COMPOSE_PROJECT_NAME, or the compose file's own name for the stack."""
    return host_settings().compose_project_name


def default_url() -> str:
    """The API as this host reaches it: API_BIND (loopback for a bind to every address) and API_PORT."""
    return host_settings().public_url()


def default_port() -> int:
    return host_settings().api_port


def label_filters(project: str, service: str | None = None) -> list[list[str]]:
    """Docker's label filters for a project's containers (or one service's): compose's, then swarm's.

    Docker ANDs the labels of one filter, so the two ways a container belongs take a query each.
    """
    compose = [f"{PROJECT_LABEL}={project}", *([f"{SERVICE_LABEL}={service}"] if service else [])]
    swarm = [f"{STACK_LABEL}={project}", *([f"{SWARM_SERVICE_LABEL}={project}_{service}"] if service else [])]
    return [compose, swarm]


def label_filter(project: str, service: str | None = None) -> list[str]:
    """Docker's label filter for a compose project's containers (or one service's): what the e2e tests,
    which start compose stacks only, list by."""
    return label_filters(project, service)[0]


def stack_filter(stack: str) -> dict[str, str]:
    """Docker's filter for what a swarm stack owns: its services, networks, volumes and secrets."""
    return {"label": f"{STACK_LABEL}={stack}"}


def labels_of(container: Container) -> dict[str, str]:
    """A container's labels, from a full inspect or a sparse listing (where the SDK's `labels` raises)."""
    attrs = container.attrs
    return (attrs.get("Config") or {}).get("Labels") or attrs.get("Labels") or {}


def project_of(container: Container) -> str | None:
    """The swarm stack or compose project a container belongs to (its stack's, when it has both)."""
    labels = labels_of(container)
    return labels.get(STACK_LABEL) or labels.get(PROJECT_LABEL)


def containers(
    client: DockerClient,
    project: str,
    service: str | None = None,
    *,
    running: bool = True,
    sparse: bool = False,
) -> list[Container]:
    """The project's containers (one service's, if given), by name; `running=False`: created ones too.

    `sparse`: one request and no inspect per container (names, ids and labels only).
    """
    found: dict[str, Container] = {}
    for labels in label_filters(project, service):
        filters: dict[str, object] = {"label": labels}
        if running:
            filters["status"] = "running"
        for container in client.containers.list(all=not running, sparse=sparse, filters=filters):
            # Not a swarm task whose image merely carries this project's compose labels.
            if project_of(container) == project and (service is None or service_of(container) == service):
                found[container.id] = container
    # A sparse listing has no name: its containers keep the engine's order (newest first).
    return sorted(found.values(), key=lambda c: c.name or "")


def service_of(container: Container) -> str:
    """The service a container belongs to (compose's, or its swarm service's less the stack's prefix);
    `?` for one neither made."""
    labels = labels_of(container)
    stack = labels.get(STACK_LABEL)
    if stack:
        return labels.get(SWARM_SERVICE_LABEL, "").removeprefix(f"{stack}_") or "?"
    return labels.get(SERVICE_LABEL, "?")
