"""Where the host tools find the stack: the API's address, the compose project, the project's containers.

The API's address comes from the same Settings the stack runs with (API_BIND, API_PORT: compose
publishes the API there), the project from COMPOSE_PROJECT_NAME (compose's own variable; without it,
the `name:` of docker-compose.yml), and containers from the labels compose puts on them. No host tool
reads these from the environment or writes the label filter itself.
"""

from docker import DockerClient
from docker.models.containers import Container

from shared.settings import Settings

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# The project compose names the stack after when COMPOSE_PROJECT_NAME is unset (docker-compose.yml's `name:`).
DEFAULT_PROJECT = "cpu-contrast"


class HostSettings(Settings):
    """The stack's Settings as the host reads them, and the compose project the host tools address."""

    compose_project_name: str = DEFAULT_PROJECT


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


def label_filter(project: str, service: str | None = None) -> list[str]:
    """Docker's label filter for a compose project's containers, or one service's."""
    return [f"{PROJECT_LABEL}={project}", *([f"{SERVICE_LABEL}={service}"] if service else [])]


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
    filters: dict[str, object] = {"label": label_filter(project, service)}
    if running:
        filters["status"] = "running"
    found = client.containers.list(all=not running, sparse=sparse, filters=filters)
    return sorted(found, key=lambda c: c.name or "")


def service_of(container: Container) -> str:
    """The compose service a container belongs to; `?` for one compose did not make."""
    return container.labels.get(SERVICE_LABEL, "?")
