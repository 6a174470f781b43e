"""The host tools' view of the stack: the API's address and the compose project from the environment as
compose and the stack read it, with the compose file's own defaults when unset; the stack's containers,
made by compose or by swarm."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from docker.models.containers import Container

from services.tools import stack

REPO = Path(__file__).resolve().parents[2]


def test_unset_or_empty_means_the_compose_files_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COMPOSE_PROJECT_NAME", "API_PORT", "API_BIND"):
        monkeypatch.setenv(name, "")
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert stack.default_project() == compose["name"]
    assert stack.default_url() == "http://127.0.0.1:8000" and stack.default_port() == 8000


def test_the_environment_names_the_project_and_where_the_api_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "mine")
    monkeypatch.setenv("API_PORT", "8123")
    monkeypatch.setenv("API_BIND", "0.0.0.0")  # every address: the host reaches it on loopback
    assert (stack.default_project(), stack.default_port()) == ("mine", 8123)
    assert stack.default_url() == "http://127.0.0.1:8123"
    monkeypatch.setenv("API_BIND", "::1")
    assert stack.default_url() == "http://[::1]:8123"


def test_the_soak_finds_the_stack_where_the_other_tools_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.tools.soak.__main__ import parse_args

    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "mine")
    monkeypatch.setenv("API_PORT", "8123")
    monkeypatch.setenv("API_BIND", "::1")  # published on IPv6 loopback only: 127.0.0.1 would miss it
    args = parse_args([])
    assert (args.url, args.project) == ("http://[::1]:8123", "mine")


class _Listing:
    """The engine's label filter over a few containers: every label of one filter must match (Docker ANDs)."""

    def __init__(self, found: list[Container]) -> None:
        self.found = found
        self.queries: list[list[str]] = []

    def list(self, all: bool, sparse: bool, filters: dict) -> list[Container]:
        self.queries.append(filters["label"])
        wanted = [label.split("=", 1) for label in filters["label"]]
        return [c for c in self.found if all_match(stack.labels_of(c), wanted)]


def all_match(labels: dict[str, str], wanted: list[list[str]]) -> bool:
    return all(labels.get(key) == value for key, value in wanted)


def _container(name: str, labels: dict[str, str], *, sparse: bool = False) -> Container:
    attrs = (
        {"Id": name, "Names": [f"/{name}"], "Labels": labels}
        if sparse
        else {
            "Id": name,
            "Name": f"/{name}",
            "Config": {"Labels": labels},
        }
    )
    return Container(attrs=attrs)


# What compose puts on its containers, and on the images it builds (for whichever project built them).
def _compose(project: str, service: str) -> dict[str, str]:
    return {stack.PROJECT_LABEL: project, stack.SERVICE_LABEL: service}


def _task(namespace: str, service: str, image_labels: dict[str, str]) -> dict[str, str]:
    return {**image_labels, stack.STACK_LABEL: namespace, stack.SWARM_SERVICE_LABEL: f"{namespace}_{service}"}


@pytest.mark.parametrize("sparse", [False, True])
def test_a_stacks_containers_are_its_compose_and_swarm_ones_by_their_own_labels(sparse: bool) -> None:
    found = [
        _container("p-worker-1", _compose("p", "worker"), sparse=sparse),
        # A swarm task of stack p, its image built by compose under another project: p's worker.
        _container("p_worker.1.a", _task("p", "worker", _compose("other", "worker")), sparse=sparse),
        _container("p_redis.1.b", _task("p", "redis", {}), sparse=sparse),
        # A task of another stack whose image compose built as project p: not p's.
        _container("q_worker.1.c", _task("q", "worker", _compose("p", "worker")), sparse=sparse),
        _container("other-worker-1", _compose("other", "worker"), sparse=sparse),
    ]
    client = SimpleNamespace(containers=_Listing(found))
    every = stack.containers(client, "p", sparse=sparse)  # type: ignore[arg-type]
    services = {c.id: stack.service_of(c) for c in every}
    assert services == {"p-worker-1": "worker", "p_redis.1.b": "redis", "p_worker.1.a": "worker"}
    assert len(every) == len(services)  # each once, though both queries may list it
    workers = stack.containers(client, "p", "worker", sparse=sparse)  # type: ignore[arg-type]
    assert sorted(c.id for c in workers) == ["p-worker-1", "p_worker.1.a"]
    assert [c.id for c in stack.containers(client, "q", "worker")] == ["q_worker.1.c"]  # type: ignore[arg-type]


def test_a_container_neither_made_has_no_service() -> None:
    assert stack.service_of(_container("x", {})) == "?"
    assert stack.project_of(_container("x", {})) is None
