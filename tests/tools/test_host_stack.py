"""The host tools' view of the stack: the API's address and the compose project from the environment as
compose and the stack read it, with the compose file's own defaults when unset."""

from pathlib import Path

import pytest
import yaml

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
